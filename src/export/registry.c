/*
 * registry: the exported series (registry.h). The families are made from
 * the figures' descriptors once (names in Prometheus's conventions: base
 * units, _total on counters); a series is a family and its labels, with a
 * number or a histogram. A run has a few dozen series, so lookups are
 * linear, on the main thread, once per figure per batch.
 */
#include "registry.h"

#include "markdown.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the families, from the table of figures ---- */

/* How a unit of the table becomes a base unit: a name ending in `from`
 * has it replaced by `to` (else `to` is appended), the value scaled. */
static const struct {
    const char *unit, *from, *to;
    double scale;
} UNITS[] = {
    {"ms", "_ms", "_seconds", 1e-3},
    {"s", "_seconds", "_seconds", 1.0},
    {"MB", "_mb", "_bytes", 1048576.0},
    {"MB/s", "_mb_per_sec", "_bytes_per_second", 1048576.0},
    {"msgs/s", "_msgs_per_sec", "_messages_per_second", 1.0},
    {"%", "_percent", "_ratio", 0.01},
};

static const char *const OWN_NAMES[EXPORT_OWN_N] = {[EXPORT_OWN_DONE] = "kengine_run_done",
                                                    [EXPORT_OWN_RW_FAILURES] =
                                                        "kengine_remote_write_failures_total"};
static const char *const OWN_HELP[EXPORT_OWN_N] = {
    [EXPORT_OWN_DONE] = "1 once the run's summary is in: its counters are then the summary's",
    [EXPORT_OWN_RW_FAILURES] = "remote-write pushes that failed (the first one is warned of)"};
static const export_type OWN_TYPES[EXPORT_OWN_N] = {
    [EXPORT_OWN_DONE] = EXPORT_GAUGE, [EXPORT_OWN_RW_FAILURES] = EXPORT_COUNTER};

#define MAX_FAMILIES                                                                           \
    (FIGURES_SUMMARY_N + FIGURES_BATCH_N + FIGURES_PHASE_N + FIGURES_BROKER_N + EXPORT_OWN_N)
static export_family FAMILIES[MAX_FAMILIES];
static size_t NFAMILIES;
/* where each figure's family is, by scope and figure index; -1 none */
static int FAMILY_OF[4][MAX_FAMILIES];
static int OWN_FAMILY[EXPORT_OWN_N];
static pthread_once_t FAMILIES_ONCE = PTHREAD_ONCE_INIT;

static bool ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

/* The family of figure f in `scope` (prefix kengine_, kengine_batch_,
 * kengine_phase_ or kengine_broker_); false when the figure is not
 * exported on its own. A count that adds up (merge SUM, or a set's size)
 * is a counter, except on a batch or a broker's statistics window, which
 * are gauges of the last one; the largest of something (MAX) is a gauge. */
