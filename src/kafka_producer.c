/*
 * kafka_producer: the producer thread. Pulls rows from the CSV source
 * (which cycles to replicate them), encodes each into a reused buffer and
 * hands it to librdkafka, which copies it. Delivery reports are counted in
 * the callback, never printed one by one. Every `batch_size` messages a
 * produce_batch event goes to the main thread.
 *
 * Each message carries the "kengine" header (sequence number, intended
 * send time, run id; see pipeline.h) and its produce time as the Kafka
 * timestamp. With a `rate`, the intended send time of message i is
 * start + i/rate, so latency measured from it includes any stall of ours or
 * the broker's (no coordinated omission).
 */
#include "kafka.h"
#include "kafka_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    kafka_producer_job *job;
    double last_dr;             /* time of the latest delivery report */
    char first_error[256];
} producer_state;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    producer_state *st = opaque;
    if (m->err) {
        if (!st->job->errors)
            snprintf(st->first_error, sizeof st->first_error, "%s",
                     rd_kafka_err2str(m->err));
        st->job->errors++;
    } else {
        st->job->delivered++;
    }
    st->last_dr = stats_now();
}

/* Index of the key column in the header, or -1 (error set) if absent. */
static int key_column(const csvsrc_row *hdr, const char *key) {
    size_t klen = strlen(key);
    for (size_t i = 0; i < hdr->nfields; i++)
        if (hdr->lens[i] == klen && memcmp(hdr->fields[i], key, klen) == 0) return (int)i;
    return -1;
}

/* Serves delivery reports until all sent messages are reported or the
 * deadline passes. Returns messages still in flight. */
static int drain(rd_kafka_t *rk, double deadline) {
    while (rd_kafka_outq_len(rk) > 0 && stats_now() < deadline) rd_kafka_poll(rk, 50);
    return rd_kafka_outq_len(rk);
}

