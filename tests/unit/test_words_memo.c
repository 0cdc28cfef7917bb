/*
 * Unit tests for words_memo: answers from the memo equal a plain scan
 * (words and distinct words), batch after batch, with heavy repetition,
 * with no repetition (the memo switches itself off) and with values that
 * differ only in their last byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "words.h"

static const char *VOCAB[] = {
    "the", "a", "kafka", "broker", "x", "zeta\x01", "caf\xc3\xa9", "word", "longerwordthanmost",
    "q"};

/* A value built from a seed: the same seed, the same bytes. */
static size_t make_value(char *buf, unsigned seed) {
    size_t n = 0;
    unsigned words = 3 + seed % 40;
    for (unsigned i = 0; i < words; i++) {
        const char *w = VOCAB[(seed * 31 + i * 7) % 10];
        size_t l = strlen(w);
        memcpy(buf + n, w, l);
        n += l;
        buf[n++] = " \t\n"[(seed + i) % 3];
    }
    n += (size_t)sprintf(buf + n, "id%u", seed); /* a word unique to the value */
    return n;
}

/* Compares memo and plain scans; returns the memo's stats of the last batch
 * (before it is cleared). */
static words_memo_stats compare(unsigned distinct_values, unsigned messages, unsigned batches) {
    words_set *a = words_set_new(), *b = words_set_new();
    words_memo *m = words_memo_new();
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(m);
    char buf[4096];
    unsigned seed = 1;
    words_memo_stats st = {0};
    for (unsigned batch = 0; batch < batches; batch++) {
        uint64_t wa = 0, wb = 0;
        for (unsigned i = 0; i < messages; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t n = make_value(buf, (seed >> 8) % distinct_values);
            wa += words_scan_memo(m, a, buf, n);
            wb += words_scan(b, buf, n);
        }
        assert_int_equal(wa, wb);
        assert_int_equal(words_set_size(a), words_set_size(b));
        st = words_memo_get_stats(m);
        words_set_clear(a);
        words_set_clear(b);
        words_memo_clear(m);
        words_memo_stats cleared = words_memo_get_stats(m);
        assert_true(cleared.lookups == 0 && cleared.hits == 0 && !cleared.off);
    }
    words_memo_free(m);
    words_set_free(a);
    words_set_free(b);
    return st;
}

static void test_repeated_values(void **state) {
    (void)state;
    words_memo_stats st = compare(100, 10000, 3);
    /* at most 100 distinct values: every other lookup is answered */
    assert_false(st.off);
    assert_int_equal(st.lookups, 10000);
    assert_true(st.hits >= 10000 - 100);
}

static void test_distinct_values(void **state) {
    (void)state;
    words_memo_stats st = compare(1000000, 10000, 2);
    /* hardly any repeats: the memo stands aside after its probe (4096
     * lookups) and is not even consulted after that */
    assert_true(st.off);
    assert_int_equal(st.lookups, 4096);
    assert_true(st.hits * 8 < st.lookups);
}

static void test_mixed(void **state) {
    (void)state;
    words_memo_stats st = compare(5000, 20000, 2);
    assert_false(st.off); /* repeats enough to keep going */
    assert_true(st.hits > 0 && st.lookups == 20000);
}

static void test_near_identical(void **state) {
    (void)state;
    words_set *s = words_set_new();
    words_memo *m = words_memo_new();
    const char *v1 = "alpha beta gamma", *v2 = "alpha beta gammb", *v3 = "alpha beta gamma ";
    assert_int_equal(words_scan_memo(m, s, v1, strlen(v1)), 3);
    assert_int_equal(words_scan_memo(m, s, v2, strlen(v2)), 3);
    assert_int_equal(words_set_size(s), 4);
    assert_int_equal(words_scan_memo(m, s, v3, strlen(v3)), 3);
    assert_int_equal(words_scan_memo(m, s, v1, strlen(v1)), 3);
    assert_int_equal(words_scan_memo(m, s, "", 0), 0);
    assert_int_equal(words_scan_memo(m, s, "", 0), 0);
    assert_int_equal(words_set_size(s), 4);
    /* v1 and "" came back once each; v2 and v3 differ by a byte: no hit */
    words_memo_stats st = words_memo_get_stats(m);
    assert_int_equal(st.lookups, 6);
    assert_int_equal(st.hits, 2);
    words_memo_free(m);
    words_set_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeated_values),
        cmocka_unit_test(test_distinct_values),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_near_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
