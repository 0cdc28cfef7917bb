/*
 * producer: the producer thread. Pulls rows from the CSV source
 * (which cycles to replicate them), encodes each into a reused buffer and
 * hands it to librdkafka, which copies it.
 *
 * The thread is librdkafka's canonical loop (examples/producer.c): set up
 * (producer_open); for each phase, for each message: decide (stop, value,
 * pacing, header, key), produce (within its transaction), poll
 * (produce_phase); flush (producer_finish); tear down (producer_close,
 * the one way out). Each decision is a named static function below, and
 * what needs no client is flow.c's. Delivery reports are counted in
 * the callback, never printed one by one; failed ones are remembered by
 * sequence number so loss can be told apart from failed delivery. Every
 * `batch_size` messages a produce_batch event goes to the main thread.
 *
 * Each message carries the "kengine" header (sequence number, intended
 * send time, run id, phase; see hub.h) and its produce time as the
 * Kafka timestamp. With a rate, the intended send time of the i-th message
 * of a phase is phase start + i/rate, so latency measured from it includes
 * any stall of ours or the broker's (no coordinated omission).
 *
 * Phases run one after another; a phase ends after its `records` messages
 * or its `duration`. Without phases the workload is one phase of
 * `records` messages at `rate`.
 */
#include "logger.h"
#include "kafka.h"
#include "conf.h"
#include "keys.h"
#include "avro_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- transactions ----
 * Each transaction's messages are kept (value, key, header, timestamp)
 * until it ends, so a transaction that Kafka makes us abort (a timed-out
 * message, a fenced epoch after a broker restart) is sent again whole in a
 * new one: the consumer, reading committed messages only, sees each once.
 * An abort on purpose (abort_every) is counted as aborted, never resent. */
typedef struct {
    uint64_t seq;
    int64_t ts_ms;
    size_t off, vlen, klen; /* value then key at data + off */
    int32_t partition;      /* where its delivery report says it went, -1 before */
    unsigned char hdr[HUB_HEADER_LEN];
} txn_msg;

typedef struct {
    txn_msg *msgs;
    size_t n, cap;
    char *data;
    size_t used, size;
    uint64_t no; /* transactions begun so far (1-based number of the current) */
} txn_state;

/* The producer thread's state, from set-up to tear-down; also the
 * delivery callback's opaque. */
typedef struct {
    kafka_producer_job *job;
    hub *pl;
    const workload *wl;
    rd_kafka_t *rk; /* the client (replaced when a transaction's fails); NULL
                       when a replacement could not start */
    /* delivery reports (on_delivery) */
    double last_dr; /* time of the latest delivery report */
    char first_error[256];
    bool oom;           /* the failed-bitmap could not grow */
    bool transactional; /* delivery counts come from transaction outcomes */
    txn_state txn;      /* the current transaction's messages */
    /* the input */
    const csvsrc_row *hdr;     /* the CSV's header */
    int keycol;                /* the key column, or -1 */
    keys_gen keys;             /* synthetic keys (key_distribution) */
    flow_cache cache;          /* each row's value, once encoded */
    encode_buf buf;            /* a value being encoded */
    payload_avro_writer *avro; /* format avro's encoder, else NULL */
    encode_buf json;           /* format avro: the value's JSON rendering, for its words */
    uint64_t rows_taken;       /* csvsrc_next calls so far */
    /* the plan, and where the run is */
    flow_phase plan[HUB_MAX_PHASES];
    size_t nphases;
    uint64_t batches;  /* batches the run will post, 0 if unknown */
    flow_batch batch;  /* the batch being filled */
    flow_header hv;    /* the next message's header */
    uint64_t seq;      /* the next message's sequence number */
    uint64_t txn_size; /* messages per transaction */
    uint64_t txn_i;    /* messages this producer has sent in transactions: a
                          worker's first sequence number is its share's, not 0,
                          so boundaries count from here */
    double first_send; /* stats_now() of the first send, 0 before */
    bool stopped;      /* the run stops: no further message, no further phase */
    char keybuf[KEYS_MAX_LEN];
    char err[512];
} producer;

