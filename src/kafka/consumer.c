/*
 * consumer: the consumer thread. Reads messages (in bulk when no
 * rebalance can happen, else one at a time: librdkafka 2.0.2's batch calls
 * misbehave during rebalances), groups them into batches of `batch_size`, and for
 * each batch computes words, distinct words, bytes, throughput over the
 * batch's own interval, process CPU, RSS and end-to-end latency.
 *
 * When the same run produces, the consumer is assigned each partition at
 * the offset where this run's messages begin (read before producing) and
 * skips messages of other runs by the run id in the "kengine" header, so
 * old data in a reused topic never counts. Sequence numbers are tracked in
 * a bitmap (one bit per record): the engine derives the loss from it,
 * duplicates are counted per consumer. That accounting, the words, the
 * batches and when to stop are flow.c's plain functions; this file holds
 * the librdkafka side: the client and the canonical loop (consume: fetch,
 * serve each message, check the end; then close, the one way out).
 */
#include "logger.h"
#include "kafka.h"
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Posts the batch being filled (if any) to the main thread. */
static void batch_flush(hub *pl, kafka_consumer_job *job) {
    run_batch b;
    if (flow_consumer_flush(&job->acc, pl, job->index + 1, stats_now(), stats_cpu_seconds(),
                            stats_rss_mb(), &b)) {
        kafka_stats_batch(&job->stats, &b);
        hub_post(pl, &b);
    }
}

/* librdkafka's statistics, once a window, served by this thread's poll:
 * the brokers' latency and the partitions' lag (kafka/stats.c). */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    (void)len;
    kafka_consumer_job *job = opaque;
    kafka_stats_take(&job->stats, json);
    return 0; /* librdkafka frees json */
}

/* Group rebalances when several consumers share the run: partitions are
 * assigned at this run's start offsets, so nothing older is read and
 * nothing of this run is skipped. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    kafka_consumer_job *job = opaque;
    hub *pl = job->pl;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* a worker of a shared run resumes where the partition's previous
         * holder (maybe on another machine) stopped: its committed offset */
        if (pl->share && rd_kafka_committed(rk, parts, 10000))
            for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        for (int i = 0; pl->start_offsets && i < parts->cnt; i++) {
            int32_t p = parts->elems[i].partition;
            if (pl->share && parts->elems[i].offset >= 0) continue;
            if (p >= 0 && p < pl->partitions) parts->elems[i].offset = pl->start_offsets[p];
        }
        rd_kafka_assign(rk, parts);
        atomic_store(&pl->assigned[job->index], parts->cnt);
    } else {
        /* commit what was consumed before letting go, so the next holder
         * neither reads it again nor skips anything (synchronous: the
         * group's next generation waits for this member) */
        if (pl->share) rd_kafka_commit(rk, NULL, 0);
        rd_kafka_assign(rk, NULL);
        atomic_store(&pl->assigned[job->index], 0);
    }
}

/* The consumer's configuration: kengine's defaults (the workload's
 * `consumer` settings override them), and the rebalance callback of a
 * group that starts at this run's offsets. NULL with err. */
