/*
 * Unit tests for compare: the Mann-Whitney U test against textbook values
 * (exact distribution for small samples, normal approximation with ties
 * and for large ones) and the verdict on a change as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "compare.h"

static void near(double got, double want, double tol, const char *what) {
    if (fabs(got - want) > tol) fail_msg("%s: got %.10g, want %.10g", what, got, want);
}

static void test_exact_small(void **state) {
    (void)state;
    double u;
    const double a3[] = {1, 2, 3}, b3[] = {4, 5, 6};
    near(compare_mann_whitney(a3, 3, b3, 3, &u), 2.0 / 20, 1e-12, "3 vs 3 apart");
    near(u, 0, 0, "U of 3 vs 3 apart");
    near(compare_mann_whitney(b3, 3, a3, 3, &u), 2.0 / 20, 1e-12, "3 vs 3 reversed");
    near(u, 9, 0, "U reversed");
    const double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
    near(compare_mann_whitney(a5, 5, b5, 5, &u), 2.0 / 252, 1e-12, "5 vs 5 apart");
    /* 4 vs 4 with U = 2: P(U <= 2) = (1 + 1 + 2) / 70 */
    const double a4[] = {1, 2, 3, 6}, b4[] = {4, 5, 7, 8};
    near(compare_mann_whitney(a4, 4, b4, 4, &u), 2.0 * 4 / 70, 1e-12, "4 vs 4 U=2");
    near(u, 2, 0, "U of 4 vs 4");
    /* U = 4: P(U <= 4) = (1 + 1 + 2 + 3 + 5) / 70 */
    const double c4[] = {1, 2, 5, 6}, d4[] = {3, 4, 7, 8};
    near(compare_mann_whitney(c4, 4, d4, 4, &u), 2.0 * 12 / 70, 1e-12, "4 vs 4 U=4");
    /* interleaved perfectly: U = mn/2, p = 1 */
    const double ai[] = {1, 3, 5, 7}, bi[] = {2, 4, 6, 8};
    double p = compare_mann_whitney(ai, 4, bi, 4, &u);
    if (p < 0.5) fail_msg("interleaved p %.3f", p);
}

static void test_normal_and_ties(void **state) {
    (void)state;
    double u;
    /* ranks 1,2,3.5,5.5,7.5 for x: U = 4.5, var = 25/12 (11 - 18/90) = 22.5 */
    const double x[] = {1, 2, 3, 4, 5}, y[] = {3, 4, 5, 6, 7};
    near(compare_mann_whitney(x, 5, y, 5, &u), erfc((8 - 0.5) / sqrt(22.5) / sqrt(2)), 1e-12,
         "ties");
    near(u, 4.5, 0, "U with ties");
    const double same[] = {5, 5, 5};
    near(compare_mann_whitney(same, 3, same, 3, &u), 1, 0, "all equal");
    /* a run against itself: p = 1 */
    const double run[] = {10, 12, 9, 11, 30, 10, 12};
    near(compare_mann_whitney(run, 7, run, 7, &u), 1, 1e-12, "itself");
    /* 60 vs 60 apart: normal approximation, p about 3.5e-21 */
    double a[60], b[60];
    for (int i = 0; i < 60; i++) a[i] = i, b[i] = 100 + i;
    double pn = compare_mann_whitney(a, 60, b, 60, &u);
    if (!(pn > 0 && pn < 1e-15)) fail_msg("60 vs 60: p %.3g", pn);
    near(compare_mann_whitney(a, 0, b, 60, &u), -1, 0, "empty sample");
}

typedef struct {
    int better;
    double change, p, limit;
    compare_verdict want;
} judge_case;

static const judge_case JUDGE[] = {
    {+1, -50, 0.001, 10, COMPARE_REGRESSION}, /* throughput fell, significant */
    {+1, -50, 0.2, 10, COMPARE_SAME},         /* fell, within noise */
    {+1, -5, 0.001, 10, COMPARE_CHANGED},     /* fell, within the limit */
    {+1, -10, 0.001, 10, COMPARE_CHANGED},    /* at the limit is not beyond it */
    {+1, 30, 0.001, 10, COMPARE_IMPROVED},
    {-1, 30, 0.001, 10, COMPARE_REGRESSION}, /* latency rose */
    {-1, -30, 0.001, 10, COMPARE_IMPROVED},
    {-1, 30, 0.04, 10, COMPARE_REGRESSION},
    {-1, 30, 0.05, 10, COMPARE_SAME},
    {0, 30, 0.001, 10, COMPARE_CHANGED}, /* no good direction */
    {+1, -50, -1, 10, COMPARE_UNTESTED},
    {+1, -50, 0.001, 60, COMPARE_CHANGED},
};

static void test_judge_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof JUDGE / sizeof JUDGE[0]; i++) {
        const judge_case *c = &JUDGE[i];
        compare_verdict v = compare_judge(c->better, c->change, c->p, c->limit);
        if (v != c->want)
            fail_msg("case %zu: got %s, want %s", i, compare_verdict_name(v),
                     compare_verdict_name(c->want));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_small),
        cmocka_unit_test(test_normal_and_ties),
        cmocka_unit_test(test_judge_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
