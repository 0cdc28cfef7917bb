/*
 * Unit tests for suggest: the one "did you mean" of kengine, as a table of
 * (word, candidates, expected suggestion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "suggest.h"

static const char *const NAMES[] = {"records", "batch_size", "rate", "key", "topic", NULL};

static const struct {
    const char *word, *want; /* want NULL: no suggestion */
} CASES[] = {
    {"recods", "records"},  /* a letter missing */
    {"recordz", "records"}, /* one changed */
    {"batchsize", "batch_size"},
    {"rtae", "rate"},       /* a swap: distance 2 */
    {"records", "records"}, /* itself: distance 0 */
    {"zzzzzzzzzz", NULL},   /* nothing near */
    {"ab", NULL},           /* shorter than its distance to anything */
    {"", NULL},
    {"kye", "key"},
};

static void test_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const char *got = suggest_nearest(CASES[i].word, NAMES, SIZE_MAX);
        if (CASES[i].want ? !got || strcmp(got, CASES[i].want) : got != NULL)
            fail_msg("'%s': got '%s', want '%s'", CASES[i].word, got ? got : "(none)",
                     CASES[i].want ? CASES[i].want : "(none)");
    }
    /* a counted list stops at n */
    assert_null(suggest_nearest("topik", NAMES, 4));
    assert_string_equal(suggest_nearest("topik", NAMES, 5), "topic");
}

static void test_hint(void **state) {
    (void)state;
    char buf[64];
    assert_string_equal(suggest_hint(buf, sizeof buf, "recods", NAMES, SIZE_MAX),
                        " (did you mean 'records'?)");
    assert_string_equal(suggest_hint(buf, sizeof buf, "qqqqqq", NAMES, SIZE_MAX), "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
