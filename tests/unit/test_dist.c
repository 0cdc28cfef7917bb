/*
 * Unit tests for dist: shares cover the run exactly once, the run tag,
 * workers' workloads (records, rates, phases, group), the results records
 * (round trip and malformed input) and the start barrier (ready, a
 * duplicate index, who is missing, the common start time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static void test_shares_cover_once(void **state) {
    (void)state;
    const uint64_t ns[] = {0, 1, 2, 5, 7, 1000, 1000001, UINT64_MAX};
    const int ws[] = {1, 2, 3, 7, 64, DIST_MAX};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < sizeof ws / sizeof ws[0]; b++) {
            uint64_t prev = 0, lo, hi, biggest = 0, smallest = UINT64_MAX;
            for (int i = 0; i < ws[b]; i++) {
                dist_share(ns[a], ws[b], i, &lo, &hi);
                assert_true(lo == prev); /* contiguous, no gap, no overlap */
                assert_true(hi >= lo);
                if (hi - lo > biggest) biggest = hi - lo;
                if (hi - lo < smallest) smallest = hi - lo;
                prev = hi;
            }
            assert_true(prev == ns[a]);
            assert_true(biggest - smallest <= 1); /* balanced */
        }
    uint64_t lo, hi;
    dist_share(1000, 3, 1, &lo, &hi);
    assert_int_equal(lo, 333);
    assert_int_equal(hi, 666);
}

static void test_run_tag(void **state) {
    (void)state;
    assert_true(dist_run_tag("a") != dist_run_tag("b"));
    assert_true(dist_run_tag("run-1") == dist_run_tag("run-1"));
    assert_true(dist_run_tag("") != 0);
}

static void test_workload_share(void **state) {
    (void)state;
    workload wl, out;
    char err[256];
    hub_share sh;
    assert_int_equal(workload_init(&wl), 0);
    assert_int_equal(workload_set(&wl, "records", "1000", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "rate", "300", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "workers", "3", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "worker", "2", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "run_id", "r1", err, sizeof err), 0);
    assert_int_equal(dist_workload(&wl, &out, &sh, err, sizeof err), 0);
    assert_int_equal(out.records, 334);
    assert_true(out.rate == 100);
    assert_int_equal(sh.seq_base[0], 666);
    assert_int_equal(sh.total, 1000);
    assert_string_equal(out.group, "kengine.r1");
    assert_true(sh.run_tag == dist_run_tag("r1"));
    workload_free(&out);
    /* phases: each phase split, sequence numbers continue across phases */
    assert_int_equal(workload_add_phase(&wl, "a", 10, 0, 30, err, sizeof err), 0);
    assert_int_equal(workload_add_phase(&wl, "b", 2, 0, 0, err, sizeof err), 0);
    assert_int_equal(dist_workload(&wl, &out, &sh, err, sizeof err), 0);
    assert_int_equal(out.phases[0].records, 4); /* [6, 10) */
    assert_int_equal(sh.seq_base[0], 6);
    assert_true(out.phases[0].rate == 10);
    assert_int_equal(out.phases[1].records, 1); /* [1, 2) of b, after a's 10 */
    assert_int_equal(sh.seq_base[1], 11);
    assert_int_equal(sh.total, 12);
    workload_free(&out);
    workload_free(&wl);
}

static void test_workload_fields(void **state) {
    (void)state;
    workload wl;
    char err[256];
    assert_int_equal(workload_init(&wl), 0);
    assert_int_equal(wl.workers, 1);
    assert_int_equal(wl.worker, -1);
    assert_string_equal(wl.results, "kengine.results");
    assert_true(wl.start_timeout == 60);
    assert_int_equal(workload_set(&wl, "workers", "0", err, sizeof err), -1);
    assert_non_null(strstr(err, "workers"));
    assert_int_equal(workload_set(&wl, "worker", "-1", err, sizeof err), -1);
    assert_int_equal(workload_set(&wl, "start_timeout", "0", err, sizeof err), -1);
    assert_int_equal(workload_set(&wl, "workers", "2", err, sizeof err), 0);
    assert_int_equal(workload_set(&wl, "worker", "2", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), -1);
    assert_non_null(strstr(err, "worker"));
    assert_int_equal(workload_set(&wl, "worker", "1", err, sizeof err), 0);
    assert_int_equal(workload_validate(&wl, err, sizeof err), 0);
    workload_free(&wl);
}

