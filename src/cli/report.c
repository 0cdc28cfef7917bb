/*
 * report: `kengine report RUN_ID`, the merged result of a shared run
 * (dist/collect.c does the merge).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "collect.h"
#include "commands.h"
#include "exitcode.h"
#include "logger.h"
#include "workload.h"

enum { OPT_BROKERS = 1, OPT_RESULTS, OPT_WAIT, OPT_JSON, OPT_HTML, OPT_QUIET };

static const command_option OPTIONS[] = {
    {OPT_BROKERS, "--brokers", 'b', "LIST", "bootstrap servers (default: KENGINE_BROKERS)"},
    {OPT_RESULTS, "--results", 0, "TOPIC", "the results topic (default kengine.results)"},
    {OPT_WAIT, "--wait", 0, "SECONDS",
     "wait up to SECONDS (0..86400) for every worker's final\nstate (default 0)"},
    {OPT_JSON, "--json", 0, "FILE", "write the merged run as NDJSON to FILE ('-' = stdout)"},
    {OPT_HTML, "--html", 0, "FILE", "write a self-contained HTML report with charts"},
    {OPT_QUIET, "--quiet", 'q', NULL, "no human-readable text"},
    {0},
};

const command_doc report_doc = {
    .about = "Merges the final states the workers of run RUN_ID wrote to the results topic\n"
             "(default kengine.results) and prints the run's summary, one line per worker.\n",
    .options = OPTIONS,
    .notes = "exit codes: 0 ok, 1 a worker missing or failed, loss, duplicates or delivery\n"
             "errors, 2 bad usage, 3 a threshold failed.\n",
};

int cmd_report(int argc, char **argv) {
    const char *run_id = NULL, *json = NULL, *brokers = getenv("KENGINE_BROKERS"),
               *results = NULL, *html = NULL;
    double wait = 0;
    bool quiet = false;
    args a;
    args_init(&a, "report", argc, argv);
    for (int o; (o = args_next(&a)) != ARGS_END;) {
        const char *v = a.value;
        switch (o) {
        case OPT_QUIET:
            quiet = true;
            logger_set_quiet(true);
            break;
        case OPT_JSON: json = v; break;
        case OPT_HTML: html = v; break;
        case OPT_RESULTS: results = v; break;
        case OPT_BROKERS: brokers = v; break;
        case OPT_WAIT: {
            char *end;
            wait = strtod(v, &end);
            if (end == v || *end || !(wait >= 0) || wait > 86400)
                return args_error(&a, "--wait must be seconds (0..86400), got '%s'", v);
            break;
        }
        case ARGS_OPERAND:
            if (run_id) return args_error(&a, "unexpected argument '%s' (one run id)", v);
            run_id = v;
            break;
        case ARGS_EXIT: return a.rc;
        }
    }
    if (!run_id || !run_id[0]) return args_usage(&a);
    if (!brokers || !brokers[0])
        return args_error(&a, "no brokers: give -b LIST or KENGINE_BROKERS");
    workload wl;
    char err[256];
    if (workload_init(&wl) || workload_set(&wl, "brokers", brokers, err, sizeof err) ||
        (results && workload_set(&wl, "results", results, err, sizeof err))) {
        workload_free(&wl);
        return args_error(&a, "%s", err);
    }
    FILE *text = quiet ? NULL : (json && !strcmp(json, "-") ? stderr : stdout);
    int rc = dist_collect(&wl, run_id, wait, text, json, html);
    workload_free(&wl);
    return rc;
}
