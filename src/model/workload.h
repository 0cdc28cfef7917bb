/*
 * workload: what one run does, as plain C data. The script module fills it
 * from a Lua table and the command line's name=value overrides; every other
 * module reads it. Field names, kinds and help text live in one table
 * (workload.c) so validation, `kengine help` and "did you mean" agree.
 */
#ifndef KENGINE_WORKLOAD_H
#define KENGINE_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csvsrc.h"
#include "encode.h"
#include "keys.h"
#include "threshold.h"

typedef enum { WORKLOAD_ASYNC, WORKLOAD_SYNC } workload_mode;

typedef struct {
    char *name;
    char *value;
} workload_prop;

/* An ordered list of librdkafka properties (name=value). */
typedef struct {
    workload_prop *items;
    size_t n, cap;
} workload_props;

/* One phase of a phased workload: `records` messages, or as many as fit in
 * `duration` seconds, at `rate` messages/s (0 = unlimited). */
typedef struct {
    char *name;
    uint64_t records; /* 0 = bounded by duration */
    double duration;  /* seconds, 0 = bounded by records */
    double rate;
} workload_phase;

typedef enum { WORKLOAD_OVERSIZE_SKIP, WORKLOAD_OVERSIZE_STOP } workload_oversize;

typedef struct workload {
    char *name;    /* leg or script name, for reports */
    char *brokers; /* bootstrap servers; NULL = embedded broker */
    char *topic;
    int partitions;         /* used when kengine creates the topic */
    int replication;        /* used when kengine creates the topic */
    char *csv;              /* path of the CSV file */
    char *baseline;         /* NDJSON of an earlier run for '* base' thresholds, or NULL */
    bool baseline_optional; /* no baseline file yet: relative thresholds skipped */
    uint64_t records;       /* messages to produce (and expect) */
    uint64_t batch_size;    /* messages per reported batch */
    double rate;            /* messages/s, 0 = unlimited */
    workload_mode mode;
    encode_format format;
    char *schema_registry; /* format avro: the registry's URL (user:password@ for basic auth) */
    char *subject;         /* format avro: registry subject, NULL = TOPIC-value */
    char *avro_types;      /* format avro: "col:type,..." for columns not strings, or NULL */
    char *avro_schema;     /* format avro: a schema file (.avsc) instead of the derived one */
    char *key;             /* CSV column used as message key, NULL = none */
    bool produce, consume;
    char *group;                /* consumer group id */
    int consumers;              /* consumer threads (a group when > 1) */
    double idle_timeout;        /* consumer gives up after this many idle seconds */
    workload_props producer;    /* extra librdkafka producer properties */
    workload_props consumer;    /* extra librdkafka consumer properties */
    uint64_t top_words;         /* report the N most frequent words per batch */
    csvsrc_ragged ragged;       /* rows with the wrong field count: error, skip, pad */
    workload_oversize oversize; /* a record over the size limit: skip (count) or stop */
    workload_phase *phases;     /* sequence of phases, or none */
    size_t nphases;
    threshold *thresholds; /* pass/fail conditions */
    size_t nthresholds;
    /* pipelines: what the consumer reads and how many copies it expects */
    char *consume_topic; /* NULL = topic */
    int expect_copies;   /* copies of each produced message expected (1..255) */
    /* synthetic keys (keys.h); exclusive with `key` */
    keys_distribution key_distribution;
    uint64_t key_count; /* distinct keys */
    double key_skew;    /* zipf exponent */
    uint64_t seed;      /* makes synthetic keys reproducible */
    /* transactions */
    bool transactional;        /* commit every transaction_size messages */
    uint64_t transaction_size; /* 0 = batch_size */
    uint64_t abort_every;      /* abort every n-th transaction on purpose, 0 = never */
    int workers;               /* worker processes sharing the run (dist/protocol.c) */
    int worker;                /* this process's index, -1 = not given */
    char *run_id;              /* name shared by the run's workers, NULL = none */
    char *results;             /* results topic (coordination and final states) */
    double start_timeout;      /* seconds to wait for every worker to announce itself */
    /* Prometheus export (src/export, docs/metrics.md) */
    char *metrics;           /* HOST:PORT serving /metrics, NULL = none */
    char *prometheus_rw;     /* remote-write URL, NULL = none */
    double metrics_interval; /* seconds between remote-write pushes */
    double metrics_linger;   /* seconds /metrics waits for a scrape after the run */
} workload;

