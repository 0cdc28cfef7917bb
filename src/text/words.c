/*
 * words.c - word metrics hot path (see words.h for the exact semantics).
 *
 * Why it looks like this: the consumer must tokenize and dedup tens of
 * millions of words per second on a small (virtualised) box, so
 *  - the tokenizer has no per-byte branches: it builds a 64-bit
 *    "non-whitespace" bitmask per 64-byte block (SSE2 compares, or a
 *    portable SWAR fallback), derives word-boundary events with one shift
 *    and xor, and walks them with ctz (one iteration per word, not per
 *    byte; AVX2 where the CPU has it, chosen at run time); the count-only
 *    path is just a popcount per block;
 *  - the set is an open-addressing table (power-of-two capacity, linear
 *    probing, load <= 5/8) of 32-byte cache-aligned slots.  Words of up to
 *    16 bytes (nearly all of them) live inline in the slot, zero padded, so
 *    a lookup is one branch-free hash plus one slot; longer words are
 *    copied (only when new) into an arena of chunks that never move and
 *    found by XXH3 hash + memcmp.  No malloc per word; the table grows by
 *    doubling, the arena by chunks;
 *  - a set without counts (the run-wide one, which only needs its size and
 *    its words) has 16-byte slots: half the memory, page faults and cache
 *    misses of a table that reaches tens of MiB on data that never repeats;
 *  - table lookups are cache misses once a batch has ~10^5 distinct words,
 *    and a miss costs more than the rest of a word's work, so lookups are
 *    software pipelined: each word is hashed and its slot prefetched, and the
 *    lookup itself runs WORDS_PIPE words later (the ring persists across
 *    words_scan calls and is flushed by every function that reads the set);
 *  - clearing between batches is O(1): slots carry a generation number and
 *    a slot is live only if its generation equals the set's (a set without
 *    counts zeroes its table instead).
 */
#include "words.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WORDS_INIT_SLOTS 1024u         /* initial table capacity (power of 2) */
#define WORDS_INIT_ARENA (16u * 1024u) /* the arena's first chunk */
#define WORDS_INLINE_MAX 16u           /* words up to this long live in the slot */

/* One hash-table slot; 32 bytes so two share a cache line exactly.  Short
 * words (the vast majority) are stored inline, so finding a known word
 * touches exactly one slot and never the arena. */
typedef struct {
    union {
        unsigned char bytes[WORDS_INLINE_MAX]; /* len <= 16: word, 0-padded */
        uint64_t w[2];                         /* the same, for compares */
        struct {
            uint64_t off;  /* len > 16: the word's place in the arena */
            uint64_t hash; /* len > 16: XXH3_64bits of the word */
        } ext;
    } k;
    uint64_t count; /* occurrences of the word since the last clear */
    uint32_t len;   /* word length in bytes (words >= 4 GiB are refused) */
    uint32_t gen;   /* slot is live iff gen == words_set.gen */
} ws_slot;

/* The slot of a set without counts (words_set_new_distinct): 16 bytes,
 * four to a cache line, so its table is half the memory and half the cache
 * misses of the one above. Words of up to 15 bytes live inline with their
 * length in byte 15; longer ones are in the arena behind a 4-byte length
 * and found by hash. Byte 15 is 0 in a free slot (no generations: clearing
 * zeroes the table), 1..15 for an inline word, WORDS_DLONG for a long one. */
#define WORDS_DINLINE_MAX 15u
#define WORDS_DLONG       0xffu
typedef union {
    unsigned char bytes[16]; /* inline: the word, 0-padded, then its length */
    uint64_t w[2];           /* the same, for compares */
    struct {
        uint64_t hash;        /* long: XXH3_64bits of the word */
        unsigned char off[7]; /* long: place in the arena, little-endian */
        unsigned char tag;    /* byte 15 */
    } ext;
} ws_dslot;

/* Deferred short-word insertions: hashed and prefetched, looked up
 * WORDS_PIPE insertions later, when the slot's cache line has arrived. */
#ifndef WORDS_PIPE
#define WORDS_PIPE 32u /* power of two */
#endif

/* Deferred long-word insertions (> 16 bytes), the same idea: the word's
 * bytes belong to the caller, so this ring is emptied before words_scan
 * (or words_set_merge) returns. Natural text has few long words, JSON
 * one a message (its opening key and value), nearly always distinct. */
#define WORDS_LPIPE 8u /* power of two */

typedef struct {
    const char *p[WORDS_LPIPE];
    size_t len[WORDS_LPIPE];
    uint64_t h[WORDS_LPIPE];   /* XXH3_64bits of the word */
    uint64_t add[WORDS_LPIPE]; /* occurrences to add */
    size_t head;
} ws_lpipe;

/* The bytes of the words too long for a slot, in chunks that never move:
 * growing copies nothing and first touches only what it stores (a run-wide
 * set on data that does not repeat keeps megabytes of such words, and one
 * realloc'd buffer copied them at every growth and touched twice what it
 * kept: BENCHMARKS.md, "Data that does not repeat"). A word's place is its
 * chunk's index << ARENA_OFF_BITS | its offset in the chunk. Clearing keeps
 * the chunks for the next batch. */
