/*
 * codec: the byte layout of what workers send each other through Kafka
 * (protocol.c, state.c, stats.c). A growable output buffer and a bounds-
 * checked reader of unsigned LEB128 varints, fixed 64-bit integers
 * (big-endian) and byte strings. Readers never trust lengths: a short or
 * malformed input sets `bad` and yields zeros, it never reads past the end.
 */
#ifndef KENGINE_CODEC_H
#define KENGINE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned char *p; /* malloc'd bytes, owned */
    size_t len, cap;
    bool oom; /* sticky: a write could not grow the buffer */
} codec_buf;

void codec_buf_free(codec_buf *b);
void codec_put_bytes(codec_buf *b, const void *src, size_t n);
void codec_put_varint(codec_buf *b, uint64_t v);
void codec_put_u64(codec_buf *b, uint64_t v);
void codec_put_double(codec_buf *b, double v);
/* A length-prefixed byte string (varint length, then the bytes). */
void codec_put_str(codec_buf *b, const void *s, size_t n);

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    bool bad; /* sticky: read past the end or a malformed varint */
} codec_rd;

uint64_t codec_get_varint(codec_rd *r);
uint64_t codec_get_u64(codec_rd *r);
double codec_get_double(codec_rd *r);
/* Points *s at n bytes of the input (not copied); NULL when bad. */
const void *codec_get_bytes(codec_rd *r, size_t n);
/* A string written by codec_put_str: its bytes (in the input), length in *n. */
const void *codec_get_str(codec_rd *r, size_t *n);

#endif
