/*
 * figures: the one table of a run's figures. Every number kengine reports
 * about a run (the summary's, each batch's, each phase's) is declared here
 * once, with its type, unit, how it is computed and how two workers'
 * values merge. Everything else is derived from these lists:
 *
 *   writer.c     the NDJSON reporter writes every figure of an event, in
 *                this order; the text reporter reads derived figures here
 *   threshold.c  a threshold metric is a figure's name (or latency_ms.STAT)
 *   api.c       the Lua batch and summary objects carry every figure
 *   cli/help.c   `kengine help figures [--markdown]` prints the lists (the
 *                docs' table of figures is that markdown)
 *
 * Adding a figure is one line in a list below (a stored figure also needs
 * its field in the struct of run.h, filled where the run measures it).
 *
 * Each list is an X-macro. A stored figure is
 *   S(name, type, unit, json format, merge, roles, field, how)
 * and reads the struct member `field`; a derived figure is
 *   D(name, type, unit, json format, roles, expression, how)
 * where `expression` computes it from the other figures of the object `x`
 * (a run_summary, run_batch, run_phase or run_broker); derived figures merge
 * by being computed again from the merged figures.
 *
 * type: COUNT (an integer), REAL, or LATENCY (a histogram of microseconds,
 * reported in milliseconds as the statistics of FIGURES_LATENCY).
 * merge: SUM, MAX, MIN, HIST (histograms merged, never percentiles
 * averaged), BITMAP (recomputed from the OR of the workers' sequence
 * bitmaps), UNION (recomputed from the union of the workers' word sets).
 * roles (batch figures): PRODUCE, CONSUME or BOTH; ANY elsewhere.
 */
#ifndef KENGINE_FIGURES_H
#define KENGINE_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "run.h"
#include "stats.h"

/* The summary of a run (run_summary, object x). */
#define FIGURES_SUMMARY(S, D)                                                                  \
    S(records, COUNT, "messages", NULL, SUM, ANY, records,                                     \
      "messages asked for (with phases: sent, or the phases' records when only consuming)")    \
    S(sent, COUNT, "messages", NULL, SUM, ANY, sent, "messages handed to the Kafka client")    \
    S(delivered, COUNT, "messages", NULL, SUM, ANY, delivered, "successful delivery reports")  \
    S(delivery_errors, COUNT, "messages", NULL, SUM, ANY, delivery_errors,                     \
      "failed delivery reports (and records refused by the client)")                           \
    S(produce_seconds, REAL, "s", "%.6f", MAX, ANY, produce_seconds,                           \
      "first send to last delivery report")                                                    \
    D(produce_msgs_per_sec, REAL, "msgs/s", "%.1f", ANY,                                       \
      figures_rate((double)x->delivered, x->produce_seconds), "delivered / produce_seconds")   \
    S(consumed, COUNT, "messages", NULL, SUM, ANY, consumed,                                   \
      "messages of this run consumed, duplicates included")                                    \
    S(lost, COUNT, "messages", NULL, BITMAP, ANY, lost,                                        \
      "delivered sequence numbers no consumer saw (only consuming: records not found)")        \
    S(unconsumed, COUNT, "messages", NULL, BITMAP, ANY, unconsumed,                            \
      "as lost, when the run was stopped early (signal, hook error, abort, a dead worker)")    \
    S(duplicates, COUNT, "messages", NULL, BITMAP, ANY, duplicates,                            \
      "copies beyond expect_copies (with 1: sequence numbers seen more than once)")            \
    S(aborted, COUNT, "messages", NULL, SUM, ANY, aborted,                                     \
      "messages of aborted transactions: on purpose (abort_every), open at a stop")            \
    S(foreign, COUNT, "messages", NULL, SUM, ANY, foreign,                                     \
      "messages without kengine's header or of another run, skipped")                          \
    S(words, COUNT, "words", NULL, SUM, ANY, words, "words over all consumed values")          \
    S(unique_words_total, COUNT, "words", NULL, UNION, ANY, unique_words_total,                \
      "distinct words over the whole run")                                                     \
    S(bytes, COUNT, "bytes", NULL, SUM, ANY, bytes, "value bytes consumed")                    \
    S(consume_seconds, REAL, "s", "%.6f", MAX, ANY, consume_seconds,                           \
      "first consumed message to its last batch's end (messages counted, scanned)")            \
    D(consume_msgs_per_sec, REAL, "msgs/s", "%.1f", ANY,                                       \
      figures_rate((double)x->consumed, x->consume_seconds), "consumed / consume_seconds")     \
    D(consume_mb_per_sec, REAL, "MB/s", "%.3f", ANY,                                           \
      figures_rate((double)x->bytes / 1048576.0, x->consume_seconds),                          \
      "bytes / 2^20 / consume_seconds")                                                        \
    S(cpu_percent, REAL, "%", "%.1f", SUM, ANY, cpu_percent,                                   \
      "process CPU time (all threads) / wall time of the run")                                 \
    S(peak_rss_mb, REAL, "MB", "%.2f", MAX, ANY, peak_rss_mb,                                  \
      "peak resident set size (the kernel's VmHWM)")                                           \
    S(csv_skipped, COUNT, "rows", NULL, SUM, ANY, csv_skipped,                                 \
      "CSV rows skipped for a wrong field count (ragged=skip)")                                \
    S(csv_padded, COUNT, "rows", NULL, SUM, ANY, csv_padded,                                   \
      "CSV rows padded or truncated (ragged=pad)")                                             \
    S(latency_ms, LATENCY, "ms", NULL, HIST, ANY, latency,                                     \
      "consume time - the message's intended send time, every message of the run")             \
    S(consumer_lag_max, COUNT, "messages", NULL, MAX, ANY, consumer_lag_max,                   \
      "the largest consumer_lag of any consume batch")

