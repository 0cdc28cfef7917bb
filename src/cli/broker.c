/*
 * broker: `kengine broker [--brokers N] [--topic NAME[:PARTITIONS]]...
 * [--fault SPEC]...`. Starts the embedded (mock) cluster, creates the named
 * topics, prints the bootstrap address as the first line of stdout and
 * serves until SIGINT/SIGTERM, firing the scheduled faults on the way.
 *
 * A fault is KIND@START[+DURATION][:ARG], times in seconds from the start
 * of the broker (decimals allowed):
 *   down@2+3        broker 1 down at 2 s, up again at 5 s (no +: stays down);
 *   down@2+3:2      the same for broker 2. With several brokers, the
 *                   partitions a downed broker leads move to one that is up;
 *   rtt@0+10:50     50 ms added to every response for 10 s (no +: for good);
 *   rtt@0:200/2     200 ms added to broker 2's responses only;
 *   produce-errors@1:20   the next 20 Produce requests after 1 s fail with
 *                   retriable errors; fetch-errors@1:20 the same for Fetch.
 * Each fault, as it starts and ends, is reported on stderr.
 */
#include "args.h"
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "kafka.h"
#include "signals.h"
#include "stats.h"

#define MAX_BROKERS 64

typedef enum { F_DOWN, F_RTT, F_PRODUCE_ERRORS, F_FETCH_ERRORS } fault_kind;

typedef struct {
    const char *spec;
    fault_kind kind;
    double start, duration; /* duration < 0: none (lasts) */
    long arg;               /* broker id, milliseconds or error count */
    long broker;            /* rtt: the broker slowed (after '/'), 0 = every broker */
} fault;

typedef struct {
    double at;
    const fault *f;
    bool end; /* the fault's end (broker up, rtt 0) */
} fault_event;

enum { OPT_BROKERS = 1, OPT_TOPIC, OPT_FAULT };

static const command_option OPTIONS[] = {
    {OPT_BROKERS, "--brokers", 0, "N",
     "brokers in the cluster (default 1); topics are replicated\non up to 3 of them"},
    {OPT_TOPIC, "--topic", 0, "T[:P]", "create topic T with P partitions (default 4)"},
    {OPT_FAULT, "--fault", 0, "SPEC",
     "KIND@START[+DURATION][:ARG], seconds from the broker's start:\n"
     "  down@2+3[:ID]         broker ID (default 1) down at 2 s for 3 s\n"
     "                        (no +DURATION: stays down); its partitions\n"
     "                        move to a broker that is up, if any\n"
     "  rtt@0+10:50           50 ms added round-trip time for 10 s\n"
     "  rtt@0:200/2           200 ms added to broker 2's responses only\n"
     "  produce-errors@1:20   the next 20 Produce requests after 1 s\n"
     "                        fail with retriable errors\n"
     "  fetch-errors@1:20     the same for Fetch requests\n"
     "Each fault is reported on stderr as it starts and ends."},
    {0},
};

const command_doc broker_doc = {
    .about = "Runs the embedded broker until SIGINT/SIGTERM. The bootstrap address is\n"
             "the first line of stdout. Topics not named are created on first use with\n"
             "4 partitions. It keeps only ~5 MiB per partition.\n",
    .options = OPTIONS,
};

static int parse_num(const char **p, double *out) {
    char *end;
    errno = 0;
    double v = strtod(*p, &end);
    if (end == *p || errno || v < 0 || v > 1e6) return -1;
    *out = v;
    *p = end;
    return 0;
}

