/*
 * engine: one run, from broker resolution to the summary. See engine.h.
 */
#include "engine.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvsrc.h"
#include "figures.h"
#include "kafka.h"
#include "logger.h"
#include "hub.h"
#include "signals.h"
#include "flow.h"
#include "stats.h"

/* How far (value bytes) the producer may run ahead of the consumer on the
 * embedded broker. Its mock partitions keep ~5 MiB each before dropping
 * the oldest data; 3 MiB of values (plus per-message overhead) stays under
 * that even if every unconsumed message sits in one partition. */
#define EMBEDDED_WINDOW_BYTES (3u << 20)
#define MAX_CONSUMERS         HUB_MAX_CONSUMERS

static engine_tick_fn tick_fn;
static void *tick_ud;

void engine_set_tick(engine_tick_fn fn, void *ud) {
    tick_fn = fn;
    tick_ud = ud;
}

/* A look at the run for the progress line; `recent` is scratch space. */
static void tick(hub *pl, const workload *wl, double t0, stats_hist *recent) {
    progress_sample s = {.elapsed = stats_now() - t0,
                         .producing = wl->produce,
                         .consuming = wl->consume,
                         .produced = atomic_load(&pl->produced_msgs),
                         .consumed = atomic_load(&pl->consumed_msgs),
                         .records = workload_records(wl),
                         .p99_ms = -1};
    int ph = atomic_load(&pl->phase);
    if (wl->nphases && ph >= 0 && (size_t)ph < wl->nphases) s.phase = wl->phases[ph].name;
    if (recent) {
        stats_hist_reset(recent);
        pthread_mutex_lock(&pl->mu);
        for (int i = 0; i < HUB_MAX_CONSUMERS; i++)
            if (pl->recent[i]) stats_hist_merge(recent, pl->recent[i]);
        pthread_mutex_unlock(&pl->mu);
        if (stats_hist_count(recent))
            s.p99_ms = (double)stats_hist_percentile(recent, 99) / 1000.0;
    }
    tick_fn(tick_ud, &s);
}

static uint64_t new_run_id(void) {
    uint64_t id = (uint64_t)stats_wall_us() ^ ((uint64_t)getpid() << 40);
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        uint64_t r;
        if (fread(&r, sizeof r, 1, f) == 1) id ^= r;
        fclose(f);
    }
    return id ? id : 1;
}

/* Messages lost: when this run produced, sequence numbers it sent whose
 * delivery did not fail and that were never consumed; when it only
 * consumed, the records it expected and did not find. desc (if any) gets
 * the missing sequence numbers as ranges, when some are lost. */
static uint64_t count_lost(const workload *wl, const hub *pl, const kafka_producer_job *pj,
                           char *desc, size_t desclen) {
    char none[1];
    if (!desc) desc = none, desclen = sizeof none;
    uint64_t lost;
    if (!wl->produce) {
        lost = run_unfound(workload_records(wl) * (uint64_t)pl->copies,
                           atomic_load(&((hub *)pl)->distinct) +
                               atomic_load(&((hub *)pl)->unsequenced));
        if (lost) hub_missing(pl, NULL, NULL, workload_records(wl), desc, desclen);
    } else {
        lost = hub_missing(pl, &pj->failed, &pj->aborted, pj->sent, desc, desclen);
    }
    if (!lost) desc[0] = '\0';
    return lost;
}

/* Adds the consumers' figures into the summary, each by the rule the
 * table of figures declares (figures_merge: consumed, foreign, words and
 * bytes summed, the latency histograms merged into the first consumer's,
 * which moves to the summary). The figures a consumer does not have are 0
 * in its summary and leave the run's as they are (sums and maxima). The
 * rest are the merge's caller's, as figures.h says: the distinct words
 * (UNION) from the consumers' sets, gathered in cj[0]; the partitions. */
