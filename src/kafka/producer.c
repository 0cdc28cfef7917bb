/*
 * producer: the producer thread. Pulls rows from the CSV source
 * (which cycles to replicate them), encodes each into a reused buffer and
 * hands it to librdkafka, which copies it. Delivery reports are counted in
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

typedef struct {
    kafka_producer_job *job;
    double last_dr; /* time of the latest delivery report */
    char first_error[256];
    bool oom;           /* the failed-bitmap could not grow */
    bool transactional; /* delivery counts come from transaction outcomes */
    txn_state *txn;     /* the current transaction's messages */
} producer_state;

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

static void note_failure(producer_state *st, uint64_t seq, const char *what) {
    if (!st->job->errors) snprintf(st->first_error, sizeof st->first_error, "%s", what);
    st->job->errors++;
    if (hub_bits_set(&st->job->failed, seq) < 0) st->oom = true;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    producer_state *st = opaque;
    if (st->transactional) {
        /* a message in the log is delivered only once its transaction
         * commits (txn_end counts it); one purged by an abort is not a
         * failure. Only where the committed ones went is noted here. */
        txn_msg *tm = m->err ? NULL : txn_find(st->txn, (uint64_t)(uintptr_t)m->_private);
        if (tm) tm->partition = m->partition;
        st->last_dr = stats_now();
        return;
    }
    if (m->err) {
        char what[256];
        snprintf(what, sizeof what, "record %llu: %s",
                 (unsigned long long)(uintptr_t)m->_private, rd_kafka_err2str(m->err));
        note_failure(st, (uint64_t)(uintptr_t)m->_private, what);
    } else {
        st->job->delivered++;
        flow_counts_add(&st->job->part_delivered, m->partition, 1);
    }
    /* the time of the last report matters; reading the clock for every
     * one would cost more than the report itself */
    uint64_t reported = st->job->delivered + st->job->errors;
    if ((reported & 255) == 0 || reported >= st->job->sent) st->last_dr = stats_now();
}

/* Posts the batch being filled (if any) to the main thread. */
static void batch_post(hub *pl, flow_batch *pb, uint64_t batches, uint64_t delivered,
                       const char *phase) {
    run_batch b;
    if (!flow_batch_take(pb, RUN_PRODUCE, stats_now(), stats_cpu_seconds(), stats_rss_mb(), &b))
        return;
    b.batches = batches;
    b.delivered = delivered;
    b.phase = phase;
    hub_post(pl, &b);
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
 * of a shared run the whole group's as last heard (dist_worker_run.c). */
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
 * count; README: producer defaults); with transactions, a transactional
 * id for the run and its transactions initialised (which also aborts
 * whatever an earlier client of the same id left open). NULL with the run
 * failed. */
