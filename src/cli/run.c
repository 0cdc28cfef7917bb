/*
 * run: running a workload, `kengine WORKLOAD.lua` (or `kengine run
 * WORKLOAD.lua`). Loads the script, wires its hooks, the reporters and the
 * thresholds to the engine (or, with workers=N and no index, launches the
 * workers, dist/launch.c), and turns each leg's outcome into the exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "engine.h"
#include "exitcode.h"
#include "exporter.h"
#include "html.h"
#include "kafka.h"
#include "launch.h"
#include "logger.h"
#include "progress.h"
#include "runfile.h"
#include "script.h"
#include "signals.h"
#include "threshold.h"
#include "worker.h"
#include "writer.h"

enum {
    OPT_BROKERS = 1,
    OPT_JSON,
    OPT_HTML,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_VERSION,
    OPT_METRICS,
    OPT_PROMETHEUS_RW,
};

static const command_option OPTIONS[] = {
    {OPT_BROKERS, "--brokers", 'b', "LIST",
     "bootstrap servers (overrides the script and\nKENGINE_BROKERS); none at all = embedded "
     "broker"},
    {OPT_JSON, "--json", 0, "FILE", "write NDJSON events to FILE ('-' = stdout)"},
    {OPT_HTML, "--html", 0, "FILE", "write a self-contained HTML report with charts"},
    {OPT_QUIET, "--quiet", 'q', NULL, "no human-readable text"},
    {OPT_VERBOSE, "--verbose", 'v', NULL, "also librdkafka's transient, retried conditions"},
    {OPT_PROGRESS, "--progress", 0, NULL,
     "a live status line on stderr (default: when stderr\nis a terminal and not -q)"},
    {OPT_NO_PROGRESS, "--no-progress", 0, NULL, "no status line"},
    {OPT_VERSION, "--version", 'V', NULL, "versions of kengine, librdkafka and Lua"},
    {OPT_METRICS, "--metrics", 0, "ADDR:PORT",
     "serve Prometheus /metrics there during the run\n(the field metrics; docs/metrics.md)"},
    {OPT_PROMETHEUS_RW, "--prometheus-rw", 0, "URL",
     "push the same series with Prometheus remote write\n(the field prometheus_rw)"},
    {0},
};

const command_doc run_doc = {
    .about = "Runs the workload a Lua script describes: CSV rows replicated to `records`\n"
             "messages, produced to Kafka in batches, consumed back with per-batch word\n"
             "counts, distinct words, throughput, CPU, memory and latency.\n",
    .options = OPTIONS,
    .notes = "Options go before or after the script. name=value after the script overrides\n"
             "a workload field, e.g. records=1000; producer.PROP=VALUE and\n"
             "consumer.PROP=VALUE set librdkafka properties (kengine help fields lists the\n"
             "fields, kengine help WORKLOAD.lua a script's own options).\n",
};

typedef struct {
    script *sc;
    report *rep;
    threshold *ts; /* this leg's thresholds, with their state */
    size_t nts;
    char hook_err[2048]; /* a hook's error, or a threshold's abort */
    int hook_rc;
    runfile *html; /* the run's events kept for --html, or NULL */
    exporter *ex;  /* Prometheus export, or NULL */
} run_ctx;

/* The live status line: redrawn about once a second below the batch lines. */
typedef struct {
    progress p;
    int width; /* the terminal's columns, 0 unknown */
} progress_ctx;

static void on_tick(void *ud, const progress_sample *s) {
    progress_ctx *pc = ud;
    if (!progress_update(&pc->p, s)) return;
    char line[512];
    progress_format(line, sizeof line, &pc->p, s);
    if (pc->width > 1 && strlen(line) >= (size_t)pc->width) line[pc->width - 1] = '\0';
    logger_status(stderr, line);
}

/* Keeps an event (its NDJSON line) for the HTML report. */
static void keep_event(runfile *html, char *json) {
    char err[256];
    if (html && json && runfile_add_line(html, json, err, sizeof err))
        fprintf(stderr, "kengine: html report: %s\n", err);
    free(json);
}

/* Reports one batch (the script's reporter replaces the built-in text),
 * runs on_batch and the batch thresholds. Non-zero stops the run. */
