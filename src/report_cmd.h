/*
 * report_cmd: `kengine report RUN_ID`: reads a shared run's records from
 * the results topic, merges the workers' final states exactly (merge.h) and
 * prints the run's summary with one line per worker; the workload's
 * thresholds are applied to the merged figures.
 */
#ifndef KENGINE_REPORT_CMD_H
#define KENGINE_REPORT_CMD_H

#include <stdio.h>

#include "workload.h"

/* `kengine report RUN_ID [-b LIST] [--results TOPIC] [--wait SECONDS]
 * [--json FILE] [--html FILE] [-q]` (argv[0] is "report"). Exit code: 0 ok, 1 a worker
 * missing or failed, loss, duplicates or delivery errors, 2 bad usage,
 * 3 a threshold failed. */
int report_cmd_main(int argc, char **argv);

/* The merge and its report for run `run_id`, on wl->brokers' wl->results
 * (wl's security settings), waiting up to `wait` seconds for every worker's
 * final state. Text to `text` (NULL = none), NDJSON to json_path (NULL =
 * none), the HTML page (html.c: the workers' batches, the merged summary)
 * to html_path (NULL = none). Returns the exit code as above. */
int report_cmd_run(const workload *wl, const char *run_id, double wait, FILE *text,
                   const char *json_path, const char *html_path);

#endif
