/*
 * state: a worker's mergeable state, and the exact merge of many.
 *
 * What one worker of a shared run knows at its end and `kengine report`
 * needs to give the whole run one verdict: counters; latency histograms
 * (whole run and per phase: merged bucket by bucket, never averaged
 * percentiles); the sequence numbers its consumers saw, those its producer
 * sent and those whose delivery failed, as compressed bitmaps (CRoaring's
 * portable format; this is the only file that uses CRoaring), so that loss
 * and duplicates are exact across machines; its distinct words, exactly
 * while the run has at most DIST_STATE_EXACT_WORDS of them, else as a
 * HyperLogLog sketch (the figure is then flagged as an estimate); and the
 * state of its batch thresholds. The workload's summary and phase
 * thresholds are applied to the merged figures by the report.
 *
 * The summary's figures merge by the rule figures.h gives each (sums,
 * extremes, histograms); a state carries them by name, so a report built
 * with more or fewer figures still reads it.
 *
 * Sequence numbers are 32-bit here: a shared run holds at most 2^32 - 1
 * records (workload_validate says so).
 */
#ifndef KENGINE_DIST_STATE_H
#define KENGINE_DIST_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "run.h"
#include "stats.h"
#include "threshold.h"
#include "words.h"

/* Distinct words kept exactly across the run; beyond, a sketch (0.8%). */
#define DIST_STATE_EXACT_WORDS 200000

typedef struct dist_state dist_state;

/* A batch threshold's state after a worker's batches. */
typedef struct {
    char *metric, *condition;
    bool abort;
    int op; /* threshold_op, for "worst value" */
    bool evaluated, failed, aborted;
    double actual;
} dist_state_threshold;

/* What a worker's summary does not say: who it is and how it ended. */
typedef struct {
    int worker, workers;
    bool produced, consumed_run; /* the workload's roles */
    bool stopped;                /* stopped early (signal, hook, abort; merged: or
                                    a worker left no final state, collect.c) */
    uint64_t unsequenced;        /* messages without a kengine header */
    int exit_code;               /* the worker's own (0, 1, 2, 128+signal) */
} dist_state_meta;

dist_state *dist_state_new(void); /* NULL on OOM */
void dist_state_free(dist_state *m);

dist_state_meta *dist_state_meta_of(dist_state *m);
const dist_state_meta *dist_state_meta_get(const dist_state *m);
/* The worker's own summary: its stored figures (figures.h; histograms and
 * phases copied), name, mode and error. 0 or -1 OOM. */
int dist_state_set_summary(dist_state *m, const run_summary *s);
/* That summary as kept (merged, for a merged state): the SUM, MAX, MIN and
 * HIST figures; the BITMAP and UNION ones are dist_state_summary's. */
const run_summary *dist_state_figures(const dist_state *m);

typedef enum { DIST_STATE_SEEN, DIST_STATE_SENT, DIST_STATE_FAILED } dist_state_set;
/* Adds the set bits of `word` (bit k = sequence number first + k). */
void dist_state_mark_word(dist_state *m, dist_state_set which, uint64_t first, uint64_t word);
void dist_state_mark_range(dist_state *m, dist_state_set which, uint64_t lo, uint64_t hi);

/* Distinct words: the set's words are added (exact, or to the sketch past
 * DIST_STATE_EXACT_WORDS). 0 or -1 OOM. */
int dist_state_add_words(dist_state *m, const words_set *set);
/* Appends a threshold's state. 0 or -1 OOM. */
int dist_state_add_threshold(dist_state *m, const threshold *t);

void dist_state_encode(const dist_state *m, codec_buf *out);
/* A new state from dist_state_encode's bytes; NULL with err when malformed. */
dist_state *dist_state_decode(const void *buf, size_t len, char *err, size_t errlen);

/* Merges src into dst: each figure by its rule in figures.h (summary and
 * phases), bitmaps OR'd, words unioned, batch thresholds' worst kept.
 * 0 or -1 OOM. */
int dist_state_merge(dist_state *dst, const dist_state *src);

/* The run's summary from a (merged) state: its figures, and the BITMAP and
 * UNION ones computed: lost = sent, not failed, never seen; duplicates =
 * consumed - distinct seen - unsequenced; distinct words of the union.
 * Strings point into m (keep it alive while s is used); histograms and
 * phases are owned by s. 0 or -1 OOM. */
int dist_state_summary(const dist_state *m, run_summary *s);
/* The batch thresholds' merged states (first failure's value, else worst). */
size_t dist_state_thresholds(const dist_state *m, const dist_state_threshold **out);
/* Whether the distinct-words figure is a sketch's estimate. */
bool dist_state_words_estimated(const dist_state *m);

#endif
