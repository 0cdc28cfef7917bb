/*
 * merge: a worker's state, its portable encoding, and the exact merge.
 * See merge.h. The only file that uses CRoaring.
 */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#define STATE_VERSION 1

struct merge_state {
    merge_figures f;
    stats_hist *latency;
    merge_phase *phases;
    size_t nphases;
    roaring_bitmap_t *sets[3];  /* MERGE_SEEN, MERGE_SENT, MERGE_FAILED */
    words_set *words;           /* exact distinct words, or NULL once sketched */
    words_hll *hll;             /* the sketch, or NULL while exact */
    merge_threshold *ts;
    size_t nts;
};

static char *dup_str(const char *s) { return strdup(s ? s : ""); }

merge_state *merge_state_new(void) {
    merge_state *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->latency = stats_hist_new();
    m->words = words_set_new();
    m->f.name = dup_str(NULL);
    m->f.mode = dup_str("async");
    m->f.error = dup_str(NULL);
    bool ok = m->latency && m->words && m->f.name && m->f.mode && m->f.error;
    for (int i = 0; i < 3; i++) ok &= (m->sets[i] = roaring_bitmap_create()) != NULL;
    if (!ok) {
        merge_state_free(m);
        return NULL;
    }
    return m;
}

void merge_state_free(merge_state *m) {
    if (!m) return;
    stats_hist_free(m->latency);
    for (size_t i = 0; i < m->nphases; i++) {
        free(m->phases[i].name);
        stats_hist_free(m->phases[i].latency);
    }
    free(m->phases);
    for (int i = 0; i < 3; i++)
        if (m->sets[i]) roaring_bitmap_free(m->sets[i]);
    words_set_free(m->words);
    free(m->hll);
    for (size_t i = 0; i < m->nts; i++) {
        free(m->ts[i].metric);
        free(m->ts[i].condition);
    }
    free(m->ts);
    free(m->f.name);
    free(m->f.mode);
    free(m->f.error);
    free(m);
}

merge_figures *merge_figures_of(merge_state *m) { return &m->f; }
const merge_figures *merge_figures_get(const merge_state *m) { return &m->f; }

int merge_set_strings(merge_state *m, const char *name, const char *mode, const char *error) {
    char *n = dup_str(name), *md = dup_str(mode), *e = dup_str(error);
    if (!n || !md || !e) {
        free(n);
        free(md);
        free(e);
        return -1;
    }
    free(m->f.name);
    free(m->f.mode);
    free(m->f.error);
    m->f.name = n;
    m->f.mode = md;
    m->f.error = e;
    return 0;
}

void merge_add_latency(merge_state *m, const stats_hist *h) {
    if (h) stats_hist_merge(m->latency, h);
}

int merge_add_phase(merge_state *m, const char *name, double target_rate, uint64_t sent,
                    uint64_t consumed, double seconds, const stats_hist *h) {
    merge_phase *p = realloc(m->phases, (m->nphases + 1) * sizeof *p);
    if (!p) return -1;
    m->phases = p;
    merge_phase *ph = &p[m->nphases];
    *ph = (merge_phase){.name = dup_str(name), .target_rate = target_rate, .sent = sent,
                        .consumed = consumed, .seconds = seconds,
                        .latency = stats_hist_new()};
    if (!ph->name || !ph->latency) {
        free(ph->name);
        stats_hist_free(ph->latency);
        return -1;
    }
    if (h) stats_hist_merge(ph->latency, h);
    m->nphases++;
    return 0;
}

void merge_mark_word(merge_state *m, merge_set which, uint64_t first, uint64_t word) {
    if (!word) return;
    if (word == UINT64_MAX) {
        merge_mark_range(m, which, first, first + 64);
        return;
    }
    while (word) {
        uint64_t v = first + (uint64_t)__builtin_ctzll(word);
        if (v <= UINT32_MAX) roaring_bitmap_add(m->sets[which], (uint32_t)v);
        word &= word - 1;
    }
}

void merge_mark_range(merge_state *m, merge_set which, uint64_t lo, uint64_t hi) {
    if (hi > (uint64_t)UINT32_MAX + 1) hi = (uint64_t)UINT32_MAX + 1;
    if (lo < hi) roaring_bitmap_add_range(m->sets[which], lo, hi);
}

/* Turns the exact set into a sketch (when the union grows too large). */
static int to_sketch(merge_state *m) {
    if (m->hll) return 0;
    if (!(m->hll = malloc(sizeof *m->hll))) return -1;
    words_hll_clear(m->hll);
    words_hll_add_set(m->hll, m->words);
    words_set_clear(m->words);
    return 0;
}

