/*
 * runfile: NDJSON events back into runs. Each line is parsed by ndjson into
 * a flat list of (path, value) leaves, then the event's type decides what is
 * kept: a batch's figures, the summary's numbers, thresholds and phases, the
 * run event's identity strings.
 */
#include "runfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "ndjson.h"

#define MAX_TOP_WORDS 1000 /* distinct words kept for the run's top-word table */

typedef struct {
    char *path;
    ndjson_kind kind;
    double num;
    char *str;
} leaf;

typedef struct {
    leaf *v;
    size_t n, cap;
    bool oom;
} leaves;

static int collect(void *ud, const char *path, ndjson_kind kind, double num, const char *str,
                   size_t len) {
    leaves *ls = ud;
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 64;
        leaf *n = realloc(ls->v, cap * sizeof *n);
        if (!n) return ls->oom = true, 1;
        ls->v = n;
        ls->cap = cap;
    }
    leaf *l = &ls->v[ls->n];
    l->path = strdup(path);
    l->str = str ? strndup(str, len) : NULL;
    l->kind = kind;
    l->num = num;
    if (!l->path || (str && !l->str)) {
        free(l->path);
        free(l->str);
        return ls->oom = true, 1;
    }
    ls->n++;
    return 0;
}

static void leaves_free(leaves *ls) {
    for (size_t i = 0; i < ls->n; i++) {
        free(ls->v[i].path);
        free(ls->v[i].str);
    }
    free(ls->v);
}

static const leaf *find(const leaves *ls, const char *path) {
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->v[i].path, path)) return &ls->v[i];
    return NULL;
}

static double num_of(const leaves *ls, const char *path, double dflt) {
    const leaf *l = find(ls, path);
    return l && l->kind == NDJSON_NUMBER ? l->num : dflt;
}

/* The run events are being added to: the last one, unless it is complete. */
static runfile_run *open_run(runfile *r) {
    if (r->nruns && !r->runs[r->nruns - 1].complete) return &r->runs[r->nruns - 1];
    runfile_run *n = realloc(r->runs, (r->nruns + 1) * sizeof *n);
    if (!n) return NULL;
    r->runs = n;
    memset(&r->runs[r->nruns], 0, sizeof *r->runs);
    return &r->runs[r->nruns++];
}

static int phase_index(runfile_run *run, const char *name) {
    for (size_t i = 0; i < run->nphases; i++)
        if (!strcmp(run->phases[i], name)) return (int)i;
    char **n = realloc(run->phases, (run->nphases + 1) * sizeof *n);
    if (!n) return -2;
    run->phases = n;
    if (!(run->phases[run->nphases] = strdup(name))) return -2;
    return (int)run->nphases++;
}

static int add_top_word(runfile_run *run, const char *word, uint64_t count) {
    for (size_t i = 0; i < run->ntop; i++)
        if (!strcmp(run->top[i].word, word)) {
            run->top[i].count += count;
            return 0;
        }
    if (run->ntop >= MAX_TOP_WORDS) return 0;
    runfile_word *n = realloc(run->top, (run->ntop + 1) * sizeof *n);
    if (!n) return -1;
    run->top = n;
    if (!(run->top[run->ntop].word = strdup(word))) return -1;
    run->top[run->ntop++].count = count;
    return 0;
}

/* The batch keys: figures.h's batch figures, latency statistics spelled out. */
static char batch_keys[RUNFILE_BATCH_MAX][48];
static size_t nbatch_keys;

static void init_batch_keys(void) {
    if (nbatch_keys) return;
    size_t n, ns;
    const figure *f = figures_list(FIGURES_IN_BATCH, &n);
    const figure_stat *st = figures_latency_stats(&ns);
    for (size_t i = 0; i < n; i++) {
        if (f[i].type != FIGURE_LATENCY) {
            if (nbatch_keys < RUNFILE_BATCH_MAX)
                snprintf(batch_keys[nbatch_keys++], sizeof batch_keys[0], "%s", f[i].name);
            continue;
        }
        for (size_t k = 0; k < ns && nbatch_keys < RUNFILE_BATCH_MAX; k++)
            snprintf(batch_keys[nbatch_keys++], sizeof batch_keys[0], "%s.%s", f[i].name,
                     st[k].name);
    }
}

const char *runfile_batch_key(size_t i) {
    init_batch_keys();
    return i < nbatch_keys ? batch_keys[i] : NULL;
}

/* The run's broker of id `id` (added, named `name`, when new): its index,
 * or -1 on OOM. */
