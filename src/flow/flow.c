/*
 * flow: the producer's and consumers' logic without librdkafka (see
 * flow.h). Nothing here blocks or talks to a broker; the clock is read
 * by the caller and passed in, except where noted.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

/* ---- phase plan and pacing ---- */

size_t flow_plan(const workload *wl, flow_phase *plan) {
    if (!wl->nphases) {
        plan[0] = (flow_phase){wl->records, 0, wl->rate, NULL};
        return 1;
    }
    size_t n = wl->nphases < HUB_MAX_PHASES ? wl->nphases : HUB_MAX_PHASES;
    for (size_t i = 0; i < n; i++)
        plan[i] = (flow_phase){wl->phases[i].records, wl->phases[i].duration,
                               wl->phases[i].rate, wl->phases[i].name};
    return n;
}

int64_t flow_send_time(int64_t start_us, uint64_t i, double rate) {
    return rate > 0 ? start_us + (int64_t)((double)i * 1e6 / rate) : start_us;
}

void flow_pace(int64_t now_us, int64_t due_us, int *poll_ms, int64_t *sleep_us) {
    int64_t wait = due_us - now_us;
    *poll_ms = 0;
    *sleep_us = 0;
    if (wait >= 1000)
        *poll_ms = wait >= 100000 ? 100 : (int)(wait / 1000);
    else if (wait > 0)
        *sleep_us = wait;
}

bool flow_phase_ends(const flow_phase *p, uint64_t i, double start, double (*clock)(void)) {
    if (p->records && i >= p->records) return true;
    /* unpaced, a clock read per message would cost more than the message */
    return p->duration > 0 && (p->rate > 0 || (i & 63) == 0) && clock() - start >= p->duration;
}

uint64_t flow_batches(uint64_t records, uint64_t batch_size) {
    return records && batch_size ? (records + batch_size - 1) / batch_size : 0;
}

/* ---- payload cache ---- */

void flow_cache_init(flow_cache *c, size_t nrows, size_t limit) {
    memset(c, 0, sizeof *c);
    c->limit = limit;
    if (!nrows) return;
    c->off = malloc(nrows * sizeof *c->off);
    c->len = malloc(nrows * sizeof *c->len);
    c->words = malloc(nrows * sizeof *c->words);
    if (!c->off || !c->len || !c->words) return; /* no cache: encode every time */
    memset(c->len, 0xff, nrows * sizeof *c->len);
    c->nrows = nrows;
}

void flow_cache_free(flow_cache *c) {
    free(c->off);
    free(c->len);
    free(c->words);
    free(c->data);
    memset(c, 0, sizeof *c);
}

void flow_cache_put(flow_cache *c, size_t r, const char *v, size_t n, uint32_t words) {
    if (r >= c->nrows || n >= UINT32_MAX || c->used + n > c->limit) return;
    if (c->used + n > c->cap) {
        size_t cap = c->cap ? c->cap : 1 << 20;
        while (cap < c->used + n) cap *= 2;
        char *d = realloc(c->data, cap);
        if (!d) return;
        c->data = d;
        c->cap = cap;
    }
    memcpy(c->data + c->used, v, n);
    c->off[r] = c->used;
    c->len[r] = (uint32_t)n;
    c->words[r] = words;
    c->used += n;
}

bool flow_cache_get(const flow_cache *c, size_t r, const char **v, size_t *n, uint64_t *words) {
    if (r >= c->nrows || c->len[r] == UINT32_MAX) return false;
    *v = c->data + c->off[r];
    *n = c->len[r];
    *words = c->words[r];
    return true;
}

/* ---- the message header ---- */

void flow_header_put(unsigned char h[HUB_HEADER_LEN], const flow_header *v) {
    hub_put_u64(h, v->seq);
    hub_put_u64(h + 8, (uint64_t)v->send_us);
    hub_put_u64(h + 16, v->run_id);
    hub_put_u32(h + 24, v->phase);
}

bool flow_header_get(const unsigned char *h, size_t len, flow_header *out) {
    if (!h || len < HUB_HEADER_MIN) return false;
    out->seq = hub_get_u64(h);
    out->send_us = (int64_t)hub_get_u64(h + 8);
    out->run_id = hub_get_u64(h + 16);
    out->phase = len >= HUB_HEADER_LEN ? hub_get_u32(h + 24) : 0;
    return true;
}

/* ---- batches ---- */

void flow_batch_start(flow_batch *b, double now, double cpu) {
    b->start = now;
    b->cpu_start = cpu;
}

bool flow_batch_add(flow_batch *b, size_t bytes, uint64_t words, uint64_t batch_size) {
    b->msgs++;
    b->bytes += bytes;
    b->words += words;
    return b->msgs == batch_size;
}

