/*
 * words_merger: the run-wide distinct-word set, merged on a thread of
 * its own (see words.h).
 *
 * Why: merging a batch's set into the run's costs a cache miss per
 * distinct word of the batch (the run's table is tens of MiB once the data
 * does not repeat) plus the run's table growth. Done in line it followed
 * every batch, a large share of the whole scan on data that does not
 * repeat (BENCHMARKS.md, "Data that does not repeat").
 * Here the caller hands the finished batch set over, gets an empty one
 * back at once, and the merge runs beside the next batches' scans. The
 * caller may be TOTAL_AHEAD batches ahead; handing over one more waits, so
 * memory stays TOTAL_AHEAD + 1 batch sets and the run's set.
 *
 * The merge itself is words_set_merge; this file only moves sets between
 * two threads, under one mutex.
 */
#include "words.h"

#include <pthread.h>
#include <stdlib.h>

/* Batches the caller may be ahead of the merge: the run's table doubles now
 * and then (a copy of up to tens of MiB), and a batch that waits for it
 * would wait for nothing else. */
#define TOTAL_AHEAD 3

struct words_merger {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;           /* a batch was handed over, or quit */
    pthread_cond_t done;           /* a merge finished */
    words_set *run;                /* the run's distinct words (the thread's while busy) */
    words_set *queue[TOTAL_AHEAD]; /* handed over, to merge in this order */
    size_t head, queued;           /* queue[head] is next; how many are queued */
    words_set *spare[TOTAL_AHEAD]; /* cleared sets, handed back by put */
    size_t spares;
    bool busy; /* a batch taken from the queue is being merged */
    bool quit;
    bool oom; /* a merge failed: the run's set misses words */
};

static void *total_thread(void *arg) {
    words_merger *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->queued && !t->quit) pthread_cond_wait(&t->work, &t->mu);
        if (!t->queued) break; /* quit, nothing left to merge */
        words_set *batch = t->queue[t->head];
        t->head = (t->head + 1) % TOTAL_AHEAD;
        t->queued--;
        t->busy = true;
        pthread_mutex_unlock(&t->mu);
        bool failed = words_set_oom(batch) || words_set_merge(t->run, batch) != 0;
        words_set_clear(batch);
        pthread_mutex_lock(&t->mu);
        t->oom |= failed;
        t->spare[t->spares++] = batch;
        t->busy = false;
        pthread_cond_broadcast(&t->done);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

words_merger *words_merger_new(void) {
    words_merger *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->run = words_set_new_distinct();
    if (!t->run) goto fail;
    for (; t->spares < TOTAL_AHEAD; t->spares++)
        if (!(t->spare[t->spares] = words_set_new())) goto fail;
    if (pthread_mutex_init(&t->mu, NULL)) goto fail;
    if (pthread_cond_init(&t->work, NULL)) goto fail_mu;
    if (pthread_cond_init(&t->done, NULL)) goto fail_work;
    if (pthread_create(&t->thread, NULL, total_thread, t)) goto fail_done;
    return t;
fail_done:
    pthread_cond_destroy(&t->done);
fail_work:
    pthread_cond_destroy(&t->work);
fail_mu:
    pthread_mutex_destroy(&t->mu);
fail:
    words_set_free(t->run);
    for (size_t i = 0; i < TOTAL_AHEAD; i++) words_set_free(t->spare[i]);
    free(t);
    return NULL;
}

void words_merger_free(words_merger *t) {
    if (!t) return;
    pthread_mutex_lock(&t->mu);
    t->quit = true;
    pthread_cond_signal(&t->work);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL); /* after merging what was queued */
    pthread_cond_destroy(&t->done);
    pthread_cond_destroy(&t->work);
    pthread_mutex_destroy(&t->mu);
    words_set_free(t->run);
    for (size_t i = 0; i < t->spares; i++) words_set_free(t->spare[i]);
    free(t);
}

/* Waits until every batch handed over is merged; t->mu held. */
static void total_idle(words_merger *t) {
    while (t->queued || t->busy) pthread_cond_wait(&t->done, &t->mu);
}

int words_merger_put(words_merger *t, words_set **batch) {
    pthread_mutex_lock(&t->mu);
    while (!t->spares) pthread_cond_wait(&t->done, &t->mu);
    t->queue[(t->head + t->queued) % TOTAL_AHEAD] = *batch;
    t->queued++;
    *batch = t->spare[--t->spares];
    bool oom = t->oom;
    pthread_cond_signal(&t->work);
    pthread_mutex_unlock(&t->mu);
    return oom ? -1 : 0;
}

words_set *words_merger_wait(words_merger *t) {
    pthread_mutex_lock(&t->mu);
    total_idle(t);
    pthread_mutex_unlock(&t->mu);
    return t->run;
}

bool words_merger_oom(words_merger *t) {
    pthread_mutex_lock(&t->mu);
    total_idle(t);
    bool oom = t->oom;
    pthread_mutex_unlock(&t->mu);
    return oom || words_set_oom(t->run);
}
