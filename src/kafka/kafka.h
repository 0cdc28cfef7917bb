/*
 * kafka: everything kengine does with librdkafka, behind plain C calls.
 * Only this folder's files include <librdkafka/rdkafka.h> (src/layers.txt).
 *
 *   embedded.c        the in-process mock cluster (zero-setup default and
 *                     `kengine broker`)
 *   admin.c           reachability check, topic creation, partition count
 *                     and start offsets
 *   producer.c        the producer thread: CSV rows -> messages
 *   consumer.c        the consumer thread: messages -> word metrics
 *   stats.c           librdkafka's statistics: per broker latency, lag
 */
#ifndef KENGINE_KAFKA_H
#define KENGINE_KAFKA_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csvsrc.h"
#include "hub.h"
#include "stats.h"
#include "words.h"
#include "flow.h"
#include "workload.h"

/* ---- embedded broker ---- */
typedef struct kafka_embedded kafka_embedded;
/* Starts an in-process cluster of `brokers` brokers (ids 1..brokers).
 * NULL + err on failure. */
kafka_embedded *kafka_embedded_start(int brokers, char *err, size_t errlen);
const char *kafka_embedded_bootstraps(const kafka_embedded *e);
int kafka_embedded_brokers(const kafka_embedded *e);
/* Creates `topic` with `partitions` partitions, replicated on every broker
 * (at most 3), as the cluster does for topics created on first use. */
int kafka_embedded_topic(kafka_embedded *e, const char *topic, int partitions, char *err,
                         size_t errlen);
void kafka_embedded_stop(kafka_embedded *e);

/* Faults (`kengine broker --fault`). Each returns 0, or -1 with the reason
 * in msg; on success msg describes what was done. */
/* Broker `id` goes down: its connections are closed and no new one is
 * served. Partitions it leads move to another broker that is up, when there
 * is one (the mock shares one log per partition between its brokers, so
 * nothing is lost); with none, they stay unavailable until it is up. */
int kafka_embedded_broker_down(kafka_embedded *e, int id, char *msg, size_t msglen);
int kafka_embedded_broker_up(kafka_embedded *e, int id, char *msg, size_t msglen);
/* Adds `ms` of round-trip time to broker `id`'s responses, or every
 * broker's when id is 0 (ms 0 = none). */
int kafka_embedded_rtt(kafka_embedded *e, int id, int ms, char *msg, size_t msglen);
typedef enum { KAFKA_EMBEDDED_PRODUCE, KAFKA_EMBEDDED_FETCH } kafka_embedded_api;
/* The next `count` requests of `api` (to any broker) fail with retriable
 * errors (leadership / timeout errors; nothing is appended or read). */
int kafka_embedded_request_errors(kafka_embedded *e, kafka_embedded_api api, int count,
                                  char *msg, size_t msglen);
/* A partition that dropped records: the mock keeps about 5 MiB per
 * partition and silently moves its log start past older records. */
typedef void (*kafka_embedded_drop_fn)(void *ud, const char *topic, int partition, int64_t from,
                                       int64_t to);
/* Reads every partition's log start and calls fn for each that moved since
 * the last call (records [from, to) dropped; a partition first seen with a
 * start above 0 counts from 0). 0, or -1 when the cluster did not answer. */
int kafka_embedded_dropped(kafka_embedded *e, kafka_embedded_drop_fn fn, void *ud);

/* ---- admin ---- */
/* Connects to `brokers` (failing after a bounded timeout with the address
 * in the message), creates the topic when `create` and it is absent, waits
 * until it has leaders, and returns its partition count. When `offsets` is
 * non-NULL it receives a malloc'd array of each partition's high watermark
 * (where this run's messages will start). *mock tells whether the cluster
 * looks like librdkafka's mock (no controller among its brokers).
 * 0 ok, -1 err, -2 Kafka refused a topic the workload asked for (a name
 * or count its policy forbids: err names the field; bad input). */
int kafka_topic_prepare(const char *brokers, const workload *wl, int create, int *partitions,
                        int64_t **offsets, bool *mock, char *err, size_t errlen);

/* ---- client statistics (kafka/stats.c) ---- */
/* librdkafka's statistics.interval.ms for the producer and consumers: a
 * window of a second (the cost grows with partitions; BENCHMARKS.md,
 * "Client statistics"). */
#define KAFKA_STATS_INTERVAL_MS "1000"
/* Partitions whose lag is kept one by one (a topic's first ones); the
 * sum covers them all. */
#define KAFKA_STATS_PARTITIONS 256
typedef struct {
    run_broker b;
    uint64_t queued; /* messages the window's int_latency is over */
    bool logical;    /* a coordinator's handle, no connection of its own */
} kafka_stats_broker;
/* One statistics document: its brokers with a node id, in its order. */
typedef struct {
    kafka_stats_broker brokers[RUN_BROKERS_MAX];
    size_t nbrokers;
    uint64_t consumer_lag; /* summed over the partitions whose lag is known */
    bool lag_known;        /* any partition's was */
    int64_t part_lag[KAFKA_STATS_PARTITIONS]; /* by partition, -1 unknown */
    size_t npart;                             /* partitions seen (the largest + 1) */
} kafka_stats_window;
/* Reads librdkafka's statistics JSON (NUL-terminated) into *w: per broker
 * rtt (avg, p99, cnt), int_latency (avg, p99, cnt), outbuf_latency avg,
 * throttle max, in ms; consumer_lag summed over topics' partitions (each
 * partition's end less the position the application took,
 * consumer_lag_stored; consumer_lag, from the committed offset, when no
 * position is known). 0, or
 * -1 with err when it is not JSON. */
