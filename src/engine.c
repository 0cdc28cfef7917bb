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

int engine_run(const workload *wl, engine_batch_fn on_batch, void *ud,
               report_summary *s, char *err, size_t errlen) {
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
    pipeline pl;
    if (pipeline_init(&pl, wl)) {
        snprintf(err, errlen, "cannot initialise threads");
        return 1;
    }
    pl.run_id = new_run_id();

    /* Input first: a bad CSV is reported before any broker work. */
    if (wl->produce) {
        csvsrc_opts o = {0};
        csv = csvsrc_open(wl->csv, &o, err, errlen);
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
        pl.embedded = true;
    }
    pl.brokers = brokers;
    if (kafka_topic_prepare(brokers, wl, wl->produce, &pl.partitions,
                            wl->produce && wl->consume ? &pl.start_offsets : NULL, err,
                            errlen)) {
        rc = 1;
        goto done;
    }

    kafka_producer_job pj = {.pl = &pl, .csv = csv};
    kafka_consumer_job cj = {.pl = &pl, .latency = stats_hist_new()};
    if (!cj.latency) {
        snprintf(err, errlen, "out of memory");
        rc = 1;
        goto done;
    }
    pthread_t pt, ct;
    bool have_p = false, have_c = false;
    pl.workers_running = (wl->consume ? 1 : 0) + (wl->produce ? 1 : 0);
    if (wl->consume) {
        if (pthread_create(&ct, NULL, kafka_consumer_thread, &cj) == 0) have_c = true;
        else pipeline_worker_exit(&pl);
    }
    if (wl->produce) {
        if (pthread_create(&pt, NULL, kafka_producer_thread, &pj) == 0) have_p = true;
        else pipeline_worker_exit(&pl);
    }

    /* Main thread: report batches and run hooks until both workers end. */
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
        if (h && !hook_rc) {
            hook_rc = h;
            atomic_store(&pl.stop, true);
        }
    }
    if (have_p) pthread_join(pt, NULL);
    if (have_c) pthread_join(ct, NULL);

    s->sent = pj.sent;
    s->delivered = pj.delivered;
    s->delivery_errors = pj.errors;
    s->produce_seconds = pj.produce_seconds;
    if (wl->consume) {
        s->consumed = cj.consumed;
        s->lost = cj.lost;
        s->duplicates = cj.duplicates;
        s->words = cj.words;
        s->unique_words_total = cj.unique_words_total;
        s->consume_seconds = cj.consume_seconds;
        s->lat_p50_ms = (double)stats_hist_percentile(cj.latency, 50) / 1000.0;
        s->lat_p99_ms = (double)stats_hist_percentile(cj.latency, 99) / 1000.0;
        s->lat_max_ms = (double)stats_hist_max(cj.latency) / 1000.0;
    }
    stats_hist_free(cj.latency);

    rc = pl.exit_code;
    if (pl.error[0]) snprintf(err, errlen, "%s", pl.error);
    if (hook_rc) rc = hook_rc;
    else if (sig) rc = 128 + sig;
    else if (rc == 0 && wl->consume && (s->lost || s->duplicates)) {
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
    if (csv) csvsrc_close(csv);
    kafka_embedded_stop(emb);
    pipeline_destroy(&pl);
    return rc;
}
