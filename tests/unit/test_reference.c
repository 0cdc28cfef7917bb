/*
 * Unit tests for the reference tables as the docs embed them (`kengine
 * help figures|fields|exit-codes --markdown`): each is a GitHub table with
 * one row per entry of the code's table, the rows say what the code says,
 * and a cell cannot break the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "figures.h"
#include "markdown.h"
#include "workload.h"

/* What printer(out) writes, malloc'd. */
static char *capture(void (*printer)(FILE *)) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    printer(f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* Lines of text that are table rows ("| ..."), header and rule included. */
static size_t table_rows(const char *text) {
    size_t n = 0;
    for (const char *p = text; *p;) {
        if (*p == '|') n++;
        const char *nl = strchr(p, '\n');
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

/* Every table row has `cols` cells: cols + 1 bars not escaped. */
static void assert_columns(const char *text, int cols) {
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        if (*p == '|') {
            int bars = 0;
            for (const char *q = p; q < nl; q++)
                if (*q == '|' && (q == p || q[-1] != '\\')) bars++;
            if (bars != cols + 1)
                fail_msg("%d bars, not %d: %.*s", bars, cols + 1, (int)(nl - p), p);
        }
        p = nl + 1;
    }
}

static void has_line(const char *text, const char *line) {
    char *want = malloc(strlen(line) + 3);
    sprintf(want, "\n%s\n", line);
    if (!strstr(text, want)) fail_msg("no line '%s' in:\n%s", line, text);
    free(want);
}

static void test_cells_escaped(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *head[] = {"a", "b"};
    const char *row[] = {"x | y", "two\nlines"};
    markdown_header(f, head, 2);
    markdown_row(f, row, 2);
    fclose(f);
    assert_string_equal(buf, "| a | b |\n|---|---|\n| x \\| y | two lines |\n");
    assert_columns(buf, 2);
    free(buf);
}

static void test_exit_codes(void **state) {
    (void)state;
    assert_int_equal(EXITCODE_OK, 0);
    assert_int_equal(EXITCODE_RUNTIME, 1);
    assert_int_equal(EXITCODE_USAGE, 2);
    assert_int_equal(EXITCODE_THRESHOLD, 3);
    size_t n;
    const exitcode_info *e = exitcode_list(&n);
    assert_int_equal(n, 5); /* the four codes and the signals' row */
    const int codes[] = {EXITCODE_OK, EXITCODE_RUNTIME, EXITCODE_USAGE, EXITCODE_THRESHOLD};
    for (size_t i = 0; i < 4; i++) assert_int_equal(atoi(e[i].codes), codes[i]);
    char sig[32];
    snprintf(sig, sizeof sig, "%d, %d", EXITCODE_SIGNAL(2), EXITCODE_SIGNAL(15));
    assert_string_equal(e[4].codes, sig);

    char *md = capture(exitcode_markdown);
    assert_true(strncmp(md, "| code | meaning |\n|---|---|\n", 29) == 0);
    assert_int_equal(table_rows(md), 2 + n);
    assert_columns(md, 2);
    has_line(md, "| 3 | a threshold failed; `kengine compare`: a regression |");
    for (size_t i = 0; i < n; i++) {
        char row[64];
        snprintf(row, sizeof row, "\n| %s | ", e[i].codes);
        if (!strstr(md, row)) fail_msg("no row for %s", e[i].codes);
    }
    free(md);
    char *text = capture(exitcode_help);
    assert_non_null(strstr(text, "\n  2         bad usage, script or input: "));
    free(text);
}

static void test_figures(void **state) {
    (void)state;
    char *md = capture(figures_markdown);
    assert_true(strncmp(md,
                        "| of | figure | unit | merge | how it is computed |\n"
                        "|---|---|---|---|---|\n",
                        72) == 0);
    /* header, rule, every figure of every scope, the latency statistics */
    assert_int_equal(table_rows(md), 2 + FIGURES_SUMMARY_N + FIGURES_BATCH_N + FIGURES_PHASE_N +
                                         FIGURES_BROKER_N + 1);
    assert_columns(md, 5);
    static const struct {
        figure_scope scope;
        const char *name;
    } scopes[] = {{FIGURES_IN_SUMMARY, "summary"},
                  {FIGURES_IN_BATCH, "batch"},
                  {FIGURES_IN_PHASE, "phase"},
                  {FIGURES_IN_BROKER, "broker"}};
    for (size_t s = 0; s < 4; s++) {
        size_t n;
        const figure *f = figures_list(scopes[s].scope, &n);
        for (size_t i = 0; i < n; i++) {
            char row[128];
            snprintf(row, sizeof row, "\n| %s | `%s` | %s | ", scopes[s].name, f[i].name,
                     f[i].unit[0] ? f[i].unit : "-");
            if (!strstr(md, row)) fail_msg("no row '%s'", row + 1);
        }
    }
    has_line(md, "| summary | `consume_mb_per_sec` | MB/s | derived | "
                 "bytes / 2^20 / consume_seconds |");
    has_line(md, "| summary | `lost` | messages | bitmap-or | delivered sequence numbers no "
                 "consumer saw (only consuming: records not found) |");
    has_line(md, "| batch | `batches` | - | sum | batches the producer will send (0 if "
                 "unknown) (produce batches) |");
    has_line(md, "| latency_ms | `p50`, `p90`, `p99`, `p999`, `max`, `min`, `mean`, `count` | "
                 "ms | histogram | statistics of a latency histogram (also `p(N)`) |");
    free(md);
}

static void test_fields(void **state) {
    (void)state;
    char *md = capture(workload_fields_markdown);
    assert_true(strncmp(md, "| field | type | default | meaning |\n|---|---|---|---|\n", 55) ==
                0);
    size_t n;
    const workload_field *f = workload_fields(&n);
    assert_int_equal(table_rows(md), 2 + n);
    assert_columns(md, 4);
    for (size_t i = 0; i < n; i++) {
        char row[128];
        snprintf(row, sizeof row, "\n| `%s` | %s | ", f[i].name, workload_kind_name(f[i].kind));
        if (!strstr(md, row)) fail_msg("no row '%s'", row + 1);
    }
    /* the defaults are workload_init's, each kind as it reads */
    has_line(md, "| `records` | integer | 1000000 | messages to produce (and to expect) |");
    has_line(md, "| `topic` | string | `test_topic` | topic to produce to and consume from |");
    has_line(md, "| `brokers` | string | none | bootstrap servers host:port[,...]; empty = "
                 "embedded broker |");
    has_line(md, "| `mode` | choice | `async` | async (pipelined) or sync (each message waits "
                 "for its delivery) |");
    has_line(md, "| `rate` | number | 0 | messages per second, 0 = unlimited |");
    has_line(md, "| `idle_timeout` | number | 10 | seconds without a message before the "
                 "consumer gives up |");
    has_line(md, "| `transactional` | boolean | false | produce in transactions, consume "
                 "read_committed (exactly-once) |");
    has_line(md, "| `producer` | table | {} | table of librdkafka producer properties |");
    has_line(md, "| `phases` | table | none | list of {name=, records= or duration=, rate=} "
                 "run one after another |");
    assert_non_null(strstr(md, "\n| `worker` | integer | none | "));   /* -1: not given */
    assert_non_null(strstr(md, "\n| `ragged` | choice | `error` | ")); /* enum 0 */
    /* a choice named none is a name; a string without a value is not */
    assert_non_null(strstr(md, "\n| `key_distribution` | choice | `none` | "));
    assert_non_null(strstr(md, "\n| `key` | string | none | "));
    free(md);
    char *text = capture(workload_fields_help);
    assert_non_null(strstr(text, "\n  records           integer  1000000        messages to"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_escaped),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
