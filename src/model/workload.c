/*
 * workload: defaults, the field table, parsing of text values and
 * validation. Pure C with no dependencies so it is unit-testable.
 */
#include "workload.h"

#include "markdown.h"
#include "suggest.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AT(member) .offset = offsetof(workload, member), .size = sizeof(((workload *)0)->member)

static const char *const MODES[] = {[WORKLOAD_ASYNC] = "async", [WORKLOAD_SYNC] = "sync", NULL};
static const char *const RAGGED[] = {[CSVSRC_RAGGED_ERROR] = "error",
                                     [CSVSRC_RAGGED_SKIP] = "skip",
                                     [CSVSRC_RAGGED_PAD] = "pad",
                                     NULL};
static const char *const OVERSIZE[] = {
    [WORKLOAD_OVERSIZE_SKIP] = "skip", [WORKLOAD_OVERSIZE_STOP] = "stop", NULL};

static const workload_field FIELDS[] = {
    {"brokers", WORKLOAD_STRING, "bootstrap servers host:port[,...]; empty = embedded broker",
     AT(brokers), .empty_is_none = true},
    {"topic", WORKLOAD_STRING, "topic to produce to and consume from", AT(topic)},
    {"partitions", WORKLOAD_INT, "partitions when kengine creates the topic", AT(partitions),
     .imin = 1, .imax = 100000, .expect = "a positive integer"},
    {"replication", WORKLOAD_INT, "replication factor when kengine creates the topic",
     AT(replication), .imin = -1, .imax = 100000, .nonzero = true,
     .expect = "a positive integer"},
    {"csv", WORKLOAD_STRING, "CSV file whose rows are replicated", AT(csv)},
    {"baseline", WORKLOAD_STRING,
     "NDJSON (--json) of an earlier run; thresholds may be relative to it: '>= 0.9 * base'",
     AT(baseline), .empty_is_none = true},
    {"baseline_optional", WORKLOAD_BOOL,
     "true: a baseline file that does not exist yet skips the relative thresholds (a gate's "
     "first run) instead of exit 2",
     AT(baseline_optional)},
    {"records", WORKLOAD_INT, "messages to produce (and to expect)", AT(records), .imin = 1,
     .imax = INT64_MAX, .expect = "a positive integer"},
    {"batch_size", WORKLOAD_INT, "messages per reported batch", AT(batch_size), .imin = 1,
     .imax = INT64_MAX, .expect = "a positive integer"},
    {"rate", WORKLOAD_NUMBER, "messages per second, 0 = unlimited", AT(rate), .dmin = 0,
     .expect = "a non-negative number"},
    {"mode", WORKLOAD_ENUM, "async (pipelined) or sync (each message waits for its delivery)",
     AT(mode), .choices = MODES},
    {"format", WORKLOAD_ENUM, "message value format: json, csv, dict or avro (schema_registry)",
     AT(format), .choices = encode_format_names},
    {"schema_registry", WORKLOAD_STRING,
     "format avro: schema registry URL (Confluent API; http://user:password@host:port/... for "
     "basic auth); the schema is registered at start",
     AT(schema_registry), .empty_is_none = true},
    {"subject", WORKLOAD_STRING, "format avro: the schema's subject; default: TOPIC-value",
     AT(subject), .empty_is_none = true},
    {"avro_types", WORKLOAD_STRING,
     "format avro: Avro types of CSV columns, \"col:type,...\" (int, long, float, double, "
     "boolean, string; ?type = nullable, empty value null); other columns are strings",
     AT(avro_types), .empty_is_none = true},
    {"avro_schema", WORKLOAD_STRING,
     "format avro: an Avro schema file (.avsc: a record whose fields name CSV columns) instead "
     "of the one derived from the header",
     AT(avro_schema), .empty_is_none = true},
    {"key", WORKLOAD_STRING, "CSV column used as the message key", AT(key),
     .empty_is_none = true},
    {"produce", WORKLOAD_BOOL, "run the producer", AT(produce)},
    {"consume", WORKLOAD_BOOL, "run the consumer", AT(consume)},
    {"group", WORKLOAD_STRING, "consumer group id", AT(group)},
    {"consumers", WORKLOAD_INT, "consumers in the run (a consumer group when more than 1)",
     AT(consumers), .imin = 1, .imax = 64, .expect = "an integer 1..64"},
    {"idle_timeout", WORKLOAD_NUMBER, "seconds without a message before the consumer gives up",
     AT(idle_timeout), .dmin = 0, .dmin_excluded = true, .expect = "a positive number"},
    {"producer", WORKLOAD_PROPS, "table of librdkafka producer properties", AT(producer)},
    {"consumer", WORKLOAD_PROPS, "table of librdkafka consumer properties", AT(consumer)},
    {"top_words", WORKLOAD_INT, "report the N most frequent words of each batch (0 = off)",
     AT(top_words), .imin = 0, .imax = 1000, .expect = "an integer 0..1000"},
    {"ragged", WORKLOAD_ENUM, "CSV rows with a wrong field count: error (default), skip or pad",
     AT(ragged), .choices = RAGGED},
    {"oversize", WORKLOAD_ENUM,
     "a record over the broker's size limit: skip (count it as failed) or stop", AT(oversize),
     .choices = OVERSIZE},
    {"phases", WORKLOAD_TABLE,
     "list of {name=, records= or duration=, rate=} run one after another", AT(phases)},
    {"thresholds", WORKLOAD_TABLE,
     "metric = \"< 50\" conditions checked at the end; exit 3 if one fails", AT(thresholds)},
    {"consume_topic", WORKLOAD_STRING,
     "topic the consumer reads (the output of a system under test); default: topic",
     AT(consume_topic), .empty_is_none = true},
    {"expect_copies", WORKLOAD_INT, "copies of each produced message expected on consume_topic",
     AT(expect_copies), .imin = 1, .imax = 255, .expect = "an integer 1..255"},
    {"key_distribution", WORKLOAD_ENUM, "synthetic keys: none, uniform or zipf (not with key)",
     AT(key_distribution), .choices = keys_distribution_names},
    {"key_count", WORKLOAD_INT, "distinct synthetic keys", AT(key_count), .imin = 1,
     .imax = 10000000, .expect = "an integer 1..10000000"},
    {"key_skew", WORKLOAD_NUMBER, "zipf exponent of synthetic keys", AT(key_skew), .dmin = 0,
     .expect = "a non-negative number"},
    {"seed", WORKLOAD_INT, "seed of the synthetic keys (same seed, same keys)", AT(seed),
     .imin = 0, .imax = INT64_MAX, .expect = "a non-negative integer"},
    {"transactional", WORKLOAD_BOOL,
     "produce in transactions, consume read_committed (exactly-once)", AT(transactional)},
    {"transaction_size", WORKLOAD_INT, "messages per transaction, 0 = batch_size",
     AT(transaction_size), .imin = 0, .imax = INT64_MAX, .expect = "a non-negative integer"},
    {"abort_every", WORKLOAD_INT, "abort every n-th transaction on purpose, 0 = never",
     AT(abort_every), .imin = 0, .imax = INT64_MAX, .expect = "a non-negative integer"},
    {"workers", WORKLOAD_INT, "worker processes sharing the run (docs/many-machines.md)",
     AT(workers), .imin = 1, .imax = 1024, .expect = "an integer 1..1024"},
    {"worker", WORKLOAD_INT,
     "this process's worker index 0..workers-1 (default: $KENGINE_WORKER, "
     "$JOB_COMPLETION_INDEX)",
     AT(worker), .imin = 0, .imax = 1023, .expect = "an integer 0..1023"},
    {"run_id", WORKLOAD_STRING,
     "name shared by all workers of one run (default: $KENGINE_RUN_ID)", AT(run_id)},
    {"results", WORKLOAD_STRING, "topic the workers coordinate and report on", AT(results)},
    {"start_timeout", WORKLOAD_NUMBER, "seconds to wait for all workers to announce themselves",
     AT(start_timeout), .dmin = 0, .dmin_excluded = true, .expect = "a positive number"},
    {"metrics", WORKLOAD_STRING,
     "HOST:PORT serving Prometheus /metrics during the run (worker i: PORT + i); "
     "also --metrics",
     AT(metrics), .empty_is_none = true},
    {"prometheus_rw", WORKLOAD_STRING,
     "Prometheus remote-write URL pushed every metrics_interval and at the end; "
     "also --prometheus-rw",
     AT(prometheus_rw), .empty_is_none = true},
    {"metrics_interval", WORKLOAD_NUMBER, "seconds between remote-write pushes",
     AT(metrics_interval), .dmin = 0, .dmin_excluded = true, .expect = "a positive number"},
    {"metrics_linger", WORKLOAD_NUMBER,
     "after the run, seconds /metrics waits for one more scrape (0 = none)", AT(metrics_linger),
     .dmin = 0, .expect = "a non-negative number"},
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

const workload_field *workload_fields(size_t *n) {
    *n = NFIELDS;
    return FIELDS;
}

const workload_field *workload_field_find(const char *name) {
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(FIELDS[i].name, name) == 0) return &FIELDS[i];
    return NULL;
}

