/*
 * compare: two runs side by side, see compare.h. Figures and their
 * per-batch samples come from results (the NDJSON read back); the test is
 * a plain function so unit tests check it against textbook values.
 */
#include "compare.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "exitcode.h"
#include "figures.h"
#include "runfile.h"

#define EXIT_USAGE      EXITCODE_USAGE
#define EXIT_REGRESSION EXITCODE_THRESHOLD /* a regression fails like a threshold */
#define EXACT_MAX       50 /* exact distribution up to this many samples per side */

typedef struct {
    double v;
    int group; /* 0 = a, 1 = b */
} ranked;

static int cmp_ranked(const void *x, const void *y) {
    double a = ((const ranked *)x)->v, b = ((const ranked *)y)->v;
    return (a > b) - (a < b);
}

/* P(U <= k) for samples of m and n without ties: p_{m,n}(u) =
 * m/(m+n) p_{m-1,n}(u-n) + n/(m+n) p_{m,n-1}(u), where the largest value
 * comes from a (beating all n of b) or from b. Rows of probabilities, no
 * cancellation. */
static double exact_cdf(size_t m, size_t n, double k) {
    size_t width = m * n + 1;
    double *prev = calloc((n + 1) * width, sizeof *prev);
    double *cur = calloc((n + 1) * width, sizeof *cur);
    double res = -1;
    if (!prev || !cur) goto out;
    for (size_t j = 0; j <= n; j++) prev[j * width] = 1; /* m = 0: U = 0 */
    for (size_t i = 1; i <= m; i++) {
        memset(cur, 0, (n + 1) * width * sizeof *cur);
        cur[0] = 1; /* n = 0: U = 0 */
        for (size_t j = 1; j <= n; j++) {
            double pa = (double)i / (double)(i + j), pb = 1 - pa;
            double *c = cur + j * width;
            const double *up = prev + j * width, *left = cur + (j - 1) * width;
            for (size_t u = 0; u <= i * j; u++)
                c[u] = (u >= j ? pa * up[u - j] : 0) + pb * left[u];
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    res = 0;
    for (size_t u = 0; u <= m * n && (double)u <= k + 1e-9; u++) res += prev[n * width + u];
out:
    free(prev);
    free(cur);
    return res;
}

double compare_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u) {
    if (!na || !nb) return -1;
    size_t n = na + nb;
    ranked *r = malloc(n * sizeof *r);
    if (!r) return -1;
    for (size_t i = 0; i < na; i++) r[i] = (ranked){a[i], 0};
    for (size_t i = 0; i < nb; i++) r[na + i] = (ranked){b[i], 1};
    qsort(r, n, sizeof *r, cmp_ranked);
    double rank_a = 0, ties = 0; /* sum of a's ranks; sum of t^3 - t over tie groups */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && r[j].v == r[i].v) j++;
        double t = (double)(j - i), avg = (double)(i + 1 + j) / 2.0;
        for (size_t k = i; k < j; k++)
            if (r[k].group == 0) rank_a += avg;
        ties += t * t * t - t;
        i = j;
    }
    free(r);
    double m = (double)na, nn = (double)nb, mn = m * nn;
    double ua = rank_a - m * (m + 1) / 2;
    if (u) *u = ua;
    double lo = ua < mn - ua ? ua : mn - ua;
    double p;
    if (ties == 0 && na <= EXACT_MAX && nb <= EXACT_MAX) {
        p = exact_cdf(na, nb, lo);
        if (p < 0) return -1;
        p *= 2;
    } else {
        double N = (double)n;
        double var = mn / 12.0 * ((N + 1) - ties / (N * (N - 1)));
        if (var <= 0) return 1; /* every value equal */
        double z = (fabs(ua - mn / 2) - 0.5) / sqrt(var);
        p = z <= 0 ? 1 : erfc(z / sqrt(2.0));
    }
    return p > 1 ? 1 : p;
}

compare_verdict compare_judge(int better, double change_pct, double p, double max_regression) {
    if (p < 0) return COMPARE_UNTESTED;
    if (p >= COMPARE_ALPHA) return COMPARE_SAME;
    if (better == 0 || change_pct == 0) return COMPARE_CHANGED;
    double bad = -better * change_pct; /* > 0: changed in the bad direction */
    if (bad > max_regression) return COMPARE_REGRESSION;
    return bad < 0 ? COMPARE_IMPROVED : COMPARE_CHANGED;
}

