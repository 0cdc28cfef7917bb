/*
 * fuzz_words.c - libFuzzer target for src/words.c.
 *
 * The input is a batch of messages: the bytes split at every '~' (0x7e,
 * which is dropped; an input without one is a single message). Every
 * message goes through all four entry points (words_scan / words_count and
 * their portable SWAR twins words_scan_scalar / words_count_scalar, and
 * words_scan_impl with each implementation), also
 * at a misaligned copy, and everything is compared exactly with a
 * deliberately naive byte-at-a-time reference (Python bytes.split()
 * semantics):
 *   - the word count of every message, from all four entry points;
 *   - the batch's distinct words and per-word counts (words_set_foreach),
 *     the set size, and words_set_top against a sort of the reference;
 *   - words_set_merge into a run-wide set (twice: counts double);
 *   - a set without counts (words_set_new_distinct): the same distinct
 *     words scanned, after a clear, and merged both ways with the others;
 *   - words_set_clear then a rescan gives the same set again (generation
 *     counter, pending-insertion ring);
 *   - words_scan_memo (the batch memo of message values) over the messages
 *     twice, i.e. every value repeated: the same per-message counts and the
 *     same distinct words as words_scan (its per-word counts are documented
 *     as not updated for remembered values, so they are not compared), also
 *     after words_memo_clear with the set cleared.
 * Any difference aborts (a libFuzzer crash), so ASan/UBSan findings and
 * wrong answers both fail the run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "words.h"

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_words: %s:%d: check failed: %s: ", __FILE__, __LINE__,       \
                    #cond);                                                                    \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* ------------------------------------------------------------------ */
/* naive reference                                                      */

typedef struct {
    const unsigned char *p;
    size_t len;
    uint64_t count;
} ref_word;

static int ref_is_ws(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int ref_cmp_bytes(const ref_word *x, const ref_word *y) {
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (x->len > y->len) - (x->len < y->len);
}

static int ref_qsort_cmp(const void *a, const void *b) { return ref_cmp_bytes(a, b); }

/* count desc, then bytes asc: words_set_top's documented order */
static int ref_top_cmp(const void *a, const void *b) {
    const ref_word *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return ref_cmp_bytes(x, y);
}

typedef struct {
    ref_word *w; /* all words, then distinct words with counts */
    size_t n, cap;
} ref_list;

static void ref_push(ref_list *l, const unsigned char *p, size_t len) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->w = realloc(l->w, l->cap * sizeof *l->w);
        CHECK(l->w != NULL, "out of memory");
    }
    l->w[l->n++] = (ref_word){p, len, 1};
}

/* Appends the words of one message; returns how many. */
static uint64_t ref_tokenize(ref_list *l, const unsigned char *p, size_t len) {
    uint64_t n = 0;
    size_t i = 0;
    while (i < len) {
        if (ref_is_ws(p[i])) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && !ref_is_ws(p[i])) i++;
        ref_push(l, p + s, i - s);
        n++;
    }
    return n;
}

/* Sorts and collapses duplicates; returns the number of distinct words. */
static size_t ref_distinct(ref_list *l) {
    if (l->n) qsort(l->w, l->n, sizeof *l->w, ref_qsort_cmp);
    size_t u = 0;
    for (size_t k = 0; k < l->n; k++) {
        if (u > 0 && ref_cmp_bytes(&l->w[u - 1], &l->w[k]) == 0)
            l->w[u - 1].count++;
        else
            l->w[u++] = l->w[k];
    }
    l->n = u;
    return u;
}

/* ------------------------------------------------------------------ */
/* comparing a set with the reference                                   */

typedef struct {
    const ref_list *ref;
    uint64_t mult; /* expected count multiplier; 0: don't compare counts */
    size_t visited;
    unsigned char *seen; /* one flag per distinct reference word */
} visit_ctx;

static void visit(const char *word, size_t len, uint64_t count, void *ud) {
    visit_ctx *c = ud;
    ref_word key = {(const unsigned char *)word, len, 0};
    const ref_word *hit =
        c->ref->n ? bsearch(&key, c->ref->w, c->ref->n, sizeof key, ref_qsort_cmp) : NULL;
    CHECK(hit != NULL, "set has a word the reference lacks (len %zu)", len);
    size_t i = (size_t)(hit - c->ref->w);
    CHECK(!c->seen[i], "word visited twice (len %zu)", len);
    c->seen[i] = 1;
    CHECK(c->mult == 0 || count == hit->count * c->mult,
          "word count %llu, expected %llu (len %zu)", (unsigned long long)count,
          (unsigned long long)(hit->count * c->mult), len);
    c->visited++;
}

