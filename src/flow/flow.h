/*
 * flow: what the producer and consumer threads compute, as plain
 * functions the threads call and unit tests drive without a broker. The
 * threads (kafka/producer.c, kafka/consumer.c) keep only the librdkafka
 * calls: creating clients, sending, polling, delivery reports.
 *
 *   phase plan and pacing   which phases run, when message i of a phase is
 *                           due (its intended send time), when a phase ends
 *   payload cache           each CSV row's encoded value and word count, kept
 *                           after its first encoding (rows repeat)
 *   the message header      kengine's 28 bytes: sequence, intended send time,
 *                           run id, phase
 *   batches                 messages, bytes and words of the batch being
 *                           filled and its interval; the run_batch it becomes
 *   per-message accounting  (consumer) the run-id filter, the sequence bitmap,
 *                           duplicates, latency per batch, run and phase,
 *                           words and distinct words
 */
#ifndef KENGINE_FLOW_H
#define KENGINE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avro_codec.h"
#include "hub.h"
#include "run.h"
#include "stats.h"
#include "words.h"
#include "workload.h"

/* ---- phase plan and pacing ---- */

/* One phase as the producer runs it. */
typedef struct {
    uint64_t records; /* 0 = until duration */
    double duration;  /* seconds, 0 = until records */
    double rate;      /* messages/s, 0 = unlimited */
    const char *name; /* NULL for the implicit single phase */
} flow_phase;

/* The workload's phases (at most HUB_MAX_PHASES), or one phase of
 * `records` at `rate` when it has none. Returns how many. */
size_t flow_plan(const workload *wl, flow_phase *plan);
/* Intended send time (us) of message i of a phase started at start_us:
 * start + i/rate, or start when the rate is unlimited. */
int64_t flow_send_time(int64_t start_us, uint64_t i, double rate);
/* How the producer waits for a message due at due_us, the wall clock
 * reading now_us: *poll_ms > 0, serve the client's events (delivery
 * reports) for that long (whole ms, at most 100, then look again); else
 * *sleep_us > 0, sleep that long (under a ms, where a poll of 0 ms would
 * return at once and spin the core); both 0, it is due. The wake-up's
 * jitter does not skew the figures: latency is measured from the intended
 * send time, and a late message is followed by the next at once. */
void flow_pace(int64_t now_us, int64_t due_us, int *poll_ms, int64_t *sleep_us);
/* Does the phase end before its message i? `clock` (seconds, the same
 * clock as `start`) is read only when the duration matters: for every
 * message when paced, every 64th when not. */
bool flow_phase_ends(const flow_phase *p, uint64_t i, double start, double (*clock)(void));
/* Batches of batch_size that `records` messages make (0 if unknown). */
uint64_t flow_batches(uint64_t records, uint64_t batch_size);

/* ---- payload cache ---- */

/* Rows repeat, so each row's encoded value and word count are kept after
 * its first encoding, up to FLOW_CACHE_LIMIT bytes of values. */
#define FLOW_CACHE_LIMIT (64u << 20)

typedef struct {
    size_t nrows;    /* data rows of the CSV (0: nothing cached) */
    size_t *off;     /* per row: offset of its value in data */
    uint32_t *len;   /* per row: value length, UINT32_MAX = not cached */
    uint32_t *words; /* per row: words in the value */
    char *data;      /* the values, back to back */
    size_t used, cap;
    size_t limit; /* bytes of values kept at most */
} flow_cache;

/* A cache for `nrows` rows (without memory it caches nothing). */
void flow_cache_init(flow_cache *c, size_t nrows, size_t limit);
void flow_cache_free(flow_cache *c);
/* Keeps row r's value (best effort: past the limit or without memory,
 * nothing is kept). */
void flow_cache_put(flow_cache *c, size_t r, const char *v, size_t n, uint32_t words);
/* Row r's value and words if cached: true and the out parameters set. */
bool flow_cache_get(const flow_cache *c, size_t r, const char **v, size_t *n, uint64_t *words);

/* ---- the message header (hub.h: HUB_HEADER) ---- */

typedef struct {
    uint64_t seq;    /* sequence number within the run */
    int64_t send_us; /* intended send time, us since the epoch */
    uint64_t run_id;
    uint32_t phase; /* 0 when the header has only the first 24 bytes */
} flow_header;

/* Writes the 28-byte header. */
void flow_header_put(unsigned char h[HUB_HEADER_LEN], const flow_header *v);
/* Reads a header of `len` bytes; false if too short to be one. */
bool flow_header_get(const unsigned char *h, size_t len, flow_header *out);

/* ---- batches ---- */

/* The batch being filled, of either role. */
typedef struct {
    uint64_t no;                 /* batches taken so far */
    uint64_t msgs, bytes, words; /* the current batch's figures */
    double start, cpu_start;     /* its interval's start (stats_now, stats_cpu_seconds) */
} flow_batch;

void flow_batch_start(flow_batch *b, double now, double cpu);
/* Counts a message; true when the batch holds batch_size messages. */
bool flow_batch_add(flow_batch *b, size_t bytes, uint64_t words, uint64_t batch_size);
/* Makes the batch (if it has messages) into *out: its number, figures,
 * interval (start to now), CPU over it, rss; starts the next at now.
 * Returns false, *out untouched, when it is empty. */
bool flow_batch_take(flow_batch *b, run_role role, double now, double cpu, double rss,
                     run_batch *out);

/* ---- counts per partition ---- */

/* A growable array of counters indexed by partition. */
typedef struct {
    uint64_t *v;
    size_t n; /* counters in use: the highest partition counted + 1, or more */
    bool oom; /* a count was dropped for want of memory */
} flow_counts;

