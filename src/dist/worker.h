/*
 * worker: runs this process as one worker of a shared run (dist/protocol.h):
 * announces itself on the results topic and waits for the others (the start
 * barrier), runs its share through the engine while a coordinator thread
 * tells its consumers when the whole group has seen everything, and at the
 * end writes its final state (dist/state.h) to the results topic.
 */
#ifndef KENGINE_DIST_WORKER_H
#define KENGINE_DIST_WORKER_H

#include <stddef.h>

#include "engine.h"
#include "threshold.h"
#include "workload.h"

/* Runs `wl` (workers > 1, worker >= 0) as its worker. *s gets this
 * worker's own figures; ts (nts) are the workload's thresholds, whose batch
 * state on_batch keeps up to date, shipped in the final state. Returns the
 * exit code: 0, 1 (runtime, incl. a missing worker at the start barrier or
 * a duplicate index), 2 (bad input or usage), 128+signal. */
int dist_worker_run(const workload *wl, engine_batch_fn on_batch, void *ud, const threshold *ts,
                    size_t nts, run_summary *s, char *err, size_t errlen);

#endif