static void check_set(const words_set *set, const ref_list *ref, uint64_t mult,
                      const char *what) {
    CHECK(!words_set_oom(set), "%s: set out of memory", what);
    CHECK(words_set_size(set) == ref->n, "%s: %zu distinct, expected %zu", what,
          words_set_size(set), ref->n);
    visit_ctx c = {ref, mult, 0, calloc(ref->n + 1, 1)};
    CHECK(c.seen != NULL, "out of memory");
    words_set_foreach(set, visit, &c);
    CHECK(c.visited == ref->n, "%s: visited %zu, expected %zu", what, c.visited, ref->n);
    free(c.seen);
}

static void check_top(const words_set *set, const ref_list *ref) {
    enum { TOPN = 7 };
    words_top_entry top[TOPN];
    size_t got = words_set_top(set, top, TOPN);
    size_t want = ref->n < TOPN ? ref->n : TOPN;
    CHECK(got == want, "top: %zu entries, expected %zu", got, want);
    ref_word *sorted = malloc((ref->n + 1) * sizeof *sorted);
    CHECK(sorted != NULL, "out of memory");
    if (ref->n) {
        memcpy(sorted, ref->w, ref->n * sizeof *sorted);
        qsort(sorted, ref->n, sizeof *sorted, ref_top_cmp);
    }
    for (size_t i = 0; i < got; i++) {
        CHECK(top[i].count == sorted[i].count && top[i].len == sorted[i].len &&
                  memcmp(top[i].word, sorted[i].p, top[i].len) == 0,
              "top[%zu] differs (count %llu vs %llu, len %zu vs %zu)", i,
              (unsigned long long)top[i].count, (unsigned long long)sorted[i].count, top[i].len,
              sorted[i].len);
    }
    free(sorted);
}

/* ------------------------------------------------------------------ */

typedef struct {
    const unsigned char *p;
    size_t len;
} msg;

/* Scans every message into set with scan (words_scan or
 * words_scan_scalar), checking each message's count. */
