/*
 * test_words.c - unit tests for src/words.c (tokenizer + distinct-word set)
 * and src/cli/words.c.
 *
 * Every case runs through all four entry points (SSE2 and SWAR, with and
 * without a set) at several buffer alignments and is checked against the
 * deliberately naive byte-at-a-time reference below (Python bytes.split()
 * semantics), including a fixed-seed randomized differential test.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "commands.h"
#include "words.h"

/* ------------------------------------------------------------------ */
/* naive reference                                                      */

typedef struct {
    const char *p;
    size_t len;
    uint64_t count;
} ref_word;

static int ref_is_ws(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int ref_word_cmp(const void *a, const void *b) {
    const ref_word *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Split buf into words; returns a malloc'ed array of distinct words sorted
 * by bytes, with counts; *nwords = total words, *nuniq = distinct. */
static ref_word *ref_split(const char *buf, size_t len, uint64_t *nwords, size_t *nuniq) {
    ref_word *w = malloc((len / 2 + 1) * sizeof *w);
    assert_non_null(w);
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && ref_is_ws((unsigned char)buf[i])) i++;
        if (i == len) break;
        size_t s = i;
        while (i < len && !ref_is_ws((unsigned char)buf[i])) i++;
        w[n++] = (ref_word){buf + s, i - s, 1};
    }
    *nwords = n;
    qsort(w, n, sizeof *w, ref_word_cmp);
    size_t u = 0;
    for (size_t k = 0; k < n; k++) {
        if (u > 0 && ref_word_cmp(&w[u - 1], &w[k]) == 0)
            w[u - 1].count++;
        else
            w[u++] = w[k];
    }
    *nuniq = u;
    return w;
}

/* Collect a set's contents (sorted by bytes) via words_set_foreach. */
typedef struct {
    ref_word *w;
    size_t n, cap;
} collect_ud;

static void collect_fn(const char *word, size_t len, uint64_t count, void *ud) {
    collect_ud *c = ud;
    assert_true(c->n < c->cap);
    c->w[c->n++] = (ref_word){word, len, count};
}

static ref_word *collect(const words_set *s, size_t *n) {
    collect_ud c = {malloc((words_set_size(s) + 1) * sizeof(ref_word)), 0, words_set_size(s)};
    assert_non_null(c.w);
    words_set_foreach(s, collect_fn, &c);
    assert_int_equal(c.n, words_set_size(s));
    qsort(c.w, c.n, sizeof *c.w, ref_word_cmp);
    *n = c.n;
    return c.w;
}

/* The words of `set` are exactly ref's ru words (sorted by bytes), with
 * ref's counts, or 0 where counts are not known (a set without counts, or
 * merged from one). */
static void check_words(const words_set *set, const ref_word *ref, size_t ru, bool counted) {
    size_t n;
    ref_word *have = collect(set, &n);
    assert_int_equal(n, ru);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(have[k].len, ref[k].len);
        assert_memory_equal(have[k].p, ref[k].p, ref[k].len);
        assert_int_equal(have[k].count, counted ? ref[k].count : 0);
    }
    free(have);
}

/* Check all entry points on buf (at a few alignments) against the
 * reference; if want_words/want_uniq != -1 also check those. */