static void merge_consumers(run_summary *s, kafka_consumer_job *cj, int n) {
    flow_consumer *c0 = &cj[0].acc;
    s->latency = c0->latency;
    c0->latency = NULL;
    double first = 0, last = 0;
    for (int i = 0; i < n; i++) {
        flow_consumer *c = &cj[i].acc;
        run_summary f = {.consumed = c->consumed,
                         .foreign = c->foreign,
                         .words = c->words,
                         .bytes = c->bytes,
                         .latency = c->latency};
        /* -1 only when a histogram must be copied: never, into the first's */
        (void)figures_merge(FIGURES_IN_SUMMARY, s, &f);
        /* duplicates (BITMAP): the consumers counted theirs against the
         * run's one bitmap, so theirs add up */
        s->duplicates += c->duplicates;
        /* consume_seconds: the run's span, earliest first to latest last,
         * not the table's MAX of each one's span (which merges workers) */
        if (c->first && (!first || c->first < first)) first = c->first;
        if (c->last > last) last = c->last;
        if (i > 0) {
            flow_counts_merge(&c0->partitions, &c->partitions);
            /* without memory the set stays short; counts stay exact */
            (void)words_set_merge(words_merger_wait(c0->run_words),
                                  words_merger_wait(c->run_words));
        }
    }
    s->consume_seconds = last > first ? last - first : 0;
    s->unique_words_total = words_set_size(words_merger_wait(c0->run_words));
}

/* Phase i's consumer figures, merged as merge_consumers does: messages
 * summed, the latency histograms merged into the first consumer's, which
 * moves to the phase. */
static void merge_consumer_phase(run_phase *ph, kafka_consumer_job *cj, int n, size_t i) {
    ph->latency = cj[0].acc.phase_latency[i];
    cj[0].acc.phase_latency[i] = NULL;
    for (int c = 0; c < n; c++) {
        run_phase f = {.consumed = cj[c].acc.phase_consumed[i],
                       .latency = cj[c].acc.phase_latency[i]};
        (void)figures_merge(FIGURES_IN_PHASE, ph, &f);
    }
}

/* The phases' figures: the producer's per phase, the consumers' merged. */
static void summarize_phases(const workload *wl, const kafka_producer_job *pj,
                             kafka_consumer_job *cj, int ncons, run_summary *s) {
    if (!(s->phases = calloc(wl->nphases, sizeof *s->phases))) return;
    for (size_t i = 0; i < wl->nphases && i < HUB_MAX_PHASES; i++) {
        run_phase *ph = &s->phases[s->nphases++];
        ph->name = wl->phases[i].name;
        ph->sent = pj->phase_sent[i];
        ph->seconds = pj->phase_seconds[i];
        ph->target_rate = wl->phases[i].rate;
        if (ncons) merge_consumer_phase(ph, cj, ncons, i);
    }
}

/* Where the time went, per broker, over the run: the producer's client's
 * view (the consumers', merged by figures.h's broker rules, when the run
 * only consumed), and the consumers' largest lag, in all and per
 * partition. */
static void summarize_brokers(const workload *wl, kafka_producer_job *pj,
                              kafka_consumer_job *cj, int ncons, run_summary *s) {
    run_broker all[RUN_BROKERS_MAX];
    size_t n = 0;
    if (wl->produce) {
        n = kafka_stats_run(&pj->stats, all, RUN_BROKERS_MAX);
    } else {
        for (int c = 0; c < ncons; c++) {
            run_broker mine[RUN_BROKERS_MAX];
            size_t m = kafka_stats_run(&cj[c].stats, mine, RUN_BROKERS_MAX);
            for (size_t i = 0; i < m; i++) {
                size_t k = 0;
                while (k < n && all[k].id != mine[i].id) k++;
                if (k == n && n < RUN_BROKERS_MAX)
                    all[n++] = mine[i];
                else if (k < n)
                    (void)figures_merge(FIGURES_IN_BROKER, &all[k], &mine[i]);
            }
        }
    }
    uint64_t part[KAFKA_STATS_PARTITIONS] = {0};
    size_t nparts = 0;
    for (int c = 0; c < ncons; c++) {
        uint64_t lag = kafka_stats_lag_max(&cj[c].stats);
        if (lag > s->consumer_lag_max) s->consumer_lag_max = lag;
        uint64_t mine[KAFKA_STATS_PARTITIONS];
        size_t m = kafka_stats_part_lag(&cj[c].stats, mine, KAFKA_STATS_PARTITIONS);
        for (size_t i = 0; i < m; i++)
            if (mine[i] > part[i]) part[i] = mine[i];
        if (m > nparts) nparts = m;
    }
    if (nparts && (s->part_lag = malloc(nparts * sizeof *s->part_lag))) {
        memcpy(s->part_lag, part, nparts * sizeof *s->part_lag);
        s->npart_lag = nparts;
    }
    if (!n || !(s->brokers = malloc(n * sizeof *s->brokers))) return;
    memcpy(s->brokers, all, n * sizeof *s->brokers);
    s->nbrokers = n;
}

