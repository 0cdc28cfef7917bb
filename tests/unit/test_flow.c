/*
 * Unit tests for flow: the producer's and consumers' logic without a
 * broker. Phase plan and pacing, the payload cache, the message header,
 * batches, per-message accounting (run-id filter, sequence bitmap,
 * duplicates, latency per batch and phase, words), transaction
 * boundaries, a worker's share, when a consumer stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

/* ---- phase plan and pacing ---- */

static void test_plan(void **state) {
    (void)state;
    workload wl;
    char err[256];
    assert_int_equal(workload_init(&wl), 0);
    wl.records = 500;
    wl.rate = 20;
    flow_phase plan[HUB_MAX_PHASES];
    assert_int_equal(flow_plan(&wl, plan), 1);
    assert_true(plan[0].records == 500 && plan[0].rate == 20 && plan[0].duration == 0);
    assert_null(plan[0].name);
    assert_int_equal(workload_add_phase(&wl, "warm", 10, 0, 5, err, sizeof err), 0);
    assert_int_equal(workload_add_phase(&wl, "steady", 0, 2.5, 0, err, sizeof err), 0);
    assert_int_equal(flow_plan(&wl, plan), 2);
    assert_string_equal(plan[0].name, "warm");
    assert_true(plan[0].records == 10 && plan[0].rate == 5);
    assert_string_equal(plan[1].name, "steady");
    assert_true(plan[1].records == 0 && plan[1].duration == 2.5 && plan[1].rate == 0);
    workload_free(&wl);
}

static void test_send_time(void **state) {
    (void)state;
    static const struct {
        uint64_t i;
        double rate;
        int64_t want;
    } CASES[] = {
        {0, 1000, 1000000}, {5, 1000, 1005000}, {1, 3, 1333333},
        {3, 3, 2000000},    {7, 0, 1000000},    {1000000, 1e6, 2000000},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        int64_t got = flow_send_time(1000000, CASES[k].i, CASES[k].rate);
        if (got != CASES[k].want)
            fail_msg("i %llu rate %g: %lld, want %lld", (unsigned long long)CASES[k].i,
                     CASES[k].rate, (long long)got, (long long)CASES[k].want);
    }
}

/* Pacing waits by polling the client a whole ms or more, else by sleeping
 * the rest: never a poll of 0 ms, which returns at once and spins a core
 * (issue 25: 105% CPU at 2000 msgs/s). */
static void test_pace(void **state) {
    (void)state;
    static const struct {
        int64_t now, due;
        int poll_ms;
        int64_t sleep_us;
    } CASES[] = {
        {1000, 1000, 0, 0},   /* due: send */
        {2000, 1000, 0, 0},   /* late: send at once */
        {1000, 1500, 0, 500}, /* 2000 msgs/s: sleep 500 us */
        {1000, 1999, 0, 999}, /* under a ms: sleep, not poll(0) */
        {1000, 2000, 1, 0},   /* a ms: serve delivery reports */
        {1000, 8700, 7, 0},   /* whole ms, the rest slept next time */
        {0, 5000000, 100, 0}, /* long waits look again every 100 ms */
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        int poll_ms = -1;
        int64_t sleep_us = -1;
        flow_pace(CASES[k].now, CASES[k].due, &poll_ms, &sleep_us);
        if (poll_ms != CASES[k].poll_ms || sleep_us != CASES[k].sleep_us)
            fail_msg("now %lld due %lld: poll %d ms sleep %lld us, want %d / %lld",
                     (long long)CASES[k].now, (long long)CASES[k].due, poll_ms,
                     (long long)sleep_us, CASES[k].poll_ms, (long long)CASES[k].sleep_us);
    }
}

static double fake_now;
static int clock_reads;
static double fake_clock(void) {
    clock_reads++;
    return fake_now;
}

