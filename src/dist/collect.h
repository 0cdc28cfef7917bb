/*
 * collect: the result of a shared run. Reads the run's records from the
 * results topic, merges the workers' final states exactly (state.h) and
 * reports the run's summary with one line per worker; the workload's
 * thresholds are applied to the merged figures (`kengine report`, and the
 * local launcher once its workers are done).
 */
#ifndef KENGINE_DIST_COLLECT_H
#define KENGINE_DIST_COLLECT_H

#include <stdio.h>

#include "workload.h"

/* The merge and its report for run `run_id`, on wl->brokers' wl->results
 * (wl's security settings), waiting up to `wait` seconds for every worker's
 * final state. Text to `text` (NULL = none), NDJSON to json_path (NULL =
 * none), the HTML page (html.c: the workers' batches, the merged summary)
 * to html_path (NULL = none). Returns the exit code: 0 ok, 1 a worker missing or
 * failed, loss, duplicates or delivery errors, 3 a threshold failed. */
int dist_collect(const workload *wl, const char *run_id, double wait, FILE *text,
                 const char *json_path, const char *html_path);

#endif
