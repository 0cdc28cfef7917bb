/*
 * Unit tests for hub: the growable and the shared sequence bitmaps,
 * the event queue between the workers and the main thread (FIFO, what a
 * batch owns moves with it, the end when every worker has exited, across
 * real threads), and failure bookkeeping (first message, worst code, stop).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hub.h"

static void test_bits(void **state) {
    (void)state;
    hub_bits b = {0};
    assert_int_equal(hub_bits_get(&b, 0), 0);
    assert_int_equal(hub_bits_set(&b, 70000), 0); /* grows */
    assert_int_equal(hub_bits_set(&b, 70000), 1); /* was set */
    assert_int_equal(hub_bits_get(&b, 70000), 1);
    assert_int_equal(hub_bits_get(&b, 69999), 0);
    assert_int_equal(hub_bits_get(&b, 1u << 30), 0); /* beyond: unset */
    assert_int_equal(hub_bits_set(&b, 63), 0);
    assert_int_equal(hub_bits_set(&b, 64), 0);
    assert_int_equal(hub_bits_get(&b, 63) + hub_bits_get(&b, 64), 2);
    hub_bits_free(&b);
    assert_int_equal(hub_bits_get(&b, 70000), 0);
}

/* expect_copies = 3: copies counted per sequence number; the missing count
 * is in copies, the ranges name the sequence numbers short of copies, and
 * failed or aborted ones are never expected. */
