/*
 * Unit tests for report: the text and NDJSON reporters, as exact strings
 * for known figures (jq-style: input, expected output), and the reporter
 * sinks (text, NDJSON file, both).
 */
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writer.h"

static void assert_str(char *got, const char *want) {
    if (!got || strcmp(got, want)) fail_msg("got:\n%s\nwant:\n%s", got ? got : "(null)", want);
    free(got);
}

static void test_produce_batch(void **state) {
    (void)state;
    run_batch b = {.role = RUN_PRODUCE,
                   .batch = 2,
                   .batches = 4,
                   .messages = 1000,
                   .bytes = 2097152,
                   .words = 5000,
                   .delivered = 1500,
                   .seconds = 0.5,
                   .cpu_percent = 150.25,
                   .rss_mb = 12.345,
                   .phase = "warm\"up"};
    assert_str(report_batch_string(&b),
               "produce batch 2/4 [warm\"up]: 1000 messages, 5000 words, delivered 1500, "
               "0.500 s, 2000 msgs/s, 4.0 MB/s\n");
    assert_str(
        report_batch_json(&b),
        "{\"type\":\"produce_batch\",\"phase\":\"warm\\\"up\",\"batch\":2,\"batches\":4,"
        "\"messages\":1000,\"bytes\":2097152,\"words\":5000,\"delivered\":1500,"
        "\"seconds\":0.500000,\"elapsed\":0.000,\"msgs_per_sec\":2000.0,\"mb_per_sec\":4.000,"
        "\"cpu_percent\":150.2,\"rss_mb\":12.35}");
}

static void test_consume_batch(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new();
    stats_hist_record(h, 2048); /* p50 is its bucket's top, 2.079 ms (within 1/64) */
    stats_hist_record(h, 4096);
    run_word top[] = {{"the", 3, 7}, {"a\x01", 2, 5}};
    run_broker br[] = {{.id = 2,
                        .name = "k2:9092",
                        .requests = 40,
                        .rtt_mean_ms = 201.25,
                        .rtt_p99_ms = 230,
                        .outbuf_mean_ms = 0.125}};
    run_batch b = {.role = RUN_CONSUME,
                   .batch = 3,
                   .worker = 2,
                   .consumer = 2,
                   .consumer_lag = 77,
                   .brokers = br,
                   .nbrokers = 1,
                   .messages = 10,
                   .bytes = 1048576,
                   .words = 40,
                   .unique_words = 12,
                   .seconds = 2,
                   .cpu_percent = 50,
                   .rss_mb = 10,
                   .latency = h,
                   .top = top,
                   .ntop = 2};
    assert_str(report_batch_string(&b),
               "consume batch 3: 10 messages, 40 words, 12 unique words, 2.000 s, 5 msgs/s, "
               "0.5 MB/s, cpu 50.0%, rss 10.0 MB, latency p50 2.1 ms p99 4.1 ms max 4.1 ms\n"
               "  top words: the (7) a\x01 (5)\n");
    assert_str(
        report_batch_json(&b),
        "{\"type\":\"consume_batch\",\"worker\":1,\"batch\":3,\"messages\":10,"
        "\"bytes\":1048576,"
        "\"words\":40,\"unique_words\":12,\"consumer\":2,\"seconds\":2.000000,"
        "\"elapsed\":0.000,\"msgs_per_sec\":5.0,\"mb_per_sec\":0.500,\"cpu_percent\":50.0,"
        "\"rss_mb\":10.00,\"latency_ms\":{\"p50\":2.079,\"p90\":4.096,\"p99\":4.096,"
        "\"p999\":4.096,\"max\":4.096,\"min\":2.048,\"mean\":3.072,\"count\":2},"
        "\"consumer_lag\":77,\"brokers\":[{\"id\":2,\"name\":\"k2:9092\",\"requests\":40,"
        "\"rtt_mean_ms\":201.250,\"rtt_p99_ms\":230.000,\"queue_mean_ms\":0.000,"
        "\"queue_p99_ms\":0.000,\"outbuf_mean_ms\":0.125,\"throttle_max_ms\":0.000}],"
        "\"top_words\":[[\"the\",7],[\"a\\u0001\",5]]}");
    stats_hist_free(h);
}

static run_summary sample_summary(stats_hist *h, run_phase *ph, run_threshold *th) {
    run_summary s = {.name = "seed.lua",
                     .mode = "async",
                     .produced = true,
                     .consumed_run = true,
                     .started = true,
                     .records = 100,
                     .sent = 100,
                     .delivered = 100,
                     .produce_seconds = 0.5,
                     .consumed = 100,
                     .words = 700,
                     .unique_words_total = 9,
                     .bytes = 1048576,
                     .consume_seconds = 0.25,
                     .cpu_percent = 80,
                     .peak_rss_mb = 20,
                     .latency = h,
                     .phases = ph,
                     .nphases = 1,
                     .thresholds = th,
                     .nthresholds = 1};
    return s;
}

