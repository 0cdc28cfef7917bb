/*
 * Unit tests for ndjson and results: JSON lines as data (line, expected
 * leaves or error), and kengine events read back into runs: batches with
 * their figures and phases, summary figures and thresholds, derived rates,
 * top words summed, lines that are not kengine NDJSON rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "runfile.h"

typedef struct {
    char text[1024];
    size_t len;
} dump;

static int dump_leaf(void *ud, const char *path, ndjson_kind kind, double num, const char *str,
                     size_t len) {
    dump *d = ud;
    int n;
    if (kind == NDJSON_STRING)
        n = snprintf(d->text + d->len, sizeof d->text - d->len, "%s=\"%.*s\";", path, (int)len,
                     str);
    else if (kind == NDJSON_NULL)
        n = snprintf(d->text + d->len, sizeof d->text - d->len, "%s=null;", path);
    else
        n = snprintf(d->text + d->len, sizeof d->text - d->len, "%s=%g;", path, num);
    d->len += (size_t)n;
    return 0;
}

typedef struct {
    const char *line;
    const char *want; /* leaves, or the error's text when it starts with '!' */
} json_case;

static const json_case JSON[] = {
    {"{}", ""},
    {" {\"a\":1} \n", "a=1;"},
    {"{\"a\":{\"b\":[1,2.5e1,-3]},\"c\":\"x\"}", "a.b.0=1;a.b.1=25;a.b.2=-3;c=\"x\";"},
    {"{\"t\":true,\"f\":false,\"n\":null}", "t=1;f=0;n=null;"},
    {"{\"s\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\"}",
     "s=\"a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\";"},
    {"{\"w\":[[\"the\",3],[\"a\",2]]}", "w.0.0=\"the\";w.0.1=3;w.1.0=\"a\";w.1.1=2;"},
    {"[1,2]", "!column 1: not a JSON object"},
    {"hello", "!column 1: not a JSON object"},
    {"{\"a\":1", "!column 7: expected ',' or '}'"},
    {"{\"a\":01}", "!column 6: bad number"},
    {"{\"a\":1} x", "!column 9: text after the object"},
    {"{\"a\":\"x}", "!unterminated string"},
    {"{\"a\":tru}", "!unexpected character 't'"},
    {"{a:1}", "!expected a key in quotes"},
    {"{\"a\":\"\\q\"}", "!bad escape"},
    {"", "!not a JSON object"},
};

static void test_ndjson_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof JSON / sizeof JSON[0]; i++) {
        dump d = {{0}, 0};
        char err[256] = "";
        int rc = ndjson_parse(JSON[i].line, dump_leaf, &d, err, sizeof err);
        if (JSON[i].want[0] == '!') {
            if (rc != -1 || !strstr(err, JSON[i].want + 1))
                fail_msg("%s: rc %d err '%s', want '%s'", JSON[i].line, rc, err, JSON[i].want);
        } else if (rc || strcmp(d.text, JSON[i].want)) {
            fail_msg("%s: rc %d '%s' (%s), want '%s'", JSON[i].line, rc, d.text, err,
                     JSON[i].want);
        }
    }
}

static const char *const RUN[] = {
    "{\"type\":\"run\",\"name\":\"seed.lua\",\"brokers\":\"127.0.0.1:9092\",\"records\":4}",
    "{\"type\":\"produce_batch\",\"batch\":1,\"messages\":2,\"bytes\":10,\"words\":4,"
    "\"delivered\":2,\"phase\":\"warm\",\"seconds\":0.5,\"msgs_per_sec\":4.0,"
    "\"mb_per_sec\":0.1,\"cpu_percent\":50.0,\"rss_mb\":20.5,\"elapsed\":0.6}",
    "{\"type\":\"consume_batch\",\"batch\":1,\"messages\":2,\"bytes\":10,\"words\":4,"
    "\"unique_words\":2,\"consumer\":1,\"seconds\":0.4,\"msgs_per_sec\":5.0,"
    "\"mb_per_sec\":0.1,\"cpu_percent\":40.0,\"rss_mb\":21.0,\"latency_ms\":{\"p50\":2.0,"
    "\"p90\":3,\"p99\":4.5,\"p999\":5,\"max\":6.0,\"mean\":2,\"count\":2},"
    "\"top_words\":[[\"the\",3],[\"a\",1]]}",
    "{\"type\":\"produce_batch\",\"batch\":2,\"messages\":2,\"phase\":\"hot\","
    "\"msgs_per_sec\":8.0,\"elapsed\":0.9}",
    "{\"type\":\"consume_batch\",\"batch\":2,\"messages\":2,\"msgs_per_sec\":7.0,"
    "\"latency_ms\":{\"p50\":1,\"p99\":3.5,\"max\":4},\"top_words\":[[\"the\",2]]}",
    "{\"type\":\"future_event\",\"x\":1}",
    "",
    "{\"type\":\"summary\",\"name\":\"seed.lua\",\"mode\":\"async\",\"records\":4,"
    "\"delivered\":4,\"produce_seconds\":2.0,\"consumed\":4,\"consume_seconds\":0.5,"
    "\"lost\":0,\"latency_ms\":{\"p50\":1.5,\"p99\":4.5,\"max\":6},"
    "\"phases\":[{\"name\":\"warm\",\"sent\":2},{\"name\":\"hot\",\"sent\":2}],"
    "\"thresholds\":[{\"metric\":\"lost\",\"condition\":\"== 0\",\"actual\":0,"
    "\"pass\":true,\"aborted\":false},{\"metric\":\"latency_ms.p99\",\"condition\":\"< 4\","
    "\"actual\":4.5,\"pass\":false,\"aborted\":false}],\"error\":\"\"}",
};

