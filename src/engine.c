/*
 * engine: one run, from broker resolution to the summary. See engine.h.
 */
#include "engine.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_source.h"
#include "kafka.h"
#include "pipeline.h"
#include "stats.h"

volatile sig_atomic_t engine_signal = 0;

/* How far (value bytes) the producer may run ahead of the consumer on the
 * embedded broker. Its mock partitions keep ~5 MiB each before dropping
 * the oldest data; 3 MiB of values (plus per-message overhead) stays under
 * that even if every unconsumed message sits in one partition. */
#define EMBEDDED_WINDOW_BYTES (3u << 20)
#define MAX_CONSUMERS PIPELINE_MAX_CONSUMERS

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

/* Adds the consumers' figures into the summary. */
static void merge_consumers(report_summary *s, kafka_consumer_job *cj, int n) {
    double first = 0, last = 0;
    for (int i = 0; i < n; i++) {
        s->consumed += cj[i].consumed;
        s->duplicates += cj[i].duplicates;
        s->words += cj[i].words;
        s->bytes += cj[i].bytes;
        if (cj[i].first && (!first || cj[i].first < first)) first = cj[i].first;
        if (cj[i].last > last) last = cj[i].last;
        if (i > 0) {
            if (cj[0].run_words && cj[i].run_words)
                words_set_merge(cj[0].run_words, cj[i].run_words);
            if (cj[0].latency && cj[i].latency) stats_hist_merge(cj[0].latency, cj[i].latency);
            for (int p = 0; p < PIPELINE_MAX_PHASES; p++) {
                cj[0].phase_consumed[p] += cj[i].phase_consumed[p];
                if (cj[0].phase_latency[p] && cj[i].phase_latency[p])
                    stats_hist_merge(cj[0].phase_latency[p], cj[i].phase_latency[p]);
            }
        }
    }
    s->consume_seconds = last > first ? last - first : 0;
    s->unique_words_total = cj[0].run_words ? words_set_size(cj[0].run_words) : 0;
    s->latency = cj[0].latency;
    cj[0].latency = NULL;
}

