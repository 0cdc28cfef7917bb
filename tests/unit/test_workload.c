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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct {
    const char *field, *text;
    int ok;              /* 1: accepted, 0: rejected */
    const char *err_has; /* substring of the error when rejected */
    /* accepted: the struct workload member that must now hold the value
     * (written here apart from the field table, so a table entry pointing
     * at the wrong member fails) */
    size_t off;
    char type; /* 'u' uint64_t, 'i' int, 'd' double, 'b' bool, 'e' enum, 's' string */
    double num;
    const char *str; /* 's': the string, or NULL for none */
} set_case;

#define AT(m)       .off = offsetof(workload, m)
#define U64(m, v)   AT(m), .type = 'u', .num = (v)
#define INT(m, v)   AT(m), .type = 'i', .num = (v)
#define DBL(m, v)   AT(m), .type = 'd', .num = (v)
#define BOOLV(m, v) AT(m), .type = 'b', .num = (v)
#define ENUMV(m, v) AT(m), .type = 'e', .num = (v)
#define STR(m, v)   AT(m), .type = 's', .str = (v)

static const set_case SET_CASES[] = {
    {"records", "1000", 1, NULL, U64(records, 1000)},
    {"records", "1e6", 1, NULL, U64(records, 1000000)},
    {"records", "0", 0, "must be a positive integer", .type = 0},
    {"records", "-3", 0, "must be a positive integer", .type = 0},
    {"records", "12abc", 0, "got '12abc'", .type = 0},
    {"records", "1.5", 0, "positive integer", .type = 0},
    {"batch_size", "1", 1, NULL, U64(batch_size, 1)},
    {"batch_size", "", 0, "positive integer", .type = 0},
    {"partitions", "12", 1, NULL, INT(partitions, 12)},
    {"partitions", "0", 0, "positive integer", .type = 0},
    {"partitions", "100001", 0, "positive integer", .type = 0},
    {"replication", "-1", 1, NULL, INT(replication, -1)},
    {"replication", "3", 1, NULL, INT(replication, 3)},
    {"replication", "0", 0, "positive integer", .type = 0},
    {"consumers", "64", 1, NULL, INT(consumers, 64)},
    {"consumers", "65", 0, "an integer 1..64", .type = 0},
    {"top_words", "0", 1, NULL, U64(top_words, 0)},
    {"top_words", "1000", 1, NULL, U64(top_words, 1000)},
    {"top_words", "1001", 0, "an integer 0..1000", .type = 0},
    {"rate", "0", 1, NULL, DBL(rate, 0)},
    {"rate", "2500.5", 1, NULL, DBL(rate, 2500.5)},
    {"rate", "-1", 0, "non-negative", .type = 0},
    {"rate", "inf", 0, "non-negative", .type = 0},
    {"idle_timeout", "0.5", 1, NULL, DBL(idle_timeout, 0.5)},
    {"idle_timeout", "0", 0, "positive", .type = 0},
    {"mode", "sync", 1, NULL, ENUMV(mode, WORKLOAD_SYNC)},
    {"mode", "async", 1, NULL, ENUMV(mode, WORKLOAD_ASYNC)},
    {"mode", "fast", 0, "async or sync", .type = 0},
    {"format", "dict", 1, NULL, ENUMV(format, ENCODE_DICT)},
    {"format", "csv", 1, NULL, ENUMV(format, ENCODE_CSV)},
    {"format", "xml", 0, "json, csv, dict or avro", .type = 0},
    {"format", "avro", 1, NULL, ENUMV(format, ENCODE_AVRO)},
    {"ragged", "pad", 1, NULL, ENUMV(ragged, CSVSRC_RAGGED_PAD)},
    {"ragged", "skip", 1, NULL, ENUMV(ragged, CSVSRC_RAGGED_SKIP)},
    {"ragged", "x", 0, "error, skip or pad", .type = 0},
    {"oversize", "stop", 1, NULL, ENUMV(oversize, WORKLOAD_OVERSIZE_STOP)},
    {"oversize", "y", 0, "skip or stop", .type = 0},
    {"produce", "false", 1, NULL, BOOLV(produce, 0)},
    {"consume", "0", 1, NULL, BOOLV(consume, 0)},
    {"consume", "yes", 0, "true or false", .type = 0},
    {"topic", "t1", 1, NULL, STR(topic, "t1")},
    {"topic", "", 0, "must not be empty", .type = 0},
    {"csv", "x.csv", 1, NULL, STR(csv, "x.csv")},
    {"group", "g", 1, NULL, STR(group, "g")},
    {"group", "", 0, "must not be empty", .type = 0},
    {"brokers", "h:1", 1, NULL, STR(brokers, "h:1")},
    {"brokers", "", 1, NULL, STR(brokers, NULL)},
    {"key", "user", 1, NULL, STR(key, "user")},
    {"key", "", 1, NULL, STR(key, NULL)},
    {"baseline", "last.ndjson", 1, NULL, STR(baseline, "last.ndjson")},
    {"baseline", "", 1, NULL, STR(baseline, NULL)},
    {"baseline_optional", "true", 1, NULL, BOOLV(baseline_optional, 1)},
    {"baseline_optional", "maybe", 0, "true or false", .type = 0},
    {"recods", "5", 0, "did you mean 'records'", .type = 0},
    {"batchsize", "5", 0, "did you mean 'batch_size'", .type = 0},
    {"zzzzzzzzzz", "5", 0, "unknown field 'zzzzzzzzzz'", .type = 0},
    {"producer", "x", 0, "table of librdkafka properties", .type = 0},
    {"phases", "x", 0, "must be a table", .type = 0},
    {"consume_topic", "out", 1, NULL, STR(consume_topic, "out")},
    {"consume_topic", "", 1, NULL, STR(consume_topic, NULL)},
    {"expect_copies", "2", 1, NULL, INT(expect_copies, 2)},
    {"expect_copies", "0", 0, "integer 1..255", .type = 0},
    {"expect_copies", "256", 0, "integer 1..255", .type = 0},
    {"key_distribution", "zipf", 1, NULL, ENUMV(key_distribution, KEYS_ZIPF)},
    {"key_distribution", "uniform", 1, NULL, ENUMV(key_distribution, KEYS_UNIFORM)},
    {"key_distribution", "normal", 0, "none, uniform or zipf", .type = 0},
    {"key_count", "5000", 1, NULL, U64(key_count, 5000)},
    {"key_count", "0", 0, "integer 1..10000000", .type = 0},
    {"key_skew", "1.5", 1, NULL, DBL(key_skew, 1.5)},
    {"key_skew", "-1", 0, "non-negative number", .type = 0},
    {"seed", "99", 1, NULL, U64(seed, 99)},
    {"transactional", "true", 1, NULL, BOOLV(transactional, 1)},
    {"transaction_size", "250", 1, NULL, U64(transaction_size, 250)},
    {"abort_every", "5", 1, NULL, U64(abort_every, 5)},
    {"workers", "3", 1, NULL, INT(workers, 3)},
    {"workers", "0", 0, "an integer 1..1024", .type = 0},
    {"workers", "1025", 0, "an integer 1..1024", .type = 0},
    {"worker", "0", 1, NULL, INT(worker, 0)},
    {"worker", "1023", 1, NULL, INT(worker, 1023)},
    {"worker", "-1", 0, "an integer 0..1023", .type = 0},
    {"run_id", "nightly-1", 1, NULL, STR(run_id, "nightly-1")},
    {"run_id", "", 0, "must not be empty", .type = 0},
    {"results", "res", 1, NULL, STR(results, "res")},
    {"start_timeout", "2.5", 1, NULL, DBL(start_timeout, 2.5)},
    {"start_timeout", "0", 0, "positive", .type = 0},
    {"metrics", "127.0.0.1:9464", 1, NULL, STR(metrics, "127.0.0.1:9464")},
    {"metrics", "", 1, NULL, STR(metrics, NULL)},
    {"prometheus_rw", "http://p:9090/api/v1/write", 1, NULL,
     STR(prometheus_rw, "http://p:9090/api/v1/write")},
    {"metrics_interval", "0.5", 1, NULL, DBL(metrics_interval, 0.5)},
    {"metrics_interval", "0", 0, "positive", .type = 0},
    {"metrics_linger", "15", 1, NULL, DBL(metrics_linger, 15)},
    {"metrics_linger", "-1", 0, "non-negative", .type = 0},
    {"schema_registry", "http://r:8081", 1, NULL, STR(schema_registry, "http://r:8081")},
    {"subject", "s-value", 1, NULL, STR(subject, "s-value")},
    {"avro_types", "id:int", 1, NULL, STR(avro_types, "id:int")},
    {"avro_schema", "r.avsc", 1, NULL, STR(avro_schema, "r.avsc")},
};