static void test_phase_ends(void **state) {
    (void)state;
    flow_phase byrec = {.records = 3};
    fake_now = 1e9; /* the clock must not matter for a records-only phase */
    clock_reads = 0;
    for (uint64_t i = 0; i < 3; i++) assert_false(flow_phase_ends(&byrec, i, 0, fake_clock));
    assert_true(flow_phase_ends(&byrec, 3, 0, fake_clock));
    assert_int_equal(clock_reads, 0);

    flow_phase bytime = {.duration = 2, .rate = 10};
    fake_now = 101.9;
    assert_false(flow_phase_ends(&bytime, 1, 100, fake_clock));
    fake_now = 102.0;
    assert_true(flow_phase_ends(&bytime, 2, 100, fake_clock));

    /* unpaced: the clock is read every 64th message only */
    flow_phase fast = {.duration = 1};
    fake_now = 50;
    clock_reads = 0;
    for (uint64_t i = 1; i < 64; i++) assert_false(flow_phase_ends(&fast, i, 0, fake_clock));
    assert_int_equal(clock_reads, 0);
    assert_true(flow_phase_ends(&fast, 64, 0, fake_clock));
    assert_int_equal(clock_reads, 1);

    /* both bounds: whichever comes first */
    flow_phase both = {.records = 10, .duration = 5, .rate = 1};
    fake_now = 0;
    assert_true(flow_phase_ends(&both, 10, 0, fake_clock));
    fake_now = 5;
    assert_true(flow_phase_ends(&both, 4, 0, fake_clock));

    assert_int_equal(flow_batches(1000, 300), 4);
    assert_int_equal(flow_batches(900, 300), 3);
    assert_int_equal(flow_batches(0, 300), 0);
}

/* ---- payload cache ---- */

static void test_cache(void **state) {
    (void)state;
    flow_cache c;
    flow_cache_init(&c, 3, 10);
    const char *v;
    size_t n;
    uint64_t w;
    assert_false(flow_cache_get(&c, 0, &v, &n, &w));
    flow_cache_put(&c, 0, "hello", 5, 1);
    flow_cache_put(&c, 2, "a b c", 5, 3);
    flow_cache_put(&c, 1, "x", 1, 1); /* over the 10-byte limit: not kept */
    flow_cache_put(&c, 7, "y", 1, 1); /* no such row */
    assert_true(flow_cache_get(&c, 0, &v, &n, &w));
    assert_true(n == 5 && w == 1 && !memcmp(v, "hello", 5));
    assert_true(flow_cache_get(&c, 2, &v, &n, &w));
    assert_true(n == 5 && w == 3 && !memcmp(v, "a b c", 5));
    assert_false(flow_cache_get(&c, 1, &v, &n, &w));
    assert_false(flow_cache_get(&c, 7, &v, &n, &w));
    flow_cache_free(&c);
    flow_cache_init(&c, 0, 10); /* no rows: caches nothing */
    flow_cache_put(&c, 0, "z", 1, 1);
    assert_false(flow_cache_get(&c, 0, &v, &n, &w));
    flow_cache_free(&c);
}

/* ---- header ---- */

static void test_header(void **state) {
    (void)state;
    unsigned char h[HUB_HEADER_LEN];
    flow_header in = {.seq = 0x0102030405060708ull,
                      .send_us = 1700000000123456ll,
                      .run_id = 0xfedcba9876543210ull,
                      .phase = 7};
    flow_header_put(h, &in);
    assert_int_equal(h[0], 0x01); /* big-endian */
    assert_int_equal(h[7], 0x08);
    flow_header out;
    assert_true(flow_header_get(h, sizeof h, &out));
    assert_true(out.seq == in.seq && out.send_us == in.send_us && out.run_id == in.run_id &&
                out.phase == 7);
    assert_true(flow_header_get(h, HUB_HEADER_MIN, &out)); /* the short form */
    assert_true(out.seq == in.seq && out.phase == 0);
    assert_false(flow_header_get(h, HUB_HEADER_MIN - 1, &out));
    assert_false(flow_header_get(NULL, 0, &out));
}

/* ---- batches ---- */