static rd_kafka_conf_t *consumer_conf(kafka_consumer_job *job, bool assign, char *err,
                                      size_t errlen) {
    hub *pl = job->pl;
    const workload *wl = pl->wl;
    const char *defaults[24];
    int n = 0;
#define DEFAULT(k, v) (defaults[n++] = (k), defaults[n++] = (v))
    DEFAULT("group.id", wl->group);
    DEFAULT("auto.offset.reset", "earliest");
    DEFAULT("enable.partition.eof", "false");
    /* transactions: aborted messages must never be read (librdkafka's
     * default too, said here because exactly-once depends on it) */
    if (wl->transactional) DEFAULT("isolation.level", "read_committed");
    /* librdkafka 2.0.2 stops fetching every partition once the consumer's
     * queue holds queued.min.messages (100000; it counts the one queue
     * all partitions feed) and starts again only when its broker thread
     * next wakes, up to a second later: a consumer that fell behind for a
     * moment stalled (BENCHMARKS.md, "Data that does not repeat"). The queue stays bounded by queued.max.messages.kbytes
     * (64 MiB), which the same stall still follows, much more rarely. */
    DEFAULT("queued.min.messages", "10000000");
    /* back within a second of a broker's return (default: up to 10 s,
     * as long as the idle timeout) */
    DEFAULT("reconnect.backoff.max.ms", "1000");
    /* where the time went, and the partitions' lag (stats.c) */
    DEFAULT("statistics.interval.ms", KAFKA_STATS_INTERVAL_MS);
    /* the mock broker holds an empty fetch for its whole wait even when data
     * arrives meanwhile: ask often. Kafka holds a fetch whose partitions are
     * all caught up for its whole wait too, and a broker has one fetch in
     * flight: when the others' fetching stopped at the queue's limit (see
     * wake_fetchers), they wait for it (500 ms by default; BENCHMARKS.md,
     * "Data that does not repeat"). */
    DEFAULT("fetch.wait.max.ms", pl->mock ? "10" : "100");
    /* the mock's group coordinator waits session.timeout.ms - 1 s (44 s by
     * default) before it answers a member that joins a group already up,
     * even when every member has rejoined; a worker whose consumer comes a
     * little late would stall the run's start that long */
    if (pl->mock && !assign) {
        DEFAULT("session.timeout.ms", "6000");
        DEFAULT("heartbeat.interval.ms", "1000");
    }
    /* assigned at this run's own start offsets, committing is pointless, and
     * the final commit costs a second at close */
    if (pl->start_offsets || pl->share) DEFAULT("enable.auto.commit", "false");
#undef DEFAULT
    defaults[n] = NULL;
    rd_kafka_conf_t *conf =
        kafka_conf_build(pl->brokers, defaults, &wl->consumer, "consumer", err, errlen);
    if (conf) {
        rd_kafka_conf_set_stats_cb(conf, on_stats);
        rd_kafka_conf_set_opaque(conf, job);
    }
    if (conf && (pl->start_offsets || pl->share) && !assign)
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    return conf;
}

/* Assigns every partition (`assign`: at this run's start offsets, else at
 * the committed ones) or subscribes to the topic (a group). */
static rd_kafka_resp_err_t consumer_attach(rd_kafka_t *rk, const hub *pl, bool assign) {
    const char *topic = workload_consume_topic(pl->wl);
    rd_kafka_topic_partition_list_t *tl =
        rd_kafka_topic_partition_list_new(assign ? pl->partitions : 1);
    rd_kafka_resp_err_t e;
    if (assign) {
        for (int p = 0; p < pl->partitions; p++)
            rd_kafka_topic_partition_list_add(tl, topic, p)->offset =
                pl->start_offsets ? pl->start_offsets[p] : RD_KAFKA_OFFSET_STORED;
        e = rd_kafka_assign(rk, tl);
    } else {
        rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
        e = rd_kafka_subscribe(rk, tl);
    }
    rd_kafka_topic_partition_list_destroy(tl);
    return e;
}

/* The run's consumer, attached to its partitions. A single consumer is
 * assigned every partition directly: at this run's start offsets when it
 * also produces, else at the group's committed offsets (auto.offset.reset
 * where none), which keeps group semantics without the join protocol's
 * delay. Several consumers form a consumer group. NULL with err. */
