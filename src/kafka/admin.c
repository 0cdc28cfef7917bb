/*
 * admin: gets a topic ready before a run. One short-lived handle
 * checks that the cluster answers (bounded wait, address in the error),
 * creates the topic through the Admin API when it is absent, waits until
 * every partition has a leader, and reads each partition's high watermark
 * so the consumer can start exactly where this run's messages begin.
 */
#include "logger.h"
#include "kafka.h"
#include "conf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 15000
#define ALL_DOWN_GRACE     3.0

/* Partition count of `topic` in fresh metadata: >0 found with leaders,
 * 0 absent, -1 present but some partition has no leader yet, -2 error. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms,
                            rd_kafka_resp_err_t *errp) {
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t rc = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    *errp = rc;
    if (rc) return -2;
    int n = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (strcmp(t->topic, topic)) continue;
        if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || t->partition_cnt == 0) {
            n = 0;
            break;
        }
        n = t->partition_cnt;
        for (int p = 0; p < t->partition_cnt; p++)
            if (t->partitions[p].leader < 0 || t->partitions[p].err) n = -1;
        break;
    }
    rd_kafka_metadata_destroy(md);
    return n;
}

/* Whether the cluster names a controller that is one of its brokers.
 * librdkafka's mock cluster (e.g. another process's `kengine broker`)
 * reports controller 0, which is none of its brokers, and CreateTopics
 * would wait for it until it times out. */
static int controller_known(rd_kafka_t *rk) {
    int32_t ctrl = rd_kafka_controllerid(rk, 5000);
    const struct rd_kafka_metadata *md;
    if (ctrl < 0 || rd_kafka_metadata(rk, 0, NULL, &md, 5000)) return 0;
    int found = 0;
    for (int i = 0; i < md->broker_cnt; i++) found |= md->brokers[i].id == ctrl;
    rd_kafka_metadata_destroy(md);
    return found;
}

/* The workload's field a CreateTopics refusal is about, or NULL when the
 * refusal is not the input's fault (timeouts, authorization, a broker
 * down): Kafka's verdict on a name or a count the workload gave. */
static const char *refused_field(rd_kafka_resp_err_t e, const workload *wl, const char *topic) {
    switch (e) {
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR: return "replication";
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS: return "partitions";
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
        return strcmp(topic, wl->topic) ? "consume_topic" : "topic";
    default: return NULL;
    }
}

/* CreateTopics; 0 ok (or already exists), 1 unsupported by the broker, -1
 * err, -2 Kafka refused what the workload asked for (err names the field). */
static int create_topic(rd_kafka_t *rk, const workload *wl, const char *topic, char *err,
                        size_t errlen) {
    char errstr[256];
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(topic, wl->partitions, wl->replication, errstr, sizeof errstr);
    if (!nt) {
        snprintf(err, errlen, "topic '%s': %s", topic, errstr);
        return -1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, 30000, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_request_timeout(opts, 30000, errstr, sizeof errstr);
    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 40000);
    int rc = 0;
    if (!ev) {
        snprintf(err, errlen, "topic '%s': CreateTopics timed out", topic);
        rc = -1;
    } else if (rd_kafka_event_error(ev)) {
        rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
        if (e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
            e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
            rc = 1;
        } else {
            snprintf(err, errlen, "topic '%s': cannot create: %s", topic,
                     rd_kafka_event_error_string(ev));
            rc = -1;
        }
    } else {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                continue;
            if (e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
                e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) {
                rc = 1;
                continue;
            }
            const char *why = rd_kafka_topic_result_error_string(tr[i])
                                  ? rd_kafka_topic_result_error_string(tr[i])
                                  : rd_kafka_err2str(e);
            const char *field = refused_field(e, wl, topic);
            if (field)
                snprintf(err, errlen, "field '%s': Kafka refuses to create topic '%s': %s",
                         field, topic, why);
            else
                snprintf(err, errlen, "topic '%s': cannot create: %s", topic, why);
            rc = field ? -2 : -1;
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

/* What the error callback saw while connecting. */
typedef struct {
    char auth[512]; /* a failed authentication (SASL), "" if none */
    char down[512]; /* every broker refused or dropped us, "" if not */
} admin_errors;

/* librdkafka reports a failed authentication and unreachable brokers
 * through the error callback and then retries for good: they are
 * remembered here, to fail early with the reason. */
static void on_admin_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    admin_errors *ae = opaque;
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION && !ae->auth[0])
        snprintf(ae->auth, sizeof ae->auth, "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && !ae->down[0])
        snprintf(ae->down, sizeof ae->down, "%s", reason);
}

static bool retriable(rd_kafka_resp_err_t e) {
    return e == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
           e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
           e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || e == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

/* Each partition's high watermark. One ListOffsets request per leader:
 * offsets_for_times with the "latest" timestamp (-1) answers with the end
 * offsets, where one watermark query per partition would cost a round trip
 * each. A topic just created may not serve yet: retried, bounded. */
static int high_watermarks(rd_kafka_t *rk, const char *topic, int n, int64_t *off, char *err,
                           size_t errlen) {
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int tries = 0; tries < 50; tries++) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++)
            rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_END;
        e = rd_kafka_offsets_for_times(rk, l, 10000);
        int bad = -1;
        for (int i = 0; !e && i < l->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &l->elems[i];
            if (tp->err || tp->offset < 0 || tp->partition < 0 || tp->partition >= n) {
                e = tp->err ? tp->err : RD_KAFKA_RESP_ERR__BAD_MSG;
                bad = tp->partition;
                break;
            }
            off[tp->partition] = tp->offset;
        }
        rd_kafka_topic_partition_list_destroy(l);
        if (!e) return 0;
        if (!retriable(e)) {
            snprintf(err, errlen, "topic '%s' partition %d: cannot read offsets: %s", topic,
                     bad, rd_kafka_err2str(e));
            return -1;
        }
        usleep(200 * 1000);
    }
    snprintf(err, errlen, "topic '%s': cannot read offsets: %s", topic, rd_kafka_err2str(e));
    return -1;
}

