/*
 * worker: one worker of a shared run, from announcement to final state.
 * See worker.h; the records and the barrier's logic are in protocol.c.
 */
#include "worker.h"
#include "writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "signals.h"
#include "kafka.h"
#include "logger.h"
#include "state.h"
#include "stats.h"
#include "protocol.h"

/* How often a worker tells the others its progress (when it changed);
 * on an embedded broker often, as the group's window depends on it. */
#define PROGRESS_INTERVAL        0.25
#define PROGRESS_INTERVAL_WINDOW 0.01

typedef struct dist_ctx dist_ctx;

/* The barrier's reading of the results topic. */
typedef struct {
    dist_ctx *c;
    dist_barrier_state state;
} barrier_feed;

struct dist_ctx {
    const workload *wl; /* as given (whole run) */
    hub_share share;
    kafka_channel *res;
    uint64_t nonce;
    dist_barrier barrier;
    barrier_feed feed; /* its state after our claim */
    /* the coordinator thread (after the barrier) */
    pthread_t coord;
    bool coord_running;
    atomic_bool coord_stop;
    hub *pl;
    double start;            /* stats_now() of the barrier's start (0 before): the shared
                     run's time zero, the batches' elapsed counts from it */
    bool produced[DIST_MAX]; /* from the others' progress */
    uint64_t delivered[DIST_MAX], distinct[DIST_MAX];
    uint64_t produced_bytes[DIST_MAX], consumed_bytes[DIST_MAX];
    /* the final state, built by the engine's collect hook */
    const threshold *ts;
    size_t nts;
    dist_state *state;
};

static uint64_t random_nonce(void) {
    uint64_t v = (uint64_t)stats_wall_us() ^ ((uint64_t)getpid() << 32);
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        uint64_t r;
        if (fread(&r, sizeof r, 1, f) == 1) v ^= r;
        fclose(f);
    }
    return v ? v : 1;
}

static int send_msg(dist_ctx *c, const dist_msg *m, char *err, size_t errlen) {
    codec_buf b = {0};
    dist_msg_encode(m, &b);
    int rc = b.oom ? -1 : kafka_channel_send(c->res, b.p, b.len, err, errlen);
    if (b.oom) snprintf(err, errlen, "out of memory");
    codec_buf_free(&b);
    return rc;
}

static dist_msg my_msg(const dist_ctx *c, dist_msg_type type) {
    return (dist_msg){
        .type = type, .worker = c->wl->worker, .workers = c->wl->workers, .nonce = c->nonce};
}

/* ---- the start barrier ---- */

static void on_barrier_record(void *ud, const void *v, size_t len) {
    barrier_feed *bf = ud;
    dist_msg m;
    if (dist_msg_decode(&m, v, len) || (m.type != DIST_ANNOUNCE && m.type != DIST_JOINED))
        return;
    if (m.workers != bf->c->wl->workers) {
        fprintf(stderr, "kengine: note: worker %d of run '%s' says workers = %d, we say %d\n",
                m.worker, bf->c->wl->run_id, m.workers, bf->c->wl->workers);
        return;
    }
    bf->state = dist_barrier_add(&bf->c->barrier, m.type, m.worker, m.nonce, m.wall_us);
}

/* ---- the coordinator: progress in, progress out, group_done ---- */

static void on_coord_record(void *ud, const void *v, size_t len) {
    dist_ctx *c = ud;
    dist_msg m;
    if (dist_msg_decode(&m, v, len) || m.workers != c->wl->workers) return;
    if (m.worker == c->wl->worker || c->barrier.owner[m.worker] != m.nonce) return;
    if (m.type == DIST_PROGRESS) {
        c->produced[m.worker] = m.produced;
        c->delivered[m.worker] = m.delivered;
        c->distinct[m.worker] = m.distinct;
        c->produced_bytes[m.worker] = m.produced_bytes;
        c->consumed_bytes[m.worker] = m.consumed_bytes;
    }
}

