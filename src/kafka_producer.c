/*
 * kafka_producer: the producer thread. Pulls rows from the CSV source
 * (which cycles to replicate them), encodes each into a reused buffer and
 * hands it to librdkafka, which copies it. Delivery reports are counted in
 * the callback, never printed one by one; failed ones are remembered by
 * sequence number so loss can be told apart from failed delivery. Every
 * `batch_size` messages a produce_batch event goes to the main thread.
 *
 * Each message carries the "kengine" header (sequence number, intended
 * send time, run id, phase; see pipeline.h) and its produce time as the
 * Kafka timestamp. With a rate, the intended send time of the i-th message
 * of a phase is phase start + i/rate, so latency measured from it includes
 * any stall of ours or the broker's (no coordinated omission).
 *
 * Phases run one after another; a phase ends after its `records` messages
 * or its `duration`. Without phases the workload is one phase of
 * `records` messages at `rate`.
 */
#include "kafka.h"
#include "kafka_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    kafka_producer_job *job;
    double last_dr; /* time of the latest delivery report */
    char first_error[256];
    bool oom; /* the failed-bitmap could not grow */
} producer_state;

static void note_failure(producer_state *st, uint64_t seq, const char *what) {
    if (!st->job->errors) snprintf(st->first_error, sizeof st->first_error, "%s", what);
    st->job->errors++;
    if (pipeline_bits_set(&st->job->failed, seq) < 0) st->oom = true;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    producer_state *st = opaque;
    if (m->err) {
        char what[256];
        snprintf(what, sizeof what, "record %llu: %s",
                 (unsigned long long)(uintptr_t)m->_private, rd_kafka_err2str(m->err));
        note_failure(st, (uint64_t)(uintptr_t)m->_private, what);
    } else {
        st->job->delivered++;
    }
    /* the time of the last report matters; reading the clock for every
     * one would cost more than the report itself */
    uint64_t reported = st->job->delivered + st->job->errors;
    if ((reported & 255) == 0 || reported >= st->job->sent) st->last_dr = stats_now();
}

/* Posts the batch being filled (if any) to the main thread. */
static void batch_post(pipeline *pl, worker_batch *pb, uint64_t batches, uint64_t delivered,
                       const char *phase) {
    report_batch b;
    if (!worker_batch_take(pb, REPORT_PRODUCE, stats_now(), stats_cpu_seconds(), stats_rss_mb(),
                           &b))
        return;
    b.batches = batches;
    b.delivered = delivered;
    b.phase = phase;
    pipeline_post(pl, &b);
}

/* Index of the key column in the header, or -1 if absent. */
static int key_column(const csvsrc_row *hdr, const char *key) {
    size_t klen = strlen(key);
    for (size_t i = 0; i < hdr->nfields; i++)
        if (hdr->lens[i] == klen && memcmp(hdr->fields[i], key, klen) == 0) return (int)i;
    return -1;
}

/* Serves delivery reports until none is outstanding or the deadline
 * passes. Returns messages still in flight. */
static int drain(rd_kafka_t *rk, double deadline) {
    while (rd_kafka_outq_len(rk) > 0 && stats_now() < deadline) rd_kafka_poll(rk, 50);
    return rd_kafka_outq_len(rk);
}

/* Value bytes produced and not yet consumed: this run's, or with workers
 * of a shared run the whole group's as last heard (dist_run.c). */
static int64_t window_ahead(pipeline *pl) {
    int64_t ahead =
        (int64_t)atomic_load(&pl->produced_bytes) - (int64_t)atomic_load(&pl->consumed_bytes);
    if (pl->share)
        ahead += (int64_t)atomic_load(&pl->others_produced_bytes) -
                 (int64_t)atomic_load(&pl->others_consumed_bytes);
    return ahead;
}

/* With several consumers in a group, start sending once the group has
 * formed (every member holds a partition, all partitions are held), so
 * every member takes part; bounded to 60 s. */
static void wait_for_group(pipeline *pl) {
    const workload *wl = pl->wl;
    /* a worker of a shared run: its gate waited for the whole group */
    if (!wl->consume || wl->consumers < 2 || !pl->start_offsets || pl->share) return;
    double deadline = stats_now() + 60;
    while (!atomic_load(&pl->stop) && stats_now() < deadline) {
        int held = 0, members = 0;
        for (int i = 0; i < wl->consumers && i < PIPELINE_MAX_CONSUMERS; i++) {
            int n = atomic_load(&pl->assigned[i]);
            held += n;
            members += n > 0;
        }
        int want = wl->consumers < pl->partitions ? wl->consumers : pl->partitions;
        if (held == pl->partitions && members >= want) return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "kengine: note: the consumer group did not settle within 60 s; "
                    "producing anyway\n");
}

