/*
 * channel: the results topic, the one channel between the workers of
 * a shared run and `kengine report` (dist/protocol.h). Records are keyed by the
 * run id, so one run's records stay in one partition in the order they were
 * written (which decides, e.g., who claimed a worker index first), and a
 * reader skips every other run's. A handle holds a producer (records sent
 * are flushed on demand, delivery checked) and a reader assigned every
 * partition from a point in time (no consumer group: nothing committed).
 */
#include "kafka.h"
#include "conf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kafka_channel {
    rd_kafka_t *producer, *reader;
    char *topic, *key;
    size_t keylen;
    int partitions;
    bool *eof;                   /* per partition: reached its end, nothing newer */
    atomic_uint_fast64_t failed; /* records whose delivery failed (two threads send) */
    char first_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    kafka_channel *r = opaque;
    if (m->err && atomic_fetch_add(&r->failed, 1) == 0)
        snprintf(r->first_error, sizeof r->first_error, "%s", rd_kafka_err2str(m->err));
}

void kafka_channel_close(kafka_channel *r) {
    if (!r) return;
    if (r->producer) {
        rd_kafka_flush(r->producer, 5000);
        rd_kafka_destroy(r->producer);
    }
    if (r->reader) {
        rd_kafka_consumer_close(r->reader);
        rd_kafka_destroy(r->reader);
    }
    free(r->topic);
    free(r->key);
    free(r->eof);
    free(r);
}

kafka_channel *kafka_channel_open(const char *brokers, const workload *wl, const char *key,
                                  int64_t since_ms, char *err, size_t errlen) {
    /* the results topic: one partition when we create it (a run's records
     * stay in order in any case, by key) */
    workload tw = *wl;
    tw.topic = wl->results;
    tw.partitions = 1;
    int parts = 0;
    bool mock = false;
    if (kafka_topic_prepare(brokers, &tw, 1, &parts, NULL, &mock, err, errlen)) return NULL;
    /* the mock answers no ListOffsets by time: read its (small) topic whole */
    if (mock) since_ms = 0;
    kafka_channel *r = calloc(1, sizeof *r);
    if (!r || !(r->topic = strdup(wl->results)) || !(r->key = strdup(key)) ||
        !(r->eof = calloc((size_t)parts, sizeof *r->eof))) {
        snprintf(err, errlen, "out of memory");
        kafka_channel_close(r);
        return NULL;
    }
    r->keylen = strlen(key);
    r->partitions = parts;

    const char *pdefaults[] = {"enable.idempotence", "true", "linger.ms", "0", NULL};
    rd_kafka_conf_t *conf =
        kafka_conf_build(brokers, pdefaults, &wl->producer, "producer", err, errlen);
    if (!conf) goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, r);
    char errstr[256];
    if (!(r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "results producer: %s", errstr);
        goto fail;
    }
    const char *cdefaults[] = {"group.id",
                               "kengine.results.reader",
                               "enable.auto.commit",
                               "false",
                               "enable.partition.eof",
                               "true",
                               "fetch.wait.max.ms",
                               mock ? "10" : "100",
                               NULL};
    conf = kafka_conf_build(brokers, cdefaults, &wl->consumer, "consumer", err, errlen);
    if (!conf) goto fail;
    if (!(r->reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "results reader: %s", errstr);
        goto fail;
    }
    rd_kafka_poll_set_consumer(r->reader);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(tl, r->topic, p)->offset =
            since_ms > 0 ? since_ms : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    /* from a point in time: the first offset at or after it, per partition;
     * where there is none, the end as it was before asking (a logical END
     * would be resolved later, after records that peers, or we, write
     * meanwhile: an announcement could be missed) */
    int64_t *end = since_ms > 0 ? calloc((size_t)parts, sizeof *end) : NULL;
    for (int p = 0; end && p < parts && !e; p++) {
        int64_t lo;
        e = rd_kafka_query_watermark_offsets(r->reader, r->topic, p, &lo, &end[p], 10000);
    }
    if (since_ms > 0 && !end) e = RD_KAFKA_RESP_ERR__FAIL; /* out of memory */
    if (since_ms > 0 && !e) e = rd_kafka_offsets_for_times(r->reader, tl, 10000);
    for (int p = 0; end && !e && p < parts; p++)
        if (tl->elems[p].offset < 0) tl->elems[p].offset = end[p];
    free(end);
    if (!e) e = rd_kafka_assign(r->reader, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    if (e) {
        snprintf(err, errlen, "cannot read results topic '%s' at %s: %s", r->topic, brokers,
                 rd_kafka_err2str(e));
        goto fail;
    }
    return r;
fail:
    kafka_channel_close(r);
    return NULL;
}

int kafka_channel_send(kafka_channel *r, const void *value, size_t len, char *err,
                       size_t errlen) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            r->producer, RD_KAFKA_V_TOPIC(r->topic), RD_KAFKA_V_KEY(r->key, r->keylen),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (!e) break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, errlen, "results topic '%s': %s", r->topic, rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(r->producer, 10);
    }
    rd_kafka_poll(r->producer, 0);
    return 0;
}

int kafka_channel_flush(kafka_channel *r, int timeout_ms, char *err, size_t errlen) {
    rd_kafka_flush(r->producer, timeout_ms);
    int left = rd_kafka_outq_len(r->producer);
    uint64_t failed = atomic_load(&r->failed);
    if (left > 0 || failed) {
        if (left > 0)
            snprintf(err, errlen, "results topic '%s': %d records not delivered within %d s",
                     r->topic, left, timeout_ms / 1000);
        else
            snprintf(err, errlen, "results topic '%s': %llu records failed delivery (%s)",
                     r->topic, (unsigned long long)failed, r->first_error);
        return -1;
    }
    return 0;
}

int kafka_channel_poll(kafka_channel *r, int timeout_ms, kafka_channel_fn fn, void *ud,
                       bool *caught_up) {
    int handled = 0;
    rd_kafka_poll(r->producer, 0);
    for (int i = 0; i < 1000; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->reader, i ? 0 : timeout_ms);
        if (!m) break;
        int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p >= 0 && p < r->partitions) r->eof[p] = true;
        } else if (!m->err) {
            if (p >= 0 && p < r->partitions) r->eof[p] = false;
            if (m->key_len == r->keylen && !memcmp(m->key, r->key, r->keylen)) {
                fn(ud, m->payload, m->len);
                handled++;
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (caught_up) {
        bool all = true;
        for (int p = 0; p < r->partitions; p++) all &= r->eof[p];
        *caught_up = all;
    }
    return handled;
}
