/*
 * run: a run's data, as plain structs. A batch, a phase, a summary and a
 * merged run's worker line are filled by the producer, the consumers, the
 * engine and the merge of a shared run, and read by the reporters, the
 * thresholds, the Lua objects and the HTML page. Which figures there are,
 * their names, units, derivations (rates) and merges are declared once, in
 * figures.h; the structs below hold the stored ones.
 */
#ifndef KENGINE_MODEL_RUN_H
#define KENGINE_MODEL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

typedef enum { RUN_PRODUCE, RUN_CONSUME } run_role;

/* One broker as a Kafka client saw it (librdkafka's statistics, kafka/
 * stats.c): where a request's time went, per broker. On a batch, the
 * client's last statistics window before the batch's end; on the summary,
 * over the run. Its figures are figures.h's FIGURES_BROKER. */
#define RUN_BROKERS_MAX 32
typedef struct {
    int32_t id;             /* the broker's node id */
    char name[128];         /* its host:port */
    uint64_t requests;      /* round trips measured (rtt samples) */
    double rtt_mean_ms;     /* request sent to response received, mean */
    double rtt_p99_ms;      /* the same, p99 (summary: the worst window's) */
    double queue_mean_ms;   /* producer: a message's wait in the client's queue
                                before its produce request (int_latency), mean */
    double queue_p99_ms;    /* the same, p99 (summary: the worst window's) */
    double outbuf_mean_ms;  /* a request's wait to be sent (outbuf_latency), mean */
    double throttle_max_ms; /* the broker's throttle time, the largest */
} run_broker;

/* One of a batch's most frequent words (workload field top_words). */
typedef struct {
    char *word; /* owned, NUL-terminated (may hold other bytes) */
    size_t len;
    uint64_t count;
} run_word;

typedef struct {
    run_role role;
    uint64_t batch;        /* 1-based batch number within its role */
    uint64_t batches;      /* expected number of batches (producer), 0 if unknown */
    int consumer;          /* consumer: which consumer of the run (1-based) */
    uint64_t messages;     /* messages in this batch */
    uint64_t bytes;        /* value bytes in this batch */
    uint64_t words;        /* words over the batch's values */
    uint64_t unique_words; /* distinct words in the batch (consumer) */
    uint64_t delivered;    /* producer: delivery reports so far (successes) */
    double seconds;        /* this batch's own interval */
    double elapsed;        /* from the run's start to the batch's end (hub_post) */
    double cpu_percent;    /* process CPU time / wall time over the interval */
    double rss_mb;         /* resident set size at the batch's end */
    const char *phase;     /* producer: the phase this batch was sent in, or NULL */
    int worker;            /* a shared run's worker: its index (worker=) + 1; 0 in a
                              run of one */
    uint64_t consumer_lag; /* consumer: messages behind the partitions' ends,
                              summed (the client's last statistics window) */
    run_broker *brokers;   /* the client's brokers (owned; NULL, 0 when no
                              statistics window has come yet) */
    size_t nbrokers;
    stats_hist *latency; /* consumer: end-to-end latency (us) of the batch; owned */
    run_word *top;       /* consumer: top words of the batch; owned */
    size_t ntop;
} run_batch;

/* Frees what a batch owns (latency, top words). */
void run_batch_free(run_batch *b);

/* Per phase figures of a phased workload. */
typedef struct {
    const char *name;
    uint64_t sent;       /* messages sent in the phase */
    double seconds;      /* first to last send of the phase */
    double target_rate;  /* the phase's rate, 0 = unlimited */
    uint64_t consumed;   /* messages of this phase consumed */
    stats_hist *latency; /* their end-to-end latency (us); owned */
} run_phase;

/* A threshold's verdict. */
typedef struct {
    char *metric;    /* e.g. "latency_ms.p99" or "steady.lost" */
    char *condition; /* e.g. "< 50" */
    double actual;   /* the figure's value (worst batch for batch metrics) */
    double limit;
    bool pass;
    bool aborted; /* this threshold stopped the run early */
} run_threshold;

