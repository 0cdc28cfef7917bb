/*
 * Unit tests for threshold: a table of metric/condition pairs that must be
 * accepted or rejected at start-up, and verdicts on summaries, phases and
 * batches (worst batch reported, abort on the first failing batch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "threshold.h"

static const char *const PHASES[] = {"warmup", "steady"};

typedef struct {
    const char *metric, *condition;
    int ok;
    const char *err_has;
    /* accepted: what it parsed to */
    threshold_scope scope;
    const char *phase, *field;
    threshold_op op;
    double limit;
} parse_case;

#define SUM(f, op, lim)   THRESHOLD_SUMMARY, NULL, f, THRESHOLD_##op, lim
#define PH(p, f, op, lim) THRESHOLD_PHASE, p, f, THRESHOLD_##op, lim
#define CB(f, op, lim)    THRESHOLD_CONSUME_BATCH, NULL, f, THRESHOLD_##op, lim
#define PB(f, op, lim)    THRESHOLD_PRODUCE_BATCH, NULL, f, THRESHOLD_##op, lim

static const parse_case PARSE[] = {
    {"lost", "== 0", 1, NULL, SUM("lost", EQ, 0)},
    {"consume_msgs_per_sec", ">= 100000", 1, NULL, SUM("consume_msgs_per_sec", GE, 100000)},
    {"latency_ms.p99", "< 50", 1, NULL, SUM("latency_ms.p99", LT, 50)},
    {"latency_ms.p(99.9)", "<= 100", 1, NULL, SUM("latency_ms.p(99.9)", LE, 100)},
    {"latency_ms.p50", " <  1e3 ", 1, NULL, SUM("latency_ms.p50", LT, 1000)},
    {"latency_ms.max", "!= 0", 1, NULL, SUM("latency_ms.max", NE, 0)},
    {"steady.latency_ms.p99", "< 10", 1, NULL, PH("steady", "latency_ms.p99", LT, 10)},
    {"warmup.sent", "== 5000", 1, NULL, PH("warmup", "sent", EQ, 5000)},
    {"consume_batch.msgs_per_sec", "> 10", 1, NULL, CB("msgs_per_sec", GT, 10)},
    {"produce_batch.cpu_percent", "< 300", 1, NULL, PB("cpu_percent", LT, 300)},
    {"lostt", "== 0", 0, "no such metric, did you mean 'lost'?", .scope = THRESHOLD_SUMMARY},
    {"consume_batch.msg_per_sec", "> 1", 0, "did you mean 'consume_batch.msgs_per_sec'?",
     .scope = THRESHOLD_SUMMARY},
    {"steady.sentt", "> 1", 0, "did you mean 'steady.sent'?", .scope = THRESHOLD_SUMMARY},
    {"latency_ms.p99x", "< 1", 0, "did you mean 'latency_ms.p99'?", .scope = THRESHOLD_SUMMARY},
    {"latency_ms.p(101)", "< 1", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"latency_ms.median", "< 1", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"burst.sent", "== 1", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"steady.lost", "== 0", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"consume_batch.lost", "== 0", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    /* figures of the other role (figures.h) are not a batch's */
    {"produce_batch.unique_words", "> 0", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"consume_batch.delivered", "> 0", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"produce_batch.latency_ms.p99", "< 1", 0, "no such metric", .scope = THRESHOLD_SUMMARY},
    {"consume_batch.latency_ms.p99", "< 1", 1, NULL, CB("latency_ms.p99", LT, 1)},
    {"produce_batch.delivered", "> 0", 1, NULL, PB("delivered", GT, 0)},
    /* the summary figures the NDJSON summary once lacked */
    {"bytes", "> 0", 1, NULL, SUM("bytes", GT, 0)},
    {"produce_msgs_per_sec", "> 0", 1, NULL, SUM("produce_msgs_per_sec", GT, 0)},
    {"consume_mb_per_sec", "> 0", 1, NULL, SUM("consume_mb_per_sec", GT, 0)},
    {"latency_ms.min", "> 0.5", 1, NULL, SUM("latency_ms.min", GT, 0.5)},
    {"lost", "0", 0, "must be an operator", .scope = THRESHOLD_SUMMARY},
    {"lost", "== zero", 0, "must be an operator", .scope = THRESHOLD_SUMMARY},
    {"lost", "=< 1", 0, "must be an operator", .scope = THRESHOLD_SUMMARY},
    {"lost", "< 1 2", 0, "must be an operator", .scope = THRESHOLD_SUMMARY},
};

static void test_parse_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof PARSE / sizeof PARSE[0]; i++) {
        threshold t;
        char err[512] = "";
        int rc = threshold_parse(&t, PARSE[i].metric, PARSE[i].condition, false, PHASES, 2, err,
                                 sizeof err);
        if (PARSE[i].ok) {
            const parse_case *c = &PARSE[i];
            if (rc) fail_msg("%s %s rejected: %s", c->metric, c->condition, err);
            if (t.scope != c->scope || strcmp(t.field, c->field) || t.op != c->op ||
                t.limit != c->limit ||
                (c->phase ? !t.phase || strcmp(t.phase, c->phase) : t.phase != NULL))
                fail_msg("%s %s: parsed to scope %d phase %s field %s op %d limit %g",
                         c->metric, c->condition, t.scope, t.phase ? t.phase : "-", t.field,
                         t.op, t.limit);
            assert_string_equal(t.metric, c->metric);
            assert_string_equal(t.condition, c->condition);
            threshold_free(&t);
        } else {
            if (!rc) fail_msg("%s %s accepted", PARSE[i].metric, PARSE[i].condition);
            if (!strstr(err, PARSE[i].err_has) || !strstr(err, PARSE[i].metric))
                fail_msg("%s %s: '%s'", PARSE[i].metric, PARSE[i].condition, err);
        }
    }
    threshold t;
    char err[512];
    assert_int_not_equal(threshold_parse(&t, "lost", "== 0", true, NULL, 0, err, sizeof err),
                         0);
    assert_non_null(strstr(err, "abort applies only"));
}