static bool make_family(export_family *fam, figure_scope scope, const figure *f) {
    static const char *const PREFIX[] = {[FIGURES_IN_SUMMARY] = "kengine_",
                                         [FIGURES_IN_BATCH] = "kengine_batch_",
                                         [FIGURES_IN_PHASE] = "kengine_phase_",
                                         [FIGURES_IN_BROKER] = "kengine_broker_"};
    /* a batch's latency is the run's histogram, merged (kengine_latency_seconds) */
    if (scope == FIGURES_IN_BATCH && f->type == FIGURE_LATENCY) return false;
    char name[96];
    snprintf(name, sizeof name, "_%s", f->name);
    fam->scale = 1.0;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (strcmp(f->unit, UNITS[i].unit)) continue;
        if (ends_with(name, UNITS[i].from)) name[strlen(name) - strlen(UNITS[i].from)] = '\0';
        strncat(name, UNITS[i].to, sizeof name - strlen(name) - 1);
        fam->scale = UNITS[i].scale;
    }
    if (f->type == FIGURE_LATENCY) {
        fam->type = EXPORT_HISTOGRAM;
        fam->scale = 1e-6; /* the histograms hold microseconds (visit divides by 1e6) */
    } else if (f->type == FIGURE_COUNT && scope != FIGURES_IN_BATCH &&
               scope != FIGURES_IN_BROKER &&
               (f->merge == FIGURE_SUM || f->merge == FIGURE_BITMAP ||
                f->merge == FIGURE_UNION)) {
        fam->type = EXPORT_COUNTER;
        if (!ends_with(name, "_total")) strncat(name, "_total", sizeof name - strlen(name) - 1);
    } else {
        fam->type = EXPORT_GAUGE;
    }
    snprintf(fam->name, sizeof fam->name, "%s%s", PREFIX[scope], name + 1);
    static const char *const OF[] = {[FIGURES_IN_SUMMARY] = "the summary's",
                                     [FIGURES_IN_BATCH] = "a batch's",
                                     [FIGURES_IN_PHASE] = "a phase's",
                                     [FIGURES_IN_BROKER] = "a broker's"};
    if (fam->scale == 1.0)
        snprintf(fam->help, sizeof fam->help, "%s (NDJSON: %s %s)", f->how, OF[scope], f->name);
    else
        snprintf(fam->help, sizeof fam->help, "%s (NDJSON: %s %s in %s, here in base units)",
                 f->how, OF[scope], f->name, f->unit);
    fam->scope = scope;
    fam->fig = f;
    return true;
}

static void make_families(void) {
    memset(FAMILY_OF, -1, sizeof FAMILY_OF);
    const figure_scope scopes[] = {FIGURES_IN_SUMMARY, FIGURES_IN_BATCH, FIGURES_IN_PHASE,
                                   FIGURES_IN_BROKER};
    for (size_t s = 0; s < 4; s++) {
        size_t n;
        const figure *f = figures_list(scopes[s], &n);
        for (size_t i = 0; i < n && NFAMILIES < MAX_FAMILIES; i++)
            if (make_family(&FAMILIES[NFAMILIES], scopes[s], &f[i]))
                FAMILY_OF[scopes[s]][i] = (int)NFAMILIES++;
    }
    for (int k = 0; k < EXPORT_OWN_N; k++) {
        export_family *fam = &FAMILIES[NFAMILIES];
        snprintf(fam->name, sizeof fam->name, "%s", OWN_NAMES[k]);
        snprintf(fam->help, sizeof fam->help, "%s", OWN_HELP[k]);
        fam->type = OWN_TYPES[k];
        fam->scale = 1.0;
        OWN_FAMILY[k] = (int)NFAMILIES++;
    }
}

const export_family *export_families(size_t *n) {
    pthread_once(&FAMILIES_ONCE, make_families);
    *n = NFAMILIES;
    return FAMILIES;
}

/* 1-2-5 steps from 100 us to 50 s: a run's latency from loopback to a
 * stalled broker, each bucket at most 2.5 times its lower bound. */
static const double BUCKETS[] = {0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                 0.1,    0.2,    0.5,    1,     2,     5,     10,   20,   50};

const double *export_buckets(size_t *n) {
    *n = sizeof BUCKETS / sizeof BUCKETS[0];
    return BUCKETS;
}

static const char *const TYPE_NAMES[] = {
    [EXPORT_COUNTER] = "counter", [EXPORT_GAUGE] = "gauge", [EXPORT_HISTOGRAM] = "histogram"};

/* The labels a family's series carry. */
static const char *family_labels(const export_family *f) {
    if (!f->fig) return "run, worker, topic";
    if (f->scope == FIGURES_IN_BATCH) return "run, worker, topic, role, consumer";
    if (f->scope == FIGURES_IN_PHASE) return "run, worker, topic, phase";
    if (f->scope == FIGURES_IN_BROKER) return "run, worker, topic, role, broker, address";
    return "run, worker, topic";
}

void export_help(FILE *out) {
    size_t n;
    const export_family *f = export_families(&n);
    fputs("Series kengine exports (--metrics, --prometheus-rw; docs/metrics.md).\n"
          "Columns: name, type, labels, meaning. Histograms add _bucket{le}, _sum, _count.\n\n",
          out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-45s %-9s %-41s  %s\n", f[i].name, TYPE_NAMES[f[i].type],
                family_labels(&f[i]), f[i].help);
}

