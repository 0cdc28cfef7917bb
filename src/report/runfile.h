/*
 * runfile: a finished run read back from its NDJSON events (a file written
 * with --json, or the lines of the run in progress). One run is the batches
 * before a summary event and that summary. `kengine compare` and the HTML
 * report read runs through here, so both see exactly what the NDJSON says.
 *
 * Memory grows with the number of batches (a few doubles each), never with
 * the number of records.
 */
#ifndef KENGINE_RUNFILE_H
#define KENGINE_RUNFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "figures.h"
#include "run.h"

/* Values a batch can carry: the batch figures of figures.h, a LATENCY
 * figure as one value per statistic ("latency_ms.p99"). */
#define RUNFILE_BATCH_MAX 40

/* A broker's figures (figures.h's FIGURES_BROKER, by their order) as one
 * event states them; `broker` indexes the run's brokers. */
typedef struct {
    size_t broker;
    double v[FIGURES_BROKER_N];
} runfile_broker_values;

/* A broker of the run, as the events name it. */
typedef struct {
    int id;
    char *name;                 /* its host:port */
    bool in_summary;            /* the summary has its figures: */
    double v[FIGURES_BROKER_N]; /* by FIGURES_BROKER's order */
} runfile_broker;

typedef struct {
    run_role role;
    int worker;     /* a shared run's worker: its index + 1; 0 when the event names none */
    double elapsed; /* seconds from the run's start to the batch's end; -1 unknown */
    double seconds; /* the batch's own interval */
    int phase;      /* index into the run's phases, -1 none */
    double v[RUNFILE_BATCH_MAX];    /* by runfile_batch_key(); NAN when absent */
    runfile_broker_values *brokers; /* its client's brokers (owned), NULL when none */
    size_t nbrokers;
} runfile_batch;

typedef struct {
    char *key; /* a summary number by its path, e.g. "latency_ms.p99" */
    double value;
} runfile_figure;

typedef struct {
    char *key, *value; /* the run event's strings and numbers as text */
} runfile_info;

typedef struct {
    char *metric, *condition;
    double actual;
    bool pass, aborted;
} runfile_threshold;

typedef struct {
    char *name; /* a phase as the summary states it */
    double sent, seconds, msgs_per_sec, target_rate, consumed, p50, p99, max;
} runfile_phase;

typedef struct {
    char *word;
    uint64_t count; /* summed over the batches' top-word lists */
} runfile_word;

typedef struct runfile_run {
    char *name;         /* the summary's name */
    char *error;        /* the summary's error ("" none) */
    runfile_info *info; /* the "run" event: identity (brokers, versions, ...) */
    size_t ninfo;
    runfile_batch *batches;
    size_t nbatches, capbatches;
    runfile_figure *figures; /* summary numbers, phases' and thresholds' excluded */
    size_t nfigures;
    runfile_threshold *thresholds;
    size_t nthresholds;
    char **phases; /* phase names in order of first appearance */
    size_t nphases;
    runfile_phase *sphases; /* the summary's phases, in order */
    size_t nsphases;
    runfile_word *top;
    size_t ntop;
    runfile_broker *brokers; /* the brokers the batches and summary name, in
                                order of first appearance */
    size_t nbrokers;
    int workers;   /* the largest worker (index + 1) of its batches: how many
                      workers relayed them; 0 for none */
    bool complete; /* its summary was read */
} runfile_run;

typedef struct {
    runfile_run *runs;
    size_t nruns;
} runfile;

/* Adds one NDJSON line. Blank lines are ignored, as are objects of a type
 * kengine does not know (newer versions may add some). Returns 0, or -1
 * with err saying why the line is not kengine NDJSON. */
int runfile_add_line(runfile *r, const char *line, char *err, size_t errlen);
/* Reads a whole file ("-" is stdin); a bad line is named "PATH:LINE: ...",
 * a file without a summary "PATH: ...". 0 or -1. */
int runfile_read(runfile *r, const char *path, char *err, size_t errlen);
void runfile_free(runfile *r);

/* A summary figure by its NDJSON path ("lost", "latency_ms.p99"). 0, or
 * -1 if the summary has no such number. */
int runfile_figure_get(const runfile_run *run, const char *name, double *v);
/* runfile_figure_get for threshold_resolve_base (threshold_lookup_fn). */
int runfile_lookup(const void *run, const char *name, double *v);
/* A batch figure by field name ("msgs_per_sec", "latency_ms.p99"). 0/-1. */
int runfile_batch_value(const runfile_batch *b, const char *field, double *v);
/* The values of `field` over the run's batches of `role` (-1: every
 * batch), malloc'd into *out (NULL when none). Returns their number. */
size_t runfile_samples(const runfile_run *run, int role, const char *field, double **out);
/* The name of batch value i (< RUNFILE_BATCH_MAX), NULL past the last. */
const char *runfile_batch_key(size_t i);
/* A value of the run event ("brokers", "kengine"...) or NULL. */
const char *runfile_info_get(const runfile_run *run, const char *key);

#endif