void *kafka_producer_thread(void *arg) {
    kafka_producer_job *job = arg;
    pipeline *pl = job->pl;
    const workload *wl = pl->wl;
    producer_state st = {.job = job};
    encode_buf buf = {0};
    worker_cache cache = {0};
    rd_kafka_t *rk = NULL;
    char err[512];

    /* Throughput-tuned, and bounded: at most 8 MiB waits in the client, so
     * memory does not grow with the record count (README: producer defaults). */
    const char *defaults[] = {"enable.idempotence",
                              "true",
                              "linger.ms",
                              wl->mode == WORKLOAD_SYNC ? "0" : "5",
                              "batch.num.messages",
                              "10000",
                              "queue.buffering.max.messages",
                              "100000",
                              "queue.buffering.max.kbytes",
                              "8192",
                              "reconnect.backoff.max.ms",
                              "1000", /* back soon after an outage */
                              NULL};
    rd_kafka_conf_t *conf =
        kafka_conf_build(pl->brokers, defaults, &wl->producer, "producer", err, sizeof err);
    if (!conf) {
        pipeline_fail(pl, EXITCODE_USAGE, "%s", err);
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    char errstr[256];
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        pipeline_fail(pl, EXITCODE_USAGE, "producer: %s", errstr);
        goto out;
    }

    const csvsrc_row *hdr = csvsrc_header(job->csv);
    int keycol = -1;
    if (wl->key) {
        keycol = key_column(hdr, wl->key);
        if (keycol < 0) {
            pipeline_fail(pl, EXITCODE_USAGE,
                          "field 'key': column '%s' is not in the CSV header of %s", wl->key,
                          wl->csv);
            goto out;
        }
    }
    worker_cache_init(&cache, csvsrc_rows(job->csv), WORKER_CACHE_LIMIT);

    wait_for_group(pl);
    worker_phase plan[PIPELINE_MAX_PHASES];
    const size_t nphases = worker_plan(wl, plan);
    const uint64_t bsize = wl->batch_size;
    const uint64_t batches = worker_batches(workload_records(wl), bsize);
    worker_batch pb = {0};
    worker_batch_start(&pb, stats_now(), stats_cpu_seconds());
    double first_send = 0;
    unsigned char hdrval[PIPELINE_HEADER_LEN];
    worker_header hv = {.run_id = pl->run_id};
    uint64_t seq = 0;
    bool stopped = false;

    uint64_t rows_taken = 0; /* csvsrc_next calls so far */
    for (size_t ph = 0; ph < nphases && !stopped; ph++) {
        const worker_phase *pp = &plan[ph];
        if (pl->share) {
            /* a worker of a shared run sends its share of the phase: its
             * sequence numbers, with the rows a single run would send them
             * with (row = seq mod rows, when the CSV is cached) */
            if (!pp->records) continue;
            seq = pl->share->seq_base[ph];
            size_t nrows = csvsrc_rows(job->csv);
            while (nrows && rows_taken % nrows != seq % nrows) {
                csvsrc_row skip;
                if (csvsrc_next(job->csv, &skip, err, sizeof err) < 0) {
                    pipeline_fail(pl, EXITCODE_USAGE, "%s", err);
                    stopped = true;
                    break;
                }
                rows_taken++;
            }
            if (stopped) break;
        }
        const int64_t start_us = stats_wall_us();
        const double start = stats_now();
        int64_t last_send_us = start_us;
        hv.phase = (uint32_t)ph;
        for (uint64_t i = 0;; i++, seq++) {
            if (worker_phase_ends(pp, i, start, stats_now)) break;
            if (atomic_load(&pl->stop)) {
                stopped = true;
                break;
            }
            csvsrc_row row;
            if (csvsrc_next(job->csv, &row, err, sizeof err) < 0) {
                pipeline_fail(pl, EXITCODE_USAGE, "%s", err);
                stopped = true;
                break;
            }
            rows_taken++;
            const char *value;
            size_t vlen;
            uint64_t w;
            if (!worker_cache_get(&cache, row.index, &value, &vlen, &w)) {
                if (encode_row(&buf, wl->format, hdr, &row)) {
                    pipeline_fail(pl, EXITCODE_RUNTIME, "out of memory encoding a message");
                    stopped = true;
                    break;
                }
                value = buf.data;
                vlen = buf.len;
                w = words_count(buf.data, buf.len);
                worker_cache_put(&cache, row.index, buf.data, buf.len, (uint32_t)w);
            }

            int64_t now_us = stats_wall_us(), send_us = now_us;
            if (pp->rate > 0) {
                send_us = worker_send_time(start_us, i, pp->rate);
                while (now_us < send_us && !atomic_load(&pl->stop)) {
                    int64_t ms = (send_us - now_us) / 1000;
                    rd_kafka_poll(rk, ms > 100 ? 100 : (int)ms);
                    now_us = stats_wall_us();
                }
            }
            /* the embedded broker forgets old data: stay within reach of the consumer */
            while (pl->window_bytes && !atomic_load(&pl->stop) &&
                   window_ahead(pl) > (int64_t)pl->window_bytes)
                rd_kafka_poll(rk, 1);

            hv.seq = seq;
            hv.send_us = send_us;
            worker_header_put(hdrval, &hv);
            const void *kptr = keycol >= 0 ? row.fields[keycol] : NULL;
            size_t klen = keycol >= 0 ? row.lens[keycol] : 0;
            if (!first_send) first_send = stats_now();
            rd_kafka_resp_err_t e;
            for (;;) {
                e = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(wl->topic), RD_KAFKA_V_VALUE((void *)value, vlen),
                    RD_KAFKA_V_KEY(kptr, klen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_TIMESTAMP(now_us / 1000),
                    RD_KAFKA_V_HEADER(PIPELINE_HEADER, hdrval, PIPELINE_HEADER_LEN),
                    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || atomic_load(&pl->stop)) break;
                rd_kafka_poll(rk, 10);
            }
            if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                /* refused before sending: counted as a failed delivery */
                char what[256];
                snprintf(what, sizeof what,
                         "record %llu (%s line %llu): message of %zu bytes is larger than "
                         "the producer's message.max.bytes",
                         (unsigned long long)seq, wl->csv, (unsigned long long)row.line, vlen);
                job->sent++;
                note_failure(&st, seq, what);
                if (wl->oversize == WORKLOAD_OVERSIZE_STOP) {
                    pipeline_fail(pl, EXITCODE_RUNTIME, "%s", what);
                    stopped = true;
                    break;
                }
            } else if (e) {
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    pipeline_fail(pl, EXITCODE_RUNTIME, "produce to '%s' failed: %s", wl->topic,
                                  rd_kafka_err2str(e));
                stopped = true;
                break;
            } else {
                job->sent++;
                atomic_fetch_add(&pl->produced_bytes, vlen);
            }
            job->phase_sent[ph]++;
            last_send_us = now_us;
            if (wl->mode == WORKLOAD_SYNC) {
                while (job->delivered + job->errors < job->sent && !atomic_load(&pl->stop))
                    rd_kafka_poll(rk, 100);
            } else if ((job->sent & 1023) == 0) {
                rd_kafka_poll(rk, 0);
            }
            if (worker_batch_add(&pb, vlen, w, bsize))
                batch_post(pl, &pb, batches, job->delivered, pp->name);
            if (rd_kafka_fatal_error(rk, errstr, sizeof errstr)) {
                pipeline_fail(pl, EXITCODE_RUNTIME, "producer fatal error: %s", errstr);
                stopped = true;
                break;
            }
        }
        job->phase_seconds[ph] =
            job->phase_sent[ph] ? (double)(last_send_us - start_us) / 1e6 : 0;
    }
    batch_post(pl, &pb, batches, job->delivered,
               plan[nphases - 1].name); /* the final partial batch */

    /* Flush: wait for every delivery report. The message timeout
     * (delivery.timeout.ms) bounds this; a stop request bounds it to 10 s. */
    double deadline = stats_now() + (atomic_load(&pl->stop) ? 10.0 : 600.0);
    int left = drain(rk, deadline);
    if (left > 0) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        drain(rk, stats_now() + 5.0);
    }
    if (first_send && st.last_dr) job->produce_seconds = st.last_dr - first_send;
    if (st.oom)
        pipeline_error(pl, EXITCODE_RUNTIME, "out of memory tracking failed deliveries");
    if (job->errors)
        pipeline_error(
            pl, EXITCODE_RUNTIME, "%llu of %llu messages failed delivery (first: %s)",
            (unsigned long long)job->errors, (unsigned long long)job->sent, st.first_error);
out:
    atomic_store(&pl->delivered, job->delivered);
    atomic_store(&pl->producer_done, true);
    if (rk) rd_kafka_destroy(rk);
    worker_cache_free(&cache);
    encode_buf_free(&buf);
    pipeline_worker_exit(pl);
    return NULL;
}