void engine_summarize(const workload *wl, hub *pl, kafka_producer_job *pj,
                      kafka_consumer_job *cj, int ncons, run_summary *s) {
    s->sent = pj->sent;
    s->delivered = pj->delivered;
    s->delivery_errors = pj->errors;
    s->produce_seconds = pj->produce_seconds;
    s->aborted = pj->aborted_count;
    if (wl->produce) {
        /* every partition of the topic, also those that got nothing */
        if (!strcmp(workload_consume_topic(wl), wl->topic))
            flow_counts_size(&pj->part_delivered, (size_t)pl->partitions);
        s->part_delivered = pj->part_delivered.v;
        s->npart_delivered = pj->part_delivered.n;
        pj->part_delivered = (flow_counts){0};
    }
    if (wl->nphases) s->records = wl->produce ? pj->sent : workload_phase_records(wl);
    if (ncons) {
        merge_consumers(s, cj, ncons);
        /* the last batch's merge finished after its consumer did */
        for (int i = 0; i < ncons; i++)
            if (cj[i].acc.run_words && words_merger_oom(cj[i].acc.run_words)) {
                hub_fail(pl, EXITCODE_RUNTIME, "out of memory counting distinct words");
                break;
            }
        flow_counts *pc = &cj[0].acc.partitions;
        flow_counts_size(pc, (size_t)pl->partitions);
        s->part_consumed = pc->v;
        s->npart_consumed = pc->n;
        *pc = (flow_counts){0};
        /* a run stopped early did not give the consumers their chance: what
         * they missed is unconsumed, not lost (and not listed); a worker's
         * share: loss is counted by the merge (kengine report) */
        if (!pl->share) {
            const bool stopped = atomic_load(&pl->stop);
            run_set_loss(s,
                         count_lost(wl, pl, pj, stopped ? NULL : s->missing, sizeof s->missing),
                         stopped);
        }
    }
    if (wl->nphases) summarize_phases(wl, pj, cj, ncons, s);
    summarize_brokers(wl, pj, cj, ncons, s);
}

int engine_verdict(const hub *pl, const run_summary *s, int ncons, int hook_rc, int sig,
                   char *err, size_t errlen) {
    int rc = pl->exit_code;
    if (pl->error[0]) snprintf(err, errlen, "%s", pl->error);
    if (hook_rc) return hook_rc;
    if (sig) return EXITCODE_SIGNAL(sig);
    /* the figures' verdict (delivery failures are the producer's error
     * already); a worker's share: the merge's (kengine report) */
    if (rc == EXITCODE_OK && ncons && !pl->share) rc = run_verdict(s, false, err, errlen);
    return rc;
}

/* One run's state, from set-up to tear-down. */
typedef struct {
    const workload *wl;
    const engine_worker *w; /* a worker of a shared run, or NULL */
    hub pl;
    kafka_embedded *emb;
    csvsrc *csv;
    kafka_producer_job pj;
    kafka_consumer_job cj[MAX_CONSUMERS];
    int ncons;
    pthread_t pt, ct[MAX_CONSUMERS];
    bool have_p, have_c[MAX_CONSUMERS];
} run;

/* Set-up: the input (a bad CSV is reported before any broker work), the
 * broker (the embedded one when none is given), the topic, the workers'
 * state. Returns 0, or an exit code with err set. */
