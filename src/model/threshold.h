/*
 * threshold: pass/fail conditions on a run's figures, as in k6. A
 * threshold names a metric and a condition ("< 50", ">= 100000"):
 *
 *   lost, delivered, consume_msgs_per_sec, latency_ms.p99, latency_ms.p(99.9), ...
 *                                  summary figures, checked at the end
 *   PHASE.sent, PHASE.latency_ms.p99, ...
 *                                  one phase's figures, checked at the end
 *   consume_batch.msgs_per_sec, produce_batch.cpu_percent, ...
 *                                  every batch of that role must satisfy it;
 *                                  with `abort`, the first failing batch
 *                                  stops the run
 *
 * Metric names are checked when the workload loads, so a typo is an error
 * rather than a silent pass. The figures and their names are figures.h's
 * tables: a metric is a figure of that scope (and, for batches, role).
 */
#ifndef KENGINE_THRESHOLD_H
#define KENGINE_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "run.h"

typedef enum {
    THRESHOLD_LT,
    THRESHOLD_LE,
    THRESHOLD_GT,
    THRESHOLD_GE,
    THRESHOLD_EQ,
    THRESHOLD_NE
} threshold_op;

typedef enum {
    THRESHOLD_SUMMARY,
    THRESHOLD_PHASE,
    THRESHOLD_PRODUCE_BATCH,
    THRESHOLD_CONSUME_BATCH
} threshold_scope;

typedef struct {
    char *metric;    /* as written, e.g. "steady.latency_ms.p99" */
    char *condition; /* as written, e.g. "< 50" */
    threshold_scope scope;
    char *phase;       /* THRESHOLD_PHASE: the phase's name */
    const char *field; /* the metric within its scope (points into metric) */
    threshold_op op;
    double limit;  /* relative: factor * the baseline's value, once resolved */
    bool abort;    /* batch scopes: stop the run at the first failure */
    bool relative; /* "OP FACTOR * base": the limit comes from the baseline */
    double factor;
    /* evaluation state */
    bool evaluated, failed, aborted;
    double actual; /* value (summary) or worst value seen (batches) */
} threshold;

/* Parses one threshold. `phases` (n of them) are the workload's phase
 * names, valid metric prefixes. Returns 0, or -1 with err naming the
 * metric. */
int threshold_parse(threshold *t, const char *metric, const char *condition, bool abort,
                    const char *const *phases, size_t nphases, char *err, size_t errlen);
void threshold_free(threshold *t);
/* Deep copy (evaluation state reset). 0 or -1 on OOM. */
int threshold_copy(threshold *dst, const threshold *src);

/* Sorts thresholds by metric name, stably (a metric's conditions keep
 * their order): a script's thresholds table is a Lua table, whose order
 * changes from run to run, and reports that diff need one order. */
void threshold_sort(threshold *ts, size_t n);

/* A baseline's figure by name: 0 and *v, or -1 when it has none. */
typedef int (*threshold_lookup_fn)(const void *base, const char *name, double *v);

/* Resolves the relative thresholds ("OP FACTOR * base") against `base`,
 * the matching run of the workload's baseline NDJSON, whose figures
 * `lookup` reads (`path` names it in errors): limit = factor * the
 * baseline's figure, and the condition reads "OP FACTOR * base (= LIMIT)".
 * 0, or -1 with err naming the figure. */
int threshold_resolve_base(threshold *ts, size_t n, threshold_lookup_fn lookup,
                           const void *base, const char *path, char *err, size_t errlen);

/* Drops (frees) the relative thresholds, keeping the others in order: a
 * gate's first run, with no baseline yet. Returns how many are left. */
size_t threshold_drop_relative(threshold *ts, size_t n);

/* Feed a batch to every batch threshold. Returns true if one with
 * `abort` failed (the run should stop). */
bool threshold_check_batch(threshold *ts, size_t n, const run_batch *b);
/* Evaluate summary and phase thresholds; fill s->thresholds with every
 * verdict. Returns the number of failed thresholds (-1 on OOM). */
int threshold_finish(threshold *ts, size_t n, run_summary *s);

#endif