void export_markdown(FILE *out) {
    static const char *const head[] = {"series", "type", "labels", "meaning"};
    markdown_header(out, head, 4);
    size_t n;
    const export_family *f = export_families(&n);
    for (size_t i = 0; i < n; i++) {
        char name[128];
        snprintf(name, sizeof name, "`%.96s`", f[i].name);
        const char *cells[] = {name, TYPE_NAMES[f[i].type], family_labels(&f[i]), f[i].help};
        markdown_row(out, cells, 4);
    }
}

/* ---- which batch figure moves which summary counter during the run ---- */

static const struct {
    figure_summary_id to;
    run_role role;
    figure_batch_id from;
    bool add; /* add the batch's value; else the batch's value is the total so far */
} LIVE[] = {
    {FIGURE_SUMMARY_sent, RUN_PRODUCE, FIGURE_BATCH_messages, true},
    {FIGURE_SUMMARY_delivered, RUN_PRODUCE, FIGURE_BATCH_delivered, false},
    {FIGURE_SUMMARY_consumed, RUN_CONSUME, FIGURE_BATCH_messages, true},
    {FIGURE_SUMMARY_bytes, RUN_CONSUME, FIGURE_BATCH_bytes, true},
    {FIGURE_SUMMARY_words, RUN_CONSUME, FIGURE_BATCH_words, true},
    {FIGURE_SUMMARY_latency_ms, RUN_CONSUME, FIGURE_BATCH_latency_ms, true},
};

/* ---- the registry ---- */

typedef struct {
    char *run, *topic;
    char worker[16]; /* "" when not a shared run */
} leg;

typedef struct {
    size_t fam, leg;
    int role;      /* -1, or RUN_PRODUCE / RUN_CONSUME (batch series) */
    int consumer;  /* 0, or the consumer (consume batch series) */
    char *phase;   /* phase series: the phase's name (owned) */
    int broker;    /* broker series: the broker's node id; -1 none */
    char *address; /* broker series: its host:port (owned) */
    double value;
    stats_hist *hist; /* histograms (owned) */
} series;

struct export_registry {
    leg *legs;
    size_t nlegs;
    series *series;
    size_t nseries, cap;
};

export_registry *export_registry_new(void) {
    size_t n;
    export_families(&n);
    return calloc(1, sizeof(export_registry));
}

void export_registry_free(export_registry *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nlegs; i++) {
        free(r->legs[i].run);
        free(r->legs[i].topic);
    }
    for (size_t i = 0; i < r->nseries; i++) {
        free(r->series[i].phase);
        free(r->series[i].address);
        stats_hist_free(r->series[i].hist);
    }
    free(r->legs);
    free(r->series);
    free(r);
}

int export_registry_leg(export_registry *r, const char *run, int worker, const char *topic) {
    leg *legs = realloc(r->legs, (r->nlegs + 1) * sizeof *legs);
    if (!legs) return -1;
    r->legs = legs;
    leg *l = &legs[r->nlegs];
    l->run = strdup(run ? run : "");
    l->topic = strdup(topic ? topic : "");
    if (!l->run || !l->topic) {
        free(l->run);
        free(l->topic);
        return -1;
    }
    snprintf(l->worker, sizeof l->worker, worker >= 0 ? "%d" : "", worker);
    r->nlegs++;
    return 0;
}

/* A series' labels beyond the leg's. */
typedef struct {
    int role, consumer; /* -1, 0: none */
    const char *phase;  /* NULL: none */
    const run_broker *broker;
} which;

/* The series of family `fam` with these labels in the current leg, made
 * (zero) when new; NULL on OOM or before any leg. */
