/*
 * words.h - word metrics hot path: tokenizer + exact distinct-word set.
 *
 * A "word" is a maximal run of bytes that are not ASCII whitespace
 * (space, \t, \n, \v, \f, \r - exactly Python's bytes.split()).  Every
 * other byte (NUL, 0x1c-0x1f, >= 0x80, ...) is an ordinary word byte.
 * Each message value is tokenized separately, so words never span
 * messages.  The consumer calls this for every record it receives, so the
 * tokenizer is branch-light (SSE2 / SWAR whitespace bitmasks) and the set
 * is an allocation-free-per-word open-addressing table over a byte arena.
 */
#ifndef KENGINE_WORDS_H
#define KENGINE_WORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Exact set of distinct words (byte strings) with per-word occurrence
 * counts.  Reusable: words_set_clear() keeps the memory for the next batch.
 * Insertions of short words are deferred a few dozen words (to overlap
 * cache misses) and completed by any function reading the set, so even
 * the const accessors write: not thread-safe, use one set per thread. */
typedef struct words_set words_set;

words_set *words_set_new(void); /* NULL on OOM */
/* A set that keeps no per-word counts: 16-byte slots instead of 32, so half
 * the memory and cache misses. Its words report count 0 (words_set_top,
 * words_set_foreach, and into a set with counts words_set_merge adds 0);
 * for distinct words alone, e.g. with the memo or across a run. */
words_set *words_set_new_distinct(void);
bool words_set_counts(const words_set *set); /* made by words_set_new */
void words_set_free(words_set *set);         /* NULL is a no-op */
/* Forget contents, keep memory (O(1): bumps a generation counter). Also
 * resets the sticky OOM flag. */
void words_set_clear(words_set *set);
size_t words_set_size(const words_set *set);
/* Sticky flag: true if any insertion since the last clear failed (out of
 * memory, or a single word longer than 4 GiB).  Word counts returned by
 * words_scan stay exact; only the set may be missing words. */
bool words_set_oom(const words_set *set);

/* Tokenize one message value: adds each word to `set` (if set != NULL)
 * and returns the number of words. */
uint64_t words_scan(words_set *set, const void *buf, size_t len);
/* Count only, no set (fast path). */
uint64_t words_count(const void *buf, size_t len);

/* The tokenizer's implementations: words_scan and words_count use the
 * best the CPU has (AVX2, checked at run time, else SSE2 on x86-64, else
 * portable SWAR); the tests and the fuzzer drive each one. */
typedef enum { WORDS_IMPL_SWAR, WORDS_IMPL_SSE2, WORDS_IMPL_AVX2, WORDS_NIMPL } words_impl;
bool words_impl_available(words_impl impl);
const char *words_impl_name(words_impl impl); /* "swar", "sse2", "avx2" */
words_impl words_impl_best(void);             /* what words_scan uses */
/* words_scan (set NULL: words_count) with one implementation; one that
 * is not available falls back to the next one below it. */
uint64_t words_scan_impl(words_impl impl, words_set *set, const void *buf, size_t len);
/* The portable SWAR ones, by name. */
uint64_t words_scan_scalar(words_set *set, const void *buf, size_t len);
uint64_t words_count_scalar(const void *buf, size_t len);

/* Insert every word of `src` into `dst` adding its counts (e.g. batch set
 * into a run-wide set).  Returns 0, or -1 on OOM (or if dst == src). */
int words_set_merge(words_set *dst, const words_set *src);

/* The run-wide distinct set, merged on a thread of its own (words_merger.c):
 * a consumer hands each finished batch set over and gets an empty one
 * back at once, so merging (a cache miss per distinct word into the run's
 * large table) overlaps the next batch's scan. One merge in flight at most:
 * words_merger_put waits for the previous one. */
typedef struct words_merger words_merger;
/* The batch sets handed back come from words_set_new; the run's set keeps
 * no counts (words_set_new_distinct). NULL on OOM (or no thread). */
words_merger *words_merger_new(void);
void words_merger_free(words_merger *t); /* NULL is a no-op */
/* Takes *batch (read what you need from it first: from now on it belongs to
 * the merge) and puts a cleared set in its place. Returns -1 if an earlier
 * merge ran out of memory (the run's set misses words), else 0. */
int words_merger_put(words_merger *t, words_set **batch);
/* Waits for the merge in flight; returns the run's set (owned by t; the
 * caller may read or add to it until its next words_merger_put). */
words_set *words_merger_wait(words_merger *t);
/* Waits, then: did any merge or insertion into the run's set fail? */
bool words_merger_oom(words_merger *t);

/* Iterate distinct words (in table order) with their occurrence counts.
 * `word` points into the set and is not NUL-terminated. */
typedef void (*words_visit_fn)(const char *word, size_t len, uint64_t count, void *ud);
void words_set_foreach(const words_set *set, words_visit_fn fn, void *ud);

/* Top-N most frequent words: fills up to n entries sorted by count desc,
 * then bytes asc (memcmp order, a prefix sorts first); returns the number
 * filled.  Entries point into the set: valid until it is next modified. */
typedef struct {
    const char *word; /* word bytes (not NUL-terminated), owned by the set */
    size_t len;       /* word length in bytes */
    uint64_t count;   /* occurrences since the last clear */
} words_top_entry;
size_t words_set_top(const words_set *set, words_top_entry *out, size_t n);

/* HyperLogLog sketch of distinct words (words_hll.c): what workers ship
 * instead of their exact sets when those grow large (dist/state.c). Relative
 * standard error about 0.8%; sketches merge exactly (union). */
#define WORDS_HLL_BITS 14
#define WORDS_HLL_REGS (1u << WORDS_HLL_BITS)
typedef struct {
    uint8_t reg[WORDS_HLL_REGS];
} words_hll;
void words_hll_clear(words_hll *h);
void words_hll_add(words_hll *h, const void *word, size_t len);
void words_hll_add_set(words_hll *h, const words_set *set);
void words_hll_merge(words_hll *dst, const words_hll *src);
uint64_t words_hll_estimate(const words_hll *h);

/*
 * words_memo: remembers the message values already scanned into a batch's
 * set. A value seen before in the same batch adds its word count without
 * being tokenized again: its words are in the set already, so words and
 * distinct words stay exact. Replicated data (kengine's own workloads)
 * repeats values many times per batch; with values that do not repeat the
 * memo notices and switches itself off for the rest of the batch. The
 * set's per-word occurrence counts (words_set_top) are NOT updated for
 * remembered values, so callers that need them must not use the memo.
 */
typedef struct words_memo words_memo;
words_memo *words_memo_new(void);       /* NULL on OOM */
void words_memo_free(words_memo *memo); /* NULL is a no-op */
/* Forget the batch (call with words_set_clear); keeps memory. */
void words_memo_clear(words_memo *memo);
/* words_scan(set, buf, len), answered from the memo when it can be. */
uint64_t words_scan_memo(words_memo *memo, words_set *set, const void *buf, size_t len);
/* What the memo did this batch: values looked up and answered from it, and
 * whether it stood aside (too few repeats). For tests and diagnostics. */
typedef struct {
    uint64_t lookups, hits;
    bool off;
} words_memo_stats;
words_memo_stats words_memo_get_stats(const words_memo *memo);

#endif