int kafka_stats_parse(const char *json, kafka_stats_window *w, char *err, size_t errlen);

/* A client's statistics over a run: the latest window and the run's per
 * broker figures. Fed by the client's stats callback, read per batch and
 * at the summary; thread-safe. */
typedef struct {
    run_broker b; /* id, name, requests, p99s and throttle (max) so far */
    double rtt_sum, outbuf_sum, queue_sum, queue_weight; /* for the means */
} kafka_stats_total;
typedef struct {
    pthread_mutex_t mu;
    kafka_stats_window last;
    uint64_t windows;                              /* documents taken */
    uint64_t lag_max;                              /* the largest consumer_lag of a window */
    uint64_t part_lag_max[KAFKA_STATS_PARTITIONS]; /* each partition's largest */
    size_t npart;
    kafka_stats_total total[RUN_BROKERS_MAX];
    size_t ntotal;
} kafka_stats;
void kafka_stats_init(kafka_stats *s);
void kafka_stats_destroy(kafka_stats *s);
/* Adds a window: it becomes the latest, and counts towards the run's. */
void kafka_stats_add(kafka_stats *s, const kafka_stats_window *w);
/* Parses a document and adds it; -1 (nothing added) when it is no JSON. */
int kafka_stats_take(kafka_stats *s, const char *json);
/* Sets b's consumer_lag and brokers (a malloc'd copy) from the latest window. */
void kafka_stats_batch(kafka_stats *s, run_batch *b);
/* The run's per broker figures (means weighted by requests, resp. queued
 * messages; p99 and throttle the worst window's) into out; their number. */
size_t kafka_stats_run(kafka_stats *s, run_broker *out, size_t max);
uint64_t kafka_stats_lag_max(kafka_stats *s);
/* Each partition's largest lag over the run into out (at most max); how
 * many partitions (0 when no lag was known). */
size_t kafka_stats_part_lag(kafka_stats *s, uint64_t *out, size_t max);

/* ---- producer ---- */
typedef struct {
    hub *pl;
    csvsrc *csv;                /* rows to send (owned by the caller) */
    uint64_t sent;              /* messages accepted by the client */
    uint64_t delivered;         /* successful delivery reports */
    uint64_t errors;            /* failed deliveries (reports, or refused locally) */
    double produce_seconds;     /* first send to last delivery report */
    hub_bits failed;            /* sequence numbers whose delivery failed */
    hub_bits aborted;           /* sequence numbers of transactions aborted on purpose */
    uint64_t aborted_count;     /* messages in them */
    flow_counts part_delivered; /* successful deliveries per partition */
    uint64_t phase_sent[HUB_MAX_PHASES];  /* per phase: messages sent */
    double phase_seconds[HUB_MAX_PHASES]; /* per phase: first to last send */
    kafka_stats stats;                    /* its client's statistics (caller inits) */
} kafka_producer_job;
/* Thread body: produces wl->records messages. */
void *kafka_producer_thread(void *job);

/* ---- consumer ---- */
typedef struct {
    hub *pl;
    int index;         /* 0-based consumer number within the run */
    flow_consumer acc; /* its figures (flow/flow.h); the caller inits and frees it */
    kafka_stats stats; /* its client's statistics (the caller inits and destroys) */
} kafka_consumer_job;
void *kafka_consumer_thread(void *job);

/* ---- librdkafka's log lines (kafka/log.c) ---- */
/* Whether a librdkafka log line of syslog `level` is a real problem (shown
 * always) rather than a transient condition librdkafka retries, or chatter
 * (shown with -v only). */
bool kafka_log_is_problem(int level, const char *msg);
/* The line as kengine writes it: "WHO: MESSAGE (librdkafka FAC)", without
 * librdkafka's thread and handle prefixes. */
void kafka_log_format(char *out, size_t len, const char *who, const char *fac, const char *msg);
/* ---- results topic (dist/protocol.h) ---- */
typedef struct kafka_channel kafka_channel;
typedef void (*kafka_channel_fn)(void *ud, const void *value, size_t len);
/* Opens wl->results on `brokers` (created with 1 partition when absent,
 * with wl's security settings): a producer of records keyed by `key`, and
 * a reader of every partition from the first record at or after since_ms
 * (0 = from the beginning). NULL + err on failure. */
kafka_channel *kafka_channel_open(const char *brokers, const workload *wl, const char *key,
                                  int64_t since_ms, char *err, size_t errlen);
/* Queues a record (copied). 0, or -1 with err. */
int kafka_channel_send(kafka_channel *r, const void *value, size_t len, char *err,
                       size_t errlen);
/* Waits until every queued record is delivered. 0, or -1 with err. */
int kafka_channel_flush(kafka_channel *r, int timeout_ms, char *err, size_t errlen);
/* Calls fn for each record of our key that arrives, waiting up to
 * timeout_ms for the first. Returns how many; *caught_up (if not NULL)
 * tells whether every partition has been read to its end. */
int kafka_channel_poll(kafka_channel *r, int timeout_ms, kafka_channel_fn fn, void *ud,
                       bool *caught_up);
void kafka_channel_close(kafka_channel *r);

/* librdkafka's version string, for --version. */
const char *kafka_version(void);

#endif
