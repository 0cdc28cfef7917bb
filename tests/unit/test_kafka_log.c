/*
 * Unit tests for librdkafka's log lines in kengine's voice: which lines are
 * real problems (always shown) and which transient or chatter (-v only),
 * and the line's format, as tables of real librdkafka lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kafka.h"

static const struct {
    int level;
    const char *msg;
    bool problem;
} CLASSES[] = {
    {4,
     "[thrd:main]: Failed to acquire idempotence PID from broker 127.0.0.1:9092/1: "
     "Broker: Coordinator load in progress: retrying",
     false},
    {3,
     "[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 "
     "failed: Connection refused (after 0ms in state CONNECT)",
     false},
    {3,
     "[thrd:app]: rdkafka#consumer-3: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 "
     "failed: Connection refused (after 0ms in state CONNECT)",
     false},
    {3, "[thrd:b/1]: b:9092/1: Disconnected (after 600000ms in state UP)", false},
    {3, "[thrd:app]: 1/1 brokers are down", false},
    {4,
     "[thrd:app]: Configuration property group.id is a consumer property and will be "
     "ignored by this producer instance",
     true},
    {3,
     "[thrd:sasl_plaintext://b/1]: SASL authentication error: Authentication failed "
     "during authentication due to invalid credentials with SASL mechanism PLAIN",
     true},
    {3, "[thrd:app]: Failed to resolve 'nosuchhost:9092': Name or service not known", true},
    {5, "[thrd:main]: something noteworthy", false},
    {6, "[thrd:main]: informational", false},
    {7, "[thrd:main]: debug chatter", false},
};

static void test_classify(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CLASSES / sizeof CLASSES[0]; i++)
        if (kafka_log_is_problem(CLASSES[i].level, CLASSES[i].msg) != CLASSES[i].problem)
            fail_msg("level %d '%s': want %s", CLASSES[i].level, CLASSES[i].msg,
                     CLASSES[i].problem ? "a problem" : "transient");
}

static const struct {
    const char *who, *fac, *msg, *want;
} FORMATS[] = {
    {"producer", "GETPID",
     "[thrd:main]: Failed to acquire idempotence PID: Coordinator load in progress: retrying",
     "producer: Failed to acquire idempotence PID: Coordinator load in progress: retrying "
     "(librdkafka GETPID)"},
    {"consumer", "ERROR",
     "[thrd:app]: rdkafka#consumer-3: 127.0.0.1:1/bootstrap: Connect failed\n",
     "consumer: 127.0.0.1:1/bootstrap: Connect failed (librdkafka ERROR)"},
    {"embedded broker", "MOCK", "plain message",
     "embedded broker: plain message (librdkafka MOCK)"},
};

static void test_format(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++) {
        char out[512];
        kafka_log_format(out, sizeof out, FORMATS[i].who, FORMATS[i].fac, FORMATS[i].msg);
        if (strcmp(out, FORMATS[i].want)) fail_msg("'%s', want '%s'", out, FORMATS[i].want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
