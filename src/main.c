/*
 * main: kengine's command line. Parses options, dispatches subcommands,
 * wires the script's hooks and the reporters to the engine, and turns
 * outcomes into exit codes. The only place that exits.
 *
 * Exit codes: 0 success; 1 runtime failure (broker unreachable, delivery
 * failures, lost or duplicated messages); 2 bad usage, script or input;
 * 130/143 interrupted by SIGINT/SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_cli.h"
#include "engine.h"
#include "kafka.h"
#include "report.h"
#include "script.h"
#include "words.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

static void usage(FILE *out) {
    fprintf(out,
        "usage: kengine [options] WORKLOAD.lua [name=value ...]\n"
        "       kengine broker [--topic NAME:PARTITIONS ...]\n"
        "       kengine words [--batch N] [--json] [FILE|-]\n"
        "\n"
        "Runs the workload a Lua script describes: CSV rows replicated to `records`\n"
        "messages, produced to Kafka in batches, consumed back with per-batch word\n"
        "counts, distinct words, throughput, CPU, memory and latency.\n"
        "\n"
        "options (before or after the script):\n"
        "  -b, --brokers LIST  bootstrap servers (overrides the script and\n"
        "                      KENGINE_BROKERS); none at all = embedded broker\n"
        "  --json FILE         write NDJSON events to FILE ('-' = stdout)\n"
        "  -q, --quiet         no human-readable text\n"
        "  -h, --help          this help\n"
        "  -V, --version       versions of kengine, librdkafka and Lua\n"
        "\n"
        "name=value after the script overrides a workload field, e.g. records=1000;\n"
        "producer.PROP=VALUE and consumer.PROP=VALUE set librdkafka properties.\n"
        "\n"
        "exit codes: 0 ok, 1 runtime failure (incl. lost messages), 2 bad usage,\n"
        "script or input, 130/143 interrupted.\n");
}

static void on_signal(int sig) {
    if (engine_signal) _exit(128 + sig); /* second signal: abort at once */
    engine_signal = sig;
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

/* ---- running a workload ---- */

typedef struct {
    script *sc;
    report *rep;
    char hook_err[2048];
} run_ctx;

static int on_batch(void *ud, const report_batch *b) {
    run_ctx *ctx = ud;
    report_emit_batch(ctx->rep, b);
    if (script_on_batch(ctx->sc, b, ctx->hook_err, sizeof ctx->hook_err)) return EXIT_USAGE;
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "words")) return words_cli_main(argc - 1, argv + 1);
    install_signals();
    if (argc >= 2 && !strcmp(argv[1], "broker")) return broker_cli_main(argc - 1, argv + 1);

    const char *script_path = NULL, *json = NULL, *brokers_opt = NULL;
    bool quiet = false;
    char **ov = calloc((size_t)argc + 2, sizeof *ov);
    size_t nov = 0;
    char env_ov[4096], b_ov[4096];
    if (!ov) return EXIT_RUNTIME;
    const char *env = getenv("KENGINE_BROKERS");
    if (env && env[0]) {
        snprintf(env_ov, sizeof env_ov, "brokers=%s", env);
        ov[nov++] = env_ov;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(ov);
            return 0;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("kengine %s (librdkafka %s, %s)\n", KENGINE_VERSION, kafka_version(),
                   script_lua_version());
            free(ov);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--json") || !strcmp(a, "-b") || !strcmp(a, "--brokers")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kengine: %s needs a value\n", a);
                free(ov);
                return EXIT_USAGE;
            }
            if (!strcmp(a, "--json")) json = argv[++i];
            else brokers_opt = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "kengine: unknown option '%s' (try kengine --help)\n", a);
            free(ov);
            return EXIT_USAGE;
        } else if (!script_path && !strchr(a, '=')) {
            script_path = a;
        } else if (strchr(a, '=')) {
            ov[nov++] = argv[i];
        } else {
            fprintf(stderr, "kengine: unexpected argument '%s' (one script per run; "
                            "overrides are name=value)\n", a);
            free(ov);
            return EXIT_USAGE;
        }
    }
    if (brokers_opt) {
        snprintf(b_ov, sizeof b_ov, "brokers=%s", brokers_opt);
        ov[nov++] = b_ov;
    }
    if (!script_path) {
        usage(stderr);
        free(ov);
        return EXIT_USAGE;
    }

    char err[2048];
    script *sc = script_load(script_path, ov, nov, err, sizeof err);
    free(ov);
    if (!sc) {
        fprintf(stderr, "kengine: %s\n", err);
        return EXIT_USAGE;
    }
    FILE *text = quiet ? NULL : (json && !strcmp(json, "-") ? stderr : stdout);
    report *rep = report_open(text, json, err, sizeof err);
    if (!rep) {
        fprintf(stderr, "kengine: %s\n", err);
        script_close(sc);
        return EXIT_USAGE;
    }

    int rc = 0;
    run_ctx ctx = {.sc = sc, .rep = rep};
    for (size_t i = 0; i < script_legs(sc); i++) {
        const workload *wl = script_leg(sc, i);
        report_summary sum;
        ctx.hook_err[0] = '\0';
        int r = engine_run(wl, on_batch, &ctx, &sum, err, sizeof err);
        if (ctx.hook_err[0]) {
            snprintf(sum.error, sizeof sum.error, "%s", ctx.hook_err);
        }
        /* bad input found before anything ran gets its one line, no summary */
        if (r != EXIT_USAGE || ctx.hook_err[0]) report_emit_summary(rep, &sum);
        char herr[2048];
        if (!ctx.hook_err[0] && script_on_done(sc, &sum, herr, sizeof herr)) {
            fprintf(stderr, "kengine: %s\n", herr);
            if (r == 0 || r == EXIT_RUNTIME) r = EXIT_USAGE;
        }
        if (ctx.hook_err[0]) fprintf(stderr, "kengine: %s\n", ctx.hook_err);
        else if (r && err[0]) fprintf(stderr, "kengine: %s\n", err);
        if (r && !rc) rc = r;
        if (r == EXIT_USAGE || r >= 128) break;
    }
    report_close(rep);
    script_close(sc);
    return rc;
}
