/*
 * engine: runs one workload. Resolves the broker (starting the embedded one
 * when none is given), prepares the topic, starts the consumer and producer
 * threads, and on the calling (main) thread hands each finished batch to the
 * caller's callback, which reports it and runs the script's hooks.
 */
#ifndef KENGINE_ENGINE_H
#define KENGINE_ENGINE_H

#include <stddef.h>

#include "exitcode.h"
#include "kafka.h"
#include "hub.h"
#include "progress.h"
#include "run.h"
#include "workload.h"

/* Called on the main thread for every finished batch. Returns 0 to go on,
 * or an exit code (non-zero) to stop the run, e.g. a hook's script error. */
typedef int (*engine_batch_fn)(void *ud, const run_batch *b);

/* Called on the main thread about ten times a second during a run, with a
 * look at it (for the live progress line). NULL turns it off; set before
 * engine_run. */
typedef void (*engine_tick_fn)(void *ud, const progress_sample *s);
void engine_set_tick(engine_tick_fn fn, void *ud);

/* Runs `wl`. Fills *summary (always, also on failure). Returns the exit
 * code (exitcode.h): EXITCODE_OK, EXITCODE_RUNTIME (incl. lost or failed
 * messages), EXITCODE_USAGE (bad input), EXITCODE_SIGNAL(sig) when
 * interrupted; err holds the first failure. */
int engine_run(const workload *wl, engine_batch_fn on_batch, void *ud, run_summary *summary,
               char *err, size_t errlen);

/* The parts of engine_run that are plain functions (unit-tested): */

/* Fills the summary of a finished run from its workers' figures: the
 * producer's counts, the consumers' merged by figures.h's rules
 * (figures_merge; the first consumer's run and phase histograms move to
 * *s and the others' merge into them; distinct words gather in cj[0]),
 * lost (or unconsumed when the run was stopped) from the sequence bitmaps
 * (run_set_loss), phases. */
void engine_summarize(const workload *wl, hub *pl, kafka_producer_job *pj,
                      kafka_consumer_job *cj, int ncons, run_summary *s);
/* The run's exit code: a hook's stop, else a signal's, else the workers'
 * worst failure, else the figures' verdict (run_verdict: EXITCODE_RUNTIME
 * for lost or duplicated messages); err gets the message. */
int engine_verdict(const hub *pl, const run_summary *s, int ncons, int hook_rc, int sig,
                   char *err, size_t errlen);

/* What a run's threads leave behind, for a worker's final state. */
typedef struct {
    const hub *pl;                       /* the seen bitmap, counters */
    const kafka_producer_job *producer;  /* NULL when the run did not produce */
    const kafka_consumer_job *consumers; /* ncons of them; [0] holds the merged words */
    int ncons;
    const run_summary *summary;
    double started; /* stats_now() at the run's start */
    int rc;         /* the run's exit code (engine_verdict: a signal's, a hook's...) */
} engine_outcome;

/* One worker of a run shared by several processes (dist/worker.c). */
typedef struct {
    const hub_share *share;
    /* Once the consumers run and before the producer starts: the start
     * barrier. 0 to go on, else an exit code (err filled): the run stops. */
    int (*gate)(void *ud, hub *pl, char *err, size_t errlen);
    /* After the threads ended, before their state is freed. */
    void (*collect)(void *ud, const engine_outcome *o);
    void *ud;
} engine_worker;

/* engine_run as worker `w` of a shared run: its share of the sequence
 * numbers, the run's tag, the gate; loss and duplicates are left to the
 * merge (kengine report). */
int engine_run_worker(const workload *wl, const engine_worker *w, engine_batch_fn on_batch,
                      void *ud, run_summary *summary, char *err, size_t errlen);

#endif
