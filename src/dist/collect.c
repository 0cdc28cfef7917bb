/*
 * collect: the merge of a shared run (`kengine report`, the launcher). See
 * collect.h; the records are protocol.h's, the state state.h's.
 *
 * Which records count: per worker index, the first announcement decides
 * who holds it (its nonce); only that process's final state or failure
 * is taken. A final state arrives in parts, assembled in order.
 */
#include "collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "exitcode.h"
#include "html.h"
#include "kafka.h"
#include "state.h"
#include "writer.h"
#include "runfile.h"
#include "stats.h"
#include "threshold.h"
#include "protocol.h"

typedef struct {
    uint64_t nonce;      /* the index's holder, 0 = never announced */
    char *failed;        /* its failure record, or NULL */
    uint32_t parts, got; /* final state chunks expected / received */
    codec_buf *chunk;    /* parts of them */
    dist_state *state;   /* assembled and decoded */
    char bad[256];       /* why its final state could not be read */
} worker_slot;

typedef struct {
    int workers;       /* from the records, 0 = none seen yet */
    worker_slot *slot; /* DIST_MAX */
    int records;
    runfile *html;      /* --html: the workers' events read back, or NULL */
    bool have_run;      /* html has its `run` event */
    const char *run_id; /* for that event */
    const char *brokers;
} run_records;

/* The page's `run` event (the run's identity): workers relay their batches,
 * not their own identity, so the report states what it knows. */
static int html_run_event(run_records *rr) {
    encode_buf id = {0}, br = {0};
    char *line = NULL;
    int rc = -1;
    if (encode_json_string(&id, rr->run_id, strlen(rr->run_id)) == 0 &&
        encode_json_string(&br, rr->brokers, strlen(rr->brokers)) == 0 &&
        asprintf(&line,
                 "{\"type\":\"run\",\"name\":%.*s,\"brokers\":%.*s,\"kengine\":\"%s\","
                 "\"librdkafka\":\"%s\",\"workers\":%d}",
                 (int)id.len, id.data, (int)br.len, br.data, KENGINE_VERSION, kafka_version(),
                 rr->workers) > 0) {
        char err[256];
        rc = runfile_add_line(rr->html, line, err, sizeof err);
        free(line);
    }
    encode_buf_free(&id);
    encode_buf_free(&br);
    if (rc == 0) rr->have_run = true;
    return rc;
}

/* Batches in order of time: the workers' arrive interleaved, each counting
 * elapsed from its own start (they start together at the barrier). */
static int by_elapsed(const void *a, const void *b) {
    double x = ((const runfile_batch *)a)->elapsed, y = ((const runfile_batch *)b)->elapsed;
    return (x > y) - (x < y);
}

/* --html: one worker's batch (an NDJSON object) into the page's run; the
 * summary is the merged one, added at the end. */
static void html_event(run_records *rr, const void *data, size_t len) {
    if (!rr->have_run && html_run_event(rr)) return;
    char *line = strndup(data, len);
    if (!line) return;
    char err[256];
    (void)runfile_add_line(rr->html, line, err, sizeof err); /* best effort, as relayed */
    free(line);
}

static bool resolved(const worker_slot *w) { return w->failed || w->state || w->bad[0]; }

static void assemble(worker_slot *w) {
    codec_buf all = {0};
    for (uint32_t k = 0; k < w->parts; k++)
        codec_put_bytes(&all, w->chunk[k].p, w->chunk[k].len);
    if (all.oom)
        snprintf(w->bad, sizeof w->bad, "out of memory assembling its final state");
    else if (!(w->state = dist_state_decode(all.p, all.len, w->bad, sizeof w->bad)) &&
             !w->bad[0])
        snprintf(w->bad, sizeof w->bad, "unreadable final state");
    codec_buf_free(&all);
    for (uint32_t k = 0; k < w->parts; k++) codec_buf_free(&w->chunk[k]);
    free(w->chunk);
    w->chunk = NULL;
}

static void on_record(void *ud, const void *v, size_t len) {
    run_records *rr = ud;
    dist_msg m;
    if (dist_msg_decode(&m, v, len)) return;
    rr->records++;
    if (!rr->workers) rr->workers = m.workers;
    if (m.workers != rr->workers) return;
    worker_slot *w = &rr->slot[m.worker];
    /* the first record of an index names its holder (normally its
     * announcement; an embedded broker may have dropped that by now) */
    if (!w->nonce) w->nonce = m.nonce;
    if (m.type == DIST_ANNOUNCE) return;
    /* a process that never held the index (a duplicate) does not count */
    if (w->nonce != m.nonce || resolved(w)) return;
    if (m.type == DIST_EVENT) {
        if (rr->html) html_event(rr, m.data, m.len);
    } else if (m.type == DIST_FAILED) {
        w->failed = strndup(m.data, m.len);
    } else if (m.type == DIST_FINAL) {
        if (!w->chunk) {
            w->parts = m.parts;
            w->chunk = calloc(m.parts, sizeof *w->chunk);
            if (!w->chunk) {
                snprintf(w->bad, sizeof w->bad, "out of memory");
                return;
            }
        }
        if (m.parts != w->parts || w->chunk[m.part].len) return;
        codec_put_bytes(&w->chunk[m.part], m.data, m.len);
        if (m.len && ++w->got == w->parts) assemble(w);
    }
}

