/*
 * protocol: one run distributed over many kengine processes ("workers"), possibly on
 * many machines, coordinated through Kafka alone. This header holds the
 * plain logic, unit-tested without a broker:
 *
 *   - each worker's share of the run: sequence numbers [i*R/N, (i+1)*R/N)
 *     of every phase, at rate/N;
 *   - the run id as the 64-bit tag of the run's messages;
 *   - the records workers write to the results topic (keyed by run id):
 *     announce, progress, events, final state (chunked), failure;
 *   - the start barrier: who claimed an index and joined, who is missing,
 *     a duplicate index, one common start time.
 *
 * dist/worker.c runs a worker (results I/O in kafka/channel.c, the run in
 * engine/engine.c, the state in state.c); collect.c merges the final states.
 */
#ifndef KENGINE_DIST_PROTOCOL_H
#define KENGINE_DIST_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "hub.h"
#include "workload.h"

/* Largest worker count (worker indexes are 0..DIST_MAX-1). */
#define DIST_MAX 1024
/* Workers start together this long after the last one announced itself,
 * so every one has seen the announcement by then. */
#define DIST_START_DELAY_US 1000000
/* A final state travels in chunks of at most this many bytes (Kafka's
 * default message.max.bytes is 1 MB, with headroom). */
#define DIST_CHUNK_BYTES (512u << 10)

/* [*lo, *hi): worker i's share of n items among `workers`. */
void dist_share(uint64_t n, int workers, int i, uint64_t *lo, uint64_t *hi);

/* The run id as the tag carried in every message's header (FNV-1a 64,
 * never 0). Runs with different ids do not see each other's messages. */
uint64_t dist_run_tag(const char *run_id);

/* Worker i's share of `wl` (records, phases' records, rates divided), its
 * run's consumer group ("GROUP.RUN_ID") and the first sequence number of
 * each phase of its share in *share. 0, or -1 with err (OOM). `out` is a
 * deep copy the caller frees with workload_free. */
int dist_workload(const workload *wl, workload *out, hub_share *share, char *err,
                  size_t errlen);

/* ---- records on the results topic ---- */
typedef enum {
    DIST_ANNOUNCE = 1, /* a worker is here and ready: wall time of the announcement */
    DIST_PROGRESS = 2, /* its producer's outcome and what its consumers have seen */
    DIST_FINAL = 3,    /* one chunk of its final state (dist/state.c) */
    DIST_FAILED = 4,   /* it stopped without a final state: why */
    DIST_EVENT = 5,    /* one of its events, the NDJSON object --json writes */
    DIST_JOINED = 6,   /* its consumers hold their partitions: ready to start */
} dist_msg_type;

typedef struct {
    dist_msg_type type;
    int worker, workers;
    uint64_t nonce;          /* random per process: tells two claimants of one index apart */
    int64_t wall_us;         /* ANNOUNCE, JOINED: when */
    bool produced;           /* PROGRESS: the producer finished (delivered is final) */
    uint64_t delivered;      /* PROGRESS */
    uint64_t distinct;       /* PROGRESS: distinct sequence numbers its consumers saw */
    uint64_t produced_bytes; /* PROGRESS: value bytes handed to its producer */
    uint64_t consumed_bytes; /* PROGRESS: value bytes its consumers processed */
    uint32_t part, parts;    /* FINAL: chunk part of parts (0-based) */
    const void *data;        /* FINAL chunk bytes / FAILED message / EVENT JSON (points
                                  into the input) */
    size_t len;
} dist_msg;

void dist_msg_encode(const dist_msg *m, codec_buf *out);
/* 0, or -1 when `buf` is not a well-formed worker record. */
int dist_msg_decode(dist_msg *m, const void *buf, size_t len);

/* ---- the start barrier ---- */
typedef enum { DIST_WAIT, DIST_READY, DIST_DUPLICATE } dist_barrier_state;

typedef struct {
    int workers, me;
    uint64_t nonce;           /* this process's */
    uint64_t owner[DIST_MAX]; /* nonce of the first claimant of each index, 0 = none */
    bool joined[DIST_MAX];    /* its holder's consumers joined the run's group */
    int announced, njoined;   /* distinct indexes claimed / joined */
    int64_t last_us;          /* wall time of the record that completed the set */
    bool dup;                 /* another process claimed our index first */
} dist_barrier;

void dist_barrier_init(dist_barrier *b, int workers, int me, uint64_t nonce);
/* Feeds a record, in the results topic's order: an announcement (claims
 * an index: the first claimant holds it) or a JOINED (the holder's
 * consumers are in the run's group). READY once every index is held and
 * joined (the group has formed: no rebalance when sending starts), ours
 * among them; DUPLICATE when another process claimed our index first. */
dist_barrier_state dist_barrier_add(dist_barrier *b, dist_msg_type type, int worker,
                                    uint64_t nonce, int64_t wall_us);
/* When all start (wall clock, us): the completing record + delay. */
int64_t dist_barrier_start_us(const dist_barrier *b);
/* Writes "0, 2" (the indexes not yet joined, at most a few named). */
void dist_barrier_missing(const dist_barrier *b, char *out, size_t outlen);

#endif