int engine_run(const workload *wl, engine_batch_fn on_batch, void *ud,
               report_summary *s, char *err, size_t errlen) {
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
    int rc = 0;
    kafka_embedded *emb = NULL;
    csvsrc *csv = NULL;
    csvsrc_opts copts = {.ragged = wl->ragged};
    pipeline pl;
    kafka_producer_job pj = {0};
    kafka_consumer_job cj[MAX_CONSUMERS];
    const int ncons = wl->consume ? (wl->consumers < MAX_CONSUMERS ? wl->consumers : MAX_CONSUMERS) : 0;
    memset(cj, 0, sizeof cj);
    uint64_t expected = w ? w->share->total : workload_records(wl);
    if (pipeline_init(&pl, wl, expected)) {
        snprintf(err, errlen, "cannot initialise the run (out of memory?)");
        return 1;
    }
    pl.run_id = w ? w->share->run_tag : new_run_id();
    pl.share = w ? w->share : NULL;

    /* Input first: a bad CSV is reported before any broker work. */
    if (wl->produce) {
        csv = csvsrc_open(wl->csv, &copts, err, errlen);
        if (!csv) {
            rc = 2;
            goto done;
        }
    }

    const char *brokers = wl->brokers;
    if (!brokers) {
        emb = kafka_embedded_start(1, err, errlen);
        if (!emb || kafka_embedded_topic(emb, wl->topic, wl->partitions, err, errlen)) {
            rc = 1;
            goto done;
        }
        brokers = kafka_embedded_bootstraps(emb);
        fprintf(stderr, "kengine: no brokers given: using the embedded broker at %s\n",
                brokers);
        if (wl->produce && wl->consume) pl.window_bytes = EMBEDDED_WINDOW_BYTES;
    }
    pl.brokers = brokers;
    bool mock = false;
    if (kafka_topic_prepare(brokers, wl, wl->produce, &pl.partitions,
                            wl->produce && wl->consume ? &pl.start_offsets : NULL, &mock,
                            err, errlen)) {
        rc = 1;
        goto done;
    }
    pl.mock = emb || mock;
    /* workers on another process's embedded broker: the window bounds
     * the group's bytes in flight (dist_run.c shares the figures) */
    if (w && mock && wl->produce && wl->consume) pl.window_bytes = EMBEDDED_WINDOW_BYTES;

    pj.pl = &pl;
    pj.csv = csv;
    bool oom = false;
    for (int c = 0; c < ncons; c++) {
        cj[c].pl = &pl;
        cj[c].index = c;
        oom |= !(cj[c].latency = stats_hist_new());
        for (size_t i = 0; i < wl->nphases && i < PIPELINE_MAX_PHASES; i++)
            oom |= !(cj[c].phase_latency[i] = stats_hist_new());
    }
    if (oom) {
        snprintf(err, errlen, "out of memory");
        rc = 1;
        goto done;
    }
    s->started = true;
    pthread_t pt, ct[MAX_CONSUMERS];
    bool have_p = false, have_c[MAX_CONSUMERS] = {false};
    pl.workers_running = ncons + (wl->produce ? 1 : 0);
    for (int c = 0; c < ncons; c++) {
        if (pthread_create(&ct[c], NULL, kafka_consumer_thread, &cj[c]) == 0) have_c[c] = true;
        else pipeline_worker_exit(&pl);
    }
    int gate_rc = w && w->gate ? w->gate(w->ud, &pl, err, errlen) : 0;
    if (gate_rc) {
        /* the run never started: no summary, the gate's error alone */
        s->started = false;
        pipeline_fail(&pl, gate_rc, "%s", err);
        if (wl->produce) pipeline_worker_exit(&pl);
    } else if (wl->produce) {
        if (pthread_create(&pt, NULL, kafka_producer_thread, &pj) == 0) have_p = true;
        else pipeline_worker_exit(&pl);
    }

    /* Main thread: report batches and run hooks until the workers end. */
    int hook_rc = 0, sig = 0;
    for (;;) {
        report_batch b;
        int r = pipeline_next(&pl, &b, 0.1);
        if (engine_signal && !sig) {
            sig = engine_signal;
            fprintf(stderr, "kengine: %s: stopping, flushing what is in flight\n",
                    sig == SIGINT ? "interrupted" : "terminated");
            atomic_store(&pl.stop, true);
        }
        if (r < 0) break;
        if (r == 0) continue;
        int h = on_batch ? on_batch(ud, &b) : 0;
        report_batch_free(&b);
        if (h && !hook_rc) {
            hook_rc = h;
            atomic_store(&pl.stop, true);
        }
    }
    if (have_p) pthread_join(pt, NULL);
    for (int c = 0; c < ncons; c++)
        if (have_c[c]) pthread_join(ct[c], NULL);

    s->sent = pj.sent;
    s->delivered = pj.delivered;
    s->delivery_errors = pj.errors;
    s->produce_seconds = pj.produce_seconds;
    if (wl->nphases) s->records = wl->produce ? pj.sent : workload_phase_records(wl);
    if (ncons) {
        merge_consumers(s, cj, ncons);
        /* a run stopped early did not give the consumers their chance: what
         * they missed is unconsumed, not lost */
        if (!w) { /* a worker's share: loss is counted by the merge */
            if (atomic_load(&pl.stop)) s->unconsumed = count_lost(wl, &pl, &pj);
            else s->lost = count_lost(wl, &pl, &pj);
        }
    }
    if (wl->nphases && (s->phases = calloc(wl->nphases, sizeof *s->phases))) {
        for (size_t i = 0; i < wl->nphases && i < PIPELINE_MAX_PHASES; i++) {
            report_phase *ph = &s->phases[s->nphases++];
            ph->name = wl->phases[i].name;
            ph->sent = pj.phase_sent[i];
            ph->seconds = pj.phase_seconds[i];
            ph->target_rate = wl->phases[i].rate;
            if (ncons) {
                ph->consumed = cj[0].phase_consumed[i];
                ph->latency = cj[0].phase_latency[i];
                cj[0].phase_latency[i] = NULL;
            }
        }
    }

    rc = pl.exit_code;
    if (pl.error[0]) snprintf(err, errlen, "%s", pl.error);
    if (hook_rc) rc = hook_rc;
    else if (sig) rc = 128 + sig;
    else if (rc == 0 && ncons && !w && (s->lost || s->duplicates)) {
        snprintf(err, errlen, "%llu messages lost, %llu duplicated",
                 (unsigned long long)s->lost, (unsigned long long)s->duplicates);
        rc = 1;
    }

done:
    {
        double wall = stats_now() - t0;
        s->cpu_percent = wall > 0 ? 100.0 * (stats_cpu_seconds() - cpu0) / wall : 0;
        s->peak_rss_mb = stats_peak_rss_mb();
        snprintf(s->error, sizeof s->error, "%s", err);
    }
    if (w && w->collect && s->started) {
        if (csv) {
            s->csv_skipped = csvsrc_skipped(csv);
            s->csv_padded = csvsrc_padded(csv);
        }
        engine_outcome o = {.pl = &pl, .producer = wl->produce ? &pj : NULL,
                            .consumers = cj, .ncons = ncons, .summary = s, .started = t0};
        w->collect(w->ud, &o);
    }
    for (int c = 0; c < ncons; c++) {
        stats_hist_free(cj[c].latency);
        words_set_free(cj[c].run_words);
        for (size_t i = 0; i < PIPELINE_MAX_PHASES; i++) stats_hist_free(cj[c].phase_latency[i]);
    }
    pipeline_bits_free(&pj.failed);
    if (csv) {
        s->csv_skipped = csvsrc_skipped(csv);
        s->csv_padded = csvsrc_padded(csv);
        csvsrc_close(csv);
    }
    kafka_embedded_stop(emb);
    pipeline_destroy(&pl);
    return rc;
}
