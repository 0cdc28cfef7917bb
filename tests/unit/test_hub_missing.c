/*
 * Unit tests for hub_missing: which sequence numbers a run lost, as
 * the summary names them. A table of sequence maps ('.' consumed, 'x'
 * never consumed, 'f' failed delivery) with the count and the ranges
 * expected, then cases past the table's reach: many ranges, large numbers,
 * a short buffer, and the sequence numbers beyond what the map sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "hub.h"

typedef struct {
    const char *map;  /* one character per sequence number */
    uint64_t lost;    /* expected count */
    const char *desc; /* expected ranges */
} missing_case;

static const missing_case CASES[] = {
    {"", 0, ""},
    {"....", 0, ""},
    {"x", 1, "0"},
    {"xxxx", 4, "0-3"},
    {"x...", 1, "0"},
    {"...x", 1, "3"},
    {"..xx..x.", 3, "2-3, 6"},
    {"ffff", 0, ""},    /* failed deliveries are not lost */
    {"xfx", 2, "0, 2"}, /* a failure splits a range */
    {"xx.xx.xx.xx.xx.xx.xx.xx.", 16, "0-1, 3-4, 6-7, 9-10, 12-13, 15-16, 18-19, 21-22"},
    {"x.x.x.x.x.x.x.x.x.x.", 10, "0, 2, 4, 6, 8, 10, 12, 14 and 2 more ranges"},
    {"x.x.x.x.x.x.x.x.x.", 9, "0, 2, 4, 6, 8, 10, 12, 14 and 1 more range"},
};

/* A hub of n records where the map's '.' are seen, and its 'f' set in
 * *failed. */
static void setup_map(hub *p, workload *wl, hub_bits *failed, const char *map, uint64_t n) {
    assert_int_equal(workload_init(wl), 0);
    assert_int_equal(hub_init(p, wl, n), 0);
    for (uint64_t i = 0; map[i]; i++) {
        if (map[i] == '.') assert_int_equal(hub_seen_set(p, i), 0);
        if (map[i] == 'f') assert_true(hub_bits_set(failed, i) >= 0);
    }
}

static void test_table(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const missing_case *t = &CASES[c];
        uint64_t n = strlen(t->map);
        hub p;
        workload wl;
        hub_bits failed = {0};
        setup_map(&p, &wl, &failed, t->map, n ? n : 1);
        char desc[256];
        memset(desc, '#', sizeof desc);
        uint64_t lost = hub_missing(&p, &failed, NULL, n, desc, sizeof desc);
        if (lost != t->lost || strcmp(desc, t->desc))
            fail_msg("map '%s': got %llu '%s', want %llu '%s'", t->map,
                     (unsigned long long)lost, desc, (unsigned long long)t->lost, t->desc);
        hub_bits_free(&failed);
        hub_destroy(&p);
        workload_free(&wl);
    }
}

/* No failed map (a consume-only run): everything unseen counts. */
static void test_no_failed_map(void **state) {
    (void)state;
    hub p;
    workload wl;
    hub_bits unused = {0};
    setup_map(&p, &wl, &unused, "..x..", 5);
    char desc[64];
    assert_int_equal(hub_missing(&p, NULL, NULL, 5, desc, sizeof desc), 1);
    assert_string_equal(desc, "2");
    hub_destroy(&p);
    workload_free(&wl);
}

/* Large sequence numbers, a range reaching the end of the run, and the
 * records past the seen map counted as missing. */
static void test_large(void **state) {
    (void)state;
    hub p;
    workload wl;
    const uint64_t n = 1000000;
    assert_int_equal(workload_init(&wl), 0);
    assert_int_equal(hub_init(&p, &wl, n), 0);
    for (uint64_t i = 0; i < n; i++)
        if (i < 12345 || (i >= 500000 && i < 999990)) hub_seen_set(&p, i);
    char desc[256];
    assert_int_equal(hub_missing(&p, NULL, NULL, n, desc, sizeof desc), (500000 - 12345) + 10);
    assert_string_equal(desc, "12345-499999, 999990-999999");
    hub_destroy(&p);
    workload_free(&wl);
}

/* A short buffer shows the first ranges that fit, in order, and counts the
 * rest; a buffer too short for any range still says how many. */
static void test_short_buffer(void **state) {
    (void)state;
    hub p;
    workload wl;
    hub_bits none = {0};
    setup_map(&p, &wl, &none, "x.x.x.x.", 8);
    char desc[53];
    assert_int_equal(hub_missing(&p, NULL, NULL, 8, desc, sizeof desc), 4);
    assert_string_equal(desc, "0, 2 and 2 more ranges");
    char tiny[49];
    assert_int_equal(hub_missing(&p, NULL, NULL, 8, tiny, sizeof tiny), 4);
    assert_string_equal(tiny, "4 ranges");
    hub_destroy(&p);
    workload_free(&wl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_no_failed_map),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
