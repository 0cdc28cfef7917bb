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
#include "kafka.h"
#include "pipeline.h"
#include "signals.h"
#include "worker.h"
#include "stats.h"

/* How far (value bytes) the producer may run ahead of the consumer on the
 * embedded broker. Its mock partitions keep ~5 MiB each before dropping
 * the oldest data; 3 MiB of values (plus per-message overhead) stays under
 * that even if every unconsumed message sits in one partition. */
#define EMBEDDED_WINDOW_BYTES (3u << 20)
#define MAX_CONSUMERS         PIPELINE_MAX_CONSUMERS

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
 * consumed, the records it expected and did not find. */
static uint64_t count_lost(const workload *wl, const pipeline *pl,
                           const kafka_producer_job *pj) {
    if (!wl->produce) {
        uint64_t want = workload_records(wl);
        uint64_t got = atomic_load(&((pipeline *)pl)->distinct) +
                       atomic_load(&((pipeline *)pl)->unsequenced);
        return want > got ? want - got : 0;
    }
    uint64_t lost = 0;
    for (uint64_t seq = 0; seq < pj->sent; seq++)
        if (!pipeline_seen_get(pl, seq) && !pipeline_bits_get(&pj->failed, seq)) lost++;
    return lost;
}

/* Adds the consumers' figures into the summary; the run's and phases'
 * histograms gather in cj[0] and move to the summary. */
static void merge_consumers(report_summary *s, kafka_consumer_job *cj, int n) {
    double first = 0, last = 0;
    worker_consumer *c0 = &cj[0].acc;
    for (int i = 0; i < n; i++) {
        worker_consumer *c = &cj[i].acc;
        s->consumed += c->consumed;
        s->duplicates += c->duplicates;
        s->words += c->words;
        s->bytes += c->bytes;
        if (c->first && (!first || c->first < first)) first = c->first;
        if (c->last > last) last = c->last;
        if (i > 0) {
            /* without memory the set stays short; counts stay exact */
            (void)words_set_merge(c0->run_words, c->run_words);
            stats_hist_merge(c0->latency, c->latency);
            for (int p = 0; p < PIPELINE_MAX_PHASES; p++) {
                c0->phase_consumed[p] += c->phase_consumed[p];
                if (c0->phase_latency[p] && c->phase_latency[p])
                    stats_hist_merge(c0->phase_latency[p], c->phase_latency[p]);
            }
        }
    }
    s->consume_seconds = last > first ? last - first : 0;
    s->unique_words_total = words_set_size(c0->run_words);
    s->latency = c0->latency;
    c0->latency = NULL;
}

void engine_summarize(const workload *wl, pipeline *pl, kafka_producer_job *pj,
                      kafka_consumer_job *cj, int ncons, report_summary *s) {
    s->sent = pj->sent;
    s->delivered = pj->delivered;
    s->delivery_errors = pj->errors;
    s->produce_seconds = pj->produce_seconds;
    if (wl->nphases) s->records = wl->produce ? pj->sent : workload_phase_records(wl);
    if (ncons) {
        merge_consumers(s, cj, ncons);
        /* a run stopped early did not give the consumers their chance: what
         * they missed is unconsumed, not lost; a worker's share: loss is
         * counted by the merge (kengine report) */
        if (pl->share) {
        } else if (atomic_load(&pl->stop)) {
            s->unconsumed = count_lost(wl, pl, pj);
        } else {
            s->lost = count_lost(wl, pl, pj);
        }
    }
    if (wl->nphases && (s->phases = calloc(wl->nphases, sizeof *s->phases))) {
        for (size_t i = 0; i < wl->nphases && i < PIPELINE_MAX_PHASES; i++) {
            report_phase *ph = &s->phases[s->nphases++];
            ph->name = wl->phases[i].name;
            ph->sent = pj->phase_sent[i];
            ph->seconds = pj->phase_seconds[i];
            ph->target_rate = wl->phases[i].rate;
            if (ncons) {
                ph->consumed = cj[0].acc.phase_consumed[i];
                ph->latency = cj[0].acc.phase_latency[i];
                cj[0].acc.phase_latency[i] = NULL;
            }
        }
    }
}

int engine_verdict(const pipeline *pl, const report_summary *s, int ncons, int hook_rc, int sig,
                   char *err, size_t errlen) {
    int rc = pl->exit_code;
    if (pl->error[0]) snprintf(err, errlen, "%s", pl->error);
    if (hook_rc) return hook_rc;
    if (sig) return EXITCODE_SIGNAL(sig);
    if (rc == EXITCODE_OK && ncons && !pl->share && (s->lost || s->duplicates)) {
        snprintf(err, errlen, "%llu messages lost, %llu duplicated",
                 (unsigned long long)s->lost, (unsigned long long)s->duplicates);
        rc = EXITCODE_RUNTIME;
    }
    return rc;
}

