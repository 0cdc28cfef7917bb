/*
 * launch: one machine, many cores. `kengine WORKLOAD.lua workers=N` with no
 * worker index runs N worker processes of this same binary (the code path
 * of many machines: the results topic, the barrier, the merge), starting
 * one embedded broker for them when no brokers are given, then prints the
 * merged report and returns its exit code.
 */
#ifndef KENGINE_LAUNCH_H
#define KENGINE_LAUNCH_H

#include <stdbool.h>

#include "workload.h"

/* argv: this process's command line, passed on to the workers (without
 * --json and its file, with -q: the merged report is the parent's). */
int dist_launch(const workload *wl, int argc, char **argv, const char *json, const char *html,
                bool quiet);

#endif