const char *workload_suggest(const char *name) {
    const char *names[NFIELDS];
    for (size_t i = 0; i < NFIELDS; i++) names[i] = FIELDS[i].name;
    return suggest_nearest(name, names, NFIELDS);
}

const char *workload_kind_name(workload_kind kind) {
    static const char *const names[] = {
        [WORKLOAD_STRING] = "string", [WORKLOAD_INT] = "integer", [WORKLOAD_NUMBER] = "number",
        [WORKLOAD_BOOL] = "boolean",  [WORKLOAD_ENUM] = "choice", [WORKLOAD_PROPS] = "table",
        [WORKLOAD_TABLE] = "table"};
    return kind <= WORKLOAD_TABLE ? names[kind] : "?";
}

/* Field f's value in workload `wl`, as its default is shown (workload.h). */
static void field_value(const workload *wl, const workload_field *f, char *buf, size_t len) {
    const void *slot = (const char *)wl + f->offset;
    switch (f->kind) {
    case WORKLOAD_STRING: {
        const char *v = *(char *const *)slot;
        snprintf(buf, len, "%s", v ? v : "none");
        return;
    }
    case WORKLOAD_INT: {
        long long v =
            f->size == sizeof(int) ? *(const int *)slot : (long long)*(const uint64_t *)slot;
        if (v < f->imin) /* outside the range: not given (worker's -1) */
            snprintf(buf, len, "none");
        else
            snprintf(buf, len, "%lld", v);
        return;
    }
    case WORKLOAD_NUMBER: snprintf(buf, len, "%g", *(const double *)slot); return;
    case WORKLOAD_BOOL:
        snprintf(buf, len, "%s", *(const bool *)slot ? "true" : "false");
        return;
    case WORKLOAD_ENUM: snprintf(buf, len, "%s", f->choices[*(const int *)slot]); return;
    case WORKLOAD_PROPS:
        snprintf(buf, len, "%s", ((const workload_props *)slot)->n ? "(set)" : "{}");
        return;
    case WORKLOAD_TABLE: break;
    }
    snprintf(buf, len, "none");
}