static void check_buf(const char *buf, size_t len, int64_t want_words, int64_t want_uniq,
                      words_set *set) {
    uint64_t rw;
    size_t ru;
    ref_word *ref = ref_split(buf, len, &rw, &ru);
    if (want_words >= 0) assert_int_equal(rw, (uint64_t)want_words);
    if (want_uniq >= 0) assert_int_equal(ru, (size_t)want_uniq);

    char *copy = malloc(len + 8);
    assert_non_null(copy);
    words_set *d = words_set_new_distinct(); /* the same without counts */
    assert_non_null(d);
    assert_false(words_set_counts(d));
    static const size_t aligns[] = {0, 1, 7};
    for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
        memcpy(copy + aligns[a], buf, len);
        const char *p = copy + aligns[a];
        assert_int_equal(words_count(p, len), rw);
        assert_int_equal(words_count_scalar(p, len), rw);
        assert_int_equal(words_scan(NULL, p, len), rw);
        assert_int_equal(words_scan_scalar(NULL, p, len), rw);
        /* words_scan, then each implementation the CPU has by name */
        for (int impl = -1; impl < WORDS_NIMPL; impl++) {
            if (impl >= 0 && !words_impl_available((words_impl)impl)) continue;
            if (impl >= 0)
                assert_int_equal(words_scan_impl((words_impl)impl, NULL, p, len), rw);
            words_set_clear(set);
            uint64_t got = impl < 0 ? words_scan(set, p, len)
                                    : words_scan_impl((words_impl)impl, set, p, len);
            assert_int_equal(got, rw);
            assert_false(words_set_oom(set));
            assert_int_equal(words_set_size(set), ru);
            check_words(set, ref, ru, true);
            words_set_clear(d);
            got =
                impl < 0 ? words_scan(d, p, len) : words_scan_impl((words_impl)impl, d, p, len);
            assert_int_equal(got, rw);
            assert_false(words_set_oom(d));
            check_words(d, ref, ru, false);
        }
    }
    /* merges between the two kinds of slot, both ways, twice (no change) */
    words_set *u = words_set_new_distinct(), *c = words_set_new();
    assert_non_null(u);
    assert_non_null(c);
    for (int twice = 0; twice < 2; twice++) {
        assert_int_equal(words_set_merge(u, set), 0);
        check_words(u, ref, ru, false);
        assert_int_equal(words_set_merge(c, d), 0);
        check_words(c, ref, ru, false);
        assert_int_equal(words_set_merge(u, d), 0);
        check_words(u, ref, ru, false);
    }
    words_set_free(u);
    words_set_free(c);
    words_set_free(d);
    free(copy);
    free(ref);
}

/* ------------------------------------------------------------------ */
/* literal table                                                        */

typedef struct {
    const char *name;
    const char *buf;
    size_t len; /* explicit, so NULs work */
    int64_t words, uniq;
} lit_case;

#define LIT(name, s, w, u)                                                                     \
    { name, s, sizeof(s) - 1, w, u }