static series *find(export_registry *r, int fam, which w) {
    if (!r->nlegs || fam < 0) return NULL;
    size_t lg = r->nlegs - 1;
    const char *phase = w.phase ? w.phase : "";
    int broker = w.broker ? w.broker->id : -1;
    for (size_t i = 0; i < r->nseries; i++) {
        series *s = &r->series[i];
        if (s->fam == (size_t)fam && s->leg == lg && s->role == w.role &&
            s->consumer == w.consumer && s->broker == broker &&
            !strcmp(s->phase ? s->phase : "", phase))
            return s;
    }
    if (r->nseries == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        series *ns = realloc(r->series, cap * sizeof *ns);
        if (!ns) return NULL;
        r->series = ns;
        r->cap = cap;
    }
    series *s = &r->series[r->nseries];
    *s = (series){.fam = (size_t)fam,
                  .leg = lg,
                  .role = w.role,
                  .consumer = w.consumer,
                  .broker = broker};
    if ((w.phase && !(s->phase = strdup(w.phase))) ||
        (w.broker && !(s->address = strdup(w.broker->name))) ||
        (FAMILIES[fam].type == EXPORT_HISTOGRAM && !(s->hist = stats_hist_new()))) {
        free(s->phase);
        free(s->address);
        return NULL;
    }
    r->nseries++;
    return s;
}

/* Sets (or, with `add`, adds to) a series from figure value v. */
static int put(export_registry *r, int fam, which w, figure_value v, bool add) {
    if (fam < 0) return 0;
    if (FAMILIES[fam].type == EXPORT_HISTOGRAM && !v.h) return 0;
    series *s = find(r, fam, w);
    if (!s) return -1;
    if (s->hist) {
        if (!add) stats_hist_reset(s->hist);
        stats_hist_merge(s->hist, v.h);
    } else {
        s->value = add ? s->value + v.v : v.v;
    }
    return 0;
}

int export_registry_batch(export_registry *r, const run_batch *b) {
    size_t n;
    const figure *f = figures_list(FIGURES_IN_BATCH, &n);
    unsigned role = b->role == RUN_PRODUCE ? FIGURE_PRODUCE : FIGURE_CONSUME;
    int consumer = b->role == RUN_CONSUME ? b->consumer : 0;
    which w = {.role = (int)b->role, .consumer = consumer};
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (f[i].roles & role)
            rc |= put(r, FAMILY_OF[FIGURES_IN_BATCH][i], w, f[i].get(b), false);
    const which run = {.role = -1};
    for (size_t i = 0; i < sizeof LIVE / sizeof LIVE[0]; i++) {
        if (LIVE[i].role != b->role) continue;
        figure_value v = f[LIVE[i].from].get(b);
        rc |= put(r, FAMILY_OF[FIGURES_IN_SUMMARY][LIVE[i].to], run, v, LIVE[i].add);
    }
    /* the client's brokers, as its last statistics window saw them */
    f = figures_list(FIGURES_IN_BROKER, &n);
    for (size_t k = 0; k < b->nbrokers; k++) {
        which wb = {.role = (int)b->role, .broker = &b->brokers[k]};
        for (size_t i = 0; i < n; i++)
            rc |= put(r, FAMILY_OF[FIGURES_IN_BROKER][i], wb, f[i].get(&b->brokers[k]), false);
    }
    return rc;
}

int export_registry_summary(export_registry *r, const run_summary *s) {
    size_t n;
    const figure *f = figures_list(FIGURES_IN_SUMMARY, &n);
    int rc = 0;
    const which run = {.role = -1};
    for (size_t i = 0; i < n; i++)
        rc |= put(r, FAMILY_OF[FIGURES_IN_SUMMARY][i], run, f[i].get(s), false);
    f = figures_list(FIGURES_IN_PHASE, &n);
    for (size_t p = 0; p < s->nphases; p++) {
        which wp = {.role = -1, .phase = s->phases[p].name};
        for (size_t i = 0; i < n; i++)
            rc |= put(r, FAMILY_OF[FIGURES_IN_PHASE][i], wp, f[i].get(&s->phases[p]), false);
    }
    return rc | export_registry_own(r, EXPORT_OWN_DONE, 1);
}

