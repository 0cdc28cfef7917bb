/*
 * Unit tests for pipeline: the growable and the shared sequence bitmaps,
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

#include "pipeline.h"

static void test_bits(void **state) {
    (void)state;
    pipeline_bits b = {0};
    assert_int_equal(pipeline_bits_get(&b, 0), 0);
    assert_int_equal(pipeline_bits_set(&b, 70000), 0); /* grows */
    assert_int_equal(pipeline_bits_set(&b, 70000), 1); /* was set */
    assert_int_equal(pipeline_bits_get(&b, 70000), 1);
    assert_int_equal(pipeline_bits_get(&b, 69999), 0);
    assert_int_equal(pipeline_bits_get(&b, 1u << 30), 0); /* beyond: unset */
    assert_int_equal(pipeline_bits_set(&b, 63), 0);
    assert_int_equal(pipeline_bits_set(&b, 64), 0);
    assert_int_equal(pipeline_bits_get(&b, 63) + pipeline_bits_get(&b, 64), 2);
    pipeline_bits_free(&b);
    assert_int_equal(pipeline_bits_get(&b, 70000), 0);
}

static void test_seen(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    pipeline p;
    assert_int_equal(pipeline_init(&p, &wl, 100), 0); /* known count: fixed bitmap */
    assert_int_equal(pipeline_seen_set(&p, 0), 0);
    assert_int_equal(pipeline_seen_set(&p, 99), 0);
    assert_int_equal(pipeline_seen_set(&p, 99), 1);
    assert_int_equal(pipeline_seen_set(&p, 100), 1); /* outside the run: an extra */
    assert_int_equal(pipeline_seen_get(&p, 99), 1);
    assert_int_equal(pipeline_seen_get(&p, 50), 0);
    assert_int_equal(pipeline_seen_get(&p, 100), 0);
    pipeline_destroy(&p);
    assert_int_equal(pipeline_init(&p, &wl, 0), 0); /* unknown count: grows */
    assert_int_equal(pipeline_seen_set(&p, 1000000), 0);
    assert_int_equal(pipeline_seen_set(&p, 1000000), 1);
    assert_int_equal(pipeline_seen_get(&p, 1000000), 1);
    pipeline_destroy(&p);
    workload_free(&wl);
}

static void test_queue(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    pipeline p;
    assert_int_equal(pipeline_init(&p, &wl, 10), 0);
    p.workers_running = 1;
    report_batch out;
    assert_int_equal(pipeline_next(&p, &out, 0.01), 0); /* nothing yet: timeout */
    for (uint64_t i = 1; i <= 3; i++) {
        report_batch b = {.role = REPORT_CONSUME, .batch = i, .latency = stats_hist_new()};
        stats_hist_record(b.latency, i);
        pipeline_post(&p, &b);
    }
    for (uint64_t i = 1; i <= 2; i++) {
        assert_int_equal(pipeline_next(&p, &out, 0.01), 1);
        assert_int_equal(out.batch, i);                   /* FIFO */
        assert_int_equal(stats_hist_max(out.latency), i); /* its histogram came along */
        report_batch_free(&out);
    }
    pipeline_worker_exit(&p);
    /* the worker is gone, but an event is left: it comes first, then the end */
    assert_int_equal(pipeline_next(&p, &out, 0.01), 1);
    assert_int_equal(out.batch, 3);
    report_batch_free(&out);
    assert_int_equal(pipeline_next(&p, &out, 0.01), -1);
    /* events left at destroy are freed (ASan would report a leak) */
    report_batch left = {.latency = stats_hist_new()};
    pipeline_post(&p, &left);
    pipeline_destroy(&p);
    workload_free(&wl);
}

static void test_errors(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    pipeline p;
    assert_int_equal(pipeline_init(&p, &wl, 10), 0);
    pipeline_error(&p, EXITCODE_RUNTIME, "first %d", 1);
    assert_false(atomic_load(&p.stop)); /* an error alone does not stop */
    pipeline_fail(&p, EXITCODE_USAGE, "second");
    assert_true(atomic_load(&p.stop));
    pipeline_error(&p, EXITCODE_RUNTIME, "third");
    assert_string_equal(p.error, "first 1");       /* the first message */
    assert_int_equal(p.exit_code, EXITCODE_USAGE); /* the worst code */
    pipeline_destroy(&p);
    workload_free(&wl);
}

typedef struct {
    pipeline *p;
    int n;
} poster;

static void *post_many(void *arg) {
    poster *w = arg;
    for (int i = 0; i < w->n; i++) {
        report_batch b = {.role = REPORT_PRODUCE, .batch = (uint64_t)i + 1};
        pipeline_post(w->p, &b);
    }
    pipeline_worker_exit(w->p);
    return NULL;
}

/* Two threads post; the main thread gets every event, then the end. */
static void test_threads(void **state) {
    (void)state;
    workload wl;
    assert_int_equal(workload_init(&wl), 0);
    pipeline p;
    assert_int_equal(pipeline_init(&p, &wl, 10), 0);
    p.workers_running = 2;
    poster w = {&p, 5000};
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, post_many, &w), 0);
    assert_int_equal(pthread_create(&t2, NULL, post_many, &w), 0);
    uint64_t got = 0, sum = 0;
    report_batch out;
    int r;
    while ((r = pipeline_next(&p, &out, 1.0)) >= 0)
        if (r == 1) {
            got++;
            sum += out.batch;
        }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(got, 10000);
    assert_int_equal(sum, 2 * (5000ull * 5001 / 2));
    pipeline_destroy(&p);
    workload_free(&wl);
}

static void test_header_bytes(void **state) {
    (void)state;
    unsigned char b[8];
    pipeline_put_u32(b, 0xa1b2c3d4u);
    assert_int_equal(b[0], 0xa1);
    assert_int_equal(b[3], 0xd4);
    assert_int_equal(pipeline_get_u32(b), 0xa1b2c3d4u);
    pipeline_put_u64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[7], 8);
    assert_true(pipeline_get_u64(b) == 0x0102030405060708ull);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits),    cmocka_unit_test(test_seen),
        cmocka_unit_test(test_queue),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_threads), cmocka_unit_test(test_header_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