static int report_batch_and_hooks(void *ud, const run_batch *b) {
    run_ctx *ctx = ud;
    exporter_batch(ctx->ex, b);
    if (ctx->html) keep_event(ctx->html, report_batch_json(b));
    if (script_has_reporter(ctx->sc)) {
        if (script_report(ctx->sc, b, NULL, ctx->hook_err, sizeof ctx->hook_err))
            return ctx->hook_rc = EXITCODE_USAGE;
        report_emit_json_batch(ctx->rep, b);
    } else {
        report_emit_batch(ctx->rep, b);
    }
    if (script_on_batch(ctx->sc, b, ctx->hook_err, sizeof ctx->hook_err))
        /* a hook stopped by SIGINT/SIGTERM counts as the signal's stop */
        return ctx->hook_rc = signals_caught ? EXITCODE_SIGNAL(signals_caught) : EXITCODE_USAGE;
    if (threshold_check_batch(ctx->ts, ctx->nts, b)) {
        for (size_t i = 0; i < ctx->nts; i++)
            if (ctx->ts[i].aborted)
                snprintf(ctx->hook_err, sizeof ctx->hook_err,
                         "threshold '%s %s' failed in %s %llu (actual %.6g): stopping the run",
                         ctx->ts[i].metric, ctx->ts[i].condition,
                         b->role == RUN_PRODUCE ? "produce batch" : "consume batch",
                         (unsigned long long)b->batch, ctx->ts[i].actual);
        return ctx->hook_rc = EXITCODE_THRESHOLD;
    }
    return 0;
}

/* The engine's batch callback: the status line, if any, is erased while
 * the batch's lines and hooks print, and drawn again below them. */
static int on_batch(void *ud, const run_batch *b) {
    logger_hide();
    int rc = report_batch_and_hooks(ud, b);
    logger_show();
    return rc;
}

