/*
 * hub: the event queue and failure bookkeeping shared by the worker
 * threads and the main thread. See hub.h for the design.
 */
#include "hub.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

int hub_init(hub *p, const workload *wl, uint64_t records) {
    memset(p, 0, sizeof *p);
    p->wl = wl;
    p->copies = wl && wl->expect_copies > 1 ? wl->expect_copies : 1;
    if (records) {
        p->seen = calloc(records / 64 + 1, sizeof *p->seen);
        if (!p->seen) return -1;
        p->seen_limit = records;
        if (p->copies > 1 && !(p->seen_copies = calloc(records, 1))) return -1;
    }
    atomic_init(&p->stop, false);
    atomic_init(&p->producer_done, false);
    atomic_init(&p->produced_bytes, 0);
    atomic_init(&p->delivered, 0);
    atomic_init(&p->failed, 0);
    atomic_init(&p->consumed_bytes, 0);
    if (pthread_mutex_init(&p->mu, NULL)) return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) {
        pthread_mutex_destroy(&p->mu);
        return -1;
    }
    return 0;
}

int hub_bits_set(hub_bits *b, uint64_t i) {
    size_t wi = (size_t)(i / 64);
    if (wi >= b->nwords) {
        size_t n = b->nwords ? b->nwords : 1024;
        while (n <= wi) n *= 2;
        uint64_t *w = realloc(b->w, n * sizeof *w);
        if (!w) return -1;
        memset(w + b->nwords, 0, (n - b->nwords) * sizeof *w);
        b->w = w;
        b->nwords = n;
    }
    uint64_t bit = (uint64_t)1 << (i % 64);
    int was = (b->w[wi] & bit) != 0;
    b->w[wi] |= bit;
    return was;
}

int hub_seen_set(hub *p, uint64_t seq) {
    if (!p->seen) return hub_bits_set(&p->seen_grow, seq);
    if (seq >= p->seen_limit) return 255; /* outside this run's range: an extra */
    if (p->seen_copies) {
        unsigned char c = atomic_load(&p->seen_copies[seq]);
        while (c < 255 && !atomic_compare_exchange_weak(&p->seen_copies[seq], &c, c + 1)) {}
        return c;
    }
    uint64_t bit = (uint64_t)1 << (seq % 64);
    return (atomic_fetch_or(&p->seen[seq / 64], bit) & bit) != 0;
}

int hub_seen_get(const hub *p, uint64_t seq) {
    if (!p->seen) return hub_bits_get(&p->seen_grow, seq);
    if (seq >= p->seen_limit) return 0;
    if (p->seen_copies) return atomic_load(&((hub *)p)->seen_copies[seq]);
    return (atomic_load(&((hub *)p)->seen[seq / 64]) >> (seq % 64)) & 1;
}

/* Expected copies of seq not seen (0 when its delivery failed or its
 * transaction was aborted: those were never expected). */
static int missing_at(const hub *p, const hub_bits *failed, const hub_bits *aborted,
                      uint64_t seq) {
    if ((failed && hub_bits_get(failed, seq)) || (aborted && hub_bits_get(aborted, seq)))
        return 0;
    int seen = hub_seen_get(p, seq);
    return seen < p->copies ? p->copies - seen : 0;
}

/* Appends text to desc[*len] if it fits with room to spare for the
 * "and N more ranges" tail; false when it does not. */
static bool desc_add(char *desc, size_t desclen, size_t *len, const char *text) {
    size_t k = strlen(text);
    const size_t tail = 48; /* " and 18446744073709551615 more ranges" */
    if (*len + k + tail >= desclen) return false;
    memcpy(desc + *len, text, k + 1);
    *len += k;
    return true;
}

uint64_t hub_missing(const hub *p, const hub_bits *failed, const hub_bits *aborted, uint64_t n,
                     char *desc, size_t desclen) {
    uint64_t count = 0, ranges = 0, shown = 0;
    size_t len = 0;
    bool full = desclen == 0;
    if (desclen) desc[0] = '\0';
    for (uint64_t seq = 0; seq < n;) {
        int m = missing_at(p, failed, aborted, seq);
        if (!m) {
            seq++;
            continue;
        }
        uint64_t first = seq;
        while (seq < n && (m = missing_at(p, failed, aborted, seq)) > 0) {
            count += (uint64_t)m;
            seq++;
        }
        ranges++;
        if (full || shown == HUB_MISSING_SHOWN) continue;
        char r[64];
        unsigned long long a = first, b = seq - 1;
        if (a == b)
            snprintf(r, sizeof r, "%s%llu", shown ? ", " : "", a);
        else
            snprintf(r, sizeof r, "%s%llu-%llu", shown ? ", " : "", a, b);
        if (desc_add(desc, desclen, &len, r))
            shown++;
        else
            full = true;
    }
    if (ranges > shown && desclen > len) {
        unsigned long long more = ranges - shown;
        snprintf(desc + len, desclen - len, "%s%llu %srange%s", shown ? " and " : "", more,
                 shown ? "more " : "", more == 1 ? "" : "s");
    }
    return count;
}

void hub_bits_free(hub_bits *b) {
    free(b->w);
    b->w = NULL;
    b->nwords = 0;
}

void hub_destroy(hub *p) {
    pipeline_event *e = p->head;
    while (e) {
        pipeline_event *n = e->next;
        run_batch_free(&e->batch);
        free(e);
        e = n;
    }
    free(p->start_offsets);
    for (int i = 0; i < HUB_MAX_CONSUMERS; i++) stats_hist_free(p->recent[i]);
    free((void *)p->seen);
    free((void *)p->seen_copies);
    hub_bits_free(&p->seen_grow);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

void hub_post(hub *p, run_batch *b) {
    pipeline_event *e = malloc(sizeof *e);
    if (!e) { /* a lost report line beats a crash; counts stay exact */
        run_batch_free(b);
        return;
    }
    e->batch = *b;
    e->batch.elapsed = stats_now() - p->t0;
    e->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = e;
    else
        p->head = e;
    p->tail = e;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void record(hub *p, int code, const char *fmt, va_list ap) {
    pthread_mutex_lock(&p->mu);
    if (!p->error[0]) vsnprintf(p->error, sizeof p->error, fmt, ap);
    if (code > p->exit_code) p->exit_code = code;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void hub_error(hub *p, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(p, code, fmt, ap);
    va_end(ap);
}

void hub_fail(hub *p, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(p, code, fmt, ap);
    va_end(ap);
    atomic_store(&p->stop, true);
}

void hub_worker_exit(hub *p) {
    pthread_mutex_lock(&p->mu);
    p->workers_running--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int hub_next(hub *p, run_batch *out, double timeout) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = ts.tv_nsec + (long long)(timeout * 1e9);
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&p->mu);
    while (!p->head && p->workers_running > 0) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT) break;
    }
    int rc;
    if (p->head) {
        pipeline_event *e = p->head;
        p->head = e->next;
        if (!p->head) p->tail = NULL;
        *out = e->batch;
        free(e);
        rc = 1;
    } else {
        rc = p->workers_running > 0 ? 0 : -1;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}
