/*
 * writer: human text and NDJSON for batches and summaries. Every writer
 * prints to a FILE; the *_string/_json variants wrap an in-memory stream
 * so scripts can get the same text (kengine.text / kengine.json).
 */
#include "writer.h"

#include "encode.h"
#include "figures.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

struct report {
    FILE *text;    /* human text sink, or NULL */
    FILE *json;    /* NDJSON sink, or NULL */
    bool own_json; /* json was opened by us */
};

report *report_open(FILE *text, const char *json_path, char *err, size_t errlen) {
    report *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->text = text;
    if (json_path) {
        if (!strcmp(json_path, "-")) {
            r->json = stdout;
        } else {
            r->json = fopen(json_path, "w");
            if (!r->json) {
                snprintf(err, errlen, "%s: cannot open for writing: %s", json_path,
                         strerror(errno));
                free(r);
                return NULL;
            }
            r->own_json = true;
        }
    }
    return r;
}

void report_close(report *r) {
    if (!r) return;
    if (r->json) fflush(r->json);
    if (r->own_json) fclose(r->json);
    if (r->text) fflush(r->text);
    free(r);
}

/* "  delivered per partition (8): min 1890, max 2113, max/mean 1.06" */
static void text_partitions(FILE *out, const char *what, const uint64_t *v, size_t n) {
    if (n < 2) return; /* one partition says nothing about spread */
    uint64_t min = v[0], max = v[0], sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < min) min = v[i];
        if (v[i] > max) max = v[i];
        sum += v[i];
    }
    if (!sum) return;
    fprintf(out, "  %s per partition (%zu): min %llu, max %llu, max/mean %.2f\n", what, n,
            (unsigned long long)min, (unsigned long long)max,
            (double)max * (double)n / (double)sum);
}

static void text_latency(FILE *out, const stats_hist *h) {
    fprintf(out, "latency p50 %.1f ms p99 %.1f ms max %.1f ms", figures_latency(h, 50),
            figures_latency(h, 99), figures_latency(h, 100));
}

void report_batch_text(FILE *out, const run_batch *b) {
    if (b->role == RUN_PRODUCE) {
        fprintf(out, "produce batch %llu", (unsigned long long)b->batch);
        if (b->batches) fprintf(out, "/%llu", (unsigned long long)b->batches);
        if (b->phase) fprintf(out, " [%s]", b->phase);
        fprintf(out,
                ": %llu messages, %llu words, delivered %llu, %.3f s, %.0f msgs/s, "
                "%.1f MB/s\n",
                (unsigned long long)b->messages, (unsigned long long)b->words,
                (unsigned long long)b->delivered, b->seconds,
                figures_batch(b, FIGURE_BATCH_msgs_per_sec),
                figures_batch(b, FIGURE_BATCH_mb_per_sec));
        return;
    }
    fprintf(out,
            "consume batch %llu: %llu messages, %llu words, %llu unique words, "
            "%.3f s, %.0f msgs/s, %.1f MB/s, cpu %.1f%%, rss %.1f MB, ",
            (unsigned long long)b->batch, (unsigned long long)b->messages,
            (unsigned long long)b->words, (unsigned long long)b->unique_words, b->seconds,
            figures_batch(b, FIGURE_BATCH_msgs_per_sec),
            figures_batch(b, FIGURE_BATCH_mb_per_sec), b->cpu_percent, b->rss_mb);
    text_latency(out, b->latency);
    fputc('\n', out);
    if (b->ntop) {
        fprintf(out, "  top words:");
        for (size_t i = 0; i < b->ntop; i++)
            fprintf(out, " %.*s (%llu)", (int)b->top[i].len, b->top[i].word,
                    (unsigned long long)b->top[i].count);
        fputc('\n', out);
    }
}

const char *report_number(char *buf, size_t len, double v) {
    if (isfinite(v) && fabs(v) < 1e15 && (v == floor(v) || fabs(v) >= 1e6))
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
    return buf;
}

void report_threshold_miss(FILE *out, const run_threshold *t) {
    double by = fabs(t->actual - t->limit);
    char num[64];
    fprintf(out, "off by %s", report_number(num, sizeof num, by));
    if (t->limit == 0) return;
    /* a share of the limit while it reads as one; past 10 times, a ratio */
    double pct = 100.0 * by / fabs(t->limit);
    if (pct < 1000)
        fprintf(out, " (%.4g%% of the limit)", pct);
    else
        fprintf(out, " (%s times the limit)",
                report_number(num, sizeof num, fabs(t->actual / t->limit)));
}