int merge_add_words(merge_state *m, const words_set *set) {
    if (!m->hll && words_set_size(m->words) + words_set_size(set) > MERGE_EXACT_WORDS &&
        to_sketch(m))
        return -1;
    if (m->hll) {
        words_hll_add_set(m->hll, set);
        return 0;
    }
    if (words_set_merge(m->words, set)) return -1;
    if (words_set_size(m->words) > MERGE_EXACT_WORDS) return to_sketch(m);
    return 0;
}

int merge_add_threshold(merge_state *m, const threshold *t) {
    merge_threshold *ts = realloc(m->ts, (m->nts + 1) * sizeof *ts);
    if (!ts) return -1;
    m->ts = ts;
    merge_threshold *x = &ts[m->nts];
    *x = (merge_threshold){.metric = dup_str(t->metric), .condition = dup_str(t->condition),
                           .abort = t->abort, .op = (int)t->op, .evaluated = t->evaluated,
                           .failed = t->failed, .aborted = t->aborted, .actual = t->actual};
    if (!x->metric || !x->condition) {
        free(x->metric);
        free(x->condition);
        return -1;
    }
    m->nts++;
    return 0;
}

bool merge_words_estimated(const merge_state *m) { return m->hll != NULL; }

size_t merge_thresholds(const merge_state *m, const merge_threshold **out) {
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

void merge_encode(const merge_state *m, codec_buf *b) {
    const merge_figures *f = &m->f;
    codec_put_varint(b, STATE_VERSION);
    codec_put_varint(b, (uint64_t)f->worker);
    codec_put_varint(b, (uint64_t)f->workers);
    put_s(b, f->name);
    put_s(b, f->mode);
    codec_put_varint(b, (uint64_t)f->produced | (uint64_t)f->consumed_run << 1 |
                            (uint64_t)f->stopped << 2);
    uint64_t counters[] = {f->records, f->sent, f->delivered, f->delivery_errors,
                           f->consumed, f->unsequenced, f->words, f->bytes,
                           f->csv_skipped, f->csv_padded};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        codec_put_varint(b, counters[i]);
    int64_t times[] = {f->produce_first_us, f->produce_last_us, f->consume_first_us,
                       f->consume_last_us, f->start_us, f->end_us};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) put_int(b, times[i]);
    codec_put_double(b, f->cpu_seconds);
    codec_put_double(b, f->peak_rss_mb);
    put_int(b, f->exit_code);
    put_s(b, f->error);
    stats_hist_encode(m->latency, b);
    codec_put_varint(b, m->nphases);
    for (size_t i = 0; i < m->nphases; i++) {
        const merge_phase *p = &m->phases[i];
        put_s(b, p->name);
        codec_put_double(b, p->target_rate);
        codec_put_varint(b, p->sent);
        codec_put_varint(b, p->consumed);
        codec_put_double(b, p->seconds);
        stats_hist_encode(p->latency, b);
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
        const merge_threshold *t = &m->ts[i];
        put_s(b, t->metric);
        put_s(b, t->condition);
        codec_put_varint(b, (uint64_t)t->op);
        codec_put_varint(b, (uint64_t)t->abort | (uint64_t)t->evaluated << 1 |
                                (uint64_t)t->failed << 2 | (uint64_t)t->aborted << 3);
        codec_put_double(b, t->actual);
    }
}

