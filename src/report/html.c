/*
 * html: the report page, see html.h. Charts are our own small SVG: a plot
 * area with "nice" ticks from zero (so a dip reads as a dip, not as an
 * axis that moved), one polyline per series with a dot per batch, phases as
 * shaded, named bands behind the lines. Every text that came from the run is
 * escaped; nothing refers outside the file.
 */
#include "html.h"

#include "figures.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHART_W         880
#define CHART_H         250
#define M_LEFT          72 /* room for the y tick labels and the axis title */
#define M_RIGHT         16
#define M_TOP           14
#define M_BOTTOM        44
#define MAX_SERIES      10
#define TOP_WORDS_SHOWN 15

double html_ticks(double hi, int max_ticks, double *top) {
    if (!(hi > 0) || !isfinite(hi)) hi = 1;
    if (max_ticks < 1) max_ticks = 1;
    double raw = hi / max_ticks, mag = pow(10, floor(log10(raw))), step = 10 * mag;
    static const double nice[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (nice[i] * mag >= raw) {
            step = nice[i] * mag;
            break;
        }
    *top = ceil(hi / step - 1e-9) * step;
    return step;
}

void html_num(char *buf, size_t len, double v) {
    static const struct {
        double scale;
        const char *suffix;
    } units[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    for (size_t i = 0; i < 3; i++)
        if (fabs(v) >= units[i].scale) {
            snprintf(buf, len, "%.4g%s", v / units[i].scale, units[i].suffix);
            return;
        }
    snprintf(buf, len, "%.4g", fabs(v) < 1e-12 ? 0 : v);
}

/* A table value: counts whole, others to 6 significant digits. */
static void table_num(char *buf, size_t len, double v) {
    if (fabs(v) >= 1e5 || (v == floor(v) && fabs(v) < 1e15))
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
}

static void esc(FILE *out, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* ---- charts ---- */

typedef struct {
    const char *name, *color;
    double *x, *y;
    size_t n;
} series;

typedef struct {
    const char *name;
    double x0, x1;
} band;

typedef struct {
    const char *title, *ylabel;
    series s[MAX_SERIES];
    size_t ns;
    const band *bands;
    size_t nbands;
    double xmax;
    const char *xlabel; /* the time axis' title, NULL: since the run started */
} chart;

static double sx(double xtop, double x) {
    return M_LEFT + (CHART_W - M_LEFT - M_RIGHT) * (xtop > 0 ? x / xtop : 0);
}

static double sy(double ytop, double y) {
    return M_TOP + (CHART_H - M_TOP - M_BOTTOM) * (1 - (ytop > 0 ? y / ytop : 0));
}

static void chart_svg(FILE *out, const chart *c) {
    double ymax = 0;
    size_t points = 0;
    for (size_t i = 0; i < c->ns; i++)
        for (size_t k = 0; k < c->s[i].n; k++) {
            if (c->s[i].y[k] > ymax) ymax = c->s[i].y[k];
            points++;
        }
    fprintf(out, "<h3>");
    esc(out, c->title);
    fprintf(out, "</h3>\n");
    if (!points) {
        fprintf(out, "<p class=\"none\">no batches of this kind in the run</p>\n");
        return;
    }
    double xtop, ytop;
    double xstep = html_ticks(c->xmax, 10, &xtop), ystep = html_ticks(ymax, 5, &ytop);
    double px0 = M_LEFT, px1 = CHART_W - M_RIGHT, py0 = M_TOP, py1 = CHART_H - M_BOTTOM;
    fprintf(out,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\" aria-label=\"",
            CHART_W, CHART_H + 22, CHART_W, CHART_H + 22);
    esc(out, c->title);
    fprintf(out, "\">\n<rect class=\"plot\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/>\n",
            px0, py0, px1 - px0, py1 - py0);
    for (size_t i = 0; i < c->nbands; i++) {
        double a = sx(xtop, c->bands[i].x0), b = sx(xtop, c->bands[i].x1);
        fprintf(out,
                "<rect class=\"phase%zu\" x=\"%.1f\" y=\"%g\" width=\"%.1f\" height=\"%g\"/>"
                "<text class=\"phase\" x=\"%.1f\" y=\"%g\">",
                i % 2, a, py0, b - a > 0.5 ? b - a : 0.5, py1 - py0, a + 3, py0 + 12);
        esc(out, c->bands[i].name);
        fputs("</text>\n", out);
    }
    char lab[32];
    for (double y = 0; y <= ytop + ystep / 2; y += ystep) {
        double yy = sy(ytop, y);
        html_num(lab, sizeof lab, y);
        fprintf(out,
                "<line class=\"grid\" x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"ytick\" x=\"%g\" y=\"%.1f\">%s</text>\n",
                px0, px1, yy, yy, px0 - 6, yy + 4, lab);
    }
    for (double x = 0; x <= xtop + xstep / 2; x += xstep) {
        double xx = sx(xtop, x);
        html_num(lab, sizeof lab, x);
        fprintf(out,
                "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\"/>"
                "<text class=\"xtick\" x=\"%.1f\" y=\"%g\">%s</text>\n",
                xx, xx, py1, py1 + 5, xx, py1 + 18, lab);
    }
    fprintf(out, "<text class=\"axis\" x=\"%g\" y=\"%d\">", (px0 + px1) / 2, CHART_H - 6);
    esc(out, c->xlabel ? c->xlabel : "elapsed since the run started (s)");
    fputs("</text>\n", out);
    fprintf(out, "<text class=\"axis\" transform=\"translate(14 %g) rotate(-90)\">",
            (py0 + py1) / 2);
    esc(out, c->ylabel);
    fputs("</text>\n", out);
    for (size_t i = 0; i < c->ns; i++) {
        const series *s = &c->s[i];
        if (!s->n) continue;
        fprintf(out, "<polyline class=\"line\" stroke=\"%s\" data-series=\"", s->color);
        esc(out, s->name);
        fputs("\" points=\"", out);
        for (size_t k = 0; k < s->n; k++)
            fprintf(out, "%s%.1f,%.1f", k ? " " : "", sx(xtop, s->x[k]), sy(ytop, s->y[k]));
        fputs("\"/>\n", out);
        if (s->n <= 400)
            for (size_t k = 0; k < s->n; k++)
                fprintf(out, "<circle r=\"2\" fill=\"%s\" cx=\"%.1f\" cy=\"%.1f\"/>", s->color,
                        sx(xtop, s->x[k]), sy(ytop, s->y[k]));
        fputc('\n', out);
    }
    double lx = px0;
    for (size_t i = 0; i < c->ns; i++) {
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>"
                "<text class=\"legend\" x=\"%.1f\" y=\"%d\">",
                lx, CHART_H + 10, c->s[i].color, lx + 16, CHART_H + 15);
        esc(out, c->s[i].name);
        fputs("</text>\n", out);
        lx += 40 + 7.0 * (double)strlen(c->s[i].name);
    }
    fputs("</svg>\n", out);
}

/* The chart's next series (the caller checked there is room), with room
 * for n points; counted by the caller once filled. NULL on OOM. */
static series *series_new(chart *c, size_t n, const char *name, const char *color) {
    series *s = &c->s[c->ns];
    *s = (series){.name = name, .color = color};
    s->x = malloc(n * sizeof *s->x);
    s->y = malloc(n * sizeof *s->y);
    if (s->x && s->y) return s;
    free(s->x);
    free(s->y);
    return NULL;
}

/* The run's batches of a role (-1: all) and of a worker (its index + 1;
 * 0: every batch) as a series of field over time. */
static int add_series_of(chart *c, const runfile_run *run, int role, int worker,
                         const char *field, const char *name, const char *color) {
    if (c->ns >= MAX_SERIES) return 0;
    series *s = series_new(c, run->nbatches + 1, name, color);
    if (!s) return -1;
    double cum[2] = {0, 0}; /* files without elapsed: time as summed batch seconds */
    for (size_t i = 0; i < run->nbatches; i++) {
        const runfile_batch *b = &run->batches[i];
        cum[b->role == RUN_CONSUME] += b->seconds;
        double v;
        if ((role >= 0 && (int)b->role != role) || (worker && b->worker != worker) ||
            runfile_batch_value(b, field, &v))
            continue;
        s->x[s->n] = b->elapsed >= 0 ? b->elapsed : cum[b->role == RUN_CONSUME];
        s->y[s->n++] = v;
        if (s->x[s->n - 1] > c->xmax) c->xmax = s->x[s->n - 1];
    }
    c->ns++;
    return 0;
}

/* A broker figure (FIGURES_BROKER's index fig) over the batches of a role:
 * broker `bi` of the run's, or the largest over the brokers when bi < 0. */
static int add_broker_series(chart *c, const runfile_run *run, int role, long bi, size_t fig,
                             const char *name, const char *color) {
    if (c->ns >= MAX_SERIES) return 0;
    series *s = series_new(c, run->nbatches + 1, name, color);
    if (!s) return -1;
    for (size_t i = 0; i < run->nbatches; i++) {
        const runfile_batch *b = &run->batches[i];
        if ((int)b->role != role || b->elapsed < 0) continue;
        double v = NAN;
        for (size_t k = 0; k < b->nbrokers; k++) {
            double x = b->brokers[k].v[fig];
            if (isnan(x) || (bi >= 0 && b->brokers[k].broker != (size_t)bi)) continue;
            if (isnan(v) || x > v) v = x;
        }
        if (isnan(v)) continue;
        s->x[s->n] = b->elapsed;
        s->y[s->n++] = v;
        if (b->elapsed > c->xmax) c->xmax = b->elapsed;
    }
    c->ns++;
    return 0;
}

static int add_series(chart *c, const runfile_run *run, int role, const char *field,
                      const char *name, const char *color) {
    return add_series_of(c, run, role, 0, field, name, color);
}

size_t html_rate_total(const runfile_run *run, int role, double width, double *x, double *y,
                       size_t max) {
    double lo = INFINITY, hi = -1;
    for (size_t i = 0; i < run->nbatches; i++) {
        const runfile_batch *b = &run->batches[i];
        if ((int)b->role != role || b->elapsed < 0) continue;
        double start = b->elapsed - b->seconds;
        if (start < lo) lo = start > 0 ? start : 0;
        if (b->elapsed > hi) hi = b->elapsed;
    }
    if (hi <= 0 || width <= 0) return 0;
    size_t nb = (size_t)ceil(hi / width);
    if (nb > max) nb = max;
    double *count = calloc(nb ? nb : 1, sizeof *count);
    if (!count) return 0;
    for (size_t i = 0; i < run->nbatches; i++) {
        const runfile_batch *b = &run->batches[i];
        double msgs;
        if ((int)b->role != role || b->elapsed < 0 || runfile_batch_value(b, "messages", &msgs))
            continue;
        double end = b->elapsed, start = end - b->seconds;
        if (start < 0) start = 0;
        if (end <= start) { /* no interval: all at its end */
            size_t k = (size_t)(end / width);
            if (k < nb) count[k] += msgs;
            continue;
        }
        for (size_t k = (size_t)(start / width); k < nb && (double)k * width < end; k++) {
            double a = fmax(start, (double)k * width), z = fmin(end, (double)(k + 1) * width);
            if (z > a) count[k] += msgs * (z - a) / (end - start);
        }
    }
    size_t n = 0;
    for (size_t k = 0; k < nb; k++) {
        double a = fmax(lo, (double)k * width), z = fmin(hi, (double)(k + 1) * width);
        if (z <= a) continue; /* before the first batch began */
        x[n] = (a + z) / 2;
        y[n++] = count[k] / (z - a);
    }
    free(count);
    return n;
}

/* A shared run's total rate of a role, summed over the workers
 * (html_rate_total) in buckets of a nice step giving about 50 of them. */
static int add_total_series(chart *c, const runfile_run *run, int role, const char *name,
                            const char *color) {
    if (c->ns >= MAX_SERIES) return 0;
    double hi = 0, top;
    for (size_t i = 0; i < run->nbatches; i++)
        if (run->batches[i].elapsed > hi) hi = run->batches[i].elapsed;
    double width = html_ticks(hi, 50, &top);
    size_t max = (size_t)ceil(hi / width) + 1;
    series *s = series_new(c, max, name, color);
    if (!s) return -1;
    s->n = html_rate_total(run, role, width, s->x, s->y, max);
    for (size_t k = 0; k < s->n; k++)
        if (s->x[k] > c->xmax) c->xmax = s->x[k];
    c->ns++;
    return 0;
}

/* Throughput: per role, each worker's batches and the run's total when
 * the batches come from the workers of a shared run (kengine report, the
 * local launcher), else the role's batches. */
#define WORKERS_DRAWN 3
static int throughput_series(chart *c, const runfile_run *run, char names[][64]) {
    /* per role (produce, consume), per worker drawn */
    static const char *const colors[2][WORKERS_DRAWN] = {{"#7fa6e0", "#4a7fd0", "#9bb7e8"},
                                                         {"#8fcf8f", "#5cb85c", "#a9dca9"}};
    if (run->workers < 2) {
        int rc = add_series(c, run, RUN_PRODUCE, "msgs_per_sec", "produce", "#1f5fbf");
        return rc | add_series(c, run, RUN_CONSUME, "msgs_per_sec", "consume", "#2e9d3a");
    }
    int rc = 0, shown = run->workers < WORKERS_DRAWN ? run->workers : WORKERS_DRAWN;
    size_t k = 0;
    for (int r = 0; r < 2; r++) {
        int role = r ? RUN_CONSUME : RUN_PRODUCE;
        const char *what = r ? "consume" : "produce";
        for (int w = 1; w <= shown; w++, k++) {
            snprintf(names[k], 64, "%s worker %d", what, w - 1);
            rc |= add_series_of(c, run, role, w, "msgs_per_sec", names[k], colors[r][w - 1]);
        }
        snprintf(names[k], 64, "%s total", what);
        rc |= add_total_series(c, run, role, names[k++], r ? "#1b6e26" : "#0d3b80");
    }
    return rc;
}

static void chart_free(chart *c) {
    for (size_t i = 0; i < c->ns; i++) {
        free(c->s[i].x);
        free(c->s[i].y);
    }
}

/* Phases as bands. Phases run one after another from the first send: a
 * phase starts where the previous one ended, and lasts its first to last
 * send (the summary's seconds); the first send is where the first produce
 * batch's interval began. Without the summary's phases, each phase spans
 * its produce batches. */
static band *phase_bands(const runfile_run *run, size_t *n) {
    *n = 0;
    if (!run->nphases) return NULL;
    size_t cap = run->nphases > run->nsphases ? run->nphases : run->nsphases;
    band *b = calloc(cap, sizeof *b);
    if (!b) return NULL;
    double first = -1;
    for (size_t i = 0; i < run->nbatches && first < 0; i++)
        if (run->batches[i].role == RUN_PRODUCE && run->batches[i].elapsed >= 0)
            first = run->batches[i].elapsed - run->batches[i].seconds;
    if (run->nsphases && first >= 0) {
        double t = first;
        for (size_t p = 0; p < run->nsphases; p++) {
            b[p] = (band){run->sphases[p].name, t, t + run->sphases[p].seconds};
            t += run->sphases[p].seconds;
        }
        *n = run->nsphases;
        return b;
    }
    for (size_t p = 0; p < run->nphases; p++) b[p] = (band){run->phases[p], INFINITY, -1};
    for (size_t i = 0; i < run->nbatches; i++) {
        const runfile_batch *x = &run->batches[i];
        if (x->phase < 0 || x->elapsed < 0) continue;
        band *ph = &b[x->phase];
        double start = x->elapsed - x->seconds;
        if (start < ph->x0) ph->x0 = start > 0 ? start : 0;
        if (x->elapsed > ph->x1) ph->x1 = x->elapsed;
    }
    size_t k = 0;
    for (size_t p = 0; p < run->nphases; p++)
        if (b[p].x1 >= 0) b[k++] = b[p];
    *n = k;
    return b;
}

static void phases_table(FILE *out, const runfile_run *run) {
    if (!run->nsphases) return;
    fputs("<h3>Phases</h3>\n<table class=\"phases\">\n<tr><th>phase</th><th>sent</th>"
          "<th>seconds</th><th>msgs/s</th><th>target msgs/s</th><th>consumed</th>"
          "<th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr>\n",
          out);
    for (size_t i = 0; i < run->nsphases; i++) {
        const runfile_phase *p = &run->sphases[i];
        const double v[] = {p->sent,     p->seconds, p->msgs_per_sec, p->target_rate,
                            p->consumed, p->p50,     p->p99,          p->max};
        fputs("<tr><td>", out);
        esc(out, p->name);
        fputs("</td>", out);
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            char num[64];
            table_num(num, sizeof num, v[k]);
            fprintf(out, "<td class=\"num\">%s</td>", k == 3 && v[k] == 0 ? "unlimited" : num);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* ---- the page ---- */

static const char CSS[] =
    "body{font-family:system-ui,sans-serif;margin:24px auto;max-width:920px;color:#222}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #ccc}h3{font-size:15px;margin:18px 0 4px}"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}"
    ".verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:bold;"
    "color:#fff}.pass{background:#2e7d32}.fail{background:#c62828}"
    "td.pass{color:#2e7d32;background:none;font-weight:bold}"
    "td.fail{color:#c62828;background:none;font-weight:bold}"
    ".cols{display:flex;gap:24px;flex-wrap:wrap}.none{color:#777;font-size:13px}"
    "svg.chart{display:block;font-size:11px}rect.plot{fill:#fff;stroke:#999}"
    "rect.phase0{fill:#e3ecf7}rect.phase1{fill:#f4eadb}text.phase{fill:#555;font-size:11px}"
    "line.grid{stroke:#e4e4e4}line.tick{stroke:#999}text.ytick{text-anchor:end;fill:#444}"
    "text.xtick{text-anchor:middle;fill:#444}text.axis{text-anchor:middle;fill:#222;"
    "font-size:12px}text.legend{fill:#222;font-size:12px}"
    "polyline.line{fill:none;stroke-width:1.6}rect.bar{fill:#5b7fb8}"
    "tr.slowest td{background:#fdecea}";

static bool run_passed(const runfile_run *run) {
    double v;
    if (run->error && run->error[0]) return false;
    for (size_t i = 0; i < run->nthresholds; i++)
        if (!run->thresholds[i].pass) return false;
    static const char *const bad[] = {"lost", "duplicates", "delivery_errors"};
    for (size_t i = 0; i < 3; i++)
        if (runfile_figure_get(run, bad[i], &v) == 0 && v > 0) return false;
    return true;
}

static void identity(FILE *out, const runfile_run *run) {
    fputs("<table class=\"identity\">\n", out);
    for (size_t i = 0; i < run->ninfo; i++) {
        fputs("<tr><th>", out);
        esc(out, run->info[i].key);
        fprintf(out, "</th><td data-info=\"");
        esc(out, run->info[i].key);
        fputs("\">", out);
        esc(out, run->info[i].value);
        fputs("</td></tr>\n", out);
    }
    if (!run->ninfo) fputs("<tr><td>the NDJSON has no run event</td></tr>\n", out);
    fputs("</table>\n", out);
}

static void figure_row(FILE *out, const char *name, double v, const char *unit) {
    char num[64];
    table_num(num, sizeof num, v);
    fputs("<tr><th>", out);
    esc(out, name);
    fprintf(out, "</th><td class=\"num\" data-figure=\"");
    esc(out, name);
    fprintf(out, "\">%s</td><td>", num);
    esc(out, unit);
    fputs("</td></tr>\n", out);
}

/* The summary's figures in figures.h's order, with their units. */
static void summary_table(FILE *out, const runfile_run *run) {
    fputs("<table class=\"summary\">\n<tr><th>figure</th><th>value</th><th>unit</th></tr>\n",
          out);
    size_t n, ns;
    const figure *f = figures_list(FIGURES_IN_SUMMARY, &n);
    const figure_stat *st = figures_latency_stats(&ns);
    for (size_t i = 0; i < n; i++) {
        char key[96];
        double v;
        if (f[i].type != FIGURE_LATENCY) {
            if (runfile_figure_get(run, f[i].name, &v) == 0)
                figure_row(out, f[i].name, v, f[i].unit);
            continue;
        }
        for (size_t k = 0; k < ns; k++) {
            snprintf(key, sizeof key, "%s.%s", f[i].name, st[k].name);
            if (runfile_figure_get(run, key, &v) == 0)
                figure_row(out, key, v, st[k].p == FIGURES_STAT_COUNT ? "messages" : f[i].unit);
        }
    }
    fputs("</table>\n", out);
}

static const char *const BROKER_COLORS[] = {"#1f5fbf", "#c62828", "#2e9d3a", "#7b3fb5",
                                            "#e08a00", "#00838f", "#8a5a2b", "#ad1457"};
#define NCOLORS (sizeof BROKER_COLORS / sizeof BROKER_COLORS[0])

/* The summary's broker whose round trip was the slowest (p99, then mean),
 * or -1 when the summary has none. */
static long slowest_broker(const runfile_run *run) {
    long w = -1;
    for (size_t i = 0; i < run->nbrokers; i++) {
        const runfile_broker *b = &run->brokers[i];
        if (!b->in_summary) continue;
        const runfile_broker *x = w >= 0 ? &run->brokers[w] : NULL;
        if (!x || b->v[FIGURE_BROKER_rtt_p99_ms] > x->v[FIGURE_BROKER_rtt_p99_ms] ||
            (b->v[FIGURE_BROKER_rtt_p99_ms] == x->v[FIGURE_BROKER_rtt_p99_ms] &&
             b->v[FIGURE_BROKER_rtt_mean_ms] > x->v[FIGURE_BROKER_rtt_mean_ms]))
            w = (long)i;
    }
    return w;
}

/* Where the time went, per broker, over the run: a row per broker with the
 * summary's broker figures, the slowest round trip marked. */
static void brokers_table(FILE *out, const runfile_run *run) {
    long slow = slowest_broker(run);
    if (slow < 0) return;
    size_t nf;
    const figure *f = figures_list(FIGURES_IN_BROKER, &nf);
    fputs("<h3>Where the time went, per broker</h3>\n<p class=\"none\">The client's view "
          "over the run (librdkafka's statistics): the broker's round trip, the wait in "
          "kengine's client queue before a produce request, the wait to be sent, "
          "throttling. The slowest round trip is marked.</p>\n"
          "<table class=\"brokers\">\n<tr><th>broker</th><th>host:port</th>",
          out);
    for (size_t k = 0; k < nf; k++) { /* rtt_p99_ms -> "rtt p99 ms", so it wraps */
        fputs("<th>", out);
        for (const char *c = f[k].name; *c; c++) fputc(*c == '_' ? ' ' : *c, out);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t i = 0; i < run->nbrokers; i++) {
        const runfile_broker *b = &run->brokers[i];
        if (!b->in_summary) continue;
        fprintf(out, "<tr data-broker=\"%d\"%s><td>%d%s</td><td>", b->id,
                (long)i == slow ? " class=\"slowest\"" : "", b->id,
                (long)i == slow ? " <b>slowest</b>" : "");
        esc(out, b->name);
        fputs("</td>", out);
        for (size_t k = 0; k < nf; k++) {
            char num[64];
            table_num(num, sizeof num, b->v[k]);
            fprintf(out, "<td class=\"num\" data-broker-figure=\"%d.%s\">%s</td>", b->id,
                    f[k].name, num);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void thresholds_table(FILE *out, const runfile_run *run) {
    fputs("<h3>Thresholds</h3>\n", out);
    if (!run->nthresholds) {
        fputs("<p class=\"none\">none set</p>\n", out);
        return;
    }
    fputs("<table class=\"thresholds\">\n<tr><th>metric</th><th>condition</th><th>actual</th>"
          "<th>verdict</th></tr>\n",
          out);
    for (size_t i = 0; i < run->nthresholds; i++) {
        const runfile_threshold *t = &run->thresholds[i];
        char num[64];
        table_num(num, sizeof num, t->actual);
        fputs("<tr><td>", out);
        esc(out, t->metric);
        fputs("</td><td>", out);
        esc(out, t->condition);
        fprintf(out, "</td><td class=\"num\">%s</td><td class=\"%s\">%s%s</td></tr>\n", num,
                t->pass ? "pass" : "fail", t->pass ? "pass" : "FAIL",
                t->aborted ? " (stopped the run)" : "");
    }
    fputs("</table>\n", out);
}

static int cmp_word(const void *a, const void *b) {
    const runfile_word *x = *(const runfile_word *const *)a,
                       *y = *(const runfile_word *const *)b;
    return (x->count < y->count) - (x->count > y->count);
}

/* Horizontal bars, one row per value, with its label and count. */
static void bar_chart(FILE *out, const char *aria, size_t n, const char *const *labels,
                      const double *values) {
    int row = 18, left = 150, width = 600;
    fprintf(out,
            "<svg class=\"chart\" viewBox=\"0 0 %d %zu\" width=\"%d\" height=\"%zu\" "
            "role=\"img\" aria-label=\"%s\">\n",
            left + width + 90, n * (size_t)row + 4, left + width + 90, n * (size_t)row + 4,
            aria);
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max) max = values[i];
    for (size_t i = 0; i < n; i++) {
        double len = max > 0 ? width * values[i] / max : 0;
        fprintf(out, "<text class=\"ytick\" x=\"%d\" y=\"%zu\">", left - 6,
                i * (size_t)row + 14);
        esc(out, labels[i]);
        fprintf(out,
                "</text><rect class=\"bar\" x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"13\"/>"
                "<text class=\"legend\" x=\"%.1f\" y=\"%zu\">%.0f</text>\n",
                left, i * (size_t)row + 3, len, left + len + 4, i * (size_t)row + 14,
                values[i]);
    }
    fputs("</svg>\n", out);
}

static void top_words(FILE *out, const runfile_run *run) {
    if (!run->ntop) return;
    const runfile_word **w = malloc(run->ntop * sizeof *w);
    if (!w) return;
    for (size_t i = 0; i < run->ntop; i++) w[i] = &run->top[i];
    qsort(w, run->ntop, sizeof *w, cmp_word);
    size_t n = run->ntop < TOP_WORDS_SHOWN ? run->ntop : TOP_WORDS_SHOWN;
    const char **labels = malloc(n * sizeof *labels);
    double *values = malloc(n * sizeof *values);
    if (labels && values) {
        for (size_t i = 0; i < n; i++) {
            labels[i] = w[i]->word;
            values[i] = (double)w[i]->count;
        }
        fputs("<h3>Top words (counts summed over the batches' top-word lists)</h3>\n", out);
        bar_chart(out, "top words", n, labels, values);
    }
    free(labels);
    free(values);
    free(w);
}

/* Messages per partition (the summary's partitions.consumed, else
 * .delivered), so a skewed key distribution shows; nothing for one
 * partition. */
#define PARTITIONS_SHOWN 256
static void partitions(FILE *out, const runfile_run *run) {
    static const char *const roles[] = {"consumed", "delivered"};
    for (size_t r = 0; r < 2; r++) {
        double values[PARTITIONS_SHOWN], sum = 0, max = 0;
        size_t n = 0;
        char key[64];
        while (n < PARTITIONS_SHOWN) {
            snprintf(key, sizeof key, "partitions.%s.%zu", roles[r], n);
            if (runfile_figure_get(run, key, &values[n])) break;
            sum += values[n];
            if (values[n] > max) max = values[n];
            n++;
        }
        if (n < 2 || sum <= 0) continue;
        char names[PARTITIONS_SHOWN][16];
        const char *labels[PARTITIONS_SHOWN];
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "partition %zu", i);
            labels[i] = names[i];
        }
        fprintf(out, "<h3>Messages per partition (%s; %zu partitions, max/mean %.2f)</h3>\n",
                roles[r], n, max * (double)n / sum);
        bar_chart(out, "messages per partition", n, labels, values);
        return;
    }
}

/* The split of a batch's time by broker (the producer's client, else the
 * consumers'): each broker's round trip p99 and the client queue's p99 (the
 * largest over the brokers), each over the client's last 1 s window. */
static int split_series(chart *c, const runfile_run *run, char names[][64]) {
    int role = RUN_PRODUCE;
    bool any = false;
    for (size_t i = 0; i < run->nbatches && !any; i++)
        any = run->batches[i].role == RUN_PRODUCE && run->batches[i].nbrokers;
    if (!any) role = RUN_CONSUME;
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < run->nbrokers && k + 1 < MAX_SERIES; i++, k++) {
        snprintf(names[k], 64, "rtt p99 broker %d", run->brokers[i].id);
        rc |= add_broker_series(c, run, role, (long)i, FIGURE_BROKER_rtt_p99_ms, names[k],
                                BROKER_COLORS[k % NCOLORS]);
    }
    if (role == RUN_PRODUCE)
        rc |= add_broker_series(c, run, role, -1, FIGURE_BROKER_queue_p99_ms,
                                "client queue p99", "#555555");
    return rc;
}

/* A process figure (CPU, RSS): a line per worker of a shared run (each is
 * its own process, so one line through all of them would zigzag between
 * processes), else one line. */
static const char *const PURPLES[] = {"#7b3fb5", "#b07fe0", "#4b1f7a"};
static const char *const BROWNS[] = {"#8a5a2b", "#c08a55", "#5a3510"};
static int process_series(chart *c, const runfile_run *run, const char *field, const char *name,
                          char names[][64], const char *const *colors) {
    if (run->workers < 2) return add_series(c, run, -1, field, name, colors[0]);
    int rc = 0, shown = run->workers < WORKERS_DRAWN ? run->workers : WORKERS_DRAWN;
    for (int w = 1; w <= shown; w++) {
        snprintf(names[w - 1], 64, "%s worker %d", name, w - 1);
        rc |= add_series_of(c, run, -1, w, field, names[w - 1], colors[w - 1]);
    }
    return rc;
}

#define NCHARTS 6
static int charts(FILE *out, const runfile_run *run) {
    size_t nb;
    band *bands = phase_bands(run, &nb);
    chart c[NCHARTS] = {
        {.title = "Throughput per batch", .ylabel = "msgs/s"},
        {.title = "End-to-end latency per consume batch", .ylabel = "latency (ms)"},
        {.title = "Where the time went: each broker's round trip and the client's queue "
                  "(p99 of the client's last 1 s window)",
         .ylabel = "ms"},
        {.title = "Consumer lag (messages behind the partitions' ends)", .ylabel = "messages"},
        {.title = "Process CPU per batch (user + system over wall time)", .ylabel = "CPU (%)"},
        {.title = "Resident memory at each batch's end", .ylabel = "RSS (MB)"},
    };
    char names[MAX_SERIES][64], tnames[MAX_SERIES][64], names_cpu[MAX_SERIES][64],
        names_rss[MAX_SERIES][64];
    int rc = 0;
    rc |= throughput_series(&c[0], run, tnames);
    rc |= add_series(&c[1], run, RUN_CONSUME, "latency_ms.p50", "p50", "#2e9d3a");
    rc |= add_series(&c[1], run, RUN_CONSUME, "latency_ms.p99", "p99", "#e08a00");
    rc |= add_series(&c[1], run, RUN_CONSUME, "latency_ms.max", "max", "#c62828");
    rc |= split_series(&c[2], run, names);
    rc |= add_series(&c[3], run, RUN_CONSUME, "consumer_lag", "lag", "#00838f");
    rc |= process_series(&c[4], run, "cpu_percent", "CPU %", names_cpu, PURPLES);
    rc |= process_series(&c[5], run, "rss_mb", "RSS", names_rss, BROWNS);
    double xmax = 0;
    for (int i = 0; i < NCHARTS; i++)
        if (c[i].xmax > xmax) xmax = c[i].xmax;
    for (int i = 0; i < NCHARTS && !rc; i++) {
        c[i].xmax = xmax; /* one time axis for every chart */
        if (run->workers > 1) c[i].xlabel = "elapsed since the workers started together (s)";
        c[i].bands = bands;
        c[i].nbands = nb;
        chart_svg(out, &c[i]);
    }
    for (int i = 0; i < NCHARTS; i++) chart_free(&c[i]);
    free(bands);
    return rc;
}

int html_write(FILE *out, const runfile *r) {
    const char *title = r->nruns && r->runs[0].name ? r->runs[0].name : "run";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>kengine: ",
          out);
    esc(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n", CSS);
    int rc = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        const runfile_run *run = &r->runs[i];
        if (!run->complete) continue;
        bool pass = run_passed(run);
        fputs("<section class=\"run\">\n<h1>kengine report: ", out);
        esc(out, run->name);
        fprintf(out, "</h1>\n<p><span class=\"verdict %s\" id=\"verdict-%zu\">%s</span>",
                pass ? "pass" : "fail", i, pass ? "PASS" : "FAIL");
        if (run->error && run->error[0]) {
            fputs(" ", out);
            esc(out, run->error);
        }
        fputs("</p>\n<div class=\"cols\"><div><h3>Run</h3>\n", out);
        identity(out, run);
        thresholds_table(out, run);
        fputs("</div><div><h3>Summary</h3>\n", out);
        summary_table(out, run);
        fputs("</div></div>\n", out);
        brokers_table(out, run);
        phases_table(out, run);
        fputs("<h2>Over time</h2>\n", out);
        if (run->nphases)
            fputs("<p class=\"none\">Shaded bands: the phases, one after another from the "
                  "first send, each as long as its first to last send.</p>\n",
                  out);
        rc |= charts(out, run);
        partitions(out, run);
        top_words(out, run);
        fputs("</section>\n", out);
    }
    bool any = false;
    for (size_t i = 0; i < r->nruns; i++) any |= r->runs[i].complete;
    if (!any)
        fputs("<h1>kengine report</h1>\n<p>No run finished: the reason is on stderr.</p>\n",
              out);
    fputs("</body></html>\n", out);
    return rc || ferror(out) ? -1 : 0;
}
