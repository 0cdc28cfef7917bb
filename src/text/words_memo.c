/*
 * words_memo: a per-batch memo of scanned message values (see words.h).
 *
 * An open-addressing table keyed by the value's 64-bit hash holds the
 * value's bytes (copied into an arena, so a hit is confirmed by memcmp and
 * the answer is exact even if two values share a hash) and its word count.
 * Bounded: at most MEMO_ARENA_MAX bytes of values per batch. Adaptive:
 * after MEMO_PROBE lookups in a batch with fewer than one hit in eight,
 * the memo stands aside until the next batch.
 */
#include "words.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define MEMO_ARENA_MAX (32u << 20)
#define MEMO_PROBE     4096

typedef struct {
    uint64_t hash;
    size_t off; /* value's bytes in the arena */
    uint32_t len;
    uint32_t words; /* its word count; slot empty when len == UINT32_MAX */
} memo_slot;

struct words_memo {
    memo_slot *slots;
    size_t cap, used; /* power of two; occupied slots */
    char *arena;
    size_t arena_len, arena_cap;
    uint64_t lookups, hits;
    bool off; /* stood aside for this batch */
};

static int memo_alloc_slots(words_memo *m, size_t cap) {
    memo_slot *s = malloc(cap * sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < cap; i++) s[i].len = UINT32_MAX;
    m->slots = s;
    m->cap = cap;
    return 0;
}

words_memo *words_memo_new(void) {
    words_memo *m = calloc(1, sizeof *m);
    if (!m || memo_alloc_slots(m, 4096)) {
        free(m);
        return NULL;
    }
    return m;
}

void words_memo_free(words_memo *m) {
    if (!m) return;
    free(m->slots);
    free(m->arena);
    free(m);
}

void words_memo_clear(words_memo *m) {
    if (m->used)
        for (size_t i = 0; i < m->cap; i++) m->slots[i].len = UINT32_MAX;
    m->used = 0;
    m->arena_len = 0;
    m->lookups = m->hits = 0;
    m->off = false;
}

static int memo_grow(words_memo *m) {
    memo_slot *old = m->slots;
    size_t oldcap = m->cap;
    if (memo_alloc_slots(m, oldcap * 2)) {
        m->slots = old;
        m->cap = oldcap;
        return -1;
    }
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].len == UINT32_MAX) continue;
        size_t j = old[i].hash & (m->cap - 1);
        while (m->slots[j].len != UINT32_MAX) j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
    return 0;
}

/* Copies the value in and records it; a full memo simply forgets. */
static void memo_put(words_memo *m, uint64_t h, size_t slot, const void *buf, size_t len,
                     uint64_t words) {
    if (len >= UINT32_MAX || words >= UINT32_MAX || m->arena_len + len > MEMO_ARENA_MAX) return;
    if (m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 1 << 20;
        while (cap < m->arena_len + len) cap *= 2;
        char *a = realloc(m->arena, cap);
        if (!a) return;
        m->arena = a;
        m->arena_cap = cap;
    }
    if (len) memcpy(m->arena + m->arena_len, buf, len); /* buf, arena may be NULL */
    m->slots[slot] = (memo_slot){h, m->arena_len, (uint32_t)len, (uint32_t)words};
    m->arena_len += len;
    m->used++;
    if (m->used * 2 > m->cap) memo_grow(m);
}

uint64_t words_scan_memo(words_memo *m, words_set *set, const void *buf, size_t len) {
    if (m->off) return words_scan(set, buf, len);
    m->lookups++;
    uint64_t h = XXH3_64bits(buf, len);
    size_t i = h & (m->cap - 1);
    for (; m->slots[i].len != UINT32_MAX; i = (i + 1) & (m->cap - 1)) {
        const memo_slot *s = &m->slots[i];
        if (s->hash == h && s->len == len &&
            (len == 0 || memcmp(m->arena + s->off, buf, len) == 0)) {
            m->hits++;
            return s->words;
        }
    }
    if (m->lookups == MEMO_PROBE && m->hits * 8 < m->lookups) m->off = true;
    uint64_t w = words_scan(set, buf, len);
    /* Not asking words_set_oom first: it completes the set's deferred
     * insertions, a stall at every message (BENCHMARKS.md, "Data that does
     * not repeat"). A failed insertion marks the set, and so the whole
     * batch, out of memory anyway. */
    if (!m->off) memo_put(m, h, i, buf, len, w);
    return w;
}

words_memo_stats words_memo_get_stats(const words_memo *m) {
    return (words_memo_stats){m->lookups, m->hits, m->off};
}
