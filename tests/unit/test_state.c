/*
 * Unit tests for merge: two workers' states, each through the portable
 * encoding, merge into exact loss and duplicates (from the bitmaps), merged
 * latency percentiles (not averaged ones), the union of distinct words
 * (exact, then a flagged HyperLogLog estimate past DIST_STATE_EXACT_WORDS), the
 * worst batch threshold, the brokers' figures by broker id; malformed states
 * are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "stats_codec.h"

static void see(dist_state *m, uint64_t seq) {
    dist_state_mark_word(m, DIST_STATE_SEEN, seq, 1);
}

/* Encodes and decodes a state (what travels through Kafka). */
static dist_state *through_kafka(dist_state *m) {
    codec_buf b = {0};
    dist_state_encode(m, &b);
    assert_false(b.oom);
    char err[256];
    dist_state *back = dist_state_decode(b.p, b.len, err, sizeof err);
    assert_non_null(back);
    /* every truncation is refused */
    for (size_t n = 0; n < b.len; n += 1 + n / 16)
        assert_null(dist_state_decode(b.p, n, err, sizeof err));
    codec_buf_free(&b);
    dist_state_free(m);
    return back;
}

/* A worker's state from its summary, as dist_worker_run.c builds it. */
static dist_state *state_of(run_summary *s, int worker) {
    dist_state *m = dist_state_new();
    assert_int_equal(dist_state_set_summary(m, s), 0);
    *dist_state_meta_of(m) = (dist_state_meta){
        .worker = worker, .workers = 2, .produced = true, .consumed_run = true};
    return m;
}

static dist_state *worker_a(void) {
    stats_hist *h = stats_hist_new();
    for (int i = 0; i < 1000; i++) stats_hist_record(h, 10);
    run_phase ph = {.name = "p",
                    .sent = 50,
                    .seconds = 2.0,
                    .target_rate = 50,
                    .consumed = 60,
                    .latency = h};
    run_summary s = {.name = "run",
                     .mode = "async",
                     .records = 50,
                     .sent = 50,
                     .delivered = 50,
                     .consumed = 60,
                     .duplicates = 1,
                     .words = 300,
                     .bytes = 6000,
                     .produce_seconds = 2.0,
                     .consume_seconds = 2.0,
                     .cpu_percent = 40,
                     .peak_rss_mb = 30,
                     .latency = h,
                     .phases = &ph,
                     .nphases = 1};
    run_broker br[] = {{.id = 1,
                        .name = "k1:9092",
                        .requests = 10,
                        .rtt_mean_ms = 2,
                        .rtt_p99_ms = 9,
                        .queue_p99_ms = 4,
                        .throttle_max_ms = 0}};
    s.brokers = br;
    s.nbrokers = 1;
    s.consumer_lag_max = 70;
    dist_state *m = state_of(&s, 0);
    stats_hist_free(h);
    dist_state_mark_range(m, DIST_STATE_SENT, 0, 50);
    for (uint64_t q = 0; q < 60; q++)
        if (q != 10) see(m, q);
    /* 20 consumed twice: counted in consumed, seen once */
    words_set *w = words_set_new();
    words_scan(w, "a b c", 5);
    assert_int_equal(dist_state_add_words(m, w), 0);
    words_set_free(w);
    threshold t = {.metric = "consume_batch.cpu_percent",
                   .condition = "< 10",
                   .op = THRESHOLD_LT,
                   .evaluated = true,
                   .actual = 5};
    assert_int_equal(dist_state_add_threshold(m, &t), 0);
    return m;
}

