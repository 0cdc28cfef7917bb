/*
 * figures: the tables of figures.h made into arrays of descriptors, with a
 * getter (and, for stored figures, a merger) generated per figure, and the
 * lookups, help and latency statistics every reporter shares.
 */
#include "figures.h"

#include "markdown.h"

#include <stdlib.h>
#include <string.h>

double figures_rate(double n, double secs) { return secs > 0 ? n / secs : 0; }

double figures_latency(const stats_hist *h, double p) {
    if (!h) return 0;
    if (p == FIGURES_STAT_COUNT) return (double)stats_hist_count(h);
    if (p == FIGURES_STAT_MEAN) return stats_hist_mean(h) / 1000.0;
    if (p <= 0) return (double)stats_hist_min(h) / 1000.0;
    if (p >= 100) return (double)stats_hist_max(h) / 1000.0;
    return (double)stats_hist_percentile(h, p) / 1000.0;
}

static const figure_stat STATS[] = {
#define STAT_(name, p) {#name, p},
    FIGURES_LATENCY(STAT_)
#undef STAT_
};
#define NSTATS (sizeof STATS / sizeof STATS[0])

const figure_stat *figures_latency_stats(size_t *n) {
    *n = NSTATS;
    return STATS;
}

int figures_latency_parse(const char *f, double *p) {
    if (strncmp(f, "latency_ms.", 11)) return -1;
    f += 11;
    for (size_t i = 0; i < NSTATS; i++)
        if (!strcmp(f, STATS[i].name)) {
            *p = STATS[i].p;
            return 0;
        }
    char *end;
    if (!strncmp(f, "p(", 2)) { /* p(99.9) */
        *p = strtod(f + 2, &end);
        return end == f + 2 || strcmp(end, ")") || *p < 0 || *p > 100 ? -1 : 0;
    }
    if (f[0] == 'p' && f[1] >= '0' && f[1] <= '9') { /* p95 */
        *p = strtod(f + 1, &end);
        return *end || *p > 100 ? -1 : 0;
    }
    return -1;
}

/* ---- getters and mergers, one per figure ---- */

#define VAL_COUNT(e)   ((figure_value){.v = (double)(e)})
#define VAL_REAL(e)    ((figure_value){.v = (double)(e)})
#define VAL_LATENCY(e) ((figure_value){.h = (e)})
/* Setting a stored figure (a worker's state read back, dist/state.c); a
 * histogram is handed over to the object. */
#define SET_COUNT(f, val)   ((f) = (uint64_t)(val).v)
#define SET_REAL(f, val)    ((f) = (val).v)
#define SET_LATENCY(f, val) ((f) = (stats_hist *)(val).h)

#define MERGE_SUM(a, b)    ((a) += (b), 0)
#define MERGE_MAX(a, b)    ((b) > (a) ? ((a) = (b), 0) : 0)
#define MERGE_MIN(a, b)    ((b) < (a) ? ((a) = (b), 0) : 0)
#define MERGE_HIST(a, b)   merge_hist(&(a), (b))
#define MERGE_BITMAP(a, b) ((void)(a), (void)(b), 0) /* the caller's: bitmaps */
#define MERGE_UNION(a, b)  ((void)(a), (void)(b), 0) /* the caller's: word sets */

static int merge_hist(stats_hist **into, const stats_hist *from) {
    if (!from) return 0;
    if (!*into) return (*into = stats_hist_dup(from)) ? 0 : -1;
    stats_hist_merge(*into, from);
    return 0;
}

#define GET_(T, scope, name, type, expr)                                                       \
    static figure_value get_##scope##_##name(const void *o) {                                  \
        const T *x = o;                                                                        \
        return VAL_##type(expr);                                                               \
    }
#define STORED_(T, scope, name, type, merge, field)                                            \
    GET_(T, scope, name, type, x->field)                                                       \
    static int merge_##scope##_##name(void *into, const void *from) {                          \
        T *a = into;                                                                           \
        const T *b = from;                                                                     \
        return MERGE_##merge(a->field, b->field);                                              \
    }                                                                                          \
    static void set_##scope##_##name(void *o, figure_value v) {                                \
        T *x = o;                                                                              \
        SET_##type(x->field, v);                                                               \
    }
#define GS_SUMMARY(name, type, unit, fmt, merge, roles, field, how)                            \
    STORED_(run_summary, summary, name, type, merge, field)
#define GD_SUMMARY(name, type, unit, fmt, roles, expr, how)                                    \
    GET_(run_summary, summary, name, type, expr)
#define GS_BATCH(name, type, unit, fmt, merge, roles, field, how)                              \
    STORED_(run_batch, batch, name, type, merge, field)