const char *workload_field_default(const workload_field *f, char *buf, size_t len) {
    workload wl;
    if (workload_init(&wl)) {
        snprintf(buf, len, "?");
        return buf;
    }
    field_value(&wl, f, buf, len);
    workload_free(&wl);
    return buf;
}

void workload_fields_help(FILE *out) {
    fputs("Fields of a workload (set in the script, or name=value on the command line).\n"
          "Columns: name, type, default, meaning.\n\n",
          out);
    for (size_t i = 0; i < NFIELDS; i++) {
        char def[128];
        workload_field_default(&FIELDS[i], def, sizeof def);
        fprintf(out, "  %-17s %-8s %-14s %s\n", FIELDS[i].name,
                workload_kind_name(FIELDS[i].kind), def, FIELDS[i].help);
    }
}

void workload_fields_markdown(FILE *out) {
    static const char *const head[] = {"field", "type", "default", "meaning"};
    markdown_header(out, head, 4);
    for (size_t i = 0; i < NFIELDS; i++) {
        char name[64], def[128], code[136];
        snprintf(name, sizeof name, "`%s`", FIELDS[i].name);
        workload_field_default(&FIELDS[i], def, sizeof def);
        /* a name (a string, a choice) as code; numbers, no value, {} as they are */
        bool name_like = FIELDS[i].kind == WORKLOAD_ENUM ||
                         (FIELDS[i].kind == WORKLOAD_STRING && strcmp(def, "none"));
        snprintf(code, sizeof code, name_like ? "`%s`" : "%s", def);
        const char *cells[] = {name, workload_kind_name(FIELDS[i].kind), code, FIELDS[i].help};
        markdown_row(out, cells, 4);
    }
}

