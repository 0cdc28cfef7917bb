/*
 * Unit tests for the Prometheus export (src/export): the families derived
 * from the table of figures, the histogram's `le` counts, the registry's
 * live and final values as exact text-format blocks, escaping and numbers,
 * the remote-write protobuf as exact bytes, snappy, and the exporter's
 * refusals of a bad address, a port in use and a bad URL.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <snappy-c.h>
#include <sys/socket.h>

#include "exporter.h"
#include "figures.h"
#include "registry.h"
#include "remote.h"
#include "workload.h"

static const export_family *family(const char *name) {
    size_t n;
    const export_family *f = export_families(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].name, name)) return &f[i];
    return NULL;
}

/* Every summary and phase figure has one family; the names follow
 * Prometheus's conventions. */
static void test_families(void **state) {
    (void)state;
    size_t nf, n;
    const export_family *fam = export_families(&nf);
    const figure_scope scopes[] = {FIGURES_IN_SUMMARY, FIGURES_IN_PHASE};
    for (size_t s = 0; s < 2; s++) {
        const figure *f = figures_list(scopes[s], &n);
        for (size_t i = 0; i < n; i++) {
            int found = 0;
            for (size_t k = 0; k < nf; k++) found += fam[k].fig == &f[i];
            assert_int_equal(found, 1);
        }
    }
    for (size_t k = 0; k < nf; k++) {
        assert_int_equal(strncmp(fam[k].name, "kengine_", 8), 0);
        bool total = strstr(fam[k].name, "_total") != NULL;
        assert_true(total == (fam[k].type == EXPORT_COUNTER));
    }
    const struct {
        const char *name;
        export_type type;
        double scale;
    } want[] = {
        {"kengine_sent_total", EXPORT_COUNTER, 1},
        {"kengine_unique_words_total", EXPORT_COUNTER, 1},
        {"kengine_latency_seconds", EXPORT_HISTOGRAM, 1e-6},
        {"kengine_peak_rss_bytes", EXPORT_GAUGE, 1048576},
        {"kengine_cpu_ratio", EXPORT_GAUGE, 0.01},
        {"kengine_consume_bytes_per_second", EXPORT_GAUGE, 1048576},
        {"kengine_produce_messages_per_second", EXPORT_GAUGE, 1},
        {"kengine_batch_messages_per_second", EXPORT_GAUGE, 1},
        {"kengine_batch_elapsed_seconds", EXPORT_GAUGE, 1},
        {"kengine_phase_messages_per_second", EXPORT_GAUGE, 1},
        {"kengine_phase_latency_seconds", EXPORT_HISTOGRAM, 1e-6},
        {"kengine_run_done", EXPORT_GAUGE, 1},
        {"kengine_consumer_lag_max", EXPORT_GAUGE, 1}, /* a largest value: no counter */
        {"kengine_batch_consumer_lag", EXPORT_GAUGE, 1},
        {"kengine_broker_rtt_p99_seconds", EXPORT_GAUGE, 1e-3},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const export_family *f = family(want[i].name);
        assert_non_null(f);
        assert_int_equal(f->type, want[i].type);
        assert_true(f->scale == want[i].scale);
    }
    /* a batch's latency is the run's histogram, not a family of its own */
    assert_null(family("kengine_batch_latency_seconds"));
    assert_null(family("kengine_sent_total_total"));
}

static void test_count_le(void **state) {
    (void)state;
    stats_hist *h = stats_hist_new();
    assert_int_equal(stats_hist_count_le(h, 100), 0);
    for (uint64_t v = 1; v <= 1000; v++) stats_hist_record(h, v);
    assert_int_equal(stats_hist_count_le(h, 0), 0);
    assert_int_equal(stats_hist_count_le(h, 63), 63); /* exact below 64 */
    /* 500's bucket is 500..503: its values count as <= 500 */
    assert_int_equal(stats_hist_count_le(h, 500), 503);
    assert_int_equal(stats_hist_count_le(h, 1000), 1000);
    assert_int_equal(stats_hist_count_le(h, 1u << 30), 1000);
    stats_hist_free(h);
}

static char *render(const export_registry *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    export_text_write(out, r);
    fclose(out);
    return text;
}

