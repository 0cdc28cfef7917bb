/*
 * run: freeing what a run's batch and summary own (model/run.h).
 */
#include <stdlib.h>

#include "run.h"

void run_batch_free(run_batch *b) {
    stats_hist_free(b->latency);
    b->latency = NULL;
    for (size_t i = 0; i < b->ntop; i++) free(b->top[i].word);
    free(b->top);
    b->top = NULL;
    b->ntop = 0;
}

void run_summary_free(run_summary *s) {
    free(s->part_delivered);
    free(s->part_consumed);
    s->part_delivered = s->part_consumed = NULL;
    s->npart_delivered = s->npart_consumed = 0;
    stats_hist_free(s->latency);
    s->latency = NULL;
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