static void test_results_run(void **state) {
    (void)state;
    runfile r = {0};
    char err[256];
    for (size_t i = 0; i < sizeof RUN / sizeof RUN[0]; i++)
        if (runfile_add_line(&r, RUN[i], err, sizeof err)) fail_msg("line %zu: %s", i, err);
    assert_int_equal(r.nruns, 1);
    const runfile_run *run = &r.runs[0];
    assert_true(run->complete);
    assert_string_equal(run->name, "seed.lua");
    assert_string_equal(runfile_info_get(run, "brokers"), "127.0.0.1:9092");
    assert_string_equal(runfile_info_get(run, "records"), "4");
    assert_int_equal(run->nbatches, 4);
    assert_int_equal(run->batches[0].role, RUN_PRODUCE);
    assert_true(run->batches[0].elapsed == 0.6);
    assert_true(run->batches[3].elapsed == -1);
    assert_int_equal(run->nphases, 2);
    assert_string_equal(run->phases[run->batches[2].phase], "hot");
    double v;
    assert_int_equal(runfile_batch_value(&run->batches[1], "latency_ms.p99", &v), 0);
    assert_true(v == 4.5);
    assert_int_equal(runfile_batch_value(&run->batches[1], "latency_ms.max", &v), 0);
    assert_true(v == 6.0);
    assert_int_equal(runfile_batch_value(&run->batches[1], "latency_ms.p90", &v), 0);
    assert_true(v == 3);
    assert_int_equal(runfile_batch_value(&run->batches[3], "latency_ms.p90", &v), -1);
    assert_int_equal(runfile_batch_value(&run->batches[1], "nosuch", &v), -1);
    assert_int_equal(runfile_figure_get(run, "latency_ms.p99", &v), 0);
    assert_true(v == 4.5);
    assert_int_equal(runfile_figure_get(run, "lost", &v), 0);
    assert_true(v == 0);
    assert_int_equal(runfile_figure_get(run, "nosuch", &v), -1);
    assert_int_equal(runfile_figure_get(run, "phases.0.sent", &v), -1);
    assert_int_equal(run->nthresholds, 2);
    assert_string_equal(run->thresholds[1].metric, "latency_ms.p99");
    assert_false(run->thresholds[1].pass);
    assert_true(run->thresholds[1].actual == 4.5);
    double *s;
    size_t n = runfile_samples(run, RUN_CONSUME, "latency_ms.p99", &s);
    assert_int_equal(n, 2);
    assert_true(s[0] == 4.5 && s[1] == 3.5);
    free(s);
    n = runfile_samples(run, RUN_PRODUCE, "msgs_per_sec", &s);
    assert_int_equal(n, 2);
    assert_true(s[0] == 4.0 && s[1] == 8.0);
    free(s);
    assert_int_equal(run->ntop, 2);
    assert_string_equal(run->top[0].word, "the");
    assert_int_equal(run->top[0].count, 5);
    runfile_free(&r);
}

static void test_results_rejects(void **state) {
    (void)state;
    static const char *const bad[] = {"hello", "{\"no_type\":1}", "{\"type\":3}",
                                      "{\"type\":\"summary\",\"thresholds\":[{\"actual\":1}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        runfile r = {0};
        char err[256] = "";
        if (runfile_add_line(&r, bad[i], err, sizeof err) != -1 ||
            !strstr(err, "not kengine NDJSON"))
            fail_msg("'%s' accepted (%s)", bad[i], err);
        runfile_free(&r);
    }
    /* a file names itself and the line */
    char path[] = "/tmp/kengine_results_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(RUN[1], f);
    fputs("\nnot json\n", f);
    fclose(f);
    runfile r = {0};
    char err[512];
    assert_int_equal(runfile_read(&r, path, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:2: not kengine NDJSON", path);
    if (!strstr(err, want)) fail_msg("error '%s'", err);
    runfile_free(&r);
    f = fopen(path, "w");
    fputs(RUN[1], f);
    fclose(f);
    assert_int_equal(runfile_read(&r, path, err, sizeof err), -1);
    if (!strstr(err, "no summary event")) fail_msg("error '%s'", err);
    runfile_free(&r);
    remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndjson_table),
        cmocka_unit_test(test_results_run),
        cmocka_unit_test(test_results_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
