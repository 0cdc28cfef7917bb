/*
 * report: the figures of a run and the built-in reporters. A batch or a
 * summary is plain data (filled by the producer, the consumer and the
 * engine); the text reporter writes the human lines, the NDJSON reporter
 * one JSON object per event.
 */
#ifndef KENGINE_REPORT_H
#define KENGINE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { REPORT_PRODUCE, REPORT_CONSUME } report_role;

typedef struct {
    report_role role;
    uint64_t batch;          /* 1-based batch number within its role */
    uint64_t batches;        /* expected number of batches (producer), 0 if unknown */
    uint64_t messages;       /* messages in this batch */
    uint64_t bytes;          /* value bytes in this batch */
    uint64_t words;          /* words over the batch's values */
    uint64_t unique_words;   /* distinct words in the batch (consumer) */
    uint64_t delivered;      /* producer: delivery reports so far (successes) */
    double seconds;          /* this batch's own interval */
    double msgs_per_sec;     /* messages / seconds */
    double mb_per_sec;       /* bytes / seconds / 2^20 */
    double cpu_percent;      /* process CPU time / wall time over the interval */
    double rss_mb;           /* resident set size at the batch's end */
    double lat_p50_ms, lat_p99_ms, lat_max_ms; /* consumer: end-to-end latency */
} report_batch;

typedef struct {
    const char *name;            /* workload or leg name */
    const char *mode;            /* "async" or "sync" */
    bool produced, consumed_run; /* which roles ran */
    uint64_t records;            /* messages asked for */
    uint64_t sent;               /* messages handed to the client */
    uint64_t delivered;          /* successful delivery reports */
    uint64_t delivery_errors;    /* failed delivery reports */
    double produce_seconds;      /* first send to last delivery report */
    uint64_t consumed;           /* messages of this run consumed (incl. duplicates) */
    uint64_t lost;               /* sequence numbers in [0, records) never seen */
    uint64_t duplicates;         /* sequence numbers seen more than once */
    uint64_t words;              /* words over all consumed values */
    uint64_t unique_words_total; /* distinct words over the whole run */
    double consume_seconds;      /* first to last consumed message */
    double cpu_percent;          /* process CPU over the whole run */
    double peak_rss_mb;          /* peak resident set size (VmHWM) */
    double lat_p50_ms, lat_p99_ms, lat_max_ms; /* end-to-end over the run */
    char error[512];             /* first runtime error, "" if none */
} report_summary;

typedef struct report report;

/* Opens the reporters: text to `text` (NULL = none), NDJSON to json_path
 * ("-" = stdout, NULL = none). Returns NULL with err set on failure. */
report *report_open(FILE *text, const char *json_path, char *err, size_t errlen);
void report_close(report *r);

void report_batch_text(FILE *out, const report_batch *b);
void report_summary_text(FILE *out, const report_summary *s);
/* Writes one NDJSON object (no newline) for the event into buf. */
int report_batch_json(char *buf, size_t len, const report_batch *b);
int report_summary_json(char *buf, size_t len, const report_summary *s);

/* Both reporters at once, as configured by report_open. */
void report_emit_batch(report *r, const report_batch *b);
void report_emit_summary(report *r, const report_summary *s);
/* Writes a raw NDJSON line (already formatted) to the JSON sink, if any. */
void report_emit_json_line(report *r, const char *line);
FILE *report_text_stream(report *r);

#endif