static void test_batch(void **state) {
    (void)state;
    flow_batch b = {0};
    run_batch r = {0};
    flow_batch_start(&b, 10.0, 1.0);
    assert_false(flow_batch_take(&b, RUN_PRODUCE, 11.0, 2.0, 5.0, &r)); /* empty */
    assert_false(flow_batch_add(&b, 100, 4, 3));
    assert_false(flow_batch_add(&b, 50, 2, 3));
    assert_true(flow_batch_add(&b, 10, 1, 3)); /* the third: full */
    assert_true(flow_batch_take(&b, RUN_PRODUCE, 12.0, 2.5, 7.5, &r));
    assert_int_equal(r.role, RUN_PRODUCE);
    assert_int_equal(r.batch, 1);
    assert_int_equal(r.messages, 3);
    assert_int_equal(r.bytes, 160);
    assert_int_equal(r.words, 7);
    assert_true(r.seconds == 2.0);
    assert_true(r.cpu_percent == 75.0); /* 1.5 s of CPU over 2 s */
    assert_true(r.rss_mb == 7.5);
    /* the next batch starts where this one ended */
    assert_true(b.msgs == 0 && b.bytes == 0 && b.words == 0);
    assert_false(flow_batch_add(&b, 1, 1, 3));
    assert_true(flow_batch_take(&b, RUN_PRODUCE, 13.0, 2.5, 0, &r));
    assert_int_equal(r.batch, 2);
    assert_true(r.seconds == 1.0 && r.cpu_percent == 0);
}

/* ---- per-message accounting ---- */

typedef struct {
    workload wl;
    hub pl;
    flow_consumer c;
} fixture;

static void fixture_init(fixture *f, bool produce, uint64_t records, uint64_t batch) {
    char err[256];
    assert_int_equal(workload_init(&f->wl), 0);
    f->wl.produce = produce;
    f->wl.records = records;
    f->wl.batch_size = batch;
    assert_int_equal(workload_add_phase(&f->wl, "a", records / 2, 0, 0, err, sizeof err), 0);
    assert_int_equal(
        workload_add_phase(&f->wl, "b", records - records / 2, 0, 0, err, sizeof err), 0);
    assert_int_equal(hub_init(&f->pl, &f->wl, workload_records(&f->wl)), 0);
    f->pl.run_id = 42;
    assert_int_equal(flow_consumer_init(&f->c, &f->wl), 0);
}

static void fixture_free(fixture *f) {
    flow_consumer_free(&f->c);
    hub_destroy(&f->pl);
    workload_free(&f->wl);
}

/* A message of run `run` with sequence seq sent at send_us in phase ph. */
static flow_verdict feed(fixture *f, uint64_t run, uint64_t seq, int64_t send_us, uint32_t ph,
                         const char *value, int64_t now_us) {
    unsigned char h[HUB_HEADER_LEN];
    flow_header v = {.seq = seq, .send_us = send_us, .run_id = run, .phase = ph};
    flow_header_put(h, &v);
    return flow_consume(&f->c, &f->pl, h, sizeof h, value, strlen(value), 1.0, now_us);
}

static void test_run_id_filter(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f, true, 10, 100);
    assert_int_equal(feed(&f, 7, 0, 0, 0, "old run", 1000), FLOW_SKIPPED);
    assert_int_equal(flow_consume(&f.c, &f.pl, NULL, 0, "no header", 9, 1.0, 1000),
                     FLOW_SKIPPED);
    assert_int_equal(f.c.foreign, 2);
    assert_int_equal(f.c.consumed, 0);
    assert_int_equal(atomic_load(&f.pl.distinct), 0);
    assert_int_equal(feed(&f, 42, 0, 0, 0, "ours", 1000), FLOW_COUNTED);
    assert_int_equal(f.c.consumed, 1);
    assert_int_equal(atomic_load(&f.pl.distinct), 1);
    fixture_free(&f);
}

static void test_sequences(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f, true, 10, 100);
    assert_int_equal(feed(&f, 42, 3, 0, 0, "a", 0), FLOW_COUNTED);
    assert_int_equal(feed(&f, 42, 4, 0, 0, "a", 0), FLOW_COUNTED);
    assert_int_equal(feed(&f, 42, 3, 0, 0, "a", 0), FLOW_COUNTED);  /* again */
    assert_int_equal(feed(&f, 42, 10, 0, 0, "a", 0), FLOW_COUNTED); /* outside [0, 10) */
    assert_int_equal(f.c.consumed, 4);
    assert_int_equal(f.c.duplicates, 2);
    assert_int_equal(atomic_load(&f.pl.distinct), 2);
    assert_true(hub_seen_get(&f.pl, 3) && hub_seen_get(&f.pl, 4));
    assert_false(hub_seen_get(&f.pl, 5));
    fixture_free(&f);

    /* consuming only: no filter; a message without a header is unsequenced */
    fixture_init(&f, false, 10, 100);
    assert_int_equal(feed(&f, 99, 1, 0, 0, "any run", 0), FLOW_COUNTED);
    assert_int_equal(flow_consume(&f.c, &f.pl, NULL, 0, "x", 1, 1.0, 0), FLOW_COUNTED);
    assert_int_equal(atomic_load(&f.pl.unsequenced), 1);
    assert_int_equal(atomic_load(&f.pl.distinct), 1);
    assert_int_equal(f.c.consumed, 2);
    fixture_free(&f);
}

