/*
 * kafka: everything kengine does with librdkafka, behind plain C calls.
 * Only the kafka_*.c files include <librdkafka/rdkafka.h>.
 *
 *   kafka_embedded.c  the in-process mock cluster (zero-setup default and
 *                     `kengine broker`)
 *   kafka_admin.c     reachability check, topic creation, partition count
 *                     and start offsets
 *   kafka_producer.c  the producer thread: CSV rows -> messages
 *   kafka_consumer.c  the consumer thread: messages -> word metrics
 */
#ifndef KENGINE_KAFKA_H
#define KENGINE_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "csv_source.h"
#include "pipeline.h"
#include "stats.h"
#include "words.h"
#include "workload.h"

/* ---- embedded broker ---- */
typedef struct kafka_embedded kafka_embedded;
/* Starts an in-process cluster of `brokers` brokers. NULL + err on failure. */
kafka_embedded *kafka_embedded_start(int brokers, char *err, size_t errlen);
const char *kafka_embedded_bootstraps(const kafka_embedded *e);
/* Creates `topic` with `partitions` partitions (replication 1). */
int kafka_embedded_topic(kafka_embedded *e, const char *topic, int partitions,
                         char *err, size_t errlen);
void kafka_embedded_stop(kafka_embedded *e);

/* ---- admin ---- */
/* Connects to `brokers` (failing after a bounded timeout with the address
 * in the message), creates the topic when `create` and it is absent, waits
 * until it has leaders, and returns its partition count. When `offsets` is
 * non-NULL it receives a malloc'd array of each partition's high watermark
 * (where this run's messages will start). 0 ok, -1 err. */
int kafka_topic_prepare(const char *brokers, const workload *wl, int create,
                        int *partitions, int64_t **offsets, char *err, size_t errlen);

/* ---- producer ---- */
typedef struct {
    pipeline *pl;
    csvsrc *csv;                /* rows to send (owned by the caller) */
    uint64_t sent;              /* messages accepted by the client */
    uint64_t delivered;         /* successful delivery reports */
    uint64_t errors;            /* failed delivery reports */
    double produce_seconds;     /* first send to last delivery report */
} kafka_producer_job;
/* Thread body: produces wl->records messages. */
void *kafka_producer_thread(void *job);

/* ---- consumer ---- */
typedef struct {
    pipeline *pl;
    uint64_t consumed;          /* messages of this run (incl. duplicates) */
    uint64_t foreign;           /* messages of other runs, skipped */
    uint64_t lost, duplicates;
    uint64_t words, unique_words_total;
    double consume_seconds;     /* first to last message */
    stats_hist *latency;        /* run-wide end-to-end latency, microseconds */
} kafka_consumer_job;
void *kafka_consumer_thread(void *job);

/* librdkafka's version string, for --version. */
const char *kafka_version(void);

#endif