static int run_setup(run *r, char *err, size_t errlen) {
    const workload *wl = r->wl;
    if (!wl->brokers && wl->transactional && wl->abort_every) {
        snprintf(err, errlen,
                 "field 'abort_every': the embedded broker cannot abort a "
                 "transaction (librdkafka's mock writes no transaction markers, so "
                 "aborted messages would be read); give a real Kafka with -b");
        return EXITCODE_USAGE;
    }
    if (wl->produce) {
        csvsrc_opts copts = {.ragged = wl->ragged};
        r->csv = csvsrc_open(wl->csv, &copts, err, errlen);
        if (!r->csv) return EXITCODE_USAGE;
    }
    const char *brokers = wl->brokers;
    if (!brokers) {
        r->emb = kafka_embedded_start(1, err, errlen);
        if (!r->emb || kafka_embedded_topic(r->emb, wl->topic, wl->partitions, err, errlen))
            return EXITCODE_RUNTIME;
        if (strcmp(workload_consume_topic(wl), wl->topic) &&
            kafka_embedded_topic(r->emb, workload_consume_topic(wl), wl->partitions, err,
                                 errlen))
            return EXITCODE_RUNTIME;
        brokers = kafka_embedded_bootstraps(r->emb);
        logger_notice("no brokers given: using the embedded broker at %s", brokers);
        if (wl->produce && wl->consume) r->pl.window_bytes = EMBEDDED_WINDOW_BYTES;
    }
    r->pl.brokers = brokers;
    bool mock = false;
    int prep = kafka_topic_prepare(brokers, wl, wl->produce, &r->pl.partitions,
                                   wl->produce && wl->consume ? &r->pl.start_offsets : NULL,
                                   &mock, err, errlen);
    if (prep) return prep == -2 ? EXITCODE_USAGE : EXITCODE_RUNTIME;
    r->pl.mock = r->emb || mock;
    /* workers on another process's embedded broker: the window bounds
     * the group's bytes in flight (dist/worker.c shares the figures) */
    if (r->w && mock && wl->produce && wl->consume) r->pl.window_bytes = EMBEDDED_WINDOW_BYTES;
    r->pj.pl = &r->pl;
    r->pj.csv = r->csv;
    for (int c = 0; c < r->ncons; c++) {
        r->cj[c].pl = &r->pl;
        r->cj[c].index = c;
        if (flow_consumer_init(&r->cj[c].acc, wl)) {
            snprintf(err, errlen, "out of memory");
            return EXITCODE_RUNTIME;
        }
    }
    return EXITCODE_OK;
}

/* Starts the consumers, then (a worker: once through its gate, the start
 * barrier) the producer. Returns 0, or the gate's exit code with err set:
 * then the run stops before it started. */
static int run_start_threads(run *r, char *err, size_t errlen) {
    r->pl.workers_running = r->ncons + (r->wl->produce ? 1 : 0);
    for (int c = 0; c < r->ncons; c++) {
        if (pthread_create(&r->ct[c], NULL, kafka_consumer_thread, &r->cj[c]) == 0)
            r->have_c[c] = true;
        else
            hub_worker_exit(&r->pl);
    }
    int gate_rc = r->w && r->w->gate ? r->w->gate(r->w->ud, &r->pl, err, errlen) : 0;
    if (gate_rc) {
        hub_fail(&r->pl, gate_rc, "%s", err);
        if (r->wl->produce) hub_worker_exit(&r->pl);
        return gate_rc;
    }
    if (r->wl->produce) {
        if (pthread_create(&r->pt, NULL, kafka_producer_thread, &r->pj) == 0)
            r->have_p = true;
        else
            hub_worker_exit(&r->pl);
    }
    return 0;
}

/* The loop, on the main thread: reports batches and runs hooks until the
 * workers end; a signal or a hook's stop asks them to wind down. Joins the
 * threads. Returns the hook's exit code (0 if none); *sig the signal. */
static int run_loop(run *r, engine_batch_fn on_batch, void *ud, int *sig) {
    int hook_rc = 0;
    *sig = 0;
    stats_hist *recent = tick_fn ? stats_hist_new() : NULL;
    double last_tick = 0;
    for (;;) {
        run_batch b;
        int got = hub_next(&r->pl, &b, 0.1);
        if (tick_fn && stats_now() - last_tick >= 0.1) {
            last_tick = stats_now();
            tick(&r->pl, r->wl, r->pl.t0, recent);
        }
        if (signals_caught && !*sig) {
            *sig = signals_caught;
            logger_msg("%s: stopping, flushing what is in flight",
                       *sig == SIGINT ? "interrupted" : "terminated");
            atomic_store(&r->pl.stop, true);
        }
        if (got < 0) break;
        if (got == 0) continue;
        int h = on_batch ? on_batch(ud, &b) : 0;
        run_batch_free(&b);
        if (h && !hook_rc) {
            hook_rc = h;
            atomic_store(&r->pl.stop, true);
        }
    }
    stats_hist_free(recent);
    if (r->have_p) pthread_join(r->pt, NULL);
    for (int c = 0; c < r->ncons; c++)
        if (r->have_c[c]) pthread_join(r->ct[c], NULL);
    return hook_rc;
}