/* Counts one message of `partition` (negative: ignored). */
void flow_counts_add(flow_counts *c, int32_t partition, uint64_t n);
/* At least `n` counters (zeros), so partitions without messages show. */
void flow_counts_size(flow_counts *c, size_t n);
/* Adds src into dst element by element. */
void flow_counts_merge(flow_counts *dst, const flow_counts *src);
void flow_counts_free(flow_counts *c);

/* ---- fetch ---- */

/* Did the last fetch response show records past the consumer's position
 * (librdkafka's cached high watermark beyond the next offset to read)?
 * Either may be unknown (negative): then no. */
bool flow_fetch_lags(int64_t position, int64_t high_watermark);

/* ---- a worker's share ---- */

/* Rows a worker of a shared run skips before sending sequence number
 * `seq`, having taken `taken` rows of a cached CSV of `nrows` rows, so
 * that it sends the row a single run sends with seq (row = seq mod rows).
 * 0 when the CSV is not cached (nrows 0). */
uint64_t flow_share_skip(uint64_t taken, uint64_t seq, size_t nrows);

/* ---- transactions ---- */

/* The boundaries, per message: inline, as the producer asks for each. */
/* Does the producer's message i (0-based, counted from its own first) start a
 * transaction? */
static inline bool flow_txn_begins(uint64_t i, uint64_t txn_size) {
    return txn_size && i % txn_size == 0;
}
/* Does its message i end one (the transaction's last message)? */
static inline bool flow_txn_ends(uint64_t i, uint64_t txn_size) {
    return txn_size && (i + 1) % txn_size == 0;
}
/* After n messages, is a transaction still open (the last, shorter one)? */
bool flow_txn_open(uint64_t n, uint64_t txn_size);
/* Does transaction number t (1-based) end in an abort on purpose? */
bool flow_txn_aborts(uint64_t t, uint64_t abort_every);

/* ---- when a consumer stops ---- */

typedef enum {
    FLOW_READING,       /* go on */
    FLOW_ALL_SEEN,      /* every record (or every delivered one) seen; a worker
                           of a shared run: the whole group has */
    FLOW_IDLE,          /* no message for idle_timeout since the producer's end
                           (or the last message), some maybe unseen: worth a note */
    FLOW_IDLE_ALL_SEEN, /* the same, every delivered message seen (after failed
                           deliveries, which may have been written anyway) */
} flow_end;

/* Should a consumer of pl's run stop, after a poll? `records` expected (0:
 * unknown), each pl->copies times. Done: every record seen; producing,
 * every delivered one once the producer is done without failed deliveries
 * (after some, `seen` may count failed ones that were written anyway);
 * a worker: when its coordinator says the group is. Else idle: nothing
 * for wl->idle_timeout since the last message or the producer's end,
 * whichever is later (a broker outage while it still sends is not
 * idleness). *done_us: when this consumer first saw the producer done
 * (0 before; set here); `clock_us` the wall clock in us. */
flow_end flow_consumer_ends(hub *pl, uint64_t records, int64_t *done_us,
                            int64_t (*clock_us)(void));

/* ---- per-message accounting (consumer) ---- */

/* One consumer's figures: its run totals and the batch being filled. */
typedef struct {
    /* run totals */
    uint64_t consumed; /* messages of this run (incl. duplicates) */
    uint64_t foreign;  /* messages of other runs, skipped */
    uint64_t duplicates;
    uint64_t words, bytes;   /* over the batches taken */
    double first, last;      /* stats_now() of the first message and of the last
                                message or batch flush, whichever is later; 0 if none */
    words_merger *run_words; /* distinct words over the batches taken (merged on
                               its own thread: words_merger_wait to read) */
    stats_hist *latency;     /* end-to-end latency (us) over the run */
    uint64_t phase_consumed[HUB_MAX_PHASES];
    stats_hist *phase_latency[HUB_MAX_PHASES]; /* the workload's phases only */
    /* the batch being filled */
    flow_batch batch;
    words_set *batch_words; /* distinct words of the batch */
    words_memo *memo;       /* values already scanned this batch; NULL with top_words */
    stats_hist *batch_latency;
    stats_hist *recent;        /* latency since the last hand-over to the progress line,
                                 or NULL (no progress line) */
    size_t top_words;          /* the workload's top_words */
    flow_counts partitions;    /* this run's messages per partition */
    payload_avro_reader *avro; /* format avro: the decoder, else NULL */
    encode_buf text;           /* format avro: a value's JSON rendering (reused) */
} flow_consumer;

/* Allocates what a consumer of `wl` needs. 0, or -1 on OOM (then free). */
int flow_consumer_init(flow_consumer *c, const workload *wl);
void flow_consumer_free(flow_consumer *c);

typedef enum {
    FLOW_SKIPPED, /* another run's message (or no header while producing) */
    FLOW_COUNTED, /* counted; the batch is not full yet */
    FLOW_FULL,    /* counted; the batch holds batch_size messages: flush it */
} flow_verdict;

/* Accounts one message of `pl`'s run: the run-id filter (when this run
 * produces, only its own messages count), the shared sequence bitmap
 * (distinct / duplicate / unsequenced), latency from the intended send
 * time to now_us (negative clamped to 0) per batch and phase, words,
 * bytes. `hdr` is the message's kengine header or NULL. */
flow_verdict flow_consume(flow_consumer *c, hub *pl, const unsigned char *hdr, size_t hlen,
                          const void *value, size_t len, double now, int64_t now_us);
/* Makes the batch being filled (if any) into *out (number from the run's
 * shared counter, `consumer` 1-based, distinct words, a copy of its
 * latency, top words), adds it to the run totals and clears it for the
 * next. false, *out untouched, when it is empty. */
bool flow_consumer_flush(flow_consumer *c, hub *pl, int consumer, double now, double cpu,
                         double rss, run_batch *out);

#endif
