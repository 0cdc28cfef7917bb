/*
 * Unit tests for the engine's summary and verdict: a finished run's
 * workers' figures (set here by hand, no broker) become the summary —
 * consumers merged, loss from the sequence bitmaps apart from failed
 * deliveries, unconsumed instead of lost when stopped early, phases — and
 * the exit code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>

#include "engine.h"

typedef struct {
    workload wl;
    hub pl;
    kafka_producer_job pj;
    kafka_consumer_job cj[2];
} fixture;

/* 10 records in two phases of 5; sent 10, seq 5 failed delivery, the
 * consumers saw 0-4, 6 and 8 (and 3 once more): 7 and 9 are lost. */
static void fixture_init(fixture *f) {
    char err[256];
    memset(f, 0, sizeof *f);
    assert_int_equal(workload_init(&f->wl), 0);
    assert_int_equal(workload_add_phase(&f->wl, "a", 5, 0, 100, err, sizeof err), 0);
    assert_int_equal(workload_add_phase(&f->wl, "b", 5, 0, 0, err, sizeof err), 0);
    assert_int_equal(hub_init(&f->pl, &f->wl, workload_records(&f->wl)), 0);
    f->pj.pl = &f->pl;
    f->pj.sent = 10;
    f->pj.delivered = 9;
    f->pj.errors = 1;
    f->pj.produce_seconds = 2.0;
    f->pj.phase_sent[0] = f->pj.phase_sent[1] = 5;
    f->pj.phase_seconds[0] = 0.05;
    f->pj.phase_seconds[1] = 0.01;
    assert_int_equal(hub_bits_set(&f->pj.failed, 5), 0);
    const uint64_t seen[] = {0, 1, 2, 3, 4, 6, 8};
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++)
        assert_int_equal(hub_seen_set(&f->pl, seen[i]), 0);
    atomic_store(&f->pl.distinct, sizeof seen / sizeof seen[0]); /* as the consumers count */
    for (int c = 0; c < 2; c++) {
        f->cj[c].pl = &f->pl;
        f->cj[c].index = c;
        assert_int_equal(flow_consumer_init(&f->cj[c].acc, &f->wl), 0);
    }
    flow_consumer *a = &f->cj[0].acc, *b = &f->cj[1].acc;
    a->consumed = 5;
    b->consumed = 3;
    b->duplicates = 1;
    a->foreign = 2;
    b->foreign = 1;
    a->words = 50;
    b->words = 30;
    a->bytes = 500;
    b->bytes = 300;
    a->first = 10.0;
    a->last = 11.0;
    b->first = 10.5;
    b->last = 12.5;
    words_scan(words_merger_wait(a->run_words), "x y", 3);
    words_scan(words_merger_wait(b->run_words), "y z w", 5);
    stats_hist_record(a->latency, 1000);
    stats_hist_record(b->latency, 8000);
    a->phase_consumed[0] = 5;
    b->phase_consumed[1] = 3;
    stats_hist_record(a->phase_latency[0], 1000);
    stats_hist_record(b->phase_latency[1], 8000);
}

static void fixture_free(fixture *f, run_summary *s) {
    run_summary_free(s);
    for (int c = 0; c < 2; c++) flow_consumer_free(&f->cj[c].acc);
    hub_bits_free(&f->pj.failed);
    hub_destroy(&f->pl);
    workload_free(&f->wl);
}