/* Parses the workload's thresholds again (their names were checked when
 * the workers loaded it) and sets the batch ones' merged state. */
static int apply_thresholds(const dist_state *m, run_summary *s) {
    const dist_state_threshold *mt;
    size_t n = dist_state_thresholds(m, &mt);
    if (!n) return 0;
    threshold *ts = calloc(n, sizeof *ts);
    const char *phases[64];
    size_t np = 0;
    for (size_t i = 0; i < s->nphases && np < 64; i++) phases[np++] = s->phases[i].name;
    size_t ok = 0;
    char err[256];
    for (size_t i = 0; ts && i < n; i++) {
        if (threshold_parse(&ts[ok], mt[i].metric, mt[i].condition, mt[i].abort, phases, np,
                            err, sizeof err)) {
            fprintf(stderr, "kengine: report: threshold '%s': %s\n", mt[i].metric, err);
            continue;
        }
        ts[ok].evaluated = mt[i].evaluated;
        ts[ok].failed = mt[i].failed;
        ts[ok].aborted = mt[i].aborted;
        ts[ok].actual = mt[i].actual;
        ok++;
    }
    int failed = ts ? threshold_finish(ts, ok, s) : -1;
    for (size_t i = 0; i < ok; i++) threshold_free(&ts[i]);
    free(ts);
    return failed;
}

