/*
 * ndjson: a recursive-descent JSON reader for one object per line. The path
 * of the current value lives in one fixed buffer that grows and shrinks as
 * the walk enters and leaves objects and arrays; strings are decoded into a
 * reused buffer. Depth and path length are bounded, so a hostile line costs
 * no more than its length.
 */
#include "ndjson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_PATH  512

typedef struct {
    const char *s, *p; /* the line, the read position */
    ndjson_leaf_fn fn;
    void *ud;
    char path[MAX_PATH];
    size_t plen;
    char *str; /* decoded string buffer */
    size_t slen, scap;
    int depth;
    int rc; /* the callback's stop value */
    char *err;
    size_t errlen;
} parser;

static int fail(parser *ps, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "column %ld: %s", (long)(ps->p - ps->s) + 1, msg);
    return -1;
}

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int put(parser *ps, char c) {
    if (ps->slen + 1 >= ps->scap) {
        size_t cap = ps->scap ? ps->scap * 2 : 64;
        char *n = realloc(ps->str, cap);
        if (!n) return fail(ps, "out of memory");
        ps->str = n;
        ps->scap = cap;
    }
    ps->str[ps->slen++] = c;
    return 0;
}

static int put_utf8(parser *ps, unsigned cp) {
    int rc = 0;
    if (cp < 0x80) {
        rc |= put(ps, (char)cp);
    } else if (cp < 0x800) {
        rc |= put(ps, (char)(0xC0 | cp >> 6));
        rc |= put(ps, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        rc |= put(ps, (char)(0xE0 | cp >> 12));
        rc |= put(ps, (char)(0x80 | ((cp >> 6) & 0x3F)));
        rc |= put(ps, (char)(0x80 | (cp & 0x3F)));
    } else {
        rc |= put(ps, (char)(0xF0 | cp >> 18));
        rc |= put(ps, (char)(0x80 | ((cp >> 12) & 0x3F)));
        rc |= put(ps, (char)(0x80 | ((cp >> 6) & 0x3F)));
        rc |= put(ps, (char)(0x80 | (cp & 0x3F)));
    }
    return rc;
}

static int hex4(parser *ps, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(ps, "bad \\u escape");
    }
    ps->p += 4;
    *out = v;
    return 0;
}

/* Reads a string (at its opening quote) into ps->str. */
static int read_string(parser *ps) {
    ps->slen = 0;
    ps->p++;
    for (;;) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') break;
        if (c == '\0') return fail(ps, "unterminated string");
        if (c < 0x20) return fail(ps, "control character in a string");
        ps->p++;
        if (c != '\\') {
            if (put(ps, (char)c)) return -1;
            continue;
        }
        char e = *ps->p++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char out[] = "\"\\/\b\f\n\r\t";
            if (put(ps, out[simple - "\"\\/bfnrt"])) return -1;
        } else if (e == 'u') {
            unsigned cp = 0;
            if (hex4(ps, &cp)) return -1;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                unsigned lo = 0;
                ps->p += 2;
                if (hex4(ps, &lo)) return -1;
                if (lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (put_utf8(ps, cp)) return -1;
        } else {
            ps->p--;
            return fail(ps, "bad escape in a string");
        }
    }
    ps->p++;
    if (put(ps, '\0')) return -1;
    ps->slen--;
    return 0;
}

/* Appends ".name" (or "name" at the top) to the path; returns the old length. */
static int path_push(parser *ps, const char *name, size_t len, size_t *old) {
    *old = ps->plen;
    size_t need = ps->plen + (ps->plen ? 1 : 0) + len;
    if (need >= MAX_PATH) return fail(ps, "key path too long");
    if (ps->plen) ps->path[ps->plen++] = '.';
    memcpy(ps->path + ps->plen, name, len);
    ps->plen += len;
    ps->path[ps->plen] = '\0';
    return 0;
}

static void path_pop(parser *ps, size_t old) {
    ps->plen = old;
    ps->path[old] = '\0';
}

static int leaf(parser *ps, ndjson_kind kind, double num, const char *str, size_t len) {
    int rc = ps->fn ? ps->fn(ps->ud, ps->path, kind, num, str, len) : 0;
    if (rc) ps->rc = rc;
    return rc;
}