static void test_summary_verdicts(void **state) {
    (void)state;
    threshold ts[4];
    char err[512];
    assert_int_equal(threshold_parse(&ts[0], "lost", "== 0", false, PHASES, 2, err, sizeof err),
                     0);
    assert_int_equal(threshold_parse(&ts[1], "consume_msgs_per_sec", ">= 1000", false, PHASES,
                                     2, err, sizeof err),
                     0);
    assert_int_equal(
        threshold_parse(&ts[2], "latency_ms.p50", "< 5", false, PHASES, 2, err, sizeof err), 0);
    assert_int_equal(
        threshold_parse(&ts[3], "steady.sent", "== 10", false, PHASES, 2, err, sizeof err), 0);
    stats_hist *h = stats_hist_new();
    for (int i = 1; i <= 100; i++) stats_hist_record(h, (uint64_t)i * 100); /* 0.1..10 ms */
    run_phase ph = {.name = "steady", .sent = 10};
    run_summary s = {.lost = 0,
                     .consumed = 500,
                     .consume_seconds = 1.0,
                     .latency = h,
                     .phases = &ph,
                     .nphases = 1};
    assert_int_equal(threshold_finish(ts, 4, &s), 2); /* rate 500 < 1000; p50 5.0 not < 5 */
    assert_true(s.thresholds[0].pass);
    assert_false(s.thresholds[1].pass);
    assert_true(s.thresholds[1].actual == 500);
    assert_false(s.thresholds[2].pass);
    assert_true(s.thresholds[3].pass);
    s.latency = NULL;
    s.phases = NULL;
    s.nphases = 0;
    run_summary_free(&s);
    stats_hist_free(h);
    for (int i = 0; i < 4; i++) threshold_free(&ts[i]);
}

static void test_batches(void **state) {
    (void)state;
    threshold ts[2];
    char err[512];
    assert_int_equal(threshold_parse(&ts[0], "consume_batch.msgs_per_sec", "> 100", false, NULL,
                                     0, err, sizeof err),
                     0);
    assert_int_equal(threshold_parse(&ts[1], "consume_batch.cpu_percent", "< 50", true, NULL, 0,
                                     err, sizeof err),
                     0);
    /* msgs_per_sec is messages / seconds (figures.h): one second per batch */
    run_batch b = {.role = RUN_CONSUME, .messages = 500, .seconds = 1, .cpu_percent = 10};
    assert_false(threshold_check_batch(ts, 2, &b));
    b.messages = 300;
    assert_false(threshold_check_batch(ts, 2, &b));
    assert_true(ts[0].actual == 300); /* the worst so far */
    b.messages = 50;
    assert_false(threshold_check_batch(ts, 2, &b));
    b.messages = 20;
    assert_false(threshold_check_batch(ts, 2, &b));
    assert_true(ts[0].failed && ts[0].actual == 50); /* the first failing value */
    b.cpu_percent = 70;
    assert_true(threshold_check_batch(ts, 2, &b)); /* abort */
    assert_true(ts[1].aborted);
    run_batch p = {.role = RUN_PRODUCE, .messages = 1, .seconds = 1};
    assert_false(threshold_check_batch(ts, 2, &p)); /* other role: ignored */
    run_summary s = {0};
    assert_int_equal(threshold_finish(ts, 2, &s), 2);
    run_summary_free(&s);
    threshold_free(&ts[0]);
    threshold_free(&ts[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_summary_verdicts),
        cmocka_unit_test(test_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
