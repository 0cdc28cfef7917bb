/*
 * Unit tests for workload: defaults, the text parser every field goes
 * through (script values and command-line overrides alike), and the
 * "did you mean" suggestions. Table-driven: {field, text, ok, check}.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "workload.h"

typedef struct {
    const char *field, *text;
    int ok;               /* 1: accepted, 0: rejected */
    const char *err_has;  /* substring of the error when rejected */
} set_case;

static const set_case SET_CASES[] = {
    {"records", "1000", 1, NULL},
    {"records", "1e6", 1, NULL},
    {"records", "0", 0, "must be a positive integer"},
    {"records", "-3", 0, "must be a positive integer"},
    {"records", "12abc", 0, "got '12abc'"},
    {"records", "1.5", 0, "positive integer"},
    {"batch_size", "1", 1, NULL},
    {"batch_size", "", 0, "positive integer"},
    {"partitions", "0", 0, "positive integer"},
    {"replication", "-1", 1, NULL},
    {"rate", "0", 1, NULL},
    {"rate", "2500.5", 1, NULL},
    {"rate", "-1", 0, "non-negative"},
    {"rate", "inf", 0, "non-negative"},
    {"idle_timeout", "0", 0, "positive"},
    {"mode", "sync", 1, NULL},
    {"mode", "fast", 0, "async or sync"},
    {"format", "dict", 1, NULL},
    {"format", "xml", 0, "json, csv or dict"},
    {"produce", "false", 1, NULL},
    {"consume", "yes", 0, "true or false"},
    {"topic", "", 0, "must not be empty"},
    {"brokers", "", 1, NULL},
    {"key", "user", 1, NULL},
    {"recods", "5", 0, "did you mean 'records'"},
    {"batchsize", "5", 0, "did you mean 'batch_size'"},
    {"zzzzzzzzzz", "5", 0, "unknown field 'zzzzzzzzzz'"},
    {"producer", "x", 0, "table of librdkafka properties"},
};

static void test_set_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof SET_CASES / sizeof SET_CASES[0]; i++) {
        const set_case *c = &SET_CASES[i];
        workload wl;
        assert_int_equal(workload_init(&wl), 0);
        char err[256] = "";
        int rc = workload_set(&wl, c->field, c->text, err, sizeof err);
        if (c->ok) {
            if (rc != 0) fail_msg("%s=%s rejected: %s", c->field, c->text, err);
        } else {
            if (rc == 0) fail_msg("%s=%s accepted", c->field, c->text);
            if (!strstr(err, c->err_has))
                fail_msg("%s=%s: error '%s' lacks '%s'", c->field, c->text, err, c->err_has);
            if (strcmp(c->field, "zzzzzzzzzz") && strcmp(c->field, "recods") &&
                strcmp(c->field, "batchsize"))
                assert_non_null(strstr(err, c->field)); /* names the field */
        }
        workload_free(&wl);
    }
}

static void test_defaults_are_the_seed(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    assert_string_equal(wl.topic, "test_topic");
    assert_string_equal(wl.csv, "sample.csv");
    assert_int_equal(wl.records, 1000000);
    assert_int_equal(wl.batch_size, 10000);
    assert_null(wl.brokers);
    assert_true(wl.produce && wl.consume);
    assert_int_equal(wl.mode, WORKLOAD_ASYNC);
    assert_int_equal(wl.format, ENCODE_JSON);
    workload_free(&wl);
}

static void test_values_land(void **state) {
    (void)state;
    workload wl, copy;
    char err[256];
    assert_int_equal(workload_init(&wl), 0);
    assert_int_equal(workload_set(&wl, "records", "1e6", err, sizeof err), 0);
    assert_int_equal(wl.records, 1000000);
    assert_int_equal(workload_set(&wl, "brokers", "h:1", err, sizeof err), 0);
    assert_string_equal(wl.brokers, "h:1");
    assert_int_equal(workload_set(&wl, "brokers", "", err, sizeof err), 0);
    assert_null(wl.brokers);
    assert_int_equal(workload_set_prop(&wl, "producer", "linger.ms", "7", err, sizeof err), 0);
    assert_int_equal(workload_set_prop(&wl, "producer", "linger.ms", "9", err, sizeof err), 0);
    assert_int_equal(wl.producer.n, 1);
    assert_string_equal(wl.producer.items[0].value, "9");
    assert_int_not_equal(workload_set_prop(&wl, "admin", "x", "1", err, sizeof err), 0);
    assert_int_equal(workload_copy(&copy, &wl), 0);
    assert_string_equal(copy.producer.items[0].name, "linger.ms");
    assert_ptr_not_equal(copy.topic, wl.topic);
    workload_free(&copy);
    assert_int_equal(workload_set(&wl, "produce", "false", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "consume", "0", err, sizeof err), 0);
    assert_int_not_equal(workload_validate(&wl, err, sizeof err), 0);
    assert_non_null(strstr(err, "nothing to do"));
    workload_free(&wl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_table),
        cmocka_unit_test(test_defaults_are_the_seed),
        cmocka_unit_test(test_values_land),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