static rd_kafka_t *producer_new(hub *pl, producer_state *st, char *err, size_t errlen) {
    const workload *wl = pl->wl;
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
        kafka_conf_build(pl->brokers, defaults, &wl->producer, "producer", err, errlen);
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
    rd_kafka_conf_set_opaque(conf, st);
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
static int txn_end(rd_kafka_t **rkp, producer_state *st) {
    kafka_producer_job *job = st->job;
    hub *pl = job->pl;
    const workload *wl = pl->wl;
    txn_state *t = st->txn;
    const bool on_purpose = flow_txn_aborts(t->no, wl->abort_every);
    rd_kafka_error_t *error = NULL;
    char err[512];
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
            *rkp = producer_new(pl, st, err, sizeof err);
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

/* Begins transaction t->no + 1. 0, or -1 with the run failed. */
static int txn_begin(rd_kafka_t *rk, hub *pl, txn_state *t) {
    rd_kafka_error_t *error = rd_kafka_begin_transaction(rk);
    if (error) {
        hub_fail(pl, EXITCODE_RUNTIME, "producer: cannot begin a transaction: %s",
                 rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return -1;
    }
    t->no++;
    t->n = t->used = 0;
    return 0;
}

void *kafka_producer_thread(void *arg) {
    kafka_producer_job *job = arg;
    hub *pl = job->pl;
    const workload *wl = pl->wl;
    txn_state txn = {0};
    producer_state st = {.job = job, .txn = &txn, .transactional = wl->transactional};
    keys_gen keys = {0};
    encode_buf buf = {0};
    flow_cache cache = {0};
    rd_kafka_t *rk = NULL;
    char err[512];

    char errstr[256];
    rk = producer_new(pl, &st, err, sizeof err);
    if (!rk) goto out;
    if (keys_init(&keys, wl->key_distribution, wl->key_count, wl->key_skew, wl->seed, err,
                  sizeof err)) {
        hub_fail(pl, EXITCODE_USAGE, "%s", err);
        goto out;
    }
    const csvsrc_row *hdr = csvsrc_header(job->csv);
    int keycol = -1;
    if (wl->key) {
        keycol = key_column(hdr, wl->key);
        if (keycol < 0) {
            hub_fail(pl, EXITCODE_USAGE,
                     "field 'key': column '%s' is not in the CSV header of %s", wl->key,
                     wl->csv);
            goto out;
        }
    }
    flow_cache_init(&cache, csvsrc_rows(job->csv), FLOW_CACHE_LIMIT);

    wait_for_group(pl);
    flow_phase plan[HUB_MAX_PHASES];
    const size_t nphases = flow_plan(wl, plan);
    const uint64_t bsize = wl->batch_size;
    const uint64_t batches = flow_batches(workload_records(wl), bsize);
    flow_batch pb = {0};
    flow_batch_start(&pb, stats_now(), stats_cpu_seconds());
    double first_send = 0;
    unsigned char hdrval[HUB_HEADER_LEN];
    flow_header hv = {.run_id = pl->run_id};
    uint64_t seq = 0;
    bool stopped = false;
    const uint64_t txn_size = workload_transaction_size(wl);
    /* messages this producer has sent in transactions: a worker's first
     * sequence number is its share's, not 0, so boundaries count from here */
    uint64_t txn_i = 0;
    char keybuf[KEYS_MAX_LEN];

    uint64_t rows_taken = 0; /* csvsrc_next calls so far */
    for (size_t ph = 0; ph < nphases && !stopped; ph++) {
        const flow_phase *pp = &plan[ph];
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
                    hub_fail(pl, EXITCODE_USAGE, "%s", err);
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
        atomic_store(&pl->phase, (int)ph);
        for (uint64_t i = 0;; i++, seq++) {
            if (flow_phase_ends(pp, i, start, stats_now)) break;
            if (atomic_load(&pl->stop)) {
                stopped = true;
                break;
            }
            csvsrc_row row;
            if (csvsrc_next(job->csv, &row, err, sizeof err) < 0) {
                hub_fail(pl, EXITCODE_USAGE, "%s", err);
                stopped = true;
                break;
            }
            rows_taken++;
            const char *value;
            size_t vlen;
            uint64_t w;
            if (!flow_cache_get(&cache, row.index, &value, &vlen, &w)) {
                if (encode_row(&buf, wl->format, hdr, &row)) {
                    hub_fail(pl, EXITCODE_RUNTIME, "out of memory encoding a message");
                    stopped = true;
                    break;
                }
                value = buf.data;
                vlen = buf.len;
                w = words_count(buf.data, buf.len);
                flow_cache_put(&cache, row.index, buf.data, buf.len, (uint32_t)w);
            }

            int64_t now_us = stats_wall_us(), send_us = now_us;
            if (pp->rate > 0) {
                send_us = flow_send_time(start_us, i, pp->rate);
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
            flow_header_put(hdrval, &hv);
            const void *kptr = keycol >= 0 ? row.fields[keycol] : NULL;
            size_t klen = keycol >= 0 ? row.lens[keycol] : 0;
            if (keys.dist != KEYS_NONE) {
                klen = keys_format(&keys, seq, keybuf);
                kptr = keybuf;
            }
            if (wl->transactional && flow_txn_begins(txn_i, txn_size) &&
                txn_begin(rk, pl, &txn)) {
                stopped = true;
                break;
            }
            if (!first_send) first_send = stats_now();
            rd_kafka_resp_err_t e = send_message(rk, wl->topic, value, vlen, kptr, klen,
                                                 now_us / 1000, hdrval, seq, &pl->stop);
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
                    hub_fail(pl, EXITCODE_RUNTIME, "%s", what);
                    stopped = true;
                    break;
                }
            } else if (e) {
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    hub_fail(pl, EXITCODE_RUNTIME, "produce to '%s' failed: %s", wl->topic,
                             rd_kafka_err2str(e));
                stopped = true;
                break;
            } else {
                job->sent++;
                atomic_fetch_add(&pl->produced_bytes, vlen);
                if (pl->progress)
                    atomic_fetch_add_explicit(&pl->produced_msgs, 1, memory_order_relaxed);
                if (wl->transactional &&
                    txn_keep(&txn, seq, now_us / 1000, value, vlen, kptr, klen, hdrval)) {
                    hub_fail(pl, EXITCODE_RUNTIME, "out of memory keeping a transaction");
                    stopped = true;
                    break;
                }
            }
            if (wl->transactional && ++txn_i % txn_size == 0 && txn_end(&rk, &st)) {
                stopped = true;
                break;
            }
            job->phase_sent[ph]++;
            last_send_us = now_us;
            if (wl->mode == WORKLOAD_SYNC) {
                while (job->delivered + job->errors < job->sent && !atomic_load(&pl->stop))
                    rd_kafka_poll(rk, 100);
            } else if ((job->sent & 1023) == 0) {
                rd_kafka_poll(rk, 0);
            }
            if (flow_batch_add(&pb, vlen, w, bsize))
                batch_post(pl, &pb, batches, job->delivered, pp->name);
            if (rd_kafka_fatal_error(rk, errstr, sizeof errstr)) {
                hub_fail(pl, EXITCODE_RUNTIME, "producer fatal error: %s", errstr);
                stopped = true;
                break;
            }
        }
        job->phase_seconds[ph] =
            job->phase_sent[ph] ? (double)(last_send_us - start_us) / 1e6 : 0;
    }
    /* the last transaction, shorter than the others or cut by a stop */
    if (wl->transactional && rk && txn_i % txn_size != 0) {
        if (atomic_load(&pl->stop)) {
            rd_kafka_error_t *error = rd_kafka_abort_transaction(rk, 10000);
            if (error) rd_kafka_error_destroy(error);
        } else {
            txn_end(&rk, &st);
        }
    }
    batch_post(pl, &pb, batches, job->delivered,
               plan[nphases - 1].name); /* the final partial batch */

    /* Flush: wait for every delivery report. The message timeout
     * (delivery.timeout.ms) bounds this; a stop request bounds it to 10 s. */
    double deadline = stats_now() + (atomic_load(&pl->stop) ? 10.0 : 600.0);
    /* (no client left when a replacement for a failed one could not start) */
    int left = rk ? drain(rk, deadline) : 0;
    if (left > 0) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        drain(rk, stats_now() + 5.0);
    }
    if (first_send && st.last_dr) job->produce_seconds = st.last_dr - first_send;
    if (st.oom) hub_error(pl, EXITCODE_RUNTIME, "out of memory tracking failed deliveries");
    if (job->errors)
        hub_error(pl, EXITCODE_RUNTIME, "%llu of %llu messages failed delivery (first: %s)",
                  (unsigned long long)job->errors, (unsigned long long)job->sent,
                  st.first_error);
out:
    atomic_store(&pl->delivered, job->delivered);
    atomic_store(&pl->failed, job->errors);
    atomic_store(&pl->producer_done, true);
    if (rk) rd_kafka_destroy(rk);
    flow_cache_free(&cache);
    encode_buf_free(&buf);
    txn_free(&txn);
    keys_free(&keys);
    hub_worker_exit(pl);
    return NULL;
}
