/*
 * writer: the built-in reporters of a run's events (model/run.h): the
 * text reporter writes the human lines, the NDJSON reporter one JSON
 * object per event. Which figures each event carries, and how they are
 * formatted, comes from the table in figures.h.
 */
#ifndef KENGINE_REPORT_WRITER_H
#define KENGINE_REPORT_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "run.h"

typedef struct report report;

/* Opens the reporters: text to `text` (NULL = none), NDJSON to json_path
 * ("-" = stdout, NULL = none). Returns NULL with err set on failure. */
report *report_open(FILE *text, const char *json_path, char *err, size_t errlen);
void report_close(report *r);

void report_batch_text(FILE *out, const run_batch *b);
void report_summary_text(FILE *out, const run_summary *s);
/* One NDJSON object (no newline) for the event, malloc'd; NULL on OOM. */
char *report_batch_json(const run_batch *b);
char *report_summary_json(const run_summary *s);
/* One line of text (with newline), malloc'd; NULL on OOM. */
char *report_batch_string(const run_batch *b);
char *report_summary_string(const run_summary *s);

/* Both reporters at once, as configured by report_open. */
void report_emit_batch(report *r, const run_batch *b);
void report_emit_summary(report *r, const run_summary *s);
/* A worker's line: text and a {"type":"worker",...} NDJSON object. */
void report_emit_worker(report *r, const run_worker *w);
/* How far a failed threshold missed: "off by X (Y% of the limit)", or
 * "(N times the limit)" past 1000%; nothing more when the limit is 0 (no
 * newline). */
void report_threshold_miss(FILE *out, const run_threshold *t);
/* A figure's value for people: whole numbers and values from 1e6 up in
 * plain digits (99977600, never 9.99776e+07), others to 6 significant
 * digits. Returns buf. */
const char *report_number(char *buf, size_t len, double v);

char *report_run_json(const run_info *run);
void report_emit_run(report *r, const run_info *run);

/* The NDJSON reporter alone (when a script replaces the text one). */
void report_emit_json_batch(report *r, const run_batch *b);
void report_emit_json_summary(report *r, const run_summary *s);

#endif