static long broker_index(runfile_run *run, int id, const char *name) {
    for (size_t i = 0; i < run->nbrokers; i++)
        if (run->brokers[i].id == id) return (long)i;
    runfile_broker *n = realloc(run->brokers, (run->nbrokers + 1) * sizeof *n);
    if (!n) return -1;
    run->brokers = n;
    runfile_broker *b = &run->brokers[run->nbrokers];
    memset(b, 0, sizeof *b);
    b->id = id;
    if (!(b->name = strdup(name ? name : ""))) return -1;
    return (long)run->nbrokers++;
}

/* An event's "brokers":[{"id","name",figures...}] into *out (malloc'd, one
 * per entry with an id). 0, or -1 on OOM. */
static int read_brokers(runfile_run *run, const leaves *ls, runfile_broker_values **out,
                        size_t *nout) {
    *out = NULL;
    *nout = 0;
    size_t nf;
    const figure *f = figures_list(FIGURES_IN_BROKER, &nf);
    for (unsigned i = 0;; i++) {
        char key[96];
        snprintf(key, sizeof key, "brokers.%u.id", i);
        const leaf *id = find(ls, key);
        if (!id || id->kind != NDJSON_NUMBER) break;
        snprintf(key, sizeof key, "brokers.%u.name", i);
        const leaf *name = find(ls, key);
        long bi = broker_index(run, (int)id->num,
                               name && name->kind == NDJSON_STRING ? name->str : "");
        runfile_broker_values *n = realloc(*out, (*nout + 1) * sizeof *n);
        if (bi < 0 || !n) {
            if (n) *out = n;
            return -1;
        }
        *out = n;
        runfile_broker_values *bv = &n[(*nout)++];
        bv->broker = (size_t)bi;
        for (size_t k = 0; k < nf && k < FIGURES_BROKER_N; k++) {
            snprintf(key, sizeof key, "brokers.%u.%s", i, f[k].name);
            bv->v[k] = num_of(ls, key, NAN);
        }
    }
    return 0;
}

static int add_batch(runfile_run *run, run_role role, const leaves *ls) {
    if (run->nbatches == run->capbatches) {
        size_t cap = run->capbatches ? run->capbatches * 2 : 64;
        runfile_batch *n = realloc(run->batches, cap * sizeof *n);
        if (!n) return -1;
        run->batches = n;
        run->capbatches = cap;
    }
    init_batch_keys();
    runfile_batch *b = &run->batches[run->nbatches];
    b->role = role;
    b->worker = (int)num_of(ls, "worker", -1) + 1;
    if (b->worker > run->workers) run->workers = b->worker;
    b->brokers = NULL;
    b->nbrokers = 0;
    b->elapsed = num_of(ls, "elapsed", -1);
    b->seconds = num_of(ls, "seconds", 0);
    b->phase = -1;
    for (size_t i = 0; i < RUNFILE_BATCH_MAX; i++)
        b->v[i] = i < nbatch_keys ? num_of(ls, batch_keys[i], NAN) : NAN;
    const leaf *ph = find(ls, "phase");
    if (ph && ph->kind == NDJSON_STRING && (b->phase = phase_index(run, ph->str)) < -1)
        return -1;
    /* top_words.I.0 is the word, top_words.I.1 its count */
    for (size_t i = 0; i < ls->n; i++) {
        const leaf *w = &ls->v[i];
        if (strncmp(w->path, "top_words.", 10) || w->kind != NDJSON_STRING) continue;
        if (i + 1 < ls->n && ls->v[i + 1].kind == NDJSON_NUMBER &&
            add_top_word(run, w->str, (uint64_t)ls->v[i + 1].num))
            return -1;
    }
    run->nbatches++; /* now its brokers are freed with the run */
    return read_brokers(run, ls, &b->brokers, &b->nbrokers);
}

static char *dup_or_empty(const leaf *l) {
    return strdup(l && l->kind == NDJSON_STRING ? l->str : "");
}