#define assert_block(text, block)                                                              \
    do {                                                                                       \
        if (!strstr(text, block)) fail_msg("missing:\n%s\nin:\n%s", block, text);              \
    } while (0)

static void test_registry_text(void **state) {
    (void)state;
    export_registry *r = export_registry_new();
    assert_int_equal(export_registry_leg(r, "r1", -1, "t"), 0);
    run_batch p = {.role = RUN_PRODUCE,
                   .batch = 1,
                   .messages = 10,
                   .delivered = 7,
                   .bytes = 100,
                   .seconds = 2};
    assert_int_equal(export_registry_batch(r, &p), 0);
    p.batch = 2;
    p.delivered = 15;
    assert_int_equal(export_registry_batch(r, &p), 0);
    run_batch c = {.role = RUN_CONSUME,
                   .batch = 1,
                   .consumer = 1,
                   .messages = 3,
                   .bytes = 30,
                   .words = 6,
                   .seconds = 0.5,
                   .latency = stats_hist_new()};
    stats_hist_record(c.latency, 1500);  /* 1.5 ms */
    stats_hist_record(c.latency, 3000);  /* 3 ms */
    stats_hist_record(c.latency, 30000); /* 30 ms */
    run_broker br = {.id = 1, .name = "h:9092", .requests = 40, .rtt_mean_ms = 2};
    c.brokers = &br;
    c.nbrokers = 1;
    assert_int_equal(export_registry_batch(r, &c), 0);
    char *text = render(r);
    /* a broker's figures of the client's last window, by broker */
    assert_block(text,
                 "# TYPE kengine_broker_rtt_mean_seconds gauge\n"
                 "kengine_broker_rtt_mean_seconds{run=\"r1\",topic=\"t\",role=\"consume\","
                 "broker=\"1\",address=\"h:9092\"} 0.002\n");
    assert_block(text, "kengine_broker_requests{run=\"r1\",topic=\"t\",role=\"consume\","
                       "broker=\"1\",address=\"h:9092\"} 40\n");
    /* live: sent adds the batches, delivered is the last batch's total */
    assert_block(text, "# HELP kengine_sent_total messages handed to the Kafka client (NDJSON: "
                       "the summary's sent)\n"
                       "# TYPE kengine_sent_total counter\n"
                       "kengine_sent_total{run=\"r1\",topic=\"t\"} 20\n"
                       "# HELP kengine_delivered_total successful delivery reports (NDJSON: "
                       "the summary's delivered)\n"
                       "# TYPE kengine_delivered_total counter\n"
                       "kengine_delivered_total{run=\"r1\",topic=\"t\"} 15\n");
    assert_block(text, "kengine_consumed_total{run=\"r1\",topic=\"t\"} 3\n");
    assert_block(text, "kengine_words_total{run=\"r1\",topic=\"t\"} 6\n");
    assert_block(text,
                 "# TYPE kengine_batch_messages_per_second gauge\n"
                 "kengine_batch_messages_per_second{run=\"r1\",topic=\"t\",role=\"produce\"}"
                 " 5\n"
                 "kengine_batch_messages_per_second{run=\"r1\",topic=\"t\",role=\"consume\","
                 "consumer=\"1\"} 6\n");
    assert_block(text,
                 "# TYPE kengine_latency_seconds histogram\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.0001\"} 0\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.0002\"} 0\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.0005\"} 0\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.001\"} 0\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.002\"} 1\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.005\"} 2\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.01\"} 2\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.02\"} 2\n"
                 "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"0.05\"} 3\n");
    assert_block(text, "kengine_latency_seconds_bucket{run=\"r1\",topic=\"t\",le=\"+Inf\"} 3\n"
                       "kengine_latency_seconds_sum{run=\"r1\",topic=\"t\"} 0.0345\n"
                       "kengine_latency_seconds_count{run=\"r1\",topic=\"t\"} 3\n");
    /* the final figures only exist at the end */
    assert_null(strstr(text, "kengine_lost_total"));
    assert_null(strstr(text, "kengine_run_done"));
    free(text);

    run_summary s = {.sent = 25,
                     .delivered = 25,
                     .consumed = 24,
                     .lost = 1,
                     .bytes = 240,
                     .consume_seconds = 2,
                     .peak_rss_mb = 2,
                     .cpu_percent = 50,
                     .latency = c.latency};
    run_phase ph = {.name = "steady", .sent = 25, .seconds = 5, .latency = c.latency};
    s.phases = &ph;
    s.nphases = 1;
    assert_int_equal(export_registry_summary(r, &s), 0);
    text = render(r);
    assert_block(text, "kengine_sent_total{run=\"r1\",topic=\"t\"} 25\n");
    assert_block(text, "kengine_lost_total{run=\"r1\",topic=\"t\"} 1\n");
    assert_block(text, "kengine_consume_messages_per_second{run=\"r1\",topic=\"t\"} 12\n");
    assert_block(text, "kengine_peak_rss_bytes{run=\"r1\",topic=\"t\"} 2097152\n");
    assert_block(text, "kengine_cpu_ratio{run=\"r1\",topic=\"t\"} 0.5\n");
    /* the summary's histogram replaces the batches' (not added to them) */
    assert_block(text, "kengine_latency_seconds_count{run=\"r1\",topic=\"t\"} 3\n");
    assert_block(text, "kengine_phase_sent_total{run=\"r1\",topic=\"t\",phase=\"steady\"} 25\n"
                       "# HELP kengine_phase_seconds");
    assert_block(text, "kengine_phase_messages_per_second{run=\"r1\",topic=\"t\","
                       "phase=\"steady\"} 5\n");
    assert_block(text, "kengine_phase_latency_seconds_count{run=\"r1\",topic=\"t\","
                       "phase=\"steady\"} 3\n");
    assert_block(text, "# TYPE kengine_run_done gauge\n"
                       "kengine_run_done{run=\"r1\",topic=\"t\"} 1\n");
    free(text);

    /* a second leg of a shared run: its own series, with the worker label */
    assert_int_equal(export_registry_leg(r, "a\"b\\c\nd", 2, "t"), 0);
    assert_int_equal(export_registry_batch(r, &p), 0);
    text = render(r);
    assert_block(text,
                 "kengine_sent_total{run=\"r1\",topic=\"t\"} 25\n"
                 "kengine_sent_total{run=\"a\\\"b\\\\c\\nd\",worker=\"2\",topic=\"t\"} 10\n");
    free(text);
    stats_hist_free(c.latency);
    export_registry_free(r);
}

