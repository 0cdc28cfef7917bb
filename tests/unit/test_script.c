/*
 * Unit tests for script: a table of workload scripts (Lua source) with the
 * error each must give, or the values it must produce; overrides; legs;
 * hooks called with batch figures, and a hook error with file and line.
 */
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "figures.h"
#include "script.h"

static char path[64];

static void write_script(const char *src) { helper_write_tmp(path, src, strlen(src)); }

typedef struct {
    const char *src;
    const char *err_has;               /* NULL = loads fine */
    void (*check)(const workload *wl); /* loads fine: the values it must produce */
} load_case;

static void check_defaults(const workload *wl) {
    assert_int_equal(wl->records, 1000000);
    assert_int_equal(wl->batch_size, 10000);
    assert_string_equal(wl->topic, "test_topic");
    assert_non_null(strstr(wl->name, "kengine_test_")); /* the script's file name */
}
static void check_fields(const workload *wl) {
    assert_int_equal(wl->records, 10);
    assert_int_equal(wl->batch_size, 5);
    assert_true(wl->rate == 100.5);
    assert_int_equal(wl->mode, WORKLOAD_SYNC);
}
static void check_props(const workload *wl) {
    assert_int_equal(wl->producer.n, 2);
    for (size_t i = 0; i < 2; i++) {
        const workload_prop *p = &wl->producer.items[i];
        if (!strcmp(p->name, "linger.ms"))
            assert_string_equal(p->value, "5");
        else if (!strcmp(p->name, "enable.idempotence"))
            assert_string_equal(p->value, "true");
        else
            fail_msg("unexpected property %s", p->name);
    }
    assert_int_equal(wl->consumer.n, 0);
}
static void check_float_integer(const workload *wl) {
    assert_int_equal(wl->records, 1000000); /* 1e6 is a float in Lua */
    assert_int_equal(wl->format, ENCODE_DICT);
    assert_false(wl->consume);
}

/* Thresholds come out in metric-name order, whatever Lua's table order
 * (which changes between runs): logs and JUnit files diff (issue 25, item 5).
 * A metric's list of conditions keeps its own order. */
static void check_threshold_order(const workload *wl) {
    static const char *WANT[] = {"consume_batch.latency_ms.max",
                                 "consume_msgs_per_sec",
                                 "delivered",
                                 "delivery_errors",
                                 "duplicates",
                                 "latency_ms.p50",
                                 "latency_ms.p99",
                                 "latency_ms.p99",
                                 "lost",
                                 "produce_msgs_per_sec"};
    assert_int_equal(wl->nthresholds, 10);
    for (size_t i = 0; i < 10; i++) assert_string_equal(wl->thresholds[i].metric, WANT[i]);
    assert_string_equal(wl->thresholds[6].condition, "< 50");
    assert_string_equal(wl->thresholds[7].condition, "> 0");
}

static const load_case LOAD_CASES[] = {
    {"return {}", NULL, check_defaults},
    {"return { records = 10, batch_size = 5, rate = 100.5, mode = 'sync' }", NULL,
     check_fields},
    {"return { producer = { ['linger.ms'] = 5, ['enable.idempotence'] = true } }", NULL,
     check_props},
    {"return { records = 1e6, format = 'dict', consume = false }", NULL, check_float_integer},
    {"return 1", "must return a table of workload fields (it returned number)", NULL},
    {"return nil", "must return a table of workload fields (it returned nil)", NULL},
    {"return {", "expected", NULL},
    {"error('nope')", ":1: nope", NULL},
    {"return { records = '10' }", "field 'records' must be an integer, got string", NULL},
    {"return { records = 10.5 }", "field 'records' must be a positive integer", NULL},
    {"return { records = -1 }", "field 'records' must be a positive integer", NULL},
    {"return { produce = 'yes' }", "field 'produce' must be a boolean, got string", NULL},
    {"return { topic = 5 }", "field 'topic' must be a string, got number", NULL},
    {"return { rate = -5 }", "field 'rate' must be a non-negative number", NULL},
    {"return { format = 'xml' }", "field 'format' must be json, csv, dict or avro", NULL},
    {"return { toppic = 'x' }", "unknown field 'toppic' (did you mean 'topic'?)", NULL},
    {"return { on_batch = 5 }", "field 'on_batch' must be a function, got number", NULL},
    {"return { producer = 5 }", "field 'producer' must be a table, got number", NULL},
    {"return { producer = { x = {} } }",
     "field 'producer.x' must be a string, number or boolean", NULL},
    {"return { [1] = 'x' }", "field names must be strings", NULL},
    {"return { legs = 5 }", "field 'legs' must be a list of tables", NULL},
    {"return { legs = { 5 } }", "legs[1] must be a table", NULL},
    {"return { legs = { { recordz = 1 } } }", "legs[1]: unknown field 'recordz'", NULL},
    {"return { produce = false, consume = false }", "nothing to do", NULL},
    {"return { thresholds = { lost = '== 0', produce_msgs_per_sec = '> 0', "
     "['latency_ms.p99'] = { '< 50', '> 0' }, duplicates = '== 0', delivered = '> 0', "
     "['consume_batch.latency_ms.max'] = '< 1000', delivery_errors = '== 0', "
     "consume_msgs_per_sec = '> 0', ['latency_ms.p50'] = '< 20' } }",
     NULL, check_threshold_order},
};