typedef enum {
    WORKLOAD_STRING,
    WORKLOAD_INT,
    WORKLOAD_NUMBER,
    WORKLOAD_BOOL,
    WORKLOAD_ENUM,
    WORKLOAD_PROPS,
    WORKLOAD_TABLE
} workload_kind;

/* A built-in field: its name, kind and help, where it lives in struct
 * workload and what values it takes. workload_set, the script module's
 * type checks, `kengine help` and "did you mean" all read this one table. */
typedef struct {
    const char *name;
    workload_kind kind;
    const char *help;
    size_t offset, size;        /* the struct workload member it sets */
    long long imin, imax;       /* INT: accepted range */
    bool nonzero;               /* INT: 0 excluded from the range */
    double dmin;                /* NUMBER: the least value ... */
    bool dmin_excluded;         /* ... or a bound above it (a positive number) */
    const char *expect;         /* INT, NUMBER: "a positive integer" ... for errors */
    const char *const *choices; /* ENUM: the names, NULL-ended; index = enum value */
    bool empty_is_none;         /* STRING: "" sets no value (NULL), else an error */
} workload_field;

/* Defaults (the seed's job on sample.csv). 0 ok, -1 OOM. */
int workload_init(workload *wl);
void workload_free(workload *wl);
/* Deep copy. 0 ok, -1 OOM. */
int workload_copy(workload *dst, const workload *src);

/* The table of built-in fields, for help and validation. */
const workload_field *workload_fields(size_t *n);
const workload_field *workload_field_find(const char *name);
/* Nearest known field name to `name` (suggest_nearest), or NULL. */
const char *workload_suggest(const char *name);
/* A kind's name for help: "string", "integer", "number", "boolean",
 * "choice" or "table". */
const char *workload_kind_name(workload_kind kind);
/* A field's default (workload_init's value) as help shows it into buf:
 * 1000000, `test_topic`, `async`, true, {} for properties, none for no
 * value. Returns buf. */
const char *workload_field_default(const workload_field *f, char *buf, size_t len);
/* `kengine help fields`: every built-in field, its kind, default and help. */
void workload_fields_help(FILE *out);
/* `kengine help fields --markdown`: the same as the GitHub table
 * | field | type | default | meaning |. */
void workload_fields_markdown(FILE *out);

/* Set field `name` from its text form ("10000", "true", "json", ...).
 * For WORKLOAD_PROPS fields use workload_set_prop. Returns 0, or -1 with a
 * message naming the field in err. */
int workload_set(workload *wl, const char *name, const char *text, char *err, size_t errlen);
/* Add/replace property `prop` in the "producer" or "consumer" table. */
int workload_set_prop(workload *wl, const char *table, const char *prop, const char *value,
                      char *err, size_t errlen);
/* Appends a phase (name may be NULL: "phase N"). 0 or -1 with err. */
int workload_add_phase(workload *wl, const char *name, uint64_t records, double duration,
                       double rate, char *err, size_t errlen);
/* Appends a threshold; metric names are checked against the phases
 * already added. 0 or -1 with err naming the metric. */
int workload_add_threshold(workload *wl, const char *metric, const char *condition, bool abort,
                           char *err, size_t errlen);
/* Records the phases stand for: their sum, or 0 if a phase is bounded
 * by duration only. */
uint64_t workload_phase_records(const workload *wl);
/* Records the run stands for: `records`, or with phases their sum (0 when
 * a phase is bounded by duration only, i.e. unknown in advance). */
uint64_t workload_records(const workload *wl);

/* The topic the consumer reads: consume_topic, or topic. */
const char *workload_consume_topic(const workload *wl);
/* Messages per transaction: transaction_size, or batch_size. */
uint64_t workload_transaction_size(const workload *wl);
/* The most workers a shared run on the embedded broker holds. */
#define WORKLOAD_EMBEDDED_WORKERS 8

/* Kafka's rules for a topic a run names (its own topic's validation,
 * Topic.validate): 1 to 249 characters, ASCII letters, digits, '.', '_'
 * and '-', not "." or ".."; and none of Kafka's internal topics, which
 * clients do not produce to. 0, or -1 with the broken rule in `why`
 * (without the name), so the embedded broker refuses what Kafka
 * refuses. */
int workload_topic_check(const char *name, char *why, size_t whylen);
/* Cross-field checks after all fields are set. 0 or -1 with err. */
int workload_validate(const workload *wl, char *err, size_t errlen);

#endif
