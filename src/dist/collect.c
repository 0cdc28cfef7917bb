/*
 * collect: the merge of a shared run (`kengine report`, the launcher). See
 * collect.h; the records are protocol.h's, the state state.h's.
 *
 * Which records count: per worker index, the first announcement decides
 * who holds it (its nonce); only that process's final state or failure
 * is taken. A final state arrives in parts, assembled in order.
 *
 * dist_collect is its steps in order, each returning an exit code:
 * collect_open, read_records (on_record, assemble), open_report,
 * merge_workers, report_run (merged_verdict: run.h's run_verdict after
 * the workers' own); collect_close frees whatever they got to.
 */
#include "collect.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "exitcode.h"
#include "html.h"
#include "kafka.h"
#include "logger.h"
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

/* ---- the merge's steps ---- */

/* A merge in progress: what dist_collect's steps share; collect_close
 * frees whatever they got to. */
typedef struct {
    const workload *wl;
    const char *run_id;
    const char *html_path; /* --html, or NULL */
    FILE *html_out;        /* it, open for writing */
    runfile html;          /* the page's events */
    run_records rr;        /* the run's records, per worker */
    kafka_channel *res;    /* the results topic */
    report *rep;
    dist_state *all;     /* the workers' final states merged */
    int reported;        /* workers whose final state was merged */
    int bad_workers;     /* workers that did not finish cleanly */
    int died;            /* of them, those that left no final state */
    char first_bad[512]; /* the first of them, and why */
} collect;

/* Opens the --html file (before any broker work, so a bad path fails
 * fast) and the workers' slots. 0, or an exit code (said on stderr). */
static int collect_open(collect *c) {
    if (c->html_path && !(c->html_out = fopen(c->html_path, "w"))) {
        fprintf(stderr, "kengine: %s: cannot open for writing: %s\n", c->html_path,
                strerror(errno));
        return EXITCODE_USAGE;
    }
    if (c->html_out) {
        c->rr.html = &c->html;
        c->rr.run_id = c->run_id;
        c->rr.brokers = c->wl->brokers;
    }
    if (!(c->rr.slot = calloc(DIST_MAX, sizeof *c->rr.slot))) {
        fprintf(stderr, "kengine: out of memory\n");
        return EXITCODE_RUNTIME;
    }
    return EXITCODE_OK;
}

/* Has every worker of the run resolved (a final state or a failure)? */
static bool complete(const run_records *rr) {
    for (int i = 0; i < rr->workers; i++)
        if (!resolved(&rr->slot[i])) return false;
    return rr->workers > 0;
}

/* Reads the run's records: everything there is, then up to `wait`
 * seconds for the rest. 0, or EXITCODE_RUNTIME when the results topic
 * cannot be read or holds no record of the run (said on stderr). */
static int read_records(collect *c, double wait) {
    char err[2048];
    c->res = kafka_channel_open(c->wl->brokers, c->wl, c->run_id, 0, err, sizeof err);
    if (!c->res) {
        fprintf(stderr, "kengine: report: %s\n", err);
        return EXITCODE_RUNTIME;
    }
    double start = stats_now(), deadline = start + wait;
    bool caught_up = false, waited = false;
    for (;;) {
        kafka_channel_poll(c->res, 200, on_record, &c->rr, &caught_up);
        double now = stats_now();
        if (caught_up && (complete(&c->rr) || now >= deadline)) break;
        if (now - start > wait + 30) break; /* never caught up: a broker problem */
        if (caught_up && !waited && wait > 0) {
            fprintf(stderr, "kengine: report: waiting up to %g s for the workers of run '%s'\n",
                    wait, c->run_id);
            waited = true;
        }
    }
    if (!c->rr.workers) {
        fprintf(stderr, "kengine: report: no record of run '%s' on '%s' at %s\n", c->run_id,
                c->wl->results, c->wl->brokers);
        return EXITCODE_RUNTIME;
    }
    return EXITCODE_OK;
}