/* One batch of either role (run_batch, object x). */
#define FIGURES_BATCH(S, D)                                                                    \
    S(batch, COUNT, "", NULL, MAX, BOTH, batch, "1-based batch number within its role")        \
    S(batches, COUNT, "", NULL, SUM, PRODUCE, batches,                                         \
      "batches the producer will send (0 if unknown)")                                         \
    S(messages, COUNT, "messages", NULL, SUM, BOTH, messages, "messages in the batch")         \
    S(bytes, COUNT, "bytes", NULL, SUM, BOTH, bytes, "value bytes in the batch")               \
    S(words, COUNT, "words", NULL, SUM, BOTH, words, "words over the batch's values")          \
    S(delivered, COUNT, "messages", NULL, SUM, PRODUCE, delivered,                             \
      "successful delivery reports so far")                                                    \
    S(unique_words, COUNT, "words", NULL, UNION, CONSUME, unique_words,                        \
      "distinct words in the batch")                                                           \
    S(consumer, COUNT, "", NULL, MAX, CONSUME, consumer,                                       \
      "which consumer of the run (1-based)")                                                   \
    S(seconds, REAL, "s", "%.6f", MAX, BOTH, seconds,                                          \
      "the batch's own interval: end of the previous batch to its last message")               \
    S(elapsed, REAL, "s", "%.3f", MAX, BOTH, elapsed,                                          \
      "from the run's start to the batch's end (when it was handed to the main thread)")       \
    D(msgs_per_sec, REAL, "msgs/s", "%.1f", BOTH,                                              \
      figures_rate((double)x->messages, x->seconds), "messages / seconds")                     \
    D(mb_per_sec, REAL, "MB/s", "%.3f", BOTH,                                                  \
      figures_rate((double)x->bytes / 1048576.0, x->seconds), "bytes / 2^20 / seconds")        \
    S(cpu_percent, REAL, "%", "%.1f", SUM, BOTH, cpu_percent,                                  \
      "process CPU time / wall time over the interval")                                        \
    S(rss_mb, REAL, "MB", "%.2f", MAX, BOTH, rss_mb, "resident set size at the batch's end")   \
    S(latency_ms, LATENCY, "ms", NULL, HIST, CONSUME, latency,                                 \
      "end-to-end latency of the batch's messages")                                            \
    S(consumer_lag, COUNT, "messages", NULL, MAX, CONSUME, consumer_lag,                       \
      "messages behind the partitions' ends, summed (the client's last statistics window)")

/* One phase of a phased workload (run_phase, object x). */
#define FIGURES_PHASE(S, D)                                                                    \
    S(sent, COUNT, "messages", NULL, SUM, ANY, sent, "messages sent in the phase")             \
    S(seconds, REAL, "s", "%.6f", MAX, ANY, seconds, "first to last send of the phase")        \
    D(msgs_per_sec, REAL, "msgs/s", "%.1f", ANY, figures_rate((double)x->sent, x->seconds),    \
      "sent / seconds")                                                                        \
    S(target_rate, REAL, "msgs/s", "%.1f", SUM, ANY, target_rate,                              \
      "the phase's rate, 0 = unlimited")                                                       \
    S(consumed, COUNT, "messages", NULL, SUM, ANY, consumed,                                   \
      "messages of this phase consumed")                                                       \
    S(latency_ms, LATENCY, "ms", NULL, HIST, ANY, latency,                                     \
      "end-to-end latency of the phase's messages")