static void test_latency_and_phases(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f, true, 10, 100);
    feed(&f, 42, 0, 1000000, 0, "a", 1002000); /* 2 ms */
    feed(&f, 42, 1, 1000000, 1, "a", 1004000); /* 4 ms, phase b */
    feed(&f, 42, 2, 1000000, 1, "a", 999000);  /* clock skew: 0, not negative */
    feed(&f, 42, 3, 1000000, 9, "a", 1001000); /* a phase the workload lacks */
    assert_int_equal(stats_hist_count(f.c.batch_latency), 4);
    assert_int_equal(stats_hist_max(f.c.batch_latency), 4000);
    assert_int_equal(stats_hist_min(f.c.batch_latency), 0);
    assert_int_equal(f.c.phase_consumed[0], 1);
    assert_int_equal(f.c.phase_consumed[1], 2);
    assert_int_equal(f.c.phase_consumed[9], 0);
    assert_int_equal(stats_hist_max(f.c.phase_latency[1]), 4000);
    assert_int_equal(stats_hist_count(f.c.phase_latency[0]), 1);
    fixture_free(&f);
}

static void test_batches_and_flush(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f, true, 10, 3);
    assert_int_equal(feed(&f, 42, 0, 0, 0, "the cat", 5000), FLOW_COUNTED);
    assert_int_equal(feed(&f, 42, 1, 0, 0, "the dog", 5000), FLOW_COUNTED);
    assert_int_equal(feed(&f, 42, 2, 0, 0, "the cat", 5000), FLOW_FULL);
    run_batch b;
    assert_true(flow_consumer_flush(&f.c, &f.pl, 2, 3.0, 0, 1.5, &b));
    assert_int_equal(b.role, RUN_CONSUME);
    assert_int_equal(b.batch, 1);
    assert_int_equal(b.consumer, 2);
    assert_int_equal(b.messages, 3);
    assert_int_equal(b.bytes, 21);
    assert_int_equal(b.words, 6);
    assert_int_equal(b.unique_words, 3);
    assert_int_equal(stats_hist_count(b.latency), 3);
    assert_true(b.seconds == 2.0); /* from the first message (now 1.0) to 3.0 */
    run_batch_free(&b);
    /* the run's consume time ends with its last batch's processing: three
     * messages of one fetch (one clock read) do not make a span of 0 and a
     * rate of 0 msgs/s (issue 25, item 2) */
    assert_true(f.c.first == 1.0);
    assert_true(f.c.last == 3.0);
    /* the run totals took the batch; the next batch starts empty */
    assert_int_equal(f.c.words, 6);
    assert_int_equal(f.c.bytes, 21);
    assert_int_equal(words_set_size(words_merger_wait(f.c.run_words)), 3);
    assert_int_equal(stats_hist_count(f.c.latency), 3);
    assert_false(flow_consumer_flush(&f.c, &f.pl, 2, 4.0, 0, 1.5, &b));
    assert_int_equal(feed(&f, 42, 3, 0, 0, "a bird", 5000), FLOW_COUNTED);
    assert_true(flow_consumer_flush(&f.c, &f.pl, 2, 4.0, 0, 1.5, &b));
    assert_int_equal(b.batch, 2);
    assert_int_equal(b.unique_words, 2);
    assert_int_equal(b.messages, 1);
    run_batch_free(&b);
    assert_int_equal(words_set_size(words_merger_wait(f.c.run_words)), 5);
    assert_int_equal(f.c.words, 8);
    assert_int_equal(atomic_load(&f.pl.consumed_bytes), 27);
    fixture_free(&f);
}