static void test_copies(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    wl.expect_copies = 3;
    hub p;
    assert_int_equal(hub_init(&p, &wl, 10), 0);
    assert_int_equal(p.copies, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(hub_seen_set(&p, 0), i);
    assert_int_equal(hub_seen_set(&p, 0), 3); /* a 4th copy: beyond k */
    assert_int_equal(hub_seen_get(&p, 0), 4);
    for (int i = 0; i < 300; i++) (void)hub_seen_set(&p, 1); /* saturates */
    assert_int_equal(hub_seen_get(&p, 1), 255);
    /* 2..9: seq 2 has 1 copy, 3 has 2, the others 3, except 5 (none) and
     * 7 (none, failed) and 8 (none, aborted) */
    (void)hub_seen_set(&p, 2);
    (void)hub_seen_set(&p, 3), (void)hub_seen_set(&p, 3);
    for (int q = 4; q < 10; q++)
        if (q != 5 && q != 7 && q != 8)
            for (int i = 0; i < 3; i++) (void)hub_seen_set(&p, (uint64_t)q);
    hub_bits failed = {0}, aborted = {0};
    assert_int_equal(hub_bits_set(&failed, 7), 0);
    assert_int_equal(hub_bits_set(&aborted, 8), 0);
    char desc[128];
    assert_int_equal(hub_missing(&p, &failed, &aborted, 10, desc, sizeof desc), 2 + 1 + 3);
    assert_string_equal(desc, "2-3, 5");
    hub_bits_free(&failed);
    hub_bits_free(&aborted);
    hub_destroy(&p);
    workload_free(&wl);
}

static void test_seen(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    hub p;
    assert_int_equal(hub_init(&p, &wl, 100), 0); /* known count: fixed bitmap */
    assert_int_equal(hub_seen_set(&p, 0), 0);
    assert_int_equal(hub_seen_set(&p, 99), 0);
    assert_int_equal(hub_seen_set(&p, 99), 1);
    assert_int_equal(hub_seen_set(&p, 100), 255); /* outside the run: an extra */
    assert_int_equal(hub_seen_get(&p, 99), 1);
    assert_int_equal(hub_seen_get(&p, 50), 0);
    assert_int_equal(hub_seen_get(&p, 100), 0);
    hub_destroy(&p);
    assert_int_equal(hub_init(&p, &wl, 0), 0); /* unknown count: grows */
    assert_int_equal(hub_seen_set(&p, 1000000), 0);
    assert_int_equal(hub_seen_set(&p, 1000000), 1);
    assert_int_equal(hub_seen_get(&p, 1000000), 1);
    hub_destroy(&p);
    workload_free(&wl);
}

static void test_queue(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    hub p;
    assert_int_equal(hub_init(&p, &wl, 10), 0);
    p.workers_running = 1;
    run_batch out;
    assert_int_equal(hub_next(&p, &out, 0.01), 0); /* nothing yet: timeout */
    for (uint64_t i = 1; i <= 3; i++) {
        run_batch b = {.role = RUN_CONSUME, .batch = i, .latency = stats_hist_new()};
        stats_hist_record(b.latency, i);
        hub_post(&p, &b);
    }
    for (uint64_t i = 1; i <= 2; i++) {
        assert_int_equal(hub_next(&p, &out, 0.01), 1);
        assert_int_equal(out.batch, i);                   /* FIFO */
        assert_int_equal(stats_hist_max(out.latency), i); /* its histogram came along */
        run_batch_free(&out);
    }
    hub_worker_exit(&p);
    /* the worker is gone, but an event is left: it comes first, then the end */
    assert_int_equal(hub_next(&p, &out, 0.01), 1);
    assert_int_equal(out.batch, 3);
    run_batch_free(&out);
    assert_int_equal(hub_next(&p, &out, 0.01), -1);
    /* events left at destroy are freed (ASan would report a leak) */
    run_batch left = {.latency = stats_hist_new()};
    hub_post(&p, &left);
    hub_destroy(&p);
    workload_free(&wl);
}

static void test_errors(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    hub p;
    assert_int_equal(hub_init(&p, &wl, 10), 0);
    hub_error(&p, EXITCODE_RUNTIME, "first %d", 1);
    assert_false(atomic_load(&p.stop)); /* an error alone does not stop */
    hub_fail(&p, EXITCODE_USAGE, "second");
    assert_true(atomic_load(&p.stop));
    hub_error(&p, EXITCODE_RUNTIME, "third");
    assert_string_equal(p.error, "first 1");       /* the first message */
    assert_int_equal(p.exit_code, EXITCODE_USAGE); /* the worst code */
    hub_destroy(&p);
    workload_free(&wl);
}

typedef struct {
    hub *p;
    int n;
} poster;

static void *post_many(void *arg) {
    poster *w = arg;
    for (int i = 0; i < w->n; i++) {
        run_batch b = {.role = RUN_PRODUCE, .batch = (uint64_t)i + 1};
        hub_post(w->p, &b);
    }
    hub_worker_exit(w->p);
    return NULL;
}

/* Two threads post; the main thread gets every event, then the end. */
static void test_threads(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    hub p;
    assert_int_equal(hub_init(&p, &wl, 10), 0);
    p.workers_running = 2;
    poster w = {&p, 5000};
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, post_many, &w), 0);
    assert_int_equal(pthread_create(&t2, NULL, post_many, &w), 0);
    uint64_t got = 0, sum = 0;
    run_batch out;
    int r;
    while ((r = hub_next(&p, &out, 1.0)) >= 0)
        if (r == 1) {
            got++;
            sum += out.batch;
        }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(got, 10000);
    assert_int_equal(sum, 2 * (5000ull * 5001 / 2));
    hub_destroy(&p);
    workload_free(&wl);
}

static void test_header_bytes(void **state) {
    (void)state;
    unsigned char b[8];
    hub_put_u32(b, 0xa1b2c3d4u);
    assert_int_equal(b[0], 0xa1);
    assert_int_equal(b[3], 0xd4);
    assert_int_equal(hub_get_u32(b), 0xa1b2c3d4u);
    hub_put_u64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[7], 8);
    assert_true(hub_get_u64(b) == 0x0102030405060708ull);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits),    cmocka_unit_test(test_seen),
        cmocka_unit_test(test_queue),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_threads), cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
