/*
 * state: a worker's state, its portable encoding, and the exact merge.
 * See state.h. The only file that uses CRoaring.
 *
 * Why CRoaring (Debian's libroaring-dev) rather than a bitmap of our own:
 * a worker's seen set is runs of sequence numbers (a partition's share of
 * each producer batch), its sent set a few ranges, its failed set usually
 * empty; roaring picks per 64Ki block an array, a bitmap or runs, so each
 * costs what its shape needs (a run is a few bytes where a plain bitmap
 * takes a bit per record; sizes in BENCHMARKS.md, "Workers"), ORs and
 * counts without decoding, and its
 * portable format is documented and read by the Java, Go and Python
 * implementations, so a run's states can be examined with other tools. Its
 * cost: one more package, and 32-bit values (2^32 - 1 records per run).
 */
#include "state.h"
#include "stats_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "figures.h"

/* 2: the brokers' figures follow the thresholds (a version 1 state, which
 * has none, still reads) */
#define STATE_VERSION 2

struct dist_state {
    dist_state_meta meta;
    run_summary sum; /* stored figures; name, mode, phases' names owned below */
    char *name, *mode;
    char **phase_names;        /* sum.nphases of them */
    int merged;                /* workers merged into this state (dist_state_merge) */
    roaring_bitmap_t *sets[3]; /* DIST_STATE_SEEN, DIST_STATE_SENT, DIST_STATE_FAILED */
    words_set *words;          /* exact distinct words, or NULL once sketched */
    words_hll *hll;            /* the sketch, or NULL while exact */
    dist_state_threshold *ts;
    size_t nts;
};

static char *dup_str(const char *s) { return strdup(s ? s : ""); }

/* Copies every stored figure of one object of `scope` (histograms dup'd;
 * a histogram already in dst is freed). 0 or -1 OOM. */
static int copy_figures(figure_scope scope, void *dst, const void *src) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].set) continue;
        figure_value v = f[i].get(src);
        if (f[i].type == FIGURE_LATENCY) {
            stats_hist_free((stats_hist *)f[i].get(dst).h);
            v.h = v.h ? stats_hist_dup(v.h) : NULL;
            if (f[i].get(src).h && !v.h) rc = -1;
        }
        f[i].set(dst, v);
    }
    return rc;
}

/* Frees the histograms of one object's LATENCY figures. */
static void free_figures(figure_scope scope, void *obj) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    for (size_t i = 0; i < n; i++)
        if (f[i].set && f[i].type == FIGURE_LATENCY) {
            stats_hist_free((stats_hist *)f[i].get(obj).h);
            f[i].set(obj, (figure_value){0});
        }
}

static void free_sum(dist_state *m) {
    free_figures(FIGURES_IN_SUMMARY, &m->sum);
    for (size_t i = 0; i < m->sum.nphases; i++) {
        free_figures(FIGURES_IN_PHASE, &m->sum.phases[i]);
        free(m->phase_names[i]);
    }
    free(m->sum.phases);
    free(m->phase_names);
    m->phase_names = NULL;
    free(m->sum.brokers);
    memset(&m->sum, 0, sizeof m->sum);
}

/* Merges `n` brokers into the state's, an entry per broker id (a new id
 * is added; a known one merged by figures.h's broker rules). 0 or -1 OOM. */
static int merge_brokers(dist_state *m, const run_broker *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < m->sum.nbrokers && m->sum.brokers[k].id != b[i].id) k++;
        if (k < m->sum.nbrokers) {
            if (figures_merge(FIGURES_IN_BROKER, &m->sum.brokers[k], &b[i])) return -1;
            continue;
        }
        run_broker *nb = realloc(m->sum.brokers, (k + 1) * sizeof *nb);
        if (!nb) return -1;
        m->sum.brokers = nb;
        nb[k] = b[i];
        m->sum.nbrokers++;
    }
    return 0;
}

dist_state *dist_state_new(void) {
    dist_state *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->words = words_set_new_distinct(); /* distinct words only */
    m->name = dup_str(NULL);
    m->mode = dup_str("async");
    bool ok = m->words && m->name && m->mode;
    for (int i = 0; i < 3; i++) ok &= (m->sets[i] = roaring_bitmap_create()) != NULL;
    if (!ok) {
        dist_state_free(m);
        return NULL;
    }
    return m;
}