/* One broker as a client saw it (run_broker, object x): NDJSON's
 * "brokers":[{"id":N,"name":"host:port",...}] on batches (the client's last
 * statistics window, 1 s, before the batch's end) and on the summary (over
 * the run: means weighted by requests, p99 and throttle the worst
 * window's). librdkafka's statistics (kafka/stats.c); workers' entries of
 * the same broker id merge by these rules. */
#define FIGURES_BROKER(S, D)                                                                   \
    S(requests, COUNT, "requests", NULL, SUM, ANY, requests,                                   \
      "round trips measured (librdkafka rtt.cnt)")                                             \
    S(rtt_mean_ms, REAL, "ms", "%.3f", MAX, ANY, rtt_mean_ms,                                  \
      "request sent to response received, mean: the broker's part")                            \
    S(rtt_p99_ms, REAL, "ms", "%.3f", MAX, ANY, rtt_p99_ms,                                    \
      "the same, p99 (summary: the worst window's)")                                           \
    S(queue_mean_ms, REAL, "ms", "%.3f", MAX, ANY, queue_mean_ms,                              \
      "producer: a message's wait in the client's queue for its request (int_latency), mean")  \
    S(queue_p99_ms, REAL, "ms", "%.3f", MAX, ANY, queue_p99_ms,                                \
      "the same, p99 (summary: the worst window's)")                                           \
    S(outbuf_mean_ms, REAL, "ms", "%.3f", MAX, ANY, outbuf_mean_ms,                            \
      "a request's wait to be sent (outbuf_latency), mean")                                    \
    S(throttle_max_ms, REAL, "ms", "%.3f", MAX, ANY, throttle_max_ms,                          \
      "the broker's throttle time, the largest")

/* How `kengine compare` judges a summary figure: X(name, better, role,
 * batch figure, gate). `better` is HIGHER or LOWER; the batch figure of
 * that role (BOTH: every batch) gives the per-batch samples that test
 * whether a change is beyond noise; GATE figures (throughput, latency)
 * fail the comparison on a significant change in the bad direction beyond
 * --max-regression, SHOW ones are only shown. A LATENCY figure stands for
 * each of its statistics, tested on the batches' same statistic. Summary
 * figures not listed are shown side by side, untested. */
#define FIGURES_COMPARE(X)                                                                     \
    X(produce_msgs_per_sec, HIGHER, PRODUCE, msgs_per_sec, GATE)                               \
    X(consume_msgs_per_sec, HIGHER, CONSUME, msgs_per_sec, GATE)                               \
    X(consume_mb_per_sec, HIGHER, CONSUME, mb_per_sec, GATE)                                   \
    X(latency_ms, LOWER, CONSUME, latency_ms, GATE)                                            \
    X(cpu_percent, LOWER, BOTH, cpu_percent, SHOW)                                             \
    X(peak_rss_mb, LOWER, BOTH, rss_mb, SHOW)

/* The statistics of a LATENCY figure, in milliseconds (the histogram holds
 * microseconds): X(name, percentile); min is percentile 0, max 100. */
#define FIGURES_LATENCY(X)                                                                     \
    X(p50, 50)                                                                                 \
    X(p90, 90)                                                                                 \
    X(p99, 99)                                                                                 \
    X(p999, 99.9)                                                                              \
    X(max, 100)                                                                                \
    X(min, 0)                                                                                  \
    X(mean, FIGURES_STAT_MEAN)                                                                 \
    X(count, FIGURES_STAT_COUNT)
#define FIGURES_STAT_MEAN  (-1.0)
#define FIGURES_STAT_COUNT (-2.0)

typedef enum { FIGURE_COUNT, FIGURE_REAL, FIGURE_LATENCY } figure_type;
typedef enum {
    FIGURE_SUM,
    FIGURE_MAX,
    FIGURE_MIN,
    FIGURE_HIST,
    FIGURE_BITMAP,
    FIGURE_UNION,
    FIGURE_DERIVED
} figure_merge;
typedef enum {
    FIGURES_IN_SUMMARY,
    FIGURES_IN_BATCH,
    FIGURES_IN_PHASE,
    FIGURES_IN_BROKER
} figure_scope;
/* Roles a figure belongs to (batches have two). */
enum { FIGURE_PRODUCE = 1, FIGURE_CONSUME = 2, FIGURE_BOTH = 3, FIGURE_ANY = 3 };