typedef struct {
    const char *name;            /* workload or leg name */
    const char *mode;            /* "async" or "sync" */
    bool produced, consumed_run; /* which roles the workload has */
    bool started;                /* the run got as far as starting its threads */
    uint64_t records;            /* messages asked for */
    uint64_t sent;               /* messages handed to the client */
    uint64_t delivered;          /* successful delivery reports */
    uint64_t delivery_errors;    /* failed delivery reports */
    double produce_seconds;      /* first send to last delivery report */
    uint64_t consumed;           /* messages of this run consumed (incl. duplicates) */
    uint64_t lost;               /* delivered messages never consumed (run completed) */
    uint64_t unconsumed;         /* delivered messages not consumed because the run
                                    was stopped early (signal, hook error, abort, or
                                    a worker of a shared run died holding them) */
    char missing[256];           /* the lost sequence numbers as ranges, "" if none
                                    ("0-4999, 7000 and 2 more ranges") */
    uint64_t duplicates;         /* copies beyond expect_copies (1: seen more than once) */
    uint64_t aborted;            /* messages of transactions aborted on purpose */
    uint64_t foreign;            /* messages without our header or of another run */
    uint64_t words;              /* words over all consumed values */
    uint64_t unique_words_total; /* distinct words over the whole run */
    bool unique_words_estimated; /* a merged run's sketch estimate (dist/state.h) */
    int workers;                 /* a merged run (kengine report): workers of the run, */
    int workers_reported;        /* and those whose final state arrived; 0 otherwise */
    uint64_t bytes;              /* value bytes consumed */
    uint64_t csv_skipped;        /* CSV rows skipped for a wrong field count (ragged=skip) */
    uint64_t csv_padded;         /* CSV rows padded or truncated (ragged=pad) */
    double consume_seconds;      /* first to last consumed message */
    double cpu_percent;          /* process CPU over the whole run */
    double peak_rss_mb;          /* peak resident set size (VmHWM) */
    stats_hist *latency;         /* end-to-end latency (us) over the run; owned */
    uint64_t consumer_lag_max;   /* the largest consumer_lag of any batch */
    run_broker *brokers;         /* per broker over the run, by the producer's client
                                    (the consumers' when only consuming); owned */
    size_t nbrokers;
    run_phase *phases; /* owned */
    size_t nphases;
    run_threshold *thresholds; /* owned */
    size_t nthresholds;
    /* messages per partition: delivered to the topic produced to, consumed
     * from the topic consumed (owned; NULL, 0 when the role did not run) */
    uint64_t *part_delivered;
    size_t npart_delivered;
    uint64_t *part_consumed;
    size_t npart_consumed;
    uint64_t *part_lag; /* each consumed partition's largest consumer lag (owned;
                           NULL, 0 when no lag was known) */
    size_t npart_lag;
    char error[2048]; /* first runtime error, "" if none */
} run_summary;

void run_summary_free(run_summary *s);

/* ---- a run's loss and verdict, once for a run and a merged run ---- */

/* Records a run that only consumed did not find: `expected` (its records
 * times the copies of each) less `found` (distinct sequence numbers seen
 * and messages without one); 0 when all were found. */
uint64_t run_unfound(uint64_t expected, uint64_t found);
/* Sets the summary's loss: `missing` messages the run expected and no
 * consumer saw are lost, or unconsumed when the run was stopped early (a
 * signal, a hook, an abort, a dead worker: its consumers did not get
 * their chance). */
void run_set_loss(run_summary *s, uint64_t missing, bool stopped);
/* The verdict on a finished run's figures: EXITCODE_RUNTIME when messages
 * were lost or duplicated, or (with `delivery`) failed delivery, the
 * reason written to `reason`: "N messages lost (sequence numbers R), N
 * duplicated[, N failed delivery]" (the ranges when s->missing has them);
 * else EXITCODE_OK, `reason` untouched. A merged run judges delivery here;
 * a single run's producer reports its failures itself, naming the first. */
int run_verdict(const run_summary *s, bool delivery, char *reason, size_t len);

/* One worker's line in a merged report (kengine report). */
typedef struct {
    int worker;
    const char *status; /* "finished"; "failed" (a failure record, or a final state with
                           a failing exit code); "unfinished" (announced, no final
                           state); "missing" (never announced) */
    const char *error;  /* why it failed, or "" */
    int exit_code;      /* its own exit code; -1 when no final state arrived */
    uint64_t sent, delivered, delivery_errors, consumed, words;
    double cpu_percent, peak_rss_mb;
} run_worker;

/* A run's identity, the first NDJSON event of each run ("type":"run"):
 * what ran, where, with which versions, when and on what machine (the
 * date, host and machine are filled in by its writer). */
typedef struct {
    const char *name, *script, *brokers, *topic, *mode, *format;
    const char *kafka; /* what is known of the broker's version */
    const char *kengine, *librdkafka, *lua;
    uint64_t records, batch_size;
    double rate;
    int partitions, consumers;
} run_info;
#endif