bool flow_batch_take(flow_batch *b, run_role role, double now, double cpu, double rss,
                     run_batch *out) {
    if (!b->msgs) return false;
    double secs = now - b->start;
    *out = (run_batch){.role = role,
                       .batch = ++b->no,
                       .messages = b->msgs,
                       .bytes = b->bytes,
                       .words = b->words,
                       .seconds = secs,
                       .cpu_percent = secs > 0 ? 100.0 * (cpu - b->cpu_start) / secs : 0,
                       .rss_mb = rss};
    b->msgs = b->bytes = b->words = 0;
    flow_batch_start(b, now, cpu);
    return true;
}

/* ---- per-message accounting ---- */

int flow_consumer_init(flow_consumer *c, const workload *wl) {
    memset(c, 0, sizeof *c);
    c->top_words = wl->top_words;
    c->run_words = words_merger_new();
    c->batch_words = words_set_new();
    c->latency = stats_hist_new();
    c->batch_latency = stats_hist_new();
    /* the memo leaves per-word counts behind, which top_words needs */
    c->memo = wl->top_words ? NULL : words_memo_new();
    if (wl->format == ENCODE_AVRO) c->avro = payload_avro_reader_new(wl->schema_registry);
    bool oom = !c->run_words || !c->batch_words || !c->latency || !c->batch_latency ||
               (!wl->top_words && !c->memo) || (wl->format == ENCODE_AVRO && !c->avro);
    for (size_t i = 0; i < wl->nphases && i < HUB_MAX_PHASES; i++)
        oom |= !(c->phase_latency[i] = stats_hist_new());
    return oom ? -1 : 0;
}

void flow_consumer_free(flow_consumer *c) {
    words_merger_free(c->run_words);
    words_set_free(c->batch_words);
    words_memo_free(c->memo);
    stats_hist_free(c->latency);
    stats_hist_free(c->batch_latency);
    stats_hist_free(c->recent);
    for (size_t i = 0; i < HUB_MAX_PHASES; i++) stats_hist_free(c->phase_latency[i]);
    flow_counts_free(&c->partitions);
    payload_avro_reader_free(c->avro);
    encode_buf_free(&c->text);
    memset(c, 0, sizeof *c);
}

void flow_counts_size(flow_counts *c, size_t n) {
    if (n <= c->n) return;
    uint64_t *v = realloc(c->v, n * sizeof *v);
    if (!v) {
        c->oom = true;
        return;
    }
    memset(v + c->n, 0, (n - c->n) * sizeof *v);
    c->v = v;
    c->n = n;
}

void flow_counts_add(flow_counts *c, int32_t partition, uint64_t n) {
    if (partition < 0) return;
    if ((size_t)partition >= c->n) flow_counts_size(c, (size_t)partition + 1);
    if ((size_t)partition < c->n) c->v[partition] += n;
}

void flow_counts_merge(flow_counts *dst, const flow_counts *src) {
    flow_counts_size(dst, src->n);
    for (size_t i = 0; i < src->n && i < dst->n; i++) dst->v[i] += src->v[i];
    dst->oom |= src->oom;
}

void flow_counts_free(flow_counts *c) {
    free(c->v);
    *c = (flow_counts){0};
}

bool flow_fetch_lags(int64_t position, int64_t high_watermark) {
    return position >= 0 && high_watermark > position;
}

uint64_t flow_share_skip(uint64_t taken, uint64_t seq, size_t nrows) {
    return nrows ? (seq % nrows + nrows - taken % nrows) % nrows : 0;
}

bool flow_txn_open(uint64_t n, uint64_t txn_size) { return txn_size && n % txn_size != 0; }

bool flow_txn_aborts(uint64_t t, uint64_t abort_every) {
    return abort_every && t % abort_every == 0;
}

flow_end flow_consumer_ends(hub *pl, uint64_t records, int64_t *done_us,
                            int64_t (*clock_us)(void)) {
    const bool producing = pl->wl->produce;
    const uint64_t k = (uint64_t)pl->copies; /* copies of each record expected */
    uint64_t seen = atomic_load(&pl->distinct);
    /* the producer's end first: its counts are final once it is done */
    bool prod_done = !producing || atomic_load(&pl->producer_done);
    if (pl->share) {
        if (atomic_load(&pl->group_done)) return FLOW_ALL_SEEN;
    } else {
        if (records && seen + atomic_load(&pl->unsequenced) >= records * k)
            return FLOW_ALL_SEEN;
        if (producing && prod_done && !atomic_load(&pl->failed) &&
            seen >= atomic_load(&pl->delivered) * k)
            return FLOW_ALL_SEEN;
    }
    if (prod_done && !*done_us) *done_us = clock_us();
    int64_t since = atomic_load(&pl->last_message_us);
    if (since < *done_us) since = *done_us;
    double idle = (double)(clock_us() - since) / 1e6;
    if (!prod_done || idle <= pl->wl->idle_timeout) return FLOW_READING;
    return pl->share || !producing || seen < atomic_load(&pl->delivered) * k
               ? FLOW_IDLE
               : FLOW_IDLE_ALL_SEEN;
}