/* The message being sent. */
typedef struct {
    csvsrc_row row;
    const char *value;
    size_t vlen;
    uint64_t words;
    const void *key;
    size_t klen;
    int64_t now_us;  /* its produce time (the Kafka timestamp, in ms) */
    int64_t send_us; /* its intended send time (the header's) */
    unsigned char hdr[HUB_HEADER_LEN];
} outgoing;

/* The kept message of the current transaction with sequence number seq. */
static txn_msg *txn_find(txn_state *t, uint64_t seq) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->msgs[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->msgs[lo].seq == seq ? &t->msgs[lo] : NULL;
}

static void note_failure(producer *p, uint64_t seq, const char *what) {
    if (!p->job->errors) snprintf(p->first_error, sizeof p->first_error, "%s", what);
    p->job->errors++;
    if (hub_bits_set(&p->job->failed, seq) < 0) p->oom = true;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    producer *p = opaque;
    if (p->transactional) {
        /* a message in the log is delivered only once its transaction
         * commits (txn_end counts it); one purged by an abort is not a
         * failure. Only where the committed ones went is noted here. */
        txn_msg *tm = m->err ? NULL : txn_find(&p->txn, (uint64_t)(uintptr_t)m->_private);
        if (tm) tm->partition = m->partition;
        p->last_dr = stats_now();
        return;
    }
    if (m->err) {
        char what[256];
        snprintf(what, sizeof what, "record %llu: %s",
                 (unsigned long long)(uintptr_t)m->_private, rd_kafka_err2str(m->err));
        note_failure(p, (uint64_t)(uintptr_t)m->_private, what);
    } else {
        p->job->delivered++;
        flow_counts_add(&p->job->part_delivered, m->partition, 1);
    }
    /* the time of the last report matters; reading the clock for every
     * one would cost more than the report itself */
    uint64_t reported = p->job->delivered + p->job->errors;
    if ((reported & 255) == 0 || reported >= p->job->sent) p->last_dr = stats_now();
}

/* librdkafka's statistics, once a window, served by this thread's poll:
 * parsed into the job's latest window (kafka/stats.c). */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    (void)len;
    producer *p = opaque;
    kafka_stats_take(&p->job->stats, json);
    return 0; /* librdkafka frees json */
}

/* Posts the batch being filled (if any) to the main thread, as sent in
 * `phase`. */
static void batch_post(producer *p, const char *phase) {
    run_batch b;
    if (!flow_batch_take(&p->batch, RUN_PRODUCE, stats_now(), stats_cpu_seconds(),
                         stats_rss_mb(), &b))
        return;
    b.batches = p->batches;
    b.delivered = p->job->delivered;
    b.phase = phase;
    kafka_stats_batch(&p->job->stats, &b);
    hub_post(p->pl, &b);
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
 * of a shared run the whole group's as last heard (dist/worker.c). */
static int64_t window_ahead(hub *pl) {
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
static void wait_for_group(hub *pl) {
    const workload *wl = pl->wl;
    /* a worker of a shared run: its gate waited for the whole group */
    if (!wl->consume || wl->consumers < 2 || !pl->start_offsets || pl->share) return;
    double deadline = stats_now() + 60;
    while (!atomic_load(&pl->stop) && stats_now() < deadline) {
        int held = 0, members = 0;
        for (int i = 0; i < wl->consumers && i < HUB_MAX_CONSUMERS; i++) {
            int n = atomic_load(&pl->assigned[i]);
            held += n;
            members += n > 0;
        }
        int want = wl->consumers < pl->partitions ? wl->consumers : pl->partitions;
        if (held == pl->partitions && members >= want) return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    logger_msg("note: the consumer group did not settle within 60 s; producing anyway");
}

static int txn_keep(txn_state *t, uint64_t seq, int64_t ts_ms, const void *v, size_t vlen,
                    const void *k, size_t klen, const unsigned char *hdr) {
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        txn_msg *m = realloc(t->msgs, nc * sizeof *m);
        if (!m) return -1;
        t->msgs = m;
        t->cap = nc;
    }
    if (t->used + vlen + klen > t->size) {
        size_t ns = t->size ? t->size : 1 << 16;
        while (ns < t->used + vlen + klen) ns *= 2;
        char *d = realloc(t->data, ns);
        if (!d) return -1;
        t->data = d;
        t->size = ns;
    }
    txn_msg *m = &t->msgs[t->n++];
    m->seq = seq;
    m->ts_ms = ts_ms;
    m->off = t->used;
    m->vlen = vlen;
    m->klen = klen;
    m->partition = -1;
    memcpy(m->hdr, hdr, HUB_HEADER_LEN);
    if (vlen) memcpy(t->data + t->used, v, vlen);
    if (klen) memcpy(t->data + t->used + vlen, k, klen);
    t->used += vlen + klen;
    return 0;
}

static void txn_free(txn_state *t) {
    free(t->msgs);
    free(t->data);
}

/* Hands one message to librdkafka (which copies it) with kengine's header
 * and its sequence number as the opaque, waiting while the client's queue
 * is full; gives up waiting when *stop is set (stop NULL: never). */
static rd_kafka_resp_err_t send_message(rd_kafka_t *rk, const char *topic, const void *v,
                                        size_t vlen, const void *k, size_t klen, int64_t ts_ms,
                                        const unsigned char *hdr, uint64_t seq,
                                        atomic_bool *stop) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)v, vlen),
            RD_KAFKA_V_KEY(k, klen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_TIMESTAMP(ts_ms), RD_KAFKA_V_HEADER(HUB_HEADER, hdr, HUB_HEADER_LEN),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || (stop && atomic_load(stop))) return e;
        rd_kafka_poll(rk, 10);
    }
}