static void test_summary(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new();
    stats_hist_record(h, 1000);
    run_phase ph = {
        .name = "steady", .sent = 100, .seconds = 0.5, .target_rate = 200, .consumed = 100};
    run_threshold th = {
        .metric = "lost", .condition = "== 0", .actual = 2, .limit = 0, .pass = false};
    run_summary s = sample_summary(h, &ph, &th);
    s.lost = 2;
    run_broker br[] = {{.id = 1,
                        .name = "k1:9092",
                        .requests = 812,
                        .rtt_mean_ms = 1.25,
                        .rtt_p99_ms = 4,
                        .queue_mean_ms = 3.125,
                        .queue_p99_ms = 9.75,
                        .outbuf_mean_ms = 0.05,
                        .throttle_max_ms = 0}};
    s.brokers = br;
    s.nbrokers = 1;
    s.consumer_lag_max = 120;
    uint64_t lag[] = {20, 100, 0};
    s.part_lag = lag;
    s.npart_lag = 3;
    snprintf(s.error, sizeof s.error, "boom");
    assert_str(report_summary_string(&s),
               "summary seed.lua: delivered 100, consumed 100, lost 2, duplicates 0, "
               "delivery errors 0\n"
               "  produced 100 of 100 records (async) in 0.500 s: 200 msgs/s\n"
               "  consumed 100 in 0.250 s: 400 msgs/s, 700 words, 9 distinct words, "
               "latency p50 1.0 ms p99 1.0 ms max 1.0 ms\n"
               "  phase steady: sent 100 in 0.500 s (200 msgs/s, target 200), consumed 100, "
               "latency p50 0.0 ms p99 0.0 ms max 0.0 ms\n"
               "  broker 1 k1:9092: rtt mean 1.2 ms, p99 4.0 ms; client queue mean 3.1 ms, "
               "p99 9.8 ms; send buffer 0.1 ms; throttle 0 ms (812 requests)\n"
               "  consumer lag: at most 120 messages behind; the most, partition 1: 100\n"
               "  cpu 80.0%, peak rss 20.0 MB\n"
               "  threshold lost == 0: actual 2, FAIL (off by 2)\n"
               "  error: boom\n");
    assert_str(
        report_summary_json(&s),
        "{\"type\":\"summary\",\"name\":\"seed.lua\",\"mode\":\"async\",\"records\":100,"
        "\"sent\":100,\"delivered\":100,\"delivery_errors\":0,\"produce_seconds\":0.500000,"
        "\"produce_msgs_per_sec\":200.0,\"consumed\":100,\"lost\":2,\"unconsumed\":0,"
        "\"duplicates\":0,\"aborted\":0,\"foreign\":0,\"words\":700,\"unique_words_total\":9,"
        "\"bytes\":1048576,"
        "\"consume_seconds\":0.250000,\"consume_msgs_per_sec\":400.0,"
        "\"consume_mb_per_sec\":4.000,\"cpu_percent\":80.0,\"peak_rss_mb\":20.00,"
        "\"csv_skipped\":0,\"csv_padded\":0,\"latency_ms\":{\"p50\":1.000,\"p90\":1.000,"
        "\"p99\":1.000,\"p999\":1.000,\"max\":1.000,\"min\":1.000,\"mean\":1.000,"
        "\"count\":1},\"consumer_lag_max\":120,\"brokers\":[{\"id\":1,\"name\":\"k1:9092\","
        "\"requests\":812,\"rtt_mean_ms\":1.250,\"rtt_p99_ms\":4.000,\"queue_mean_ms\":3.125,"
        "\"queue_p99_ms\":9.750,\"outbuf_mean_ms\":0.050,\"throttle_max_ms\":0.000}],"
        "\"missing\":\"\",\"partitions\":{\"delivered\":[],\"consumed\":[],\"lag\":[20,100,0]},"
        "\"phases\":[{\"name\":\"steady\",\"sent\":100,"
        "\"seconds\":0.500000,"
        "\"msgs_per_sec\":200.0,\"target_rate\":200.0,\"consumed\":100,\"latency_ms\":"
        "{\"p50\":0.000,\"p90\":0.000,\"p99\":0.000,\"p999\":0.000,\"max\":0.000,"
        "\"min\":0.000,\"mean\":0.000,\"count\":0}}],\"thresholds\":[{\"metric\":\"lost\","
        "\"condition\":\"== 0\",\"actual\":2,\"pass\":false,\"aborted\":false}],"
        "\"error\":\"boom\"}");
    stats_hist_free(h);
}

/* Lines only a summary with those figures has. */
static void test_summary_optional_lines(void **state) {
    (void)state;
    run_summary s = {.name = NULL,
                     .produced = false,
                     .consumed_run = false,
                     .csv_skipped = 3,
                     .csv_padded = 1,
                     .unconsumed = 5};
    assert_str(report_summary_string(&s),
               "summary: delivered 0, consumed 0, lost 0, duplicates 0, delivery errors 0\n"
               "  csv: 3 ragged rows skipped, 1 padded or truncated\n"
               "  stopped early: 5 messages expected on the consumed topic were not consumed\n"
               "  cpu 0.0%, peak rss 0.0 MB\n");
}

