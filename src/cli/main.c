/*
 * main: kengine's command line. Sets up the signals and dispatches through
 * the table of subcommands (commands.c): `kengine SUBCOMMAND ...` runs that
 * row's entry point, anything else is a workload run (`kengine [options]
 * WORKLOAD.lua`, run.c). The only place that exits; the exit codes are
 * exitcode.h's.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "exitcode.h"
#include "signals.h"

#ifdef KENGINE_WITH_JEMALLOC
/* jemalloc's start-up options (read by jemalloc itself): one arena, since
 * librdkafka frees on its threads what the producer allocates on its own,
 * and freed pages returned within half a second, so resident memory
 * follows what is in flight, not what once was. */
const char *malloc_conf = "narenas:1,dirty_decay_ms:500,muzzy_decay_ms:0";
#endif

static void on_signal(int sig) {
    if (signals_caught) _exit(EXITCODE_SIGNAL(sig)); /* second signal: abort at once */
    signals_caught = sig;
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv) {
    const command *c = argc >= 2 ? commands_find(argv[1]) : NULL;
    if (c) {
        argc--; /* the subcommand's argv[0] is its name */
        argv++;
    } else {
        c = commands_run(); /* kengine [options] WORKLOAD.lua */
    }
    if (c->signals) install_signals();
    return c->main(argc, argv);
}