/* Ids: FIGURE_SUMMARY_records, FIGURE_BATCH_msgs_per_sec, FIGURE_PHASE_sent ... */
#define FIGURES_ID_(name, ...) FIGURE_SUMMARY_##name,
typedef enum { FIGURES_SUMMARY(FIGURES_ID_, FIGURES_ID_) FIGURES_SUMMARY_N } figure_summary_id;
#undef FIGURES_ID_
#define FIGURES_ID_(name, ...) FIGURE_BATCH_##name,
typedef enum { FIGURES_BATCH(FIGURES_ID_, FIGURES_ID_) FIGURES_BATCH_N } figure_batch_id;
#undef FIGURES_ID_
#define FIGURES_ID_(name, ...) FIGURE_PHASE_##name,
typedef enum { FIGURES_PHASE(FIGURES_ID_, FIGURES_ID_) FIGURES_PHASE_N } figure_phase_id;
#undef FIGURES_ID_
#define FIGURES_ID_(name, ...) FIGURE_BROKER_##name,
typedef enum { FIGURES_BROKER(FIGURES_ID_, FIGURES_ID_) FIGURES_BROKER_N } figure_broker_id;
#undef FIGURES_ID_

/* A figure's value: a number, or a histogram for LATENCY figures. */
typedef struct {
    double v;
    const stats_hist *h;
} figure_value;

typedef struct {
    const char *name; /* NDJSON key, threshold metric, Lua field */
    figure_type type;
    const char *unit;
    const char *json_fmt; /* printf format of a REAL in NDJSON; COUNTs are integers */
    figure_merge merge;
    unsigned roles;  /* FIGURE_PRODUCE / FIGURE_CONSUME bits */
    const char *how; /* how it is computed, for help */
    figure_value (*get)(const void *obj);
    /* merges another worker's value into `into` (0, -1 on OOM); a no-op for
     * BITMAP and UNION, NULL for DERIVED figures */
    int (*dist_state_merge)(void *into, const void *from);
    /* sets a stored figure (a LATENCY figure's histogram is handed over to
     * the object); NULL for DERIVED figures */
    void (*set)(void *obj, figure_value v);
} figure;

/* A statistic of a latency histogram. */
typedef struct {
    const char *name;
    double p; /* percentile, or FIGURES_STAT_MEAN / FIGURES_STAT_COUNT */
} figure_stat;

/* The figures of a scope, in reporting order. */
const figure *figures_list(figure_scope scope, size_t *n);
/* The figure `name` of a scope that `role` (FIGURE_PRODUCE/CONSUME, or
 * FIGURE_ANY) has, or NULL. */
const figure *figures_find(figure_scope scope, unsigned role, const char *name);
const figure_stat *figures_latency_stats(size_t *n);

/* n / secs, 0 when secs is not positive: every rate of the table. */
double figures_rate(double n, double secs);
/* A latency histogram's statistic in milliseconds: percentile p (0 = min,
 * 100 = max), FIGURES_STAT_MEAN or FIGURES_STAT_COUNT; 0 for NULL. */
double figures_latency(const stats_hist *h, double p);
/* "latency_ms.p99", "latency_ms.p(99.9)", "latency_ms.mean" ... -> the
 * statistic's p. 0, or -1 if `metric` is no latency statistic. */
int figures_latency_parse(const char *metric, double *p);

/* Figure values by id. */
double figures_summary(const run_summary *s, figure_summary_id id);
double figures_batch(const run_batch *b, figure_batch_id id);
double figures_phase(const run_phase *p, figure_phase_id id);
double figures_broker(const run_broker *b, figure_broker_id id);

/* The value of metric `name` ("lost", "latency_ms.p99", ...) of an object
 * of `scope` and `role`. 0, or -1 if it has no such figure. */
int figures_value(figure_scope scope, unsigned role, const void *obj, const char *name,
                  double *v);

/* Merges another worker's figures of one object into `into`: SUM, MAX,
 * MIN and HIST figures here; DERIVED ones follow by themselves; BITMAP and
 * UNION figures need the workers' bitmaps / word sets, which the caller
 * merges. A NULL histogram in `into` receives a copy; -1 on OOM. */
int figures_merge(figure_scope scope, void *into, const void *from);

/* `kengine help figures`: every list with units, merges and how. */
void figures_help(FILE *out);
/* `kengine help figures --markdown`: the same as one GitHub table
 * (| of | figure | unit | merge | how it is computed |: summary, batch,
 * phase, then broker figures, and a last row naming the latency statistics). */
void figures_markdown(FILE *out);

#endif
