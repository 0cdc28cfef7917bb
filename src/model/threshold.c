/*
 * threshold: parsing metric names and conditions, and verdicts. See
 * threshold.h for the metric namespace.
 */
#include "threshold.h"

#include "figures.h"
#include "suggest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "OP NUMBER", "OP NUMBER * base" or "OP base" (factor 1). */
static int parse_condition(const char *c, threshold_op *op, double *limit, bool *relative) {
    while (*c == ' ') c++;
    static const struct {
        const char *s;
        threshold_op op;
    } ops[] = {
        {"<=", THRESHOLD_LE}, {">=", THRESHOLD_GE}, {"==", THRESHOLD_EQ},
        {"!=", THRESHOLD_NE}, {"<", THRESHOLD_LT},  {">", THRESHOLD_GT},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].s);
        if (strncmp(c, ops[i].s, n)) continue;
        char *end;
        const char *v = c + n;
        while (*v == ' ') v++;
        *relative = false;
        double d = 1;
        if (!strncmp(v, "base", 4)) {
            end = (char *)v + 4;
            *relative = true;
        } else {
            d = strtod(v, &end);
            if (end == v || !isfinite(d)) return -1;
            while (*end == ' ') end++;
            if (*end == '*') {
                end++;
                while (*end == ' ') end++;
                if (strncmp(end, "base", 4)) return -1;
                end += 4;
                *relative = true;
            }
        }
        while (*end == ' ') end++;
        if (*end) return -1;
        *op = ops[i].op;
        *limit = d;
        return 0;
    }
    return -1;
}

/* ", did you mean 'X'?" for an unknown metric: the nearest figure (or
 * latency statistic) of the scope it was parsed in; "" if none is near. */
static void metric_hint(char *buf, size_t len, const threshold *t) {
    static const figure_scope SCOPE[] = {[THRESHOLD_SUMMARY] = FIGURES_IN_SUMMARY,
                                         [THRESHOLD_PHASE] = FIGURES_IN_PHASE,
                                         [THRESHOLD_PRODUCE_BATCH] = FIGURES_IN_BATCH,
                                         [THRESHOLD_CONSUME_BATCH] = FIGURES_IN_BATCH};
    unsigned role = t->scope == THRESHOLD_PRODUCE_BATCH   ? FIGURE_PRODUCE
                    : t->scope == THRESHOLD_CONSUME_BATCH ? FIGURE_CONSUME
                                                          : FIGURE_ANY;
    size_t n, ns, k = 0;
    const figure *f = figures_list(SCOPE[t->scope], &n);
    const figure_stat *st = figures_latency_stats(&ns);
    const char *names[64];
    char lat[16][32];
    bool has_latency = false;
    for (size_t i = 0; i < n && k < 64; i++) {
        if (!(f[i].roles & role)) continue;
        if (f[i].type == FIGURE_LATENCY)
            has_latency = true;
        else
            names[k++] = f[i].name;
    }
    for (size_t i = 0; has_latency && i < ns && i < 16 && k < 64; i++) {
        snprintf(lat[i], sizeof lat[i], "latency_ms.%s", st[i].name);
        names[k++] = lat[i];
    }
    const char *near = suggest_nearest(t->field, names, k);
    if (near)
        snprintf(buf, len, ", did you mean '%.*s%s'?", (int)(t->field - t->metric), t->metric,
                 near);
    else
        buf[0] = '\0';
}

