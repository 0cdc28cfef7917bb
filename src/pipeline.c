/*
 * pipeline: the event queue and failure bookkeeping shared by the worker
 * threads and the main thread. See pipeline.h for the design.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pipeline_init(pipeline *p, const workload *wl, uint64_t records) {
    memset(p, 0, sizeof *p);
    p->wl = wl;
    if (records) {
        p->seen = calloc(records / 64 + 1, sizeof *p->seen);
        if (!p->seen) return -1;
        p->seen_limit = records;
    }
    atomic_init(&p->stop, false);
    atomic_init(&p->producer_done, false);
    atomic_init(&p->produced_bytes, 0);
    atomic_init(&p->delivered, 0);
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

int pipeline_bits_set(pipeline_bits *b, uint64_t i) {
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

int pipeline_seen_set(pipeline *p, uint64_t seq) {
    if (!p->seen) return pipeline_bits_set(&p->seen_grow, seq);
    if (seq >= p->seen_limit) return 1; /* outside this run's range: an extra */
    uint64_t bit = (uint64_t)1 << (seq % 64);
    return (atomic_fetch_or(&p->seen[seq / 64], bit) & bit) != 0;
}

int pipeline_seen_get(const pipeline *p, uint64_t seq) {
    if (!p->seen) return pipeline_bits_get(&p->seen_grow, seq);
    if (seq >= p->seen_limit) return 0;
    return (atomic_load(&((pipeline *)p)->seen[seq / 64]) >> (seq % 64)) & 1;
}

void pipeline_bits_free(pipeline_bits *b) {
    free(b->w);
    b->w = NULL;
    b->nwords = 0;
}

void pipeline_destroy(pipeline *p) {
    pipeline_event *e = p->head;
    while (e) {
        pipeline_event *n = e->next;
        report_batch_free(&e->batch);
        free(e);
        e = n;
    }
    free(p->start_offsets);
    free((void *)p->seen);
    pipeline_bits_free(&p->seen_grow);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

void pipeline_post(pipeline *p, report_batch *b) {
    pipeline_event *e = malloc(sizeof *e);
    if (!e) { /* a lost report line beats a crash; counts stay exact */
        report_batch_free(b);
        return;
    }
    e->batch = *b;
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

static void record(pipeline *p, int code, const char *fmt, va_list ap) {
    pthread_mutex_lock(&p->mu);
    if (!p->error[0]) vsnprintf(p->error, sizeof p->error, fmt, ap);
    if (code > p->exit_code) p->exit_code = code;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void pipeline_error(pipeline *p, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(p, code, fmt, ap);
    va_end(ap);
}

void pipeline_fail(pipeline *p, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(p, code, fmt, ap);
    va_end(ap);
    atomic_store(&p->stop, true);
}

void pipeline_worker_exit(pipeline *p) {
    pthread_mutex_lock(&p->mu);
    p->workers_running--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int pipeline_next(pipeline *p, report_batch *out, double timeout) {
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