static int set_str(char **slot, const char *text) {
    char *s = strdup(text);
    if (!s) return -1;
    free(*slot);
    *slot = s;
    return 0;
}

int workload_init(workload *wl) {
    memset(wl, 0, sizeof *wl);
    wl->partitions = 1;
    wl->replication = 1;
    wl->records = 1000000;
    wl->batch_size = 10000;
    wl->rate = 0;
    wl->mode = WORKLOAD_ASYNC;
    wl->format = ENCODE_JSON;
    wl->produce = true;
    wl->consume = true;
    wl->idle_timeout = 10.0;
    wl->consumers = 1;
    wl->expect_copies = 1;
    wl->key_count = 1000;
    wl->key_skew = 1.0;
    wl->seed = 1;
    wl->workers = 1;
    wl->worker = -1;
    wl->start_timeout = 60.0;
    wl->metrics_interval = 5.0;
    if (set_str(&wl->topic, "test_topic") || set_str(&wl->csv, "sample.csv") ||
        set_str(&wl->group, "kengine") || set_str(&wl->results, "kengine.results")) {
        workload_free(wl);
        return -1;
    }
    return 0;
}

static void props_free(workload_props *p) {
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].name);
        free(p->items[i].value);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

void workload_free(workload *wl) {
    free(wl->name);
    free(wl->brokers);
    free(wl->topic);
    free(wl->csv);
    free(wl->baseline);
    free(wl->key);
    free(wl->group);
    free(wl->consume_topic);
    free(wl->run_id);
    free(wl->results);
    free(wl->metrics);
    free(wl->prometheus_rw);
    free(wl->schema_registry);
    free(wl->subject);
    free(wl->avro_types);
    free(wl->avro_schema);
    props_free(&wl->producer);
    props_free(&wl->consumer);
    for (size_t i = 0; i < wl->nphases; i++) free(wl->phases[i].name);
    free(wl->phases);
    for (size_t i = 0; i < wl->nthresholds; i++) threshold_free(&wl->thresholds[i]);
    free(wl->thresholds);
    memset(wl, 0, sizeof *wl);
}

static int props_set(workload_props *p, const char *name, const char *value) {
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].name, name) == 0) return set_str(&p->items[i].value, value);
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        workload_prop *items = realloc(p->items, cap * sizeof *items);
        if (!items) return -1;
        p->items = items;
        p->cap = cap;
    }
    workload_prop *it = &p->items[p->n];
    it->name = strdup(name);
    it->value = strdup(value);
    if (!it->name || !it->value) {
        free(it->name);
        free(it->value);
        return -1;
    }
    p->n++;
    return 0;
}

static int dup_opt(char **dst, const char *src) {
    *dst = NULL;
    return src && !(*dst = strdup(src)) ? -1 : 0;
}