flow_verdict flow_consume(flow_consumer *c, hub *pl, const unsigned char *hdr, size_t hlen,
                          const void *value, size_t len, double now, int64_t now_us) {
    flow_header h;
    bool has = flow_header_get(hdr, hlen, &h);
    if (pl->wl->produce && (!has || h.run_id != pl->run_id)) {
        c->foreign++; /* another run's message in a reused topic */
        return FLOW_SKIPPED;
    }
    if (!c->first) {
        c->first = now;
        flow_batch_start(&c->batch, now, stats_cpu_seconds());
    }
    c->last = now;
    c->consumed++;
    atomic_store(&pl->last_message_us, now_us);
    if (has) {
        int was = hub_seen_set(pl, h.seq);
        if (was < 0)
            hub_fail(pl, EXITCODE_RUNTIME,
                     "consumer: out of memory tracking sequence "
                     "numbers");
        else if (was >= pl->copies)
            c->duplicates++; /* beyond the copies expected, or
                                                       * outside this run's range */
        else
            atomic_fetch_add(&pl->distinct, 1);
        int64_t lat = now_us - h.send_us;
        uint64_t lat_us = lat > 0 ? (uint64_t)lat : 0;
        stats_hist_record(c->batch_latency, lat_us);
        if (c->recent) stats_hist_record(c->recent, lat_us);
        if (h.phase < HUB_MAX_PHASES && c->phase_latency[h.phase]) {
            c->phase_consumed[h.phase]++;
            stats_hist_record(c->phase_latency[h.phase], lat_us);
        }
    } else {
        atomic_fetch_add(&pl->unsequenced, 1);
    }
    /* words of an Avro value: of its JSON rendering (a schema is fetched
     * once per id; the text buffer is reused) */
    const void *text = value;
    size_t tlen = len;
    if (c->avro) {
        char err[512];
        int rc = payload_avro_render(c->avro, value, len, &c->text, err, sizeof err);
        if (rc)
            hub_fail(pl, rc, "%s", err);
        else
            text = c->text.data, tlen = c->text.len;
    }
    uint64_t w = c->memo ? words_scan_memo(c->memo, c->batch_words, text, tlen)
                         : words_scan(c->batch_words, text, tlen);
    atomic_fetch_add(&pl->consumed_bytes, len);
    if (pl->progress) atomic_fetch_add_explicit(&pl->consumed_msgs, 1, memory_order_relaxed);
    return flow_batch_add(&c->batch, len, w, pl->wl->batch_size) ? FLOW_FULL : FLOW_COUNTED;
}

/* The batch's N most frequent words, copied for the event. */
static void top_words(const words_set *set, size_t n, run_batch *b) {
    words_top_entry tmp[64];
    words_top_entry *e = n <= 64 ? tmp : malloc(n * sizeof *e);
    if (!e) return;
    size_t got = words_set_top(set, e, n);
    b->top = calloc(got ? got : 1, sizeof *b->top);
    if (b->top) {
        for (size_t i = 0; i < got; i++) {
            b->top[i].word = malloc(e[i].len + 1);
            if (!b->top[i].word) break;
            memcpy(b->top[i].word, e[i].word, e[i].len);
            b->top[i].word[e[i].len] = '\0';
            b->top[i].len = e[i].len;
            b->top[i].count = e[i].count;
            b->ntop++;
        }
    }
    if (e != tmp) free(e);
}

bool flow_consumer_flush(flow_consumer *c, hub *pl, int consumer, double now, double cpu,
                         double rss, run_batch *out) {
    uint64_t words = c->batch.words, bytes = c->batch.bytes;
    if (!flow_batch_take(&c->batch, RUN_CONSUME, now, cpu, rss, out)) return false;
    /* the run's consume time ends after the batch's messages were counted
     * and scanned: a run whose messages came in one fetch (one clock read)
     * still has a span, that of its work, never 0 */
    if (now > c->last) c->last = now;
    out->batch = atomic_fetch_add(&pl->consume_batches, 1) + 1; /* numbered across consumers */
    out->consumer = consumer;
    out->unique_words = words_set_size(c->batch_words);
    out->latency = stats_hist_dup(c->batch_latency);
    if (c->top_words) top_words(c->batch_words, c->top_words, out);
    c->words += words;
    c->bytes += bytes;
    /* batch_words goes to the run's merge; an empty set comes back */
    if (words_merger_put(c->run_words, &c->batch_words))
        hub_fail(pl, EXITCODE_RUNTIME, "out of memory counting distinct words");
    if (c->memo) words_memo_clear(c->memo);
    stats_hist_merge(c->latency, c->batch_latency);
    stats_hist_reset(c->batch_latency);
    return true;
}
