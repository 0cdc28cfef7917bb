/*
 * progress: rates, ETA and the status line's text; see progress.h. No
 * clock is read here: the samples carry their time, so tests drive it.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>

void progress_init(progress *p) {
    memset(p, 0, sizeof *p);
    p->last_draw = -1;
}

bool progress_update(progress *p, const progress_sample *s) {
    double since = s->elapsed - (p->last_draw < 0 ? 0 : p->last_draw);
    if (since < 1.0) return false;
    double dt = s->elapsed - p->prev_t;
    if (dt > 0) {
        p->produce_rate = (double)(s->produced - p->prev_produced) / dt;
        p->consume_rate = (double)(s->consumed - p->prev_consumed) / dt;
    }
    p->prev_t = s->elapsed;
    p->prev_produced = s->produced;
    p->prev_consumed = s->consumed;
    p->last_draw = s->elapsed;
    return true;
}

/* 950 -> "950", 45210 -> "45.2k", 1234567 -> "1.23M" */
static void human(char *b, size_t n, double v) {
    if (v >= 1e6)
        snprintf(b, n, "%.3gM", v / 1e6);
    else if (v >= 1e4)
        snprintf(b, n, "%.3gk", v / 1e3);
    else
        snprintf(b, n, "%.0f", v);
}

static void duration(char *b, size_t n, double s) {
    if (s < 60)
        snprintf(b, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(b, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(b, n, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
}

void progress_format(char *buf, size_t len, const progress *p, const progress_sample *s) {
    char r[32], t[32];
    size_t n = 0;
#define ADD(...)                                                                               \
    do {                                                                                       \
        if (n < len) {                                                                         \
            int k = snprintf(buf + n, len - n, __VA_ARGS__);                                   \
            if (k > 0) n += (size_t)k;                                                         \
        }                                                                                      \
    } while (0)
    buf[0] = '\0';
    if (s->elapsed < 60)
        snprintf(t, sizeof t, "%.1fs", s->elapsed);
    else
        duration(t, sizeof t, s->elapsed);
    ADD("%s", t);
    if (s->phase) ADD(" %s", s->phase);
    if (s->producing) {
        human(r, sizeof r, p->produce_rate);
        ADD(" | produced %llu", (unsigned long long)s->produced);
        if (s->records) ADD("/%llu", (unsigned long long)s->records);
        ADD(" %s msgs/s", r);
    }
    if (s->consuming) {
        human(r, sizeof r, p->consume_rate);
        ADD(" | consumed %llu", (unsigned long long)s->consumed);
        if (s->records && !s->producing) ADD("/%llu", (unsigned long long)s->records);
        ADD(" %s msgs/s", r);
    }
    if (s->producing && s->consuming)
        ADD(" | lag %llu",
            (unsigned long long)(s->produced > s->consumed ? s->produced - s->consumed : 0));
    if (s->consuming) {
        if (s->p99_ms >= 0)
            ADD(" | p99 %.1f ms", s->p99_ms);
        else
            ADD(" | p99 -");
    }
    /* ETA: what is left of the records at the current rate of the role
     * that finishes last */
    uint64_t done = s->consuming ? s->consumed : s->produced;
    double rate = s->consuming ? p->consume_rate : p->produce_rate;
    if (s->records && done < s->records && rate > 0) {
        duration(t, sizeof t, (double)(s->records - done) / rate);
        ADD(" | ETA %s", t);
    } else if (s->records && done >= s->records) {
        ADD(" | ETA 0s");
    } else {
        ADD(" | ETA -");
    }
#undef ADD
}
