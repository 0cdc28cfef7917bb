/*
 * html: the self-contained HTML report (--html FILE). One page, inline CSS
 * and SVG, no script and no external reference, so it reads offline and as
 * a CI artifact: each run's identity, verdict, summary table, thresholds,
 * where the time went per broker, and charts over time, batch by batch
 * (throughput, latency, each broker's round trip and the client queue,
 * consumer lag, CPU, RSS) with the phases shaded and named, and the top
 * words when the run counted them.
 * It renders runs read back from NDJSON (results), so the page shows
 * exactly the figures of the NDJSON.
 */
#ifndef KENGINE_HTML_H
#define KENGINE_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "runfile.h"

/* Writes the page for r's complete runs to out. 0, or -1 on a write error. */
int html_write(FILE *out, const runfile *r);

/* A shared run's total rate of a role (RUN_PRODUCE, RUN_CONSUME) over
 * time: each batch's messages spread evenly over its interval (elapsed -
 * seconds, elapsed], summed over the workers in buckets of `width` seconds
 * from 0; a bucket's rate is its messages over the part of it the role's
 * batches span. Up to `max` points (x the middle of that part, y msgs/s);
 * returns their number (0 when the role has no batch). */
size_t html_rate_total(const runfile_run *run, int role, double width, double *x, double *y,
                       size_t max);

/* Axis ticks: a "nice" step (1, 2 or 5 times a power of ten) giving at
 * most max_ticks ticks from 0 up to at least hi; *top is the last tick.
 * Returns the step (hi <= 0 gives step 1 up to 1). */
double html_ticks(double hi, int max_ticks, double *top);
/* A tick label: 1500 -> "1.5k", 2000000 -> "2M", 0.25 -> "0.25". */
void html_num(char *buf, size_t len, double v);

#endif