static const lit_case lit_cases[] = {
    LIT("empty", "", 0, 0),
    LIT("one space", " ", 0, 0),
    LIT("all whitespace", " \t\n\v\f\r \r\n\t\t  \v", 0, 0),
    LIT("single word", "hello", 1, 1),
    LIT("sep space", "a b", 2, 2),
    LIT("sep tab", "a\tb", 2, 2),
    LIT("sep newline", "a\nb", 2, 2),
    LIT("sep vtab", "a\vb", 2, 2),
    LIT("sep formfeed", "a\fb", 2, 2),
    LIT("sep cr", "a\rb", 2, 2),
    LIT("crlf", "a\r\nb\r\n", 2, 2),
    LIT("x1c not ws",
        "a\x1c"
        "b",
        1, 1),
    LIT("x1d not ws",
        "a\x1d"
        "b",
        1, 1),
    LIT("x1e not ws",
        "a\x1e"
        "b",
        1, 1),
    LIT("x1f not ws",
        "a\x1f"
        "b",
        1, 1),
    LIT("nbsp xa0 not ws",
        "a\xa0"
        "b \xa0",
        2, 2),
    LIT("nel x85 not ws",
        "a\x85"
        "b \x85",
        2, 2),
    LIT("x08 and x0e not ws", "\x08 \x0e \x89 \x8d \xa0", 5, 5),
    LIT("x7f and xff", "\x7f \xff \x7f", 3, 2),
    LIT("leading ws", "   \t a", 1, 1),
    LIT("trailing ws", "a \n\r ", 1, 1),
    LIT("both ends", "\n\n foo bar \t", 2, 2),
    LIT("multiple separators", "a  \t\n b\r\r\rc", 3, 3),
    LIT("NUL is a word byte", "a\0b \0 \0\0", 3, 3),
    LIT("only NUL", "\0", 1, 1),
    LIT("NUL distinct from prefix", "ab ab\0 ab\0\0 ab", 4, 3),
    LIT("utf8", "caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80 caf\xc3\xa9", 5, 4),
    LIT("utf8 ideographic space not ws",
        "a\xe3\x80\x80"
        "b",
        1, 1),
    LIT("duplicates", "the the the the the cat the", 7, 2),
    LIT("case sensitive", "Word word WORD word", 4, 3),
    LIT("prefixes distinct", "a ab abc abcd abcde abcdefgh abcdefghi", 7, 7),
    LIT("word ends at 8", "abcdefg h", 2, 2),
    LIT("word exactly 8", "abcdefgh", 1, 1),
    LIT("16 byte word", "0123456789abcdef 0123456789abcdef", 2, 1),
    LIT("17 byte words differ at end", "0123456789abcdefX 0123456789abcdefY", 2, 2),
    LIT("64 bytes all word", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        1, 1),
    LIT("63 + space", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde ", 1, 1),
    LIT("space at 64", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef x", 2,
        2),
    LIT("word spans 64", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abc defghi",
        2, 2),
    LIT("alternating",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c "
        "d e f g h i j k l m n o p",
        42, 26),
};

static void test_literal_table(void **state) {
    (void)state;
    words_set *set = words_set_new();
    assert_non_null(set);
    for (size_t i = 0; i < sizeof lit_cases / sizeof lit_cases[0]; i++) {
        const lit_case *c = &lit_cases[i];
        print_message("case: %s\n", c->name);
        check_buf(c->buf, c->len, c->words, c->uniq, set);
    }
    words_set_free(set);
}

/* ------------------------------------------------------------------ */
/* generated boundary table                                             */

typedef struct {
    size_t lead;  /* whitespace bytes before the first word */
    size_t wlen;  /* length of each word */
    size_t gap;   /* whitespace bytes between words */
    size_t n;     /* number of words */
    int distinct; /* words differ (last bytes) or are all identical */
    size_t trail; /* whitespace bytes after the last word */
} gen_case;

static const gen_case gen_cases[] = {
    {0, 8, 8, 16, 1, 0},                         /* words at 16-byte multiples */
    {0, 7, 1, 32, 0, 0},                         /* words end exactly at 8-byte boundaries */
    {0, 15, 1, 32, 1, 0},                        /* 16-byte boundaries */
    {0, 31, 1, 16, 1, 0},                        /* 32-byte boundaries */
    {0, 63, 1, 8, 0, 0},                         /* 64-byte boundaries */
    {0, 64, 0, 1, 1, 0},                         /* exactly one block */
    {0, 64, 64, 4, 1, 0},                        /* word blocks and whitespace blocks */
    {1, 64, 1, 5, 1, 1},                         /* 64-byte words shifted by one */
    {60, 8, 1, 20, 1, 3},                        /* words spanning the 64 boundary */
    {63, 2, 62, 10, 0, 0},                       /* 2-byte words straddling each boundary */
    {0, 65, 1, 10, 1, 0},                        /* > 64 */
    {3, 127, 2, 6, 1, 5},  {0, 128, 0, 1, 0, 0}, /* exactly two blocks, ends in a word */
    {0, 4097, 1, 3, 1, 0},                       /* > 4096 */
    {5, 5000, 7, 3, 0, 1}, {0, 70000, 1, 2, 1, 0}, {0, 1, 1, 5000, 0, 0}, /* many duplicates */
    {0, 3, 1, 3000, 1, 0},                       /* many distinct short words */
    {64, 1, 64, 5, 1, 64}, {127, 0, 0, 0, 0, 0}, /* only whitespace */
};

/* Word k of a generated case: 'a'..'z' repeated, last byte(s) encode k. */
static void gen_word(char *dst, size_t wlen, size_t k, int distinct) {
    for (size_t i = 0; i < wlen; i++) dst[i] = (char)('a' + (i % 26));
    if (distinct && wlen > 0) {
        size_t v = k;
        for (size_t i = wlen; i > 0 && (v || i == wlen); i--) {
            dst[i - 1] = (char)('A' + v % 26);
            v /= 26;
        }
    }
}

static void test_generated_table(void **state) {
    (void)state;
    static const char ws[] = " \t\n\v\f\r";
    words_set *set = words_set_new();
    assert_non_null(set);
    for (size_t c = 0; c < sizeof gen_cases / sizeof gen_cases[0]; c++) {
        const gen_case *g = &gen_cases[c];
        size_t len = g->lead + g->n * g->wlen + (g->n ? (g->n - 1) * g->gap : 0) + g->trail;
        char *buf = malloc(len + 1);
        assert_non_null(buf);
        size_t o = 0, wsi = 0;
        for (size_t i = 0; i < g->lead; i++) buf[o++] = ws[wsi++ % 6];
        for (size_t k = 0; k < g->n; k++) {
            if (k)
                for (size_t i = 0; i < g->gap; i++) buf[o++] = ws[wsi++ % 6];
            gen_word(buf + o, g->wlen, k, g->distinct);
            o += g->wlen;
        }
        for (size_t i = 0; i < g->trail; i++) buf[o++] = ws[wsi++ % 6];
        assert_int_equal(o, len);
        int64_t want_u = g->n == 0 ? 0 : (g->distinct ? (int64_t)g->n : 1);
        print_message("gen case %zu (len %zu)\n", c, len);
        check_buf(buf, len, (int64_t)g->n, want_u, set);
        free(buf);
    }
    words_set_free(set);
}

/* ------------------------------------------------------------------ */
/* randomized differential test                                         */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void) /* xorshift64*, fixed seed */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void test_random_differential(void **state) {
    (void)state;
    /* heavy in whitespace, plus near-miss bytes and high/NUL bytes */
    static const char alpha[] = " \t\n\v\f\r    \x08\x0e\x1c\x1f\x20\x85\xa0"
                                "\x89\x8d\xff\x00"
                                "abcAB";
    const size_t na = sizeof alpha - 1;
    words_set *set = words_set_new();
    assert_non_null(set);
    char *buf = malloc(5000);
    assert_non_null(buf);
    for (int iter = 0; iter < 6000; iter++) {
        size_t len;
        uint64_t r = rng();
        if (iter % 10 == 0)
            len = (size_t)(r % 5000);
        else
            len = (size_t)(r % 300);
        /* vary the whitespace density per buffer */
        unsigned dense = (unsigned)(rng() % 4);
        for (size_t i = 0; i < len; i++) {
            uint64_t x = rng();
            if (dense == 0 && (x & 7) != 0)
                buf[i] = "abc"[x % 3]; /* long words, few separators */
            else
                buf[i] = alpha[(x >> 8) % na];
        }
        check_buf(buf, len, -1, -1, set);
    }
    free(buf);
    words_set_free(set);
}