/* Parses SPEC into *f; on error, a message naming the spec. */
static int parse_fault(const char *spec, int brokers, fault *f, char *err, size_t errlen) {
    static const struct {
        const char *name;
        fault_kind kind;
    } kinds[] = {{"down", F_DOWN},
                 {"rtt", F_RTT},
                 {"produce-errors", F_PRODUCE_ERRORS},
                 {"fetch-errors", F_FETCH_ERRORS}};
    memset(f, 0, sizeof *f);
    f->spec = spec;
    f->duration = -1;
    const char *at = strchr(spec, '@');
    size_t klen = at ? (size_t)(at - spec) : strlen(spec);
    size_t k;
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (strlen(kinds[k].name) == klen && !strncmp(spec, kinds[k].name, klen)) break;
    if (k == sizeof kinds / sizeof kinds[0]) {
        snprintf(err, errlen,
                 "--fault %s: unknown kind '%.*s' (down, rtt, produce-errors, "
                 "fetch-errors)",
                 spec, (int)klen, spec);
        return -1;
    }
    f->kind = kinds[k].kind;
    if (!at) {
        snprintf(err, errlen, "--fault %s: missing @START (seconds), e.g. %s@2", spec,
                 kinds[k].name);
        return -1;
    }
    const char *p = at + 1;
    if (parse_num(&p, &f->start)) {
        snprintf(err, errlen, "--fault %s: START must be a number of seconds", spec);
        return -1;
    }
    if (*p == '+') {
        p++;
        if (parse_num(&p, &f->duration) || f->duration <= 0) {
            snprintf(err, errlen, "--fault %s: DURATION must be a positive number of seconds",
                     spec);
            return -1;
        }
    }
    bool has_arg = false;
    if (*p == ':') {
        char *end;
        errno = 0;
        f->arg = strtol(p + 1, &end, 10);
        if (f->kind == F_RTT && end != p + 1 && *end == '/' && !errno) {
            const char *id = end + 1;
            f->broker = strtol(id, &end, 10);
            if (end == id || f->broker < 1 || f->broker > brokers) {
                snprintf(err, errlen, "--fault %s: no broker '%s' (brokers are 1..%d)", spec,
                         id, brokers);
                return -1;
            }
        }
        if (end == p + 1 || *end || errno) {
            snprintf(err, errlen, "--fault %s: ':' must be followed by a whole number", spec);
            return -1;
        }
        has_arg = true;
        p = end;
    }
    if (*p) {
        snprintf(err, errlen, "--fault %s: unexpected '%s' (KIND@START[+DURATION][:ARG])", spec,
                 p);
        return -1;
    }
    switch (f->kind) {
    case F_DOWN:
        if (!has_arg) f->arg = 1;
        if (f->arg < 1 || f->arg > brokers) {
            snprintf(err, errlen, "--fault %s: no broker %ld (brokers are 1..%d)", spec, f->arg,
                     brokers);
            return -1;
        }
        break;
    case F_RTT:
        if (!has_arg || f->arg < 1 || f->arg > 600000) {
            snprintf(err, errlen,
                     "--fault %s: needs :MILLISECONDS[/BROKER] (1..600000), e.g. "
                     "rtt@0+10:50",
                     spec);
            return -1;
        }
        break;
    case F_PRODUCE_ERRORS:
    case F_FETCH_ERRORS:
        if (!has_arg || f->arg < 1 || f->arg > 1000000) {
            snprintf(err, errlen, "--fault %s: needs :COUNT (1..1000000), e.g. %s@1:20", spec,
                     kinds[k].name);
            return -1;
        }
        if (f->duration >= 0) {
            snprintf(err, errlen,
                     "--fault %s: takes no +DURATION (the errors are used up by "
                     "the next requests)",
                     spec);
            return -1;
        }
        break;
    }
    return 0;
}

static int cmp_event(const void *a, const void *b) {
    const fault_event *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    /* at the same time: ends before starts, then in command-line order */
    if (x->end != y->end) return x->end ? -1 : 1;
    return x->f < y->f ? -1 : x->f > y->f;
}

static int fire(kafka_embedded *e, const fault_event *ev, double t) {
    const fault *f = ev->f;
    char msg[512];
    int rc = 0;
    switch (f->kind) {
    case F_DOWN:
        rc = ev->end ? kafka_embedded_broker_up(e, (int)f->arg, msg, sizeof msg)
                     : kafka_embedded_broker_down(e, (int)f->arg, msg, sizeof msg);
        break;
    case F_RTT:
        rc = kafka_embedded_rtt(e, (int)f->broker, ev->end ? 0 : (int)f->arg, msg, sizeof msg);
        break;
    case F_PRODUCE_ERRORS:
    case F_FETCH_ERRORS:
        rc = kafka_embedded_request_errors(
            e, f->kind == F_PRODUCE_ERRORS ? KAFKA_EMBEDDED_PRODUCE : KAFKA_EMBEDDED_FETCH,
            (int)f->arg, msg, sizeof msg);
        break;
    }
    fprintf(stderr, "kengine broker: t=%.2f s: fault %s %s: %s\n", t, f->spec,
            rc        ? "failed"
            : ev->end ? "ends"
                      : "starts",
            msg);
    return rc;
}

/* kafka_embedded_dropped's report: one line per partition and time. */
static void say_dropped(void *ud, const char *topic, int partition, int64_t from, int64_t to) {
    (void)ud;
    fprintf(stderr,
            "kengine broker: topic '%s' partition %d dropped %lld records (offsets %lld to "
            "%lld): the embedded broker keeps about 5 MiB per partition; a reader that comes "
            "later does not find them\n",
            topic, partition, (long long)(to - from), (long long)from, (long long)(to - 1));
}