void *kafka_producer_thread(void *arg) {
    kafka_producer_job *job = arg;
    pipeline *pl = job->pl;
    const workload *wl = pl->wl;
    producer_state st = {.job = job};
    encode_buf buf = {0};
    uint32_t *row_words = NULL;
    rd_kafka_t *rk = NULL;
    char err[512];

    const char *defaults[] = {
        "enable.idempotence", "true",
        "linger.ms", wl->mode == WORKLOAD_SYNC ? "0" : "5",
        "batch.num.messages", "10000",
        "queue.buffering.max.messages", "1000000",
        "queue.buffering.max.kbytes", "1048576",
        NULL};
    rd_kafka_conf_t *conf =
        kafka_conf_build(pl->brokers, defaults, &wl->producer, "producer", err, sizeof err);
    if (!conf) {
        pipeline_fail(pl, 2, "%s", err);
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    char errstr[256];
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        pipeline_fail(pl, 2, "producer: %s", errstr);
        goto out;
    }

    const csvsrc_row *hdr = csvsrc_header(job->csv);
    int keycol = -1;
    if (wl->key) {
        keycol = key_column(hdr, wl->key);
        if (keycol < 0) {
            pipeline_fail(pl, 2, "field 'key': column '%s' is not in the CSV header of %s",
                          wl->key, wl->csv);
            goto out;
        }
    }
    /* Rows repeat, so their word counts are computed once per row. */
    size_t nrows = csvsrc_rows(job->csv);
    if (nrows) {
        row_words = malloc(nrows * sizeof *row_words);
        if (row_words) memset(row_words, 0xff, nrows * sizeof *row_words);
    }

    const uint64_t records = wl->records, bsize = wl->batch_size;
    const uint64_t nbatches = (records + bsize - 1) / bsize;
    double first_send = 0, batch_start = stats_now(), cpu_start = stats_cpu_seconds();
    const int64_t start_us = stats_wall_us();
    uint64_t batch_msgs = 0, batch_bytes = 0, batch_words = 0, batch_no = 0;
    unsigned char hdrval[PIPELINE_HEADER_LEN];
    pipeline_put_u64(hdrval + 16, pl->run_id);

    for (uint64_t seq = 0; seq < records && !atomic_load(&pl->stop); seq++) {
        csvsrc_row row;
        if (csvsrc_next(job->csv, &row, err, sizeof err) < 0) {
            pipeline_fail(pl, 2, "%s", err);
            break;
        }
        if (encode_row(&buf, wl->format, hdr, &row)) {
            pipeline_fail(pl, 1, "out of memory encoding a message");
            break;
        }
        uint64_t w;
        if (row_words && row.index < nrows) {
            if (row_words[row.index] == UINT32_MAX)
                row_words[row.index] = (uint32_t)words_count(buf.data, buf.len);
            w = row_words[row.index];
        } else {
            w = words_count(buf.data, buf.len);
        }

        int64_t send_us;
        if (wl->rate > 0) {
            send_us = start_us + (int64_t)((double)seq * 1e6 / wl->rate);
            for (int64_t now; (now = stats_wall_us()) < send_us && !atomic_load(&pl->stop);) {
                int64_t ms = (send_us - now) / 1000;
                rd_kafka_poll(rk, ms > 100 ? 100 : (int)ms);
            }
        } else {
            send_us = stats_wall_us();
        }
        /* the embedded broker forgets old data: stay within reach of the consumer */
        while (pl->window_bytes && !atomic_load(&pl->stop) &&
               atomic_load(&pl->produced_bytes) - atomic_load(&pl->consumed_bytes) >
                   pl->window_bytes)
            rd_kafka_poll(rk, 1);

        pipeline_put_u64(hdrval, seq);
        pipeline_put_u64(hdrval + 8, (uint64_t)send_us);
        const void *kptr = keycol >= 0 ? row.fields[keycol] : NULL;
        size_t klen = keycol >= 0 ? row.lens[keycol] : 0;
        if (!first_send) first_send = stats_now();
        rd_kafka_resp_err_t e;
        for (;;) {
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(wl->topic), RD_KAFKA_V_VALUE(buf.data, buf.len),
                RD_KAFKA_V_KEY(kptr, klen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_TIMESTAMP(stats_wall_us() / 1000),
                RD_KAFKA_V_HEADER(PIPELINE_HEADER, hdrval, PIPELINE_HEADER_LEN),
                RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || atomic_load(&pl->stop)) break;
            rd_kafka_poll(rk, 10);
        }
        if (e) {
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                pipeline_fail(pl, 1, "produce to '%s' failed: %s", wl->topic,
                              rd_kafka_err2str(e));
            break;
        }
        job->sent++;
        atomic_fetch_add(&pl->produced_bytes, buf.len);
        if (wl->mode == WORKLOAD_SYNC) {
            while (job->delivered + job->errors < job->sent && !atomic_load(&pl->stop))
                rd_kafka_poll(rk, 100);
        } else if ((job->sent & 1023) == 0) {
            rd_kafka_poll(rk, 0);
        }
        batch_msgs++;
        batch_bytes += buf.len;
        batch_words += w;
        if (batch_msgs == bsize || seq + 1 == records) {
            double now = stats_now(), cpu = stats_cpu_seconds();
            double secs = now - batch_start;
            report_batch b = {
                .role = REPORT_PRODUCE, .batch = ++batch_no, .batches = nbatches,
                .messages = batch_msgs, .bytes = batch_bytes, .words = batch_words,
                .delivered = job->delivered, .seconds = secs,
                .msgs_per_sec = secs > 0 ? (double)batch_msgs / secs : 0,
                .mb_per_sec = secs > 0 ? (double)batch_bytes / secs / 1048576.0 : 0,
                .cpu_percent = secs > 0 ? 100.0 * (cpu - cpu_start) / secs : 0,
                .rss_mb = stats_rss_mb()};
            pipeline_post(pl, &b);
            batch_start = now;
            cpu_start = cpu;
            batch_msgs = batch_bytes = batch_words = 0;
        }
        if (rd_kafka_fatal_error(rk, errstr, sizeof errstr)) {
            pipeline_fail(pl, 1, "producer fatal error: %s", errstr);
            break;
        }
    }

    /* Flush: wait for every delivery report. The message timeout
     * (delivery.timeout.ms) bounds this; a stop request bounds it to 10 s. */
    double deadline = stats_now() + (atomic_load(&pl->stop) ? 10.0 : 600.0);
    int left = drain(rk, deadline);
    if (left > 0) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        drain(rk, stats_now() + 5.0);
    }
    if (first_send && st.last_dr) job->produce_seconds = st.last_dr - first_send;
    if (job->errors)
        pipeline_error(pl, 1, "%llu of %llu messages failed delivery (first error: %s)",
                      (unsigned long long)job->errors, (unsigned long long)job->sent,
                      st.first_error);
out:
    atomic_store(&pl->delivered, job->delivered);
    atomic_store(&pl->producer_done, true);
    if (rk) rd_kafka_destroy(rk);
    free(row_words);
    encode_buf_free(&buf);
    pipeline_worker_exit(pl);
    return NULL;
}