/* Makes sure `topic` exists (creating it when `create`: CreateTopics, or
 * on first use where the broker has no controller) and has leaders.
 * Returns its partition count, or -1 with err. */
/* Says (one line each) when the topic has fewer partitions than wanted: an
 * existing topic is used as it is, whatever `partitions` asks; in a shared
 * run, a consumer beyond the partition count gets none and reads nothing.
 * Warnings, not errors: the group's other consumers read every partition,
 * so nothing goes unread. Worker 0 alone says the second (one line per
 * run, not per worker). */
static void warn_partitions(const workload *wl, const char *topic, int n, bool existed) {
    if (existed && n < wl->partitions)
        logger_msg("warning: topic '%s' exists with %d partition%s, fewer than partitions=%d "
                   "asked: it is used as it is (partitions applies when kengine creates the "
                   "topic; use a new topic name, or add partitions to it)",
                   topic, n, n == 1 ? "" : "s", wl->partitions);
    int members = wl->workers * (wl->consumers > 0 ? wl->consumers : 1);
    bool results = wl->results && !strcmp(topic, wl->results); /* the workers' channel */
    if (wl->workers > 1 && wl->worker <= 0 && wl->consume && !results &&
        !strcmp(topic, workload_consume_topic(wl)) && n < members)
        logger_msg("warning: topic '%s' has %d partition%s for %d workers x %d consumer%s: "
                   "%d consumer%s no partition and read%s nothing (the others read all of it); "
                   "give the topic at least %d partitions",
                   topic, n, n == 1 ? "" : "s", wl->workers, wl->consumers,
                   wl->consumers == 1 ? "" : "s", members - n,
                   members - n == 1 ? " gets" : "s get", members - n == 1 ? "s" : "", members);
}