merge_state *merge_decode(const void *buf, size_t len, char *err, size_t errlen) {
    codec_rd r = {.p = buf, .len = len};
    merge_state *m = merge_state_new();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    merge_figures *f = &m->f;
    if (codec_get_varint(&r) != STATE_VERSION) {
        snprintf(err, errlen, "final state of an unknown version");
        merge_state_free(m);
        return NULL;
    }
    f->worker = (int)codec_get_varint(&r);
    f->workers = (int)codec_get_varint(&r);
    free(f->name);
    free(f->mode);
    free(f->error);
    f->name = get_s(&r);
    f->mode = get_s(&r);
    f->error = NULL;
    uint64_t flags = codec_get_varint(&r);
    f->produced = flags & 1;
    f->consumed_run = flags & 2;
    f->stopped = flags & 4;
    uint64_t *counters[] = {&f->records, &f->sent, &f->delivered, &f->delivery_errors,
                            &f->consumed, &f->unsequenced, &f->words, &f->bytes,
                            &f->csv_skipped, &f->csv_padded};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        *counters[i] = codec_get_varint(&r);
    int64_t *times[] = {&f->produce_first_us, &f->produce_last_us, &f->consume_first_us,
                        &f->consume_last_us, &f->start_us, &f->end_us};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) *times[i] = get_int(&r);
    f->cpu_seconds = codec_get_double(&r);
    f->peak_rss_mb = codec_get_double(&r);
    f->exit_code = (int)get_int(&r);
    f->error = get_s(&r);
    if (!r.bad && stats_hist_decode(m->latency, &r)) r.bad = true;
    uint64_t nph = codec_get_varint(&r);
    if (nph > 64) r.bad = true;
    for (uint64_t i = 0; i < nph && !r.bad; i++) {
        char *name = get_s(&r);
        double rate = codec_get_double(&r);
        uint64_t sent = codec_get_varint(&r), consumed = codec_get_varint(&r);
        double secs = codec_get_double(&r);
        stats_hist *h = stats_hist_new();
        if (!h || !name || stats_hist_decode(h, &r) ||
            merge_add_phase(m, name, rate, sent, consumed, secs, h))
            r.bad = true;
        free(name);
        stats_hist_free(h);
    }
    for (int i = 0; i < 3 && !r.bad; i++) {
        size_t n;
        const char *bytes = codec_get_str(&r, &n);
        roaring_bitmap_t *bm = bytes ? roaring_bitmap_portable_deserialize_safe(bytes, n) : NULL;
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
        if (reg && (m->hll = malloc(sizeof *m->hll))) memcpy(m->hll->reg, reg, sizeof m->hll->reg);
        else r.bad = true;
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
        if (!t.metric || !t.condition || merge_add_threshold(m, &t)) r.bad = true;
        free(t.metric);
        free(t.condition);
    }
    if (r.bad || !f->name || !f->mode || !f->error || r.pos != r.len) {
        snprintf(err, errlen, "malformed final state (%zu of %zu bytes read)", r.pos, len);
        merge_state_free(m);
        return NULL;
    }
    return m;
}

/* ---- merging ---- */

static int64_t min_set(int64_t a, int64_t b) { return !a ? b : !b ? a : a < b ? a : b; }
static int64_t max_of(int64_t a, int64_t b) { return a > b ? a : b; }

/* Is a further from passing than b under op? */
static bool worse(int op, double a, double b) {
    if (op == THRESHOLD_LT || op == THRESHOLD_LE) return a > b;
    if (op == THRESHOLD_GT || op == THRESHOLD_GE) return a < b;
    return false;
}