static rd_kafka_t *consumer_new(kafka_consumer_job *job, char *err, size_t errlen) {
    const hub *pl = job->pl;
    const bool assign = pl->wl->consumers == 1 && !pl->share && pl->partitions > 0;
    rd_kafka_conf_t *conf = consumer_conf(job, assign, err, errlen);
    if (!conf) return NULL;
    char errstr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "consumer: %s", errstr);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_resp_err_t e = consumer_attach(rk, pl, assign);
    if (e) {
        snprintf(err, errlen, "consumer: cannot %s '%s': %s",
                 assign ? "assign" : "subscribe to", workload_consume_topic(pl->wl),
                 rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

#define FETCH_MAX 1024

/* librdkafka 2.0.2 stops fetching a partition while the consumer queue
 * holds queued.max.messages.kbytes (64 MiB) and looks again only when its
 * broker thread next wakes, up to a second later. A consumer that fell
 * that far behind (a local Kafka serves faster than words are counted)
 * drains the queue and then waits (BENCHMARKS.md, "Data that does not
 * repeat"). Called when a poll came back
 * empty: if the last fetch showed records past our position, a ListOffsets
 * request to those partitions' leaders wakes their broker threads, which
 * then fetch again. Its answer is not needed: the request wakes them when
 * it is queued, and waiting longer than a local round trip would only hold
 * up the messages that arrive meanwhile (librdkafka drops a late answer). */
#define WAKE_TIMEOUT_MS 5
#define POLL_MS         100 /* longest wait for a message before the end checks */
#define WAKE_AFTER_MS   10  /* an empty queue this long: wake_fetchers() */

static void wake_fetchers(rd_kafka_t *rk) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(rk, &parts) || !parts) return;
    rd_kafka_topic_partition_list_t *lag = NULL;
    if (parts->cnt && !rd_kafka_position(rk, parts)) {
        for (int i = 0; i < parts->cnt; i++) {
            const rd_kafka_topic_partition_t *p = &parts->elems[i];
            int64_t lo, hi;
            if (rd_kafka_get_watermark_offsets(rk, p->topic, p->partition, &lo, &hi) ||
                !flow_fetch_lags(p->offset, hi))
                continue;
            if (!lag) lag = rd_kafka_topic_partition_list_new(parts->cnt);
            /* a ListOffsets for the latest offset (timestamp -1) */
            rd_kafka_topic_partition_list_add(lag, p->topic, p->partition)->offset = -1;
        }
    }
    if (lag) {
        (void)rd_kafka_offsets_for_times(rk, lag, WAKE_TIMEOUT_MS);
        rd_kafka_topic_partition_list_destroy(lag);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* The next message, waiting up to ms: from the consumer queue (a single
 * consumer, batches drained after it) or by consumer_poll (a group). */
static rd_kafka_message_t *poll_one(rd_kafka_t *rk, rd_kafka_queue_t *queue, int ms) {
    return queue ? rd_kafka_consume_queue(queue, ms) : rd_kafka_consumer_poll(rk, ms);
}

/* One message: its kengine header, then flow_consume's accounting;
 * flushes a full batch. */
static void consume_one(hub *pl, kafka_consumer_job *job, const rd_kafka_message_t *m,
                        double now, int64_t now_us) {
    const void *h = NULL;
    size_t hsize = 0;
    rd_kafka_headers_t *hdrs;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(hdrs, HUB_HEADER, &h, &hsize) != RD_KAFKA_RESP_ERR_NO_ERROR)
        h = NULL;
    flow_verdict v = flow_consume(&job->acc, pl, h, hsize, m->payload, m->len, now, now_us);
    if (v != FLOW_SKIPPED) flow_counts_add(&job->acc.partitions, m->partition, 1);
    if (v == FLOW_FULL) batch_flush(pl, job);
}

/* Hands the last second's latencies to the progress line: the published
 * histogram and ours swap places, and ours starts the next second empty. */
static void publish_recent(hub *pl, int index, stats_hist **mine) {
    pthread_mutex_lock(&pl->mu);
    stats_hist *old = pl->recent[index];
    pl->recent[index] = *mine;
    pthread_mutex_unlock(&pl->mu);
    if (old)
        stats_hist_reset(old);
    else
        old = stats_hist_new();
    *mine = old; /* NULL on OOM: no more publishing */
}

/* The first message, waiting up to POLL_MS (the fetchers woken after
 * WAKE_AFTER_MS of nothing), then (a single consumer) what else the queue
 * holds, up to FETCH_MAX. Returns how many. Blocks for the first message
 * only: waiting for a full batch would add its fill time to every
 * message's latency. */
static ssize_t fetch(rd_kafka_t *rk, rd_kafka_queue_t *queue, rd_kafka_message_t **msgs) {
    msgs[0] = poll_one(rk, queue, WAKE_AFTER_MS);
    if (!msgs[0]) {
        wake_fetchers(rk);
        msgs[0] = poll_one(rk, queue, POLL_MS - WAKE_AFTER_MS);
    }
    ssize_t n = msgs[0] ? 1 : 0;
    if (n && queue) {
        ssize_t more = rd_kafka_consume_batch_queue(queue, 0, msgs + 1, FETCH_MAX - 1);
        if (more > 0) n += more;
    }
    return n;
}

/* Accounts the fetched messages (consume_one) and destroys them; an error
 * is logged (at most one every 5 s, *last_warn when the last was). -1
 * after a fatal error: the run failed. */
static int serve(hub *pl, kafka_consumer_job *job, rd_kafka_message_t **msgs, ssize_t n,
                 double now, int64_t now_us, double *last_warn) {
    int rc = 0;
    for (ssize_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (!m->err) {
            consume_one(pl, job, m, now, now_us);
        } else {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && now - *last_warn > 5.0) {
                logger_msg("consumer: %s", rd_kafka_message_errstr(m));
                *last_warn = now;
            }
            if (m->err == RD_KAFKA_RESP_ERR__FATAL && !rc) {
                hub_fail(pl, EXITCODE_RUNTIME, "consumer fatal error: %s",
                         rd_kafka_message_errstr(m));
                rc = -1;
            }
        }
        rd_kafka_message_destroy(m);
    }
    return rc;
}

