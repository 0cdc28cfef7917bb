/*
 * stats: librdkafka's statistics (statistics.interval.ms, the stats
 * callback's JSON) made into where a request's time went, per broker, and
 * how far the consumer is behind. The JSON is read with report/ndjson.c's
 * reader, which hands each leaf with its path; librdkafka's broker keys are
 * "host:port/id" (dots in the host), so a broker's leaves are matched by the
 * known suffix ("rtt.p99", "nodeid") and the key is what lies between
 * "brokers." and it.
 *
 * The callback runs on the thread that polls the client (the producer's or
 * the consumer's own loop), once a window: it parses into a fixed struct
 * and, under a mutex, replaces the latest window and adds it to the run's.
 * A batch copies the latest window when it is posted: per batch, never per
 * message. librdkafka's latencies are microseconds; ours are milliseconds.
 */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

/* ---- one statistics document ---- */

/* The parse's state: the broker whose leaves are being read, by key. */
typedef struct {
    kafka_stats_window *w;
    kafka_stats_broker *cur;            /* NULL: a broker beyond the table, or none yet */
    char key[160];                      /* its key ("host:port/id") */
    uint64_t lag_stored, lag_committed; /* summed over the partitions known */
    bool stored_known, committed_known;
    int64_t committed[KAFKA_STATS_PARTITIONS]; /* by partition, -1 unknown */
} parse_state;

/* P of "topics.T.partitions.P.FIELD", or -1. */
static long partition_of(const char *path) {
    const char *p = NULL;
    for (const char *q = strstr(path, ".partitions."); q; q = strstr(q + 1, ".partitions."))
        p = q + 12;
    if (!p || *p < '0' || *p > '9') return -1;
    return strtol(p, NULL, 10);
}

/* A broker leaf: what follows "brokers.KEY.", for each figure we read. */
typedef enum {
    B_NODEID,
    B_NODENAME,
    B_SOURCE,
    B_RTT_AVG,
    B_RTT_P99,
    B_RTT_CNT,
    B_INT_AVG,
    B_INT_P99,
    B_INT_CNT,
    B_OUTBUF_AVG,
    B_THROTTLE_MAX
} broker_leaf;

static const struct {
    const char *suffix;
    broker_leaf what;
} BROKER_LEAVES[] = {
    {"nodeid", B_NODEID},
    {"nodename", B_NODENAME},
    {"source", B_SOURCE},
    {"rtt.avg", B_RTT_AVG},
    {"rtt.p99", B_RTT_P99},
    {"rtt.cnt", B_RTT_CNT},
    {"int_latency.avg", B_INT_AVG},
    {"int_latency.p99", B_INT_P99},
    {"int_latency.cnt", B_INT_CNT},
    {"outbuf_latency.avg", B_OUTBUF_AVG},
    {"throttle.max", B_THROTTLE_MAX},
};

static bool ends_with(const char *s, size_t len, const char *suffix, size_t slen) {
    return len > slen && s[len - slen - 1] == '.' && !memcmp(s + len - slen, suffix, slen);
}

/* The entry of broker `key` (found or added), or NULL when the table is full. */
static kafka_stats_broker *broker_of(parse_state *ps, const char *key, size_t klen) {
    if (ps->cur && strlen(ps->key) == klen && !memcmp(ps->key, key, klen)) return ps->cur;
    ps->cur = NULL;
    snprintf(ps->key, sizeof ps->key, "%.*s", (int)klen, key);
    if (ps->w->nbrokers >= RUN_BROKERS_MAX) return NULL;
    ps->cur = &ps->w->brokers[ps->w->nbrokers++];
    memset(ps->cur, 0, sizeof *ps->cur);
    ps->cur->b.id = -1;
    return ps->cur;
}

static void broker_leaf_set(kafka_stats_broker *e, broker_leaf what, double num,
                            const char *str) {
    run_broker *b = &e->b;
    switch (what) {
    case B_NODEID: b->id = (int32_t)num; break;
    case B_NODENAME: snprintf(b->name, sizeof b->name, "%s", str ? str : ""); break;
    /* "logical" (a group coordinator's handle) and "internal" ones stand
     * for no connection of their own */
    case B_SOURCE:
        e->logical = str && strcmp(str, "learned") && strcmp(str, "configured");
        break;
    case B_RTT_AVG: b->rtt_mean_ms = num / 1000.0; break;
    case B_RTT_P99: b->rtt_p99_ms = num / 1000.0; break;
    case B_RTT_CNT: b->requests = num > 0 ? (uint64_t)num : 0; break;
    case B_INT_AVG: b->queue_mean_ms = num / 1000.0; break;
    case B_INT_P99: b->queue_p99_ms = num / 1000.0; break;
    case B_INT_CNT: e->queued = num > 0 ? (uint64_t)num : 0; break;
    case B_OUTBUF_AVG: b->outbuf_mean_ms = num / 1000.0; break;
    case B_THROTTLE_MAX: b->throttle_max_ms = num; break; /* throttle is in ms */
    }
}