void dist_state_free(dist_state *m) {
    if (!m) return;
    free_sum(m);
    for (int i = 0; i < 3; i++)
        if (m->sets[i]) roaring_bitmap_free(m->sets[i]);
    words_set_free(m->words);
    free(m->hll);
    for (size_t i = 0; i < m->nts; i++) {
        free(m->ts[i].metric);
        free(m->ts[i].condition);
    }
    free(m->ts);
    free(m->name);
    free(m->mode);
    free(m);
}

dist_state_meta *dist_state_meta_of(dist_state *m) { return &m->meta; }
const dist_state_meta *dist_state_meta_get(const dist_state *m) { return &m->meta; }
const run_summary *dist_state_figures(const dist_state *m) { return &m->sum; }

/* Appends a phase named `name` with the figures of `src` (NULL: none). */
static int add_phase(dist_state *m, const char *name, const run_phase *src) {
    size_t n = m->sum.nphases;
    run_phase *ph = realloc(m->sum.phases, (n + 1) * sizeof *ph);
    if (ph) m->sum.phases = ph;
    char **names = realloc(m->phase_names, (n + 1) * sizeof *names);
    if (names) m->phase_names = names;
    if (!ph || !names || !(names[n] = dup_str(name))) return -1;
    memset(&ph[n], 0, sizeof ph[n]);
    ph[n].name = names[n];
    m->sum.nphases++;
    return src ? copy_figures(FIGURES_IN_PHASE, &ph[n], src) : 0;
}

int dist_state_set_summary(dist_state *m, const run_summary *s) {
    free_sum(m);
    char *name = dup_str(s->name), *mode = dup_str(s->mode ? s->mode : "async");
    if (!name || !mode) {
        free(name);
        free(mode);
        return -1;
    }
    free(m->name);
    free(m->mode);
    m->name = name;
    m->mode = mode;
    int rc = copy_figures(FIGURES_IN_SUMMARY, &m->sum, s);
    m->sum.name = m->name;
    m->sum.mode = m->mode;
    snprintf(m->sum.error, sizeof m->sum.error, "%s", s->error);
    for (size_t i = 0; rc == 0 && i < s->nphases; i++)
        rc = add_phase(m, s->phases[i].name, &s->phases[i]);
    if (rc == 0) rc = merge_brokers(m, s->brokers, s->nbrokers);
    return rc;
}

void dist_state_mark_word(dist_state *m, dist_state_set which, uint64_t first, uint64_t word) {
    if (!word) return;
    if (word == UINT64_MAX) {
        dist_state_mark_range(m, which, first, first + 64);
        return;
    }
    while (word) {
        uint64_t v = first + (uint64_t)__builtin_ctzll(word);
        if (v <= UINT32_MAX) roaring_bitmap_add(m->sets[which], (uint32_t)v);
        word &= word - 1;
    }
}

void dist_state_mark_range(dist_state *m, dist_state_set which, uint64_t lo, uint64_t hi) {
    if (hi > (uint64_t)UINT32_MAX + 1) hi = (uint64_t)UINT32_MAX + 1;
    if (lo < hi) roaring_bitmap_add_range(m->sets[which], lo, hi);
}

/* Turns the exact set into a sketch (when the union grows too large). */
static int to_sketch(dist_state *m) {
    if (m->hll) return 0;
    if (!(m->hll = malloc(sizeof *m->hll))) return -1;
    words_hll_clear(m->hll);
    words_hll_add_set(m->hll, m->words);
    words_set_clear(m->words);
    return 0;
}

int dist_state_add_words(dist_state *m, const words_set *set) {
    if (!m->hll && words_set_size(m->words) + words_set_size(set) > DIST_STATE_EXACT_WORDS &&
        to_sketch(m))
        return -1;
    if (m->hll) {
        words_hll_add_set(m->hll, set);
        return 0;
    }
    if (words_set_merge(m->words, set)) return -1;
    if (words_set_size(m->words) > DIST_STATE_EXACT_WORDS) return to_sketch(m);
    return 0;
}