static void publish_progress(dist_ctx *c, dist_msg *last) {
    hub *pl = c->pl;
    dist_msg m = my_msg(c, DIST_PROGRESS);
    m.produced = !c->wl->produce || atomic_load(&pl->producer_done);
    m.delivered = m.produced && c->wl->produce ? atomic_load(&pl->delivered) : 0;
    m.distinct = atomic_load(&pl->distinct);
    m.produced_bytes = atomic_load(&pl->produced_bytes);
    m.consumed_bytes = atomic_load(&pl->consumed_bytes);
    if (last->type && m.produced == last->produced && m.delivered == last->delivered &&
        m.distinct == last->distinct && m.produced_bytes == last->produced_bytes &&
        m.consumed_bytes == last->consumed_bytes)
        return;
    char err[256];
    if (send_msg(c, &m, err, sizeof err) == 0) *last = m;
}

static void *coordinator(void *arg) {
    dist_ctx *c = arg;
    hub *pl = c->pl;
    const int me = c->wl->worker, n = c->wl->workers;
    dist_msg last = {0};
    double next_publish = 0;
    const double interval = pl->window_bytes ? PROGRESS_INTERVAL_WINDOW : PROGRESS_INTERVAL;
    while (!atomic_load(&c->coord_stop)) {
        kafka_channel_poll(c->res, pl->window_bytes ? 5 : 100, on_coord_record, c, NULL);
        double now = stats_now();
        if (now >= next_publish) {
            publish_progress(c, &last);
            next_publish = now + interval;
        }
        if (pl->window_bytes) {
            uint64_t p = 0, q = 0;
            for (int i = 0; i < n; i++) {
                p += c->produced_bytes[i];
                q += c->consumed_bytes[i];
            }
            atomic_store(&pl->others_produced_bytes, p);
            atomic_store(&pl->others_consumed_bytes, q);
        }
        /* everything every worker delivered has been seen by the group */
        bool all = true;
        uint64_t delivered = 0, seen = 0;
        for (int i = 0; i < n && all; i++) {
            if (i == me) {
                all = last.type && last.produced;
                delivered += last.delivered;
                seen += atomic_load(&pl->distinct);
            } else {
                all = c->produced[i];
                delivered += c->delivered[i];
                seen += c->distinct[i];
            }
        }
        if (all && seen >= delivered) atomic_store(&pl->group_done, true);
    }
    publish_progress(c, &last); /* the final count, for those still waiting */
    return NULL;
}

/* Waits (until `deadline`, stats_now()) for this worker's consumers to
 * hold a partition, so that the group has formed before anyone sends. */
