/*
 * Unit tests for html's plain functions: axis ticks (a nice step, at most
 * the asked number of ticks, the top covering the data) and tick labels,
 * as tables; a page from a small run, escaped and self-contained; and a
 * shared run's total rate summed over its workers' batches.
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

#include "html.h"

typedef struct {
    double hi;
    int max;
    double step, top;
} tick_case;

static const tick_case TICKS[] = {
    {10, 5, 2, 10},      {9.5, 5, 2, 10}, {453290, 5, 100000, 500000},
    {0.37, 5, 0.1, 0.4}, {1, 10, 0.1, 1}, {2.7, 10, 0.5, 3},
    {0, 5, 0.2, 1},      {-3, 5, 0.2, 1}, {101, 5, 50, 150},
    {7, 1, 10, 10},
};

static void test_ticks(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof TICKS / sizeof TICKS[0]; i++) {
        double top, step = html_ticks(TICKS[i].hi, TICKS[i].max, &top);
        if (step != TICKS[i].step || top != TICKS[i].top)
            fail_msg("ticks(%g, %d): step %g top %g, want %g %g", TICKS[i].hi, TICKS[i].max,
                     step, top, TICKS[i].step, TICKS[i].top);
    }
}

static void test_labels(void **state) {
    (void)state;
    static const struct {
        double v;
        const char *want;
    } L[] = {{0, "0"},        {0.25, "0.25"},   {15, "15"},  {1500, "1.5k"},
             {2000000, "2M"}, {250000, "250k"}, {3e9, "3G"}, {1e-15, "0"}};
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        char buf[32];
        html_num(buf, sizeof buf, L[i].v);
        if (strcmp(buf, L[i].want)) fail_msg("%g: '%s', want '%s'", L[i].v, buf, L[i].want);
    }
}

static void test_page(void **state) {
    (void)state;
    static const char *const lines[] = {
        "{\"type\":\"run\",\"name\":\"a<b>&c\",\"brokers\":\"h:1\"}",
        "{\"type\":\"produce_batch\",\"batch\":1,\"messages\":2,\"phase\":\"p\\\"1\","
        "\"seconds\":1,\"elapsed\":1.5,\"msgs_per_sec\":2,\"cpu_percent\":5,\"rss_mb\":3}",
        "{\"type\":\"consume_batch\",\"batch\":1,\"messages\":2,\"seconds\":1,\"elapsed\":2,"
        "\"msgs_per_sec\":2,\"latency_ms\":{\"p50\":1,\"p99\":2,\"max\":3},"
        "\"top_words\":[[\"<w>\",4]]}",
        "{\"type\":\"summary\",\"name\":\"a<b>&c\",\"delivered\":2,\"produce_seconds\":1,"
        "\"produce_msgs_per_sec\":2,"
        "\"consumed\":2,\"consume_seconds\":1,\"lost\":0,\"latency_ms\":{\"p99\":2},"
        "\"phases\":[{\"name\":\"p\\\"1\",\"seconds\":1,\"sent\":2}],"
        "\"thresholds\":[{\"metric\":\"lost\",\"condition\":\"== 0\",\"actual\":0,"
        "\"pass\":true,\"aborted\":false}],\"error\":\"\"}"};
    runfile r = {0};
    char err[256];
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(runfile_add_line(&r, lines[i], err, sizeof err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(html_write(f, &r), 0);
    fclose(f);
    static const char *const has[] = {"<title>kengine: a&lt;b&gt;&amp;c</title>",
                                      "data-figure=\"latency_ms.p99\">2<",
                                      "data-figure=\"produce_msgs_per_sec\">2<",
                                      ">p&quot;1</text>",
                                      ">&lt;w&gt;</text>",
                                      "class=\"verdict pass\"",
                                      "<polyline",
                                      "msgs/s",
                                      "latency (ms)",
                                      "data-info=\"brokers\">h:1<"};
    for (size_t i = 0; i < sizeof has / sizeof has[0]; i++)
        if (!strstr(buf, has[i])) fail_msg("page lacks '%s'", has[i]);
    static const char *const hasnt[] = {"http", "//", "src=", "<script", "a<b>"};
    for (size_t i = 0; i < sizeof hasnt / sizeof hasnt[0]; i++)
        if (strstr(buf, hasnt[i])) fail_msg("page has '%s'", hasnt[i]);
    free(buf);
    runfile_free(&r);
}

/* A shared run's total rate (html_rate_total) from two workers' batches
 * read back as NDJSON: each batch's messages spread over its interval, the
 * workers summed per 0.5 s bucket, over the span their batches cover. */
static void test_rate_total(void **state) {
    (void)state;
    static const char *const lines[] = {
        /* worker 0: 1000 msgs/s from 0 to 2 s, batches of 1 s */
        "{\"type\":\"produce_batch\",\"worker\":0,\"messages\":1000,\"seconds\":1,"
        "\"elapsed\":1}",
        "{\"type\":\"produce_batch\",\"worker\":0,\"messages\":1000,\"seconds\":1,"
        "\"elapsed\":2}",
        /* worker 1: 3000 msgs/s from 0.5 to 2 s, one batch of 1.5 s */
        "{\"type\":\"produce_batch\",\"worker\":1,\"messages\":4500,\"seconds\":1.5,"
        "\"elapsed\":2}",
        /* a consume batch: another role, not counted */
        "{\"type\":\"consume_batch\",\"worker\":1,\"messages\":99,\"seconds\":1,"
        "\"elapsed\":1}",
        "{\"type\":\"summary\",\"name\":\"w\"}",
    };
    runfile r = {0};
    char err[256];
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        assert_int_equal(runfile_add_line(&r, lines[i], err, sizeof err), 0);
    assert_int_equal(r.runs[0].workers, 2);
    assert_int_equal(r.runs[0].batches[2].worker, 2); /* index 1, stored + 1 */
    double x[8], y[8];
    size_t n = html_rate_total(&r.runs[0], RUN_PRODUCE, 0.5, x, y, 8);
    static const double want_x[] = {0.25, 0.75, 1.25, 1.75};
    static const double want_y[] = {1000, 4000, 4000, 4000};
    assert_int_equal(n, 4);
    for (size_t k = 0; k < n; k++)
        if (fabs(x[k] - want_x[k]) > 1e-9 || fabs(y[k] - want_y[k]) > 1e-6)
            fail_msg("point %zu: (%g, %g), want (%g, %g)", k, x[k], y[k], want_x[k], want_y[k]);
    /* the consume role: its one batch, 99 msgs/s over (0, 1] */
    n = html_rate_total(&r.runs[0], RUN_CONSUME, 0.5, x, y, 8);
    assert_int_equal(n, 2);
    assert_true(fabs(y[0] - 99) < 1e-9 && fabs(y[1] - 99) < 1e-9);
    runfile_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_rate_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