static void test_msg_round_trip(void **state) {
    (void)state;
    dist_msg in = {.type = DIST_PROGRESS,
                   .worker = 2,
                   .workers = 3,
                   .nonce = 77,
                   .produced = true,
                   .delivered = 1000,
                   .distinct = 999,
                   .produced_bytes = 12345,
                   .consumed_bytes = 54321};
    codec_buf b = {0};
    dist_msg_encode(&in, &b);
    dist_msg out;
    assert_int_equal(dist_msg_decode(&out, b.p, b.len), 0);
    assert_int_equal(out.type, DIST_PROGRESS);
    assert_int_equal(out.worker, 2);
    assert_int_equal(out.workers, 3);
    assert_true(out.nonce == 77 && out.produced && out.delivered == 1000 &&
                out.distinct == 999 && out.produced_bytes == 12345 &&
                out.consumed_bytes == 54321);
    /* every truncation is refused, never read past */
    for (size_t n = 0; n < b.len; n++) assert_int_equal(dist_msg_decode(&out, b.p, n), -1);
    codec_buf_free(&b);

    const char chunk[] = "state bytes";
    in = (dist_msg){.type = DIST_FINAL,
                    .worker = 0,
                    .workers = 1,
                    .nonce = 5,
                    .part = 1,
                    .parts = 3,
                    .data = chunk,
                    .len = sizeof chunk};
    dist_msg_encode(&in, &b);
    assert_int_equal(dist_msg_decode(&out, b.p, b.len), 0);
    assert_int_equal(out.part, 1);
    assert_int_equal(out.parts, 3);
    assert_int_equal(out.len, sizeof chunk);
    assert_memory_equal(out.data, chunk, sizeof chunk);
    codec_buf_free(&b);

    const char ev[] = "{\"type\":\"consume_batch\",\"batch\":1}";
    in = (dist_msg){.type = DIST_EVENT,
                    .worker = 1,
                    .workers = 2,
                    .nonce = 9,
                    .data = ev,
                    .len = sizeof ev - 1};
    dist_msg_encode(&in, &b);
    assert_int_equal(dist_msg_decode(&out, b.p, b.len), 0);
    assert_int_equal(out.type, DIST_EVENT);
    assert_int_equal(out.len, sizeof ev - 1);
    assert_memory_equal(out.data, ev, sizeof ev - 1);
    codec_buf_free(&b);

    /* an index outside the run, a part outside its parts, foreign bytes */
    in = (dist_msg){.type = DIST_ANNOUNCE, .worker = 3, .workers = 3, .nonce = 1};
    dist_msg_encode(&in, &b);
    assert_int_equal(dist_msg_decode(&out, b.p, b.len), -1);
    codec_buf_free(&b);
    in = (dist_msg){.type = DIST_FINAL, .worker = 0, .workers = 1, .part = 3, .parts = 3};
    dist_msg_encode(&in, &b);
    assert_int_equal(dist_msg_decode(&out, b.p, b.len), -1);
    codec_buf_free(&b);
    assert_int_equal(dist_msg_decode(&out, "{\"type\":\"x\"}", 12), -1);
}

static void test_barrier(void **state) {
    (void)state;
    dist_barrier *b = malloc(sizeof *b);
    char missing[256];
    dist_barrier_init(b, 3, 1, 111);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 0, 100, 1000), DIST_WAIT);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 1, 111, 2000), DIST_WAIT);
    assert_int_equal(dist_barrier_add(b, DIST_JOINED, 0, 100, 2100), DIST_WAIT);
    assert_int_equal(dist_barrier_add(b, DIST_JOINED, 1, 111, 2200), DIST_WAIT);
    dist_barrier_missing(b, missing, sizeof missing);
    assert_string_equal(missing, "2");
    /* someone else claims index 0 again: not our problem; its JOINED does
     * not count for the index */
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 0, 999, 2500), DIST_WAIT);
    assert_int_equal(dist_barrier_add(b, DIST_JOINED, 2, 222, 2600), DIST_WAIT); /* not held */
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 2, 222, 3000), DIST_WAIT);
    dist_barrier_missing(b, missing, sizeof missing);
    assert_string_equal(missing, "2"); /* announced, not joined */
    assert_int_equal(dist_barrier_add(b, DIST_JOINED, 2, 222, 3500), DIST_READY);
    assert_true(dist_barrier_start_us(b) == 3500 + DIST_START_DELAY_US);
    /* a later record does not move the start */
    assert_int_equal(dist_barrier_add(b, DIST_JOINED, 2, 222, 9000), DIST_READY);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 2, 223, 9000), DIST_READY);
    assert_true(dist_barrier_start_us(b) == 3500 + DIST_START_DELAY_US);

    /* we came second for our index: a duplicate */
    dist_barrier_init(b, 2, 0, 555);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 0, 444, 10), DIST_WAIT);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 0, 555, 20), DIST_DUPLICATE);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 1, 666, 30), DIST_DUPLICATE);

    dist_barrier_init(b, 12, 0, 1);
    assert_int_equal(dist_barrier_add(b, DIST_ANNOUNCE, 0, 1, 10), DIST_WAIT);
    assert_int_equal(dist_barrier_add(b, DIST_JOINED, 0, 1, 10), DIST_WAIT);
    dist_barrier_missing(b, missing, sizeof missing);
    assert_string_equal(missing, "1, 2, 3, 4, 5, 6, 7, 8 and 3 more");
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_cover_once), cmocka_unit_test(test_run_tag),
        cmocka_unit_test(test_workload_share),    cmocka_unit_test(test_workload_fields),
        cmocka_unit_test(test_msg_round_trip),    cmocka_unit_test(test_barrier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
