/*
 * Unit tests for keys: determinism, the key text, bounds, and that the
 * drawn frequencies match the distributions (uniform within a chi-square
 * bound; zipf: each top key's share against its exact probability).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

#define N 200000

static void test_format_and_determinism(void **state) {
    (void)state;
    keys_gen a, b, c;
    char err[128], ka[KEYS_MAX_LEN], kb[KEYS_MAX_LEN];
    assert_int_equal(keys_init(&a, KEYS_UNIFORM, 1000, 1.0, 42, err, sizeof err), 0);
    assert_int_equal(keys_init(&b, KEYS_UNIFORM, 1000, 1.0, 42, err, sizeof err), 0);
    assert_int_equal(keys_init(&c, KEYS_UNIFORM, 1000, 1.0, 43, err, sizeof err), 0);
    size_t differ = 0;
    for (uint64_t s = 0; s < 1000; s++) {
        size_t la = keys_format(&a, s, ka), lb = keys_format(&b, s, kb);
        assert_int_equal(la, lb);
        assert_memory_equal(ka, kb, la);
        assert_int_equal(la, strlen(ka));
        char want[32];
        snprintf(want, sizeof want, "key-%llu", (unsigned long long)keys_index(&a, s));
        assert_string_equal(ka, want);
        if (keys_index(&c, s) != keys_index(&a, s)) differ++;
    }
    assert_true(differ > 900); /* another seed, other keys */
    keys_free(&a), keys_free(&b), keys_free(&c);
}

static void test_longest_key_fits(void **state) {
    (void)state;
    keys_gen g;
    char err[128], k[KEYS_MAX_LEN];
    assert_int_equal(keys_init(&g, KEYS_UNIFORM, UINT64_MAX, 1.0, 1, err, sizeof err), 0);
    size_t longest = 0;
    for (uint64_t s = 0; s < 1000; s++) {
        size_t n = keys_format(&g, s, k);
        if (n > longest) longest = n;
    }
    assert_true(longest >= 20 && longest <= KEYS_MAX_LEN - 1);
    keys_free(&g);
}

static void test_bad_arguments(void **state) {
    (void)state;
    keys_gen g;
    char err[128];
    assert_int_equal(keys_init(&g, KEYS_ZIPF, 0, 1.0, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "key_count"));
    assert_int_equal(keys_init(&g, KEYS_ZIPF, 10, -1.0, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "key_skew"));
    assert_int_equal(keys_init(&g, KEYS_ZIPF, 10, NAN, 1, err, sizeof err), -1);
}

static void test_uniform_spread(void **state) {
    (void)state;
    enum { K = 100 };
    keys_gen g;
    char err[128];
    assert_int_equal(keys_init(&g, KEYS_UNIFORM, K, 1.0, 7, err, sizeof err), 0);
    uint64_t hits[K] = {0};
    for (uint64_t s = 0; s < N; s++) {
        uint64_t i = keys_index(&g, s);
        assert_true(i < K);
        hits[i]++;
    }
    /* chi-square with 99 degrees of freedom: 99.9th percentile is ~148 */
    double e = (double)N / K, chi = 0;
    for (int i = 0; i < K; i++) chi += ((double)hits[i] - e) * ((double)hits[i] - e) / e;
    assert_true(chi < 148.0);
    keys_free(&g);
}

static void test_zipf_shares(void **state) {
    (void)state;
    enum { K = 1000 };
    keys_gen g;
    char err[128];
    assert_int_equal(keys_init(&g, KEYS_ZIPF, K, 1.0, 3, err, sizeof err), 0);
    uint64_t *hits = calloc(K, sizeof *hits);
    assert_non_null(hits);
    for (uint64_t s = 0; s < N; s++) {
        uint64_t i = keys_index(&g, s);
        assert_true(i < K);
        hits[i]++;
    }
    double h = 0; /* harmonic number H(K, 1) */
    for (int i = 1; i <= K; i++) h += 1.0 / i;
    for (int i = 0; i < 5; i++) {
        double p = 1.0 / (i + 1) / h, e = p * N, sd = sqrt(N * p * (1 - p));
        assert_true(fabs((double)hits[i] - e) < 5 * sd);
    }
    assert_true(hits[0] > 10 * hits[99]); /* visibly skewed */
    assert_true(hits[K - 1] < hits[0] / 100);
    free(hits);
    keys_free(&g);
}

static void test_zipf_skew_zero_is_uniform(void **state) {
    (void)state;
    enum { K = 10 };
    keys_gen g;
    char err[128];
    assert_int_equal(keys_init(&g, KEYS_ZIPF, K, 0.0, 9, err, sizeof err), 0);
    uint64_t hits[K] = {0};
    for (uint64_t s = 0; s < N; s++) hits[keys_index(&g, s)]++;
    for (int i = 0; i < K; i++) assert_true(fabs((double)hits[i] - N / K) < 5 * sqrt(N * 0.09));
    keys_free(&g);
}

static void test_single_key(void **state) {
    (void)state;
    keys_gen g;
    char err[128], k[KEYS_MAX_LEN];
    assert_int_equal(keys_init(&g, KEYS_ZIPF, 1, 2.0, 9, err, sizeof err), 0);
    for (uint64_t s = 0; s < 100; s++) {
        assert_int_equal(keys_index(&g, s), 0);
        keys_format(&g, s, k);
        assert_string_equal(k, "key-0");
    }
    keys_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_determinism),
        cmocka_unit_test(test_longest_key_fits),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_uniform_spread),
        cmocka_unit_test(test_zipf_shares),
        cmocka_unit_test(test_zipf_skew_zero_is_uniform),
        cmocka_unit_test(test_single_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