static int on_leaf(void *ud, const char *path, ndjson_kind kind, double num, const char *str,
                   size_t len) {
    (void)len;
    parse_state *ps = ud;
    size_t plen = strlen(path);
    if (!strncmp(path, "brokers.", 8)) {
        for (size_t i = 0; i < sizeof BROKER_LEAVES / sizeof BROKER_LEAVES[0]; i++) {
            size_t slen = strlen(BROKER_LEAVES[i].suffix);
            if (plen <= 8 + slen + 1 || !ends_with(path, plen, BROKER_LEAVES[i].suffix, slen))
                continue;
            const char *key = path + 8;
            size_t klen = plen - 8 - slen - 1;
            /* a leaf deeper in the broker (toppars.T.rtt...) is no match:
             * the key would hold a '.' followed by one of its sections */
            if (memchr(key, '.', klen) && (strstr(key, ".toppars.") || strstr(key, ".req.")))
                continue;
            kafka_stats_broker *e = broker_of(ps, key, klen);
            if (e && (kind == NDJSON_NUMBER || kind == NDJSON_STRING))
                broker_leaf_set(e, BROKER_LEAVES[i].what, num,
                                kind == NDJSON_STRING ? str : NULL);
            return 0;
        }
        return 0;
    }
    /* topics.T.partitions.P.consumer_lag_stored: the partition's end less
     * the offset the application took (its position: kengine does not
     * commit, so consumer_lag, from the committed offset, stays -1 with it);
     * -1 until known, and always for the internal partition -1 */
    static const char STORED[] = ".consumer_lag_stored", LAG[] = ".consumer_lag";
    if (strncmp(path, "topics.", 7) || kind != NDJSON_NUMBER || num < 0 ||
        !strstr(path, ".partitions."))
        return 0;
    long part = partition_of(path);
    bool kept = part >= 0 && part < KAFKA_STATS_PARTITIONS;
    if (plen > sizeof STORED && !strcmp(path + plen - (sizeof STORED - 1), STORED)) {
        ps->lag_stored += (uint64_t)num;
        ps->stored_known = true;
        if (kept) ps->w->part_lag[part] = (int64_t)num;
    } else if (plen > sizeof LAG && !strcmp(path + plen - (sizeof LAG - 1), LAG)) {
        ps->lag_committed += (uint64_t)num;
        ps->committed_known = true;
        if (kept) ps->committed[part] = (int64_t)num;
    } else {
        return 0;
    }
    if (kept && (size_t)part + 1 > ps->w->npart) ps->w->npart = (size_t)part + 1;
    return 0;
}

int kafka_stats_parse(const char *json, kafka_stats_window *w, char *err, size_t errlen) {
    memset(w, 0, sizeof *w);
    parse_state ps = {.w = w};
    for (size_t i = 0; i < KAFKA_STATS_PARTITIONS; i++) w->part_lag[i] = ps.committed[i] = -1;
    if (ndjson_parse(json, on_leaf, &ps, err, errlen)) return -1;
    /* bootstrap connections (no node id yet) and the handles standing for a
     * coordinator (which share a broker's id) are no broker of their own */
    size_t k = 0;
    for (size_t i = 0; i < w->nbrokers; i++)
        if (w->brokers[i].b.id >= 0 && !w->brokers[i].logical) w->brokers[k++] = w->brokers[i];
    w->nbrokers = k;
    /* the application's position when known, else the committed offset's */
    w->lag_known = ps.stored_known || ps.committed_known;
    w->consumer_lag = ps.stored_known ? ps.lag_stored : ps.lag_committed;
    for (size_t i = 0; i < w->npart; i++)
        if (w->part_lag[i] < 0) w->part_lag[i] = ps.committed[i];
    return 0;
}

/* ---- the run's accumulation ---- */

