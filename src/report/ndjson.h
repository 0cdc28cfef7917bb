/*
 * ndjson: reads back one line of kengine's NDJSON. A small JSON parser that
 * walks one object and hands every leaf value to a callback with its path:
 * object keys joined by '.', array elements by their index
 * ("latency_ms.p99", "top_words.0.1", "thresholds.2.metric"). kengine only
 * needs to read what it wrote (compare, the HTML report), so there is no
 * document tree: the callback keeps what it wants.
 */
#ifndef KENGINE_NDJSON_H
#define KENGINE_NDJSON_H

#include <stddef.h>

typedef enum { NDJSON_NUMBER, NDJSON_STRING, NDJSON_BOOL, NDJSON_NULL } ndjson_kind;

/* One leaf. `str` (NUL-terminated, `len` bytes, escapes decoded to UTF-8)
 * for strings; `num` for numbers and booleans (1/0). Both only valid during
 * the call. Return non-zero to stop the walk (ndjson_parse returns it). */
typedef int (*ndjson_leaf_fn)(void *ud, const char *path, ndjson_kind kind, double num,
                              const char *str, size_t len);

/* Parses `line` (one JSON object, surrounding whitespace allowed). Returns
 * 0, the callback's non-zero value, or -1 with err saying what is wrong and
 * at which column (1-based). */
int ndjson_parse(const char *line, ndjson_leaf_fn fn, void *ud, char *err, size_t errlen);

#endif
