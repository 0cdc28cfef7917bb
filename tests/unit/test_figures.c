/*
 * Unit tests for figures: the one table of a run's figures. Every figure
 * reaches the NDJSON reporter, the thresholds and `kengine help figures`;
 * derived figures are computed from the stored ones; workers' figures
 * merge as the table says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "writer.h"
#include "threshold.h"

/* Does the JSON text hold the key "name": ? */
static int has_key(const char *json, const char *name) {
    char k[128];
    snprintf(k, sizeof k, "\"%s\":", name);
    return strstr(json, k) != NULL;
}

/* Every summary figure is in the NDJSON summary and is a threshold metric;
 * so is every latency statistic. */
static void test_summary_everywhere(void **state) {
    (void)state;
    run_summary s = {.name = "t"};
    char *json = report_summary_json(&s);
    assert_non_null(json);
    size_t n;
    const figure *f = figures_list(FIGURES_IN_SUMMARY, &n);
    assert_int_equal(n, FIGURES_SUMMARY_N);
    for (size_t i = 0; i < n; i++) {
        if (!has_key(json, f[i].name)) fail_msg("summary JSON lacks %s: %s", f[i].name, json);
        if (f[i].type == FIGURE_LATENCY) continue;
        threshold t;
        char err[512];
        if (threshold_parse(&t, f[i].name, "> 0", false, NULL, 0, err, sizeof err))
            fail_msg("%s is no threshold metric: %s", f[i].name, err);
        threshold_free(&t);
    }
    size_t ns;
    const figure_stat *st = figures_latency_stats(&ns);
    for (size_t i = 0; i < ns; i++) {
        char metric[64];
        snprintf(metric, sizeof metric, "latency_ms.%s", st[i].name);
        if (!has_key(json, st[i].name)) fail_msg("summary JSON lacks %s", metric);
        threshold t;
        char err[512];
        if (threshold_parse(&t, metric, "> 0", false, NULL, 0, err, sizeof err))
            fail_msg("%s is no threshold metric: %s", metric, err);
        threshold_free(&t);
    }
    /* the four the issue found missing */
    const char *missing[] = {"bytes", "produce_msgs_per_sec", "consume_msgs_per_sec",
                             "consume_mb_per_sec"};
    for (size_t i = 0; i < 4; i++) assert_true(has_key(json, missing[i]));
    free(json);
}

/* A batch's JSON has exactly its role's figures; thresholds follow roles. */
static void test_batch_roles(void **state) {
    (void)state;
    run_batch p = {.role = RUN_PRODUCE}, c = {.role = RUN_CONSUME};
    char *pj = report_batch_json(&p), *cj = report_batch_json(&c);
    size_t n;
    const figure *f = figures_list(FIGURES_IN_BATCH, &n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(has_key(pj, f[i].name), (f[i].roles & FIGURE_PRODUCE) != 0);
        assert_int_equal(has_key(cj, f[i].name), (f[i].roles & FIGURE_CONSUME) != 0);
    }
    free(pj);
    free(cj);
    assert_non_null(figures_find(FIGURES_IN_BATCH, FIGURE_PRODUCE, "delivered"));
    assert_null(figures_find(FIGURES_IN_BATCH, FIGURE_CONSUME, "delivered"));
    assert_null(figures_find(FIGURES_IN_BATCH, FIGURE_PRODUCE, "unique_words"));
    assert_null(figures_find(FIGURES_IN_SUMMARY, FIGURE_ANY, "no_such"));
}

/* Derived figures come from the stored ones, once. */
static void test_derived(void **state) {
    (void)state;
    run_summary s = {.delivered = 1000,
                     .produce_seconds = 2,
                     .consumed = 900,
                     .consume_seconds = 3,
                     .bytes = 3u << 20};
    assert_true(figures_summary(&s, FIGURE_SUMMARY_produce_msgs_per_sec) == 500);
    assert_true(figures_summary(&s, FIGURE_SUMMARY_consume_msgs_per_sec) == 300);
    assert_true(figures_summary(&s, FIGURE_SUMMARY_consume_mb_per_sec) == 1);
    s.produce_seconds = 0; /* nothing produced: a rate of 0, not inf */
    assert_true(figures_summary(&s, FIGURE_SUMMARY_produce_msgs_per_sec) == 0);
    run_phase ph = {.name = "x", .sent = 50, .seconds = 0.5};
    assert_true(figures_phase(&ph, FIGURE_PHASE_msgs_per_sec) == 100);
    run_batch b = {.role = RUN_CONSUME, .messages = 10, .bytes = 1u << 20, .seconds = 0.25};
    assert_true(figures_batch(&b, FIGURE_BATCH_msgs_per_sec) == 40);
    assert_true(figures_batch(&b, FIGURE_BATCH_mb_per_sec) == 4);
    double v;
    assert_int_equal(figures_value(FIGURES_IN_SUMMARY, FIGURE_ANY, &s, "consumed", &v), 0);
    assert_true(v == 900);
}

