/*
 * Unit tests for script: a table of workload scripts (Lua source) with the
 * error each must give, or the values it must produce; overrides; legs;
 * hooks called with batch figures, and a hook error with file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script.h"

static char path[64];

static void write_script(const char *src) {
    snprintf(path, sizeof path, "/tmp/kengine_test_%d.lua", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(src, f);
    fclose(f);
}

typedef struct {
    const char *src;
    const char *err_has; /* NULL = loads fine */
} load_case;

static const load_case LOAD_CASES[] = {
    {"return {}", NULL},
    {"return { records = 10, batch_size = 5, rate = 100.5, mode = 'sync' }", NULL},
    {"return { producer = { ['linger.ms'] = 5, ['enable.idempotence'] = true } }", NULL},
    {"return 1", "must return a table of workload fields (it returned number)"},
    {"return nil", "must return a table of workload fields (it returned nil)"},
    {"return {", "expected"},
    {"error('nope')", ":1: nope"},
    {"return { records = '10' }", "field 'records' must be an integer, got string"},
    {"return { records = 10.5 }", "field 'records' must be a positive integer"},
    {"return { records = -1 }", "field 'records' must be a positive integer"},
    {"return { produce = 'yes' }", "field 'produce' must be a boolean, got string"},
    {"return { topic = 5 }", "field 'topic' must be a string, got number"},
    {"return { rate = -5 }", "field 'rate' must be a non-negative number"},
    {"return { format = 'xml' }", "field 'format' must be json, csv or dict"},
    {"return { toppic = 'x' }", "unknown field 'toppic' (did you mean 'topic'?)"},
    {"return { on_batch = 5 }", "field 'on_batch' must be a function, got number"},
    {"return { producer = 5 }", "field 'producer' must be a table, got number"},
    {"return { producer = { x = {} } }", "field 'producer.x' must be a string, number or boolean"},
    {"return { [1] = 'x' }", "field names must be strings"},
    {"return { legs = 5 }", "field 'legs' must be a list of tables"},
    {"return { legs = { 5 } }", "legs[1] must be a table"},
    {"return { legs = { { recordz = 1 } } }", "legs[1]: unknown field 'recordz'"},
    {"return { produce = false, consume = false }", "nothing to do"},
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
    report_batch b = {.role = REPORT_CONSUME, .batch = 1, .words = 10};
    assert_int_equal(script_on_batch(sc, &b, err, sizeof err), 0);
    b.batch = 3;
    assert_int_not_equal(script_on_batch(sc, &b, err, sizeof err), 0);
    assert_non_null(strstr(err, ":4: third"));
    assert_non_null(strstr(err, "traceback"));
    report_summary s = {.delivered = 5};
    assert_int_equal(script_on_done(sc, &s, err, sizeof err), 0);
    s.delivered = 4;
    assert_int_not_equal(script_on_done(sc, &s, err, sizeof err), 0);
    assert_non_null(strstr(err, "assertion failed"));
    script_close(sc);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_table),
        cmocka_unit_test(test_overrides_and_legs),
        cmocka_unit_test(test_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