static void test_top_words(void **state) {
    (void)state;
    fixture f;
    assert_int_equal(workload_init(&f.wl), 0);
    f.wl.top_words = 2;
    f.wl.batch_size = 100;
    assert_int_equal(hub_init(&f.pl, &f.wl, 100), 0);
    f.pl.run_id = 42;
    assert_int_equal(flow_consumer_init(&f.c, &f.wl), 0);
    assert_null(f.c.memo); /* top words need every word counted */
    feed(&f, 42, 0, 0, 0, "b a b c b a", 0);
    run_batch b;
    assert_true(flow_consumer_flush(&f.c, &f.pl, 1, 2.0, 0, 0, &b));
    assert_int_equal(b.ntop, 2);
    assert_string_equal(b.top[0].word, "b");
    assert_int_equal(b.top[0].count, 3);
    assert_string_equal(b.top[1].word, "a");
    assert_int_equal(b.top[1].count, 2);
    run_batch_free(&b);
    flow_consumer_free(&f.c);
    hub_destroy(&f.pl);
    workload_free(&f.wl);
}

static void test_partition_counts(void **state) {
    (void)state;
    flow_counts a = {0}, b = {0};
    flow_counts_add(&a, 3, 1);
    flow_counts_add(&a, 3, 2);
    flow_counts_add(&a, -1, 5); /* unknown partition: ignored */
    assert_int_equal(a.n, 4);
    assert_int_equal(a.v[3], 3);
    assert_int_equal(a.v[0] + a.v[1] + a.v[2], 0);
    flow_counts_add(&b, 0, 1);
    flow_counts_size(&b, 6);
    assert_int_equal(b.n, 6);
    flow_counts_merge(&a, &b);
    assert_int_equal(a.n, 6);
    assert_int_equal(a.v[0], 1);
    assert_int_equal(a.v[3], 3);
    flow_counts_size(&a, 2); /* never shrinks */
    assert_int_equal(a.n, 6);
    flow_counts_free(&a);
    flow_counts_free(&b);
    assert_null(a.v);
}

static void test_transactions(void **state) {
    (void)state;
    /* 10 messages in transactions of 4: begin at 0, 4, 8 */
    int begins = 0;
    for (uint64_t i = 0; i < 10; i++) begins += flow_txn_begins(i, 4);
    assert_int_equal(begins, 3);
    assert_true(flow_txn_begins(8, 4) && !flow_txn_begins(9, 4));
    /* ... and end at 3 and 7; the last (8, 9) is still open after 10 */
    int ends = 0;
    for (uint64_t i = 0; i < 10; i++) ends += flow_txn_ends(i, 4);
    assert_int_equal(ends, 2);
    assert_true(flow_txn_ends(3, 4) && flow_txn_ends(7, 4) && !flow_txn_ends(8, 4));
    assert_true(flow_txn_open(10, 4));
    assert_false(flow_txn_open(8, 4)); /* 8 messages: two whole transactions */
    assert_false(flow_txn_open(0, 4));
    assert_false(flow_txn_begins(0, 0) || flow_txn_ends(0, 0) || flow_txn_open(3, 0));
    /* every 3rd transaction aborts; 0 = never */
    int aborts = 0;
    for (uint64_t t = 1; t <= 9; t++) aborts += flow_txn_aborts(t, 3);
    assert_int_equal(aborts, 3);
    assert_true(flow_txn_aborts(3, 3) && !flow_txn_aborts(4, 3));
    assert_false(flow_txn_aborts(3, 0));
}

/* ---- a worker's share ---- */

static void test_share_skip(void **state) {
    (void)state;
    static const struct {
        uint64_t taken, seq;
        size_t nrows;
        uint64_t want;
    } CASES[] = {
        {0, 0, 10, 0},       /* worker 0: from the first row */
        {0, 3334, 10, 4},    /* worker 1 of 3 of 10000 records */
        {0, 6667, 10, 7},    /* worker 2 */
        {3334, 5000, 10, 6}, /* its second phase: row 4 taken next, wants row 0 */
        {7, 3, 10, 6},       /* past the row: around the CSV again */
        {12, 2, 10, 0},      /* row 2 is next already */
        {5, 1000, 0, 0},     /* not cached: no skipping */
        {0, 7, 1, 0},        /* one row: always it */
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        uint64_t got = flow_share_skip(CASES[k].taken, CASES[k].seq, CASES[k].nrows);
        if (got != CASES[k].want)
            fail_msg("taken %llu seq %llu rows %zu: %llu, want %llu",
                     (unsigned long long)CASES[k].taken, (unsigned long long)CASES[k].seq,
                     CASES[k].nrows, (unsigned long long)got,
                     (unsigned long long)CASES[k].want);
        /* the row taken next is the one a single run sends with seq */
        if (CASES[k].nrows)
            assert_int_equal((CASES[k].taken + got) % CASES[k].nrows,
                             CASES[k].seq % CASES[k].nrows);
    }
}