#define GD_BATCH(name, type, unit, fmt, roles, expr, how)                                      \
    GET_(run_batch, batch, name, type, expr)
#define GS_PHASE(name, type, unit, fmt, merge, roles, field, how)                              \
    STORED_(run_phase, phase, name, type, merge, field)
#define GD_PHASE(name, type, unit, fmt, roles, expr, how)                                      \
    GET_(run_phase, phase, name, type, expr)

#define GS_BROKER(name, type, unit, fmt, merge, roles, field, how)                             \
    STORED_(run_broker, broker, name, type, merge, field)
#define GD_BROKER(name, type, unit, fmt, roles, expr, how)                                     \
    GET_(run_broker, broker, name, type, expr)

FIGURES_SUMMARY(GS_SUMMARY, GD_SUMMARY)
FIGURES_BATCH(GS_BATCH, GD_BATCH)
FIGURES_PHASE(GS_PHASE, GD_PHASE)
FIGURES_BROKER(GS_BROKER, GD_BROKER)

/* ---- the descriptor arrays ---- */

#define ENTRY_S_(scope, name, type, unit, fmt, merge, roles, how)                              \
    {#name,                                                                                    \
     FIGURE_##type,                                                                            \
     unit,                                                                                     \
     fmt,                                                                                      \
     FIGURE_##merge,                                                                           \
     FIGURE_##roles,                                                                           \
     how,                                                                                      \
     get_##scope##_##name,                                                                     \
     merge_##scope##_##name,                                                                   \
     set_##scope##_##name},
#define ENTRY_D_(scope, name, type, unit, fmt, roles, how)                                     \
    {#name, FIGURE_##type,        unit, fmt, FIGURE_DERIVED, FIGURE_##roles,                   \
     how,   get_##scope##_##name, NULL, NULL},
#define ES_SUMMARY(name, type, unit, fmt, merge, roles, field, how)                            \
    ENTRY_S_(summary, name, type, unit, fmt, merge, roles, how)
#define ED_SUMMARY(name, type, unit, fmt, roles, expr, how)                                    \
    ENTRY_D_(summary, name, type, unit, fmt, roles, how)
#define ES_BATCH(name, type, unit, fmt, merge, roles, field, how)                              \
    ENTRY_S_(batch, name, type, unit, fmt, merge, roles, how)
#define ED_BATCH(name, type, unit, fmt, roles, expr, how)                                      \
    ENTRY_D_(batch, name, type, unit, fmt, roles, how)
#define ES_PHASE(name, type, unit, fmt, merge, roles, field, how)                              \
    ENTRY_S_(phase, name, type, unit, fmt, merge, roles, how)
#define ED_PHASE(name, type, unit, fmt, roles, expr, how)                                      \
    ENTRY_D_(phase, name, type, unit, fmt, roles, how)

#define ES_BROKER(name, type, unit, fmt, merge, roles, field, how)                             \
    ENTRY_S_(broker, name, type, unit, fmt, merge, roles, how)
#define ED_BROKER(name, type, unit, fmt, roles, expr, how)                                     \
    ENTRY_D_(broker, name, type, unit, fmt, roles, how)

static const figure SUMMARY[] = {FIGURES_SUMMARY(ES_SUMMARY, ED_SUMMARY)};
static const figure BATCH[] = {FIGURES_BATCH(ES_BATCH, ED_BATCH)};
static const figure PHASE[] = {FIGURES_PHASE(ES_PHASE, ED_PHASE)};
static const figure BROKER[] = {FIGURES_BROKER(ES_BROKER, ED_BROKER)};

const figure *figures_list(figure_scope scope, size_t *n) {
    switch (scope) {
    case FIGURES_IN_BATCH: *n = FIGURES_BATCH_N; return BATCH;
    case FIGURES_IN_PHASE: *n = FIGURES_PHASE_N; return PHASE;
    case FIGURES_IN_BROKER: *n = FIGURES_BROKER_N; return BROKER;
    case FIGURES_IN_SUMMARY: break;
    }
    *n = FIGURES_SUMMARY_N;
    return SUMMARY;
}

const figure *figures_find(figure_scope scope, unsigned role, const char *name) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    for (size_t i = 0; i < n; i++)
        if ((f[i].roles & role) && !strcmp(f[i].name, name)) return &f[i];
    return NULL;
}

double figures_summary(const run_summary *s, figure_summary_id id) {
    return SUMMARY[id].get(s).v;
}
double figures_batch(const run_batch *b, figure_batch_id id) { return BATCH[id].get(b).v; }
double figures_phase(const run_phase *p, figure_phase_id id) { return PHASE[id].get(p).v; }
double figures_broker(const run_broker *b, figure_broker_id id) { return BROKER[id].get(b).v; }

int figures_value(figure_scope scope, unsigned role, const void *obj, const char *name,
                  double *v) {
    const figure *f = figures_find(scope, role, name);
    if (f && f->type != FIGURE_LATENCY) {
        *v = f->get(obj).v;
        return 0;
    }
    double p;
    if (figures_latency_parse(name, &p)) return -1;
    f = figures_find(scope, role, "latency_ms");
    if (!f) return -1;
    *v = figures_latency(f->get(obj).h, p);
    return 0;
}

int figures_merge(figure_scope scope, void *into, const void *from) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (f[i].dist_state_merge && f[i].dist_state_merge(into, from)) rc = -1;
    return rc;
}