static void test_load_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof LOAD_CASES / sizeof LOAD_CASES[0]; i++) {
        const load_case *c = &LOAD_CASES[i];
        write_script(c->src);
        char err[1024] = "";
        script *sc = script_load(path, NULL, 0, err, sizeof err);
        if (!c->err_has) {
            if (!sc) fail_msg("'%s' failed: %s", c->src, err);
            assert_int_equal(script_legs(sc), 1);
            c->check(script_leg(sc, 0));
        } else {
            if (sc) fail_msg("'%s' loaded", c->src);
            if (!strstr(err, c->err_has))
                fail_msg("'%s': error '%s' lacks '%s'", c->src, err, c->err_has);
            if (!strstr(err, path)) fail_msg("'%s': error '%s' lacks the path", c->src, err);
        }
        script_close(sc);
    }
    unlink(path);
}

static void test_overrides_and_legs(void **state) {
    (void)state;
    write_script("return { records = 100, topic = 't', legs = {"
                 " { name = 'a', mode = 'sync', records = 7 }, { batch_size = 3 } } }");
    char *ov[] = {"batch_size=9", "producer.linger.ms=2", "topic=over"};
    char err[1024];
    script *sc = script_load(path, ov, 3, err, sizeof err);
    if (!sc) fail_msg("%s", err);
    assert_int_equal(script_legs(sc), 2);
    const workload *a = script_leg(sc, 0), *b = script_leg(sc, 1);
    assert_string_equal(a->name, "a");
    assert_int_equal(a->mode, WORKLOAD_SYNC);
    assert_int_equal(a->records, 7);
    assert_int_equal(a->batch_size, 9); /* the command line wins over legs */
    assert_string_equal(a->topic, "over");
    assert_string_equal(b->name, "leg 2");
    assert_int_equal(b->records, 100);
    assert_int_equal(b->batch_size, 9);
    assert_int_equal(b->producer.n, 1);
    assert_string_equal(b->producer.items[0].value, "2");
    script_close(sc);

    char *bad[] = {"nonsense"};
    assert_null(script_load(path, bad, 1, err, sizeof err));
    assert_non_null(strstr(err, "'nonsense' is not name=value"));
    unlink(path);
}

/* A misspelt override gets the nearest field or script option; duration=
 * points to phases (issue 25, item 12). */