int export_registry_own(export_registry *r, export_own own, double v) {
    return put(r, OWN_FAMILY[own], (which){.role = -1}, (figure_value){.v = v}, false);
}

void export_number(char *buf, size_t len, double v) {
    if (isnan(v))
        snprintf(buf, len, "NaN");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else {
        snprintf(buf, len, "%.15g", v);
        if (strtod(buf, NULL) != v) snprintf(buf, len, "%.17g", v);
    }
}

/* Visits one series' samples. */
static void visit(const export_registry *r, const series *s, export_sample_fn fn, void *ud) {
    const export_family *fam = &FAMILIES[s->fam];
    const leg *l = &r->legs[s->leg];
    char consumer[16], broker[16], le[32];
    snprintf(consumer, sizeof consumer, s->consumer ? "%d" : "", s->consumer);
    snprintf(broker, sizeof broker, s->broker >= 0 ? "%d" : "", s->broker);
    const char *role = s->role < 0 ? "" : s->role == RUN_PRODUCE ? "produce" : "consume";
    const char *names[] = {"run",      "worker", "topic",  "role",
                           "consumer", "phase",  "broker", "address"};
    const char *values[] = {l->run,   l->worker,
                            l->topic, role,
                            consumer, s->phase ? s->phase : "",
                            broker,   s->address ? s->address : ""};
    export_label labels[sizeof names / sizeof names[0] + 1];
    size_t n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (values[i][0]) labels[n++] = (export_label){names[i], values[i]};
    if (!s->hist) {
        fn(ud, fam, "", labels, n, s->value * fam->scale);
        return;
    }
    labels[n] = (export_label){"le", le};
    size_t nb;
    const double *b = export_buckets(&nb);
    for (size_t i = 0; i < nb; i++) {
        export_number(le, sizeof le, b[i]);
        uint64_t us = (uint64_t)llround(b[i] * 1e6);
        fn(ud, fam, "_bucket", labels, n + 1, (double)stats_hist_count_le(s->hist, us));
    }
    double count = (double)stats_hist_count(s->hist);
    snprintf(le, sizeof le, "+Inf");
    fn(ud, fam, "_bucket", labels, n + 1, count);
    /* divided, not scaled by 1e-6: 34500 us is 0.0345 s, not 0.034499999999999996 */
    fn(ud, fam, "_sum", labels, n, stats_hist_mean(s->hist) * count / 1e6);
    fn(ud, fam, "_count", labels, n, count);
}

void export_registry_each(const export_registry *r, export_sample_fn fn, void *ud) {
    for (size_t f = 0; f < NFAMILIES; f++)
        for (size_t i = 0; i < r->nseries; i++)
            if (r->series[i].fam == f) visit(r, &r->series[i], fn, ud);
}

/* ---- the text format ---- */

/* Writes s escaped for the text format: \ and newline, and " in labels. */
static void escape(FILE *out, const char *s, bool quote) {
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '"' && quote)
            fputs("\\\"", out);
        else
            fputc(*s, out);
    }
}

typedef struct {
    FILE *out;
    const export_family *last;
} text_ctx;

static void text_sample(void *ud, const export_family *fam, const char *suffix,
                        const export_label *labels, size_t n, double v) {
    text_ctx *t = ud;
    if (fam != t->last) {
        fprintf(t->out, "# HELP %s ", fam->name);
        escape(t->out, fam->help, false);
        fprintf(t->out, "\n# TYPE %s %s\n", fam->name, TYPE_NAMES[fam->type]);
        t->last = fam;
    }
    fprintf(t->out, "%s%s", fam->name, suffix);
    for (size_t i = 0; i < n; i++) {
        fprintf(t->out, "%s%s=\"", i ? "," : "{", labels[i].name);
        escape(t->out, labels[i].value, true);
        fputc('"', t->out);
    }
    char num[40];
    export_number(num, sizeof num, v);
    fprintf(t->out, "%s %s\n", n ? "}" : "", num);
}

void export_text_write(FILE *out, const export_registry *r) {
    text_ctx t = {out, NULL};
    export_registry_each(r, text_sample, &t);
}
