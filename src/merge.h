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

/* One phase's figures of one worker. */
typedef struct {
    char *name;
    double target_rate;     /* the whole run's rate of the phase */
    uint64_t sent, consumed;
    double seconds;         /* first to last send of the phase (longest worker) */
    stats_hist *latency;
} merge_phase;

/* A batch threshold's state after a worker's batches. */
typedef struct {
    char *metric, *condition;
    bool abort;
    int op;                 /* threshold_op, for "worst value" */
    bool evaluated, failed, aborted;
    double actual;
} merge_threshold;

/* The plain figures of a worker; sums, extremes and times merge by rule. */
typedef struct {
    int worker, workers;
    char *name;                 /* workload name */
    char *mode;                 /* "async" / "sync" */
    bool produced, consumed_run;
    uint64_t records;           /* of the whole run */
    uint64_t sent, delivered, delivery_errors;
    uint64_t consumed, unsequenced, words, bytes;
    uint64_t csv_skipped, csv_padded;
    int64_t produce_first_us, produce_last_us; /* wall clock, 0 = none */
    int64_t consume_first_us, consume_last_us;
    int64_t start_us, end_us;   /* the worker's run */
    double cpu_seconds, peak_rss_mb;
    int exit_code;              /* the worker's own (0, 1, 2, 128+signal) */
    bool stopped;               /* stopped early (signal, hook, abort) */
    char *error;                /* "" if none */
} merge_figures;

merge_state *merge_state_new(void);   /* NULL on OOM */
void merge_state_free(merge_state *m);

merge_figures *merge_figures_of(merge_state *m);
const merge_figures *merge_figures_get(const merge_state *m);
/* The state's copies of strings: set with these (NULL = ""). 0 or -1 OOM. */
int merge_set_strings(merge_state *m, const char *name, const char *mode, const char *error);

/* Latency of the run (merged in). */
void merge_add_latency(merge_state *m, const stats_hist *h);
/* Appends a phase (its latency merged in, h may be NULL). 0 or -1 OOM. */
int merge_add_phase(merge_state *m, const char *name, double target_rate, uint64_t sent,
                    uint64_t consumed, double seconds, const stats_hist *h);

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

/* Merges src into dst (counters added, times and extremes widened,
 * histograms and bitmaps unioned, words unioned). 0 or -1 OOM. */
int merge_into(merge_state *dst, const merge_state *src);

/* The run's summary from a (merged) state: lost = sent, not failed, never
 * seen; duplicates = consumed - distinct seen - unsequenced. Strings point
 * into m (keep it alive while s is used); s->latency and phases are owned
 * by s. 0 or -1 OOM. */
int merge_summary(const merge_state *m, report_summary *s);
/* The batch thresholds' merged states (first failure's value, else worst). */
size_t merge_thresholds(const merge_state *m, const merge_threshold **out);
/* Whether the distinct-words figure is a sketch's estimate. */
bool merge_words_estimated(const merge_state *m);

#endif