static int topic_ready(rd_kafka_t *rk, const workload *wl, const char *topic, bool create,
                       bool has_controller, const char *brokers, char *err, size_t errlen) {
    rd_kafka_resp_err_t merr;
    int n = topic_partitions(rk, topic, 5000, &merr);
    bool existed = n > 0;
    bool auto_create = false; /* the broker creates the topic on first use */
    if (n == 0 && create) {
        /* without a controller, say so and let the broker create the topic
         * on first use */
        int c = has_controller ? create_topic(rk, wl, topic, err, errlen) : 1;
        if (c < 0) return c;
        if (c == 1) {
            auto_create = true;
            logger_msg("note: the broker at %s cannot create topics (an embedded broker?); "
                       "'%s' is created on first use with the broker's default partition "
                       "count",
                       brokers, topic);
        }
    }
    /* wait (bounded) for the topic to show up with leaders */
    for (int tries = 0; tries < 200; tries++) {
        if (n == 0 && auto_create) {
            /* asking for this topic's metadata is its first use */
            rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
            const struct rd_kafka_metadata *md;
            if (rkt && !rd_kafka_metadata(rk, 0, rkt, &md, 5000)) rd_kafka_metadata_destroy(md);
            if (rkt) rd_kafka_topic_destroy(rkt);
        }
        n = topic_partitions(rk, topic, 5000, &merr);
        if (n > 0 || (n == 0 && !create)) break;
        usleep(50 * 1000);
    }
    if (n <= 0) {
        if (n == 0 && !create)
            snprintf(err, errlen, "topic '%s' does not exist at %s", topic, brokers);
        else
            snprintf(err, errlen, "topic '%s' at %s has no leader after 10 s", topic, brokers);
        return -1;
    }
    warn_partitions(wl, topic, n, existed);
    return n;
}

int kafka_topic_prepare(const char *brokers, const workload *wl, int create, int *partitions,
                        int64_t **offsets, bool *mock, char *err, size_t errlen) {
    static const char *const defaults[] = {"log_level", "0", NULL};
    rd_kafka_conf_t *conf = kafka_conf_build(brokers, defaults, NULL, "admin", err, errlen);
    if (!conf) return -1;
    if (kafka_conf_copy_security(conf, &wl->producer, err, errlen) ||
        kafka_conf_copy_security(conf, &wl->consumer, err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    admin_errors ae = {"", ""};
    rd_kafka_conf_set_error_cb(conf, on_admin_error);
    rd_kafka_conf_set_opaque(conf, &ae);
    char errstr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "broker %s: %s", brokers, errstr);
        return -1;
    }
    int rc = -1;
    rd_kafka_resp_err_t merr;
    /* in short slices, serving the error callback in between; when every
     * broker has refused us for ALL_DOWN_GRACE seconds (nothing listens
     * there), waiting out the whole timeout would tell nothing more */
    int n;
    double start = stats_now(), deadline = start + CONNECT_TIMEOUT_MS / 1000.0;
    do {
        n = topic_partitions(rk, wl->topic, 500, &merr);
        if (n != -2) break;
        rd_kafka_poll(rk, 100);
    } while (!ae.auth[0] && !(ae.down[0] && stats_now() - start > ALL_DOWN_GRACE) &&
             stats_now() < deadline);
    if (n == -2 && ae.auth[0]) {
        snprintf(err, errlen, "authentication failed at %s: %s", brokers, ae.auth);
        goto out;
    }
    if (n == -2 && ae.down[0] && stats_now() < deadline) {
        snprintf(err, errlen, "cannot reach Kafka at %s: no broker answers (%s)", brokers,
                 ae.down);
        goto out;
    }
    if (n == -2) {
        snprintf(err, errlen, "cannot reach Kafka at %s within %d s: %s", brokers,
                 CONNECT_TIMEOUT_MS / 1000, rd_kafka_err2str(merr));
        goto out;
    }
    bool has_controller = controller_known(rk);
    *mock = !has_controller;
    /* The topic produced to, and the one consumed from when a hub
     * reads another (created too: the system under test may not have
     * written to it yet, and its end offsets are where this run starts). */
    const char *ctopic = workload_consume_topic(wl);
    bool two = strcmp(ctopic, wl->topic) != 0;
    /* a consume-only run of a hub reads consume_topic alone */
    if (wl->produce || !two) {
        n = topic_ready(rk, wl, wl->topic, create, has_controller, brokers, err, errlen);
        if (n < 0) {
            rc = n == -2 ? -2 : -1;
            goto out;
        }
    }
    if (two && wl->consume) {
        n = topic_ready(rk, wl, ctopic, create, has_controller, brokers, err, errlen);
        if (n < 0) {
            rc = n == -2 ? -2 : -1;
            goto out;
        }
    }
    *partitions = n;
    if (offsets) {
        int64_t *off = calloc((size_t)n, sizeof *off);
        if (!off) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (high_watermarks(rk, ctopic, n, off, err, errlen)) {
            snprintf(err + strlen(err), errlen - strlen(err), " (at %s)", brokers);
            free(off);
            goto out;
        }
        *offsets = off;
    }
    rc = 0;
out:
    rd_kafka_destroy(rk);
    return rc;
}
