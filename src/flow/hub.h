/*
 * hub: the state one run shares between its threads.
 *
 * Threads: the producer and the consumer each run on their own thread
 * (kafka/producer.c, kafka/consumer.c); the main thread owns Lua and the
 * reporters. Worker threads never call Lua: they push finished batch
 * figures onto the hub's event queue, and the main thread pops them,
 * reports them and runs the script's hooks (engine.c).
 *
 * Flow control: on the embedded broker, which keeps only ~5 MiB per
 * partition, the producer may run at most `window_bytes` of value bytes
 * ahead of the consumer (produced_bytes - consumed_bytes).
 */
#ifndef KENGINE_HUB_H
#define KENGINE_HUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exitcode.h"
#include "run.h"
#include "workload.h"

/* Message header carrying kengine's per-record metadata: 28 bytes, all
 * big-endian: sequence number (u64), intended send time in microseconds
 * since the epoch (i64), run id (u64), phase index (u32). Readers accept
 * the first 24 bytes alone (phase 0). */
#define HUB_HEADER        "kengine"
#define HUB_HEADER_LEN    28
#define HUB_HEADER_MIN    24
#define HUB_MAX_PHASES    64
#define HUB_MAX_CONSUMERS 64

/* A growable bitmap of sequence numbers (one thread writes it). */
typedef struct {
    uint64_t *w; /* bits, 64 per word */
    size_t nwords;
} hub_bits;

/* Sets bit i; returns its previous value, or -1 on OOM. */
int hub_bits_set(hub_bits *b, uint64_t i);
static inline int hub_bits_get(const hub_bits *b, uint64_t i) {
    return i / 64 < b->nwords ? (int)((b->w[i / 64] >> (i % 64)) & 1) : 0;
}
void hub_bits_free(hub_bits *b);

/* A worker's part in a run shared by several processes (dist/protocol.h). */
typedef struct hub_share {
    uint64_t run_tag;                  /* header run id shared by every worker */
    uint64_t total;                    /* records of the whole run: the bitmaps' range */
    uint64_t seq_base[HUB_MAX_PHASES]; /* first sequence number of each phase's share */
} hub_share;

typedef struct pipeline_event {
    run_batch batch;
    struct pipeline_event *next;
} pipeline_event;

typedef struct hub {
    const workload *wl;
    const char *brokers;    /* resolved bootstrap servers */
    uint64_t run_id;        /* tags this run's messages */
    int partitions;         /* partitions of the topic */
    int64_t *start_offsets; /* per partition: high watermark before producing */
    uint64_t window_bytes;  /* 0 = producer not bounded by the consumer */
    bool mock;              /* the broker is librdkafka's mock (ours or another's) */
    double t0;              /* stats_now() at the run's start (batches' elapsed) */

    atomic_bool stop;                    /* ask both workers to wind down */
    atomic_bool producer_done;           /* producer finished (flushed) */
    atomic_uint_fast64_t delivered;      /* final delivered count, set before producer_done */
    atomic_uint_fast64_t failed;         /* final failed-delivery count, the same */
    atomic_uint_fast64_t produced_bytes; /* value bytes handed to the producer */
    atomic_uint_fast64_t consumed_bytes; /* value bytes processed by the consumers */
    /* For the live progress line (engine_set_tick), kept only when
     * `progress` (nothing added to the hot path otherwise): messages sent
     * and consumed so far, the phase being sent, and each consumer's
     * latency over its last full second (published under mu). */
    atomic_uint_fast64_t produced_msgs;
    atomic_uint_fast64_t consumed_msgs;
    atomic_int phase;
    bool progress;
    stats_hist *recent[HUB_MAX_CONSUMERS];

    /* Sequence numbers seen by the consumers (all threads): a fixed atomic
     * bitmap of seen_limit bits when the record count is known (calloc'd:
     * untouched pages cost nothing), else a growable one that only a single
     * consumer may use. */
    _Atomic uint64_t *seen;
    uint64_t seen_limit;
    hub_bits seen_grow;
    /* With expect_copies k > 1: copies seen per sequence number (saturating
     * at 255) instead of the bitmap, one byte each. */
    int copies; /* k, the workload's expect_copies */
    _Atomic unsigned char *seen_copies;
    atomic_uint_fast64_t distinct;          /* expected copies seen (at most k per sequence) */
    atomic_uint_fast64_t unsequenced;       /* messages without a kengine header */
    atomic_uint_fast64_t consume_batches;   /* consume batches numbered so far */
    atomic_int_fast64_t last_message_us;    /* when any consumer last got a message */
    atomic_int assigned[HUB_MAX_CONSUMERS]; /* partitions each group member holds */

    /* A worker of a shared run (NULL otherwise): its consumers stop when
     * the coordinator (dist/worker.c) sets group_done, i.e. the whole
     * group has seen everything every worker's producer delivered. */
    const hub_share *share;
    atomic_bool group_done;
    /* the other workers' value bytes produced and consumed, as last heard:
     * on an embedded broker the window bounds the whole group */
    atomic_uint_fast64_t others_produced_bytes, others_consumed_bytes;

    pthread_mutex_t mu; /* guards the event queue and `error` */
    pthread_cond_t cv;
    pipeline_event *head, *tail; /* FIFO of finished batches */
    int workers_running;         /* threads that have not exited yet */
    int exit_code;               /* EXITCODE_OK, or the worst failure (_RUNTIME, _USAGE) */
    char error[512];             /* first failure message */
} hub;