int threshold_parse(threshold *t, const char *metric, const char *condition, bool abort,
                    const char *const *phases, size_t nphases, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (parse_condition(condition, &t->op, &t->limit, &t->relative)) {
        snprintf(err, errlen,
                 "threshold '%s': condition '%s' must be an operator (< <= > >= == !=) "
                 "and a number, e.g. '< 50', or a factor of the baseline's value, e.g. "
                 "'>= 0.9 * base'",
                 metric, condition);
        return -1;
    }
    if (t->relative) t->factor = t->limit;
    t->metric = strdup(metric);
    t->condition = strdup(condition);
    if (!t->metric || !t->condition) goto oom;
    t->abort = abort;
    const char *dot = strchr(metric, '.');
    run_summary s0 = {0};
    run_batch b0 = {0};
    run_phase p0 = {0};
    double v;
    bool summary_scope =
        strncmp(metric, "consume_batch.", 14) && strncmp(metric, "produce_batch.", 14);
    for (size_t i = 0; dot && i < nphases; i++)
        if (strlen(phases[i]) == (size_t)(dot - metric) &&
            !strncmp(metric, phases[i], (size_t)(dot - metric)))
            summary_scope = false;
    if (t->relative && !summary_scope) {
        snprintf(err, errlen,
                 "threshold '%s': a condition relative to the baseline ('* base') "
                 "applies to summary figures only",
                 metric);
        threshold_free(t);
        return -1;
    }
    if (!strncmp(metric, "consume_batch.", 14) || !strncmp(metric, "produce_batch.", 14)) {
        bool consume = metric[0] == 'c';
        t->scope = consume ? THRESHOLD_CONSUME_BATCH : THRESHOLD_PRODUCE_BATCH;
        t->field = t->metric + 14;
        if (figures_value(FIGURES_IN_BATCH, consume ? FIGURE_CONSUME : FIGURE_PRODUCE, &b0,
                          t->field, &v) == 0)
            return 0;
    } else {
        for (size_t i = 0; dot && i < nphases; i++) {
            if (strlen(phases[i]) == (size_t)(dot - metric) &&
                !strncmp(metric, phases[i], (size_t)(dot - metric))) {
                t->scope = THRESHOLD_PHASE;
                t->phase = strndup(metric, (size_t)(dot - metric));
                if (!t->phase) goto oom;
                t->field = t->metric + (dot - metric) + 1;
                if (figures_value(FIGURES_IN_PHASE, FIGURE_ANY, &p0, t->field, &v) == 0)
                    return 0;
                goto unknown;
            }
        }
        t->scope = THRESHOLD_SUMMARY;
        t->field = t->metric;
        if (figures_value(FIGURES_IN_SUMMARY, FIGURE_ANY, &s0, t->field, &v) == 0) {
            if (t->relative && strstr(t->field, "(")) {
                snprintf(err, errlen,
                         "threshold '%s': a baseline has this figure only as "
                         "latency_ms.p50|p90|p99|p999|max|min|mean",
                         metric);
                threshold_free(t);
                return -1;
            }
            if (abort) {
                snprintf(err, errlen,
                         "threshold '%s': abort applies only to "
                         "consume_batch.* and produce_batch.* metrics",
                         metric);
                threshold_free(t);
                return -1;
            }
            return 0;
        }
    }
unknown:;
    char hint[256];
    metric_hint(hint, sizeof hint, t);
    snprintf(err, errlen,
             "threshold '%s': no such metric%s (summary figures such as lost, "
             "consume_msgs_per_sec, latency_ms.p99; PHASE.<figure>; "
             "consume_batch.<figure>; produce_batch.<figure>; kengine help figures)",
             metric, hint);
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

void threshold_sort(threshold *ts, size_t n) {
    /* insertion sort: stable, and a workload has a handful of thresholds */
    for (size_t i = 1; i < n; i++) {
        threshold t = ts[i];
        size_t k = i;
        for (; k > 0 && strcmp(ts[k - 1].metric, t.metric) > 0; k--) ts[k] = ts[k - 1];
        ts[k] = t;
    }
}

int threshold_resolve_base(threshold *ts, size_t n, threshold_lookup_fn lookup,
                           const void *base, const char *path, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        threshold *t = &ts[i];
        if (!t->relative) continue;
        double v;
        if (lookup(base, t->field, &v)) {
            snprintf(err, errlen, "threshold '%s %s': the baseline %s has no figure '%s'",
                     t->metric, t->condition, path, t->field);
            return -1;
        }
        t->limit = t->factor * v;
        char cond[256];
        snprintf(cond, sizeof cond, "%s (= %.6g)", t->condition, t->limit);
        char *c = strdup(cond);
        if (!c) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(t->condition);
        t->condition = c;
    }
    return 0;
}

size_t threshold_drop_relative(threshold *ts, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ts[i].relative)
            threshold_free(&ts[i]);
        else
            ts[k++] = ts[i];
    }
    return k;
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

bool threshold_check_batch(threshold *ts, size_t n, const run_batch *b) {
    bool stop = false;
    for (size_t i = 0; i < n; i++) {
        threshold *t = &ts[i];
        threshold_scope want =
            b->role == RUN_PRODUCE ? THRESHOLD_PRODUCE_BATCH : THRESHOLD_CONSUME_BATCH;
        if (t->scope != want) continue;
        double v;
        if (figures_value(FIGURES_IN_BATCH,
                          b->role == RUN_PRODUCE ? FIGURE_PRODUCE : FIGURE_CONSUME, b, t->field,
                          &v))
            continue;
        bool ok = holds(t->op, v, t->limit);
        /* report the first failing value, else the worst one */
        if (!t->evaluated || (!t->failed && (!ok || worse(t->op, v, t->actual)))) t->actual = v;
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

int threshold_finish(threshold *ts, size_t n, run_summary *s) {
    int failed = 0;
    run_threshold *out = n ? calloc(n, sizeof *out) : NULL;
    if (n && !out) return -1;
    for (size_t i = 0; i < n; i++) {
        threshold *t = &ts[i];
        double v = 0;
        if (t->scope == THRESHOLD_SUMMARY) {
            figures_value(FIGURES_IN_SUMMARY, FIGURE_ANY, s, t->field, &v);
            t->actual = v;
            t->failed = !holds(t->op, v, t->limit);
        } else if (t->scope == THRESHOLD_PHASE) {
            const run_phase *p = NULL;
            for (size_t k = 0; k < s->nphases; k++)
                if (!strcmp(s->phases[k].name, t->phase)) p = &s->phases[k];
            run_phase empty = {.name = t->phase};
            figures_value(FIGURES_IN_PHASE, FIGURE_ANY, p ? p : &empty, t->field, &v);
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