int workload_copy(workload *dst, const workload *src) {
    *dst = *src;
    dst->producer = (workload_props){0};
    dst->consumer = (workload_props){0};
    dst->phases = NULL;
    dst->nphases = 0;
    dst->thresholds = NULL;
    dst->nthresholds = 0;
    int rc = dup_opt(&dst->name, src->name) | dup_opt(&dst->brokers, src->brokers) |
             dup_opt(&dst->topic, src->topic) | dup_opt(&dst->csv, src->csv) |
             dup_opt(&dst->baseline, src->baseline) | dup_opt(&dst->key, src->key) |
             dup_opt(&dst->group, src->group) |
             dup_opt(&dst->consume_topic, src->consume_topic) |
             dup_opt(&dst->run_id, src->run_id) | dup_opt(&dst->results, src->results) |
             dup_opt(&dst->metrics, src->metrics) |
             dup_opt(&dst->prometheus_rw, src->prometheus_rw) |
             dup_opt(&dst->schema_registry, src->schema_registry) |
             dup_opt(&dst->subject, src->subject) | dup_opt(&dst->avro_types, src->avro_types) |
             dup_opt(&dst->avro_schema, src->avro_schema);
    for (size_t i = 0; rc == 0 && i < src->producer.n; i++)
        rc = props_set(&dst->producer, src->producer.items[i].name,
                       src->producer.items[i].value);
    for (size_t i = 0; rc == 0 && i < src->consumer.n; i++)
        rc = props_set(&dst->consumer, src->consumer.items[i].name,
                       src->consumer.items[i].value);
    if (rc == 0 && src->nphases) {
        dst->phases = calloc(src->nphases, sizeof *dst->phases);
        if (!dst->phases) rc = -1;
        for (size_t i = 0; rc == 0 && i < src->nphases; i++) {
            dst->phases[i] = src->phases[i];
            dst->phases[i].name = strdup(src->phases[i].name);
            if (!dst->phases[i].name)
                rc = -1;
            else
                dst->nphases++;
        }
    }
    if (rc == 0 && src->nthresholds) {
        dst->thresholds = calloc(src->nthresholds, sizeof *dst->thresholds);
        if (!dst->thresholds) rc = -1;
        for (size_t i = 0; rc == 0 && i < src->nthresholds; i++) {
            if (threshold_copy(&dst->thresholds[i], &src->thresholds[i]))
                rc = -1;
            else
                dst->nthresholds++;
        }
    }
    if (rc) {
        workload_free(dst);
        return -1;
    }
    return 0;
}

static int parse_int(const char *text, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    /* accept "1e6"-style integral numbers too, as Lua writes 1e6 as a float */
    if (*end == '.' || *end == 'e' || *end == 'E') {
        char *end2;
        double d = strtod(text, &end2);
        if (*end2 != '\0' || d != floor(d) || d < (double)lo || d > (double)hi) return -1;
        *out = (long long)d;
        return 0;
    }
    if (errno || end == text || *end != '\0' || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "a, b or c" from a NULL-ended list of names. */
static void join_choices(char *buf, size_t len, const char *const *c) {
    size_t n = 0, used = 0;
    while (c[n]) n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                 i == 0       ? ""
                                 : i + 1 == n ? " or "
                                              : ", ",
                                 c[i]);
}

int workload_set(workload *wl, const char *name, const char *text, char *err, size_t errlen) {
    const workload_field *f = workload_field_find(name);
    if (!f) {
        const char *s = workload_suggest(name);
        if (s)
            snprintf(err, errlen, "unknown field '%s' (did you mean '%s'?)", name, s);
        else
            snprintf(err, errlen, "unknown field '%s'", name);
        return -1;
    }
    void *slot = (char *)wl + f->offset;
    switch (f->kind) {
    case WORKLOAD_STRING:
        if (text[0] == '\0' && f->empty_is_none) {
            free(*(char **)slot); /* empty brokers = embedded; empty key = none */
            *(char **)slot = NULL;
            return 0;
        }
        if (text[0] == '\0') {
            snprintf(err, errlen, "field '%s' must not be empty", name);
            return -1;
        }
        if (set_str(slot, text)) goto oom;
        return 0;
    case WORKLOAD_INT: {
        long long iv;
        if (parse_int(text, f->imin, f->imax, &iv) || (f->nonzero && iv == 0)) {
            snprintf(err, errlen, "field '%s' must be %s, got '%s'", name, f->expect, text);
            return -1;
        }
        if (f->size == sizeof(int))
            *(int *)slot = (int)iv;
        else
            *(uint64_t *)slot = (uint64_t)iv;
        return 0;
    }
    case WORKLOAD_NUMBER: {
        char *end;
        errno = 0;
        double d = strtod(text, &end);
        if (errno || end == text || *end != '\0' || !isfinite(d) || d < f->dmin ||
            (f->dmin_excluded && d == f->dmin)) {
            snprintf(err, errlen, "field '%s' must be %s, got '%s'", name, f->expect, text);
            return -1;
        }
        *(double *)slot = d;
        return 0;
    }
    case WORKLOAD_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "1"))
            *(bool *)slot = true;
        else if (!strcmp(text, "false") || !strcmp(text, "0"))
            *(bool *)slot = false;
        else {
            snprintf(err, errlen, "field '%s' must be true or false, got '%s'", name, text);
            return -1;
        }
        return 0;
    case WORKLOAD_ENUM:
        for (int i = 0; f->choices[i]; i++)
            if (!strcmp(text, f->choices[i])) {
                *(int *)slot = i;
                return 0;
            }
        char names[128];
        join_choices(names, sizeof names, f->choices);
        snprintf(err, errlen, "field '%s' must be %s, got '%s'", name, names, text);
        return -1;
    case WORKLOAD_PROPS:
        snprintf(err, errlen, "field '%s' must be a table of librdkafka properties", name);
        return -1;
    case WORKLOAD_TABLE:
        snprintf(err, errlen, "field '%s' must be a table (set it in the script)", name);
        return -1;
    }
    snprintf(err, errlen, "field '%s' cannot be set", name);
    return -1;
