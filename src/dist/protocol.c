/*
 * protocol: shares, run tags, results records and the start barrier of a run
 * shared by several processes. Plain functions; see protocol.h.
 */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dist_share(uint64_t n, int workers, int i, uint64_t *lo, uint64_t *hi) {
    /* i*n/N without overflow for any n < 2^64 and N <= DIST_MAX */
    uint64_t q = n / (uint64_t)workers, r = n % (uint64_t)workers;
    *lo = q * (uint64_t)i + r * (uint64_t)i / (uint64_t)workers;
    *hi = q * (uint64_t)(i + 1) + r * (uint64_t)(i + 1) / (uint64_t)workers;
}

uint64_t dist_run_tag(const char *run_id) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)run_id; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h ? h : 1;
}

int dist_workload(const workload *wl, workload *out, hub_share *share, char *err,
                  size_t errlen) {
    if (workload_copy(out, wl)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(share, 0, sizeof *share);
    share->run_tag = dist_run_tag(wl->run_id ? wl->run_id : "");
    share->total = workload_records(wl);
    const int n = wl->workers, i = wl->worker;
    uint64_t lo, hi;
    if (wl->nphases) {
        uint64_t base = 0;
        for (size_t p = 0; p < wl->nphases && p < HUB_MAX_PHASES; p++) {
            dist_share(wl->phases[p].records, n, i, &lo, &hi);
            share->seq_base[p] = base + lo;
            base += wl->phases[p].records;
            out->phases[p].records = hi - lo;
            out->phases[p].rate = wl->phases[p].rate / n;
        }
        /* a phase whose share is empty (fewer records than workers) has
         * records 0 here: the producer skips it (hub share) */
    } else {
        dist_share(wl->records, n, i, &lo, &hi);
        share->seq_base[0] = lo;
        out->records = hi - lo;
    }
    out->rate = wl->rate / n;
    size_t glen = strlen(wl->group) + strlen(wl->run_id ? wl->run_id : "") + 2;
    char *group = malloc(glen);
    if (!group) {
        workload_free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(group, glen, "%s.%s", wl->group, wl->run_id ? wl->run_id : "");
    free(out->group);
    out->group = group;
    return 0;
}

/* ---- records ---- */

#define MAGIC "KGR1"

void dist_msg_encode(const dist_msg *m, codec_buf *out) {
    codec_put_bytes(out, MAGIC, 4);
    codec_put_varint(out, (uint64_t)m->type);
    codec_put_varint(out, (uint64_t)m->worker);
    codec_put_varint(out, (uint64_t)m->workers);
    codec_put_u64(out, m->nonce);
    switch (m->type) {
    case DIST_ANNOUNCE:
    case DIST_JOINED: codec_put_u64(out, (uint64_t)m->wall_us); break;
    case DIST_PROGRESS:
        codec_put_varint(out, m->produced);
        codec_put_varint(out, m->delivered);
        codec_put_varint(out, m->distinct);
        codec_put_varint(out, m->produced_bytes);
        codec_put_varint(out, m->consumed_bytes);
        break;
    case DIST_FINAL:
        codec_put_varint(out, m->part);
        codec_put_varint(out, m->parts);
        codec_put_str(out, m->data, m->len);
        break;
    case DIST_FAILED:
    case DIST_EVENT: codec_put_str(out, m->data, m->len); break;
    }
}

int dist_msg_decode(dist_msg *m, const void *buf, size_t len) {
    memset(m, 0, sizeof *m);
    codec_rd r = {.p = buf, .len = len};
    const void *magic = codec_get_bytes(&r, 4);
    if (!magic || memcmp(magic, MAGIC, 4)) return -1;
    uint64_t type = codec_get_varint(&r), w = codec_get_varint(&r), n = codec_get_varint(&r);
    m->nonce = codec_get_u64(&r);
    if (r.bad || n < 1 || n > DIST_MAX || w >= n) return -1;
    m->type = (dist_msg_type)type;
    m->worker = (int)w;
    m->workers = (int)n;
    switch (type) {
    case DIST_ANNOUNCE:
    case DIST_JOINED: m->wall_us = (int64_t)codec_get_u64(&r); break;
    case DIST_PROGRESS:
        m->produced = codec_get_varint(&r) != 0;
        m->delivered = codec_get_varint(&r);
        m->distinct = codec_get_varint(&r);
        m->produced_bytes = codec_get_varint(&r);
        m->consumed_bytes = codec_get_varint(&r);
        break;
    case DIST_FINAL: {
        uint64_t part = codec_get_varint(&r), parts = codec_get_varint(&r);
        if (parts == 0 || part >= parts || parts > UINT32_MAX) return -1;
        m->part = (uint32_t)part;
        m->parts = (uint32_t)parts;
        m->data = codec_get_str(&r, &m->len);
        break;
    }
    case DIST_FAILED:
    case DIST_EVENT: m->data = codec_get_str(&r, &m->len); break;
    default: return -1;
    }
    return r.bad ? -1 : 0;
}

/* ---- barrier ---- */

void dist_barrier_init(dist_barrier *b, int workers, int me, uint64_t nonce) {
    memset(b, 0, sizeof *b);
    b->workers = workers;
    b->me = me;
    b->nonce = nonce;
}

dist_barrier_state dist_barrier_add(dist_barrier *b, dist_msg_type type, int worker,
                                    uint64_t nonce, int64_t wall_us) {
    if (worker >= 0 && worker < b->workers && nonce) {
        if (type == DIST_ANNOUNCE && !b->owner[worker]) {
            b->owner[worker] = nonce;
            b->announced++;
        } else if (type == DIST_ANNOUNCE && b->owner[worker] != nonce && worker == b->me &&
                   nonce == b->nonce) {
            b->dup = true; /* our own announcement came second */
        } else if (type == DIST_JOINED && b->owner[worker] == nonce && !b->joined[worker]) {
            b->joined[worker] = true;
            if (++b->njoined == b->workers) b->last_us = wall_us;
        }
    }
    if (b->dup) return DIST_DUPLICATE;
    return b->njoined == b->workers && b->owner[b->me] == b->nonce ? DIST_READY : DIST_WAIT;
}

int64_t dist_barrier_start_us(const dist_barrier *b) {
    return b->last_us + DIST_START_DELAY_US;
}

void dist_barrier_missing(const dist_barrier *b, char *out, size_t outlen) {
    size_t used = 0;
    int named = 0, more = 0;
    out[0] = '\0';
    for (int i = 0; i < b->workers; i++) {
        if (b->joined[i]) continue;
        if (named == 8) {
            more++;
            continue;
        }
        int w = snprintf(out + used, outlen - used, "%s%d", named ? ", " : "", i);
        if (w < 0 || (size_t)w >= outlen - used) break;
        used += (size_t)w;
        named++;
    }
    if (more && used < outlen) snprintf(out + used, outlen - used, " and %d more", more);
}
