/*
 * report: human text and NDJSON for batches and summaries. Numbers are
 * printed with enough precision to be useful and without locale effects.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct report {
    FILE *text;   /* human text sink, or NULL */
    FILE *json;   /* NDJSON sink, or NULL */
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

FILE *report_text_stream(report *r) { return r->text; }

void report_batch_text(FILE *out, const report_batch *b) {
    if (b->role == REPORT_PRODUCE) {
        if (b->batches)
            fprintf(out, "produce batch %llu/%llu: ", (unsigned long long)b->batch,
                    (unsigned long long)b->batches);
        else
            fprintf(out, "produce batch %llu: ", (unsigned long long)b->batch);
        fprintf(out,
                "%llu messages, %llu words, delivered %llu, %.3f s, %.0f msgs/s, "
                "%.1f MB/s\n",
                (unsigned long long)b->messages, (unsigned long long)b->words,
                (unsigned long long)b->delivered, b->seconds, b->msgs_per_sec,
                b->mb_per_sec);
        return;
    }
    fprintf(out,
            "consume batch %llu: %llu messages, %llu words, %llu unique words, "
            "%.3f s, %.0f msgs/s, %.1f MB/s, cpu %.1f%%, rss %.1f MB, "
            "latency p50 %.1f ms p99 %.1f ms max %.1f ms\n",
            (unsigned long long)b->batch, (unsigned long long)b->messages,
            (unsigned long long)b->words, (unsigned long long)b->unique_words,
            b->seconds, b->msgs_per_sec, b->mb_per_sec, b->cpu_percent, b->rss_mb,
            b->lat_p50_ms, b->lat_p99_ms, b->lat_max_ms);
}

void report_summary_text(FILE *out, const report_summary *s) {
    fprintf(out, "summary%s%s: delivered %llu, consumed %llu, lost %llu, "
                 "duplicates %llu, delivery errors %llu\n",
            s->name ? " " : "", s->name ? s->name : "",
            (unsigned long long)s->delivered, (unsigned long long)s->consumed,
            (unsigned long long)s->lost, (unsigned long long)s->duplicates,
            (unsigned long long)s->delivery_errors);
    if (s->produced)
        fprintf(out, "  produced %llu of %llu records (%s) in %.3f s: %.0f msgs/s\n",
                (unsigned long long)s->delivered, (unsigned long long)s->records,
                s->mode ? s->mode : "async",
                s->produce_seconds,
                s->produce_seconds > 0 ? (double)s->delivered / s->produce_seconds : 0.0);
    if (s->consumed_run)
        fprintf(out,
                "  consumed %llu in %.3f s: %.0f msgs/s, %llu words, %llu distinct "
                "words, latency p50 %.1f ms p99 %.1f ms max %.1f ms\n",
                (unsigned long long)s->consumed, s->consume_seconds,
                s->consume_seconds > 0 ? (double)s->consumed / s->consume_seconds : 0.0,
                (unsigned long long)s->words, (unsigned long long)s->unique_words_total,
                s->lat_p50_ms, s->lat_p99_ms, s->lat_max_ms);
    fprintf(out, "  cpu %.1f%%, peak rss %.1f MB\n", s->cpu_percent, s->peak_rss_mb);
    if (s->error[0]) fprintf(out, "  error: %s\n", s->error);
}

/* JSON numbers: finite doubles only (NaN/inf become 0). */
static double jnum(double v) { return v == v && v < 1e300 && v > -1e300 ? v : 0.0; }

/* Appends s as a JSON string to buf. */
static size_t json_str(char *buf, size_t len, const char *s) {
    size_t o = 0;
#define PUT(c) do { if (o + 1 < len) buf[o] = (c); o++; } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') { PUT('\\'); PUT((char)*p); }
        else if (*p < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            for (char *e = esc; *e; e++) PUT(*e);
        } else PUT((char)*p);
    }
    PUT('"');
    if (len) buf[o < len ? o : len - 1] = '\0';
#undef PUT
    return o;
}