/* Does the member at c->off hold what c says? */
static void check_value(const workload *wl, const set_case *c) {
    const char *at = (const char *)wl + c->off;
    double got = 0;
    switch (c->type) {
    case 'u': got = (double)*(const uint64_t *)at; break;
    case 'i': got = *(const int *)at; break;
    case 'd': got = *(const double *)at; break;
    case 'b': got = *(const bool *)at; break;
    case 'e': got = *(const int *)at; break;
    case 's': {
        const char *v = *(char *const *)at;
        if (c->str ? !v || strcmp(v, c->str) : v != NULL)
            fail_msg("%s=%s: holds '%s'", c->field, c->text, v ? v : "(none)");
        return;
    }
    default: fail_msg("%s=%s: row states no value", c->field, c->text);
    }
    if (got != c->num) fail_msg("%s=%s: holds %g, want %g", c->field, c->text, got, c->num);
}

static void test_set_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof SET_CASES / sizeof SET_CASES[0]; i++) {
        const set_case *c = &SET_CASES[i];
        workload wl;
        assert_int_equal(workload_init(&wl), 0);
        /* start from values no row expects, so a row cannot pass on a default */
        wl.records = wl.batch_size = wl.top_words = 7;
        wl.partitions = wl.replication = wl.consumers = 7;
        wl.rate = wl.idle_timeout = wl.start_timeout = 7;
        wl.workers = wl.worker = 7;
        wl.mode = (workload_mode)7;
        wl.format = (encode_format)7;
        wl.ragged = (csvsrc_ragged)7;
        wl.oversize = (workload_oversize)7;
        wl.expect_copies = 7;
        wl.key_distribution = (keys_distribution)7;
        wl.key_count = wl.seed = wl.transaction_size = wl.abort_every = 7;
        wl.key_skew = 7;
        wl.brokers = strdup("before");
        wl.key = strdup("before");
        char err[256] = "";
        int rc = workload_set(&wl, c->field, c->text, err, sizeof err);
        if (c->ok) {
            if (rc != 0) fail_msg("%s=%s rejected: %s", c->field, c->text, err);
            check_value(&wl, c);
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

/* Every field that takes a value from text has an accepting row above. */
static void test_every_field_covered(void **state) {
    (void)state;
    size_t n;
    const workload_field *f = workload_fields(&n);
    for (size_t i = 0; i < n; i++) {
        if (f[i].kind == WORKLOAD_PROPS || f[i].kind == WORKLOAD_TABLE) continue;
        bool found = false;
        for (size_t k = 0; k < sizeof SET_CASES / sizeof SET_CASES[0]; k++)
            found |= SET_CASES[k].ok && !strcmp(SET_CASES[k].field, f[i].name);
        if (!found) fail_msg("field '%s' has no accepting row", f[i].name);
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

/* Cross-field checks of keys, copies and transactions, and copy of the
 * hub's string field. */
static void test_validate_pipeline_fields(void **state) {
    (void)state;
    struct {
        const char *sets[3][2];
        const char *err_has; /* NULL: valid */
    } rows[] = {
        {{{"key", "user"}, {"key_distribution", "zipf"}}, "both set"},
        {{{"key_distribution", "zipf"}}, NULL},
        {{{"abort_every", "3"}}, "abort_every' needs transactional"},
        {{{"transaction_size", "3"}}, "transaction_size' needs transactional"},
        {{{"transactional", "true"}, {"abort_every", "3"}}, NULL},
        {{{"transactional", "true"}, {"mode", "sync"}}, "not with mode"},
        {{{"expect_copies", "3"}}, NULL},
        {{{"expect_copies", "3"}, {"workers", "2"}}, "not with workers > 1"},
        {{{"transactional", "true"}, {"abort_every", "2"}, {"workers", "2"}},
         "abort_every': not with workers"},
        {{{"transactional", "true"}, {"workers", "2"}}, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        workload wl;
        char err[256] = "";
        assert_int_equal(workload_init(&wl), 0);
        for (int j = 0; j < 3 && rows[i].sets[j][0]; j++)
            assert_int_equal(
                workload_set(&wl, rows[i].sets[j][0], rows[i].sets[j][1], err, sizeof err), 0);
        int rc = workload_validate(&wl, err, sizeof err);
        if (rows[i].err_has) {
            assert_int_not_equal(rc, 0);
            if (!strstr(err, rows[i].err_has))
                fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].err_has);
        } else {
            if (rc) fail_msg("row %zu rejected: %s", i, err);
        }
        workload_free(&wl);
    }
    workload wl, copy;
    char err[256];
    assert_int_equal(workload_init(&wl), 0);
    assert_string_equal(workload_consume_topic(&wl), "test_topic");
    assert_int_equal(workload_transaction_size(&wl), wl.batch_size);
    assert_int_equal(workload_set(&wl, "consume_topic", "out", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "transaction_size", "12", err, sizeof err), 0);
    assert_int_equal(workload_copy(&copy, &wl), 0);
    assert_string_equal(workload_consume_topic(&copy), "out");
    assert_ptr_not_equal(copy.consume_topic, wl.consume_topic);
    assert_int_equal(workload_transaction_size(&copy), 12);
    workload_free(&copy);
    workload_free(&wl);
}

/* Kafka's topic name rules (workload_topic_check) and their use on every
 * topic a run names, with the embedded broker's replication limit. */
static void test_topic_names(void **state) {
    (void)state;
    char why[256];
    const char *good[] = {"a", "test_topic", "A.b-c_9", "kengine.results", "__my_own"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(workload_topic_check(good[i], why, sizeof why), 0);
    char max[250], over[251];
    memset(max, 'x', 249);
    max[249] = '\0';
    memset(over, 'x', 250);
    over[250] = '\0';
    assert_int_equal(workload_topic_check(max, why, sizeof why), 0);
    assert_int_equal(workload_topic_check(over, why, sizeof why), -1);
    assert_non_null(strstr(why, "1 to 249 characters, this one has 250"));
    assert_int_equal(workload_topic_check("", why, sizeof why), -1);
    assert_int_equal(workload_topic_check(".", why, sizeof why), -1);
    assert_int_equal(workload_topic_check("..", why, sizeof why), -1);
    assert_int_equal(workload_topic_check("...", why, sizeof why), 0); /* Kafka allows it */
    assert_int_equal(workload_topic_check("a b", why, sizeof why), -1);
    assert_non_null(strstr(why, "character 2 (' ')"));
    assert_int_equal(workload_topic_check("a\x01", why, sizeof why), -1);
    assert_non_null(strstr(why, "byte 0x01"));
    assert_int_equal(workload_topic_check("\xc3\xa9t\xc3\xa9", why, sizeof why), -1);
    assert_int_equal(workload_topic_check("__consumer_offsets", why, sizeof why), -1);
    assert_non_null(strstr(why, "internal"));
    assert_int_equal(workload_topic_check("__transaction_state", why, sizeof why), -1);

    workload wl;
    char err[512];
    assert_int_equal(workload_init(&wl), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "consume_topic", "x:y", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "brokers", "h:9092", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'consume_topic': 'x:y': character 2 (':')"));
    assert_int_equal(workload_set(&wl, "consume_topic", "out", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    /* the results topic matters only in a shared run */
    assert_int_equal(workload_set(&wl, "results", "r r", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "workers", "2", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'results'"));
    assert_int_equal(workload_set(&wl, "results", "r", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "workers", "1", err, sizeof err), 0);
    /* replication above the embedded broker's one broker; fine on a cluster */
    assert_int_equal(workload_set(&wl, "replication", "3", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "brokers", "", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "consume_topic", "", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(
        strstr(err, "field 'replication': 3, but the embedded broker is one broker"));
    /* a shared run on the embedded broker: up to WORKLOAD_EMBEDDED_WORKERS */
    assert_int_equal(workload_set(&wl, "replication", "1", err, sizeof err), 0);
    char n[16];
    snprintf(n, sizeof n, "%d", WORKLOAD_EMBEDDED_WORKERS);
    assert_int_equal(workload_set(&wl, "workers", n, err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    snprintf(n, sizeof n, "%d", WORKLOAD_EMBEDDED_WORKERS + 1);
    assert_int_equal(workload_set(&wl, "workers", n, err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'workers'"));
    assert_int_equal(workload_set(&wl, "brokers", "h:9092", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    workload_free(&wl);
}

/* format avro needs a registry; its fields need format avro */
static void test_validate_avro(void **state) {
    (void)state;
    workload wl;
    char err[512];
    assert_int_equal(workload_init(&wl), 0);
    assert_int_equal(workload_set(&wl, "format", "avro", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'schema_registry': format \"avro\" needs"));
    assert_int_equal(workload_set(&wl, "schema_registry", "http://r", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "format", "json", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "avro_types", "id:int", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'avro_types' needs format = \"avro\""));
    assert_int_equal(workload_set(&wl, "format", "avro", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "avro_schema", "r.avsc", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "fields 'avro_types' and 'avro_schema' both set"));
    assert_int_equal(workload_set(&wl, "avro_types", "", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    workload_free(&wl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_avro),
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_validate_pipeline_fields),
        cmocka_unit_test(test_set_table),
        cmocka_unit_test(test_every_field_covered),
        cmocka_unit_test(test_defaults_are_the_seed),
        cmocka_unit_test(test_values_land),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
