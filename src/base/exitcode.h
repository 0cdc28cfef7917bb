/*
 * exitcode: kengine's exit codes, declared once. main turns outcomes into
 * them; the engine, the hub, the workers and the subcommands return or
 * record them; README's "Exit codes" table documents them.
 */
#ifndef KENGINE_EXITCODE_H
#define KENGINE_EXITCODE_H

enum {
    EXITCODE_OK = 0,        /* everything delivered and consumed, thresholds held */
    EXITCODE_RUNTIME = 1,   /* broker unreachable, delivery failures, loss, duplicates;
                               `kengine test`: a scenario failed */
    EXITCODE_USAGE = 2,     /* bad usage, script or input (names the culprit) */
    EXITCODE_THRESHOLD = 3, /* a threshold failed */
};

/* Interrupted by signal `sig` (130 for SIGINT, 143 for SIGTERM). */
#define EXITCODE_SIGNAL(sig) (128 + (sig))

#endif