static const char *const DIST_STATE_NAMES[] = {
    [FIGURE_SUM] = "sum",        [FIGURE_MAX] = "max",          [FIGURE_MIN] = "min",
    [FIGURE_HIST] = "histogram", [FIGURE_BITMAP] = "bitmap-or", [FIGURE_UNION] = "set-union",
    [FIGURE_DERIVED] = "derived"};

static const char *role_note(const figure *f);

static void help_list(FILE *out, figure_scope scope, const char *title) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    fprintf(out, "%s\n", title);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-22s %-9s %-10s %s%s\n", f[i].name, f[i].unit[0] ? f[i].unit : "-",
                DIST_STATE_NAMES[f[i].merge], f[i].how, role_note(&f[i]));
}

void figures_help(FILE *out) {
    fputs("Figures of a run: NDJSON keys, threshold metrics and fields of the Lua objects.\n"
          "Columns: name, unit, how two workers' values merge, how it is computed.\n\n",
          out);
    help_list(out, FIGURES_IN_SUMMARY, "summary (threshold: NAME):");
    help_list(out, FIGURES_IN_BATCH,
              "\nbatch (threshold: produce_batch.NAME / consume_batch.NAME, every batch):");
    help_list(out, FIGURES_IN_PHASE, "\nphase (threshold: PHASE.NAME):");
    help_list(
        out, FIGURES_IN_BROKER,
        "\nbroker (each entry of \"brokers\" on batches and the summary, with its id and\n"
        "host:port; a batch's: the client's last 1 s statistics window):");
    size_t n;
    const figure_stat *st = figures_latency_stats(&n);
    fputs("\nlatency_ms statistics (milliseconds; threshold: latency_ms.STAT, also "
          "latency_ms.p(N)):\n ",
          out);
    for (size_t i = 0; i < n; i++) fprintf(out, " %s", st[i].name);
    fputc('\n', out);
}

/* The role a batch figure is limited to, as help says it after the how. */
static const char *role_note(const figure *f) {
    return f->roles == FIGURE_PRODUCE   ? " (produce batches)"
           : f->roles == FIGURE_CONSUME ? " (consume batches)"
                                        : "";
}

void figures_markdown(FILE *out) {
    static const char *const head[] = {"of", "figure", "unit", "merge", "how it is computed"};
    static const struct {
        figure_scope scope;
        const char *name;
    } scopes[] = {{FIGURES_IN_SUMMARY, "summary"},
                  {FIGURES_IN_BATCH, "batch"},
                  {FIGURES_IN_PHASE, "phase"},
                  {FIGURES_IN_BROKER, "broker"}};
    markdown_header(out, head, 5);
    for (size_t s = 0; s < sizeof scopes / sizeof scopes[0]; s++) {
        size_t n;
        const figure *f = figures_list(scopes[s].scope, &n);
        for (size_t i = 0; i < n; i++) {
            char name[80], how[512];
            snprintf(name, sizeof name, "`%s`", f[i].name);
            snprintf(how, sizeof how, "%s%s", f[i].how, role_note(&f[i]));
            const char *cells[] = {scopes[s].name, name, f[i].unit[0] ? f[i].unit : "-",
                                   DIST_STATE_NAMES[f[i].merge], how};
            markdown_row(out, cells, 5);
        }
    }
    /* the latency statistics: one row */
    size_t n, used = 0;
    const figure_stat *st = figures_latency_stats(&n);
    char stats[256] = "";
    for (size_t i = 0; i < n && used < sizeof stats; i++)
        used += (size_t)snprintf(stats + used, sizeof stats - used, "%s`%s`", i ? ", " : "",
                                 st[i].name);
    const char *cells[] = {"latency_ms", stats, "ms", DIST_STATE_NAMES[FIGURE_HIST],
                           "statistics of a latency histogram (also `p(N)`)"};
    markdown_row(out, cells, 5);
}
