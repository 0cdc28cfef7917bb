/*
 * log: librdkafka's log lines through kengine's logger. librdkafka
 * prints "%4|1795996322.255|GETPID|rdkafka#producer-2| [thrd:main]: ..." on
 * stderr by itself; with this callback a line reads like kengine's own
 * ("kengine: producer: ... (librdkafka GETPID)"), a transient, retriable
 * condition (a coordinator still loading, a refused or dropped connection
 * librdkafka retries) only appears with -v, and a real problem (a
 * configuration warning, failed authentication) always does.
 */
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "kafka.h"
#include "logger.h"

/* Words of conditions librdkafka retries by itself. */
static const char *const TRANSIENT[] = {
    "retrying",
    "Retrying",
    "in progress",
    "Connection refused",
    "Disconnected",
    "Broker transport failure",
    "Connect to ",
    "timed out",
    "Timed out",
    "brokers are down",
    "not available",
    "Not leader",
    "NOT_LEADER",
    "LEADER_NOT_AVAILABLE",
    "Unknown topic or partition",
    "UNKNOWN_TOPIC_OR_PART",
    "NOT_COORDINATOR",
    "Not coordinator",
    "Receive failed",
    "Send failed",
    "Connection reset",
};

bool kafka_log_is_problem(int level, const char *msg) {
    if (level > 4) return false; /* notice, info, debug */
    for (size_t i = 0; i < sizeof TRANSIENT / sizeof TRANSIENT[0]; i++)
        if (strstr(msg, TRANSIENT[i])) return false;
    return true;
}

void kafka_log_format(char *out, size_t len, const char *who, const char *fac,
                      const char *msg) {
    /* librdkafka's own prefixes: "[thrd:main]: " and "rdkafka#producer-2: " */
    if (!strncmp(msg, "[thrd:", 6)) {
        const char *e = strstr(msg, "]: ");
        if (e) msg = e + 3;
    }
    if (!strncmp(msg, "rdkafka#", 8)) {
        const char *e = strstr(msg, ": ");
        if (e) msg = e + 2;
    }
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    snprintf(out, len, "%s: %.*s (librdkafka %s)", who, (int)n, msg, fac);
}

static void emit(const char *who, int level, const char *fac, const char *buf) {
    char line[1024];
    kafka_log_format(line, sizeof line, who, fac, buf);
    if (kafka_log_is_problem(level, buf))
        logger_msg("%s", line);
    else
        logger_verbose_msg("%s", line);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    emit(rk && rd_kafka_type(rk) == RD_KAFKA_CONSUMER ? "consumer" : "producer", level, fac,
         buf);
}

static void broker_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    emit("embedded broker", level, fac, buf);
}

void kafka_log_attach(rd_kafka_conf_t *conf) { rd_kafka_conf_set_log_cb(conf, log_cb); }
void kafka_log_attach_broker(rd_kafka_conf_t *conf) {
    rd_kafka_conf_set_log_cb(conf, broker_log_cb);
}