static void print_failed_thresholds(const run_summary *s) {
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

/* The run event: what runs where, with which versions. */
static void emit_run(report *rep, runfile *html, const workload *wl, const char *path) {
    run_info run = {.name = wl->name,
                    .script = path,
                    .topic = wl->topic,
                    .brokers = wl->brokers ? wl->brokers : "embedded",
                    .kafka = wl->brokers
                                 ? "not reported (Kafka's protocol carries no release number)"
                                 : "librdkafka's mock cluster, in-process",
                    .mode = wl->mode == WORKLOAD_SYNC ? "sync" : "async",
                    .format = encode_format_name(wl->format),
                    .kengine = KENGINE_VERSION,
                    .librdkafka = kafka_version(),
                    .lua = script_lua_version(),
                    .records = workload_records(wl),
                    .batch_size = wl->batch_size,
                    .rate = wl->rate,
                    .partitions = wl->partitions,
                    .consumers = wl->consume ? wl->consumers : 0};
    report_emit_run(rep, &run);
    if (html) keep_event(html, report_run_json(&run));
}

/* Thresholds relative to the baseline: its run `leg` (or its last run). */
static int resolve_baseline(threshold *ts, size_t n, const char *path, size_t leg, char *err,
                            size_t errlen) {
    runfile base = {0};
    char e[1024];
    int rc = runfile_read(&base, path, e, sizeof e);
    if (rc) {
        snprintf(err, errlen, "baseline: %s", e);
    } else {
        size_t complete = 0;
        while (complete < base.nruns && base.runs[complete].complete) complete++;
        rc = threshold_resolve_base(ts, n, runfile_lookup,
                                    &base.runs[leg < complete ? leg : complete - 1], path, e,
                                    sizeof e);
        if (rc) snprintf(err, errlen, "%s", e);
    }
    runfile_free(&base);
    return rc;
}

static bool progress_on;
static progress_ctx progress_state;

/* Runs every leg of the script. Returns the exit code. */
static int run_script(script *sc, report *rep, runfile *html, exporter *ex, const char *path) {
    int rc = 0;
    char err[2048];
    for (size_t i = 0; i < script_legs(sc); i++) {
        const workload *wl = script_leg(sc, i);
        run_ctx ctx = {.sc = sc, .rep = rep, .html = html, .ex = ex};
        ctx.ts = wl->nthresholds ? calloc(wl->nthresholds, sizeof *ctx.ts) : NULL;
        for (size_t k = 0; k < wl->nthresholds && ctx.ts; k++)
            if (threshold_copy(&ctx.ts[ctx.nts], &wl->thresholds[k]) == 0) ctx.nts++;
        /* baseline_optional and no baseline file yet: a gate's first run */
        bool no_base = wl->baseline && wl->baseline_optional && access(wl->baseline, F_OK) &&
                       errno == ENOENT;
        if (ctx.nts == wl->nthresholds && wl->baseline && !no_base &&
            resolve_baseline(ctx.ts, ctx.nts, wl->baseline, i, err, sizeof err)) {
            fprintf(stderr, "kengine: %s\n", err);
            rc = EXITCODE_USAGE;
            for (size_t k = 0; k < ctx.nts; k++) threshold_free(&ctx.ts[k]);
            free(ctx.ts);
            break;
        }
        if (ctx.nts != wl->nthresholds) {
            fprintf(stderr, "kengine: out of memory\n");
            rc = EXITCODE_RUNTIME;
            break;
        }
        if (no_base) {
            size_t kept = threshold_drop_relative(ctx.ts, ctx.nts);
            logger_msg("no baseline yet (%s does not exist): %zu relative threshold%s "
                       "skipped; this run's --json can become the baseline",
                       wl->baseline, ctx.nts - kept, ctx.nts - kept == 1 ? "" : "s");
            ctx.nts = kept;
        }
        if (script_on_start(sc, wl, err, sizeof err)) {
            fprintf(stderr, "kengine: %s\n", err);
            rc = EXITCODE_USAGE;
            for (size_t k = 0; k < ctx.nts; k++) threshold_free(&ctx.ts[k]);
            free(ctx.ts);
            break;
        }
        emit_run(rep, html, wl, path);
        exporter_leg(ex, wl);
        run_summary sum;
        if (progress_on) progress_init(&progress_state.p);
        /* a worker of a shared run: its thresholds apply to the merged run */
        const bool worker = wl->workers > 1;
        int r =
            worker ? dist_worker_run(wl, on_batch, &ctx, ctx.ts, ctx.nts, &sum, err, sizeof err)
                   : engine_run(wl, on_batch, &ctx, &sum, err, sizeof err);
        logger_status(NULL, NULL);
        if (ctx.hook_err[0]) snprintf(sum.error, sizeof sum.error, "%s", ctx.hook_err);
        /* thresholds judge a run that ran, not one that never started */
        int failed = worker || !sum.started ? 0 : threshold_finish(ctx.ts, ctx.nts, &sum);
        if (failed > 0 && r == 0) r = EXITCODE_THRESHOLD;
        /* a failure before anything ran (bad input, no broker) gets its one
         * line, no text summary; NDJSON gets a summary whose error says why
         * (its figures 0), so the stream after a run line ends with a
         * verdict */
        bool ran = sum.started || ctx.hook_err[0];
        if (!ran && r) {
            if (!sum.error[0]) snprintf(sum.error, sizeof sum.error, "%s", err);
            if (!sum.name) sum.name = wl->name;
            if (!sum.mode) sum.mode = wl->mode == WORKLOAD_SYNC ? "sync" : "async";
            report_emit_json_summary(rep, &sum);
        }
        if (ran) {
            char rerr[2048];
            exporter_summary(ex, &sum);
            if (html) keep_event(html, report_summary_json(&sum));
            if (script_has_reporter(sc)) {
                if (script_report(sc, NULL, &sum, rerr, sizeof rerr)) {
                    fprintf(stderr, "kengine: %s\n", rerr);
                    if (r == 0) r = EXITCODE_USAGE;
                }
                report_emit_json_summary(rep, &sum);
            } else {
                report_emit_summary(rep, &sum);
            }
        }
        char herr[2048];
        if (ran && !ctx.hook_err[0] && script_on_done(sc, &sum, herr, sizeof herr)) {
            fprintf(stderr, "kengine: %s\n", herr);
            if (r == 0 || r == EXITCODE_RUNTIME || r == EXITCODE_THRESHOLD) r = EXITCODE_USAGE;
        }
        if (ctx.hook_err[0])
            fprintf(stderr, "kengine: %s\n", ctx.hook_err);
        else if (r && r != EXITCODE_THRESHOLD && err[0])
            fprintf(stderr, "kengine: %s\n", err);
        print_failed_thresholds(&sum);
        run_summary_free(&sum);
        for (size_t k = 0; k < ctx.nts; k++) threshold_free(&ctx.ts[k]);
        free(ctx.ts);
        if (r && !rc) rc = r;
        if (r == EXITCODE_USAGE || r >= EXITCODE_SIGNAL(0)) break;
    }
    return rc;
}

/* Parsed command line of a workload run. */
typedef struct {
    const char *script, *json, *html;
    bool quiet;
    int progress; /* 1 --progress, 0 --no-progress, -1 when stderr is a terminal */
    char **ov;    /* name=value overrides, KENGINE_BROKERS and -b included */
    size_t nov;
    char env_ov[4096], b_ov[4096], worker_ov[64], run_ov[512];
    char metrics_ov[512], rw_ov[4096]; /* --metrics, --prometheus-rw as overrides */
    /* the command line as the workers of a launched run get it (dist/launch.c):
     * "kengine", each option as --name VALUE, the operands */
    char **argv;
    int argc;
} cli;

/* Returns -1 to go on, else an exit code (help, version, bad usage). */
static int parse_cli(int argc, char **argv, cli *c) {
    const char *brokers_opt = NULL;
    c->ov = calloc((size_t)argc + 4, sizeof *c->ov);
    c->argv = calloc(2 * (size_t)argc + 2, sizeof *c->argv);
    if (!c->ov || !c->argv) return EXITCODE_RUNTIME;
    c->argv[c->argc++] = "kengine";
    const char *env = getenv("KENGINE_BROKERS");
    if (env && env[0]) {
        snprintf(c->env_ov, sizeof c->env_ov, "brokers=%s", env);
        c->ov[c->nov++] = c->env_ov;
    }
    /* a shared run's worker index and run id (Kubernetes' Indexed Job sets
     * JOB_COMPLETION_INDEX); the command line still wins */
    const char *widx = getenv("KENGINE_WORKER");
    if (!widx || !widx[0]) widx = getenv("JOB_COMPLETION_INDEX");
    if (widx && widx[0]) {
        snprintf(c->worker_ov, sizeof c->worker_ov, "worker=%s", widx);
        c->ov[c->nov++] = c->worker_ov;
    }
    const char *rid = getenv("KENGINE_RUN_ID");
    if (rid && rid[0]) {
        snprintf(c->run_ov, sizeof c->run_ov, "run_id=%s", rid);
        c->ov[c->nov++] = c->run_ov;
    }
    args a;
    args_init(&a, "run", argc, argv);
    for (int o; (o = args_next(&a)) != ARGS_END;) {
        const char *v = a.value;
        if (o > 0) { /* an option: the workers get it too, spelt out */
            const command_option *opt = OPTIONS;
            while (opt->id != o) opt++;
            c->argv[c->argc++] = (char *)opt->name;
            if (opt->value) c->argv[c->argc++] = (char *)v;
        }
        switch (o) {
        case OPT_VERSION:
            printf("kengine %s (librdkafka %s, %s)\n", KENGINE_VERSION, kafka_version(),
                   script_lua_version());
            return 0;
        case OPT_QUIET:
            c->quiet = true;
            logger_set_quiet(true);
            break;
        case OPT_PROGRESS: c->progress = 1; break;
        case OPT_NO_PROGRESS: c->progress = 0; break;
        case OPT_VERBOSE: logger_set_verbose(true); break;
        case OPT_JSON: c->json = v; break;
        case OPT_HTML: c->html = v; break;
        case OPT_BROKERS: brokers_opt = v; break;
        case OPT_METRICS:
            snprintf(c->metrics_ov, sizeof c->metrics_ov, "metrics=%s", v);
            c->ov[c->nov++] = c->metrics_ov;
            break;
        case OPT_PROMETHEUS_RW:
            snprintf(c->rw_ov, sizeof c->rw_ov, "prometheus_rw=%s", v);
            c->ov[c->nov++] = c->rw_ov;
            break;
        case ARGS_OPERAND:
            c->argv[c->argc++] = (char *)v;
            if (!c->script && !strchr(v, '='))
                c->script = v;
            else if (strchr(v, '='))
                c->ov[c->nov++] = (char *)v;
            else
                return args_error(&a,
                                  "unexpected argument '%s' (one script per run; overrides "
                                  "are name=value)",
                                  v);
            break;
        case ARGS_EXIT: return a.rc;
        }
    }
    if (brokers_opt) {
        snprintf(c->b_ov, sizeof c->b_ov, "brokers=%s", brokers_opt);
        c->ov[c->nov++] = c->b_ov;
    }
    if (!c->script) return args_usage(&a);
    return -1;
}

/* Runs the parsed command line's workload. Returns the exit code. */
static int run_cli(const cli *c) {
    int rc;
    char err[2048];
    /* NDJSON on stdout: scripts' output goes to stderr, like kengine's text */
    bool json_stdout = c->json && !strcmp(c->json, "-");
    script_set_output(json_stdout ? stderr : stdout);
    script *sc = script_load(c->script, c->ov, c->nov, err, sizeof err);
    if (!sc) {
        fprintf(stderr, "kengine: %s\n", err);
        return EXITCODE_USAGE;
    }
    FILE *text = c->quiet ? NULL : (json_stdout ? stderr : stdout);
    report *rep = report_open(text, c->json, err, sizeof err);
    if (!rep) {
        fprintf(stderr, "kengine: %s\n", err);
        script_close(sc);
        return EXITCODE_USAGE;
    }
    const workload *wl0 = script_leg(sc, 0);
    if (wl0->workers > 1 && wl0->worker < 0) {
        /* workers=N and no index: run them here (dist/launch.c) */
        report_close(rep);
        if (script_legs(sc) > 1) {
            fprintf(stderr,
                    "kengine: %s: workers = %d with legs: launch each leg's workers "
                    "separately\n",
                    c->script, wl0->workers);
            rc = EXITCODE_USAGE;
        } else {
            rc = dist_launch(wl0, c->argc, c->argv, c->json, c->html, c->quiet);
        }
        script_close(sc);
        return rc;
    }
    FILE *html_out = NULL;
    if (c->html && !(html_out = fopen(c->html, "w"))) {
        fprintf(stderr, "kengine: %s: cannot open for writing: %s\n", c->html, strerror(errno));
        report_close(rep);
        script_close(sc);
        return EXITCODE_USAGE;
    }
    /* the export starts before anything runs: a bad address is a usage error */
    exporter *ex = exporter_open(wl0, err, sizeof err);
    if (!ex && err[0]) {
        fprintf(stderr, "kengine: %s\n", err);
        if (html_out) fclose(html_out);
        report_close(rep);
        script_close(sc);
        return EXITCODE_USAGE;
    }
    runfile html = {0};
    progress_on = c->progress == 1 || (c->progress == -1 && !c->quiet && isatty(STDERR_FILENO));
    if (progress_on) {
        struct winsize ws;
        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0) progress_state.width = ws.ws_col;
        engine_set_tick(on_tick, &progress_state);
    }
    rc = run_script(sc, rep, html_out ? &html : NULL, ex, c->script);
    exporter_close(ex);
    if (html_out) {
        int w = html_write(html_out, &html);
        if (fclose(html_out) || w) {
            fprintf(stderr, "kengine: %s: cannot write the HTML report\n", c->html);
            if (!rc) rc = EXITCODE_RUNTIME;
        } else {
            logger_notice("wrote the HTML report to %s", c->html);
        }
        runfile_free(&html);
    }
    report_close(rep);
    script_close(sc);
    return rc;
}

int cmd_run(int argc, char **argv) {
    cli c = {.progress = -1};
    int rc = parse_cli(argc, argv, &c);
    if (rc < 0) rc = run_cli(&c);
    free(c.ov);
    free(c.argv);
    return rc;
}