/* report_open: text to a stream, NDJSON to a file, a line per event. */
static void test_sinks(void **state) {
    (void)state;
    char path[64];
    helper_write_tmp(path, "", 0);
    char *text = NULL;
    size_t len = 0;
    FILE *tf = open_memstream(&text, &len);
    char err[256];
    report *r = report_open(tf, path, err, sizeof err);
    assert_non_null(r);
    run_batch b = {.role = RUN_PRODUCE, .batch = 1, .messages = 1};
    run_summary s = {.name = "x"};
    report_emit_batch(r, &b);
    report_emit_summary(r, &s);
    report_close(r);
    fclose(tf);
    assert_has(text, "produce batch 1: 1 messages");
    assert_has(text, "summary x: delivered 0");
    free(text);
    FILE *jf = fopen(path, "r");
    char line[4096];
    assert_non_null(fgets(line, sizeof line, jf));
    assert_non_null(strstr(line, "{\"type\":\"produce_batch\""));
    assert_non_null(fgets(line, sizeof line, jf));
    assert_non_null(strstr(line, "{\"type\":\"summary\",\"name\":\"x\""));
    assert_null(fgets(line, sizeof line, jf));
    fclose(jf);
    unlink(path);
    assert_null(report_open(NULL, "/nonexistent/dir/x.ndjson", err, sizeof err));
    assert_has(err, "/nonexistent/dir/x.ndjson: cannot open for writing");
}

/* Aborted and foreign messages and the per-partition spread: text lines
 * and the NDJSON "partitions" object. */
static void test_summary_pipeline_lines(void **state) {
    (void)state;
    uint64_t del[4] = {10, 20, 30, 40}, con[4] = {10, 20, 30, 20};
    run_summary s = {.name = "p",
                     .produced = false,
                     .consumed_run = false,
                     .aborted = 7,
                     .foreign = 3,
                     .part_delivered = del,
                     .npart_delivered = 4,
                     .part_consumed = con,
                     .npart_consumed = 4};
    assert_str(report_summary_string(&s),
               "summary p: delivered 0, consumed 0, lost 0, duplicates 0, delivery errors 0\n"
               "  aborted 7 (transactions aborted: abort_every's, or the one open at a stop), "
               "foreign 3 (not this run's)\n"
               "  delivered per partition (4): min 10, max 40, max/mean 1.60\n"
               "  consumed per partition (4): min 10, max 30, max/mean 1.50\n"
               "  cpu 0.0%, peak rss 0.0 MB\n");
    char *json = report_summary_json(&s);
    assert_non_null(strstr(json, "\"aborted\":7,\"foreign\":3,"));
    assert_non_null(strstr(json, "\"partitions\":{\"delivered\":[10,20,30,40],"
                                 "\"consumed\":[10,20,30,20]}"));
    free(json);
    /* one partition says nothing about spread: no line */
    run_summary one = {.name = "p", .part_consumed = con, .npart_consumed = 1};
    char *t = report_summary_string(&one);
    assert_null(strstr(t, "per partition"));
    free(t);
}

/* A failed threshold's distance in plain digits (no exponent) and, when the
 * limit is not zero, as a share of the limit (issue 25, item 5). */
static void test_threshold_miss(void **state) {
    (void)state;
    static const struct {
        double actual, limit;
        const char *want;
    } CASES[] = {
        {22400, 1e8, "off by 99977600 (99.98% of the limit)"},
        {2, 0, "off by 2"},
        {60, 50, "off by 10 (20% of the limit)"},
        {0.5, 0.25, "off by 0.25 (100% of the limit)"},
        {1234567.25, 1e9, "off by 998765433 (99.88% of the limit)"},
        {6147840, 1, "off by 6147839 (6147840 times the limit)"},
        {113.5, 10, "off by 103.5 (11.35 times the limit)"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        run_threshold t = {.actual = CASES[i].actual, .limit = CASES[i].limit};
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        report_threshold_miss(f, &t);
        fclose(f);
        assert_str(buf, CASES[i].want);
    }
    run_threshold big = {.metric = "consume_msgs_per_sec",
                         .condition = ">= 1e8",
                         .actual = 1234567.5,
                         .limit = 1e8};
    run_summary s = {.thresholds = &big, .nthresholds = 1};
    char *t = report_summary_string(&s);
    if (!strstr(t, "threshold consume_msgs_per_sec >= 1e8: actual 1234568, FAIL (off by "
                   "98765432 (98.77% of the limit))"))
        fail_msg("%s", t);
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_produce_batch),
        cmocka_unit_test(test_consume_batch),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_summary_optional_lines),
        cmocka_unit_test(test_summary_pipeline_lines),
        cmocka_unit_test(test_sinks),
        cmocka_unit_test(test_threshold_miss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
