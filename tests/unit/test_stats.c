/*
 * Unit tests for stats: the histogram's percentiles against exact ones
 * computed by sorting, its relative error bound, merging, and the probes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "stats.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p) {
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

static void test_empty(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new();
    assert_int_equal(stats_hist_count(h), 0);
    assert_int_equal(stats_hist_percentile(h, 50), 0);
    assert_int_equal(stats_hist_max(h), 0);
    assert_true(stats_hist_mean(h) == 0.0);
    stats_hist_free(h);
}

static void test_small_values_exact(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new();
    for (uint64_t v = 1; v <= 50; v++) stats_hist_record(h, v);
    assert_int_equal(stats_hist_percentile(h, 50), 25);
    assert_int_equal(stats_hist_percentile(h, 99), 50);
    assert_int_equal(stats_hist_percentile(h, 0), 1);
    assert_int_equal(stats_hist_min(h), 1);
    assert_int_equal(stats_hist_max(h), 50);
    assert_true(fabs(stats_hist_mean(h) - 25.5) < 1e-9);
    stats_hist_free(h);
}

static void test_relative_error(void **state) {
    (void)state;
    const double ps[] = {1, 10, 50, 90, 99, 99.9, 100};
    const size_t n = 100000;
    uint64_t *vals = malloc(n * sizeof *vals);
    stats_hist *h = stats_hist_new();
    srand(42);
    for (size_t i = 0; i < n; i++) {
        /* log-uniform over 1 us .. ~17 min */
        double e = (double)rand() / RAND_MAX * 30.0;
        vals[i] = (uint64_t)pow(2.0, e);
        stats_hist_record(h, vals[i]);
    }
    qsort(vals, n, sizeof *vals, cmp_u64);
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint64_t want = exact_percentile(vals, n, ps[i]);
        uint64_t got = stats_hist_percentile(h, ps[i]);
        double rel = fabs((double)got - (double)want) / (double)want;
        if (rel > 1.0 / 64)
            fail_msg("p%g: got %llu want %llu", ps[i], (unsigned long long)got,
                     (unsigned long long)want);
    }
    assert_int_equal(stats_hist_max(h), vals[n - 1]);
    assert_int_equal(stats_hist_min(h), vals[0]);
    free(vals);
    stats_hist_free(h);
}

static void test_merge(void **state) {
    (void)state;
    stats_hist *a = stats_hist_new(), *b = stats_hist_new(), *all = stats_hist_new();
    for (uint64_t v = 0; v < 1000; v++) {
        stats_hist_record(v % 2 ? a : b, v * 37);
        stats_hist_record(all, v * 37);
    }
    stats_hist_merge(a, b);
    assert_int_equal(stats_hist_count(a), 1000);
    for (double p = 0; p <= 100; p += 12.5)
        assert_int_equal(stats_hist_percentile(a, p), stats_hist_percentile(all, p));
    stats_hist_reset(a);
    assert_int_equal(stats_hist_count(a), 0);
    stats_hist_free(a);
    stats_hist_free(b);
    stats_hist_free(all);
}

/* The probes against the kernel's own clocks and counters: the right
 * clock, in the right unit (a probe in ms or us instead of s, or the wall
 * clock for the monotonic one, fails). No timing assertion: each pair is
 * read back to back. */
static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_probes(void **state) {
    (void)state;
    volatile double x = 0;
    for (int i = 0; i < 20000000; i++) x += i * 0.5; /* some CPU time to measure */
    double mono = clock_s(CLOCK_MONOTONIC), now = stats_now();
    assert_true(now >= mono && now - mono < 0.5);
    double cpu = stats_cpu_seconds(), kcpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    assert_true(cpu > 0.001);                            /* the loop above took CPU */
    assert_true(cpu <= kcpu + 0.02 && kcpu - cpu < 0.5); /* getrusage's tick is coarser */
    int64_t wall = stats_wall_us();
    double real = clock_s(CLOCK_REALTIME);
    assert_true(fabs((double)wall / 1e6 - real) < 0.5);
    /* resident memory follows what is touched: 64 MiB more, about 64 MB more */
    double rss0 = stats_rss_mb();
    size_t n = 64u << 20;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i += 4096) big[i] = (char)i;
    double rss1 = stats_rss_mb();
    assert_true(rss1 - rss0 > 60 && rss1 - rss0 < 70);
    assert_true(stats_peak_rss_mb() >= rss1 - 0.01);
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),          cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_relative_error), cmocka_unit_test(test_merge),
        cmocka_unit_test(test_probes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