int report_batch_json(char *buf, size_t len, const report_batch *b) {
    if (b->role == REPORT_PRODUCE)
        return snprintf(buf, len,
                        "{\"type\":\"produce_batch\",\"batch\":%llu,\"messages\":%llu,"
                        "\"bytes\":%llu,\"words\":%llu,\"delivered\":%llu,"
                        "\"seconds\":%.6f,\"msgs_per_sec\":%.1f,\"mb_per_sec\":%.3f,"
                        "\"cpu_percent\":%.1f,\"rss_mb\":%.2f}",
                        (unsigned long long)b->batch, (unsigned long long)b->messages,
                        (unsigned long long)b->bytes, (unsigned long long)b->words,
                        (unsigned long long)b->delivered, jnum(b->seconds),
                        jnum(b->msgs_per_sec), jnum(b->mb_per_sec),
                        jnum(b->cpu_percent), jnum(b->rss_mb));
    return snprintf(buf, len,
                    "{\"type\":\"consume_batch\",\"batch\":%llu,\"messages\":%llu,"
                    "\"bytes\":%llu,\"words\":%llu,\"unique_words\":%llu,"
                    "\"seconds\":%.6f,\"msgs_per_sec\":%.1f,\"mb_per_sec\":%.3f,"
                    "\"cpu_percent\":%.1f,\"rss_mb\":%.2f,"
                    "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}",
                    (unsigned long long)b->batch, (unsigned long long)b->messages,
                    (unsigned long long)b->bytes, (unsigned long long)b->words,
                    (unsigned long long)b->unique_words, jnum(b->seconds),
                    jnum(b->msgs_per_sec), jnum(b->mb_per_sec), jnum(b->cpu_percent),
                    jnum(b->rss_mb), jnum(b->lat_p50_ms), jnum(b->lat_p99_ms),
                    jnum(b->lat_max_ms));
}

int report_summary_json(char *buf, size_t len, const report_summary *s) {
    char name[256], error[1100];
    json_str(name, sizeof name, s->name ? s->name : "");
    json_str(error, sizeof error, s->error);
    return snprintf(
        buf, len,
        "{\"type\":\"summary\",\"name\":%s,\"mode\":\"%s\",\"records\":%llu,"
        "\"sent\":%llu,\"delivered\":%llu,\"delivery_errors\":%llu,"
        "\"produce_seconds\":%.6f,\"consumed\":%llu,\"lost\":%llu,"
        "\"duplicates\":%llu,\"words\":%llu,\"unique_words_total\":%llu,"
        "\"consume_seconds\":%.6f,\"cpu_percent\":%.1f,\"peak_rss_mb\":%.2f,"
        "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"error\":%s}",
        name, s->mode ? s->mode : "async", (unsigned long long)s->records,
        (unsigned long long)s->sent, (unsigned long long)s->delivered,
        (unsigned long long)s->delivery_errors, jnum(s->produce_seconds),
        (unsigned long long)s->consumed, (unsigned long long)s->lost,
        (unsigned long long)s->duplicates, (unsigned long long)s->words,
        (unsigned long long)s->unique_words_total, jnum(s->consume_seconds),
        jnum(s->cpu_percent), jnum(s->peak_rss_mb), jnum(s->lat_p50_ms),
        jnum(s->lat_p99_ms), jnum(s->lat_max_ms), error);
}

void report_emit_json_line(report *r, const char *line) {
    if (!r->json) return;
    fputs(line, r->json);
    fputc('\n', r->json);
    fflush(r->json);
}

void report_emit_batch(report *r, const report_batch *b) {
    if (r->text) report_batch_text(r->text, b);
    if (r->json) {
        char buf[1024];
        report_batch_json(buf, sizeof buf, b);
        report_emit_json_line(r, buf);
    }
}

void report_emit_summary(report *r, const report_summary *s) {
    if (r->text) report_summary_text(r->text, s);
    if (r->json) {
        char buf[4096];
        report_summary_json(buf, sizeof buf, s);
        report_emit_json_line(r, buf);
    }
}