static void text_threshold(FILE *out, const run_threshold *t) {
    char num[64];
    fprintf(out, "  threshold %s %s: actual %s, %s", t->metric, t->condition,
            report_number(num, sizeof num, t->actual), t->pass ? "pass" : "FAIL");
    if (!t->pass) {
        fputs(" (", out);
        report_threshold_miss(out, t);
        fprintf(out, ")%s", t->aborted ? ", stopped the run" : "");
    }
    fputc('\n', out);
}

/* Where the time went, a line per broker (in the client's order), and the
 * consumers' largest lag, naming the partition furthest behind:
 * "  broker 2 127.0.0.1:4321: rtt mean 201.3 ms, p99 204.0 ms; client queue
 *  mean 3.1 ms, p99 9.8 ms; send buffer 0.1 ms; throttle 0 ms (812 requests)" */
static void text_brokers(FILE *out, const run_summary *s) {
    for (size_t i = 0; i < s->nbrokers; i++) {
        const run_broker *b = &s->brokers[i];
        fprintf(out,
                "  broker %d %s: rtt mean %.1f ms, p99 %.1f ms; client queue mean %.1f ms, "
                "p99 %.1f ms; send buffer %.1f ms; throttle %.0f ms (%llu requests)\n",
                (int)b->id, b->name, b->rtt_mean_ms, b->rtt_p99_ms, b->queue_mean_ms,
                b->queue_p99_ms, b->outbuf_mean_ms, b->throttle_max_ms,
                (unsigned long long)b->requests);
    }
    if (!s->consumed_run || !(s->nbrokers || s->npart_lag)) return;
    fprintf(out, "  consumer lag: at most %llu messages behind",
            (unsigned long long)s->consumer_lag_max);
    size_t worst = 0; /* the partition that fell furthest behind */
    for (size_t i = 1; i < s->npart_lag; i++)
        if (s->part_lag[i] > s->part_lag[worst]) worst = i;
    if (s->npart_lag > 1 && s->part_lag[worst])
        fprintf(out, "; the most, partition %zu: %llu", worst,
                (unsigned long long)s->part_lag[worst]);
    fputc('\n', out);
}

void report_summary_text(FILE *out, const run_summary *s) {
    fprintf(out,
            "summary%s%s: delivered %llu, consumed %llu, lost %llu, "
            "duplicates %llu, delivery errors %llu\n",
            s->name ? " " : "", s->name ? s->name : "", (unsigned long long)s->delivered,
            (unsigned long long)s->consumed, (unsigned long long)s->lost,
            (unsigned long long)s->duplicates, (unsigned long long)s->delivery_errors);
    if (s->produced)
        fprintf(out, "  produced %llu of %llu records (%s) in %.3f s: %.0f msgs/s\n",
                (unsigned long long)s->delivered, (unsigned long long)s->records,
                s->mode ? s->mode : "async", s->produce_seconds,
                figures_summary(s, FIGURE_SUMMARY_produce_msgs_per_sec));
    if (s->consumed_run) {
        fprintf(out,
                "  consumed %llu in %.3f s: %.0f msgs/s, %llu words, %llu distinct "
                "words, ",
                (unsigned long long)s->consumed, s->consume_seconds,
                figures_summary(s, FIGURE_SUMMARY_consume_msgs_per_sec),
                (unsigned long long)s->words, (unsigned long long)s->unique_words_total);
        text_latency(out, s->latency);
        fputc('\n', out);
        if (s->unique_words_estimated)
            fputs("  distinct words estimated (HyperLogLog, about 0.8%)\n", out);
    }
    if (s->workers)
        fprintf(out, "  workers %d, reported %d\n", s->workers, s->workers_reported);
    for (size_t i = 0; i < s->nphases; i++) {
        const run_phase *p = &s->phases[i];
        fprintf(out, "  phase %s: sent %llu in %.3f s (%.0f msgs/s", p->name,
                (unsigned long long)p->sent, p->seconds,
                figures_phase(p, FIGURE_PHASE_msgs_per_sec));
        if (p->target_rate > 0) fprintf(out, ", target %.0f", p->target_rate);
        fprintf(out, "), consumed %llu, ", (unsigned long long)p->consumed);
        text_latency(out, p->latency);
        fputc('\n', out);
    }
    if (s->csv_skipped || s->csv_padded)
        fprintf(out, "  csv: %llu ragged rows skipped, %llu padded or truncated\n",
                (unsigned long long)s->csv_skipped, (unsigned long long)s->csv_padded);
    if (s->missing[0]) fprintf(out, "  lost: sequence numbers %s\n", s->missing);
    if (s->aborted || s->foreign)
        fprintf(out,
                "  aborted %llu (transactions aborted: abort_every's, or the one open at a "
                "stop), foreign %llu (not this run's)\n",
                (unsigned long long)s->aborted, (unsigned long long)s->foreign);
    text_partitions(out, "delivered", s->part_delivered, s->npart_delivered);
    text_partitions(out, "consumed", s->part_consumed, s->npart_consumed);
    if (s->unconsumed)
        /* a pipeline expects copies on consume_topic, not the messages
         * delivered to topic */
        fprintf(out,
                "  stopped early: %llu messages expected on the consumed topic were not "
                "consumed\n",
                (unsigned long long)s->unconsumed);
    text_brokers(out, s);
    fprintf(out, "  cpu %.1f%%, peak rss %.1f MB\n", s->cpu_percent, s->peak_rss_mb);
    for (size_t i = 0; i < s->nthresholds; i++) text_threshold(out, &s->thresholds[i]);
    if (s->error[0]) fprintf(out, "  error: %s\n", s->error);
}