static int value(parser *ps);

static int object(parser *ps) {
    ps->p++;
    skip_ws(ps);
    if (*ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        skip_ws(ps);
        if (*ps->p != '"') return fail(ps, "expected a key in quotes");
        if (read_string(ps)) return -1;
        size_t old;
        if (path_push(ps, ps->str, ps->slen, &old)) return -1;
        skip_ws(ps);
        if (*ps->p != ':') return fail(ps, "expected ':' after a key");
        ps->p++;
        if (value(ps)) return -1;
        path_pop(ps, old);
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == '}') {
            ps->p++;
            return 0;
        }
        return fail(ps, "expected ',' or '}'");
    }
}

static int array(parser *ps) {
    ps->p++;
    skip_ws(ps);
    if (*ps->p == ']') {
        ps->p++;
        return 0;
    }
    for (size_t i = 0;; i++) {
        char idx[24];
        int n = snprintf(idx, sizeof idx, "%zu", i);
        size_t old;
        if (path_push(ps, idx, (size_t)n, &old)) return -1;
        if (value(ps)) return -1;
        path_pop(ps, old);
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == ']') {
            ps->p++;
            return 0;
        }
        return fail(ps, "expected ',' or ']'");
    }
}

static int number(parser *ps) {
    /* JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    const char *q = ps->p;
    if (*q == '-') q++;
    if (*q < '0' || *q > '9') return fail(ps, "unexpected character '%c'", *ps->p);
    if (*q == '0')
        q++;
    else
        while (*q >= '0' && *q <= '9') q++;
    if (*q == '.') {
        q++;
        if (*q < '0' || *q > '9') return fail(ps, "bad number");
        while (*q >= '0' && *q <= '9') q++;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-') q++;
        if (*q < '0' || *q > '9') return fail(ps, "bad number");
        while (*q >= '0' && *q <= '9') q++;
    }
    char *end;
    errno = 0;
    double v = strtod(ps->p, &end);
    if (end != q || !isfinite(v)) return fail(ps, "bad number");
    ps->p = q;
    return leaf(ps, NDJSON_NUMBER, v, NULL, 0) ? -1 : 0;
}

static int value(parser *ps) {
    skip_ws(ps);
    int rc;
    switch (*ps->p) {
    case '{':
    case '[':
        if (++ps->depth > MAX_DEPTH) return fail(ps, "nested too deeply");
        rc = *ps->p == '{' ? object(ps) : array(ps);
        ps->depth--;
        return rc;
    case '"':
        if (read_string(ps)) return -1;
        return leaf(ps, NDJSON_STRING, 0, ps->str, ps->slen) ? -1 : 0;
    case 't':
        if (strncmp(ps->p, "true", 4)) break;
        ps->p += 4;
        return leaf(ps, NDJSON_BOOL, 1, NULL, 0) ? -1 : 0;
    case 'f':
        if (strncmp(ps->p, "false", 5)) break;
        ps->p += 5;
        return leaf(ps, NDJSON_BOOL, 0, NULL, 0) ? -1 : 0;
    case 'n':
        if (strncmp(ps->p, "null", 4)) break;
        ps->p += 4;
        return leaf(ps, NDJSON_NULL, 0, NULL, 0) ? -1 : 0;
    case '\0': return fail(ps, "unexpected end of line");
    default: return number(ps);
    }
    return fail(ps, "unexpected character '%c'", *ps->p);
}

int ndjson_parse(const char *line, ndjson_leaf_fn fn, void *ud, char *err, size_t errlen) {
    parser ps = {.s = line, .p = line, .fn = fn, .ud = ud, .err = err, .errlen = errlen};
    int rc;
    skip_ws(&ps);
    if (*ps.p != '{') {
        rc = fail(&ps, "not a JSON object");
    } else {
        ps.depth = 1;
        rc = object(&ps);
        if (rc == 0) {
            skip_ws(&ps);
            if (*ps.p) rc = fail(&ps, "text after the object");
        }
    }
    free(ps.str);
    if (ps.rc) return ps.rc;
    return rc;
}