static void test_override_hints(void **state) {
    (void)state;
    write_script("local o = kengine.options{ steady_rate = { default = 10 } }\n"
                 "return { records = 100 }");
    static const struct {
        const char *ov, *err;
    } CASES[] = {
        {"steady_rat=100", "command line: unknown field 'steady_rat' (did you mean "
                           "'steady_rate'?)"},
        {"recods=5", "command line: unknown field 'recods' (did you mean 'records'?)"},
        {"duration=5", "command line: 'duration' is a phase's field, not the workload's: "
                       "give phases = { { duration = 5, rate = ... } } in the script, or "
                       "records=N"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char *ov[] = {(char *)CASES[i].ov};
        char err[1024] = "";
        script *sc = script_load(path, ov, 1, err, sizeof err);
        if (sc) fail_msg("'%s' loaded", CASES[i].ov);
        if (strcmp(err, CASES[i].err)) fail_msg("got '%s'\nwant '%s'", err, CASES[i].err);
    }
    unlink(path);
}

static void test_hooks(void **state) {
    (void)state;
    write_script("total = 0\n"
                 "return { on_batch = function(b)\n"
                 "  total = total + b.words\n"
                 "  if b.batch == 3 then error('third') end\n"
                 "end,\n"
                 "on_done = function(s) assert(s.delivered == 5) end }\n");
    char err[2048];
    script *sc = script_load(path, NULL, 0, err, sizeof err);
    if (!sc) fail_msg("%s", err);
    run_batch b = {.role = RUN_CONSUME, .batch = 1, .words = 10};
    assert_int_equal(script_on_batch(sc, &b, err, sizeof err), 0);
    b.batch = 3;
    assert_int_not_equal(script_on_batch(sc, &b, err, sizeof err), 0);
    assert_non_null(strstr(err, ":4: third"));
    assert_non_null(strstr(err, "traceback"));
    run_summary s = {.delivered = 5};
    assert_int_equal(script_on_done(sc, &s, err, sizeof err), 0);
    s.delivered = 4;
    assert_int_not_equal(script_on_done(sc, &s, err, sizeof err), 0);
    assert_non_null(strstr(err, "assertion failed"));
    script_close(sc);
    unlink(path);
}

/* The Lua batch and summary objects carry every figure of the table
 * (figures.h), with the values the reporters print: the script asserts a
 * key per figure (generated from the table) and the derived values. */
static void test_objects_have_every_figure(void **state) {
    (void)state;
    char src[8192];
    size_t len = 0, n;
    len += (size_t)snprintf(src + len, sizeof src - len,
                            "local function has(o, k) assert(o[k] ~= nil, 'no ' .. k) end\n"
                            "return { on_done = function(s)\n");
    const figure *f = figures_list(FIGURES_IN_SUMMARY, &n);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(src + len, sizeof src - len, "  has(s, '%s')\n", f[i].name);
    f = figures_list(FIGURES_IN_PHASE, &n);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(src + len, sizeof src - len, "  has(s.phases[1], '%s')\n",
                                f[i].name);
    size_t ns;
    const figure_stat *st = figures_latency_stats(&ns);
    for (size_t i = 0; i < ns; i++)
        len += (size_t)snprintf(src + len, sizeof src - len, "  has(s.latency_ms, '%s')\n",
                                st[i].name);
    len += (size_t)snprintf(
        src + len, sizeof src - len,
        "  assert(s.consume_msgs_per_sec == 400, s.consume_msgs_per_sec)\n"
        "  assert(s.consume_mb_per_sec == 4, s.consume_mb_per_sec)\n"
        "  assert(s.produce_msgs_per_sec == 200 and s.bytes == 1048576)\n"
        "  assert(math.type(s.bytes) == 'integer' and math.type(s.cpu_percent) == 'float')\n"
        "  assert(s.phases[1].msgs_per_sec == 50 and s.phases[1].name == 'p')\n"
        "  assert(s.latency_ms.min == 2 and s.latency_ms.count == 1)\n"
        "end,\n"
        "on_batch = function(b)\n"
        "  assert(b.msgs_per_sec == 10 and b.mb_per_sec == 0.5 and b.batches == 4)\n"
        "  assert(b.latency_ms == nil and b.unique_words == nil) -- a produce batch's\n"
        "end }\n");
    write_script(src);
    char err[2048];
    script *sc = script_load(path, NULL, 0, err, sizeof err);
    if (!sc) fail_msg("%s", err);
    stats_hist *h = stats_hist_new();
    stats_hist_record(h, 2000);
    run_phase ph = {.name = "p", .sent = 100, .seconds = 2};
    run_summary s = {.delivered = 100,
                     .produce_seconds = 0.5,
                     .consumed = 100,
                     .consume_seconds = 0.25,
                     .bytes = 1048576,
                     .latency = h,
                     .phases = &ph,
                     .nphases = 1};
    if (script_on_done(sc, &s, err, sizeof err)) fail_msg("%s", err);
    run_batch b = {.role = RUN_PRODUCE,
                   .batch = 1,
                   .batches = 4,
                   .messages = 20,
                   .bytes = 1048576,
                   .seconds = 2};
    if (script_on_batch(sc, &b, err, sizeof err)) fail_msg("%s", err);
    s.consumed = 99; /* the hook sees the figures it is given */
    assert_int_not_equal(script_on_done(sc, &s, err, sizeof err), 0);
    stats_hist_free(h);
    script_close(sc);
    unlink(path);
}

/* The sandbox (script/sandbox.c): nothing ends the process, print and
 * io.write go to the script's output stream, kengine's stdout cannot be
 * opened again. */
static void test_sandbox(void **state) {
    (void)state;
    write_script(
        "local ok, e = pcall(os.exit, 97) -- were it Lua's: the test fails with 97\n"
        "assert(not ok and e:find('os.exit is not available to workload scripts'), e)\n"
        "assert(not pcall(os.execute, 'true') and not pcall(io.popen, 'true'))\n"
        "assert(not pcall(package.loadlib, 'libc.so.6', 'exit'))\n"
        "assert(#package.searchers == 2 and package.cpath == '')\n"
        "assert(debug.sethook == nil and debug.getregistry == nil and debug.setlocal == nil)\n"
        "assert(debug.traceback and debug.getinfo and require('debug') == debug)\n"
        "print('hello', 1, nil)\n"
        "io.write('written\\n')\n"
        "io.stdout:write('direct\\n')\n"
        "assert(io.stdout:close() == nil)\n"
        "local ok2, e2 = pcall(io.open, '/dev/stdout', 'w')\n"
        "assert(not ok2 and e2:find(\"kengine's standard output is not for scripts\"), e2)\n"
        "assert(not pcall(io.output, '/proc/self/fd/1'))\n"
        "local f = assert(io.open('/dev/null', 'w')); f:write('x'); f:close()\n"
        "return {}\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    /* stdout on a file, as kengine's NDJSON would be */
    helper_stdout captured = helper_stdout_begin();
    script_set_output(out);
    char err[2048];
    script *sc = script_load(path, NULL, 0, err, sizeof err);
    script_set_output(NULL);
    char *std = helper_stdout_end(captured);
    if (!sc) fail_msg("%s", err);
    script_close(sc);
    fclose(out);
    assert_string_equal(buf, "hello\t1\tnil\nwritten\ndirect\n");
    assert_string_equal(std, ""); /* nothing reached kengine's stdout */
    free(buf);
    free(std);
    unlink(path);
}

/* kengine help WORKLOAD.lua (issue 25, item 11): every field, `name` and
 * `legs` too; the default and the script's value in columns of their own;
 * the meaning starts in one column, whatever the names' lengths. */
static void test_help(void **state) {
    (void)state;
    write_script(
        "local o = kengine.options{ a_rather_long_option_name = { default = 1, "
        "description = 'LONGDESC' }, b = { default = 2, description = 'SHORTDESC' } }\n"
        "return { topic = 'orders', records = 50, name = 'n1', key_distribution = "
        "'uniform', legs = { { records = 5 }, { records = 6 } } }");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char err[512];
    assert_int_equal(script_help(path, NULL, 0, out, err, sizeof err), 0);
    fclose(out);
    unlink(path);
    /* rows by name: "  NAME  type..." */
    const char *want[][3] = {
        /* name, default, script's value */
        {"topic", "test_topic", "orders"},       {"records", "1000000", "50"},
        {"key_distribution", "none", "uniform"}, {"transaction_size", "0", "-"},
        {"name", "(file name)", "n1"},           {"legs", "none", "2 items"}};
    /* the header names the columns; every row's meaning starts under it */
    const char *hdr = strstr(buf, "\n  field ");
    if (!hdr) fail_msg("no header row in:\n%s", buf);
    hdr++;
    const char *hend = strchr(hdr, '\n');
    long col_def = strstr(hdr, "default") - hdr, col_val = strstr(hdr, "script") - hdr,
         col_mean = strstr(hdr, "meaning") - hdr;
    assert_true(col_def > 0 && col_val > col_def && col_mean > col_val &&
                hdr + col_mean < hend);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char head[64];
        snprintf(head, sizeof head, "\n  %s ", want[i][0]);
        const char *row = strstr(buf, head);
        if (!row) fail_msg("no row for %s in:\n%s", want[i][0], buf);
        row++;
        const char *end = strchr(row, '\n');
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(end - row), row);
        long cols[] = {col_def, col_val, col_mean};
        for (size_t k = 0; k < 3; k++)
            if ((long)strlen(line) <= cols[k] || line[cols[k] - 1] != ' ' ||
                line[cols[k]] == ' ')
                fail_msg("row '%s': column %zu does not start at %ld", line, k, cols[k]);
        size_t dl = strlen(want[i][1]), vl = strlen(want[i][2]);
        if (strncmp(line + col_def, want[i][1], dl) || line[col_def + (long)dl] != ' ' ||
            strncmp(line + col_val, want[i][2], vl) || line[col_val + (long)vl] != ' ')
            fail_msg("row '%s': want default %s, script %s", line, want[i][1], want[i][2]);
        char glued[80];
        snprintf(glued, sizeof glued, " = %s", want[i][2]);
        if (strstr(line, glued))
            fail_msg("row '%s': the script's value is glued to the meaning", line);
    }
    /* the script's options: sorted, their descriptions in one column */
    const char *la = strstr(buf, "\n  a_rather_long_option_name "), *lb = strstr(buf, "\n  b ");
    if (!la || !lb || lb < la) fail_msg("options not listed in order:\n%s", buf);
    if (strstr(la, "LONGDESC") - la != strstr(lb, "SHORTDESC") - lb)
        fail_msg("options' descriptions not in one column:\n%s", buf);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_table),     cmocka_unit_test(test_overrides_and_legs),
        cmocka_unit_test(test_override_hints), cmocka_unit_test(test_help),
        cmocka_unit_test(test_hooks),          cmocka_unit_test(test_objects_have_every_figure),
        cmocka_unit_test(test_sandbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