/* JSON numbers: finite doubles only (NaN/inf become 0). */
static double jnum(double v) { return isfinite(v) ? v : 0.0; }

/* s as a JSON string, escaped as the json message format escapes values
 * (valid UTF-8 kept, invalid bytes as \u00XX). */
static void json_str(FILE *out, const char *s, size_t len) {
    encode_buf b = {0};
    if (encode_json_string(&b, s, len) == 0)
        fwrite(b.data, 1, b.len, out);
    else
        fputs("\"\"", out);
    encode_buf_free(&b);
}

static void json_latency(FILE *out, const stats_hist *h) {
    size_t n;
    const figure_stat *st = figures_latency_stats(&n);
    fputc('{', out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s\"%s\":", i ? "," : "", st[i].name);
        if (st[i].p == FIGURES_STAT_COUNT)
            fprintf(out, "%llu", (unsigned long long)(h ? stats_hist_count(h) : 0));
        else
            fprintf(out, "%.3f", jnum(figures_latency(h, st[i].p)));
    }
    fputc('}', out);
}

/* Every figure of `scope` that `role` has, as ,"name":value pairs, in the
 * table's order (figures.h). */
static void json_figures(FILE *out, figure_scope scope, unsigned role, const void *obj) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    for (size_t i = 0; i < n; i++) {
        if (!(f[i].roles & role)) continue;
        figure_value v = f[i].get(obj);
        fprintf(out, ",\"%s\":", f[i].name);
        switch (f[i].type) {
        case FIGURE_COUNT: fprintf(out, "%llu", (unsigned long long)v.v); break;
        case FIGURE_REAL: fprintf(out, f[i].json_fmt, jnum(v.v)); break;
        case FIGURE_LATENCY: json_latency(out, v.h); break;
        }
    }
}

/* ,"brokers":[{"id":N,"name":"host:port",FIGURES_BROKER...},...], none
 * when the client's statistics had not come yet. */
static void json_brokers(FILE *out, const run_broker *b, size_t n) {
    if (!n) return;
    fputs(",\"brokers\":[", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{\"id\":%d,\"name\":", i ? "," : "", (int)b[i].id);
        json_str(out, b[i].name, strlen(b[i].name));
        json_figures(out, FIGURES_IN_BROKER, FIGURE_ANY, &b[i]);
        fputc('}', out);
    }
    fputc(']', out);
}

