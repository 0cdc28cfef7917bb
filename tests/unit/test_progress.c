/*
 * Unit tests for progress: when the status line is due, the rates over
 * the last second, and the line's text for runs of each shape (both roles,
 * produce only, consume only, phases, unknown record count, done), as a
 * table of samples and expected lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "progress.h"

static void test_due_and_rates(void **state) {
    (void)state;
    progress p;
    progress_init(&p);
    progress_sample s = {.elapsed = 0.5,
                         .producing = true,
                         .consuming = true,
                         .produced = 500,
                         .consumed = 400,
                         .records = 10000,
                         .p99_ms = -1};
    assert_false(progress_update(&p, &s)); /* not before a second */
    s.elapsed = 1.0, s.produced = 1000, s.consumed = 800;
    assert_true(progress_update(&p, &s));
    assert_true(p.produce_rate == 1000 && p.consume_rate == 800);
    s.elapsed = 1.9, s.produced = 5000;
    assert_false(progress_update(&p, &s));
    s.elapsed = 3.0, s.produced = 5000, s.consumed = 4800;
    assert_true(progress_update(&p, &s)); /* rates since the last line: 2 s */
    assert_true(p.produce_rate == 2000 && p.consume_rate == 2000);
}

typedef struct {
    progress_sample s;
    double prate, crate;
    const char *want;
} line_case;

static const line_case LINES[] = {
    {{2.5, true, true, 5000, 4000, 10000, NULL, 12.34},
     2000,
     1600,
     "2.5s | produced 5000/10000 2000 msgs/s | consumed 4000 1600 msgs/s | lag 1000 | "
     "p99 12.3 ms | ETA 4s"},
    {{75, true, false, 150000, 0, 1000000, "steady", -1},
     45210,
     0,
     "1m15s steady | produced 150000/1000000 45.2k msgs/s | ETA 19s"},
    {{10, false, true, 0, 9000, 10000, NULL, -1},
     0,
     1234567,
     "10.0s | consumed 9000/10000 1.23M msgs/s | p99 - | ETA 0s"},
    {{10, true, true, 9000, 9000, 0, "burst", 3},
     900,
     900,
     "10.0s burst | produced 9000 900 msgs/s | consumed 9000 900 msgs/s | lag 0 | p99 3.0 ms "
     "| ETA -"},
    {{4000, true, true, 10, 12, 100, NULL, 1},
     0,
     0,
     "1h06m | produced 10/100 0 msgs/s | consumed 12 0 msgs/s | lag 0 | p99 1.0 ms | ETA -"},
    {{5, true, true, 100, 100, 100, NULL, 1},
     10,
     10,
     "5.0s | produced 100/100 10 msgs/s | consumed 100 10 msgs/s | lag 0 | p99 1.0 ms | ETA "
     "0s"},
};

static void test_lines(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof LINES / sizeof LINES[0]; i++) {
        progress p;
        progress_init(&p);
        p.produce_rate = LINES[i].prate;
        p.consume_rate = LINES[i].crate;
        char buf[512];
        progress_format(buf, sizeof buf, &p, &LINES[i].s);
        if (strcmp(buf, LINES[i].want))
            fail_msg("case %zu:\n'%s'\nwant\n'%s'", i, buf, LINES[i].want);
    }
    /* a short buffer truncates, never overflows */
    progress p;
    progress_init(&p);
    char small[16];
    progress_format(small, sizeof small, &p, &LINES[0].s);
    assert_int_equal(strlen(small), 15);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_and_rates),
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