int dist_state_add_threshold(dist_state *m, const threshold *t) {
    dist_state_threshold *ts = realloc(m->ts, (m->nts + 1) * sizeof *ts);
    if (!ts) return -1;
    m->ts = ts;
    dist_state_threshold *x = &ts[m->nts];
    *x = (dist_state_threshold){.metric = dup_str(t->metric),
                                .condition = dup_str(t->condition),
                                .abort = t->abort,
                                .op = (int)t->op,
                                .evaluated = t->evaluated,
                                .failed = t->failed,
                                .aborted = t->aborted,
                                .actual = t->actual};
    if (!x->metric || !x->condition) {
        free(x->metric);
        free(x->condition);
        return -1;
    }
    m->nts++;
    return 0;
}

bool dist_state_words_estimated(const dist_state *m) { return m->hll != NULL; }

size_t dist_state_thresholds(const dist_state *m, const dist_state_threshold **out) {
    *out = m->ts;
    return m->nts;
}

/* ---- encoding ---- */

static void put_int(codec_buf *b, int64_t v) { codec_put_u64(b, (uint64_t)v); }
static int64_t get_int(codec_rd *r) { return (int64_t)codec_get_u64(r); }
static void put_s(codec_buf *b, const char *s) { codec_put_str(b, s, strlen(s)); }

static char *get_s(codec_rd *r) {
    size_t n;
    const char *s = codec_get_str(r, &n);
    if (!s) return NULL;
    char *c = malloc(n + 1);
    if (!c) {
        r->bad = true;
        return NULL;
    }
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static void put_bitmap(codec_buf *b, roaring_bitmap_t *bm) {
    roaring_bitmap_run_optimize(bm);
    size_t n = roaring_bitmap_portable_size_in_bytes(bm);
    char *tmp = malloc(n ? n : 1);
    if (!tmp) {
        b->oom = true;
        return;
    }
    size_t w = roaring_bitmap_portable_serialize(bm, tmp);
    codec_put_str(b, tmp, w);
    free(tmp);
}

typedef struct {
    codec_buf *b;
} words_out;

static void put_word(const char *w, size_t len, uint64_t count, void *ud) {
    (void)count;
    codec_put_str(((words_out *)ud)->b, w, len);
}

/* One object's stored figures, by name: a reader with another table skips
 * what it does not know. */
static void put_figures(codec_buf *b, figure_scope scope, const void *obj) {
    size_t n, stored = 0;
    const figure *f = figures_list(scope, &n);
    for (size_t i = 0; i < n; i++) stored += f[i].set != NULL;
    codec_put_varint(b, stored);
    for (size_t i = 0; i < n; i++) {
        if (!f[i].set) continue;
        figure_value v = f[i].get(obj);
        put_s(b, f[i].name);
        codec_put_varint(b, (uint64_t)f[i].type);
        if (f[i].type == FIGURE_COUNT) {
            codec_put_varint(b, (uint64_t)v.v);
        } else if (f[i].type == FIGURE_REAL) {
            codec_put_double(b, v.v);
        } else {
            codec_put_varint(b, v.h != NULL);
            if (v.h) stats_hist_encode(v.h, b);
        }
    }
}

static void get_figures(codec_rd *r, figure_scope scope, void *obj) {
    uint64_t n = codec_get_varint(r);
    if (n > 1000) r->bad = true;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        char *name = get_s(r);
        uint64_t type = codec_get_varint(r);
        figure_value v = {0};
        stats_hist *h = NULL;
        if (type == FIGURE_COUNT) {
            v.v = (double)codec_get_varint(r);
        } else if (type == FIGURE_REAL) {
            v.v = codec_get_double(r);
        } else if (type == FIGURE_LATENCY) {
            if (codec_get_varint(r) && (!(h = stats_hist_new()) || stats_hist_decode(h, r)))
                r->bad = true;
            v.h = h;
        } else {
            r->bad = true;
        }
        const figure *f = name && !r->bad ? figures_find(scope, FIGURE_ANY, name) : NULL;
        if (f && f->set && f->type == (figure_type)type) {
            if (f->type == FIGURE_LATENCY) stats_hist_free((stats_hist *)f->get(obj).h);
            f->set(obj, v);
            h = NULL; /* handed over */
        }
        stats_hist_free(h);
        free(name);
    }
}