const char *compare_verdict_name(compare_verdict v) {
    static const char *const names[] = {"-", "same", "changed", "improved", "REGRESSION"};
    return v <= COMPARE_REGRESSION ? names[v] : "?";
}

/* A figure compared: a summary figure of figures.h (a latency statistic
 * each), judged as FIGURES_COMPARE says. */
typedef struct {
    char figure[64];
    const char *unit;
    int better; /* +1 higher is better, -1 lower, 0 not judged */
    bool gate;
    int role;          /* samples from batches of this role, -1 every batch */
    char field[64];    /* the batch figure sampled, "" untested */
    const char *phase; /* a phase's figure: the phase's name; NULL a summary figure */
    size_t offset;     /* a phase's figure: its member of runfile_phase */
} figure_def;

#define MAX_ROWS 64
enum { HIGHER = 1, LOWER = -1, GATE = 1, SHOW = 0 };
enum { ROLE_PRODUCE = RUN_PRODUCE, ROLE_CONSUME = RUN_CONSUME, ROLE_BOTH = -1 };

typedef struct {
    const char *name, *field;
    int better, role;
    bool gate;
} judge_spec;

static const judge_spec JUDGED[] = {
#define JUDGE_(name, better, role, field, gate) {#name, #field, better, ROLE_##role, gate},
    FIGURES_COMPARE(JUDGE_)
#undef JUDGE_
};

/* The compared figures, in the summary's order. Returns their number. */
static size_t figure_defs(figure_def *defs, size_t max) {
    size_t n, ns, k = 0;
    const figure *f = figures_list(FIGURES_IN_SUMMARY, &n);
    const figure_stat *st = figures_latency_stats(&ns);
    for (size_t i = 0; i < n; i++) {
        const judge_spec *j = NULL;
        for (size_t q = 0; q < sizeof JUDGED / sizeof JUDGED[0]; q++)
            if (!strcmp(JUDGED[q].name, f[i].name)) j = &JUDGED[q];
        size_t parts = f[i].type == FIGURE_LATENCY ? ns : 1;
        for (size_t p = 0; p < parts && k < max; p++) {
            figure_def *d = &defs[k++];
            bool count = f[i].type == FIGURE_LATENCY && st[p].p == FIGURES_STAT_COUNT;
            *d = (figure_def){.unit = count ? "messages" : f[i].unit, .role = -1};
            if (f[i].type == FIGURE_LATENCY)
                snprintf(d->figure, sizeof d->figure, "%s.%s", f[i].name, st[p].name);
            else
                snprintf(d->figure, sizeof d->figure, "%s", f[i].name);
            if (!j || count) continue;
            d->better = j->better;
            d->gate = j->gate;
            d->role = j->role;
            if (f[i].type == FIGURE_LATENCY)
                snprintf(d->field, sizeof d->field, "%s.%s", j->field, st[p].name);
            else
                snprintf(d->field, sizeof d->field, "%s", j->field);
        }
    }
    return k;
}

/* A phase's figures as the summary states them (runfile_phase), judged
 * as the summary's figures of the same kind: its send rate as
 * produce_msgs_per_sec, its latency as latency_ms. */
static const struct {
    const char *name, *unit;
    size_t offset;
    int better, role;
    bool gate;
    const char *field;
} PHASE_FIGURES[] = {
    {"sent", "messages", offsetof(runfile_phase, sent), 0, ROLE_BOTH, SHOW, ""},
    {"seconds", "s", offsetof(runfile_phase, seconds), 0, ROLE_BOTH, SHOW, ""},
    {"msgs_per_sec", "msgs/s", offsetof(runfile_phase, msgs_per_sec), HIGHER, ROLE_PRODUCE,
     GATE, "msgs_per_sec"},
    {"consumed", "messages", offsetof(runfile_phase, consumed), 0, ROLE_BOTH, SHOW, ""},
    {"latency_ms.p50", "ms", offsetof(runfile_phase, p50), LOWER, ROLE_CONSUME, GATE,
     "latency_ms.p50"},
    {"latency_ms.p99", "ms", offsetof(runfile_phase, p99), LOWER, ROLE_CONSUME, GATE,
     "latency_ms.p99"},
    {"latency_ms.max", "ms", offsetof(runfile_phase, max), LOWER, ROLE_CONSUME, GATE,
     "latency_ms.max"},
};
#define NPHASE_FIGURES (sizeof PHASE_FIGURES / sizeof PHASE_FIGURES[0])
#define MAX_PHASES     16 /* phases compared per run */