static dist_state *worker_b(void) {
    stats_hist *h = stats_hist_new();
    for (int i = 0; i < 10; i++) stats_hist_record(h, 1000);
    run_phase ph = {.name = "p",
                    .sent = 50,
                    .seconds = 3.0,
                    .target_rate = 50,
                    .consumed = 40,
                    .latency = h};
    run_summary s = {.name = "run",
                     .mode = "async",
                     .records = 50,
                     .sent = 50,
                     .delivered = 49,
                     .delivery_errors = 1,
                     .consumed = 40,
                     .words = 200,
                     .bytes = 4000,
                     .produce_seconds = 2.5,
                     .consume_seconds = 2.9,
                     .cpu_percent = 60,
                     .peak_rss_mb = 40,
                     .latency = h,
                     .phases = &ph,
                     .nphases = 1};
    run_broker br[] = {
        {.id = 2, .name = "k2:9092", .requests = 5, .rtt_mean_ms = 200, .rtt_p99_ms = 210},
        {.id = 1,
         .name = "k1:9092",
         .requests = 20,
         .rtt_mean_ms = 3,
         .rtt_p99_ms = 7,
         .queue_p99_ms = 6,
         .throttle_max_ms = 15}};
    s.brokers = br;
    s.nbrokers = 2;
    s.consumer_lag_max = 30;
    dist_state *m = state_of(&s, 1);
    stats_hist_free(h);
    dist_state_mark_range(m, DIST_STATE_SENT, 50, 100);
    dist_state_mark_word(m, DIST_STATE_FAILED, 64, 1ull << 6); /* seq 70 failed */
    for (uint64_t q = 60; q < 100; q++)
        if (q != 70) see(m, q);
    see(m, 55); /* also seen by A: a duplicate across workers */
    words_set *w = words_set_new();
    words_scan(w, "c d", 3);
    assert_int_equal(dist_state_add_words(m, w), 0);
    words_set_free(w);
    threshold t = {.metric = "consume_batch.cpu_percent",
                   .condition = "< 10",
                   .op = THRESHOLD_LT,
                   .evaluated = true,
                   .failed = true,
                   .actual = 12};
    assert_int_equal(dist_state_add_threshold(m, &t), 0);
    return m;
}

static void test_exact_merge(void **state) {
    (void)state;
    dist_state *a = through_kafka(worker_a()), *b = through_kafka(worker_b());
    dist_state *all = dist_state_new();
    assert_int_equal(dist_state_merge(all, a), 0);
    assert_int_equal(dist_state_merge(all, b), 0);
    run_summary s;
    assert_int_equal(dist_state_summary(all, &s), 0);
    assert_string_equal(s.name, "run");
    assert_int_equal(s.records, 100); /* the shares' records add up */
    assert_int_equal(s.sent, 100);
    assert_int_equal(s.delivered, 99);
    assert_int_equal(s.delivery_errors, 1);
    assert_int_equal(s.consumed, 100);
    assert_int_equal(s.lost, 1);       /* seq 10: sent, not failed, seen by nobody */
    assert_int_equal(s.duplicates, 2); /* 100 consumed, 98 distinct (20 twice, 55 twice) */
    assert_int_equal(s.words, 500);
    assert_int_equal(s.unique_words_total, 4); /* a b c d */
    assert_false(s.unique_words_estimated);
    /* the rules of figures.h: spans and peaks MAX, CPU SUM */
    assert_true(s.produce_seconds == 2.5);
    assert_true(s.consume_seconds == 2.9);
    assert_true(s.cpu_percent == 100.0);
    assert_true(s.peak_rss_mb == 40);
    /* percentiles of the merged histogram, not averages of percentiles */
    assert_int_equal(stats_hist_count(s.latency), 1010);
    assert_int_equal(stats_hist_percentile(s.latency, 99), 10);
    assert_int_equal(stats_hist_max(s.latency), 1000);
    assert_int_equal(s.nphases, 1);
    assert_int_equal(s.phases[0].sent, 100);
    assert_int_equal(s.phases[0].consumed, 100);
    assert_true(s.phases[0].seconds == 3.0);
    assert_true(s.phases[0].target_rate == 100);
    assert_string_equal(s.phases[0].name, "p");
    const dist_state_threshold *t;
    assert_int_equal(dist_state_thresholds(all, &t), 1);
    assert_true(t[0].failed && t[0].actual == 12);
    /* the brokers, an entry per id through the encoding: requests summed,
     * the rest the largest (figures.h's FIGURES_BROKER) */
    assert_int_equal(s.consumer_lag_max, 70);
    assert_int_equal(s.nbrokers, 2);
    assert_int_equal(s.brokers[0].id, 1);
    assert_string_equal(s.brokers[0].name, "k1:9092");
    assert_int_equal(s.brokers[0].requests, 30);
    assert_true(s.brokers[0].rtt_mean_ms == 3 && s.brokers[0].rtt_p99_ms == 9);
    assert_true(s.brokers[0].queue_p99_ms == 6 && s.brokers[0].throttle_max_ms == 15);
    assert_int_equal(s.brokers[1].id, 2);
    assert_string_equal(s.brokers[1].name, "k2:9092");
    assert_true(s.brokers[1].rtt_mean_ms == 200 && s.brokers[1].requests == 5);
    run_summary_free(&s);
    dist_state_free(all);
    dist_state_free(a);
    dist_state_free(b);
}