static void scan_all(words_set *set, const msg *m, size_t nm, const uint64_t *want,
                     uint64_t (*scan)(words_set *, const void *, size_t), const char *what) {
    for (size_t i = 0; i < nm; i++) {
        uint64_t got = scan(set, m[i].p, m[i].len);
        CHECK(got == want[i], "%s: message %zu: %llu words, expected %llu", what, i,
              (unsigned long long)got, (unsigned long long)want[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* split into messages at '~' */
    size_t nm = 1;
    for (size_t i = 0; i < size; i++) nm += data[i] == '~';
    msg *m = malloc(nm * sizeof *m);
    uint64_t *want = malloc(nm * sizeof *want);
    CHECK(m && want, "out of memory");
    size_t k = 0, s = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '~') {
            /* an empty message is NULL, as librdkafka hands out empty values */
            m[k++] = (msg){i > s ? data + s : NULL, i - s};
            s = i + 1;
        }
    }

    ref_list ref = {0};
    for (size_t i = 0; i < nm; i++) {
        want[i] = ref_tokenize(&ref, m[i].p, m[i].len);
        /* count-only paths; each message in its own exactly-sized heap
         * copy so ASan sees any read past its end */
        unsigned char *copy = malloc(m[i].len ? m[i].len : 1);
        CHECK(copy != NULL, "out of memory");
        if (m[i].len) memcpy(copy, m[i].p, m[i].len);
        CHECK(words_count(copy, m[i].len) == want[i], "words_count: message %zu", i);
        CHECK(words_count_scalar(copy, m[i].len) == want[i], "words_count_scalar: message %zu",
              i);
        CHECK(words_scan(NULL, copy, m[i].len) == want[i], "words_scan(NULL): message %zu", i);
        CHECK(words_scan_scalar(NULL, copy, m[i].len) == want[i],
              "words_scan_scalar(NULL): message %zu", i);
        for (int impl = 0; impl < WORDS_NIMPL; impl++)
            CHECK(words_scan_impl((words_impl)impl, NULL, copy, m[i].len) == want[i],
                  "words_scan_impl(%s, NULL): message %zu", words_impl_name((words_impl)impl),
                  i);
        free(copy);
    }
    ref_distinct(&ref);

    /* the batch set, SSE2 and SWAR */
    words_set *a = words_set_new(), *b = words_set_new(), *run = words_set_new();
    CHECK(a && b && run, "out of memory");
    scan_all(a, m, nm, want, words_scan, "words_scan");
    check_set(a, &ref, 1, "words_scan set");
    check_top(a, &ref);
    scan_all(b, m, nm, want, words_scan_scalar, "words_scan_scalar");
    check_set(b, &ref, 1, "words_scan_scalar set");
    /* and the others by name (SSE2, AVX2 where the CPU has it) */
    for (int impl = 1; impl < WORDS_NIMPL; impl++) {
        words_set_clear(b);
        for (size_t i = 0; i < nm; i++)
            CHECK(words_scan_impl((words_impl)impl, b, m[i].p, m[i].len) == want[i],
                  "words_scan_impl(%s): message %zu", words_impl_name((words_impl)impl), i);
        check_set(b, &ref, 1, words_impl_name((words_impl)impl));
    }
    words_set_clear(b);
    scan_all(b, m, nm, want, words_scan_scalar, "words_scan_scalar");

    /* merge twice into a run-wide set */
    CHECK(words_set_merge(run, a) == 0, "merge a");
    CHECK(words_set_merge(run, b) == 0, "merge b");
    CHECK(words_set_merge(run, run) == -1, "merge into itself must fail");
    check_set(run, &ref, 2, "merged set");

    /* a set without counts: scanned, cleared with insertions pending and
     * scanned again, merged into another such set from both kinds, and
     * that one into a set with counts */
    words_set *d = words_set_new_distinct(), *drun = words_set_new_distinct(),
              *c = words_set_new();
    CHECK(d && drun && c, "out of memory");
    scan_all(d, m, nm, want, words_scan, "distinct");
    check_set(d, &ref, 0, "distinct set");
    words_set_clear(d);
    scan_all(d, m, nm, want, words_scan, "distinct 2");
    words_set_clear(d);
    scan_all(d, m, nm, want, words_scan, "distinct 3");
    check_set(d, &ref, 0, "distinct set after clear");
    CHECK(words_set_merge(drun, d) == 0 && words_set_merge(drun, a) == 0, "merge distinct");
    check_set(drun, &ref, 0, "distinct run set");
    CHECK(words_set_merge(c, drun) == 0, "merge from distinct");
    check_set(c, &ref, 0, "set merged from distinct");
    words_set_free(d);
    words_set_free(drun);
    words_set_free(c);

    /* clear and rescan: same contents (stale generations, pipe reset);
     * then scan again without reading in between, clear with insertions
     * still pending, and scan once more */
    words_set_clear(a);
    CHECK(words_set_size(a) == 0, "size after clear");
    scan_all(a, m, nm, want, words_scan, "rescan");
    check_set(a, &ref, 1, "rescanned set");
    scan_all(a, m, nm, want, words_scan, "rescan 2");
    words_set_clear(a);
    scan_all(a, m, nm, want, words_scan, "rescan 3");
    check_set(a, &ref, 1, "set after clear with pending insertions");

    /* the memo: every message twice (the second time from the memo, unless
     * it stood aside), then again after clearing both */
    words_memo *memo = words_memo_new();
    CHECK(memo != NULL, "out of memory");
    for (int round = 0; round < 2; round++) {
        words_set_clear(b);
        words_memo_clear(memo);
        for (int rep = 0; rep < 2; rep++) {
            for (size_t i = 0; i < nm; i++) {
                uint64_t got = words_scan_memo(memo, b, m[i].p, m[i].len);
                CHECK(got == want[i],
                      "words_scan_memo: round %d, pass %d, message %zu: "
                      "%llu words, expected %llu",
                      round, rep, i, (unsigned long long)got, (unsigned long long)want[i]);
            }
        }
        check_set(b, &ref, 0, "memo set");
    }
    words_memo_free(memo);

    /* a misaligned copy of the whole input as one message: the set of the
     * other paths must not care about alignment */
    if (nm == 1 && size > 0) {
        for (size_t off = 1; off < 8; off += 3) {
            unsigned char *buf = malloc(size + off);
            CHECK(buf != NULL, "out of memory");
            memcpy(buf + off, data, size);
            words_set_clear(b);
            CHECK(words_scan(b, buf + off, size) == want[0], "misaligned scan (offset %zu)",
                  off);
            check_set(b, &ref, 1, "misaligned set");
            CHECK(words_count(buf + off, size) == want[0], "misaligned count");
            free(buf);
        }
    }

    words_set_free(a);
    words_set_free(b);
    words_set_free(run);
    free(ref.w);
    free(m);
    free(want);
    return 0;
}