/* ---- when a consumer stops ---- */

static int64_t fake_us;
static int64_t fake_clock_us(void) { return fake_us; }

static void test_consumer_ends(void **state) {
    (void)state;
    fixture f;
    fixture_init(&f, true, 10, 100);
    f.wl.idle_timeout = 2;
    int64_t done_us = 0;
    fake_us = 100000000;
    atomic_store(&f.pl.last_message_us, fake_us);
    /* the producer still sending: never idle, however long */
    fake_us += 60000000;
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    assert_int_equal(done_us, 0);
    /* done with 6 delivered, 5 seen: idle counts from its end */
    atomic_store(&f.pl.delivered, 6);
    atomic_store(&f.pl.producer_done, true);
    atomic_store(&f.pl.distinct, 5);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    assert_int_equal(done_us, fake_us);
    fake_us += 2000000; /* exactly the timeout: not beyond it */
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    fake_us += 1;
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_IDLE);
    /* a message since resets it */
    atomic_store(&f.pl.last_message_us, fake_us);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    /* every delivered one seen */
    atomic_store(&f.pl.distinct, 6);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_ALL_SEEN);
    /* ... unless some failed delivery (they may be seen anyway): then idle,
     * quietly */
    atomic_store(&f.pl.failed, 1);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    fake_us += 3000000;
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us),
                     FLOW_IDLE_ALL_SEEN);
    /* every record seen (messages without a header count) */
    atomic_store(&f.pl.distinct, 9);
    atomic_store(&f.pl.unsequenced, 1);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_ALL_SEEN);
    /* records unknown (phases by duration): that rule is off */
    assert_int_equal(flow_consumer_ends(&f.pl, 0, &done_us, fake_clock_us), FLOW_IDLE_ALL_SEEN);
    fixture_free(&f);

    /* only consuming: no producer to wait for, idle from the last message */
    fixture_init(&f, false, 10, 100);
    f.wl.idle_timeout = 1;
    done_us = 0;
    atomic_store(&f.pl.last_message_us, fake_us);
    atomic_store(&f.pl.distinct, 3);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    fake_us += 1500000;
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_IDLE);
    atomic_store(&f.pl.distinct, 10);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_ALL_SEEN);
    fixture_free(&f);

    /* a worker of a shared run: the group decides, the counts do not */
    fixture_init(&f, true, 10, 100);
    hub_share share = {0};
    f.pl.share = &share;
    f.wl.idle_timeout = 1;
    done_us = 0;
    atomic_store(&f.pl.last_message_us, fake_us);
    atomic_store(&f.pl.producer_done, true);
    atomic_store(&f.pl.distinct, 10);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_READING);
    atomic_store(&f.pl.group_done, true);
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_ALL_SEEN);
    atomic_store(&f.pl.group_done, false);
    fake_us += 1500000;
    assert_int_equal(flow_consumer_ends(&f.pl, 10, &done_us, fake_clock_us), FLOW_IDLE);
    fixture_free(&f);
}

static void test_fetch_lags(void **state) {
    (void)state;
    assert_true(flow_fetch_lags(0, 1));
    assert_true(flow_fetch_lags(2339, 2340));
    assert_false(flow_fetch_lags(2340, 2340));  /* caught up */
    assert_false(flow_fetch_lags(-1001, 2340)); /* nothing read yet */
    assert_false(flow_fetch_lags(5, -1001));    /* no fetch answered yet */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_send_time),
        cmocka_unit_test(test_pace),
        cmocka_unit_test(test_phase_ends),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_run_id_filter),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_latency_and_phases),
        cmocka_unit_test(test_batches_and_flush),
        cmocka_unit_test(test_top_words),
        cmocka_unit_test(test_partition_counts),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_share_skip),
        cmocka_unit_test(test_consumer_ends),
        cmocka_unit_test(test_fetch_lags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
