/*
 * stats: the measuring instruments. A log-linear latency histogram
 * (HdrHistogram-like: fixed relative error, constant memory, mergeable) and
 * the process probes every report uses: a monotonic clock, process CPU time
 * from getrusage(2), and resident memory from the kernel (/proc/self).
 */
#ifndef KENGINE_STATS_H
#define KENGINE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Histogram of non-negative integer values (kengine records microseconds).
 * Values are kept in buckets with at most 1/64 relative error; min, max,
 * count and sum are exact. */
typedef struct stats_hist stats_hist;

stats_hist *stats_hist_new(void); /* NULL on OOM */
void stats_hist_free(stats_hist *h);
void stats_hist_reset(stats_hist *h);
void stats_hist_record(stats_hist *h, uint64_t value);
void stats_hist_merge(stats_hist *dst, const stats_hist *src);
/* A new histogram equal to h (NULL on OOM), and copying into caller
 * memory of stats_hist_sizeof() bytes (e.g. a Lua userdata). */
stats_hist *stats_hist_dup(const stats_hist *h);
size_t stats_hist_sizeof(void);
void stats_hist_copy(stats_hist *dst, const stats_hist *src);
uint64_t stats_hist_count(const stats_hist *h);
uint64_t stats_hist_min(const stats_hist *h); /* 0 when empty */
uint64_t stats_hist_max(const stats_hist *h); /* 0 when empty */
double stats_hist_mean(const stats_hist *h);  /* 0 when empty */
/* Value at percentile p in [0, 100]: the smallest recorded value v such that
 * at least p% of values are <= v (to the bucket's precision, clamped to
 * [min, max]). 0 when empty. */
uint64_t stats_hist_percentile(const stats_hist *h, double p);
/* Values recorded that are <= v, to the bucket's precision: the values of
 * v's own bucket count as <= v (a Prometheus `le` bucket's count). */
uint64_t stats_hist_count_le(const stats_hist *h, uint64_t v);

double stats_now(void);         /* monotonic seconds */
int64_t stats_wall_us(void);    /* CLOCK_REALTIME microseconds (for timestamps) */
double stats_cpu_seconds(void); /* user + system CPU time of the whole process */
double stats_rss_mb(void);      /* current resident set size, MiB (/proc/self/statm) */
double stats_peak_rss_mb(void); /* peak resident set size, MiB (VmHWM) */

#endif