oom:
    snprintf(err, errlen, "out of memory setting '%s'", name);
    return -1;
}

/* Enum fields are written as int (workload_set): their types must be. */
_Static_assert(sizeof(workload_mode) == sizeof(int) && sizeof(encode_format) == sizeof(int) &&
                   sizeof(csvsrc_ragged) == sizeof(int) &&
                   sizeof(workload_oversize) == sizeof(int),
               "enum fields are int-sized");

int workload_set_prop(workload *wl, const char *table, const char *prop, const char *value,
                      char *err, size_t errlen) {
    workload_props *p = !strcmp(table, "producer")   ? &wl->producer
                        : !strcmp(table, "consumer") ? &wl->consumer
                                                     : NULL;
    if (!p) {
        snprintf(err, errlen, "unknown property table '%s'", table);
        return -1;
    }
    if (!prop[0]) {
        snprintf(err, errlen, "field '%s': empty property name", table);
        return -1;
    }
    if (props_set(p, prop, value)) {
        snprintf(err, errlen, "out of memory setting '%s.%s'", table, prop);
        return -1;
    }
    return 0;
}

int workload_add_phase(workload *wl, const char *name, uint64_t records, double duration,
                       double rate, char *err, size_t errlen) {
    char nm[64];
    if (!name) {
        snprintf(nm, sizeof nm, "phase%zu", wl->nphases + 1);
        name = nm;
    }
    if (!name[0] || strchr(name, '.')) {
        snprintf(err, errlen, "phase '%s': a name must be non-empty and without dots", name);
        return -1;
    }
    for (size_t i = 0; i < wl->nphases; i++)
        if (!strcmp(wl->phases[i].name, name)) {
            snprintf(err, errlen, "phase '%s' is named twice", name);
            return -1;
        }
    if (!records && !(duration > 0)) {
        snprintf(err, errlen, "phase '%s' needs records or duration", name);
        return -1;
    }
    if (rate < 0 || !isfinite(rate) || duration < 0 || !isfinite(duration)) {
        snprintf(err, errlen, "phase '%s': rate and duration must be non-negative", name);
        return -1;
    }
    workload_phase *ph = realloc(wl->phases, (wl->nphases + 1) * sizeof *ph);
    if (!ph) goto oom;
    wl->phases = ph;
    ph = &wl->phases[wl->nphases];
    ph->name = strdup(name);
    if (!ph->name) goto oom;
    ph->records = records;
    ph->duration = duration;
    ph->rate = rate;
    wl->nphases++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

uint64_t workload_phase_records(const workload *wl) {
    uint64_t sum = 0;
    for (size_t i = 0; i < wl->nphases; i++) {
        if (!wl->phases[i].records) return 0;
        sum += wl->phases[i].records;
    }
    return sum;
}

uint64_t workload_records(const workload *wl) {
    return wl->nphases ? workload_phase_records(wl) : wl->records;
}

int workload_add_threshold(workload *wl, const char *metric, const char *condition, bool abort,
                           char *err, size_t errlen) {
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; i < wl->nphases && n < 64; i++) names[n++] = wl->phases[i].name;
    threshold t;
    if (threshold_parse(&t, metric, condition, abort, names, n, err, errlen)) return -1;
    threshold *ts = realloc(wl->thresholds, (wl->nthresholds + 1) * sizeof *ts);
    if (!ts) {
        threshold_free(&t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    wl->thresholds = ts;
    ts[wl->nthresholds++] = t;
    return 0;
}

const char *workload_consume_topic(const workload *wl) {
    return wl->consume_topic ? wl->consume_topic : wl->topic;
}

uint64_t workload_transaction_size(const workload *wl) {
    return wl->transaction_size ? wl->transaction_size : wl->batch_size;
}

/* Kafka's limit on a topic name's length (Topic.MAX_NAME_LENGTH). */
#define WORKLOAD_TOPIC_MAX 249

int workload_topic_check(const char *name, char *why, size_t whylen) {
    static const char *const internal[] = {"__consumer_offsets", "__transaction_state",
                                           "__cluster_metadata"};
    size_t n = strlen(name);
    if (n == 0 || n > WORKLOAD_TOPIC_MAX) {
        snprintf(why, whylen, "a Kafka topic name has 1 to %d characters, this one has %zu",
                 WORKLOAD_TOPIC_MAX, n);
        return -1;
    }
    if (!strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(why, whylen, "'.' and '..' are not allowed as Kafka topic names");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            char shown[16];
            if (c >= 0x20 && c < 0x7f)
                snprintf(shown, sizeof shown, "'%c'", c);
            else
                snprintf(shown, sizeof shown, "byte 0x%02x", c);
            snprintf(why, whylen,
                     "character %zu (%s) is not allowed in a Kafka topic name (only "
                     "ASCII letters, digits, '.', '_' and '-')",
                     i + 1, shown);
            return -1;
        }
    }
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++)
        if (!strcmp(name, internal[i])) {
            snprintf(why, whylen, "one of Kafka's internal topics, not for a client's data");
            return -1;
        }
    return 0;
}

