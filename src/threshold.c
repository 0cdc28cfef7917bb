/*
 * threshold: parsing metric names and conditions, and verdicts. See
 * threshold.h for the metric namespace.
 */
#include "threshold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "latency_ms.p99", "latency_ms.p(99.9)", "latency_ms.max" ... */
static int latency_value(const stats_hist *h, const char *f, double *v) {
    if (strncmp(f, "latency_ms.", 11)) return -1;
    f += 11;
    double p;
    char *end;
    if (!strcmp(f, "max")) p = 100;
    else if (!strcmp(f, "min")) p = 0;
    else if (!strcmp(f, "mean")) {
        *v = h ? stats_hist_mean(h) / 1000.0 : 0;
        return 0;
    } else if (!strcmp(f, "count")) {
        *v = h ? (double)stats_hist_count(h) : 0;
        return 0;
    } else if (!strcmp(f, "p999")) p = 99.9;
    else if (!strncmp(f, "p(", 2)) {
        p = strtod(f + 2, &end);
        if (end == f + 2 || strcmp(end, ")") || p < 0 || p > 100) return -1;
    } else if (f[0] == 'p' && f[1] >= '0' && f[1] <= '9') {
        p = strtod(f + 1, &end);
        if (*end || p > 100) return -1;
    } else {
        return -1;
    }
    *v = !h ? 0 : p == 0 ? (double)stats_hist_min(h) / 1000.0 : report_latency_ms(h, p);
    return 0;
}

static double rate(double n, double secs) { return secs > 0 ? n / secs : 0; }

int threshold_summary_value(const report_summary *s, const char *f, double *v) {
    struct { const char *name; double value; } t[] = {
        {"records", (double)s->records},
        {"sent", (double)s->sent},
        {"delivered", (double)s->delivered},
        {"delivery_errors", (double)s->delivery_errors},
        {"produce_seconds", s->produce_seconds},
        {"produce_msgs_per_sec", rate((double)s->delivered, s->produce_seconds)},
        {"consumed", (double)s->consumed},
        {"lost", (double)s->lost},
        {"unconsumed", (double)s->unconsumed},
        {"duplicates", (double)s->duplicates},
        {"words", (double)s->words},
        {"unique_words_total", (double)s->unique_words_total},
        {"bytes", (double)s->bytes},
        {"consume_seconds", s->consume_seconds},
        {"consume_msgs_per_sec", rate((double)s->consumed, s->consume_seconds)},
        {"consume_mb_per_sec", rate((double)s->bytes / 1048576.0, s->consume_seconds)},
        {"cpu_percent", s->cpu_percent},
        {"peak_rss_mb", s->peak_rss_mb},
        {"csv_skipped", (double)s->csv_skipped},
        {"csv_padded", (double)s->csv_padded},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(f, t[i].name)) {
            *v = t[i].value;
            return 0;
        }
    return latency_value(s->latency, f, v);
}

int threshold_batch_value(const report_batch *b, const char *f, double *v) {
    struct { const char *name; double value; } t[] = {
        {"batch", (double)b->batch},
        {"messages", (double)b->messages},
        {"bytes", (double)b->bytes},
        {"words", (double)b->words},
        {"unique_words", (double)b->unique_words},
        {"delivered", (double)b->delivered},
        {"seconds", b->seconds},
        {"msgs_per_sec", b->msgs_per_sec},
        {"mb_per_sec", b->mb_per_sec},
        {"cpu_percent", b->cpu_percent},
        {"rss_mb", b->rss_mb},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(f, t[i].name)) {
            *v = t[i].value;
            return 0;
        }
    return latency_value(b->latency, f, v);
}

int threshold_phase_value(const report_phase *p, const char *f, double *v) {
    if (!strcmp(f, "sent")) *v = (double)p->sent;
    else if (!strcmp(f, "seconds")) *v = p->seconds;
    else if (!strcmp(f, "msgs_per_sec")) *v = rate((double)p->sent, p->seconds);
    else if (!strcmp(f, "consumed")) *v = (double)p->consumed;
    else return latency_value(p->latency, f, v);
    return 0;
}

static int parse_condition(const char *c, threshold_op *op, double *limit) {
    while (*c == ' ') c++;
    static const struct { const char *s; threshold_op op; } ops[] = {
        {"<=", THRESHOLD_LE}, {">=", THRESHOLD_GE}, {"==", THRESHOLD_EQ},
        {"!=", THRESHOLD_NE}, {"<", THRESHOLD_LT},  {">", THRESHOLD_GT},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].s);
        if (strncmp(c, ops[i].s, n)) continue;
        char *end;
        double d = strtod(c + n, &end);
        while (*end == ' ') end++;
        if (end == c + n || *end || !isfinite(d)) return -1;
        *op = ops[i].op;
        *limit = d;
        return 0;
    }
    return -1;
}

