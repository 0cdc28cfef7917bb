/*
 * Unit tests for run: a run's loss and verdict from its figures, the one
 * rule a single run (engine.c) and a merged run (dist/collect.c) share.
 * Tables of figures and the exit code and reason they give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "exitcode.h"
#include "run.h"

static void test_verdict(void **state) {
    (void)state;
    static const struct {
        uint64_t lost, duplicates, delivery_errors;
        const char *missing;
        bool delivery; /* a merged run's verdict */
        int rc;
        const char *reason; /* NULL: untouched */
    } CASES[] = {
        {0, 0, 0, "", false, EXITCODE_OK, NULL},
        {0, 0, 0, "", true, EXITCODE_OK, NULL},
        /* a single run's delivery failures are its producer's error */
        {0, 0, 3, "", false, EXITCODE_OK, NULL},
        {0, 0, 3, "", true, EXITCODE_RUNTIME,
         "0 messages lost, 0 duplicated, 3 failed delivery"},
        {2, 1, 0, "7, 9", false, EXITCODE_RUNTIME,
         "2 messages lost (sequence numbers 7, 9), 1 duplicated"},
        {2, 0, 1, "7, 9", false, EXITCODE_RUNTIME,
         "2 messages lost (sequence numbers 7, 9), 0 duplicated"},
        {0, 4, 0, "", false, EXITCODE_RUNTIME, "0 messages lost, 4 duplicated"},
        /* a merged run has no ranges (the bitmaps are the workers') */
        {5, 0, 0, "", true, EXITCODE_RUNTIME,
         "5 messages lost, 0 duplicated, 0 failed delivery"},
        {8344, 2, 7, "1-3, 5 and 3736 more ranges", true, EXITCODE_RUNTIME,
         "8344 messages lost (sequence numbers 1-3, 5 and 3736 more ranges), 2 duplicated, 7 "
         "failed delivery"},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        run_summary s = {.lost = CASES[k].lost,
                         .duplicates = CASES[k].duplicates,
                         .delivery_errors = CASES[k].delivery_errors};
        snprintf(s.missing, sizeof s.missing, "%s", CASES[k].missing);
        char reason[512] = "untouched";
        int rc = run_verdict(&s, CASES[k].delivery, reason, sizeof reason);
        const char *want = CASES[k].reason ? CASES[k].reason : "untouched";
        if (rc != CASES[k].rc || strcmp(reason, want))
            fail_msg("case %zu: %d '%s', want %d '%s'", k, rc, reason, CASES[k].rc, want);
    }
}

static void test_verdict_short_buffer(void **state) {
    (void)state;
    run_summary s = {.lost = 12, .duplicates = 3, .delivery_errors = 1};
    char reason[16];
    memset(reason, 'x', sizeof reason);
    assert_int_equal(run_verdict(&s, true, reason, 12), EXITCODE_RUNTIME);
    assert_string_equal(reason, "12 messages");
    assert_int_equal(reason[12], 'x'); /* nothing written past len */
    /* room for the first part only: the second is cut, not misplaced */
    char mid[40];
    assert_int_equal(run_verdict(&s, true, mid, sizeof mid), EXITCODE_RUNTIME);
    assert_string_equal(mid, "12 messages lost, 3 duplicated, 1 faile");
}

static void test_unfound(void **state) {
    (void)state;
    static const struct {
        uint64_t expected, found, want;
    } CASES[] = {
        {10, 8, 2},  /* 7 distinct + 1 without a header found of 10 */
        {10, 10, 0}, /* all */
        {10, 12, 0}, /* more than expected (another run's in the topic): none missing */
        {0, 5, 0},   {30, 0, 30}, /* 10 records, 3 copies each, none found */
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++)
        if (run_unfound(CASES[k].expected, CASES[k].found) != CASES[k].want)
            fail_msg("expected %llu found %llu: want %llu",
                     (unsigned long long)CASES[k].expected, (unsigned long long)CASES[k].found,
                     (unsigned long long)CASES[k].want);
}

static void test_set_loss(void **state) {
    (void)state;
    run_summary s = {.lost = 99, .unconsumed = 99};
    run_set_loss(&s, 3, false);
    assert_int_equal(s.lost, 3);
    assert_int_equal(s.unconsumed, 0);
    /* stopped early: what the consumers missed is unconsumed, not lost */
    run_set_loss(&s, 3, true);
    assert_int_equal(s.lost, 0);
    assert_int_equal(s.unconsumed, 3);
    run_set_loss(&s, 0, true);
    assert_int_equal(s.lost + s.unconsumed, 0);
    /* and the verdict does not count unconsumed messages as lost */
    s.unconsumed = 5;
    char reason[64] = "";
    assert_int_equal(run_verdict(&s, true, reason, sizeof reason), EXITCODE_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_verdict_short_buffer),
        cmocka_unit_test(test_unfound),
        cmocka_unit_test(test_set_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