void kafka_stats_init(kafka_stats *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

void kafka_stats_destroy(kafka_stats *s) { pthread_mutex_destroy(&s->mu); }

/* The run's entry of broker id (found or added), or NULL when full. */
static kafka_stats_total *total_of(kafka_stats *s, const run_broker *b) {
    for (size_t i = 0; i < s->ntotal; i++)
        if (s->total[i].b.id == b->id) return &s->total[i];
    if (s->ntotal >= RUN_BROKERS_MAX) return NULL;
    kafka_stats_total *t = &s->total[s->ntotal++];
    memset(t, 0, sizeof *t);
    t->b.id = b->id;
    return t;
}

void kafka_stats_add(kafka_stats *s, const kafka_stats_window *w) {
    pthread_mutex_lock(&s->mu);
    s->last = *w;
    s->windows++;
    if (w->lag_known && w->consumer_lag > s->lag_max) s->lag_max = w->consumer_lag;
    for (size_t i = 0; i < w->npart; i++)
        if (w->part_lag[i] >= 0 && (uint64_t)w->part_lag[i] > s->part_lag_max[i])
            s->part_lag_max[i] = (uint64_t)w->part_lag[i];
    if (w->npart > s->npart) s->npart = w->npart;
    for (size_t i = 0; i < w->nbrokers; i++) {
        const run_broker *b = &w->brokers[i].b;
        kafka_stats_total *t = total_of(s, b);
        if (!t) continue;
        memcpy(t->b.name, b->name, sizeof t->b.name);
        /* a window's means are over its requests; the run's weigh them so */
        t->b.requests += b->requests;
        t->rtt_sum += b->rtt_mean_ms * (double)b->requests;
        if (b->rtt_p99_ms > t->b.rtt_p99_ms) t->b.rtt_p99_ms = b->rtt_p99_ms;
        /* the queue's mean is over the window's messages */
        t->queue_sum += b->queue_mean_ms * (double)w->brokers[i].queued;
        t->queue_weight += (double)w->brokers[i].queued;
        if (b->queue_p99_ms > t->b.queue_p99_ms) t->b.queue_p99_ms = b->queue_p99_ms;
        t->outbuf_sum += b->outbuf_mean_ms * (double)b->requests;
        if (b->throttle_max_ms > t->b.throttle_max_ms)
            t->b.throttle_max_ms = b->throttle_max_ms;
    }
    pthread_mutex_unlock(&s->mu);
}

static run_broker *brokers_dup(const run_broker *src, size_t n) {
    run_broker *b = n ? malloc(n * sizeof *b) : NULL;
    if (b) memcpy(b, src, n * sizeof *b);
    return b;
}

void kafka_stats_batch(kafka_stats *s, run_batch *b) {
    pthread_mutex_lock(&s->mu);
    run_broker tmp[RUN_BROKERS_MAX];
    size_t n = s->last.nbrokers;
    for (size_t i = 0; i < n; i++) tmp[i] = s->last.brokers[i].b;
    b->consumer_lag = s->last.consumer_lag;
    pthread_mutex_unlock(&s->mu);
    b->brokers = brokers_dup(tmp, n);
    b->nbrokers = b->brokers ? n : 0;
}

uint64_t kafka_stats_lag_max(kafka_stats *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->lag_max;
    pthread_mutex_unlock(&s->mu);
    return v;
}

size_t kafka_stats_part_lag(kafka_stats *s, uint64_t *out, size_t max) {
    pthread_mutex_lock(&s->mu);
    size_t n = s->npart < max ? s->npart : max;
    memcpy(out, s->part_lag_max, n * sizeof *out);
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t kafka_stats_run(kafka_stats *s, run_broker *out, size_t max) {
    pthread_mutex_lock(&s->mu);
    size_t n = 0;
    for (size_t i = 0; i < s->ntotal && n < max; i++) {
        const kafka_stats_total *t = &s->total[i];
        run_broker b = t->b;
        double req = (double)t->b.requests;
        b.rtt_mean_ms = req > 0 ? t->rtt_sum / req : 0;
        b.outbuf_mean_ms = req > 0 ? t->outbuf_sum / req : 0;
        b.queue_mean_ms = t->queue_weight > 0 ? t->queue_sum / t->queue_weight : 0;
        out[n++] = b;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

int kafka_stats_take(kafka_stats *s, const char *json) {
    kafka_stats_window w;
    char err[128];
    if (kafka_stats_parse(json, &w, err, sizeof err)) return -1;
    kafka_stats_add(s, &w);
    return 0;
}
