/*
 * launch: N local workers and their merged report. See launch.h.
 */
#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "kafka.h"
#include "logger.h"
#include "collect.h"
#include "signals.h"
#include "stats.h"

/* Seconds the report waits for final states after the workers exited
 * (they flush theirs before exiting: this only covers a slow broker). */
#define REPORT_WAIT 10.0

/* Waits for the n workers to exit, passing SIGINT / SIGTERM (when the
 * launcher gets one) on to each worker still running, once: they stop
 * sending, flush and write their final state, which the merged report
 * reads. Returns the signal (0 if none). */
static int wait_workers(pid_t *pids, int n) {
    int left = n, sig = 0;
    while (left > 0) {
        if (signals_caught && !sig) {
            sig = signals_caught;
            fprintf(stderr, "kengine: %s: stopping the workers\n",
                    sig == SIGINT ? "interrupted" : "terminated");
            for (int i = 0; i < n; i++)
                if (pids[i] > 0) kill(pids[i], sig);
        }
        bool reaped = false;
        for (int i = 0; i < n; i++) {
            int st;
            if (pids[i] <= 0 || waitpid(pids[i], &st, WNOHANG) != pids[i]) continue;
            reaped = true;
            left--;
            pids[i] = 0;
            if (WIFEXITED(st) && WEXITSTATUS(st) && !sig)
                fprintf(stderr, "kengine: worker %d exited with %d\n", i, WEXITSTATUS(st));
            else if (WIFSIGNALED(st))
                fprintf(stderr, "kengine: worker %d was killed by signal %d\n", i,
                        WTERMSIG(st));
        }
        if (!reaped && left) { /* a signal interrupts the sleep */
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return sig;
}

int dist_launch(const workload *wl, int argc, char **argv, const char *json, const char *html,
                bool quiet) {
    char run_id[128], err[512];
    if (wl->run_id)
        snprintf(run_id, sizeof run_id, "%s", wl->run_id);
    else
        snprintf(run_id, sizeof run_id, "local-%d-%lld", (int)getpid(),
                 (long long)(stats_wall_us() / 1000));
    kafka_embedded *emb = NULL;
    const char *brokers = wl->brokers;
    if (!brokers) {
        /* one broker for all: every partition's ~5 MiB window is shared by
         * the workers, each bounding its own producer by its consumers */
        int parts = wl->partitions > wl->workers ? wl->partitions : wl->workers;
        emb = kafka_embedded_start(1, err, sizeof err);
        if (!emb || kafka_embedded_topic(emb, wl->topic, parts, err, sizeof err) ||
            kafka_embedded_topic(emb, wl->results, 1, err, sizeof err)) {
            fprintf(stderr, "kengine: %s\n", err);
            kafka_embedded_stop(emb);
            return EXITCODE_RUNTIME;
        }
        brokers = kafka_embedded_bootstraps(emb);
        logger_notice("no brokers given: %d workers share the embedded broker at %s "
                      "(topic '%s', %d partitions)",
                      wl->workers, brokers, wl->topic, parts);
    }
    logger_notice("run '%s': launching %d workers", run_id, wl->workers);

    /* the workers' command line: ours without --json FILE, --html FILE and
     * -q, plus -q (the merged report writes those) */
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) {
        kafka_embedded_stop(emb);
        return EXITCODE_RUNTIME;
    }
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--html")) {
            i++;
            continue;
        }
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) continue;
        args[n++] = argv[i];
    }
    args[n++] = "-q";
    args[n] = NULL;

    const pid_t launcher = getpid();
    pid_t *pids = calloc((size_t)wl->workers, sizeof *pids);
    int started = 0, rc = 0;
    for (int i = 0; pids && i < wl->workers; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "kengine: cannot start worker %d: %s\n", i, strerror(errno));
            rc = EXITCODE_RUNTIME;
            break;
        }
        if (pid == 0) {
            /* a worker never outlives its launcher (killed outright, it
             * cannot pass a signal on); its own process group, so a
             * terminal's ^C or timeout(1)'s signal to the group reaches it
             * once, through the launcher, not twice (a second signal aborts
             * a run at once) */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != launcher) _exit(127);
            setpgid(0, 0);
            char idx[16];
            snprintf(idx, sizeof idx, "%d", i);
            setenv("KENGINE_WORKER", idx, 1);
            setenv("KENGINE_RUN_ID", run_id, 1);
            if (emb) setenv("KENGINE_BROKERS", brokers, 1);
            execv("/proc/self/exe", args);
            fprintf(stderr, "kengine: worker %d: cannot run /proc/self/exe: %s\n", i,
                    strerror(errno));
            _exit(127);
        }
        pids[started++] = pid;
    }
    const int sig = wait_workers(pids, started);
    free(pids);
    free(args);
    if (!rc) {
        workload rw = *wl; /* shallow: brokers of the run, wl's results and security */
        rw.brokers = (char *)brokers;
        FILE *text = quiet ? NULL : (json && !strcmp(json, "-") ? stderr : stdout);
        rc = dist_collect(&rw, run_id, REPORT_WAIT, text, json, html);
    }
    if (sig) rc = EXITCODE_SIGNAL(sig); /* the merged report said what was done */
    kafka_embedded_stop(emb);
    return rc;
}