int threshold_parse(threshold *t, const char *metric, const char *condition, bool abort,
                    const char *const *phases, size_t nphases, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (parse_condition(condition, &t->op, &t->limit)) {
        snprintf(err, errlen,
                 "threshold '%s': condition '%s' must be an operator (< <= > >= == !=) "
                 "and a number, e.g. '< 50'", metric, condition);
        return -1;
    }
    t->metric = strdup(metric);
    t->condition = strdup(condition);
    if (!t->metric || !t->condition) goto oom;
    t->abort = abort;
    const char *dot = strchr(metric, '.');
    report_summary s0 = {0};
    report_batch b0 = {0};
    report_phase p0 = {0};
    double v;
    if (!strncmp(metric, "consume_batch.", 14) || !strncmp(metric, "produce_batch.", 14)) {
        t->scope = metric[0] == 'c' ? THRESHOLD_CONSUME_BATCH : THRESHOLD_PRODUCE_BATCH;
        t->field = t->metric + 14;
        if (threshold_batch_value(&b0, t->field, &v) == 0) return 0;
    } else {
        for (size_t i = 0; dot && i < nphases; i++) {
            if (strlen(phases[i]) == (size_t)(dot - metric) &&
                !strncmp(metric, phases[i], (size_t)(dot - metric))) {
                t->scope = THRESHOLD_PHASE;
                t->phase = strndup(metric, (size_t)(dot - metric));
                if (!t->phase) goto oom;
                t->field = t->metric + (dot - metric) + 1;
                if (threshold_phase_value(&p0, t->field, &v) == 0) return 0;
                goto unknown;
            }
        }
        t->scope = THRESHOLD_SUMMARY;
        t->field = t->metric;
        if (threshold_summary_value(&s0, t->field, &v) == 0) {
            if (abort) {
                snprintf(err, errlen, "threshold '%s': abort applies only to "
                                      "consume_batch.* and produce_batch.* metrics", metric);
                threshold_free(t);
                return -1;
            }
            return 0;
        }
    }
unknown:
    snprintf(err, errlen,
             "threshold '%s': no such metric (summary figures such as lost, "
             "consume_msgs_per_sec, latency_ms.p99; PHASE.<figure>; "
             "consume_batch.<figure>; produce_batch.<figure>)", metric);
    threshold_free(t);
    return -1;
oom:
    snprintf(err, errlen, "out of memory");
    threshold_free(t);
    return -1;
}

void threshold_free(threshold *t) {
    free(t->metric);
    free(t->condition);
    free(t->phase);
    memset(t, 0, sizeof *t);
}

int threshold_copy(threshold *dst, const threshold *src) {
    *dst = *src;
    dst->metric = strdup(src->metric);
    dst->condition = strdup(src->condition);
    dst->phase = src->phase ? strdup(src->phase) : NULL;
    dst->evaluated = dst->failed = dst->aborted = false;
    dst->actual = 0;
    if (!dst->metric || !dst->condition || (src->phase && !dst->phase)) {
        threshold_free(dst);
        return -1;
    }
    dst->field = dst->metric + (src->field - src->metric);
    return 0;
}

static bool holds(threshold_op op, double v, double limit) {
    switch (op) {
    case THRESHOLD_LT: return v < limit;
    case THRESHOLD_LE: return v <= limit;
    case THRESHOLD_GT: return v > limit;
    case THRESHOLD_GE: return v >= limit;
    case THRESHOLD_EQ: return v == limit;
    case THRESHOLD_NE: return v != limit;
    }
    return false;
}

/* Is a further from passing than b? (for "worst batch") */
static bool worse(threshold_op op, double a, double b) {
    switch (op) {
    case THRESHOLD_LT:
    case THRESHOLD_LE: return a > b;
    case THRESHOLD_GT:
    case THRESHOLD_GE: return a < b;
    default: return false;
    }
}

bool threshold_check_batch(threshold *ts, size_t n, const report_batch *b) {
    bool stop = false;
    for (size_t i = 0; i < n; i++) {
        threshold *t = &ts[i];
        threshold_scope want =
            b->role == REPORT_PRODUCE ? THRESHOLD_PRODUCE_BATCH : THRESHOLD_CONSUME_BATCH;
        if (t->scope != want) continue;
        double v;
        if (threshold_batch_value(b, t->field, &v)) continue;
        bool ok = holds(t->op, v, t->limit);
        /* report the first failing value, else the worst one */
        if (!t->evaluated || (!t->failed && (!ok || worse(t->op, v, t->actual))))
            t->actual = v;
        t->evaluated = true;
        if (!ok) {
            if (t->abort && !t->failed) {
                t->aborted = true;
                stop = true;
            }
            t->failed = true;
        }
    }
    return stop;
}

int threshold_finish(threshold *ts, size_t n, report_summary *s) {
    int failed = 0;
    report_threshold *out = n ? calloc(n, sizeof *out) : NULL;
    if (n && !out) return -1;
    for (size_t i = 0; i < n; i++) {
        threshold *t = &ts[i];
        double v = 0;
        if (t->scope == THRESHOLD_SUMMARY) {
            threshold_summary_value(s, t->field, &v);
            t->actual = v;
            t->failed = !holds(t->op, v, t->limit);
        } else if (t->scope == THRESHOLD_PHASE) {
            const report_phase *p = NULL;
            for (size_t k = 0; k < s->nphases; k++)
                if (!strcmp(s->phases[k].name, t->phase)) p = &s->phases[k];
            report_phase empty = {.name = t->phase};
            threshold_phase_value(p ? p : &empty, t->field, &v);
            t->actual = v;
            t->failed = !holds(t->op, v, t->limit);
        } else if (!t->evaluated) {
            /* no batch of that role: nothing satisfied it */
            t->failed = true;
        }
        out[i].metric = strdup(t->metric);
        out[i].condition = strdup(t->condition);
        out[i].actual = t->actual;
        out[i].limit = t->limit;
        out[i].pass = !t->failed;
        out[i].aborted = t->aborted;
        if (t->failed) failed++;
    }
    s->thresholds = out;
    s->nthresholds = n;
    return failed;
}