void dist_state_encode(const dist_state *m, codec_buf *b) {
    const dist_state_meta *mm = &m->meta;
    codec_put_varint(b, STATE_VERSION);
    codec_put_varint(b, (uint64_t)mm->worker);
    codec_put_varint(b, (uint64_t)mm->workers);
    codec_put_varint(b, (uint64_t)mm->produced | (uint64_t)mm->consumed_run << 1 |
                            (uint64_t)mm->stopped << 2);
    codec_put_varint(b, mm->unsequenced);
    put_int(b, mm->exit_code);
    put_s(b, m->name);
    put_s(b, m->mode);
    put_s(b, m->sum.error);
    put_figures(b, FIGURES_IN_SUMMARY, &m->sum);
    codec_put_varint(b, m->sum.nphases);
    for (size_t i = 0; i < m->sum.nphases; i++) {
        put_s(b, m->sum.phases[i].name);
        put_figures(b, FIGURES_IN_PHASE, &m->sum.phases[i]);
    }
    for (int i = 0; i < 3; i++) put_bitmap(b, m->sets[i]);
    if (m->hll) {
        codec_put_varint(b, 1);
        codec_put_bytes(b, m->hll->reg, sizeof m->hll->reg);
    } else {
        codec_put_varint(b, 0);
        codec_put_varint(b, words_set_size(m->words));
        words_out wo = {b};
        words_set_foreach(m->words, put_word, &wo);
    }
    codec_put_varint(b, m->nts);
    for (size_t i = 0; i < m->nts; i++) {
        const dist_state_threshold *t = &m->ts[i];
        put_s(b, t->metric);
        put_s(b, t->condition);
        codec_put_varint(b, (uint64_t)t->op);
        codec_put_varint(b, (uint64_t)t->abort | (uint64_t)t->evaluated << 1 |
                                (uint64_t)t->failed << 2 | (uint64_t)t->aborted << 3);
        codec_put_double(b, t->actual);
    }
    codec_put_varint(b, m->sum.nbrokers);
    for (size_t i = 0; i < m->sum.nbrokers; i++) {
        put_int(b, m->sum.brokers[i].id);
        put_s(b, m->sum.brokers[i].name);
        put_figures(b, FIGURES_IN_BROKER, &m->sum.brokers[i]);
    }
}