/* `records` = sequence numbers expected, 0 if unknown. */
int hub_init(hub *p, const workload *wl, uint64_t records);
/* Counts a copy of seq: returns the copies seen before this one (0 the
 * first time; with k = 1 the bitmap says 0 or 1; saturates at 255, and a
 * seq outside the run's range counts as 255: an extra), or -1 on OOM.
 * The copy is expected while the result is below k (hub.copies).
 * Thread-safe when the record count was known. */
int hub_seen_set(hub *p, uint64_t seq);
/* Copies of seq seen (0 or 1 with k = 1). */
int hub_seen_get(const hub *p, uint64_t seq);
/* Missing sequence numbers shown by hub_missing before "and N more". */
#define HUB_MISSING_SHOWN 8
/* Counts the expected copies of the sequence numbers in [0, n) that no
 * consumer saw (k per sequence number; fewer when some copies arrived),
 * leaving out those whose delivery failed or whose transaction was aborted
 * (failed, aborted: NULL for none), and names those sequence numbers in desc as
 * ranges in order: "0-4999, 5002, 7000-7099 and 3 more ranges" (at most
 * HUB_MISSING_SHOWN ranges, fewer if desc is short; always
 * NUL-terminated; "" when none is missing). */
uint64_t hub_missing(const hub *p, const hub_bits *failed, const hub_bits *aborted, uint64_t n,
                     char *desc, size_t desclen);
void hub_destroy(hub *p);
/* Queue a finished batch: its contents, and what it owns, move to the
 * queue. Thread-safe. */
void hub_post(hub *p, run_batch *b);
/* Record a failure (first message wins; exit code keeps the worst). */
void hub_error(hub *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, and ask both workers to stop. */
void hub_fail(hub *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hub_worker_exit(hub *p);
/* Pop the next event, waiting up to timeout seconds. Returns 1 with *out
 * filled, 0 on timeout, -1 when no event is left and all workers exited. */
int hub_next(hub *p, run_batch *out, double timeout);

static inline void hub_put_u32(unsigned char *b, uint32_t v) {
    for (int i = 3; i >= 0; i--) {
        b[i] = (unsigned char)v;
        v >>= 8;
    }
}
static inline uint32_t hub_get_u32(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline void hub_put_u64(unsigned char *b, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)v;
        v >>= 8;
    }
}
static inline uint64_t hub_get_u64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | b[i];
    return v;
}

#endif
