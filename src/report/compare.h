/*
 * compare: `kengine compare BASE NEW`, two runs' NDJSON side by side. Each
 * summary figure is shown with its change; throughput and latency figures
 * also get a Mann-Whitney U test over the runs' per-batch samples (is the
 * change beyond the batch-to-batch noise?), and a significant change in the
 * bad direction beyond a limit in percent is a regression (exit 3).
 */
#ifndef KENGINE_COMPARE_H
#define KENGINE_COMPARE_H

#include <stddef.h>

/* Two-sided Mann-Whitney U test of samples a (na) and b (nb). *u receives
 * U of a (pairs a_i > b_j, ties counting one half). Exact distribution
 * for samples without ties of up to 50 each, else the normal approximation
 * with tie correction and continuity correction. Returns the p-value in
 * [0, 1], or -1 when a sample is empty. */
double compare_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u);

/* Significance level of the test (p below it: beyond noise). */
#define COMPARE_ALPHA 0.05

/* The verdict on one figure's change. `better` is +1 when a higher value is
 * better, -1 when lower is, 0 for neither; `change_pct` the change in
 * percent of base; p the test's p-value, < 0 when untested. */
typedef enum {
    COMPARE_UNTESTED,   /* no per-batch samples: shown, never gated */
    COMPARE_SAME,       /* within noise */
    COMPARE_CHANGED,    /* beyond noise but within the limit, or neutral */
    COMPARE_IMPROVED,   /* beyond noise, in the good direction */
    COMPARE_REGRESSION, /* beyond noise and beyond the limit, bad direction */
} compare_verdict;

compare_verdict compare_judge(int better, double change_pct, double p, double max_regression);
const char *compare_verdict_name(compare_verdict v);

/* Compares the runs of NDJSON files `base` and `new_` (their complete runs,
 * pairwise): prints the table of figures on stdout (stderr when `json` is
 * "-"), a "kengine compare: regression: ..." line on stderr per regression
 * beyond max_regression percent, and with `json` (a path, "-" = stdout) the
 * comparison as JSON. Returns the exit code: 0, EXITCODE_USAGE (a file
 * unreadable, runs that do not pair; the message on stderr) or
 * EXITCODE_THRESHOLD (a regression). The command line is cli/compare.c. */
int compare_files(const char *base, const char *new_, double max_regression, const char *json);

#endif