/* ------------------------------------------------------------------ */
/* set behaviour                                                        */

static void test_scan_null_set(void **state) {
    (void)state;
    assert_int_equal(words_scan(NULL, "a b c", 5), 3);
    assert_int_equal(words_count(NULL, 0), 0);
    assert_int_equal(words_scan(NULL, NULL, 0), 0);
}

static void test_clear_reuse(void **state) {
    (void)state;
    words_set *set = words_set_new();
    assert_non_null(set);
    char buf[64];
    for (int batch = 0; batch < 2000; batch++) {
        words_set_clear(set);
        /* batch b has words "b<batch>" and "common", each twice */
        int n = snprintf(buf, sizeof buf, "b%d common b%d common", batch, batch);
        assert_int_equal(words_scan(set, buf, (size_t)n), 4);
        assert_int_equal(words_set_size(set), 2);
        words_top_entry top[4];
        assert_int_equal(words_set_top(set, top, 4), 2);
        assert_int_equal(top[0].count, 2);
        assert_int_equal(top[1].count, 2);
        char want[16];
        int wn = snprintf(want, sizeof want, "b%d", batch);
        assert_int_equal(top[0].len, (size_t)wn); /* "b.." < "common" */
        assert_memory_equal(top[0].word, want, (size_t)wn);
    }
    /* a big batch, then small batches again on the grown table */
    words_set_clear(set);
    for (int i = 0; i < 50000; i++) {
        int n = snprintf(buf, sizeof buf, "w%d", i);
        words_scan(set, buf, (size_t)n);
    }
    assert_int_equal(words_set_size(set), 50000);
    words_set_clear(set);
    assert_int_equal(words_set_size(set), 0);
    assert_int_equal(words_scan(set, "x y x", 5), 3);
    assert_int_equal(words_set_size(set), 2);
    words_set_free(set);
    words_set_free(NULL);
}