static void test_words_sketch(void **state) {
    (void)state;
    dist_state *a = dist_state_new(), *b = dist_state_new();
    words_set *w = words_set_new();
    char word[32];
    /* 150,000 words each, 50,000 shared: 250,000 distinct, past the limit */
    for (int i = 0; i < 150000; i++) {
        int n = snprintf(word, sizeof word, "w%d", i);
        words_scan(w, word, (size_t)n);
    }
    assert_int_equal(dist_state_add_words(a, w), 0);
    words_set_clear(w);
    for (int i = 100000; i < 250000; i++) {
        int n = snprintf(word, sizeof word, "w%d", i);
        words_scan(w, word, (size_t)n);
    }
    assert_int_equal(dist_state_add_words(b, w), 0);
    words_set_free(w);
    assert_false(dist_state_words_estimated(a)); /* 150,000: still exact */
    a = through_kafka(a);
    b = through_kafka(b);
    assert_int_equal(dist_state_merge(a, b), 0);
    assert_true(dist_state_words_estimated(a));
    run_summary s;
    assert_int_equal(dist_state_summary(a, &s), 0);
    assert_true(s.unique_words_estimated);
    double err = ((double)s.unique_words_total - 250000.0) / 250000.0;
    assert_true(err > -0.03 && err < 0.03); /* 0.8% standard error */
    /* and the estimate survives the trip */
    a = through_kafka(a);
    run_summary s2;
    assert_int_equal(dist_state_summary(a, &s2), 0);
    assert_int_equal(s2.unique_words_total, s.unique_words_total);
    run_summary_free(&s);
    run_summary_free(&s2);
    dist_state_free(a);
    dist_state_free(b);
}

static void test_malformed(void **state) {
    (void)state;
    char err[256];
    assert_null(dist_state_decode("", 0, err, sizeof err));
    assert_null(dist_state_decode("\x07garbage", 8, err, sizeof err));
    assert_non_null(strstr(err, "version"));
    /* a state with a corrupted bitmap */
    dist_state *m = worker_a();
    codec_buf b = {0};
    dist_state_encode(m, &b);
    for (size_t i = b.len / 2; i < b.len / 2 + 8; i++) b.p[i] ^= 0xff;
    dist_state *bad = dist_state_decode(b.p, b.len, err, sizeof err);
    dist_state_free(bad); /* refused or decoded: never a crash (ASan checks) */
    codec_buf_free(&b);
    dist_state_free(m);
}

static void test_hist_codec(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new(), *back = stats_hist_new();
    for (uint64_t v = 0; v < 100000; v += 7) stats_hist_record(h, v * v);
    codec_buf b = {0};
    stats_hist_encode(h, &b);
    codec_rd r = {.p = b.p, .len = b.len};
    assert_int_equal(stats_hist_decode(back, &r), 0);
    assert_int_equal(r.pos, b.len);
    for (double p = 0; p <= 100; p += 12.5)
        assert_int_equal(stats_hist_percentile(back, p), stats_hist_percentile(h, p));
    assert_int_equal(stats_hist_min(back), stats_hist_min(h));
    assert_int_equal(stats_hist_max(back), stats_hist_max(h));
    r = (codec_rd){.p = b.p, .len = b.len - 1};
    assert_int_equal(stats_hist_decode(back, &r), -1);
    assert_int_equal(stats_hist_count(back), 0);
    codec_buf_free(&b);
    stats_hist_free(h);
    stats_hist_free(back);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_merge),
        cmocka_unit_test(test_words_sketch),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_hist_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