/* Sends message m of the kept transaction again. */
static rd_kafka_resp_err_t txn_resend(rd_kafka_t *rk, const workload *wl, const txn_state *t,
                                      const txn_msg *m) {
    return send_message(rk, wl->topic, t->data + m->off, m->vlen,
                        m->klen ? t->data + m->off + m->vlen : NULL, m->klen, m->ts_ms, m->hdr,
                        m->seq, NULL);
}

/* A producer client for the run: throughput-tuned, and bounded (at most
 * 8 MiB waits in the client, so memory does not grow with the record
 * count; docs/writing-workloads.md, client defaults); with transactions, a transactional
 * id for the run and its transactions initialised (which also aborts
 * whatever an earlier client of the same id left open). NULL with the run
 * failed. */
static rd_kafka_t *producer_new(producer *p) {
    hub *pl = p->pl;
    const workload *wl = pl->wl;
    char err[512];
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
                              "statistics.interval.ms",
                              KAFKA_STATS_INTERVAL_MS, /* where the time went (stats.c) */
                              NULL};
    rd_kafka_conf_t *conf =
        kafka_conf_build(pl->brokers, defaults, &wl->producer, "producer", err, sizeof err);
    if (!conf) {
        hub_fail(pl, EXITCODE_USAGE, "%s", err);
        return NULL;
    }
    char errstr[256];
    if (wl->transactional) {
        /* one transactional id per run (and per worker of a run) */
        char tid[64];
        if (wl->workers > 1) /* the run's workers share its run tag */
            snprintf(tid, sizeof tid, "kengine-%016llx-w%d", (unsigned long long)pl->run_id,
                     wl->worker);
        else
            snprintf(tid, sizeof tid, "kengine-%016llx", (unsigned long long)pl->run_id);
        if (rd_kafka_conf_set(conf, "transactional.id", tid, errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            hub_fail(pl, EXITCODE_USAGE, "producer: transactional.id: %s", errstr);
            return NULL;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        hub_fail(pl, EXITCODE_USAGE, "producer: %s", errstr);
        return NULL;
    }
    if (wl->transactional) {
        rd_kafka_error_t *error = rd_kafka_init_transactions(rk, 60000);
        if (error) {
            hub_fail(pl, EXITCODE_RUNTIME, "producer: cannot start transactions: %s",
                     rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            rd_kafka_destroy(rk);
            return NULL;
        }
    }
    return rk;
}

/* Commits (or aborts on purpose) the current transaction, retrying
 * retriable errors (a broker restarting) for up to two minutes. */
static rd_kafka_error_t *txn_end_once(rd_kafka_t *rk, bool abort) {
    double deadline = stats_now() + 120;
    /* An abort on purpose aborts messages that are in the log: only then
     * does it test that read_committed consumers skip them (without the
     * flush librdkafka would purge most of them locally). */
    if (abort) rd_kafka_flush(rk, 60000);
    for (;;) {
        rd_kafka_error_t *error = abort ? rd_kafka_abort_transaction(rk, 60000)
                                        : rd_kafka_commit_transaction(rk, 60000);
        if (!error || !rd_kafka_error_is_retriable(error) || stats_now() > deadline)
            return error;
        rd_kafka_error_destroy(error);
    }
}

/* Counts the ended transaction's messages as delivered (with their
 * partitions) or as aborted on purpose. */
static int txn_count(hub *pl, kafka_producer_job *job, txn_state *t, bool aborted) {
    for (size_t i = 0; i < t->n; i++) {
        if (!aborted) {
            flow_counts_add(&job->part_delivered, t->msgs[i].partition, 1);
        } else if (hub_bits_set(&job->aborted, t->msgs[i].seq) < 0) {
            hub_fail(pl, EXITCODE_RUNTIME, "out of memory tracking aborts");
            return -1;
        }
    }
    if (aborted)
        job->aborted_count += t->n;
    else
        job->delivered += t->n;
    t->n = t->used = 0;
    return 0;
}

/* Ends the current transaction: commits it, or aborts it on purpose.
 * When Kafka makes us abort it (an abortable error), it is sent again whole
 * in a new transaction; when the client can no longer go on (a fatal error,
 * e.g. its epoch fenced after a coordinator restart), a new client with
 * the same transactional id takes over (its initialisation aborts what the
 * old one left open) and sends it again. Up to 10 attempts. 0, or -1 with
 * the run failed. */
static int txn_end(producer *p) {
    kafka_producer_job *job = p->job;
    hub *pl = p->pl;
    const workload *wl = p->wl;
    txn_state *t = &p->txn;
    rd_kafka_t **rkp = &p->rk;
    const bool on_purpose = flow_txn_aborts(t->no, wl->abort_every);
    rd_kafka_error_t *error = NULL;
    for (int attempt = 0; attempt < 10; attempt++) {
        error = txn_end_once(*rkp, on_purpose);
        if (!error) return txn_count(pl, job, t, on_purpose);
        const bool fatal = rd_kafka_error_is_fatal(error);
        if (!fatal && (on_purpose || !rd_kafka_error_txn_requires_abort(error))) break;
        logger_msg("producer: transaction %llu: %s; %s", (unsigned long long)t->no,
                   rd_kafka_error_string(error),
                   fatal ? "starting a new producer" : "aborting it and sending it again");
        rd_kafka_error_destroy(error);
        error = NULL;
        if (fatal) {
            rd_kafka_destroy(*rkp);
            *rkp = producer_new(p);
            if (!*rkp) return -1;
            /* the new client's initialisation aborted it */
            if (on_purpose) return txn_count(pl, job, t, true);
        } else if ((error = rd_kafka_abort_transaction(*rkp, 60000))) {
            if (rd_kafka_error_is_fatal(error)) { /* then a new client, next attempt */
                rd_kafka_error_destroy(error);
                error = NULL;
                continue;
            }
            break;
        }
        if ((error = rd_kafka_begin_transaction(*rkp))) break;
        for (size_t i = 0; i < t->n; i++) {
            t->msgs[i].partition = -1;
            rd_kafka_resp_err_t e = txn_resend(*rkp, wl, t, &t->msgs[i]);
            if (e) {
                hub_fail(pl, EXITCODE_RUNTIME, "producer: resending transaction %llu: %s",
                         (unsigned long long)t->no, rd_kafka_err2str(e));
                return -1;
            }
        }
    }
    hub_fail(pl, EXITCODE_RUNTIME, "producer: cannot %s transaction %llu: %s",
             on_purpose ? "abort" : "commit", (unsigned long long)t->no,
             error ? rd_kafka_error_string(error) : "gave up after 10 attempts");
    if (error) rd_kafka_error_destroy(error);
    return -1;
}

/* A stopped run's open transaction is aborted, not committed: an
 * interrupted run leaves no half of one behind (what kcat or k6 users
 * expect). Its messages were never committed, so no read_committed
 * consumer can see them: they count as aborted, not unconsumed, and
 * stderr says so. When the abort itself fails, Kafka aborts the
 * transaction at transaction.timeout.ms: still never committed. */
static void txn_abort_open(producer *p) {
    txn_state *t = &p->txn;
    const size_t n = t->n;
    rd_kafka_error_t *error = rd_kafka_abort_transaction(p->rk, 10000);
    if (error)
        logger_msg("producer: stopped: the open transaction %llu (%zu messages) could not be "
                   "aborted (%s); Kafka aborts it at transaction.timeout.ms, never committed",
                   (unsigned long long)t->no, n, rd_kafka_error_string(error));
    else
        logger_msg("producer: stopped: the open transaction %llu (%zu messages) was aborted, "
                   "never committed; counted as aborted",
                   (unsigned long long)t->no, n);
    if (error) rd_kafka_error_destroy(error);
    txn_count(p->pl, p->job, t, true);
}

/* Begins transaction t->no + 1. 0, or -1 with the run failed. */
static int txn_begin(producer *p) {
    txn_state *t = &p->txn;
    rd_kafka_error_t *error = rd_kafka_begin_transaction(p->rk);
    if (error) {
        hub_fail(p->pl, EXITCODE_RUNTIME, "producer: cannot begin a transaction: %s",
                 rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return -1;
    }
    t->no++;
    t->n = t->used = 0;
    return 0;
}

/* ---- the decisions, per message ----
 * Each a static function the compiler inlines into the loop: no
 * allocation, clock read or lock beyond what the message needs. One that
 * stops the run returns halt(p) (after hub_fail, when there is a reason). */

static int halt(producer *p) {
    p->stopped = true;
    return -1;
}

/* Stop: does the phase end before its message i (its records sent, its
 * duration over), or the whole run (a stop asked for)? */
static inline bool phase_ends(producer *p, const flow_phase *pp, uint64_t i, double start) {
    if (flow_phase_ends(pp, i, start, stats_now)) return true;
    if (!atomic_load(&p->pl->stop)) return false;
    halt(p);
    return true;
}

/* The value: the next row's, from the cache or encoded (then cached). */
static inline int next_value(producer *p, outgoing *m) {
    if (csvsrc_next(p->job->csv, &m->row, p->err, sizeof p->err) < 0) {
        hub_fail(p->pl, EXITCODE_USAGE, "%s", p->err);
        return halt(p);
    }
    p->rows_taken++;
    if (flow_cache_get(&p->cache, m->row.index, &m->value, &m->vlen, &m->words)) return 0;
    if (p->avro) {
        int rc = payload_avro_encode(p->avro, &m->row, &p->buf, p->err, sizeof p->err);
        if (rc || encode_row(&p->json, ENCODE_AVRO, p->hdr, &m->row)) {
            hub_fail(p->pl, rc ? rc : EXITCODE_RUNTIME, "%s", rc ? p->err : "out of memory");
            return halt(p);
        }
    } else if (encode_row(&p->buf, p->wl->format, p->hdr, &m->row)) {
        hub_fail(p->pl, EXITCODE_RUNTIME, "out of memory encoding a message");
        return halt(p);
    }
    m->value = p->buf.data;
    m->vlen = p->buf.len;
    /* words: of what a consumer reads, an Avro value's JSON rendering */
    m->words =
        p->avro ? words_count(p->json.data, p->json.len) : words_count(p->buf.data, p->buf.len);
    flow_cache_put(&p->cache, m->row.index, p->buf.data, p->buf.len, (uint32_t)m->words);
    return 0;
}

/* Pacing: with a rate, waits until message i's intended send time (the
 * phase's start + i/rate): serving delivery reports while a millisecond or
 * more is left, sleeping for a shorter wait (flow_pace; a poll of 0 ms
 * there would spin a core). Sets its produce time and intended send time
 * (unpaced: now). */
static inline void wait_until_due(producer *p, const flow_phase *pp, int64_t start_us,
                                  uint64_t i, outgoing *m) {
    m->now_us = m->send_us = stats_wall_us();
    if (pp->rate <= 0) return;
    m->send_us = flow_send_time(start_us, i, pp->rate);
    while (m->now_us < m->send_us && !atomic_load(&p->pl->stop)) {
        int poll_ms;
        int64_t sleep_us;
        flow_pace(m->now_us, m->send_us, &poll_ms, &sleep_us);
        if (poll_ms) {
            rd_kafka_poll(p->rk, poll_ms);
        } else {
            struct timespec ts = {0, (long)sleep_us * 1000};
            nanosleep(&ts, NULL);
        }
        m->now_us = stats_wall_us();
    }
}

/* Pacing: the embedded broker forgets old data, so the producer stays
 * within reach of the consumer (the window; 0 = none). */
static inline void wait_for_window(producer *p) {
    hub *pl = p->pl;
    while (pl->window_bytes && !atomic_load(&pl->stop) &&
           window_ahead(pl) > (int64_t)pl->window_bytes)
        rd_kafka_poll(p->rk, 1);
}

/* The header: sequence number, intended send time, run id, phase. */
static inline void stamp(producer *p, outgoing *m) {
    p->hv.seq = p->seq;
    p->hv.send_us = m->send_us;
    flow_header_put(m->hdr, &p->hv);
}

/* The key: a synthetic one (key_distribution), the key column's value
 * (key), or none (workload_validate refuses both). */
static inline void message_key(producer *p, outgoing *m) {
    if (p->keys.dist != KEYS_NONE) {
        m->klen = keys_format(&p->keys, p->seq, p->keybuf);
        m->key = p->keybuf;
    } else if (p->keycol >= 0) {
        m->key = m->row.fields[p->keycol];
        m->klen = m->row.lens[p->keycol];
    } else {
        m->key = NULL;
        m->klen = 0;
    }
}

/* Transactions: the message that starts one begins it. */
static inline int txn_boundary_before(producer *p) {
    if (!p->transactional || !flow_txn_begins(p->txn_i, p->txn_size)) return 0;
    return txn_begin(p) ? halt(p) : 0;
}

/* Transactions: the message that ends one (sent or refused) ends it. */
static inline int txn_boundary_after(producer *p) {
    if (!p->transactional) return 0;
    const uint64_t i = p->txn_i++;
    if (!flow_txn_ends(i, p->txn_size)) return 0;
    return txn_end(p) ? halt(p) : 0;
}

/* Oversize: a value larger than the producer's message.max.bytes, refused
 * by the client before sending, is counted as a failed delivery and named;
 * the run goes on (oversize = "skip") or stops ("stop"). */
static int refuse_oversize(producer *p, const outgoing *m) {
    char what[256];
    snprintf(what, sizeof what,
             "record %llu (%s line %llu): message of %zu bytes is larger than "
             "the producer's message.max.bytes",
             (unsigned long long)p->seq, p->wl->csv, (unsigned long long)m->row.line, m->vlen);
    p->job->sent++;
    note_failure(p, p->seq, what);
    if (p->wl->oversize != WORKLOAD_OVERSIZE_STOP) return 0;
    hub_fail(p->pl, EXITCODE_RUNTIME, "%s", what);
    return halt(p);
}

/* Produce: hands the message to the client (waiting while its queue is
 * full) and counts it as sent (kept, in a transaction, until it ends). */
static inline int produce(producer *p, const outgoing *m) {
    if (!p->first_send) p->first_send = stats_now();
    rd_kafka_resp_err_t e =
        send_message(p->rk, p->wl->topic, m->value, m->vlen, m->key, m->klen, m->now_us / 1000,
                     m->hdr, p->seq, &p->pl->stop);
    if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) return refuse_oversize(p, m);
    if (e) {
        /* a full queue here: a stop was asked for while waiting */
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            hub_fail(p->pl, EXITCODE_RUNTIME, "produce to '%s' failed: %s", p->wl->topic,
                     rd_kafka_err2str(e));
        return halt(p);
    }
    p->job->sent++;
    atomic_fetch_add(&p->pl->produced_bytes, m->vlen);
    if (p->pl->progress)
        atomic_fetch_add_explicit(&p->pl->produced_msgs, 1, memory_order_relaxed);
    if (p->transactional && txn_keep(&p->txn, p->seq, m->now_us / 1000, m->value, m->vlen,
                                     m->key, m->klen, m->hdr)) {
        hub_fail(p->pl, EXITCODE_RUNTIME, "out of memory keeping a transaction");
        return halt(p);
    }
    return 0;
}

/* Poll: delivery reports are served every 1024 messages without waiting;
 * in sync mode each message's is waited for. */
static inline void serve_reports(producer *p) {
    kafka_producer_job *job = p->job;
    if (p->wl->mode == WORKLOAD_SYNC) {
        while (job->delivered + job->errors < job->sent && !atomic_load(&p->pl->stop))
            rd_kafka_poll(p->rk, 100);
    } else if ((job->sent & 1023) == 0) {
        rd_kafka_poll(p->rk, 0);
    }
}

/* Stop: a fatal error of the client (idempotence can no longer hold). */
static inline int client_failed(producer *p) {
    char errstr[256];
    if (!rd_kafka_fatal_error(p->rk, errstr, sizeof errstr)) return 0;
    hub_fail(p->pl, EXITCODE_RUNTIME, "producer fatal error: %s", errstr);
    return halt(p);
}

/* ---- phases ---- */

/* This worker's share: a worker of a shared run sends its share of each
 * phase, its sequence numbers, with the rows a single run would send them
 * with (row = seq mod rows, when the CSV is cached). false when it has no
 * share of phase ph (or the run stops). */
static bool share_start(producer *p, size_t ph) {
    if (!p->plan[ph].records) return false;
    p->seq = p->pl->share->seq_base[ph];
    uint64_t skip = flow_share_skip(p->rows_taken, p->seq, csvsrc_rows(p->job->csv));
    for (; skip; skip--, p->rows_taken++) {
        csvsrc_row row;
        if (csvsrc_next(p->job->csv, &row, p->err, sizeof p->err) < 0) {
            hub_fail(p->pl, EXITCODE_USAGE, "%s", p->err);
            halt(p);
            return false;
        }
    }
    return true;
}

/* Sends phase ph's messages, each: decide (value, pacing, header, key),
 * produce (within its transaction), poll; every batch_size messages a
 * batch goes to the main thread. */
static void produce_phase(producer *p, size_t ph) {
    const flow_phase *pp = &p->plan[ph];
    if (p->pl->share && !share_start(p, ph)) return;
    const int64_t start_us = stats_wall_us();
    const double start = stats_now();
    int64_t last_send_us = start_us;
    p->hv.phase = (uint32_t)ph;
    atomic_store(&p->pl->phase, (int)ph);
    for (uint64_t i = 0; !phase_ends(p, pp, i, start); i++, p->seq++) {
        outgoing m;
        if (next_value(p, &m)) break;
        wait_until_due(p, pp, start_us, i, &m);
        wait_for_window(p);
        stamp(p, &m);
        message_key(p, &m);
        if (txn_boundary_before(p) || produce(p, &m) || txn_boundary_after(p)) break;
        p->job->phase_sent[ph]++;
        last_send_us = m.now_us;
        serve_reports(p);
        if (flow_batch_add(&p->batch, m.vlen, m.words, p->wl->batch_size))
            batch_post(p, pp->name);
        if (client_failed(p)) break;
    }
    p->job->phase_seconds[ph] =
        p->job->phase_sent[ph] ? (double)(last_send_us - start_us) / 1e6 : 0;
}

/* ---- the thread ---- */

/* Set-up: the client, the keys, the key column, the payload cache, the
 * plan. 0, or -1 with the run failed. */
static int producer_open(producer *p, kafka_producer_job *job) {
    hub *pl = job->pl;
    const workload *wl = pl->wl;
    *p = (producer){.job = job,
                    .pl = pl,
                    .wl = wl,
                    .transactional = wl->transactional,
                    .keycol = -1,
                    .hv = {.run_id = pl->run_id},
                    .txn_size = workload_transaction_size(wl)};
    /* format avro: the schema registered before the client starts (a
     * refusal ends the run before any connection to Kafka) */
    if (wl->format == ENCODE_AVRO) {
        int rc = payload_avro_writer_open(&p->avro, wl, csvsrc_header(job->csv), p->err,
                                          sizeof p->err);
        if (rc) {
            hub_fail(pl, rc, "%s", p->err);
            return -1;
        }
    }
    if (!(p->rk = producer_new(p))) return -1;
    if (keys_init(&p->keys, wl->key_distribution, wl->key_count, wl->key_skew, wl->seed, p->err,
                  sizeof p->err)) {
        hub_fail(pl, EXITCODE_USAGE, "%s", p->err);
        return -1;
    }
    p->hdr = csvsrc_header(job->csv);
    if (wl->key && (p->keycol = key_column(p->hdr, wl->key)) < 0) {
        hub_fail(pl, EXITCODE_USAGE, "field 'key': column '%s' is not in the CSV header of %s",
                 wl->key, wl->csv);
        return -1;
    }
    flow_cache_init(&p->cache, csvsrc_rows(job->csv), FLOW_CACHE_LIMIT);
    p->nphases = flow_plan(wl, p->plan);
    p->batches = flow_batches(workload_records(wl), wl->batch_size);
    return 0;
}

/* After the last phase: the last transaction (shorter than the others, or
 * cut by a stop), the final partial batch, then every delivery report
 * (flush); the delivery failures become the run's error. */
static void producer_finish(producer *p) {
    hub *pl = p->pl;
    kafka_producer_job *job = p->job;
    if (p->transactional && p->rk && flow_txn_open(p->txn_i, p->txn_size)) {
        if (atomic_load(&pl->stop))
            txn_abort_open(p);
        else
            txn_end(p);
    }
    batch_post(p, p->plan[p->nphases - 1].name);

    /* Flush: wait for every delivery report. The message timeout
     * (delivery.timeout.ms) bounds this; a stop request bounds it to 10 s.
     * (No client left when a replacement for a failed one could not start.) */
    double deadline = stats_now() + (atomic_load(&pl->stop) ? 10.0 : 600.0);
    if (p->rk && drain(p->rk, deadline) > 0) {
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        drain(p->rk, stats_now() + 5.0);
    }
    if (p->first_send && p->last_dr) job->produce_seconds = p->last_dr - p->first_send;
    if (p->oom) hub_error(pl, EXITCODE_RUNTIME, "out of memory tracking failed deliveries");
    if (job->errors)
        hub_error(pl, EXITCODE_RUNTIME, "%llu of %llu messages failed delivery (first: %s)",
                  (unsigned long long)job->errors, (unsigned long long)job->sent,
                  p->first_error);
}

/* Tear-down, whatever set-up got to: the delivery counts published, the
 * producer's end announced, everything freed. */
static void producer_close(producer *p) {
    hub *pl = p->pl;
    atomic_store(&pl->delivered, p->job->delivered);
    atomic_store(&pl->failed, p->job->errors);
    atomic_store(&pl->producer_done, true);
    if (p->rk) rd_kafka_destroy(p->rk);
    flow_cache_free(&p->cache);
    encode_buf_free(&p->buf);
    encode_buf_free(&p->json);
    payload_avro_writer_free(p->avro);
    txn_free(&p->txn);
    keys_free(&p->keys);
    hub_worker_exit(pl);
}

void *kafka_producer_thread(void *arg) {
    producer p;
    if (producer_open(&p, arg) == 0) {
        wait_for_group(p.pl);
        flow_batch_start(&p.batch, stats_now(), stats_cpu_seconds());
        for (size_t ph = 0; ph < p.nphases && !p.stopped; ph++) produce_phase(&p, ph);
        producer_finish(&p);
    }
    producer_close(&p);
    return NULL;
}