static void wait_for_partitions(const dist_ctx *c, hub *pl, double deadline) {
    const int ncons =
        c->wl->consumers < HUB_MAX_CONSUMERS ? c->wl->consumers : HUB_MAX_CONSUMERS;
    if (!c->wl->consume || pl->partitions < c->wl->workers) return;
    /* every consumer of ours holds one when there are enough partitions for
     * all the group's members (a late one would make the group rebalance
     * while messages flow), else at least one of them */
    const bool each = pl->partitions >= c->wl->workers * ncons;
    while (!atomic_load(&pl->stop) && stats_now() < deadline) {
        int holding = 0;
        for (int i = 0; i < ncons; i++) holding += atomic_load(&pl->assigned[i]) > 0;
        if (each ? holding == ncons : holding > 0) return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Announces this worker and reads the results topic until the
 * announcement comes back: the index is ours, or another process claimed
 * it first. Before the engine starts, so that a duplicate never joins the
 * run's consumer group. 0, or an exit code with err set. */
static int claim(dist_ctx *c, char *err, size_t errlen) {
    const workload *wl = c->wl;
    dist_msg m = my_msg(c, DIST_ANNOUNCE);
    m.wall_us = stats_wall_us();
    if (send_msg(c, &m, err, errlen) || kafka_channel_flush(c->res, 10000, err, errlen))
        return EXITCODE_RUNTIME;
    c->feed = (barrier_feed){.c = c, .state = DIST_WAIT};
    double deadline = stats_now() + wl->start_timeout;
    while (c->feed.state == DIST_WAIT && c->barrier.owner[wl->worker] != c->nonce &&
           stats_now() < deadline && !signals_caught)
        kafka_channel_poll(c->res, 100, on_barrier_record, &c->feed, NULL);
    if (c->feed.state == DIST_DUPLICATE) {
        snprintf(err, errlen,
                 "worker index %d is already taken in run '%s' (another process "
                 "announced it first on '%s')",
                 wl->worker, wl->run_id, wl->results);
        return EXITCODE_RUNTIME;
    }
    if (c->barrier.owner[wl->worker] != c->nonce) {
        snprintf(err, errlen,
                 "run '%s': our announcement on '%s' did not come back within %g s", wl->run_id,
                 wl->results, wl->start_timeout);
        return EXITCODE_RUNTIME;
    }
    return 0;
}

/* The engine's gate: join the group, say so, wait for all, start
 * together. */
static int gate(void *ud, hub *pl, char *err, size_t errlen) {
    dist_ctx *c = ud;
    const workload *wl = c->wl;
    double deadline = stats_now() + wl->start_timeout;
    wait_for_partitions(c, pl, deadline);
    dist_msg m = my_msg(c, DIST_JOINED);
    m.wall_us = stats_wall_us();
    if (send_msg(c, &m, err, errlen) || kafka_channel_flush(c->res, 10000, err, errlen))
        return EXITCODE_RUNTIME;
    logger_notice("worker %d of %d in run '%s': waiting for the others on '%s'", wl->worker,
                  wl->workers, wl->run_id, wl->results);
    barrier_feed bf = c->feed;
    while (bf.state == DIST_WAIT && stats_now() < deadline && !atomic_load(&pl->stop))
        kafka_channel_poll(c->res, 100, on_barrier_record, &bf, NULL);
    if (bf.state == DIST_DUPLICATE) { /* cannot happen once claimed; kept for safety */
        snprintf(err, errlen, "worker index %d is already taken in run '%s'", wl->worker,
                 wl->run_id);
        return EXITCODE_RUNTIME;
    }
    if (bf.state != DIST_READY) {
        if (atomic_load(&pl->stop)) {
            snprintf(err, errlen, "stopped while waiting for the other workers");
            return EXITCODE_RUNTIME;
        }
        char missing[256];
        dist_barrier_missing(&c->barrier, missing, sizeof missing);
        snprintf(err, errlen,
                 "run '%s': worker %s did not join within %g s (announce itself on "
                 "'%s' and hold its partitions)",
                 wl->run_id, missing, wl->start_timeout, wl->results);
        return EXITCODE_RUNTIME;
    }
    c->pl = pl;
    atomic_store(&c->coord_stop, false);
    if (pthread_create(&c->coord, NULL, coordinator, c)) {
        snprintf(err, errlen, "cannot start the coordinator thread");
        return EXITCODE_RUNTIME;
    }
    c->coord_running = true;
    /* the last to join made the group rebalance: hold on to a partition
     * again (bounded), then all start together */
    struct timespec settle = {0, 200 * 1000 * 1000};
    nanosleep(&settle, NULL);
    wait_for_partitions(c, pl, stats_now() + 10);
    int64_t wait_us = dist_barrier_start_us(&c->barrier) - stats_wall_us();
    while (wait_us > 0 && !atomic_load(&pl->stop)) {
        int64_t step = wait_us > 100000 ? 100000 : wait_us;
        struct timespec ts = {step / 1000000, (long)(step % 1000000) * 1000};
        nanosleep(&ts, NULL);
        wait_us = dist_barrier_start_us(&c->barrier) - stats_wall_us();
    }
    /* the barrier's wall-clock instant on our run's clock */
    c->start =
        stats_now() - (double)(stats_wall_us() - dist_barrier_start_us(&c->barrier)) / 1e6;
    return 0;
}

/* ---- the final state ---- */

static void collect(void *ud, const engine_outcome *o) {
    dist_ctx *c = ud;
    /* the coordinator's last word first: others may still wait for it */
    if (c->coord_running) {
        atomic_store(&c->coord_stop, true);
        pthread_join(c->coord, NULL);
        c->coord_running = false;
    }
    dist_state *m = dist_state_new();
    if (!m) return;
    const workload *wl = c->wl;
    const hub *pl = o->pl;
    /* the worker's figures as the engine summarized them (its share) */
    bool ok = dist_state_set_summary(m, o->summary) == 0;
    dist_state_meta *mm = dist_state_meta_of(m);
    mm->worker = wl->worker;
    mm->workers = wl->workers;
    mm->produced = wl->produce;
    mm->consumed_run = wl->consume;
    mm->unsequenced = atomic_load(&((hub *)pl)->unsequenced);
    mm->exit_code = o->rc; /* an interrupted worker (130, 143) fails the run */
    mm->stopped = atomic_load(&((hub *)pl)->stop);
    /* what the merge recomputes: the sequence numbers sent, failed, seen */
    const kafka_producer_job *pj = o->producer;
    if (pj) {
        size_t nph = wl->nphases ? wl->nphases : 1;
        for (size_t p = 0; p < nph && p < HUB_MAX_PHASES; p++)
            dist_state_mark_range(m, DIST_STATE_SENT, c->share.seq_base[p],
                                  c->share.seq_base[p] + pj->phase_sent[p]);
        for (size_t i = 0; i < pj->failed.nwords; i++)
            dist_state_mark_word(m, DIST_STATE_FAILED, (uint64_t)i * 64, pj->failed.w[i]);
    }
    for (uint64_t i = 0; pl->seen && i < pl->seen_limit / 64 + 1; i++)
        dist_state_mark_word(m, DIST_STATE_SEEN, i * 64, atomic_load(&pl->seen[i]));
    /* and the words (the consumers' sets gather in the first) */
    if (o->ncons && o->consumers[0].acc.run_words)
        ok &= dist_state_add_words(m, words_merger_wait(o->consumers[0].acc.run_words)) == 0;
    for (size_t i = 0; i < c->nts; i++) ok &= dist_state_add_threshold(m, &c->ts[i]) == 0;
    if (!ok) {
        dist_state_free(m);
        return;
    }
    c->state = m;
}

/* Writes the final state in chunks, or a failure record. */
static int publish_final(dist_ctx *c, const char *failure, char *err, size_t errlen) {
    int rc = 0;
    if (c->state && !failure) {
        codec_buf b = {0};
        dist_state_encode(c->state, &b);
        if (b.oom) {
            codec_buf_free(&b);
            failure = "out of memory encoding the final state";
        } else {
            uint32_t parts = (uint32_t)((b.len + DIST_CHUNK_BYTES - 1) / DIST_CHUNK_BYTES);
            if (!parts) parts = 1;
            for (uint32_t k = 0; k < parts && rc == 0; k++) {
                dist_msg m = my_msg(c, DIST_FINAL);
                m.part = k;
                m.parts = parts;
                m.data = b.p + (size_t)k * DIST_CHUNK_BYTES;
                size_t left = b.len - (size_t)k * DIST_CHUNK_BYTES;
                m.len = left < DIST_CHUNK_BYTES ? left : DIST_CHUNK_BYTES;
                rc = send_msg(c, &m, err, errlen);
            }
            codec_buf_free(&b);
        }
    }
    if (failure || !c->state) {
        dist_msg m = my_msg(c, DIST_FAILED);
        const char *why = failure ? failure : "no final state (out of memory?)";
        m.data = why;
        m.len = strlen(why);
        rc = send_msg(c, &m, err, errlen);
    }
    if (rc == 0) rc = kafka_channel_flush(c->res, 30000, err, errlen);
    return rc;
}

/* Every batch goes to the caller's reporters and hooks, and as an event
 * record (the NDJSON object) to the results topic, for anyone watching:
 * with its worker's index, its elapsed counted from the moment the workers
 * start together (the barrier; the wait before it is no part of the shared
 * run), so every worker's batches share one time axis. */
typedef struct {
    dist_ctx *c;
    engine_batch_fn on_batch;
    void *ud;
} batch_relay;

static int relay_batch(void *ud, const run_batch *own) {
    batch_relay *br = ud;
    const dist_ctx *c = br->c;
    run_batch b = *own; /* a view: what it owns stays the caller's */
    b.worker = c->wl->worker + 1;
    if (c->start > 0 && c->pl) {
        double e = own->elapsed + c->pl->t0 - c->start;
        b.elapsed = e > 0 ? e : 0;
    }
    char *json = report_batch_json(&b);
    if (json && br->c->res) {
        dist_msg m = my_msg(br->c, DIST_EVENT);
        m.data = json;
        m.len = strlen(json);
        char err[256];
        send_msg(br->c, &m, err, sizeof err); /* best effort: the final state is what counts */
    }
    free(json);
    return br->on_batch ? br->on_batch(br->ud, &b) : 0;
}

int dist_worker_run(const workload *wl, engine_batch_fn on_batch, void *ud, const threshold *ts,
                    size_t nts, run_summary *s, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    err[0] = '\0';
    if (!wl->run_id) {
        snprintf(err, errlen,
                 "field 'run_id': a run of %d workers needs a run id shared by "
                 "all of them (run_id=NAME or KENGINE_RUN_ID)",
                 wl->workers);
        return EXITCODE_USAGE;
    }
    if (!wl->brokers) {
        snprintf(err, errlen,
                 "workers of a shared run need a shared broker (brokers=, -b or "
                 "KENGINE_BROKERS); without a worker index, `workers=%d` "
                 "launches them here with an embedded broker",
                 wl->workers);
        return EXITCODE_USAGE;
    }
    dist_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return EXITCODE_RUNTIME;
    }
    workload share_wl;
    if (dist_workload(wl, &share_wl, &c->share, err, errlen)) {
        free(c);
        return EXITCODE_RUNTIME;
    }
    c->wl = wl;
    c->ts = ts;
    c->nts = nts;
    c->nonce = random_nonce();
    dist_barrier_init(&c->barrier, wl->workers, wl->worker, c->nonce);
    int rc;
    /* read from a little before the earliest a peer could have announced */
    int64_t since_ms = stats_wall_us() / 1000 - (int64_t)(wl->start_timeout * 1000) - 60000;
    c->res = kafka_channel_open(wl->brokers, wl, wl->run_id, since_ms, err, errlen);
    if (!c->res) {
        rc = EXITCODE_RUNTIME;
        goto out;
    }
    rc = claim(c, err, errlen);
    if (rc) goto out; /* no final record either: the index is not ours, or unknown */
    engine_worker ew = {.share = &c->share, .gate = gate, .collect = collect, .ud = c};
    batch_relay br = {.c = c, .on_batch = on_batch, .ud = ud};
    rc = engine_run_worker(&share_wl, &ew, relay_batch, &br, s, err, errlen);
    /* the summary outlives share_wl: point its names at the caller's */
    s->name = wl->name;
    for (size_t p = 0; p < s->nphases && p < wl->nphases; p++)
        s->phases[p].name = wl->phases[p].name;
    if (c->coord_running) { /* the engine stopped before collecting */
        atomic_store(&c->coord_stop, true);
        pthread_join(c->coord, NULL);
    }
    char perr[512];
    if (publish_final(c, s->started ? NULL : (err[0] ? err : "did not start"), perr,
                      sizeof perr)) {
        fprintf(stderr, "kengine: worker %d: cannot write the final state: %s\n", wl->worker,
                perr);
        if (!rc) {
            snprintf(err, errlen, "%s", perr);
            rc = EXITCODE_RUNTIME;
        }
    } else if (s->started) {
        /* a notice: the local launcher starts its workers with -q and prints
         * the merged report itself (on the embedded broker the run is gone
         * with it); anyone else gets a command that works as printed */
        workload defaults;
        bool other_results = false;
        if (workload_init(&defaults) == 0) {
            other_results = strcmp(wl->results, defaults.results) != 0;
            workload_free(&defaults);
        }
        logger_notice("worker %d of run '%s': final state on '%s'; merge the run with: "
                      "kengine report %s -b %s%s%s",
                      wl->worker, wl->run_id, wl->results, wl->run_id, wl->brokers,
                      other_results ? " --results " : "", other_results ? wl->results : "");
    }
out:
    kafka_channel_close(c->res);
    dist_state_free(c->state);
    workload_free(&share_wl);
    free(c);
    return rc;
}