/* Opens the text and NDJSON reporters. 0, or EXITCODE_USAGE (said). */
static int open_report(collect *c, FILE *text, const char *json_path) {
    char err[2048];
    if ((c->rep = report_open(text, json_path, err, sizeof err))) return EXITCODE_OK;
    fprintf(stderr, "kengine: %s\n", err);
    return EXITCODE_USAGE;
}

/* Counts a worker that did not finish cleanly; the first one's reason is
 * kept for the run's error. */
__attribute__((format(printf, 2, 3))) static void note_bad(collect *c, const char *fmt, ...) {
    c->bad_workers++;
    if (c->first_bad[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->first_bad, sizeof c->first_bad, fmt, ap);
    va_end(ap);
}

/* Worker i: its final state merged into c->all (a failing exit code other
 * than a threshold's makes it a bad worker), or why there is none; its
 * line reported. 0, or -1 on OOM. */
static int merge_worker(collect *c, int i) {
    worker_slot *w = &c->rr.slot[i];
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
        if (dist_state_merge(c->all, w->state)) return -1;
        c->reported++;
        if (!clean && mm->exit_code > EXITCODE_SIGNAL(0))
            note_bad(c, "worker %d was interrupted (signal %d: exit code %d)%s%.300s", i,
                     mm->exit_code - EXITCODE_SIGNAL(0), mm->exit_code, f->error[0] ? ": " : "",
                     f->error);
        else if (!clean)
            note_bad(c, "worker %d ended with exit code %d%s%.300s", i, mm->exit_code,
                     f->error[0] ? ": " : "", f->error);
    } else {
        line.status = w->failed || w->bad[0] ? "failed" : w->nonce ? "unfinished" : "missing";
        line.error = w->failed   ? w->failed
                     : w->bad[0] ? w->bad
                     : w->nonce  ? "announced itself but wrote no final state (killed?)"
                                 : "never announced itself";
        line.exit_code = -1;
        c->died++;
        note_bad(c, "worker %d %s: %.300s", i, line.status, line.error);
    }
    report_emit_worker(c->rep, &line);
    return 0;
}

/* Merges every worker's final state, reporting one line per worker. 0, or
 * EXITCODE_RUNTIME on OOM. */
static int merge_workers(collect *c) {
    if (!(c->all = dist_state_new())) return EXITCODE_RUNTIME;
    for (int i = 0; i < c->rr.workers; i++)
        if (merge_worker(c, i)) return EXITCODE_RUNTIME;
    return EXITCODE_OK;
}

/* The merged run's exit code, its reason to s->error: a worker that did
 * not finish cleanly; else the figures' verdict (run_verdict: loss,
 * duplicates, failed deliveries); else the thresholds' (`failed`:
 * apply_thresholds'). */
static int merged_verdict(const collect *c, run_summary *s, int failed) {
    if (c->bad_workers) {
        int n = snprintf(s->error, sizeof s->error,
                         "%d of %d workers did not finish cleanly (first: %s)", c->bad_workers,
                         c->rr.workers, c->first_bad);
        if (s->unconsumed && n > 0 && (size_t)n < sizeof s->error)
            snprintf(s->error + n, sizeof s->error - (size_t)n,
                     "; %llu delivered messages were not read, not lost: a worker that "
                     "consumed stopped before the end, and Kafka still holds them",
                     (unsigned long long)s->unconsumed);
        return EXITCODE_RUNTIME;
    }
    int rc = run_verdict(s, true, s->error, sizeof s->error);
    if (rc != EXITCODE_OK) return rc;
    return failed > 0 ? EXITCODE_THRESHOLD : failed < 0 ? EXITCODE_RUNTIME : EXITCODE_OK;
}

/* --html: the page: the first worker's identity, every worker's batches
 * (elapsed from each one's start; they start together), the merged
 * summary. 0, or -1 when it cannot be written (said on stderr). */