static uint64_t count_of(const words_set *s, const char *w) {
    size_t n;
    ref_word *all = collect(s, &n);
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].len == strlen(w) && memcmp(all[i].p, w, all[i].len) == 0) c = all[i].count;
    free(all);
    return c;
}

static void test_merge(void **state) {
    (void)state;
    words_set *a = words_set_new(), *b = words_set_new(), *t = words_set_new();
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(t);
    words_scan(a, "x y z x", 7);
    words_scan(b, "y z w w w", 9);
    assert_int_equal(words_set_merge(t, a), 0);
    assert_int_equal(words_set_merge(t, b), 0);
    assert_int_equal(words_set_size(t), 4);
    assert_int_equal(count_of(t, "x"), 2);
    assert_int_equal(count_of(t, "y"), 2);
    assert_int_equal(count_of(t, "z"), 2);
    assert_int_equal(count_of(t, "w"), 3);
    /* sources unchanged; merging an empty or cleared set is a no-op */
    assert_int_equal(words_set_size(a), 3);
    words_set_clear(b);
    assert_int_equal(words_set_merge(t, b), 0);
    assert_int_equal(words_set_size(t), 4);
    assert_int_equal(words_set_merge(t, t), -1);
    /* merge a large set (forces growth of dst while merging) */
    words_set_clear(a);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "m%d x", i);
        words_scan(a, buf, (size_t)n);
    }
    assert_int_equal(words_set_merge(t, a), 0);
    assert_int_equal(words_set_size(t), 4 + 20000);
    assert_int_equal(count_of(t, "x"), 2 + 20000);
    assert_int_equal(count_of(t, "m19999"), 1);
    words_set_free(a);
    words_set_free(b);
    words_set_free(t);
}

/* Insertions are deferred in a ring inside the set: every reader must see
 * them, and clear must drop them. */
static void test_deferred_insertions(void **state) {
    (void)state;
    words_set *a = words_set_new(), *t = words_set_new();
    assert_non_null(a);
    assert_non_null(t);
    words_scan(t, "p q p", 5); /* pending in dst */
    words_scan(a, "p r", 3);   /* pending in src */
    assert_int_equal(words_set_merge(t, a), 0);
    assert_int_equal(count_of(t, "p"), 3);
    assert_int_equal(count_of(t, "r"), 1);
    words_scan(t, "q q", 3);
    words_top_entry top[3];
    assert_int_equal(words_set_top(t, top, 3), 3);
    assert_memory_equal(top[0].word, "p", 1); /* p:3 q:3 r:1 */
    assert_memory_equal(top[1].word, "q", 1);
    words_scan(t, "zz", 2);
    words_set_clear(t); /* drops the pending "zz" */
    assert_int_equal(words_set_size(t), 0);
    words_scan(t, "zz", 2);
    size_t n;
    ref_word *w = collect(t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(w[0].count, 1);
    free(w);
    assert_false(words_set_oom(t));
    words_set_free(a);
    words_set_free(t); /* with pending insertions */
}

static void test_top(void **state) {
    (void)state;
    words_set *s = words_set_new();
    assert_non_null(s);
    words_top_entry top[8];
    assert_int_equal(words_set_top(s, top, 8), 0);
    const char in[] = "b a ab c d c b a ab c c ab a b c \xff \xff \xff a\0";
    words_scan(s, in, sizeof in - 1);
    /* c:5; a:3 ab:3 b:3 \xff:3; a\0:1 d:1 */
    static const struct {
        const char *w;
        size_t len;
        uint64_t c;
    } want[] = {
        {"c", 1, 5},    {"a", 1, 3},   {"ab", 2, 3}, {"b", 1, 3},
        {"\xff", 1, 3}, {"a\0", 2, 1}, {"d", 1, 1},
    };
    size_t got = words_set_top(s, top, 8);
    assert_int_equal(got, 7);
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(top[i].count, want[i].c);
        assert_int_equal(top[i].len, want[i].len);
        assert_memory_equal(top[i].word, want[i].w, want[i].len);
    }
    assert_int_equal(words_set_top(s, top, 3), 3);
    assert_memory_equal(top[2].word, "ab", 2);
    assert_int_equal(words_set_top(s, top, 1), 1);
    assert_memory_equal(top[0].word, "c", 1);
    assert_int_equal(words_set_top(s, top, 0), 0);

    /* bigger: counts i for word i (i = 1..3000), top 10 = 3000..2991 */
    words_set_clear(s);
    char buf[32];
    for (int i = 1; i <= 3000; i++) {
        int n = snprintf(buf, sizeof buf, "k%d", i);
        for (int r = 0; r < i; r++) words_scan(s, buf, (size_t)n);
    }
    size_t got2 = words_set_top(s, top, 8);
    assert_int_equal(got2, 8);
    for (size_t i = 0; i < 8; i++) assert_int_equal(top[i].count, 3000 - i);
    words_set_free(s);
}