static int add_summary(runfile_run *run, const leaves *ls) {
    run->name = dup_or_empty(find(ls, "name"));
    run->error = dup_or_empty(find(ls, "error"));
    if (!run->name || !run->error) return -1;
    run->figures = calloc(ls->n ? ls->n : 1, sizeof *run->figures);
    run->thresholds = calloc(ls->n ? ls->n : 1, sizeof *run->thresholds);
    run->sphases = calloc(ls->n ? ls->n : 1, sizeof *run->sphases);
    if (!run->figures || !run->thresholds || !run->sphases) return -1;
    for (size_t i = 0; i < ls->n; i++) {
        const leaf *l = &ls->v[i];
        unsigned idx;
        int off = 0;
        if (sscanf(l->path, "thresholds.%u.%n", &idx, &off) == 1 && off > 0) {
            if (idx >= ls->n) continue;
            if (idx + 1 > run->nthresholds) run->nthresholds = idx + 1;
            runfile_threshold *t = &run->thresholds[idx];
            const char *f = l->path + off;
            if (!strcmp(f, "metric") && l->str)
                t->metric = strdup(l->str);
            else if (!strcmp(f, "condition") && l->str)
                t->condition = strdup(l->str);
            else if (!strcmp(f, "actual"))
                t->actual = l->num;
            else if (!strcmp(f, "pass"))
                t->pass = l->num != 0;
            else if (!strcmp(f, "aborted"))
                t->aborted = l->num != 0;
            continue;
        }
        if (sscanf(l->path, "phases.%u.%n", &idx, &off) == 1 && off > 0) {
            if (idx >= ls->n) continue;
            if (idx + 1 > run->nsphases) run->nsphases = idx + 1;
            runfile_phase *ph = &run->sphases[idx];
            const char *f = l->path + off;
            static const struct {
                const char *key;
                size_t off;
            } pf[] = {{"sent", offsetof(runfile_phase, sent)},
                      {"seconds", offsetof(runfile_phase, seconds)},
                      {"msgs_per_sec", offsetof(runfile_phase, msgs_per_sec)},
                      {"target_rate", offsetof(runfile_phase, target_rate)},
                      {"consumed", offsetof(runfile_phase, consumed)},
                      {"latency_ms.p50", offsetof(runfile_phase, p50)},
                      {"latency_ms.p99", offsetof(runfile_phase, p99)},
                      {"latency_ms.max", offsetof(runfile_phase, max)}};
            if (!strcmp(f, "name") && l->str) {
                if (!(ph->name = strdup(l->str)) || phase_index(run, l->str) < -1) return -1;
            } else if (l->kind == NDJSON_NUMBER) {
                for (size_t k = 0; k < sizeof pf / sizeof pf[0]; k++)
                    if (!strcmp(f, pf[k].key)) *(double *)((char *)ph + pf[k].off) = l->num;
            }
            continue;
        }
        if (l->kind != NDJSON_NUMBER) continue;
        runfile_figure *fg = &run->figures[run->nfigures];
        if (!(fg->key = strdup(l->path))) return -1;
        fg->value = l->num;
        run->nfigures++;
    }
    runfile_broker_values *bv;
    size_t nbv;
    if (read_brokers(run, ls, &bv, &nbv)) {
        free(bv);
        return -1;
    }
    for (size_t i = 0; i < nbv; i++) {
        runfile_broker *b = &run->brokers[bv[i].broker];
        b->in_summary = true;
        memcpy(b->v, bv[i].v, sizeof b->v);
    }
    free(bv);
    for (size_t i = 0; i < run->nthresholds; i++)
        if (!run->thresholds[i].metric || !run->thresholds[i].condition) return -2;
    for (size_t i = 0; i < run->nsphases; i++)
        if (!run->sphases[i].name) return -3;
    run->complete = true;
    return 0;
}

static int add_info(runfile_run *run, const leaves *ls) {
    runfile_info *n = realloc(run->info, (run->ninfo + ls->n) * sizeof *n);
    if (!n) return -1;
    run->info = n;
    for (size_t i = 0; i < ls->n; i++) {
        const leaf *l = &ls->v[i];
        if (!strcmp(l->path, "type")) continue;
        char num[64];
        if (l->kind == NDJSON_NUMBER)
            snprintf(num, sizeof num, "%.15g", l->num);
        else if (l->kind == NDJSON_BOOL)
            snprintf(num, sizeof num, "%s", l->num ? "true" : "false");
        else if (l->kind == NDJSON_NULL)
            snprintf(num, sizeof num, "null");
        runfile_info *in = &run->info[run->ninfo];
        in->key = strdup(l->path);
        in->value = strdup(l->kind == NDJSON_STRING ? l->str : num);
        if (!in->key || !in->value) {
            free(in->key);
            free(in->value);
            return -1;
        }
        run->ninfo++;
    }
    return 0;
}