int dist_collect(const workload *wl, const char *run_id, double wait, FILE *text,
                 const char *json_path, const char *html_path) {
    char err[2048];
    run_records rr = {0};
    runfile html = {0};
    FILE *html_out = NULL;
    if (html_path && !(html_out = fopen(html_path, "w"))) {
        fprintf(stderr, "kengine: %s: cannot open for writing: %s\n", html_path,
                strerror(errno));
        return EXITCODE_USAGE;
    }
    if (html_out) {
        rr.html = &html;
        rr.run_id = run_id;
        rr.brokers = wl->brokers;
    }
    rr.slot = calloc(DIST_MAX, sizeof *rr.slot);
    if (!rr.slot) {
        fprintf(stderr, "kengine: out of memory\n");
        if (html_out) fclose(html_out);
        return EXITCODE_RUNTIME;
    }
    int rc = EXITCODE_RUNTIME;
    dist_state *all = NULL;
    report *rep = NULL;
    kafka_channel *res = kafka_channel_open(wl->brokers, wl, run_id, 0, err, sizeof err);
    if (!res) {
        fprintf(stderr, "kengine: report: %s\n", err);
        goto out;
    }
    /* read everything there is, then wait (up to `wait`) for the rest */
    double start = stats_now(), deadline = start + wait;
    bool caught_up = false, waited = false;
    for (;;) {
        kafka_channel_poll(res, 200, on_record, &rr, &caught_up);
        bool complete = rr.workers > 0;
        for (int i = 0; i < rr.workers && complete; i++) complete = resolved(&rr.slot[i]);
        if (complete && caught_up) break;
        double now = stats_now();
        if (caught_up && now >= deadline) break;
        if (now - start > wait + 30) break; /* never caught up: a broker problem */
        if (caught_up && !waited && wait > 0) {
            fprintf(stderr, "kengine: report: waiting up to %g s for the workers of run '%s'\n",
                    wait, run_id);
            waited = true;
        }
    }
    if (!rr.workers) {
        fprintf(stderr, "kengine: report: no record of run '%s' on '%s' at %s\n", run_id,
                wl->results, wl->brokers);
        goto out;
    }
    rep = report_open(text, json_path, err, sizeof err);
    if (!rep) {
        fprintf(stderr, "kengine: %s\n", err);
        rc = EXITCODE_USAGE;
        goto out;
    }
    all = dist_state_new();
    if (!all) goto out;
    int reported = 0, bad_workers = 0;
    char first_bad[512] = "";
    for (int i = 0; i < rr.workers; i++) {
        worker_slot *w = &rr.slot[i];
        run_worker line = {.worker = i, .error = ""};
        if (w->state) {
            const dist_state_meta *mm = dist_state_meta_get(w->state);
            const run_summary *f = dist_state_figures(w->state);
            bool clean = !mm->exit_code || mm->exit_code == EXITCODE_THRESHOLD;
            line = (run_worker){.worker = i,
                                .status = clean ? "finished" : "failed",
                                .error = f->error,
                                .exit_code = mm->exit_code,
                                .sent = f->sent,
                                .delivered = f->delivered,
                                .delivery_errors = f->delivery_errors,
                                .consumed = f->consumed,
                                .words = f->words,
                                .cpu_percent = f->cpu_percent,
                                .peak_rss_mb = f->peak_rss_mb};
            if (dist_state_merge(all, w->state)) goto out;
            reported++;
            if (mm->exit_code && mm->exit_code != EXITCODE_THRESHOLD) {
                bad_workers++;
                if (!first_bad[0])
                    snprintf(first_bad, sizeof first_bad,
                             "worker %d ended with exit code %d%s%.300s", i, mm->exit_code,
                             f->error[0] ? ": " : "", f->error);
            }
        } else {
            line.status = w->failed || w->bad[0] ? "failed"
                          : w->nonce             ? "unfinished"
                                                 : "missing";
            line.error = w->failed   ? w->failed
                         : w->bad[0] ? w->bad
                         : w->nonce  ? "announced itself but wrote no final state (killed?)"
                                     : "never announced itself";
            line.exit_code = -1;
            bad_workers++;
            if (!first_bad[0])
                snprintf(first_bad, sizeof first_bad, "worker %d %s: %.300s", i, line.status,
                         line.error);
        }
        report_emit_worker(rep, &line);
    }
    run_summary s;
    if (dist_state_summary(all, &s)) goto out;
    s.workers = rr.workers;
    s.workers_reported = reported;
    int failed = apply_thresholds(all, &s);
    if (bad_workers) {
        snprintf(s.error, sizeof s.error, "%d of %d workers did not finish cleanly (first: %s)",
                 bad_workers, rr.workers, first_bad);
        rc = EXITCODE_RUNTIME;
    } else if (s.lost || s.duplicates || s.delivery_errors) {
        snprintf(s.error, sizeof s.error,
                 "%llu messages lost, %llu duplicated, %llu failed delivery",
                 (unsigned long long)s.lost, (unsigned long long)s.duplicates,
                 (unsigned long long)s.delivery_errors);
        rc = EXITCODE_RUNTIME;
    } else {
        rc = failed > 0 ? EXITCODE_THRESHOLD : failed < 0 ? EXITCODE_RUNTIME : EXITCODE_OK;
    }
    report_emit_summary(rep, &s);
    if (html_out) {
        /* the page: the first worker's identity, every worker's batches
         * (elapsed from each one's start; they start together), the
         * merged summary */
        char *js = report_summary_json(&s);
        for (size_t i = 0; i < html.nruns; i++)
            if (html.runs[i].nbatches > 1)
                qsort(html.runs[i].batches, html.runs[i].nbatches, sizeof(runfile_batch),
                      by_elapsed);
        if ((!rr.have_run && html_run_event(&rr)) || !js ||
            runfile_add_line(&html, js, err, sizeof err) || html_write(html_out, &html)) {
            fprintf(stderr, "kengine: %s: cannot write the HTML report%s%s\n", html_path,
                    rr.have_run ? "" : " (no worker wrote its events)",
                    js ? "" : " (out of memory)");
            if (rc == EXITCODE_OK) rc = EXITCODE_RUNTIME;
        }
        free(js);
    }
    if (s.error[0]) fprintf(stderr, "kengine: report: run '%s': %s\n", run_id, s.error);
    for (size_t i = 0; i < s.nthresholds; i++) {
        const run_threshold *t = &s.thresholds[i];
        if (t->pass) continue;
        fprintf(stderr, "kengine: threshold '%s %s' failed: actual %.6g, ", t->metric,
                t->condition, t->actual);
        report_threshold_miss(stderr, t);
        fputc('\n', stderr);
    }
    run_summary_free(&s);
out:
    if (html_out && fclose(html_out) && rc == EXITCODE_OK) rc = EXITCODE_RUNTIME;
    runfile_free(&html);
    report_close(rep);
    dist_state_free(all);
    kafka_channel_close(res);
    for (int i = 0; i < DIST_MAX; i++) {
        worker_slot *w = &rr.slot[i];
        free(w->failed);
        for (uint32_t k = 0; w->chunk && k < w->parts; k++) codec_buf_free(&w->chunk[k]);
        free(w->chunk);
        dist_state_free(w->state);
    }
    free(rr.slot);
    return rc;
}
