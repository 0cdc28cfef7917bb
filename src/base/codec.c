/*
 * codec: varints, fixed integers and strings in a growable buffer. See codec.h.
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

void codec_buf_free(codec_buf *b) {
    free(b->p);
    *b = (codec_buf){0};
}

static bool reserve(codec_buf *b, size_t n) {
    if (b->oom) return false;
    if (b->len + n <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void codec_put_bytes(codec_buf *b, const void *src, size_t n) {
    if (!n || !reserve(b, n)) return;
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void codec_put_varint(codec_buf *b, uint64_t v) {
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        tmp[n++] = c | (v ? 0x80 : 0);
    } while (v);
    codec_put_bytes(b, tmp, n);
}

void codec_put_u64(codec_buf *b, uint64_t v) {
    unsigned char tmp[8];
    for (int i = 7; i >= 0; i--) {
        tmp[i] = (unsigned char)v;
        v >>= 8;
    }
    codec_put_bytes(b, tmp, 8);
}

void codec_put_double(codec_buf *b, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    codec_put_u64(b, u);
}

void codec_put_str(codec_buf *b, const void *s, size_t n) {
    codec_put_varint(b, n);
    codec_put_bytes(b, s, n);
}

uint64_t codec_get_varint(codec_rd *r) {
    uint64_t v = 0;
    for (unsigned shift = 0; !r->bad; shift += 7) {
        if (r->pos >= r->len || shift > 63) {
            r->bad = true;
            break;
        }
        unsigned char c = r->p[r->pos++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
    }
    return 0;
}

const void *codec_get_bytes(codec_rd *r, size_t n) {
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return NULL;
    }
    const void *s = r->p + r->pos;
    r->pos += n;
    return s;
}

uint64_t codec_get_u64(codec_rd *r) {
    const unsigned char *b = codec_get_bytes(r, 8);
    uint64_t v = 0;
    for (int i = 0; b && i < 8; i++) v = (v << 8) | b[i];
    return v;
}

double codec_get_double(codec_rd *r) {
    uint64_t u = codec_get_u64(r);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

const void *codec_get_str(codec_rd *r, size_t *n) {
    uint64_t len = codec_get_varint(r);
    if (r->bad || len > r->len - r->pos) {
        r->bad = true;
        *n = 0;
        return NULL;
    }
    *n = (size_t)len;
    return codec_get_bytes(r, (size_t)len);
}