static void test_numbers(void **state) {
    (void)state;
    char b[40];
    const struct {
        double v;
        const char *want;
    } rows[] = {{0, "0"},
                {3, "3"},
                {0.1, "0.1"},
                {1e20, "1e+20"},
                {1.0 / 3, "0.333333333333333"},
                {INFINITY, "+Inf"},
                {-INFINITY, "-Inf"},
                {NAN, "NaN"},
                {2.5e-6, "2.5e-06"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        export_number(b, sizeof b, rows[i].v);
        if (i == 4) { /* 1/3 round-trips only with 17 digits */
            assert_true(strtod(b, NULL) == rows[i].v);
            continue;
        }
        assert_string_equal(b, rows[i].want);
    }
}

/* One TimeSeries, byte by byte (prompb's field numbers), labels sorted. */
static void test_rw_series(void **state) {
    (void)state;
    codec_buf out = {0};
    export_label labels[] = {{"topic", "t"}, {"le", "1"}};
    export_rw_series(&out, "m", labels, 2, 1.0, 1000);
    static const unsigned char want[] =
        {
            0x0A, 0x32, /* TimeSeries, 50 bytes */
            0x0A, 0x0D, 0x0A, 0x08, '_', '_', 'n',  'a',  'm',
            'e',  '_',  '_',                                   /* Label __name__ */
            0x12, 0x01, 'm',                                   /* = m */
            0x0A, 0x07, 0x0A, 0x02, 'l', 'e', 0x12, 0x01, '1', /* le = 1 */
            0x0A, 0x0A, 0x0A, 0x05, 't', 'o', 'p',  'i',  'c',
            0x12, 0x01, 't', /* topic = t */
            0x12, 0x0C, 0x09, 0,    0,   0,   0,    0,    0,
            0xF0, 0x3F,       /* Sample: value 1.0 (LE double) */
            0x10, 0xE8, 0x07, /* timestamp 1000 */
        };
    assert_int_equal(out.len, sizeof want);
    assert_memory_equal(out.p, want, sizeof want);
    codec_buf_free(&out);
}

static void count_sample(void *ud, const export_family *f, const char *suffix,
                         const export_label *l, size_t n, double v) {
    (void)f, (void)suffix, (void)l, (void)n, (void)v;
    ++*(size_t *)ud;
}

/* A registry's WriteRequest holds one TimeSeries per sample, and snappy
 * gives it back whole. */
static void test_rw_request(void **state) {
    (void)state;
    export_registry *r = export_registry_new();
    export_registry_leg(r, "r", 0, "t");
    run_batch c = {
        .role = RUN_CONSUME, .consumer = 1, .messages = 3, .latency = stats_hist_new()};
    stats_hist_record(c.latency, 2000);
    export_registry_batch(r, &c);
    size_t samples = 0;
    export_registry_each(r, count_sample, &samples);
    codec_buf body = {0}, packed = {0};
    export_rw_encode(&body, r, 1700000000000);
    assert_false(body.oom);
    size_t series = 0;
    codec_rd rd = {.p = body.p, .len = body.len};
    while (rd.pos < rd.len && !rd.bad) {
        assert_int_equal(codec_get_varint(&rd), 0x0A);
        size_t n;
        assert_non_null(codec_get_str(&rd, &n));
        series++;
    }
    assert_false(rd.bad);
    assert_true(samples > 20);
    assert_int_equal(series, samples);
    assert_int_equal(export_rw_compress(&packed, body.p, body.len), 0);
    assert_true(packed.len < body.len);
    size_t ulen = 0;
    assert_int_equal(snappy_uncompressed_length((const char *)packed.p, packed.len, &ulen),
                     SNAPPY_OK);
    assert_int_equal(ulen, body.len);
    char *back = malloc(ulen);
    assert_int_equal(snappy_uncompress((const char *)packed.p, packed.len, back, &ulen),
                     SNAPPY_OK);
    assert_memory_equal(back, body.p, body.len);
    free(back);
    codec_buf_free(&body);
    codec_buf_free(&packed);
    stats_hist_free(c.latency);
    export_registry_free(r);
}

/* What exporter_open refuses, naming it, before anything runs. */
static void test_open_refusals(void **state) {
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    char busy[64];
    snprintf(busy, sizeof busy, "127.0.0.1:%d", ntohs(sa.sin_port));
    const struct {
        const char *metrics, *rw, *want;
    } rows[] = {
        {"nonsense", NULL, "metrics 'nonsense': expected HOST:PORT"},
        {"127.0.0.1:99999", NULL, "metrics '127.0.0.1:99999': port '99999' is not in 1..65535"},
        {"127.0.0.1:", NULL, "expected HOST:PORT"},
        {"127.0.0.1:80x", NULL, "port '80x' is not in 1..65535"},
        {busy, NULL, "cannot listen: Address already in use"},
        {NULL, "ftp://x/", "prometheus_rw 'ftp://x/': expected an http:// or https:// URL"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        workload wl;
        assert_int_equal(workload_init(&wl), 0);
        wl.metrics = rows[i].metrics ? strdup(rows[i].metrics) : NULL;
        wl.prometheus_rw = rows[i].rw ? strdup(rows[i].rw) : NULL;
        char err[512];
        assert_null(exporter_open(&wl, err, sizeof err));
        if (!strstr(err, rows[i].want)) fail_msg("row %zu: '%s'", i, err);
        workload_free(&wl);
    }
    close(fd);
    /* neither asked for: no exporter, no error */
    workload wl;
    workload_init(&wl);
    char err[64] = "x";
    assert_null(exporter_open(&wl, err, sizeof err));
    assert_string_equal(err, "");
    workload_free(&wl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families),      cmocka_unit_test(test_count_le),
        cmocka_unit_test(test_registry_text), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_rw_series),     cmocka_unit_test(test_rw_request),
        cmocka_unit_test(test_open_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
