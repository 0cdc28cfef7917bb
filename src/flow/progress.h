/*
 * progress: the live status line of a run on a terminal, as plain
 * functions. The engine samples the run about ten times a second
 * (progress_sample); progress_update keeps the rates over the last second
 * and says when the line is due again (about once a second);
 * progress_format writes it. main draws it through the logger, which keeps
 * it below the scrolling per-batch lines.
 */
#ifndef KENGINE_PROGRESS_H
#define KENGINE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One look at a running run. */
typedef struct {
    double elapsed;            /* seconds since the run started */
    bool producing, consuming; /* the run's roles */
    uint64_t produced;         /* messages handed to the client so far */
    uint64_t consumed;         /* messages of this run consumed so far */
    uint64_t records;          /* messages the run stands for, 0 unknown */
    const char *phase;         /* the phase being sent, NULL without phases */
    double p99_ms;             /* latency p99 over the last second, < 0 none */
} progress_sample;

typedef struct {
    double last_draw; /* elapsed of the last line, < 0 none yet */
    double prev_t;    /* the sample the rates are measured from */
    uint64_t prev_produced, prev_consumed;
    double produce_rate, consume_rate; /* msgs/s over about the last second */
} progress;

void progress_init(progress *p);
/* Feeds a sample. Returns true when the line is due: a second after the
 * last one (the first one second into the run); the rates are then those
 * since the previous line. */
bool progress_update(progress *p, const progress_sample *s);
/* The status line (no newline) for s with p's rates, at most len - 1
 * bytes. */
void progress_format(char *buf, size_t len, const progress *p, const progress_sample *s);

#endif