static void test_growth_million(void **state) {
    (void)state;
    const size_t n = 1000000;
    char *buf = malloc(n * 16);
    assert_non_null(buf);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += (size_t)sprintf(buf + len, "%zx\n", i * 2654435761u);
    words_set *s = words_set_new();
    assert_non_null(s);
    assert_int_equal(words_scan(s, buf, len), n);
    assert_false(words_set_oom(s));
    assert_int_equal(words_set_size(s), n);
    assert_int_equal(words_scan_scalar(s, buf, len), n);
    assert_int_equal(words_set_size(s), n);
    words_top_entry top[2];
    assert_int_equal(words_set_top(s, top, 2), 2);
    assert_int_equal(top[0].count, 2);
    assert_int_equal(top[1].count, 2);
    assert_memory_equal(top[0].word, "0", 1); /* smallest bytes first */
    /* merge into a fresh set: grows from the initial capacity */
    words_set *t = words_set_new();
    assert_non_null(t);
    assert_int_equal(words_set_merge(t, s), 0);
    assert_int_equal(words_set_size(t), n);
    /* and into sets without counts: scanned twice, merged both ways */
    words_set *d = words_set_new_distinct(), *e = words_set_new_distinct();
    assert_non_null(d);
    assert_non_null(e);
    assert_int_equal(words_scan(d, buf, len), n);
    assert_int_equal(words_scan(d, buf, len), n);
    assert_false(words_set_oom(d));
    assert_int_equal(words_set_size(d), n);
    assert_int_equal(words_set_merge(e, s), 0);
    assert_int_equal(words_set_merge(e, d), 0);
    assert_int_equal(words_set_size(e), n);
    words_set_clear(t);
    assert_int_equal(words_set_merge(t, e), 0);
    assert_int_equal(words_set_size(t), n);
    words_set_clear(d);
    assert_int_equal(words_set_size(d), 0);
    assert_int_equal(words_scan(d, buf, len / 2), words_count(buf, len / 2));
    assert_int_equal(words_set_size(d), words_count(buf, len / 2));
    words_set_free(d);
    words_set_free(e);
    words_set_clear(s);
    assert_int_equal(words_set_size(s), 0);
    assert_int_equal(words_scan(s, buf, len / 2), words_count(buf, len / 2));
    words_set_free(s);
    words_set_free(t);
    free(buf);
}

/* The run's set merged on its own thread: more batches handed over than
 * may wait, each handed back empty; the run's set is their union. */