static void test_summary(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    run_summary s = {0};
    engine_summarize(&f.wl, &f.pl, &f.pj, f.cj, 2, &s);
    assert_int_equal(s.sent, 10);
    assert_int_equal(s.delivered, 9);
    assert_int_equal(s.delivery_errors, 1);
    assert_true(s.produce_seconds == 2.0);
    assert_int_equal(s.records, 10); /* phased and producing: what was sent */
    assert_int_equal(s.consumed, 8);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.words, 80);
    assert_int_equal(s.bytes, 800);
    assert_true(s.consume_seconds == 2.5); /* earliest first to latest last */
    assert_int_equal(s.unique_words_total, 4);
    assert_int_equal(s.lost, 2); /* 7 and 9; 5 failed, counted apart */
    assert_int_equal(s.unconsumed, 0);
    assert_int_equal(s.foreign, 3);
    assert_int_equal(stats_hist_count(s.latency), 2); /* both consumers' */
    assert_int_equal(stats_hist_min(s.latency), 1000);
    assert_int_equal(stats_hist_max(s.latency), 8000);
    assert_null(f.cj[0].acc.latency); /* moved to the summary, not copied */
    assert_int_equal(s.nphases, 2);
    assert_string_equal(s.phases[0].name, "a");
    assert_int_equal(s.phases[0].sent, 5);
    assert_true(s.phases[0].target_rate == 100);
    assert_int_equal(s.phases[0].consumed, 5);
    assert_int_equal(s.phases[1].consumed, 3);
    assert_int_equal(s.phases[1].sent, 5); /* the producer's, untouched by the merge */
    assert_true(s.phases[1].seconds == 0.01 && s.phases[1].target_rate == 0);
    assert_int_equal(stats_hist_count(s.phases[0].latency), 1);
    assert_int_equal(stats_hist_max(s.phases[1].latency), 8000);
    assert_null(f.cj[0].acc.phase_latency[1]);
    /* the producer's figures, untouched by the consumers' merge */
    assert_int_equal(s.sent, 10);
    assert_true(s.produce_seconds == 2.0);

    char err[256] = "";
    assert_int_equal(engine_verdict(&f.pl, &s, 2, 0, 0, err, sizeof err), EXITCODE_RUNTIME);
    assert_string_equal(err, "2 messages lost (sequence numbers 7, 9), 1 duplicated");
    fixture_free(&f, &s);
}

static void test_stopped_early(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    atomic_store(&f.pl.stop, true);
    run_summary s = {0};
    engine_summarize(&f.wl, &f.pl, &f.pj, f.cj, 2, &s);
    assert_int_equal(s.lost, 0);
    assert_int_equal(s.unconsumed, 2);
    char err[256] = "";
    /* a signal's stop: its exit code, not the loss's */
    assert_int_equal(engine_verdict(&f.pl, &s, 2, 0, SIGINT, err, sizeof err), 130);
    /* a hook's stop wins over the signal */
    assert_int_equal(engine_verdict(&f.pl, &s, 2, EXITCODE_THRESHOLD, SIGINT, err, sizeof err),
                     EXITCODE_THRESHOLD);
    fixture_free(&f, &s);
}

static void test_consume_only(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    f.wl.produce = false;
    atomic_store(&f.pl.unsequenced, 1);
    run_summary s = {0};
    engine_summarize(&f.wl, &f.pl, &f.pj, f.cj, 2, &s);
    /* expected 10, found 7 distinct + 1 without a header */
    assert_int_equal(s.lost, 2);
    assert_int_equal(s.records, 10);
    fixture_free(&f, &s);
}

static void test_verdicts(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f);
    run_summary s = {0};
    char err[256] = "";
    assert_int_equal(engine_verdict(&f.pl, &s, 2, 0, 0, err, sizeof err), EXITCODE_OK);
    assert_string_equal(err, "");
    s.duplicates = 1;
    assert_int_equal(engine_verdict(&f.pl, &s, 0, 0, 0, err, sizeof err), EXITCODE_OK);
    /* no consumer: nothing to call lost */
    hub_error(&f.pl, EXITCODE_USAGE, "bad key");
    hub_error(&f.pl, EXITCODE_RUNTIME, "later");
    assert_int_equal(engine_verdict(&f.pl, &s, 2, 0, 0, err, sizeof err), EXITCODE_USAGE);
    assert_string_equal(err, "bad key");
    assert_int_equal(engine_verdict(&f.pl, &s, 2, 0, SIGTERM, err, sizeof err), 143);
    fixture_free(&f, &s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_stopped_early),
        cmocka_unit_test(test_consume_only),
        cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