static void batch_json(FILE *out, const run_batch *b) {
    bool produce = b->role == RUN_PRODUCE;
    fprintf(out, "{\"type\":\"%s\"", produce ? "produce_batch" : "consume_batch");
    if (b->worker) fprintf(out, ",\"worker\":%d", b->worker - 1); /* its index */
    if (b->phase) {
        fputs(",\"phase\":", out);
        json_str(out, b->phase, strlen(b->phase));
    }
    json_figures(out, FIGURES_IN_BATCH, produce ? FIGURE_PRODUCE : FIGURE_CONSUME, b);
    json_brokers(out, b->brokers, b->nbrokers);
    if (b->ntop) {
        fputs(",\"top_words\":[", out);
        for (size_t i = 0; i < b->ntop; i++) {
            fprintf(out, "%s[", i ? "," : "");
            json_str(out, b->top[i].word, b->top[i].len);
            fprintf(out, ",%llu]", (unsigned long long)b->top[i].count);
        }
        fputc(']', out);
    }
    fputc('}', out);
}

static void json_counts(FILE *out, const uint64_t *v, size_t n) {
    fputc('[', out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
    fputc(']', out);
}

static void summary_json(FILE *out, const run_summary *s) {
    fputs("{\"type\":\"summary\",\"name\":", out);
    json_str(out, s->name ? s->name : "", s->name ? strlen(s->name) : 0);
    fprintf(out, ",\"mode\":\"%s\"", s->mode ? s->mode : "async");
    json_figures(out, FIGURES_IN_SUMMARY, FIGURE_ANY, s);
    json_brokers(out, s->brokers, s->nbrokers);
    fputs(",\"missing\":", out);
    json_str(out, s->missing, strlen(s->missing));
    if (s->npart_delivered || s->npart_consumed || s->npart_lag) {
        fputs(",\"partitions\":{\"delivered\":", out);
        json_counts(out, s->part_delivered, s->npart_delivered);
        fputs(",\"consumed\":", out);
        json_counts(out, s->part_consumed, s->npart_consumed);
        if (s->npart_lag) {
            fputs(",\"lag\":", out);
            json_counts(out, s->part_lag, s->npart_lag);
        }
        fputc('}', out);
    }
    if (s->workers)
        fprintf(out, ",\"workers\":%d,\"workers_reported\":%d,\"unique_words_estimated\":%s",
                s->workers, s->workers_reported, s->unique_words_estimated ? "true" : "false");
    if (s->nphases) {
        fputs(",\"phases\":[", out);
        for (size_t i = 0; i < s->nphases; i++) {
            const run_phase *p = &s->phases[i];
            fprintf(out, "%s{\"name\":", i ? "," : "");
            json_str(out, p->name, strlen(p->name));
            json_figures(out, FIGURES_IN_PHASE, FIGURE_ANY, p);
            fputc('}', out);
        }
        fputc(']', out);
    }
    if (s->nthresholds) {
        fputs(",\"thresholds\":[", out);
        for (size_t i = 0; i < s->nthresholds; i++) {
            const run_threshold *t = &s->thresholds[i];
            fprintf(out, "%s{\"metric\":", i ? "," : "");
            json_str(out, t->metric, strlen(t->metric));
            fputs(",\"condition\":", out);
            json_str(out, t->condition, strlen(t->condition));
            fprintf(out, ",\"actual\":%.9g,\"pass\":%s,\"aborted\":%s}", jnum(t->actual),
                    t->pass ? "true" : "false", t->aborted ? "true" : "false");
        }
        fputc(']', out);
    }
    fputs(",\"error\":", out);
    json_str(out, s->error, strlen(s->error));
    fputc('}', out);
}

static void json_field(FILE *out, const char *key, const char *v) {
    fprintf(out, ",\"%s\":", key);
    json_str(out, v ? v : "", v ? strlen(v) : 0);
}

static void run_json(FILE *out, const run_info *run) {
    char date[64] = "", machine[300] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct utsname u;
    bool have_u = uname(&u) == 0;
    if (have_u)
        snprintf(machine, sizeof machine, "%s %s %s, %ld cpus", u.sysname, u.release, u.machine,
                 sysconf(_SC_NPROCESSORS_ONLN));
    fputs("{\"type\":\"run\"", out);
    json_field(out, "name", run->name);
    json_field(out, "script", run->script);
    json_field(out, "brokers", run->brokers);
    json_field(out, "kafka", run->kafka);
    json_field(out, "topic", run->topic);
    json_field(out, "kengine", run->kengine);
    json_field(out, "librdkafka", run->librdkafka);
    json_field(out, "lua", run->lua);
    json_field(out, "date", date);
    json_field(out, "host", have_u ? u.nodename : "");
    json_field(out, "machine", machine);
    json_field(out, "mode", run->mode);
    json_field(out, "format", run->format);
    fprintf(out,
            ",\"records\":%llu,\"batch_size\":%llu,\"rate\":%.6g,\"partitions\":%d,"
            "\"consumers\":%d}",
            (unsigned long long)run->records, (unsigned long long)run->batch_size,
            jnum(run->rate), run->partitions, run->consumers);
}

/* Runs fn into a malloc'd string. */
#define TO_STRING(fn, arg)                                                                     \
    do {                                                                                       \
        char *buf = NULL;                                                                      \
        size_t len = 0;                                                                        \
        FILE *f = open_memstream(&buf, &len);                                                  \
        if (!f) return NULL;                                                                   \
        fn(f, arg);                                                                            \
        if (fclose(f)) {                                                                       \
            free(buf);                                                                         \
            return NULL;                                                                       \
        }                                                                                      \
        return buf;                                                                            \
    } while (0)

char *report_batch_json(const run_batch *b) { TO_STRING(batch_json, b); }
char *report_summary_json(const run_summary *s) { TO_STRING(summary_json, s); }
char *report_run_json(const run_info *run) { TO_STRING(run_json, run); }
char *report_batch_string(const run_batch *b) { TO_STRING(report_batch_text, b); }
char *report_summary_string(const run_summary *s) { TO_STRING(report_summary_text, s); }

void report_emit_json_batch(report *r, const run_batch *b) {
    if (!r->json) return;
    batch_json(r->json, b);
    fputc('\n', r->json);
    fflush(r->json);
}

void report_emit_run(report *r, const run_info *run) {
    if (!r->json) return;
    run_json(r->json, run);
    fputc('\n', r->json);
    fflush(r->json);
}

void report_emit_json_summary(report *r, const run_summary *s) {
    if (!r->json) return;
    summary_json(r->json, s);
    fputc('\n', r->json);
    fflush(r->json);
}

void report_emit_batch(report *r, const run_batch *b) {
    if (r->text) {
        report_batch_text(r->text, b);
        fflush(r->text); /* progress shows as it happens, also into a pipe */
    }
    report_emit_json_batch(r, b);
}

void report_emit_summary(report *r, const run_summary *s) {
    if (r->text) report_summary_text(r->text, s);
    report_emit_json_summary(r, s);
}

static void worker_text(FILE *out, const run_worker *w) {
    fprintf(out, "worker %d: %s", w->worker, w->status);
    if (w->exit_code >= 0) /* its final state arrived: its figures */
        fprintf(out,
                ", sent %llu, delivered %llu, delivery errors %llu, consumed %llu, "
                "words %llu, cpu %.1f%%, peak rss %.1f MB, exit %d",
                (unsigned long long)w->sent, (unsigned long long)w->delivered,
                (unsigned long long)w->delivery_errors, (unsigned long long)w->consumed,
                (unsigned long long)w->words, w->cpu_percent, w->peak_rss_mb, w->exit_code);
    if (w->error[0]) fprintf(out, ": %s", w->error);
    fputc('\n', out);
}

void report_emit_worker(report *r, const run_worker *w) {
    if (r->text) worker_text(r->text, w);
    if (!r->json) return;
    fprintf(r->json, "{\"type\":\"worker\",\"worker\":%d,\"status\":", w->worker);
    json_str(r->json, w->status, strlen(w->status));
    fprintf(r->json,
            ",\"exit_code\":%d,\"sent\":%llu,\"delivered\":%llu,\"delivery_errors\":%llu,"
            "\"consumed\":%llu,\"words\":%llu,\"cpu_percent\":%.1f,\"peak_rss_mb\":%.2f,"
            "\"error\":",
            w->exit_code, (unsigned long long)w->sent, (unsigned long long)w->delivered,
            (unsigned long long)w->delivery_errors, (unsigned long long)w->consumed,
            (unsigned long long)w->words, jnum(w->cpu_percent), jnum(w->peak_rss_mb));
    json_str(r->json, w->error, strlen(w->error));
    fputs("}\n", r->json);
    fflush(r->json);
}