dist_state *dist_state_decode(const void *buf, size_t len, char *err, size_t errlen) {
    codec_rd r = {.p = buf, .len = len};
    dist_state *m = dist_state_new();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    dist_state_meta *mm = &m->meta;
    uint64_t version = codec_get_varint(&r);
    if (version < 1 || version > STATE_VERSION) {
        snprintf(err, errlen, "final state of an unknown version");
        dist_state_free(m);
        return NULL;
    }
    mm->worker = (int)codec_get_varint(&r);
    mm->workers = (int)codec_get_varint(&r);
    uint64_t flags = codec_get_varint(&r);
    mm->produced = flags & 1;
    mm->consumed_run = flags & 2;
    mm->stopped = flags & 4;
    mm->unsequenced = codec_get_varint(&r);
    mm->exit_code = (int)get_int(&r);
    char *name = get_s(&r), *mode = get_s(&r), *error = get_s(&r);
    if (name && mode && error) {
        free(m->name);
        free(m->mode);
        m->name = name;
        m->mode = mode;
        name = mode = NULL;
        m->sum.name = m->name;
        m->sum.mode = m->mode;
        snprintf(m->sum.error, sizeof m->sum.error, "%s", error);
    } else {
        r.bad = true;
    }
    free(name);
    free(mode);
    free(error);
    if (!r.bad) get_figures(&r, FIGURES_IN_SUMMARY, &m->sum);
    uint64_t nph = codec_get_varint(&r);
    if (nph > 64) r.bad = true;
    for (uint64_t i = 0; i < nph && !r.bad; i++) {
        char *pname = get_s(&r);
        if (!pname || add_phase(m, pname, NULL))
            r.bad = true;
        else
            get_figures(&r, FIGURES_IN_PHASE, &m->sum.phases[m->sum.nphases - 1]);
        free(pname);
    }
    for (int i = 0; i < 3 && !r.bad; i++) {
        size_t n;
        const char *bytes = codec_get_str(&r, &n);
        roaring_bitmap_t *bm =
            bytes ? roaring_bitmap_portable_deserialize_safe(bytes, n) : NULL;
        if (!bm) {
            r.bad = true;
            break;
        }
        roaring_bitmap_free(m->sets[i]);
        m->sets[i] = bm;
    }
    uint64_t kind = codec_get_varint(&r);
    if (!r.bad && kind == 1) {
        const void *reg = codec_get_bytes(&r, sizeof m->hll->reg);
        if (reg && (m->hll = malloc(sizeof *m->hll)))
            memcpy(m->hll->reg, reg, sizeof m->hll->reg);
        else
            r.bad = true;
    } else if (!r.bad) {
        uint64_t n = codec_get_varint(&r);
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            size_t wl;
            const char *w = codec_get_str(&r, &wl);
            /* a word has no whitespace: scanning it adds exactly that word */
            if (!w || !wl || words_scan(m->words, w, wl) != 1) r.bad = true;
        }
    }
    uint64_t nts = codec_get_varint(&r);
    if (nts > 4096) r.bad = true;
    for (uint64_t i = 0; i < nts && !r.bad; i++) {
        threshold t = {0};
        t.metric = get_s(&r);
        t.condition = get_s(&r);
        t.op = (threshold_op)codec_get_varint(&r);
        uint64_t fl = codec_get_varint(&r);
        t.abort = fl & 1;
        t.evaluated = fl & 2;
        t.failed = fl & 4;
        t.aborted = fl & 8;
        t.actual = codec_get_double(&r);
        if (!t.metric || !t.condition || dist_state_add_threshold(m, &t)) r.bad = true;
        free(t.metric);
        free(t.condition);
    }
    uint64_t nb = version >= 2 ? codec_get_varint(&r) : 0;
    if (nb > RUN_BROKERS_MAX) r.bad = true;
    for (uint64_t i = 0; i < nb && !r.bad; i++) {
        run_broker b = {.id = (int32_t)get_int(&r)};
        char *bname = get_s(&r);
        if (!bname) {
            r.bad = true;
            break;
        }
        snprintf(b.name, sizeof b.name, "%s", bname);
        free(bname);
        get_figures(&r, FIGURES_IN_BROKER, &b);
        if (!r.bad && merge_brokers(m, &b, 1)) r.bad = true;
    }
    if (r.bad || r.pos != r.len) {
        snprintf(err, errlen, "malformed final state (%zu of %zu bytes read)", r.pos, len);
        dist_state_free(m);
        return NULL;
    }
    return m;
}

/* ---- merging ---- */

/* Is a further from passing than b under op? */
static bool worse(int op, double a, double b) {
    if (op == THRESHOLD_LT || op == THRESHOLD_LE) return a > b;
    if (op == THRESHOLD_GT || op == THRESHOLD_GE) return a < b;
    return false;
}