static void test_total(void **state) {
    (void)state;
    words_merger *t = words_merger_new();
    words_set *b = words_set_new();
    assert_non_null(t);
    assert_non_null(b);
    char buf[96];
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < 1000; i++) {
            /* a word of this batch only, one of every batch, a long shared one */
            int n = snprintf(buf, sizeof buf, "w%d s%d a-word-longer-than-sixteen-%d\n",
                             k * 1000 + i, i, i % 7);
            words_scan(b, buf, (size_t)n);
        }
        assert_int_equal(words_set_size(b), 1000 + 1000 + 7);
        words_set *mine = b;
        assert_int_equal(words_merger_put(t, &b), 0);
        assert_non_null(b);
        assert_ptr_not_equal(b, mine);
        assert_int_equal(words_set_size(b), 0);
        assert_true(words_set_counts(b));
    }
    words_set *run = words_merger_wait(t);
    assert_false(words_merger_oom(t));
    assert_false(words_set_counts(run));
    assert_int_equal(words_set_size(run), 10000 + 1000 + 7);
    words_scan(run, "w9999 new", 9); /* the caller may add between puts */
    assert_int_equal(words_set_size(run), 10000 + 1000 + 7 + 1);
    words_scan(b, "late", 4); /* and a batch handed over at the end is merged */
    assert_int_equal(words_merger_put(t, &b), 0);
    assert_int_equal(words_set_size(words_merger_wait(t)), 10000 + 1000 + 7 + 2);
    words_merger_free(t);
    words_set_free(b);
    words_merger_free(NULL);
}

/* Words longer than 16 bytes go through their own deferred ring: many of
 * them in one message (more than the ring holds), repeated within and
 * across messages, the set growing meanwhile, a long word ending the
 * buffer; every count exact, and merged into a run set the same. */
static void test_long_words(void **state) {
    (void)state;
    enum { N = 3000 };
    char *buf = malloc((size_t)N * 48);
    assert_non_null(buf);
    size_t len = 0;
    for (int i = 0; i < N; i++) /* word i % 1000 of lengths 17..40, each 3 times */
        len += (size_t)sprintf(buf + len, "%s%0*d ", i % 2 ? "long-word-" : "another-long-one-",
                               17 + i % 1000 % 24, i % 1000);
    len--; /* the buffer ends inside the last word */
    words_set *c = words_set_new();
    assert_non_null(c);
    check_buf(buf, len, N, 1000, c);
    words_set_free(c);
    words_set *s = words_set_new(), *run = words_set_new();
    assert_non_null(s);
    assert_non_null(run);
    for (int k = 0; k < 2; k++) { /* twice: every count doubles */
        assert_int_equal(words_scan(s, buf, len), N);
        assert_int_equal(words_set_merge(run, s), 0);
        words_set_clear(s);
    }
    assert_int_equal(words_set_size(run), 1000);
    words_top_entry top[1];
    assert_int_equal(words_set_top(run, top, 1), 1);
    assert_int_equal(top[0].count, 6);
    words_set_free(s);
    words_set_free(run);
    free(buf);
}

/* The implementations: SWAR always, the best one available and named, and
 * every available one agrees on a text with every byte value. */