static void sleep_s(double s) {
    struct timespec ts = {.tv_sec = (time_t)s,
                          .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

int cmd_broker(int argc, char **argv) {
    int brokers = 1, rc = 0;
    const char **topics = calloc((size_t)argc, sizeof *topics);
    fault *faults = calloc((size_t)argc, sizeof *faults);
    fault_event *events = calloc(2 * (size_t)argc, sizeof *events);
    const char **fault_specs = calloc((size_t)argc, sizeof *fault_specs);
    size_t ntopics = 0, nfaults = 0, nevents = 0;
    kafka_embedded *e = NULL;
    char err[512];
    if (!topics || !faults || !events || !fault_specs) {
        fprintf(stderr, "kengine broker: out of memory\n");
        rc = EXITCODE_RUNTIME;
        goto out;
    }
    size_t nspecs = 0;
    args a;
    args_init(&a, "broker", argc, argv);
    for (int o; (o = args_next(&a)) != ARGS_END;) {
        const char *v = a.value;
        switch (o) {
        case OPT_TOPIC: topics[ntopics++] = v; break;
        case OPT_FAULT: fault_specs[nspecs++] = v; break;
        case OPT_BROKERS: {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > MAX_BROKERS) {
                rc = args_error(&a, "--brokers %s: must be 1..%d", v, MAX_BROKERS);
                goto out;
            }
            brokers = (int)n;
            break;
        }
        case ARGS_OPERAND:
            rc = args_error(&a,
                            "unexpected argument '%s' (expected --brokers N, --topic "
                            "NAME:PARTITIONS or --fault SPEC; see --help)",
                            v);
            goto out;
        case ARGS_EXIT: rc = a.rc; goto out;
        }
    }
    /* faults are checked against the final broker count */
    for (size_t i = 0; i < nspecs; i++) {
        fault *f = &faults[nfaults++];
        if (parse_fault(fault_specs[i], brokers, f, err, sizeof err)) {
            fprintf(stderr, "kengine broker: %s\n", err);
            rc = EXITCODE_USAGE;
            goto out;
        }
        events[nevents++] = (fault_event){.at = f->start, .f = f};
        if (f->duration > 0 && (f->kind == F_DOWN || f->kind == F_RTT))
            events[nevents++] =
                (fault_event){.at = f->start + f->duration, .f = f, .end = true};
    }
    qsort(events, nevents, sizeof *events, cmp_event);

    double t0 = stats_now();
    e = kafka_embedded_start(brokers, err, sizeof err);
    if (!e) {
        fprintf(stderr, "kengine broker: %s\n", err);
        rc = EXITCODE_RUNTIME;
        goto out;
    }
    for (size_t i = 0; i < ntopics; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s", topics[i]);
        char *colon = strrchr(name, ':');
        int parts = 4;
        if (colon) {
            char *end;
            long v = strtol(colon + 1, &end, 10);
            if (end == colon + 1 || *end || v < 1 || v > 10000) {
                fprintf(stderr, "kengine broker: --topic %s: partitions must be 1..10000\n",
                        topics[i]);
                rc = EXITCODE_USAGE;
                goto out;
            }
            parts = (int)v;
            *colon = '\0';
        }
        if (!name[0]) {
            fprintf(stderr, "kengine broker: --topic needs a topic name\n");
            rc = EXITCODE_USAGE;
            goto out;
        }
        if (kafka_embedded_topic(e, name, parts, err, sizeof err)) {
            fprintf(stderr, "kengine broker: %s\n", err);
            rc = EXITCODE_RUNTIME;
            goto out;
        }
    }

    printf("%s\n", kafka_embedded_bootstraps(e));
    fflush(stdout);
    fprintf(stderr,
            "kengine broker: embedded broker%s at %s; Ctrl-C stops it. Topics not named "
            "with --topic are created on first use with 4 partitions (CreateTopics "
            "requests are not supported by this broker). Each partition keeps only "
            "~5 MiB: older messages are dropped.\n",
            brokers > 1 ? "s" : "", kafka_embedded_bootstraps(e));
    if (nfaults)
        fprintf(stderr, "kengine broker: %zu fault%s scheduled\n", nfaults,
                nfaults == 1 ? "" : "s");

    size_t next = 0;
    double watched = 0;
    while (!signals_caught) {
        /* once a second: say when a partition dropped records */
        if (stats_now() - watched >= 1) {
            kafka_embedded_dropped(e, say_dropped, NULL);
            watched = stats_now();
        }
        double t = stats_now() - t0;
        while (next < nevents && events[next].at <= t) {
            if (fire(e, &events[next], stats_now() - t0) && !rc) rc = EXITCODE_RUNTIME;
            next++;
            t = stats_now() - t0;
        }
        double wait = 0.2;
        if (next < nevents && events[next].at - t < wait) wait = events[next].at - t;
        if (wait > 0) sleep_s(wait);
    }
    if (rc) fprintf(stderr, "kengine broker: some faults could not be applied\n");
out:
    kafka_embedded_stop(e);
    free(topics);
    free(faults);
    free(events);
    free(fault_specs);
    return rc;
}