/* Latency statistics by name, in milliseconds from microseconds. */
static void test_latency(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new();
    for (uint64_t i = 1; i <= 100; i++) stats_hist_record(h, i * 1000); /* 1..100 ms */
    run_summary s = {.latency = h};
    static const struct {
        const char *metric;
        double want;
        int rc;
    } CASES[] = {
        {"latency_ms.min", 1, 0},     {"latency_ms.max", 100, 0},
        {"latency_ms.count", 100, 0}, {"latency_ms.mean", 50.5, 0},
        {"latency_ms.p(0)", 1, 0},    {"latency_ms.p100", 100, 0},
        {"latency_ms.p(101)", 0, -1}, {"latency_ms.median", 0, -1},
        {"latency_ms.", 0, -1},       {"latency.p50", 0, -1},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        double v = -1;
        int rc = figures_value(FIGURES_IN_SUMMARY, FIGURE_ANY, &s, CASES[i].metric, &v);
        if (rc != CASES[i].rc) fail_msg("%s: rc %d", CASES[i].metric, rc);
        if (rc == 0 && v != CASES[i].want)
            fail_msg("%s: %g, want %g", CASES[i].metric, v, CASES[i].want);
    }
    double p50;
    assert_int_equal(figures_value(FIGURES_IN_SUMMARY, FIGURE_ANY, &s, "latency_ms.p50", &p50),
                     0);
    assert_true(p50 >= 49 && p50 <= 51); /* within the histogram's 1/64 */
    assert_true(figures_latency(NULL, 99) == 0);
    /* a produce batch has no latency */
    run_batch b = {.role = RUN_PRODUCE, .latency = h};
    double v;
    assert_int_equal(figures_value(FIGURES_IN_BATCH, FIGURE_PRODUCE, &b, "latency_ms.p99", &v),
                     -1);
    assert_int_equal(figures_value(FIGURES_IN_BATCH, FIGURE_CONSUME, &b, "latency_ms.max", &v),
                     0);
    assert_true(v == 100);
    stats_hist_free(h);
}

/* Two workers' summaries merge as the table says. */
static void test_merge(void **state) {
    (void)state;
    stats_hist *h1 = stats_hist_new(), *h2 = stats_hist_new();
    stats_hist_record(h1, 1000);
    stats_hist_record(h2, 9000);
    stats_hist_record(h2, 5000);
    run_summary a = {.delivered = 10,
                     .consumed = 10,
                     .bytes = 100,
                     .consume_seconds = 1,
                     .produce_seconds = 2,
                     .peak_rss_mb = 30,
                     .lost = 1,
                     .latency = NULL};
    run_summary b = {.delivered = 5,
                     .consumed = 4,
                     .bytes = 50,
                     .consume_seconds = 3,
                     .produce_seconds = 1,
                     .peak_rss_mb = 20,
                     .lost = 2,
                     .latency = h1};
    run_summary c = {.latency = h2};
    assert_int_equal(figures_merge(FIGURES_IN_SUMMARY, &a, &b), 0);
    assert_int_equal(figures_merge(FIGURES_IN_SUMMARY, &a, &c), 0);
    assert_true(a.delivered == 15 && a.consumed == 14 && a.bytes == 150); /* sum */
    assert_true(a.consume_seconds == 3 && a.produce_seconds == 2);        /* max */
    assert_true(a.peak_rss_mb == 30);
    assert_true(a.lost == 1); /* bitmap: the caller's */
    assert_non_null(a.latency);
    assert_true(a.latency != h1); /* a copy */
    assert_int_equal(stats_hist_count(a.latency), 3);
    assert_int_equal(stats_hist_max(a.latency), 9000);
    assert_true(figures_summary(&a, FIGURE_SUMMARY_consume_msgs_per_sec) == 14.0 / 3);
    stats_hist_free(a.latency);
    stats_hist_free(h1);
    stats_hist_free(h2);
}

/* `kengine help figures` lists every figure with its unit and merge. */
static void test_help(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    figures_help(f);
    fclose(f);
    figure_scope scopes[] = {FIGURES_IN_SUMMARY, FIGURES_IN_BATCH, FIGURES_IN_PHASE};
    for (size_t s = 0; s < 3; s++) {
        size_t n;
        const figure *fig = figures_list(scopes[s], &n);
        for (size_t i = 0; i < n; i++) {
            char line[128];
            snprintf(line, sizeof line, "  %-22s %-9s", fig[i].name,
                     fig[i].unit[0] ? fig[i].unit : "-");
            if (!strstr(buf, line)) fail_msg("help lacks '%s'", line);
        }
    }
    assert_non_null(strstr(buf, "consume_mb_per_sec     MB/s      derived"));
    assert_non_null(strstr(buf, "latency_ms             ms        histogram"));
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_everywhere),
        cmocka_unit_test(test_batch_roles),
        cmocka_unit_test(test_derived),
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