/* The figures of the phases both runs have (by name, in a's order), into
 * defs. Returns their number. */
static size_t phase_defs(const runfile_run *a, const runfile_run *b, figure_def *defs,
                         size_t max) {
    size_t k = 0;
    for (size_t i = 0; i < a->nsphases; i++) {
        bool both = false;
        for (size_t j = 0; j < b->nsphases; j++)
            if (!strcmp(a->sphases[i].name, b->sphases[j].name)) both = true;
        for (size_t q = 0; both && q < NPHASE_FIGURES && k < max; q++) {
            figure_def *d = &defs[k++];
            *d = (figure_def){.unit = PHASE_FIGURES[q].unit,
                              .better = PHASE_FIGURES[q].better,
                              .gate = PHASE_FIGURES[q].gate,
                              .role = PHASE_FIGURES[q].role,
                              .phase = a->sphases[i].name,
                              .offset = PHASE_FIGURES[q].offset};
            snprintf(d->figure, sizeof d->figure, "%s.%s", a->sphases[i].name,
                     PHASE_FIGURES[q].name);
            snprintf(d->field, sizeof d->field, "%s", PHASE_FIGURES[q].field);
        }
    }
    return k;
}

/* A figure's value in run: a summary figure, or a phase's. 0 or -1. */
static int def_value(const runfile_run *run, const figure_def *d, double *v) {
    if (!d->phase) return runfile_figure_get(run, d->figure, v);
    for (size_t i = 0; i < run->nsphases; i++)
        if (!strcmp(run->sphases[i].name, d->phase)) {
            *v = *(const double *)((const char *)&run->sphases[i] + d->offset);
            return 0;
        }
    return -1;
}

/* The samples of d's field: the run's batches of d's role (and d's phase,
 * for a phase's figure), malloc'd into *out. Returns their number. */
