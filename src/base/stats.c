/*
 * stats: latency histogram and process probes.
 *
 * The histogram is log-linear: values below 2^SUB_BITS are exact; above,
 * each power-of-two range [2^k, 2^(k+1)) is split into 2^SUB_BITS linear
 * sub-buckets, so the relative error is at most 2^-SUB_BITS. All of
 * uint64_t fits in a fixed array (about 60 KiB), so recording never
 * allocates and two histograms merge by adding their arrays.
 */
#include "stats_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SUB_BITS  6
#define SUB_COUNT (1u << SUB_BITS)
#define NBUCKETS  ((64 - SUB_BITS + 1) * SUB_COUNT)

struct stats_hist {
    uint64_t count;    /* values recorded */
    uint64_t min, max; /* exact extremes (min valid when count > 0) */
    double sum;        /* for the mean */
    uint64_t counts[NBUCKETS];
};

/* Bucket index of v: values < SUB_COUNT map to themselves; otherwise the
 * exponent picks the group and the next SUB_BITS bits the sub-bucket. */
static unsigned bucket_of(uint64_t v) {
    if (v < SUB_COUNT) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - SUB_BITS;
    unsigned sub = (unsigned)(v >> shift) & (SUB_COUNT - 1);
    return (shift + 1) * SUB_COUNT + sub;
}

/* Highest value that falls in bucket b. */
static uint64_t bucket_high(unsigned b) {
    if (b < SUB_COUNT) return b;
    unsigned shift = b / SUB_COUNT - 1;
    uint64_t sub = b % SUB_COUNT;
    uint64_t low = (SUB_COUNT + sub) << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

stats_hist *stats_hist_new(void) {
    stats_hist *h = calloc(1, sizeof *h);
    return h;
}

void stats_hist_free(stats_hist *h) { free(h); }

void stats_hist_reset(stats_hist *h) { memset(h, 0, sizeof *h); }

void stats_hist_record(stats_hist *h, uint64_t v) {
    if (h->count == 0 || v < h->min) h->min = v;
    if (v > h->max) h->max = v;
    h->count++;
    h->sum += (double)v;
    h->counts[bucket_of(v)]++;
}

void stats_hist_merge(stats_hist *dst, const stats_hist *src) {
    if (src->count == 0) return;
    if (dst->count == 0 || src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    for (unsigned i = 0; i < NBUCKETS; i++) dst->counts[i] += src->counts[i];
}

/* Layout: count, min, max (varints), sum (double), the number of non-empty
 * buckets, then per bucket its index's distance from the previous one and
 * its count (varints): a few hundred bytes for a typical run. */
void stats_hist_encode(const stats_hist *h, codec_buf *out) {
    unsigned nz = 0;
    for (unsigned i = 0; i < NBUCKETS; i++) nz += h->counts[i] != 0;
    codec_put_varint(out, h->count);
    codec_put_varint(out, h->min);
    codec_put_varint(out, h->max);
    codec_put_double(out, h->sum);
    codec_put_varint(out, nz);
    unsigned prev = 0;
    for (unsigned i = 0; i < NBUCKETS; i++) {
        if (!h->counts[i]) continue;
        codec_put_varint(out, i - prev);
        codec_put_varint(out, h->counts[i]);
        prev = i;
    }
}

int stats_hist_decode(stats_hist *h, codec_rd *in) {
    stats_hist_reset(h);
    h->count = codec_get_varint(in);
    h->min = codec_get_varint(in);
    h->max = codec_get_varint(in);
    h->sum = codec_get_double(in);
    uint64_t nz = codec_get_varint(in), at = 0, total = 0;
    for (uint64_t k = 0; k < nz && !in->bad; k++) {
        at += codec_get_varint(in);
        if (at >= NBUCKETS)
            in->bad = true;
        else
            total += h->counts[at] = codec_get_varint(in);
    }
    if (in->bad || nz > NBUCKETS || total != h->count) {
        stats_hist_reset(h);
        return -1;
    }
    return 0;
}

stats_hist *stats_hist_dup(const stats_hist *h) {
    stats_hist *d = malloc(sizeof *d);
    if (d) *d = *h;
    return d;
}

size_t stats_hist_sizeof(void) { return sizeof(stats_hist); }
void stats_hist_copy(stats_hist *dst, const stats_hist *src) { *dst = *src; }

uint64_t stats_hist_count(const stats_hist *h) { return h->count; }
uint64_t stats_hist_min(const stats_hist *h) { return h->count ? h->min : 0; }
uint64_t stats_hist_max(const stats_hist *h) { return h->max; }
double stats_hist_mean(const stats_hist *h) {
    return h->count ? h->sum / (double)h->count : 0.0;
}

uint64_t stats_hist_percentile(const stats_hist *h, double p) {
    if (h->count == 0) return 0;
    if (p <= 0) return h->min;
    if (p >= 100) return h->max;
    /* rank: the number of values that must be <= the answer */
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->count + 0.999999999);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank) {
            uint64_t v = bucket_high(b);
            if (v > h->max) v = h->max;
            if (v < h->min) v = h->min;
            return v;
        }
    }
    return h->max;
}

uint64_t stats_hist_count_le(const stats_hist *h, uint64_t v) {
    if (h->count == 0 || v < h->min) return 0;
    if (v >= h->max) return h->count;
    uint64_t n = 0;
    for (unsigned b = 0, last = bucket_of(v); b <= last; b++) n += h->counts[b];
    return n;
}

double stats_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t stats_wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double stats_cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double stats_rss_mb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0.0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return 0.0;
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

double stats_peak_rss_mb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0.0;
    char line[256];
    double mb = 0.0;
    while (fgets(line, sizeof line, f)) {
        unsigned long kb;
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) {
            mb = (double)kb / 1024.0;
            break;
        }
    }
    fclose(f);
    return mb;
}