/* Every topic the run names, by Kafka's rules (workload_topic_check). */
static int check_topics(const workload *wl, char *err, size_t errlen) {
    const struct {
        const char *field, *name;
    } topics[] = {{"topic", wl->topic},
                  {"consume_topic", wl->consume_topic},
                  {"results", wl->workers > 1 ? wl->results : NULL}};
    char why[256];
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        if (topics[i].name && workload_topic_check(topics[i].name, why, sizeof why)) {
            snprintf(err, errlen, "field '%s': '%.60s%s': %s", topics[i].field, topics[i].name,
                     strlen(topics[i].name) > 60 ? "..." : "", why);
            return -1;
        }
    return 0;
}

int workload_validate(const workload *wl, char *err, size_t errlen) {
    if (check_topics(wl, err, errlen)) return -1;
    /* the embedded broker keeps about 5 MiB per partition and drops older
     * records; the workers' windows hold it only up to a point (BENCHMARKS.md,
     * "Shared runs on the embedded broker"): beyond it the broker, not
     * Kafka, would lose records and the results topic its announcements */
    if (!wl->brokers && wl->workers > WORKLOAD_EMBEDDED_WORKERS) {
        snprintf(err, errlen,
                 "field 'workers': %d on the embedded broker, which holds a shared run of at "
                 "most %d workers (it keeps about 5 MiB per partition and drops older records, "
                 "so more workers would lose records to it, not to Kafka); give brokers "
                 "(-b HOST:PORT; scripts/kafka.sh start runs a local Kafka) or workers <= %d",
                 wl->workers, WORKLOAD_EMBEDDED_WORKERS, WORKLOAD_EMBEDDED_WORKERS);
        return -1;
    }
    /* the embedded broker is one broker, and Kafka refuses a replication
     * factor above its broker count ("Unable to replicate the partition N
     * time(s)"): refuse it here, not silently create one replica */
    if (!wl->brokers && wl->replication > 1) {
        snprintf(err, errlen,
                 "field 'replication': %d, but the embedded broker is one broker (Kafka "
                 "refuses a replication factor above its broker count); give brokers "
                 "(-b HOST:PORT) or replication = 1",
                 wl->replication);
        return -1;
    }
    if (wl->key && wl->key_distribution != KEYS_NONE) {
        snprintf(err, errlen,
                 "fields 'key' and 'key_distribution' both set: keys come from a "
                 "CSV column or are synthetic, not both");
        return -1;
    }
    if (!wl->transactional && (wl->abort_every || wl->transaction_size)) {
        snprintf(err, errlen, "field '%s' needs transactional = true",
                 wl->abort_every ? "abort_every" : "transaction_size");
        return -1;
    }
    if (wl->expect_copies > 1 && wl->nphases && !workload_phase_records(wl)) {
        snprintf(err, errlen,
                 "field 'expect_copies': counting copies needs every phase "
                 "bounded by records, not only by duration");
        return -1;
    }
    if (wl->workers > 1 && wl->expect_copies > 1) {
        snprintf(err, errlen,
                 "field 'expect_copies': not with workers > 1 (the workers' "
                 "merged bitmaps tell seen from not seen, not how many copies)");
        return -1;
    }
    if (wl->workers > 1 && wl->abort_every) {
        snprintf(err, errlen,
                 "field 'abort_every': not with workers > 1 (the merge would "
                 "count aborted messages as lost); commits alone work");
        return -1;
    }
    if (wl->transactional && wl->mode == WORKLOAD_SYNC) {
        snprintf(err, errlen, "field 'transactional': not with mode = \"sync\"");
        return -1;
    }
    if (wl->format == ENCODE_AVRO && !wl->schema_registry) {
        snprintf(
            err, errlen,
            "field 'schema_registry': format \"avro\" needs a schema registry URL "
            "(schema_registry = \"http://HOST:PORT\"; scripts/registry.sh start runs one)");
        return -1;
    }
    if (wl->format != ENCODE_AVRO &&
        (wl->avro_types || wl->avro_schema || wl->subject || wl->schema_registry)) {
        snprintf(err, errlen, "field '%s' needs format = \"avro\"",
                 wl->avro_types    ? "avro_types"
                 : wl->avro_schema ? "avro_schema"
                 : wl->subject     ? "subject"
                                   : "schema_registry");
        return -1;
    }
    if (wl->avro_types && wl->avro_schema) {
        snprintf(err, errlen,
                 "fields 'avro_types' and 'avro_schema' both set: the schema file declares the "
                 "types");
        return -1;
    }
    if (!wl->produce && !wl->consume) {
        snprintf(err, errlen, "fields 'produce' and 'consume' are both false: nothing to do");
        return -1;
    }
    if (wl->worker >= wl->workers) {
        snprintf(err, errlen, "field 'worker': %d is not below workers = %d", wl->worker,
                 wl->workers);
        return -1;
    }
    if (wl->workers > 1 && wl->nphases && !workload_phase_records(wl)) {
        snprintf(err, errlen,
                 "field 'workers': several workers need every phase "
                 "bounded by records, not only by duration");
        return -1;
    }
    if (wl->workers > 1 && workload_records(wl) > UINT32_MAX) {
        snprintf(err, errlen,
                 "field 'workers': a run of several workers holds at most "
                 "%u records (32-bit sequence bitmaps)",
                 UINT32_MAX);
        return -1;
    }
    if (wl->consumers > 1 && wl->nphases && !workload_phase_records(wl)) {
        snprintf(err, errlen,
                 "field 'consumers': several consumers need every phase "
                 "bounded by records, not only by duration");
        return -1;
    }
    /* a pipeline's system under test copies topic to consume_topic; the
     * embedded broker lives in this process, where no such system reaches
     * it: the consumer would wait for copies that never come */
    if (!wl->brokers && wl->consume && wl->consume_topic &&
        strcmp(wl->consume_topic, wl->topic)) {
        snprintf(err, errlen,
                 "field 'consume_topic': no brokers given, and on the embedded broker nothing "
                 "copies '%s' to '%s' (a pipeline needs its system under test's cluster: "
                 "-b HOST:PORT, brokers= or KENGINE_BROKERS)",
                 wl->topic, wl->consume_topic);
        return -1;
    }
    for (size_t i = 0; i < wl->nthresholds && !wl->baseline; i++)
        if (wl->thresholds[i].relative) {
            snprintf(err, errlen,
                     "threshold '%s': condition '%s' is relative to a baseline: "
                     "set the field 'baseline' (an NDJSON file of an earlier run)",
                     wl->thresholds[i].metric, wl->thresholds[i].condition);
            return -1;
        }
    return 0;
}
