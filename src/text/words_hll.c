/*
 * words_hll: a HyperLogLog sketch of distinct words, for runs whose
 * distinct words are too many to ship exactly between workers (dist/state.c).
 * 2^14 one-byte registers (16 KiB), XXH3 hashes; relative standard error
 * 1.04/sqrt(2^14), about 0.8%. Two sketches merge by taking the larger
 * register, so the estimate of a union is as good as of one set.
 */
#include "words.h"

#include <math.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

void words_hll_clear(words_hll *h) { memset(h->reg, 0, sizeof h->reg); }

void words_hll_add(words_hll *h, const void *word, size_t len) {
    uint64_t x = XXH3_64bits(word, len);
    uint32_t idx = (uint32_t)(x >> (64 - WORDS_HLL_BITS));
    /* rank: position of the first 1 bit among the remaining bits (a guard
     * bit bounds it) */
    uint64_t rest = (x << WORDS_HLL_BITS) | ((uint64_t)1 << (WORDS_HLL_BITS - 1));
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > h->reg[idx]) h->reg[idx] = rank;
}

static void add_visit(const char *w, size_t len, uint64_t count, void *ud) {
    (void)count;
    words_hll_add(ud, w, len);
}

void words_hll_add_set(words_hll *h, const words_set *set) {
    words_set_foreach(set, add_visit, h);
}

void words_hll_merge(words_hll *dst, const words_hll *src) {
    for (size_t i = 0; i < WORDS_HLL_REGS; i++)
        if (src->reg[i] > dst->reg[i]) dst->reg[i] = src->reg[i];
}

uint64_t words_hll_estimate(const words_hll *h) {
    const double m = WORDS_HLL_REGS;
    double sum = 0;
    size_t zeros = 0;
    for (size_t i = 0; i < WORDS_HLL_REGS; i++) {
        sum += ldexp(1.0, -(int)h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    /* small range: linear counting is the better estimate */
    if (e <= 2.5 * m && zeros) e = m * log(m / (double)zeros);
    return (uint64_t)llround(e);
}
