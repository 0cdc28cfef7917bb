/*
 * Unit tests for thresholds relative to a baseline run: the conditions
 * accepted ("OP FACTOR * base", "OP base") and rejected (batch and phase
 * metrics, garbage after base), and the limit resolved from a baseline
 * summary, with the condition showing it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runfile.h"
#include "threshold.h"

static const char *const PHASES[] = {"steady"};

static const struct {
    const char *metric, *condition;
    int ok;
    double factor;
    const char *err_has;
} CASES[] = {
    {"consume_msgs_per_sec", ">= 0.9 * base", 1, 0.9, NULL},
    {"consume_msgs_per_sec", ">=0.9*base", 1, 0.9, NULL},
    {"latency_ms.p99", "< 1.2 * base", 1, 1.2, NULL},
    {"lost", "<= base", 1, 1, NULL},
    {"lost", "== 0", 1, 0, NULL},
    {"lost", "< 2 * bas", 0, 0, "a factor of the baseline"},
    {"lost", "< 2 * base x", 0, 0, "a factor of the baseline"},
    {"lost", "< base * 2", 0, 0, "a factor of the baseline"},
    {"consume_batch.msgs_per_sec", "> 0.5 * base", 0, 0, "summary figures only"},
    {"steady.msgs_per_sec", "> 0.5 * base", 0, 0, "summary figures only"},
    {"latency_ms.p(99.9)", "< 2 * base", 0, 0, "only as latency_ms.p50"},
};

static void test_parse(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        threshold t;
        char err[512] = "";
        int rc = threshold_parse(&t, CASES[i].metric, CASES[i].condition, false, PHASES, 1, err,
                                 sizeof err);
        if (CASES[i].ok) {
            if (rc) fail_msg("%s %s rejected: %s", CASES[i].metric, CASES[i].condition, err);
            bool rel = CASES[i].factor != 0;
            if (t.relative != rel || (rel && t.factor != CASES[i].factor))
                fail_msg("%s %s: relative %d factor %g", CASES[i].metric, CASES[i].condition,
                         t.relative, t.factor);
            threshold_free(&t);
        } else if (!rc || !strstr(err, CASES[i].err_has)) {
            fail_msg("%s %s: rc %d '%s'", CASES[i].metric, CASES[i].condition, rc, err);
        }
    }
}

static void test_resolve(void **state) {
    (void)state;
    runfile r = {0};
    char err[512];
    assert_int_equal(
        runfile_add_line(&r,
                         "{\"type\":\"summary\",\"name\":\"b\",\"consume_msgs_per_sec\":2000.0,"
                         "\"latency_ms\":{\"p99\":10.0},\"error\":\"\"}",
                         err, sizeof err),
        0);
    threshold ts[3];
    assert_int_equal(threshold_parse(&ts[0], "consume_msgs_per_sec", ">= 0.9 * base", false,
                                     NULL, 0, err, sizeof err),
                     0);
    assert_int_equal(threshold_parse(&ts[1], "latency_ms.p99", "< 1.5 * base", false, NULL, 0,
                                     err, sizeof err),
                     0);
    assert_int_equal(threshold_parse(&ts[2], "lost", "== 0", false, NULL, 0, err, sizeof err),
                     0);
    assert_int_equal(
        threshold_resolve_base(ts, 3, runfile_lookup, &r.runs[0], "b.ndjson", err, sizeof err),
        0);
    assert_true(ts[0].limit == 1800 && ts[1].limit == 15 && ts[2].limit == 0);
    assert_string_equal(ts[0].condition, ">= 0.9 * base (= 1800)");
    assert_string_equal(ts[2].condition, "== 0");
    for (int i = 0; i < 3; i++) threshold_free(&ts[i]);
    /* a figure the baseline lacks */
    assert_int_equal(
        threshold_parse(&ts[0], "peak_rss_mb", "< 2 * base", false, NULL, 0, err, sizeof err),
        0);
    assert_int_equal(
        threshold_resolve_base(ts, 1, runfile_lookup, &r.runs[0], "b.ndjson", err, sizeof err),
        -1);
    if (!strstr(err, "the baseline b.ndjson has no figure 'peak_rss_mb'")) fail_msg("%s", err);
    threshold_free(&ts[0]);
    runfile_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