static size_t def_samples(const runfile_run *run, const figure_def *d, double **out) {
    if (!d->phase) return runfile_samples(run, d->role, d->field, out);
    *out = NULL;
    int ph = -1;
    for (size_t i = 0; i < run->nphases; i++)
        if (!strcmp(run->phases[i], d->phase)) ph = (int)i;
    double *v = ph < 0 ? NULL : malloc((run->nbatches ? run->nbatches : 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < run->nbatches; i++) {
        const runfile_batch *b = &run->batches[i];
        if (b->phase == ph && (d->role < 0 || (int)b->role == d->role) &&
            runfile_batch_value(b, d->field, &v[n]) == 0)
            n++;
    }
    if (!n) {
        free(v);
        return 0;
    }
    *out = v;
    return n;
}

typedef struct {
    const figure_def *def;
    double base, new_, change_pct, p;
    size_t nbase, nnew; /* samples */
    compare_verdict verdict;
} row;

/* Compares one pair of runs into rows (those figures both runs have).
 * Returns the number of rows. */
static int compare_run(const runfile_run *a, const runfile_run *b, double max_reg,
                       const figure_def *defs, size_t ndefs, row *rows) {
    int n = 0;
    for (size_t i = 0; i < ndefs; i++) {
        const figure_def *d = &defs[i];
        row *r = &rows[n];
        if (def_value(a, d, &r->base) || def_value(b, d, &r->new_)) continue;
        r->def = d;
        r->change_pct = r->base != 0   ? 100.0 * (r->new_ - r->base) / fabs(r->base)
                        : r->new_ != 0 ? (r->new_ > 0 ? INFINITY : -INFINITY)
                                       : 0;
        r->p = -1;
        r->nbase = r->nnew = 0;
        if (d->field[0]) {
            double *sa, *sb;
            r->nbase = def_samples(a, d, &sa);
            r->nnew = def_samples(b, d, &sb);
            if (r->nbase && r->nnew)
                r->p = compare_mann_whitney(sa, r->nbase, sb, r->nnew, NULL);
            free(sa);
            free(sb);
        }
        r->verdict =
            compare_judge(d->better, r->change_pct, r->p, d->gate ? max_reg : INFINITY);
        n++;
    }
    return n;
}

static void print_pct(FILE *out, double pct) {
    char buf[32];
    if (isinf(pct))
        snprintf(buf, sizeof buf, "%s", pct > 0 ? "+inf" : "-inf");
    else
        snprintf(buf, sizeof buf, "%+.1f%%", pct);
    fprintf(out, " %9s", buf);
}

/* Counts whole, other figures to 6 significant digits. */
static void print_num(FILE *out, double v) {
    if (v == floor(v) && fabs(v) < 1e15)
        fprintf(out, " %14.0f", v);
    else
        fprintf(out, " %14.6g", v);
}

static void print_p(FILE *out, double p) {
    if (p < 0)
        fprintf(out, " %9s", "-");
    else if (p < 0.0001)
        fprintf(out, " %9s", "<0.0001");
    else
        fprintf(out, " %9.4f", p);
}

static void print_rows(FILE *out, const row *rows, int n) {
    fprintf(out, "%-30s %14s %14s %9s %9s  %s\n", "figure", "base", "new", "change", "p-value",
            "verdict");
    for (int i = 0; i < n; i++) {
        const row *r = &rows[i];
        char name[160];
        bool unit = r->def->unit && r->def->unit[0];
        snprintf(name, sizeof name, "%s%s%s%s", r->def->figure, unit ? " (" : "",
                 unit ? r->def->unit : "", unit ? ")" : "");
        fprintf(out, "%-30s", name);
        print_num(out, r->base);
        print_num(out, r->new_);
        print_pct(out, r->change_pct);
        print_p(out, r->p);
        fprintf(out, "  %s", compare_verdict_name(r->verdict));
        if (r->p >= 0) fprintf(out, " (%zu vs %zu batches)", r->nbase, r->nnew);
        fputc('\n', out);
    }
}

static void json_string(FILE *out, const char *s) {
    encode_buf b = {0};
    if (encode_json_string(&b, s, strlen(s)) == 0)
        fwrite(b.data, 1, b.len, out);
    else
        fputs("\"\"", out);
    encode_buf_free(&b);
}

static double jnum(double v) { return isfinite(v) ? v : 0; }

static void json_run(FILE *out, const char *label, const runfile_run *a, const runfile_run *b,
                     const row *rows, int n, bool first) {
    fprintf(out, "%s{\"run\":", first ? "" : ",");
    json_string(out, label);
    fputs(",\"base_name\":", out);
    json_string(out, a->name);
    fputs(",\"new_name\":", out);
    json_string(out, b->name);
    fputs(",\"figures\":[", out);
    for (int i = 0; i < n; i++) {
        const row *r = &rows[i];
        fprintf(out, "%s{\"figure\":", i ? "," : "");
        json_string(out, r->def->figure);
        fprintf(out, ",\"base\":%.9g,\"new\":%.9g,\"change_percent\":", jnum(r->base),
                jnum(r->new_));
        if (isfinite(r->change_pct))
            fprintf(out, "%.3f", r->change_pct);
        else
            fputs("null", out);
        fputs(",\"p_value\":", out);
        if (r->p >= 0)
            fprintf(out, "%.6g", r->p);
        else
            fputs("null", out);
        fprintf(out, ",\"base_batches\":%zu,\"new_batches\":%zu,\"verdict\":\"%s\"}", r->nbase,
                r->nnew,
                r->verdict == COMPARE_REGRESSION ? "regression"
                                                 : compare_verdict_name(r->verdict));
    }
    fputs("]}", out);
}

/* Warns on stderr when two runs paired are not of one workload: other
 * names, or other record counts (counts then differ by design). `leg` is
 * the pair's number when the files have several, else 0. */
static void warn_unlike(const runfile_run *a, const runfile_run *b, size_t leg) {
    char where[32] = "";
    if (leg) snprintf(where, sizeof where, " (run %zu)", leg);
    if (a->name && b->name && strcmp(a->name, b->name))
        fprintf(stderr, "kengine compare: warning: different workloads ('%s' and '%s')%s\n",
                a->name, b->name, where);
    double ra, rb;
    if (!runfile_figure_get(a, "records", &ra) && !runfile_figure_get(b, "records", &rb) &&
        ra != rb)
        fprintf(stderr,
                "kengine compare: warning: different record counts (%.0f and %.0f)%s: "
                "counts differ by design, rates and latency still compare\n",
                ra, rb, where);
}

int compare_files(const char *base, const char *new_, double max_reg, const char *json) {
    const char *paths[2] = {base, new_};
    runfile r[2] = {{0}, {0}};
    char err[1024];
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++)
        if (runfile_read(&r[k], paths[k], err, sizeof err)) {
            fprintf(stderr, "kengine compare: %s\n", err);
            rc = EXIT_USAGE;
        }
    /* complete runs only (a trailing unfinished one is not compared) */
    size_t runs[2] = {0, 0};
    for (int k = 0; k < 2 && !rc; k++)
        while (runs[k] < r[k].nruns && r[k].runs[runs[k]].complete) runs[k]++;
    if (!rc && runs[0] != runs[1]) {
        fprintf(stderr,
                "kengine compare: %s has %zu runs (legs), %s has %zu: cannot pair them\n",
                paths[0], runs[0], paths[1], runs[1]);
        rc = EXIT_USAGE;
    }
    FILE *jf = NULL;
    if (!rc && json) {
        jf = strcmp(json, "-") ? fopen(json, "w") : stdout;
        if (!jf) {
            fprintf(stderr, "kengine compare: %s: cannot open for writing\n", json);
            rc = EXIT_USAGE;
        }
    }
    FILE *out = jf == stdout ? stderr : stdout;
    figure_def defs[MAX_ROWS + MAX_PHASES * NPHASE_FIGURES];
    size_t nsummary = figure_defs(defs, MAX_ROWS);
    if (!rc) {
        bool regression = false;
        size_t compared = 0, tested = 0, nreg = 0;
        char regs[512] = ""; /* the regressed figures, named in the verdict */
        if (jf) {
            fputs("{\"type\":\"compare\",\"base\":", jf);
            json_string(jf, paths[0]);
            fputs(",\"new\":", jf);
            json_string(jf, paths[1]);
            fprintf(jf, ",\"max_regression_percent\":%g,\"alpha\":%g,\"runs\":[", max_reg,
                    COMPARE_ALPHA);
        }
        for (size_t i = 0; i < runs[0]; i++) {
            const runfile_run *a = &r[0].runs[i], *b = &r[1].runs[i];
            warn_unlike(a, b, runs[0] > 1 ? i + 1 : 0);
            size_t ndefs =
                nsummary + phase_defs(a, b, defs + nsummary, MAX_PHASES * NPHASE_FIGURES);
            row rows[MAX_ROWS + MAX_PHASES * NPHASE_FIGURES];
            int n = compare_run(a, b, max_reg, defs, ndefs, rows);
            fprintf(out, "%scompare %s (%s) with %s (%s), regression limit %g%%, alpha %g\n",
                    i ? "\n" : "", paths[0], a->name, paths[1], b->name, max_reg,
                    COMPARE_ALPHA);
            print_rows(out, rows, n);
            for (int k = 0; k < n; k++) {
                compared++;
                if (rows[k].p >= 0) tested++;
                if (rows[k].verdict != COMPARE_REGRESSION) continue;
                regression = true;
                size_t used = strlen(regs);
                if (used + 3 < sizeof regs)
                    snprintf(regs + used, sizeof regs - used, "%s%s", nreg ? ", " : "",
                             rows[k].def->figure);
                nreg++;
                fprintf(stderr,
                        "kengine compare: regression: %s %s %.1f%% (%.6g -> %.6g, "
                        "p = %.2g, limit %g%%)\n",
                        rows[k].def->figure, rows[k].def->better > 0 ? "fell" : "rose",
                        fabs(rows[k].change_pct), rows[k].base, rows[k].new_, rows[k].p,
                        max_reg);
            }
            if (jf) json_run(jf, a->name, a, b, rows, n, i == 0);
        }
        /* the verdict, always the last line */
        if (regression)
            fprintf(out, "kengine compare: %zu regression%s: %s\n", nreg, nreg == 1 ? "" : "s",
                    regs);
        else
            fprintf(out,
                    "kengine compare: no regression: %zu figures compared, %zu of them "
                    "tested against the batch-to-batch noise\n",
                    compared, tested);
        if (jf) {
            fprintf(jf, "],\"regression\":%s}\n", regression ? "true" : "false");
            if (jf != stdout)
                fclose(jf);
            else
                fflush(jf);
        }
        rc = regression ? EXIT_REGRESSION : 0;
    }
    runfile_free(&r[0]);
    runfile_free(&r[1]);
    return rc;
}