static int write_html(collect *c, const run_summary *s) {
    char err[2048];
    char *js = report_summary_json(s);
    runfile *html = &c->html;
    for (size_t i = 0; i < html->nruns; i++)
        if (html->runs[i].nbatches > 1)
            qsort(html->runs[i].batches, html->runs[i].nbatches, sizeof(runfile_batch),
                  by_elapsed);
    int rc = 0;
    if ((!c->rr.have_run && html_run_event(&c->rr)) || !js ||
        runfile_add_line(html, js, err, sizeof err) || html_write(c->html_out, html)) {
        fprintf(stderr, "kengine: %s: cannot write the HTML report%s%s\n", c->html_path,
                c->rr.have_run ? "" : " (no worker wrote its events)",
                js ? "" : " (out of memory)");
        rc = -1;
    } else {
        logger_notice("wrote the HTML report to %s", c->html_path);
    }
    free(js);
    return rc;
}

/* The run's error and each failed threshold, on stderr. */
static void say_failures(const char *run_id, const run_summary *s) {
    if (s->error[0]) fprintf(stderr, "kengine: report: run '%s': %s\n", run_id, s->error);
    for (size_t i = 0; i < s->nthresholds; i++) {
        const run_threshold *t = &s->thresholds[i];
        if (t->pass) continue;
        char num[64];
        fprintf(stderr, "kengine: threshold '%s %s' failed: actual %s, ", t->metric,
                t->condition, report_number(num, sizeof num, t->actual));
        report_threshold_miss(stderr, t);
        fputc('\n', stderr);
    }
}

/* The merged run's summary (thresholds applied, the verdict) to the
 * reporters, the page and stderr. Returns the run's exit code. */
static int report_run(collect *c) {
    /* a worker that left no final state may have died holding partitions
     * (its consumer's assignment is not revoked until its session expires,
     * after the others stopped): what nobody read is unconsumed, not lost,
     * as in a run stopped early. The verdict still fails on that worker. */
    if (c->died) dist_state_meta_of(c->all)->stopped = true;
    run_summary s;
    if (dist_state_summary(c->all, &s)) {
        run_summary_free(&s);
        return EXITCODE_RUNTIME;
    }
    s.workers = c->rr.workers;
    s.workers_reported = c->reported;
    int rc = merged_verdict(c, &s, apply_thresholds(c->all, &s));
    report_emit_summary(c->rep, &s);
    if (c->html_out && write_html(c, &s) && rc == EXITCODE_OK) rc = EXITCODE_RUNTIME;
    say_failures(c->run_id, &s);
    run_summary_free(&s);
    return rc;
}

/* Frees what the steps got to; the --html file's close can still fail
 * the run. Returns rc. */
static int collect_close(collect *c, int rc) {
    if (c->html_out && fclose(c->html_out) && rc == EXITCODE_OK) rc = EXITCODE_RUNTIME;
    runfile_free(&c->html);
    report_close(c->rep);
    dist_state_free(c->all);
    kafka_channel_close(c->res);
    for (int i = 0; c->rr.slot && i < DIST_MAX; i++) {
        worker_slot *w = &c->rr.slot[i];
        free(w->failed);
        for (uint32_t k = 0; w->chunk && k < w->parts; k++) codec_buf_free(&w->chunk[k]);
        free(w->chunk);
        dist_state_free(w->state);
    }
    free(c->rr.slot);
    return rc;
}

int dist_collect(const workload *wl, const char *run_id, double wait, FILE *text,
                 const char *json_path, const char *html_path) {
    collect c = {.wl = wl, .run_id = run_id, .html_path = html_path};
    int rc = collect_open(&c);
    if (rc == EXITCODE_OK) rc = read_records(&c, wait);
    if (rc == EXITCODE_OK) rc = open_report(&c, text, json_path);
    if (rc == EXITCODE_OK) rc = merge_workers(&c);
    if (rc == EXITCODE_OK) rc = report_run(&c);
    return collect_close(&c, rc);
}