/* The loop: fetch, account each message, hand the last second's latencies
 * to the progress line, and ask flow_consumer_ends whether to stop; then
 * the last partial batch. Without rebalances (a single, assigned consumer)
 * messages are taken from the queue in batches; with a group, one at a
 * time, as librdkafka 2.0.2's batch calls misbehave during rebalances. */
static void consume(rd_kafka_t *rk, kafka_consumer_job *job, double recent_start) {
    hub *pl = job->pl;
    const workload *wl = pl->wl;
    const uint64_t records = workload_records(wl); /* 0 = unknown (phases by duration) */
    rd_kafka_queue_t *queue =
        wl->consumers == 1 && !pl->share ? rd_kafka_queue_get_consumer(rk) : NULL;
    rd_kafka_message_t *msgs[FETCH_MAX];
    double last_warn = 0;
    int64_t done_us = 0; /* when this consumer first saw the producer done */
    flow_end end = FLOW_READING;
    atomic_store(&pl->last_message_us, stats_wall_us());
    while (end == FLOW_READING && !atomic_load(&pl->stop)) {
        ssize_t n = fetch(rk, queue, msgs);
        double now = stats_now();
        int64_t now_us = stats_wall_us();
        if (serve(pl, job, msgs, n, now, now_us, &last_warn)) break;
        if (job->acc.recent && now - recent_start >= 1.0) {
            publish_recent(pl, job->index, &job->acc.recent);
            recent_start = now;
        }
        end = flow_consumer_ends(pl, records, &done_us, stats_wall_us);
    }
    if (end == FLOW_IDLE && job->index == 0)
        logger_msg("consumer: no message for %.0f s, stopping", wl->idle_timeout);
    batch_flush(pl, job);
    if (queue) rd_kafka_queue_destroy(queue);
}

void *kafka_consumer_thread(void *arg) {
    kafka_consumer_job *job = arg;
    hub *pl = job->pl;
    char err[512];
    /* the progress line's latency over the last second */
    if (pl->progress) job->acc.recent = stats_hist_new();
    double recent_start = stats_now();
    rd_kafka_t *rk = consumer_new(job, err, sizeof err);
    if (rk) {
        consume(rk, job, recent_start);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    } else {
        hub_fail(pl, EXITCODE_USAGE, "%s", err);
    }
    hub_worker_exit(pl);
    return NULL;
}
