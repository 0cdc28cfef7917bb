/*
 * keys.c - synthetic message keys (see keys.h). The record's sequence
 * number and the seed go through a 64-bit mixer (splitmix64's finalizer)
 * to a uniform 64-bit value u; a uniform key is the high half of u * count
 * (no modulo bias worth the name), a zipf key the first index whose
 * cumulative probability exceeds u / 2^64.
 */
#include "keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *const keys_distribution_names[] = {"none", "uniform", "zipf", NULL};

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int keys_init(keys_gen *g, keys_distribution dist, uint64_t count, double skew, uint64_t seed,
              char *err, size_t errlen) {
    *g = (keys_gen){.dist = dist, .count = count, .skew = skew, .seed = seed};
    if (dist == KEYS_NONE) return 0;
    if (count == 0) {
        snprintf(err, errlen, "key_count must be at least 1");
        return -1;
    }
    if (!isfinite(skew) || skew < 0) {
        snprintf(err, errlen, "key_skew must be a number >= 0 (got %g)", skew);
        return -1;
    }
    if (dist != KEYS_ZIPF) return 0;
    if (count > SIZE_MAX / sizeof *g->cdf || !(g->cdf = malloc(count * sizeof *g->cdf))) {
        snprintf(err, errlen, "key_count %llu: out of memory for the zipf table",
                 (unsigned long long)count);
        return -1;
    }
    /* sum from the smallest terms up, for accuracy */
    double total = 0;
    for (uint64_t i = count; i-- > 0;) total += pow((double)(i + 1), -skew);
    double acc = 0;
    for (uint64_t i = 0; i < count; i++) {
        acc += pow((double)(i + 1), -skew) / total;
        g->cdf[i] = acc;
    }
    g->cdf[count - 1] = 1.0; /* rounding must not leave a gap at the top */
    return 0;
}

void keys_free(keys_gen *g) {
    free(g->cdf);
    g->cdf = NULL;
}

uint64_t keys_index(const keys_gen *g, uint64_t seq) {
    uint64_t u = mix64(seq ^ mix64(g->seed));
    if (g->dist != KEYS_ZIPF) {
        return (uint64_t)(((unsigned __int128)u * g->count) >> 64);
    }
    double x = (double)(u >> 11) * 0x1.0p-53; /* [0, 1) */
    uint64_t lo = 0, hi = g->count - 1;       /* first i with cdf[i] > x */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (g->cdf[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

size_t keys_format(const keys_gen *g, uint64_t seq, char *buf) {
    uint64_t i = keys_index(g, seq);
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf[0] = 'k', buf[1] = 'e', buf[2] = 'y', buf[3] = '-';
    for (size_t j = 0; j < n; j++) buf[4 + j] = digits[n - 1 - j];
    buf[4 + n] = '\0';
    return 4 + n;
}