#define ARENA_CHUNK_MAX ((size_t)1 << 20) /* chunks double up to this */
#define ARENA_OFF_BITS  40
#define ARENA_CHUNKS    ((size_t)1 << 16) /* so that a place fits 7 bytes */

typedef struct {
    char **chunk; /* chunk[i] has size[i] bytes */
    size_t *size;
    size_t n, cap;    /* chunks allocated; room in chunk[] and size[] */
    size_t cur, used; /* the chunk being filled, and its bytes used */
} ws_arena;

typedef struct {
    uint64_t lo[WORDS_PIPE];  /* zero-padded word bytes 0..7 */
    uint64_t hi[WORDS_PIPE];  /* zero-padded word bytes 8..15 */
    uint64_t h[WORDS_PIPE];   /* hash_short() of the word */
    uint64_t add[WORDS_PIPE]; /* occurrences to add */
    uint32_t len[WORDS_PIPE]; /* word length (<= 16) */
    size_t head;              /* words pushed so far */
} ws_pipe;

struct words_set {
    bool counts;      /* per-word counts: slots, else dslots */
    ws_slot *slots;   /* capacity = mask + 1 slots, zeroed (gen 0 = free) */
    ws_dslot *dslots; /* the same without counts (byte 15 == 0: free) */
    size_t mask;      /* capacity - 1; capacity is a power of two */
    size_t size;      /* live slots == distinct words */
    size_t grow_at;   /* double the table before size exceeds this */
    uint32_t gen;     /* current generation, never 0 (slots only) */
    bool oom;         /* sticky: an insertion failed since the last clear */
    ws_arena arena;   /* the distinct words too long for a slot */
    ws_pipe pipe;     /* pending insertions, see set_flush() */
    ws_lpipe lpipe;   /* pending long-word insertions, see lpipe_flush() */
};

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static inline uint64_t ld64(const void *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline unsigned popcnt64(uint64_t x) {
#ifdef __POPCNT__
    return (unsigned)__builtin_popcountll(x);
#else
    /* Baseline x86-64 has no POPCNT; avoid the libgcc call. */
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/* 16 x 0xff then 16 x 0: ld64(mask_bytes + 16 - n) keeps the first n bytes
 * of a loaded word whatever the endianness. */
/* clang-format off */
static const unsigned char mask_bytes[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
/* clang-format on */

/* Hash of a short word given as its zero-padded 16 bytes: one 64x64->128
 * multiply folded, then a murmur-style finalizer (branch-free, unlike
 * XXH3's length dispatch, which mispredicts on natural text). */
static inline uint64_t hash_short(uint64_t lo, uint64_t hi, size_t len) {
    uint64_t a = lo ^ 0x9e3779b97f4a7c15ULL;
    uint64_t b = hi ^ 0xd6e8feb86659fd93ULL ^ ((uint64_t)len << 58);
#ifdef __SIZEOF_INT128__
    unsigned __int128 m = (unsigned __int128)a * b;
    uint64_t h = (uint64_t)m ^ (uint64_t)(m >> 64);
#else
    uint64_t h = (a * 0xff51afd7ed558ccdULL) ^ (b * 0xc4ceb9fe1a85ec53ULL);
    h ^= (a >> 29) + (b >> 31);
#endif
    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
    return h;
}

static inline uint64_t slot_hash(const ws_slot *sl) {
    return sl->len <= WORDS_INLINE_MAX ? hash_short(sl->k.w[0], sl->k.w[1], sl->len)
                                       : sl->k.ext.hash;
}

static inline const char *arena_at(const ws_arena *a, uint64_t place) {
    return a->chunk[place >> ARENA_OFF_BITS] + (place & (((uint64_t)1 << ARENA_OFF_BITS) - 1));
}

/* Room for `need` bytes, contiguous; sets *place. NULL on OOM. */
static char *arena_take(ws_arena *a, size_t need, uint64_t *place) {
    if (a->n == 0 || a->size[a->cur] - a->used < need) {
        size_t next = a->n ? a->cur + 1 : 0;
        if (next < a->n && a->size[next] >= need) {
            a->cur = next; /* a chunk kept from before the last clear */
        } else {
            if (next >= ARENA_CHUNKS) return NULL;
            size_t sz = next ? a->size[a->cur] * 2 : WORDS_INIT_ARENA;
            if (sz > ARENA_CHUNK_MAX) sz = ARENA_CHUNK_MAX;
            if (sz < need) sz = need; /* a word bigger than a chunk: its own */
            if (next == a->cap) {
                size_t ncap = a->cap ? a->cap * 2 : 8;
                char **c = realloc(a->chunk, ncap * sizeof *c);
                if (!c) return NULL;
                a->chunk = c;
                size_t *z = realloc(a->size, ncap * sizeof *z);
                if (!z) return NULL;
                a->size = z;
                a->cap = ncap;
            }
            char *c = malloc(sz);
            if (!c) return NULL;
            if (next < a->n)
                free(a->chunk[next]); /* kept, but too small for this word */
            else
                a->n++;
            a->chunk[next] = c;
            a->size[next] = sz;
            a->cur = next;
        }
        a->used = 0;
    }
    *place = (uint64_t)a->cur << ARENA_OFF_BITS | a->used;
    char *p = a->chunk[a->cur] + a->used;
    a->used += need;
    return p;
}

static void arena_free(ws_arena *a) {
    for (size_t i = 0; i < a->n; i++) free(a->chunk[i]);
    free(a->chunk);
    free(a->size);
}

/* Bytes of a live slot's word. */
static inline const char *slot_word(const words_set *s, const ws_slot *sl) {
    return sl->len <= WORDS_INLINE_MAX ? (const char *)sl->k.bytes
                                       : arena_at(&s->arena, sl->k.ext.off);
}

/* ------------------------------------------------------------------ */
/* the set                                                              */

static void set_flush(const words_set *s);

/* A 64-bit word whose byte 7 (in memory order) is v and the rest zero:
 * byte 15 of a distinct slot, as part of its second word. */
static inline uint64_t byte7(unsigned v) {
    unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, (unsigned char)v};
    return ld64(b);
}

static inline bool dslot_live(const ws_dslot *sl) { return sl->bytes[15] != 0; }

static inline uint64_t dslot_off(const ws_dslot *sl) {
    uint64_t off = 0;
    for (unsigned i = 0; i < 7; i++) off |= (uint64_t)sl->ext.off[i] << (8 * i);
    return off;
}

/* A live distinct slot's word: its bytes and length. */
static inline const char *dslot_word(const words_set *s, const ws_dslot *sl, size_t *len) {
    if (sl->bytes[15] != WORDS_DLONG) {
        *len = sl->bytes[15];
        return (const char *)sl->bytes;
    }
    const char *a = arena_at(&s->arena, dslot_off(sl));
    uint32_t n;
    memcpy(&n, a, sizeof n);
    *len = n;
    return a + sizeof n;
}

static inline uint64_t dslot_hash(const ws_dslot *sl) {
    if (sl->bytes[15] == WORDS_DLONG) return sl->ext.hash;
    return hash_short(sl->w[0], sl->w[1] & ~byte7(0xff), sl->bytes[15]);
}

/* Words up to this long are inline (and go through the short-word ring). */
static inline size_t set_inline_max(const words_set *s) {
    return s->counts ? WORDS_INLINE_MAX : WORDS_DINLINE_MAX;
}

/* Zeroed table of `bytes` (a multiple of 64) aligned to a cache line, so
 * no slot straddles two lines (calloc's large chunks are only 16-byte
 * aligned). Not on huge pages: madvise(MADV_HUGEPAGE) cuts the page faults
 * of a large run-wide set, but where the kernel compacts memory for such
 * regions synchronously (THP defrag "madvise") some runs stall for seconds
 * (BENCHMARKS.md, "Data that does not repeat"). */
static void *table_alloc(size_t bytes) {
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

static words_set *set_new(bool counts) {
    words_set *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->counts = counts;
    void *t = table_alloc(WORDS_INIT_SLOTS * (counts ? sizeof(ws_slot) : sizeof(ws_dslot)));
    if (counts)
        s->slots = t;
    else
        s->dslots = t;
    if (!t) {
        free(s);
        return NULL;
    }
    s->mask = WORDS_INIT_SLOTS - 1;
    s->grow_at = WORDS_INIT_SLOTS / 2 + WORDS_INIT_SLOTS / 8;
    s->gen = 1;
    return s;
}

words_set *words_set_new(void) { return set_new(true); }

words_set *words_set_new_distinct(void) { return set_new(false); }

bool words_set_counts(const words_set *s) { return s->counts; }

void words_set_free(words_set *s) {
    if (!s) return;
    free(s->slots);
    free(s->dslots);
    arena_free(&s->arena);
    free(s);
}

void words_set_clear(words_set *s) {
    if (!s->counts) {
        if (s->size) memset(s->dslots, 0, (s->mask + 1) * sizeof *s->dslots);
    } else if (++s->gen == 0) { /* wrapped after 4G clears: really wipe once */
        memset(s->slots, 0, (s->mask + 1) * sizeof *s->slots);
        s->gen = 1;
    }
    s->size = 0;
    s->arena.cur = s->arena.used = 0;
    s->oom = false;
    s->pipe.head = 0; /* pending insertions belong to the old contents */
    s->lpipe.head = 0;
}

size_t words_set_size(const words_set *s) {
    set_flush(s);
    return s->size;
}

bool words_set_oom(const words_set *s) {
    set_flush(s);
    return s->oom;
}

/* Double the table; -1 on OOM (the old table stays valid). Each word moves
 * to its old home or that plus the old capacity: two streams. */
static int set_grow(words_set *s) {
    size_t cap = s->mask + 1;
    if (cap > SIZE_MAX / 2 / sizeof(ws_slot)) return -1;
    size_t ncap = cap * 2, nmask = ncap - 1;
    if (s->counts) {
        ws_slot *ns = table_alloc(ncap * sizeof *ns);
        if (!ns) return -1;
        const uint32_t gen = s->gen;
        for (size_t i = 0; i < cap; i++) {
            if (s->slots[i].gen != gen) continue;
            size_t j = (size_t)slot_hash(&s->slots[i]) & nmask;
            while (ns[j].gen == gen) j = (j + 1) & nmask;
            ns[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns;
    } else {
        ws_dslot *ns = table_alloc(ncap * sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < cap; i++) {
            if (!dslot_live(&s->dslots[i])) continue;
            size_t j = (size_t)dslot_hash(&s->dslots[i]) & nmask;
            while (dslot_live(&ns[j])) j = (j + 1) & nmask;
            ns[j] = s->dslots[i];
        }
        free(s->dslots);
        s->dslots = ns;
    }
    s->mask = nmask;
    s->grow_at = ncap / 2 + ncap / 8;
    return 0;
}

/* Counts a new word in, growing the table first if needed; returns the
 * index of the free slot to fill (i, or where the word's home leads in the
 * grown table), or SIZE_MAX on OOM. */
static size_t set_claim(words_set *s, size_t i, uint64_t h) {
    if (s->size >= s->grow_at) {
        if (set_grow(s) != 0) return SIZE_MAX;
        i = (size_t)h & s->mask;
        if (s->counts)
            while (s->slots[i].gen == s->gen) i = (i + 1) & s->mask;
        else
            while (dslot_live(&s->dslots[i])) i = (i + 1) & s->mask;
    }
    s->size++;
    return i;
}

/* Add `add` occurrences of the short word (len <= 16) whose zero-padded
 * bytes are lo, hi.  0 or -1 (OOM). */
static inline int set_add_short(words_set *s, uint64_t lo, uint64_t hi, uint32_t len,
                                uint64_t h, uint64_t add) {
    const size_t mask = s->mask;
    const uint32_t gen = s->gen;
    ws_slot *slots = s->slots;
    size_t i = (size_t)h & mask;
    for (;;) {
        ws_slot *sl = &slots[i];
        if (sl->gen != gen) {
            if ((i = set_claim(s, i, h)) == SIZE_MAX) return -1;
            sl = &s->slots[i];
            sl->k.w[0] = lo;
            sl->k.w[1] = hi;
            sl->count = add;
            sl->len = len;
            sl->gen = gen;
            return 0;
        }
        if (sl->k.w[0] == lo && sl->k.w[1] == hi && sl->len == len) {
            sl->count += add;
            return 0;
        }
        i = (i + 1) & mask;
    }
}

/* The same in a set without counts (len <= 15): the slot is lo and hi with
 * the length in its top byte. */
static inline int dset_add_short(words_set *s, uint64_t lo, uint64_t hi, uint32_t len,
                                 uint64_t h) {
    const size_t mask = s->mask;
    const uint64_t key = hi | byte7(len);
    const ws_dslot *t = s->dslots;
    size_t i = (size_t)h & mask;
    for (;;) {
        const ws_dslot *sl = &t[i];
        if (!dslot_live(sl)) {
            if ((i = set_claim(s, i, h)) == SIZE_MAX) return -1;
            s->dslots[i].w[0] = lo;
            s->dslots[i].w[1] = key;
            return 0;
        }
        if (sl->w[0] == lo && sl->w[1] == key) return 0;
        i = (i + 1) & mask;
    }
}

/* Slow path for words longer than 16 bytes: stored in the arena. */
static int set_add_long(words_set *s, const char *p, size_t len, uint64_t h, uint64_t add) {
    const size_t mask = s->mask;
    size_t i = (size_t)h & mask;
    for (;;) {
        ws_slot *sl = &s->slots[i];
        if (sl->gen != s->gen) break;
        if (sl->len == len && sl->k.ext.hash == h &&
            memcmp(arena_at(&s->arena, sl->k.ext.off), p, len) == 0) {
            sl->count += add;
            return 0;
        }
        i = (i + 1) & mask;
    }
    uint64_t place;
    char *a = arena_take(&s->arena, len, &place);
    if (!a || (i = set_claim(s, i, h)) == SIZE_MAX) return -1;
    memcpy(a, p, len);
    ws_slot *sl = &s->slots[i];
    sl->k.ext.off = place;
    sl->k.ext.hash = h;
    sl->count = add;
    sl->len = (uint32_t)len;
    sl->gen = s->gen;
    return 0;
}

/* The same without counts (len >= 16): arena bytes are a 4-byte length,
 * then the word. */
static int dset_add_long(words_set *s, const char *p, size_t len, uint64_t h) {
    const size_t mask = s->mask;
    const uint32_t n32 = (uint32_t)len;
    size_t i = (size_t)h & mask;
    for (;;) {
        const ws_dslot *sl = &s->dslots[i];
        if (!dslot_live(sl)) break;
        if (sl->bytes[15] == WORDS_DLONG && sl->ext.hash == h) {
            const char *a = arena_at(&s->arena, dslot_off(sl));
            if (memcmp(a, &n32, sizeof n32) == 0 && memcmp(a + sizeof n32, p, len) == 0)
                return 0;
        }
        i = (i + 1) & mask;
    }
    uint64_t place;
    char *a = arena_take(&s->arena, sizeof n32 + len, &place);
    if (!a || (i = set_claim(s, i, h)) == SIZE_MAX) return -1;
    memcpy(a, &n32, sizeof n32);
    memcpy(a + sizeof n32, p, len);
    ws_dslot *sl = &s->dslots[i];
    sl->ext.hash = h;
    for (unsigned k = 0; k < 7; k++) sl->ext.off[k] = (unsigned char)(place >> (8 * k));
    sl->ext.tag = WORDS_DLONG;
    return 0;
}

static inline void pipe_do(words_set *set, size_t i) {
    const ws_pipe *pp = &set->pipe;
    int rc = set->counts
                 ? set_add_short(set, pp->lo[i], pp->hi[i], pp->len[i], pp->h[i], pp->add[i])
                 : dset_add_short(set, pp->lo[i], pp->hi[i], pp->len[i], pp->h[i]);
    if (rc) set->oom = true;
}

/* The slot a word with hash h would be looked up in first. */
static inline const void *set_home(const words_set *set, uint64_t h) {
    size_t i = (size_t)h & set->mask;
    return set->counts ? (const void *)&set->slots[i] : (const void *)&set->dslots[i];
}

/* Queue a short word (len <= set_inline_max); first completes the
 * insertion queued WORDS_PIPE pushes ago if the ring is full. */
static inline void pipe_push(words_set *set, uint64_t lo, uint64_t hi, uint32_t len, uint64_t h,
                             uint64_t add) {
    ws_pipe *pp = &set->pipe;
    size_t i = pp->head++ & (WORDS_PIPE - 1);
    if (pp->head > WORDS_PIPE) pipe_do(set, i);
    __builtin_prefetch(set_home(set, h), 1, 3);
    pp->lo[i] = lo;
    pp->hi[i] = hi;
    pp->h[i] = h;
    pp->add[i] = add;
    pp->len[i] = len;
}

/* Complete all pending insertions.  Called by everything that reads the
 * set, including the const accessors: sets only come from words_set_new()
 * (never const objects), so casting the const away there is well defined;
 * the deferral is invisible to callers. */
static void set_flush(const words_set *cset) {
    words_set *set = (words_set *)(uintptr_t)cset;
    ws_pipe *pp = &set->pipe;
    if (pp->head == 0) return;
    size_t n = pp->head < WORDS_PIPE ? pp->head : WORDS_PIPE;
    for (size_t k = pp->head - n; k < pp->head; k++) pipe_do(set, k & (WORDS_PIPE - 1));
    pp->head = 0;
}

static inline void lpipe_do(words_set *set, size_t i) {
    const ws_lpipe *lp = &set->lpipe;
    int rc = set->counts ? set_add_long(set, lp->p[i], lp->len[i], lp->h[i], lp->add[i])
                         : dset_add_long(set, lp->p[i], lp->len[i], lp->h[i]);
    if (rc) set->oom = true;
}

/* Queue a long word (its bytes stay valid until lpipe_flush); completes
 * the one queued WORDS_LPIPE pushes ago if the ring is full. */
static inline void lpipe_push(words_set *set, const char *p, size_t len, uint64_t h,
                              uint64_t add) {
    ws_lpipe *lp = &set->lpipe;
    size_t i = lp->head++ & (WORDS_LPIPE - 1);
    if (lp->head > WORDS_LPIPE) lpipe_do(set, i);
    __builtin_prefetch(set_home(set, h), 1, 3);
    lp->p[i] = p;
    lp->len[i] = len;
    lp->h[i] = h;
    lp->add[i] = add;
}

/* Complete the pending long-word insertions (before the bytes go). */
static void lpipe_flush(words_set *set) {
    ws_lpipe *lp = &set->lpipe;
    if (lp->head == 0) return;
    size_t n = lp->head < WORDS_LPIPE ? lp->head : WORDS_LPIPE;
    for (size_t k = lp->head - n; k < lp->head; k++) lpipe_do(set, k & (WORDS_LPIPE - 1));
    lp->head = 0;
}

/* Add one occurrence of the word buf[s..s+n) (buf has buflen bytes). */
static inline void set_add_word(words_set *set, const char *buf, size_t buflen, size_t s,
                                size_t n) {
    const char *p = buf + s;
    if (n <= set_inline_max(set)) {
        uint64_t lo, hi;
        if (buflen - s >= 16) { /* two unaligned loads, then mask */
            lo = ld64(p) & ld64(mask_bytes + 16 - n);
            hi = ld64(p + 8) & ld64(mask_bytes + 24 - n);
        } else { /* near the end of the buffer: don't over-read */
#if defined(__SIZEOF_INT128__) && defined(__BYTE_ORDER__) &&                                   \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (buflen >= 16) { /* the 16 bytes that end the buffer, shifted */
                const char *q = buf + buflen - 16;
                unsigned __int128 v =
                    (unsigned __int128)ld64(q) | (unsigned __int128)ld64(q + 8) << 64;
                v >>= 8 * (16 - (buflen - s));
                lo = (uint64_t)v & ld64(mask_bytes + 16 - n);
                hi = (uint64_t)(v >> 64) & ld64(mask_bytes + 24 - n);
            } else
#endif
            {
                uint64_t t[2] = {0, 0};
                memcpy(t, p, n);
                lo = t[0];
                hi = t[1];
            }
        }
        pipe_push(set, lo, hi, (uint32_t)n, hash_short(lo, hi, n), 1);
    } else if (n > UINT32_MAX) {
        set->oom = true;
    } else {
        lpipe_push(set, p, n, XXH3_64bits(p, n), 1);
    }
}

/* Queue `add` occurrences of the word p[0..len) into dst, whichever kind
 * of slot dst has. `h` is the word's XXH3_64bits if the caller has it
 * (len >= 16), else 0. */
static inline void set_push(words_set *dst, const char *p, size_t len, uint64_t h,
                            uint64_t add) {
    if (len <= set_inline_max(dst)) {
        uint64_t w[2] = {0, 0};
        memcpy(w, p, len);
        pipe_push(dst, w[0], w[1], (uint32_t)len, hash_short(w[0], w[1], len), add);
    } else {
        lpipe_push(dst, p, len, h ? h : XXH3_64bits(p, len), add);
    }
}

int words_set_merge(words_set *dst, const words_set *src) {
    if (dst == src) return -1;
    set_flush(src);
    const size_t cap = src->mask + 1;
    if (src->counts) {
        for (size_t i = 0; i < cap; i++) {
            const ws_slot *sl = &src->slots[i];
            if (sl->gen != src->gen) continue;
            if (sl->len <= WORDS_DINLINE_MAX || (sl->len == WORDS_INLINE_MAX && dst->counts))
                pipe_push(dst, sl->k.w[0], sl->k.w[1], sl->len,
                          hash_short(sl->k.w[0], sl->k.w[1], sl->len), sl->count);
            else if (sl->len <= WORDS_INLINE_MAX)
                set_push(dst, (const char *)sl->k.bytes, sl->len, 0, sl->count);
            else
                lpipe_push(dst, arena_at(&src->arena, sl->k.ext.off), sl->len, sl->k.ext.hash,
                           sl->count);
        }
    } else {
        const uint64_t lenbyte = byte7(0xff);
        for (size_t i = 0; i < cap; i++) {
            const ws_dslot *sl = &src->dslots[i];
            unsigned tag = sl->bytes[15];
            if (tag == 0) continue;
            if (tag != WORDS_DLONG) {
                uint64_t hi = sl->w[1] & ~lenbyte;
                pipe_push(dst, sl->w[0], hi, tag, hash_short(sl->w[0], hi, tag), 0);
            } else {
                size_t len;
                const char *w = dslot_word(src, sl, &len);
                set_push(dst, w, len, sl->ext.hash, 0);
            }
        }
    }
    lpipe_flush(dst);
    set_flush(dst);
    return dst->oom ? -1 : 0;
}

/* Slot i's word, if the slot is live. */
static inline bool set_entry(const words_set *s, size_t i, words_top_entry *e) {
    if (s->counts) {
        const ws_slot *sl = &s->slots[i];
        if (sl->gen != s->gen) return false;
        *e = (words_top_entry){slot_word(s, sl), sl->len, sl->count};
        return true;
    }
    const ws_dslot *sl = &s->dslots[i];
    if (!dslot_live(sl)) return false;
    e->word = dslot_word(s, sl, &e->len);
    e->count = 0;
    return true;
}

void words_set_foreach(const words_set *s, words_visit_fn fn, void *ud) {
    set_flush(s);
    const size_t cap = s->mask + 1;
    words_top_entry e;
    for (size_t i = 0; i < cap; i++)
        if (set_entry(s, i, &e)) fn(e.word, e.len, e.count, ud);
}

/* Ranking for top-N: <0 if a ranks before b (more frequent, then bytes
 * ascending with a proper prefix first). */
static int top_cmp(const words_top_entry *a, const words_top_entry *b) {
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->word, b->word, n) : 0;
    if (c) return c;
    return a->len < b->len ? -1 : (a->len > b->len);
}

static int top_qsort_cmp(const void *a, const void *b) { return top_cmp(a, b); }

/* out[0..n) is a heap whose root is the worst-ranked kept entry. */
static void top_sift_down(words_top_entry *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && top_cmp(&h[l], &h[w]) > 0) w = l;
        if (r < n && top_cmp(&h[r], &h[w]) > 0) w = r;
        if (w == i) return;
        words_top_entry t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void top_sift_up(words_top_entry *h, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (top_cmp(&h[i], &h[p]) <= 0) return;
        words_top_entry t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

size_t words_set_top(const words_set *s, words_top_entry *out, size_t n) {
    if (n == 0 || !out) return 0;
    set_flush(s);
    size_t filled = 0;
    const size_t cap = s->mask + 1;
    words_top_entry e;
    for (size_t i = 0; i < cap; i++) {
        if (!set_entry(s, i, &e)) continue;
        if (filled < n) {
            out[filled] = e;
            top_sift_up(out, filled++);
        } else if (top_cmp(&e, &out[0]) < 0) {
            out[0] = e;
            top_sift_down(out, filled, 0);
        }
    }
    qsort(out, filled, sizeof *out, top_qsort_cmp);
    return filled;
}

/* ------------------------------------------------------------------ */
/* the tokenizer                                                        */

/* Portable SWAR: bit i of the result is set iff byte i of the 8 bytes at p
 * is ASCII whitespace (0x20 or 0x09..0x0d).  Exact: no cross-byte carries. */
static inline unsigned ws8_swar(const unsigned char *p) {
    const uint64_t L = 0x0101010101010101ULL;
    const uint64_t L7 = 0x7f7f7f7f7f7f7f7fULL, H = 0x8080808080808080ULL;
    uint64_t x = ld64(p);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x); /* byte i at bits 8i..8i+7 */
#endif
    uint64_t y = x ^ (L * 0x20);
    uint64_t sp = ~(((y & L7) + L7) | y | L7); /* high bit iff byte == 0x20 */
    uint64_t lo = x & L7;
    uint64_t ge9 = lo + L * (0x80 - 9);   /* high bit iff (b & 0x7f) >= 9 */
    uint64_t ge14 = lo + L * (0x80 - 14); /* high bit iff (b & 0x7f) >= 14 */
    uint64_t ws = (sp | (ge9 & ~ge14 & ~x)) & H;
    /* gather the 8 high bits into one byte */
    return (unsigned)(((ws >> 7) * 0x0102040810204080ULL) >> 56);
}

/* Bit i set iff p[i] (i < 64) is a word byte (not whitespace). */
static inline uint64_t nonws64_swar(const unsigned char *p) {
    uint64_t ws = 0;
    for (unsigned k = 0; k < 8; k++) ws |= (uint64_t)ws8_swar(p + 8 * k) << (8 * k);
    return ~ws;
}

#ifdef __SSE2__
static inline uint64_t nonws64_sse2(const unsigned char *p) {
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i bias = _mm_set1_epi8((char)(0x80 - 9)); /* 9..13 -> -128..-124 */
    const __m128i lim = _mm_set1_epi8((char)-123);
    uint64_t ws = 0;
    for (unsigned k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i w =
            _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmplt_epi8(_mm_add_epi8(v, bias), lim));
        ws |= (uint64_t)(uint16_t)_mm_movemask_epi8(w) << (16 * k);
    }
    return ~ws;
}
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define WORDS_HAVE_AVX2 1
/* The same with 32-byte registers: half the loads, compares and movemasks.
 * Only reached when the CPU has AVX2 (scan_dispatch checks). */
__attribute__((target("avx2"))) static inline uint64_t nonws64_avx2(const unsigned char *p) {
    const __m256i space = _mm256_set1_epi8(' ');
    const __m256i bias = _mm256_set1_epi8((char)(0x80 - 9));
    const __m256i lim = _mm256_set1_epi8((char)-123);
    uint64_t ws = 0;
    for (unsigned k = 0; k < 2; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
        __m256i w = _mm256_or_si256(_mm256_cmpeq_epi8(v, space),
                                    _mm256_cmpgt_epi8(lim, _mm256_add_epi8(v, bias)));
        ws |= (uint64_t)(uint32_t)_mm256_movemask_epi8(w) << (32 * k);
    }
    return ~ws;
}
#define NONWS64(p, sse)                                                                        \
    ((sse) == 2 ? nonws64_avx2(p) : (sse) ? nonws64_sse2(p) : nonws64_swar(p))
#else
#define NONWS64(p, sse) ((sse) ? nonws64_sse2(p) : nonws64_swar(p))
#endif
#else
#define NONWS64(p, sse) ((void)(sse), nonws64_swar(p))
#endif

#define WORDS_ALWAYS_INLINE inline __attribute__((always_inline))

/* The mask of the last, partial block p[base..len) (0 < len - base < 64),
 * bytes past len as whitespace: the 64 bytes that end at len, shifted
 * (no copy), or a space-padded copy of a message shorter than a block. */
static WORDS_ALWAYS_INLINE uint64_t tail_mask(const unsigned char *p, size_t len, size_t base,
                                              int sse) {
    if (len >= 64) return NONWS64(p + len - 64, sse) >> (64 - (len - base));
    unsigned char tmp[64];
    memset(tmp, ' ', sizeof tmp);
    memcpy(tmp, p + base, len - base);
    return NONWS64(tmp, sse);
}

/* Count words: a word starts at each word byte whose predecessor is
 * whitespace (or the buffer start): popcount(m & ~(m << 1 | carry)). */
static WORDS_ALWAYS_INLINE uint64_t count_impl(const unsigned char *p, size_t len, int sse) {
    uint64_t words = 0, carry = 0; /* carry: previous byte is a word byte */
    size_t base = 0;
    for (; base + 64 <= len; base += 64) {
        uint64_t m = NONWS64(p + base, sse);
        words += popcnt64(m & ~((m << 1) | carry));
        carry = m >> 63;
    }
    if (base < len) {
        uint64_t m = tail_mask(p, len, base, sse);
        words += popcnt64(m & ~((m << 1) | carry));
    }
    return words;
}

/* Process one block's mask: events = bits where word-ness changes (word
 * starts and one-past-ends alternate); emit each completed word. */
static WORDS_ALWAYS_INLINE void scan_block(words_set *set, const char *p, size_t len,
                                           size_t base, uint64_t m, uint64_t *carry,
                                           size_t *start, uint64_t *words) {
    uint64_t ev = m ^ ((m << 1) | *carry);
    if (*carry && ev) { /* first event closes the word open at block entry */
        size_t e = base + (size_t)__builtin_ctzll(ev);
        ev &= ev - 1;
        set_add_word(set, p, len, *start, e - *start);
        ++*words;
    }
    while (ev) {
        size_t s = base + (size_t)__builtin_ctzll(ev);
        ev &= ev - 1;
        if (!ev) { /* word continues into the next block */
            *start = s;
            break;
        }
        size_t e = base + (size_t)__builtin_ctzll(ev);
        ev &= ev - 1;
        set_add_word(set, p, len, s, e - s);
        ++*words;
    }
    *carry = m >> 63;
}

static WORDS_ALWAYS_INLINE uint64_t scan_impl(words_set *set, const unsigned char *p,
                                              size_t len, int sse) {
    if (!set) return count_impl(p, len, sse);
    const char *cp = (const char *)p;
    uint64_t words = 0, carry = 0;
    size_t start = 0, base = 0;
    for (; base + 64 <= len; base += 64)
        scan_block(set, cp, len, base, NONWS64(p + base, sse), &carry, &start, &words);
    if (base < len)
        scan_block(set, cp, len, base, tail_mask(p, len, base, sse), &carry, &start, &words);
    if (carry) { /* len % 64 == 0 and the buffer ends inside a word */
        set_add_word(set, cp, len, start, len - start);
        words++;
    }
    lpipe_flush(set); /* the long words' bytes are the caller's */
    return words;
}

#ifdef WORDS_HAVE_AVX2
/* scan_impl compiled for AVX2 (the whole loop, so the mask inlines) */
__attribute__((target("avx2,popcnt"))) static uint64_t scan_avx2(words_set *set,
                                                                 const void *buf, size_t len) {
    return scan_impl(set, buf, len, 2);
}
#endif

bool words_impl_available(words_impl impl) {
    switch (impl) {
    case WORDS_IMPL_SWAR: return true;
#ifdef __SSE2__
    case WORDS_IMPL_SSE2: return true;
#endif
#ifdef WORDS_HAVE_AVX2
    case WORDS_IMPL_AVX2: return __builtin_cpu_supports("avx2");
#endif
    default: return false;
    }
}

const char *words_impl_name(words_impl impl) {
    static const char *const names[WORDS_NIMPL] = {"swar", "sse2", "avx2"};
    return (unsigned)impl < WORDS_NIMPL ? names[impl] : "?";
}

words_impl words_impl_best(void) {
    for (int i = WORDS_NIMPL - 1; i > 0; i--)
        if (words_impl_available((words_impl)i)) return (words_impl)i;
    return WORDS_IMPL_SWAR;
}

/* The one dispatch; inlined, so words_scan's constant choice costs one
 * CPU check per message and no switch. */
static WORDS_ALWAYS_INLINE uint64_t scan_dispatch(words_impl impl, words_set *set,
                                                  const void *buf, size_t len) {
    switch (impl) {
#ifdef WORDS_HAVE_AVX2
    case WORDS_IMPL_AVX2:
        if (__builtin_cpu_supports("avx2")) return scan_avx2(set, buf, len);
        __attribute__((fallthrough)); /* to the next one below */
#endif
#ifdef __SSE2__
    case WORDS_IMPL_SSE2: return scan_impl(set, buf, len, 1);
#endif
    default: break;
    }
    return scan_impl(set, buf, len, 0);
}

uint64_t words_scan_impl(words_impl impl, words_set *set, const void *buf, size_t len) {
    return scan_dispatch(impl, set, buf, len);
}

uint64_t words_scan_scalar(words_set *set, const void *buf, size_t len) {
    return scan_impl(set, buf, len, 0);
}

uint64_t words_count_scalar(const void *buf, size_t len) { return count_impl(buf, len, 0); }

uint64_t words_scan(words_set *set, const void *buf, size_t len) {
    /* the best there is: each one the CPU lacks falls to the next below */
    return scan_dispatch(WORDS_NIMPL - 1, set, buf, len);
}

uint64_t words_count(const void *buf, size_t len) { return words_scan(NULL, buf, len); }