int dist_state_merge(dist_state *dst, const dist_state *src) {
    dist_state_meta *d = &dst->meta;
    const dist_state_meta *s = &src->meta;
    if (!dst->merged++) {
        /* the first worker's figures as they are */
        if (dist_state_set_summary(dst, &src->sum)) return -1;
        d->produced = s->produced;
        d->consumed_run = s->consumed_run;
        d->workers = s->workers;
    } else {
        /* every figure by its rule (figures.h) */
        if (figures_merge(FIGURES_IN_SUMMARY, &dst->sum, &src->sum)) return -1;
        for (size_t i = 0; i < src->sum.nphases; i++) {
            if (i >= dst->sum.nphases) {
                if (add_phase(dst, src->sum.phases[i].name, &src->sum.phases[i])) return -1;
            } else if (figures_merge(FIGURES_IN_PHASE, &dst->sum.phases[i],
                                     &src->sum.phases[i])) {
                return -1;
            }
        }
        if (!dst->sum.error[0])
            snprintf(dst->sum.error, sizeof dst->sum.error, "%s", src->sum.error);
        if (merge_brokers(dst, src->sum.brokers, src->sum.nbrokers)) return -1;
    }
    d->unsequenced += s->unsequenced;
    d->stopped |= s->stopped;
    if (s->exit_code && (!d->exit_code || (d->exit_code != 2 && s->exit_code == 2)))
        d->exit_code = s->exit_code;
    for (int i = 0; i < 3; i++) roaring_bitmap_or_inplace(dst->sets[i], src->sets[i]);
    if (src->hll) {
        if (to_sketch(dst)) return -1;
        words_hll_merge(dst->hll, src->hll);
    } else if (dist_state_add_words(dst, src->words)) {
        return -1;
    }
    for (size_t i = 0; i < src->nts; i++) {
        const dist_state_threshold *st = &src->ts[i];
        if (i >= dst->nts) {
            threshold t = {.metric = st->metric,
                           .condition = st->condition,
                           .op = (threshold_op)st->op,
                           .abort = st->abort,
                           .evaluated = st->evaluated,
                           .failed = st->failed,
                           .aborted = st->aborted,
                           .actual = st->actual};
            if (dist_state_add_threshold(dst, &t)) return -1;
            continue;
        }
        dist_state_threshold *dt = &dst->ts[i];
        if (!st->evaluated) continue;
        /* the first failure's value, else the worst */
        if (!dt->evaluated ||
            (!dt->failed && (st->failed || worse(st->op, st->actual, dt->actual))))
            dt->actual = st->actual;
        dt->evaluated = true;
        dt->failed |= st->failed;
        dt->aborted |= st->aborted;
    }
    return 0;
}

int dist_state_summary(const dist_state *m, run_summary *s) {
    const dist_state_meta *mm = &m->meta;
    memset(s, 0, sizeof *s);
    s->name = m->name;
    s->mode = m->mode;
    s->produced = mm->produced;
    s->consumed_run = mm->consumed_run;
    s->started = true;
    snprintf(s->error, sizeof s->error, "%s", m->sum.error);
    if (copy_figures(FIGURES_IN_SUMMARY, s, &m->sum)) return -1;
    if (m->sum.nbrokers) {
        if (!(s->brokers = malloc(m->sum.nbrokers * sizeof *s->brokers))) return -1;
        memcpy(s->brokers, m->sum.brokers, m->sum.nbrokers * sizeof *s->brokers);
        s->nbrokers = m->sum.nbrokers;
    }
    if (m->sum.nphases) {
        if (!(s->phases = calloc(m->sum.nphases, sizeof *s->phases))) return -1;
        for (size_t i = 0; i < m->sum.nphases; i++) {
            s->phases[i].name = m->sum.phases[i].name;
            s->nphases++;
            if (copy_figures(FIGURES_IN_PHASE, &s->phases[i], &m->sum.phases[i])) return -1;
        }
    }
    /* the BITMAP figures, from the OR of the workers' bitmaps */
    uint64_t distinct = roaring_bitmap_get_cardinality(m->sets[DIST_STATE_SEEN]);
    uint64_t missing;
    if (mm->produced) {
        /* sent, delivery not failed, never seen by any worker */
        roaring_bitmap_t *unseen =
            roaring_bitmap_andnot(m->sets[DIST_STATE_SENT], m->sets[DIST_STATE_SEEN]);
        if (!unseen) return -1;
        roaring_bitmap_andnot_inplace(unseen, m->sets[DIST_STATE_FAILED]);
        missing = roaring_bitmap_get_cardinality(unseen);
        roaring_bitmap_free(unseen);
    } else {
        missing = run_unfound(s->records, distinct + mm->unsequenced);
    }
    run_set_loss(s, missing, mm->stopped);
    uint64_t unique = distinct + mm->unsequenced;
    s->duplicates = s->consumed > unique ? s->consumed - unique : 0;
    /* the UNION figure, from the union of the workers' words */
    s->unique_words_total = m->hll ? words_hll_estimate(m->hll) : words_set_size(m->words);
    s->unique_words_estimated = m->hll != NULL;
    return 0;
}
