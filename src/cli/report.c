/*
 * report: `kengine report RUN_ID`, the merged result of a shared run
 * (dist/collect.c does the merge).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "commands.h"
#include "exitcode.h"
#include "workload.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: kengine report RUN_ID [-b LIST] [--results TOPIC] [--wait SECONDS] "
            "[--json FILE] [--html FILE] [-q]\n"
            "Merges the final states the workers of run RUN_ID wrote to the results topic\n"
            "(default kengine.results) and prints the run's summary, one line per worker.\n"
            "exit codes: 0 ok, 1 a worker missing or failed, loss, duplicates or delivery\n"
            "errors, 2 bad usage, 3 a threshold failed.\n");
}

int cmd_report(int argc, char **argv) {
    const char *run_id = NULL, *json = NULL, *brokers = getenv("KENGINE_BROKERS"),
               *results = NULL, *html = NULL;
    double wait = 0;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "-b") || !strcmp(a, "--brokers") || !strcmp(a, "--json") ||
                   !strcmp(a, "--wait") || !strcmp(a, "--results") || !strcmp(a, "--html")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kengine: report: %s needs a value\n", a);
                return EXITCODE_USAGE;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--json"))
                json = v;
            else if (!strcmp(a, "--html"))
                html = v;
            else if (!strcmp(a, "--results"))
                results = v;
            else if (!strcmp(a, "--wait")) {
                char *end;
                wait = strtod(v, &end);
                if (end == v || *end || !(wait >= 0) || wait > 86400) {
                    fprintf(stderr,
                            "kengine: report: --wait must be seconds (0..86400), "
                            "got '%s'\n",
                            v);
                    return EXITCODE_USAGE;
                }
            } else
                brokers = v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "kengine: report: unknown option '%s'\n", a);
            return EXITCODE_USAGE;
        } else if (!run_id) {
            run_id = a;
        } else {
            fprintf(stderr, "kengine: report: unexpected argument '%s' (one run id)\n", a);
            return EXITCODE_USAGE;
        }
    }
    if (!run_id || !run_id[0]) {
        usage(stderr);
        return EXITCODE_USAGE;
    }
    if (!brokers || !brokers[0]) {
        fprintf(stderr, "kengine: report: no brokers: give -b LIST or KENGINE_BROKERS\n");
        return EXITCODE_USAGE;
    }
    workload wl;
    char err[256];
    if (workload_init(&wl) || workload_set(&wl, "brokers", brokers, err, sizeof err) ||
        (results && workload_set(&wl, "results", results, err, sizeof err))) {
        fprintf(stderr, "kengine: report: %s\n", err);
        workload_free(&wl);
        return EXITCODE_USAGE;
    }
    FILE *text = quiet ? NULL : (json && !strcmp(json, "-") ? stderr : stdout);
    int rc = dist_collect(&wl, run_id, wait, text, json, html);
    workload_free(&wl);
    return rc;
}
