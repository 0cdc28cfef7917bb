/*
 * run: freeing what a run's batch and summary own, and a run's loss and
 * verdict from its figures (model/run.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "exitcode.h"
#include "run.h"

void run_batch_free(run_batch *b) {
    stats_hist_free(b->latency);
    b->latency = NULL;
    for (size_t i = 0; i < b->ntop; i++) free(b->top[i].word);
    free(b->top);
    b->top = NULL;
    b->ntop = 0;
    free(b->brokers);
    b->brokers = NULL;
    b->nbrokers = 0;
}

void run_summary_free(run_summary *s) {
    free(s->part_delivered);
    free(s->part_consumed);
    free(s->part_lag);
    s->part_lag = NULL;
    s->npart_lag = 0;
    s->part_delivered = s->part_consumed = NULL;
    s->npart_delivered = s->npart_consumed = 0;
    stats_hist_free(s->latency);
    s->latency = NULL;
    free(s->brokers);
    s->brokers = NULL;
    s->nbrokers = 0;
    for (size_t i = 0; i < s->nphases; i++) stats_hist_free(s->phases[i].latency);
    free(s->phases);
    s->phases = NULL;
    s->nphases = 0;
    for (size_t i = 0; i < s->nthresholds; i++) {
        free(s->thresholds[i].metric);
        free(s->thresholds[i].condition);
    }
    free(s->thresholds);
    s->thresholds = NULL;
    s->nthresholds = 0;
}

uint64_t run_unfound(uint64_t expected, uint64_t found) {
    return expected > found ? expected - found : 0;
}

void run_set_loss(run_summary *s, uint64_t missing, bool stopped) {
    s->lost = stopped ? 0 : missing;
    s->unconsumed = stopped ? missing : 0;
}

int run_verdict(const run_summary *s, bool delivery, char *reason, size_t len) {
    const bool failed = delivery && s->delivery_errors;
    if (!s->lost && !s->duplicates && !failed) return EXITCODE_OK;
    int n = snprintf(reason, len, "%llu messages lost%s%s%s, %llu duplicated",
                     (unsigned long long)s->lost, s->missing[0] ? " (sequence numbers " : "",
                     s->missing, s->missing[0] ? ")" : "", (unsigned long long)s->duplicates);
    if (delivery && n >= 0 && (size_t)n < len)
        snprintf(reason + n, len - (size_t)n, ", %llu failed delivery",
                 (unsigned long long)s->delivery_errors);
    return EXITCODE_RUNTIME;
}
