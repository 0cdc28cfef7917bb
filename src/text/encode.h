/*
 * encode.h - turn a CSV row (plus the header) into a message value.
 *
 * Formats, each byte-identical to what the seed's Python produced from
 * csv.DictReader rows (for valid UTF-8 input):
 *   json  json.dumps(row, ensure_ascii=False, separators=(',', ':'))
 *         e.g. {"id":"1","title":"it's"}; invalid UTF-8 bytes become \u00XX
 *         (the byte's value), so the output is always valid JSON.
 *   csv   the record as one RFC-4180 line, no line terminator (Python's
 *         csv.writer, QUOTE_MINIMAL): quoted iff it contains , " CR or LF.
 *   dict  str(row): {'id': '1', 'title': "it's"}; invalid UTF-8 bytes are
 *         copied raw.
 *   avro  encoded by src/payload (libavro, the registry's wire format);
 *         encode_row gives its JSON rendering, the json format's text,
 *         which is what a consumer decodes an all-strings record to.
 * Fields are paired with header names like dict(zip(header, row)): if the
 * counts differ, the extra ones are ignored.
 */
#ifndef KENGINE_ENCODE_H
#define KENGINE_ENCODE_H

#include <stddef.h>

#include "csvsrc.h"

typedef enum { ENCODE_JSON, ENCODE_CSV, ENCODE_DICT, ENCODE_AVRO } encode_format;
/* The formats' names, indexed by encode_format, NULL-ended. */
extern const char *const encode_format_names[];

/* "json", "csv", "dict" -> *out; 0 ok, -1 unknown name. */
int encode_format_parse(const char *name, encode_format *out);
/* The format's name, "?" if out of range. */
const char *encode_format_name(encode_format fmt);

typedef struct {
    char *data; /* encoded bytes (not NUL-terminated; may contain NULs) */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
} encode_buf;   /* zero-initialise; reused between calls; grows geometrically */

void encode_buf_free(encode_buf *buf);

/* Replaces buf's contents with the encoding of row under header.
 * 0 ok, -1 out of memory (buf keeps its old allocation). Does not allocate
 * when buf->cap already covers the worst case for this row (at most
 * 6x the field bytes + 8 bytes per field for json). */
/* Replaces buf's contents with s (n bytes) as a JSON string literal, quotes
 * included, escaped as the json format escapes values (invalid UTF-8 bytes
 * as \u00XX). 0 ok, -1 OOM. */
int encode_json_string(encode_buf *buf, const void *s, size_t n);

/* Makes buf->cap at least need (contents kept). 0, -1 OOM. */
int encode_reserve(encode_buf *buf, size_t need);
/* Appends s (n bytes) to buf as encode_json_string writes it. 0, -1 OOM. */
int encode_json_append(encode_buf *buf, const void *s, size_t n);
/* Appends n raw bytes to buf. 0, -1 OOM. Neither allocates once buf is big enough. */
int encode_append(encode_buf *buf, const void *s, size_t n);

int encode_row(encode_buf *buf, encode_format fmt, const csvsrc_row *header,
               const csvsrc_row *row);

#endif /* KENGINE_ENCODE_H */