int runfile_add_line(runfile *r, const char *line, char *err, size_t errlen) {
    const char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (!*p) return 0;
    leaves ls = {0};
    char perr[256];
    int rc = ndjson_parse(line, collect, &ls, perr, sizeof perr);
    if (rc) {
        if (ls.oom)
            snprintf(err, errlen, "out of memory");
        else
            snprintf(err, errlen, "not kengine NDJSON: %s", perr);
        leaves_free(&ls);
        return -1;
    }
    const leaf *type = find(&ls, "type");
    if (!type || type->kind != NDJSON_STRING) {
        snprintf(err, errlen, "not kengine NDJSON: an event without a \"type\"");
        leaves_free(&ls);
        return -1;
    }
    const char *t = type->str;
    bool known = !strcmp(t, "produce_batch") || !strcmp(t, "consume_batch") ||
                 !strcmp(t, "summary") || !strcmp(t, "run");
    if (!known) {
        leaves_free(&ls);
        return 0;
    }
    runfile_run *run = open_run(r);
    rc = -1;
    if (run) {
        if (!strcmp(t, "produce_batch"))
            rc = add_batch(run, RUN_PRODUCE, &ls);
        else if (!strcmp(t, "consume_batch"))
            rc = add_batch(run, RUN_CONSUME, &ls);
        else if (!strcmp(t, "summary"))
            rc = add_summary(run, &ls);
        else
            rc = add_info(run, &ls);
    }
    leaves_free(&ls);
    if (rc == -2)
        snprintf(err, errlen, "not kengine NDJSON: a threshold without metric or condition");
    else if (rc == -3)
        snprintf(err, errlen, "not kengine NDJSON: a phase without a name");
    else if (rc)
        snprintf(err, errlen, "out of memory");
    return rc ? -1 : 0;
}

int runfile_read(runfile *r, const char *path, char *err, size_t errlen) {
    bool in = !strcmp(path, "-");
    FILE *f = in ? stdin : fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    char lerr[512];
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (runfile_add_line(r, line, lerr, sizeof lerr)) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, lerr);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    if (!in) fclose(f);
    if (rc == 0 && (!r->nruns || !r->runs[0].complete)) {
        snprintf(err, errlen, "%s: %s", path,
                 lineno ? "no summary event (a run that did not finish?)"
                        : "empty file (expected kengine NDJSON from --json)");
        rc = -1;
    }
    return rc;
}

void runfile_free(runfile *r) {
    for (size_t i = 0; i < r->nruns; i++) {
        runfile_run *run = &r->runs[i];
        free(run->name);
        free(run->error);
        for (size_t k = 0; k < run->ninfo; k++) {
            free(run->info[k].key);
            free(run->info[k].value);
        }
        free(run->info);
        for (size_t k = 0; k < run->nbatches; k++) free(run->batches[k].brokers);
        free(run->batches);
        for (size_t k = 0; k < run->nbrokers; k++) free(run->brokers[k].name);
        free(run->brokers);
        for (size_t k = 0; k < run->nfigures; k++) free(run->figures[k].key);
        free(run->figures);
        for (size_t k = 0; k < run->nthresholds; k++) {
            free(run->thresholds[k].metric);
            free(run->thresholds[k].condition);
        }
        free(run->thresholds);
        for (size_t k = 0; k < run->nsphases; k++) free(run->sphases[k].name);
        free(run->sphases);
        for (size_t k = 0; k < run->nphases; k++) free(run->phases[k]);
        free(run->phases);
        for (size_t k = 0; k < run->ntop; k++) free(run->top[k].word);
        free(run->top);
    }
    free(r->runs);
    memset(r, 0, sizeof *r);
}

int runfile_figure_get(const runfile_run *run, const char *name, double *v) {
    for (size_t i = 0; i < run->nfigures; i++)
        if (!strcmp(run->figures[i].key, name)) {
            *v = run->figures[i].value;
            return 0;
        }
    return -1;
}

int runfile_lookup(const void *run, const char *name, double *v) {
    return runfile_figure_get(run, name, v);
}

int runfile_batch_value(const runfile_batch *b, const char *field, double *v) {
    init_batch_keys();
    for (size_t i = 0; i < nbatch_keys; i++)
        if (!strcmp(field, batch_keys[i])) {
            if (isnan(b->v[i])) return -1;
            *v = b->v[i];
            return 0;
        }
    return -1;
}

size_t runfile_samples(const runfile_run *run, int role, const char *field, double **out) {
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < run->nbatches; i++)
        n += role < 0 || (int)run->batches[i].role == role;
    if (!n || !(*out = malloc(n * sizeof **out))) return 0;
    size_t k = 0;
    for (size_t i = 0; i < run->nbatches; i++) {
        const runfile_batch *b = &run->batches[i];
        if (role >= 0 && (int)b->role != role) continue;
        if (runfile_batch_value(b, field, &(*out)[k]) == 0) k++;
    }
    if (!k) {
        free(*out);
        *out = NULL;
    }
    return k;
}

const char *runfile_info_get(const runfile_run *run, const char *key) {
    for (size_t i = 0; i < run->ninfo; i++)
        if (!strcmp(run->info[i].key, key)) return run->info[i].value;
    return NULL;
}