static void test_impls(void **state) {
    (void)state;
    assert_true(words_impl_available(WORDS_IMPL_SWAR));
    assert_true(words_impl_available(words_impl_best()));
#ifdef __x86_64__
    assert_true(words_impl_available(WORDS_IMPL_SSE2));
    assert_true(words_impl_best() >= WORDS_IMPL_SSE2);
#endif
    assert_string_equal(words_impl_name(WORDS_IMPL_AVX2), "avx2");
    unsigned char text[1000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (unsigned char)(i * 37 % 256);
    uint64_t want = words_scan_scalar(NULL, text, sizeof text);
    assert_true(want > 0);
    for (int i = 0; i < WORDS_NIMPL; i++)
        for (size_t off = 0; off < 70; off++)
            assert_int_equal(
                words_scan_impl((words_impl)i, NULL, text + off, sizeof text - off),
                words_scan_scalar(NULL, text + off, sizeof text - off));
}

/* ------------------------------------------------------------------ */
/* CLI                                                                  */

/* Run cmd_words with stdout captured into a malloc'ed string. */
static int run_cli(char **out, int argc, char **argv) {
    helper_stdout c = helper_stdout_begin();
    int rc = cmd_words(argc, argv);
    *out = helper_stdout_end(c);
    return rc;
}

static void test_cli(void **state) {
    (void)state;
    char path[] = "/tmp/test_words_inXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    /* line 1: 10 MB of words (longer than the 4 MiB read buffer); line 2: a
     * single 9 MB word; then short lines, the last without a newline. */
    uint64_t l1 = 0;
    for (int i = 0; l1 < 10u << 20; i++) l1 += (uint64_t)fprintf(f, "w%d ", i % 300000);
    fputc('\n', f);
    for (int i = 0; i < 9 << 20; i++) fputc('z', f);
    fputs("\r\n\nhello w1 world\r\n", f);
    fputs("  last", f);
    assert_int_equal(fclose(f), 0);

    char *out;
    char *argv1[] = {"words", "--batch", "2", path, NULL};
    assert_int_equal(run_cli(&out, 4, argv1), 0);
    /* recount line 1 */
    FILE *r = fopen(path, "rb");
    assert_non_null(r);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, r);
    assert_true(n > 0);
    uint64_t w1;
    size_t u1;
    free(ref_split(line, (size_t)n, &w1, &u1));
    free(line);
    fclose(r);
    char want[512];
    snprintf(want, sizeof want,
             "batch 1: 2 messages, %llu words, %zu unique words\n"
             "batch 2: 2 messages, 3 words, 3 unique words\n"
             "batch 3: 1 messages, 1 words, 1 unique words\n"
             "total: 5 messages, %llu words, %zu unique words, ",
             (unsigned long long)(w1 + 1), u1 + 1, (unsigned long long)(w1 + 5),
             u1 + 1 + 3 /* z.., hello world last */);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);

    char *argv2[] = {"words", "--json", "--batch=100", path, NULL};
    assert_int_equal(run_cli(&out, 4, argv2), 0);
    assert_non_null(strstr(out, "{\"type\":\"words_batch\",\"batch\":1,"
                                "\"messages\":5,"));
    assert_non_null(strstr(out, "{\"type\":\"words_summary\",\"messages\":5,"));
    free(out);
    unlink(path);

    char *argv3[] = {"words", "/nonexistent/x.txt", NULL};
    assert_int_equal(run_cli(&out, 2, argv3), 2);
    free(out);
    char *argv4[] = {"words", "--batch", "0", NULL};
    assert_int_equal(run_cli(&out, 3, argv4), 2);
    free(out);
    char *argv5[] = {"words", "--batch", NULL};
    assert_int_equal(run_cli(&out, 2, argv5), 2);
    free(out);
    char *argv6[] = {"words", "--frob", NULL};
    assert_int_equal(run_cli(&out, 2, argv6), 2);
    free(out);
    char *argv7[] = {"words", "--help", NULL};
    assert_int_equal(run_cli(&out, 2, argv7), 0);
    assert_non_null(strstr(out, "usage: kengine words"));
    free(out);
    char *argv8[] = {"words", "a", "b", NULL};
    assert_int_equal(run_cli(&out, 3, argv8), 2);
    free(out);
    char *argv9[] = {"words", "/dev/null", NULL};
    assert_int_equal(run_cli(&out, 2, argv9), 0);
    const char *zero = "total: 0 messages, 0 words, 0 unique words, ";
    assert_true(strncmp(out, zero, strlen(zero)) == 0);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_table),
        cmocka_unit_test(test_generated_table),
        cmocka_unit_test(test_random_differential),
        cmocka_unit_test(test_scan_null_set),
        cmocka_unit_test(test_clear_reuse),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_deferred_insertions),
        cmocka_unit_test(test_top),
        cmocka_unit_test(test_growth_million),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_long_words),
        cmocka_unit_test(test_impls),
        cmocka_unit_test(test_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