/* One run's state, from set-up to tear-down. */
typedef struct {
    const workload *wl;
    const engine_worker *w; /* a worker of a shared run, or NULL */
    pipeline pl;
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
        brokers = kafka_embedded_bootstraps(r->emb);
        fprintf(stderr, "kengine: no brokers given: using the embedded broker at %s\n",
                brokers);
        if (wl->produce && wl->consume) r->pl.window_bytes = EMBEDDED_WINDOW_BYTES;
    }
    r->pl.brokers = brokers;
    bool mock = false;
    if (kafka_topic_prepare(brokers, wl, wl->produce, &r->pl.partitions,
                            wl->produce && wl->consume ? &r->pl.start_offsets : NULL, &mock,
                            err, errlen))
        return EXITCODE_RUNTIME;
    r->pl.mock = r->emb || mock;
    /* workers on another process's embedded broker: the window bounds
     * the group's bytes in flight (dist_run.c shares the figures) */
    if (r->w && mock && wl->produce && wl->consume) r->pl.window_bytes = EMBEDDED_WINDOW_BYTES;
    r->pj.pl = &r->pl;
    r->pj.csv = r->csv;
    for (int c = 0; c < r->ncons; c++) {
        r->cj[c].pl = &r->pl;
        r->cj[c].index = c;
        if (worker_consumer_init(&r->cj[c].acc, wl)) {
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
            pipeline_worker_exit(&r->pl);
    }
    int gate_rc = r->w && r->w->gate ? r->w->gate(r->w->ud, &r->pl, err, errlen) : 0;
    if (gate_rc) {
        pipeline_fail(&r->pl, gate_rc, "%s", err);
        if (r->wl->produce) pipeline_worker_exit(&r->pl);
        return gate_rc;
    }
    if (r->wl->produce) {
        if (pthread_create(&r->pt, NULL, kafka_producer_thread, &r->pj) == 0)
            r->have_p = true;
        else
            pipeline_worker_exit(&r->pl);
    }
    return 0;
}

/* The loop, on the main thread: reports batches and runs hooks until the
 * workers end; a signal or a hook's stop asks them to wind down. Joins the
 * threads. Returns the hook's exit code (0 if none); *sig the signal. */
static int run_loop(run *r, engine_batch_fn on_batch, void *ud, int *sig) {
    int hook_rc = 0;
    *sig = 0;
    for (;;) {
        report_batch b;
        int got = pipeline_next(&r->pl, &b, 0.1);
        if (signals_caught && !*sig) {
            *sig = signals_caught;
            fprintf(stderr, "kengine: %s: stopping, flushing what is in flight\n",
                    *sig == SIGINT ? "interrupted" : "terminated");
            atomic_store(&r->pl.stop, true);
        }
        if (got < 0) break;
        if (got == 0) continue;
        int h = on_batch ? on_batch(ud, &b) : 0;
        report_batch_free(&b);
        if (h && !hook_rc) {
            hook_rc = h;
            atomic_store(&r->pl.stop, true);
        }
    }
    if (r->have_p) pthread_join(r->pt, NULL);
    for (int c = 0; c < r->ncons; c++)
        if (r->have_c[c]) pthread_join(r->ct[c], NULL);
    return hook_rc;
}

static void run_teardown(run *r, report_summary *s) {
    for (int c = 0; c < r->ncons; c++) worker_consumer_free(&r->cj[c].acc);
    pipeline_bits_free(&r->pj.failed);
    if (r->csv) {
        s->csv_skipped = csvsrc_skipped(r->csv);
        s->csv_padded = csvsrc_padded(r->csv);
        csvsrc_close(r->csv);
    }
    kafka_embedded_stop(r->emb);
    pipeline_destroy(&r->pl);
}

int engine_run(const workload *wl, engine_batch_fn on_batch, void *ud, report_summary *s,
               char *err, size_t errlen) {
    return engine_run_worker(wl, NULL, on_batch, ud, s, err, errlen);
}

int engine_run_worker(const workload *wl, const engine_worker *w, engine_batch_fn on_batch,
                      void *ud, report_summary *s, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->name = wl->name;
    s->mode = wl->mode == WORKLOAD_SYNC ? "sync" : "async";
    s->records = wl->records;
    s->produced = wl->produce;
    s->consumed_run = wl->consume;
    err[0] = '\0';

    double t0 = stats_now(), cpu0 = stats_cpu_seconds();
    run *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return EXITCODE_RUNTIME;
    }
    r->wl = wl;
    r->w = w;
    r->ncons =
        wl->consume ? (wl->consumers < MAX_CONSUMERS ? wl->consumers : MAX_CONSUMERS) : 0;
    if (pipeline_init(&r->pl, wl, w ? w->share->total : workload_records(wl))) {
        snprintf(err, errlen, "cannot initialise the run (out of memory?)");
        free(r);
        return EXITCODE_RUNTIME;
    }
    r->pl.run_id = w ? w->share->run_tag : new_run_id();
    r->pl.share = w ? w->share : NULL;

    int rc = run_setup(r, err, errlen);
    if (rc == EXITCODE_OK) {
        s->started = true;
        int gate_rc = run_start_threads(r, err, errlen);
        int sig;
        int hook_rc = run_loop(r, on_batch, ud, &sig);
        engine_summarize(wl, &r->pl, &r->pj, r->cj, r->ncons, s);
        rc = engine_verdict(&r->pl, s, r->ncons, hook_rc, sig, err, errlen);
        /* the run never started: no summary, the gate's error alone */
        if (gate_rc) s->started = false;
    }
    double wall = stats_now() - t0;
    s->cpu_percent = wall > 0 ? 100.0 * (stats_cpu_seconds() - cpu0) / wall : 0;
    s->peak_rss_mb = stats_peak_rss_mb();
    snprintf(s->error, sizeof s->error, "%s", err);
    if (w && w->collect && s->started) {
        if (r->csv) {
            s->csv_skipped = csvsrc_skipped(r->csv);
            s->csv_padded = csvsrc_padded(r->csv);
        }
        engine_outcome o = {.pl = &r->pl,
                            .producer = wl->produce ? &r->pj : NULL,
                            .consumers = r->cj,
                            .ncons = r->ncons,
                            .summary = s,
                            .started = t0,
                            .rc = rc};
        w->collect(w->ud, &o);
    }
    run_teardown(r, s);
    free(r);
    return rc;
}
