/*
 * keys: synthetic message keys, a pure function of (seed, sequence number).
 *
 * `key_distribution = "uniform" | "zipf"` over `key_count` distinct keys
 * ("key-0" .. "key-<count-1>"), zipf with exponent `key_skew`: key i is
 * drawn with probability proportional to 1 / (i + 1)^skew. The key of a
 * record depends only on the seed and its sequence number, never on which
 * thread, worker or process sends it, so a run is reproducible and keys
 * do not change when the records are split across workers.
 *
 * Uniform keys cost one hash per record; zipf keys one hash and a binary
 * search in a cumulative table of key_count doubles built once.
 */
#ifndef KENGINE_KEYS_H
#define KENGINE_KEYS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { KEYS_NONE, KEYS_UNIFORM, KEYS_ZIPF } keys_distribution;

/* Names of the distributions, indexed by keys_distribution, NULL-ended
 * (the workload field's choices). */
extern const char *const keys_distribution_names[];

/* The longest key keys_format writes, NUL included ("key-" + 20 digits). */
#define KEYS_MAX_LEN 25

typedef struct {
    keys_distribution dist;
    uint64_t count; /* distinct keys */
    double skew;    /* zipf exponent */
    uint64_t seed;
    double *cdf; /* zipf: cdf[i] = P(key <= i), cdf[count-1] = 1 */
} keys_gen;

/* Prepares a generator; 0, or -1 on OOM or a bad argument (count 0, skew
 * not finite or negative), with err. `count` of a zipf generator takes
 * count doubles of memory. */
int keys_init(keys_gen *g, keys_distribution dist, uint64_t count, double skew, uint64_t seed,
              char *err, size_t errlen);
void keys_free(keys_gen *g);

/* The key index in [0, count) of record `seq`. */
uint64_t keys_index(const keys_gen *g, uint64_t seq);

/* Writes the key of record `seq` into buf (at least KEYS_MAX_LEN bytes);
 * returns its length (no NUL counted). */
size_t keys_format(const keys_gen *g, uint64_t seq, char *buf);

#endif