int merge_into(merge_state *dst, const merge_state *src) {
    merge_figures *d = &dst->f;
    const merge_figures *s = &src->f;
    if (!d->name[0] && s->name[0]) {
        if (merge_set_strings(dst, s->name, s->mode, d->error)) return -1;
        d->produced = s->produced;
        d->consumed_run = s->consumed_run;
        d->records = s->records;
        d->workers = s->workers;
    }
    d->sent += s->sent;
    d->delivered += s->delivered;
    d->delivery_errors += s->delivery_errors;
    d->consumed += s->consumed;
    d->unsequenced += s->unsequenced;
    d->words += s->words;
    d->bytes += s->bytes;
    d->csv_skipped += s->csv_skipped;
    d->csv_padded += s->csv_padded;
    d->produce_first_us = min_set(d->produce_first_us, s->produce_first_us);
    d->produce_last_us = max_of(d->produce_last_us, s->produce_last_us);
    d->consume_first_us = min_set(d->consume_first_us, s->consume_first_us);
    d->consume_last_us = max_of(d->consume_last_us, s->consume_last_us);
    d->start_us = min_set(d->start_us, s->start_us);
    d->end_us = max_of(d->end_us, s->end_us);
    d->cpu_seconds += s->cpu_seconds;
    if (s->peak_rss_mb > d->peak_rss_mb) d->peak_rss_mb = s->peak_rss_mb;
    if (s->exit_code && (!d->exit_code || (d->exit_code != 2 && s->exit_code == 2)))
        d->exit_code = s->exit_code;
    d->stopped |= s->stopped;
    if (!d->error[0] && s->error[0] && merge_set_strings(dst, d->name, d->mode, s->error))
        return -1;
    stats_hist_merge(dst->latency, src->latency);
    for (size_t i = 0; i < src->nphases; i++) {
        const merge_phase *sp = &src->phases[i];
        if (i >= dst->nphases) {
            if (merge_add_phase(dst, sp->name, sp->target_rate, sp->sent, sp->consumed,
                                sp->seconds, sp->latency))
                return -1;
            continue;
        }
        merge_phase *dp = &dst->phases[i];
        dp->sent += sp->sent;
        dp->consumed += sp->consumed;
        if (sp->seconds > dp->seconds) dp->seconds = sp->seconds;
        stats_hist_merge(dp->latency, sp->latency);
    }
    for (int i = 0; i < 3; i++) roaring_bitmap_or_inplace(dst->sets[i], src->sets[i]);
    if (src->hll) {
        if (to_sketch(dst)) return -1;
        words_hll_merge(dst->hll, src->hll);
    } else if (merge_add_words(dst, src->words)) {
        return -1;
    }
    for (size_t i = 0; i < src->nts; i++) {
        const merge_threshold *st = &src->ts[i];
        if (i >= dst->nts) {
            threshold t = {.metric = st->metric, .condition = st->condition,
                           .op = (threshold_op)st->op, .abort = st->abort,
                           .evaluated = st->evaluated, .failed = st->failed,
                           .aborted = st->aborted, .actual = st->actual};
            if (merge_add_threshold(dst, &t)) return -1;
            continue;
        }
        merge_threshold *dt = &dst->ts[i];
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

int merge_summary(const merge_state *m, report_summary *s) {
    const merge_figures *f = &m->f;
    memset(s, 0, sizeof *s);
    s->name = f->name;
    s->mode = f->mode;
    s->produced = f->produced;
    s->consumed_run = f->consumed_run;
    s->started = true;
    s->records = f->records;
    s->sent = f->sent;
    s->delivered = f->delivered;
    s->delivery_errors = f->delivery_errors;
    s->produce_seconds =
        f->produce_last_us > f->produce_first_us && f->produce_first_us
            ? (double)(f->produce_last_us - f->produce_first_us) / 1e6
            : 0;
    s->consumed = f->consumed;
    uint64_t distinct = roaring_bitmap_get_cardinality(m->sets[MERGE_SEEN]);
    if (f->produced) {
        /* sent, delivery not failed, never seen by any worker */
        roaring_bitmap_t *missing = roaring_bitmap_andnot(m->sets[MERGE_SENT], m->sets[MERGE_SEEN]);
        if (!missing) return -1;
        roaring_bitmap_andnot_inplace(missing, m->sets[MERGE_FAILED]);
        uint64_t lost = roaring_bitmap_get_cardinality(missing);
        roaring_bitmap_free(missing);
        if (f->stopped) s->unconsumed = lost;
        else s->lost = lost;
    } else {
        uint64_t got = distinct + f->unsequenced;
        uint64_t lost = f->records > got ? f->records - got : 0;
        if (f->stopped) s->unconsumed = lost;
        else s->lost = lost;
    }
    uint64_t unique = distinct + f->unsequenced;
    s->duplicates = f->consumed > unique ? f->consumed - unique : 0;
    s->words = f->words;
    s->unique_words_total = m->hll ? words_hll_estimate(m->hll) : words_set_size(m->words);
    s->unique_words_estimated = m->hll != NULL;
    s->bytes = f->bytes;
    s->csv_skipped = f->csv_skipped;
    s->csv_padded = f->csv_padded;
    s->consume_seconds =
        f->consume_last_us > f->consume_first_us && f->consume_first_us
            ? (double)(f->consume_last_us - f->consume_first_us) / 1e6
            : 0;
    double wall = f->end_us > f->start_us ? (double)(f->end_us - f->start_us) / 1e6 : 0;
    s->cpu_percent = wall > 0 ? 100.0 * f->cpu_seconds / wall : 0;
    s->peak_rss_mb = f->peak_rss_mb;
    snprintf(s->error, sizeof s->error, "%s", f->error);
    if (!(s->latency = stats_hist_dup(m->latency))) return -1;
    if (m->nphases) {
        if (!(s->phases = calloc(m->nphases, sizeof *s->phases))) return -1;
        for (size_t i = 0; i < m->nphases; i++) {
            const merge_phase *p = &m->phases[i];
            s->phases[i] = (report_phase){.name = p->name, .sent = p->sent,
                                          .seconds = p->seconds, .target_rate = p->target_rate,
                                          .consumed = p->consumed,
                                          .latency = stats_hist_dup(p->latency)};
            s->nphases++;
            if (!s->phases[i].latency) return -1;
        }
    }
    return 0;
}