static void run_teardown(run *r, run_summary *s) {
    for (int c = 0; c < r->ncons; c++) flow_consumer_free(&r->cj[c].acc);
    hub_bits_free(&r->pj.failed);
    hub_bits_free(&r->pj.aborted);
    flow_counts_free(&r->pj.part_delivered);
    if (r->csv) {
        s->csv_skipped = csvsrc_skipped(r->csv);
        s->csv_padded = csvsrc_padded(r->csv);
        csvsrc_close(r->csv);
    }
    kafka_embedded_stop(r->emb);
    hub_destroy(&r->pl);
    kafka_stats_destroy(&r->pj.stats);
    for (int c = 0; c < r->ncons; c++) kafka_stats_destroy(&r->cj[c].stats);
}

int engine_run(const workload *wl, engine_batch_fn on_batch, void *ud, run_summary *s,
               char *err, size_t errlen) {
    return engine_run_worker(wl, NULL, on_batch, ud, s, err, errlen);
}

/* A run of `wl` (a worker's share of it when w), its hub initialised,
 * started at t0. NULL with err. */
static run *run_new(const workload *wl, const engine_worker *w, double t0, char *err,
                    size_t errlen) {
    run *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->wl = wl;
    r->w = w;
    r->ncons =
        wl->consume ? (wl->consumers < MAX_CONSUMERS ? wl->consumers : MAX_CONSUMERS) : 0;
    if (hub_init(&r->pl, wl, w ? w->share->total : workload_records(wl))) {
        snprintf(err, errlen, "cannot initialise the run (out of memory?)");
        free(r);
        return NULL;
    }
    r->pl.run_id = w ? w->share->run_tag : new_run_id();
    r->pl.share = w ? w->share : NULL;
    r->pl.t0 = t0;
    r->pl.progress = tick_fn != NULL;
    kafka_stats_init(&r->pj.stats);
    for (int c = 0; c < r->ncons; c++) kafka_stats_init(&r->cj[c].stats);
    return r;
}

/* The threads' life once set up: started, served until they end, their
 * figures summarized and judged. Returns the exit code. */
static int run_threads(run *r, engine_batch_fn on_batch, void *ud, run_summary *s, char *err,
                       size_t errlen) {
    s->started = true;
    int gate_rc = run_start_threads(r, err, errlen);
    int sig;
    int hook_rc = run_loop(r, on_batch, ud, &sig);
    engine_summarize(r->wl, &r->pl, &r->pj, r->cj, r->ncons, s);
    int rc = engine_verdict(&r->pl, s, r->ncons, hook_rc, sig, err, errlen);
    /* the run never started: no summary, the gate's error alone */
    if (gate_rc) s->started = false;
    return rc;
}

/* A worker's collect hook: what the threads left behind, before it is
 * freed. */
static void run_collect(run *r, run_summary *s, int rc, double t0) {
    if (r->csv) {
        s->csv_skipped = csvsrc_skipped(r->csv);
        s->csv_padded = csvsrc_padded(r->csv);
    }
    engine_outcome o = {.pl = &r->pl,
                        .producer = r->wl->produce ? &r->pj : NULL,
                        .consumers = r->cj,
                        .ncons = r->ncons,
                        .summary = s,
                        .started = t0,
                        .rc = rc};
    r->w->collect(r->w->ud, &o);
}

int engine_run_worker(const workload *wl, const engine_worker *w, engine_batch_fn on_batch,
                      void *ud, run_summary *s, char *err, size_t errlen) {
    *s = (run_summary){.name = wl->name,
                       .mode = wl->mode == WORKLOAD_SYNC ? "sync" : "async",
                       .records = wl->records,
                       .produced = wl->produce,
                       .consumed_run = wl->consume};
    err[0] = '\0';
    double t0 = stats_now(), cpu0 = stats_cpu_seconds();
    run *r = run_new(wl, w, t0, err, errlen);
    if (!r) return EXITCODE_RUNTIME;
    int rc = run_setup(r, err, errlen);
    if (rc == EXITCODE_OK) rc = run_threads(r, on_batch, ud, s, err, errlen);
    double wall = stats_now() - t0;
    s->cpu_percent = wall > 0 ? 100.0 * (stats_cpu_seconds() - cpu0) / wall : 0;
    s->peak_rss_mb = stats_peak_rss_mb();
    snprintf(s->error, sizeof s->error, "%s", err);
    if (w && w->collect && s->started) run_collect(r, s, rc, t0);
    run_teardown(r, s);
    free(r);
    return rc;
}
