/*
 * merge: a worker's mergeable state, and the exact merge of many.
 *
 * What one worker of a shared run knows at its end and `kengine report`
 * needs to give the whole run one verdict: counters; latency histograms
 * (whole run and per phase: merged bucket by bucket, never averaged
 * percentiles); the sequence numbers its consumers saw, those its producer
 * sent and those whose delivery failed, as compressed bitmaps (CRoaring's
 * portable format; this is the only file that uses CRoaring), so that loss
 * and duplicates are exact across machines; its distinct words, exactly
 * while the run has at most MERGE_EXACT_WORDS of them, else as a
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
#ifndef KENGINE_MERGE_H
#define KENGINE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "report.h"
#include "stats.h"
#include "threshold.h"
#include "words.h"

/* Distinct words kept exactly across the run; beyond, a sketch (0.8%). */
#define MERGE_EXACT_WORDS 200000

typedef struct merge_state merge_state;

/* A batch threshold's state after a worker's batches. */
typedef struct {
    char *metric, *condition;
    bool abort;
    int op; /* threshold_op, for "worst value" */
    bool evaluated, failed, aborted;
    double actual;
} merge_threshold;

/* What a worker's summary does not say: who it is and how it ended. */
typedef struct {
    int worker, workers;
    bool produced, consumed_run; /* the workload's roles */
    bool stopped;                /* stopped early (signal, hook, abort) */
    uint64_t unsequenced;        /* messages without a kengine header */
    int exit_code;               /* the worker's own (0, 1, 2, 128+signal) */
} merge_meta;

merge_state *merge_state_new(void); /* NULL on OOM */
void merge_state_free(merge_state *m);

merge_meta *merge_meta_of(merge_state *m);
const merge_meta *merge_meta_get(const merge_state *m);
/* The worker's own summary: its stored figures (figures.h; histograms and
 * phases copied), name, mode and error. 0 or -1 OOM. */
int merge_set_summary(merge_state *m, const report_summary *s);
/* That summary as kept (merged, for a merged state): the SUM, MAX, MIN and
 * HIST figures; the BITMAP and UNION ones are merge_summary's. */
const report_summary *merge_figures(const merge_state *m);

typedef enum { MERGE_SEEN, MERGE_SENT, MERGE_FAILED } merge_set;
/* Adds the set bits of `word` (bit k = sequence number first + k). */
void merge_mark_word(merge_state *m, merge_set which, uint64_t first, uint64_t word);
void merge_mark_range(merge_state *m, merge_set which, uint64_t lo, uint64_t hi);

/* Distinct words: the set's words are added (exact, or to the sketch past
 * MERGE_EXACT_WORDS). 0 or -1 OOM. */
int merge_add_words(merge_state *m, const words_set *set);
/* Appends a threshold's state. 0 or -1 OOM. */
int merge_add_threshold(merge_state *m, const threshold *t);

void merge_encode(const merge_state *m, codec_buf *out);
/* A new state from merge_encode's bytes; NULL with err when malformed. */
merge_state *merge_decode(const void *buf, size_t len, char *err, size_t errlen);

/* Merges src into dst: each figure by its rule in figures.h (summary and
 * phases), bitmaps OR'd, words unioned, batch thresholds' worst kept.
 * 0 or -1 OOM. */
int merge_into(merge_state *dst, const merge_state *src);

/* The run's summary from a (merged) state: its figures, and the BITMAP and
 * UNION ones computed: lost = sent, not failed, never seen; duplicates =
 * consumed - distinct seen - unsequenced; distinct words of the union.
 * Strings point into m (keep it alive while s is used); histograms and
 * phases are owned by s. 0 or -1 OOM. */
int merge_summary(const merge_state *m, report_summary *s);
/* The batch thresholds' merged states (first failure's value, else worst). */
size_t merge_thresholds(const merge_state *m, const merge_threshold **out);
/* Whether the distinct-words figure is a sketch's estimate. */
bool merge_words_estimated(const merge_state *m);

#endif
