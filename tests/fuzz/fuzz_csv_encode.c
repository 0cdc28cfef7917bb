/*
 * fuzz_csv_encode.c - libFuzzer target for src/csvsrc.c and src/encode.c.
 *
 * The input is a CSV file. It is written to a memfd and opened twice with
 * csvsrc_open: once cached (the default) and once with cache_limit = 1,
 * which forces the uncached path that re-parses the file on every cycle.
 * The ragged-row policy (error / skip / pad) is picked from the input size.
 * The fuzz build compiles csvsrc.c with a 16-byte read chunk
 * (CSVSRC_CHUNK_SIZE), so records, quotes and CR/LF pairs straddle reads.
 *
 * Checked, aborting on any difference:
 *   - both opens agree: the same first error message (at open time for the
 *     cached source, at open or during the first pass for the uncached one),
 *     or the same header, the same rows (fields, index, line) for a full
 *     cycle plus one wrap-around, and the same skipped / padded counts;
 *   - every data row, encoded with encode_row in all three formats (also
 *     into a fresh buffer, and with the header or the row cut short to test
 *     the dict(zip()) pairing):
 *       json  passes a small independent JSON validator (balanced, strings
 *             properly escaped, no raw control bytes, valid UTF-8) and is
 *             byte-identical to a byte-at-a-time reference encoder
 *             (json.dumps(ensure_ascii=False) + \u00XX for invalid bytes);
 *       csv   is byte-identical to a reference RFC 4180 QUOTE_MINIMAL
 *             writer, and an independent parser reads it back to the same
 *             fields;
 *       dict  parses as a Python dict literal of str whose decoded keys and
 *             values are the header names and fields, with Python's quote
 *             choice and no raw C0 / DEL bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvsrc.h"
#include "encode.h"

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_csv_encode: %s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #cond);                                                                    \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* ------------------------------------------------------------------ */
/* a growable byte string                                               */

typedef struct {
    unsigned char *p;
    size_t len, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        CHECK(b->p != NULL, "out of memory");
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void putc1(bytes *b, unsigned char c) { put(b, &c, 1); }

static void put_utf8(bytes *b, uint32_t cp) {
    if (cp < 0x80) {
        putc1(b, (unsigned char)cp);
    } else if (cp < 0x800) {
        putc1(b, (unsigned char)(0xC0 | (cp >> 6)));
        putc1(b, (unsigned char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        putc1(b, (unsigned char)(0xE0 | (cp >> 12)));
        putc1(b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
        putc1(b, (unsigned char)(0x80 | (cp & 0x3F)));
    } else {
        putc1(b, (unsigned char)(0xF0 | (cp >> 18)));
        putc1(b, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
        putc1(b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
        putc1(b, (unsigned char)(0x80 | (cp & 0x3F)));
    }
}

/* ------------------------------------------------------------------ */
/* reference UTF-8 decoding (code point arithmetic, not byte ranges)    */

/* Length of the valid UTF-8 sequence at p (1..4, setting *cp), or 0 if p[0]
 * does not start one: Python's strict decoder (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
static size_t ref_utf8(const unsigned char *p, size_t n, uint32_t *cp) {
    unsigned char c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static int valid_utf8(const unsigned char *p, size_t n) {
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t l = ref_utf8(p + i, n - i, &cp);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* reference encoders                                                   */

static void ref_json_str(bytes *o, const unsigned char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    putc1(o, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        uint32_t cp;
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            put(o, esc, 2);
            i++;
            continue;
        }
        size_t l = c < 0x20 ? 0 : ref_utf8(p + i, n - i, &cp);
        if (l) {
            put(o, p + i, l);
            i += l;
        } else { /* other control byte, or a byte of invalid UTF-8 */
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, u, 6);
            i++;
        }
    }
    putc1(o, '"');
}

static void ref_json(bytes *o, const csvsrc_row *h, const csvsrc_row *r) {
    size_t n = h->nfields < r->nfields ? h->nfields : r->nfields;
    putc1(o, '{');
    for (size_t i = 0; i < n; i++) {
        if (i) putc1(o, ',');
        ref_json_str(o, (const unsigned char *)h->fields[i], h->lens[i]);
        putc1(o, ':');
        ref_json_str(o, (const unsigned char *)r->fields[i], r->lens[i]);
    }
    putc1(o, '}');
}

static void ref_csv(bytes *o, const csvsrc_row *r) {
    if (r->nfields == 1 && r->lens[0] == 0) {
        put(o, "\"\"", 2);
        return;
    }
    for (size_t i = 0; i < r->nfields; i++) {
        const unsigned char *p = (const unsigned char *)r->fields[i];
        size_t n = r->lens[i];
        int quote = 0;
        for (size_t k = 0; k < n; k++)
            quote |= p[k] == ',' || p[k] == '"' || p[k] == '\r' || p[k] == '\n';
        if (i) putc1(o, ',');
        if (quote) putc1(o, '"');
        for (size_t k = 0; k < n; k++) {
            putc1(o, p[k]);
            if (p[k] == '"') putc1(o, '"');
        }
        if (quote) putc1(o, '"');
    }
}

/* ------------------------------------------------------------------ */
/* an independent JSON validator (any JSON value; strings decoded)      */

typedef struct {
    const unsigned char *p;
    size_t n, i;
    int depth;
} jp;

static void j_ws(jp *j) {
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\n' ||
                           j->p[j->i] == '\r'))
        j->i++;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int j_hex4(jp *j, uint32_t *v) {
    if (j->n - j->i < 4) return 0;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(j->p[j->i++]);
        if (h < 0) return 0;
        *v = (*v << 4) | (uint32_t)h;
    }
    return 1;
}

/* A JSON string at j->i. Decodes into out (if not NULL) with kengine's
 * convention for invalid UTF-8: \u0080..\u00ff stand for the raw byte. */
static int j_string(jp *j, bytes *out) {
    if (j->i >= j->n || j->p[j->i] != '"') return 0;
    j->i++;
    for (;;) {
        if (j->i >= j->n) return 0;
        unsigned char c = j->p[j->i];
        if (c == '"') {
            j->i++;
            return 1;
        }
        if (c < 0x20) return 0; /* raw control byte */
        if (c != '\\') {
            uint32_t cp;
            size_t l = ref_utf8(j->p + j->i, j->n - j->i, &cp);
            if (!l) return 0; /* invalid UTF-8 in the output */
            if (out) put(out, j->p + j->i, l);
            j->i += l;
            continue;
        }
        j->i++;
        if (j->i >= j->n) return 0;
        unsigned char e = j->p[j->i++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) {
            if (out) putc1(out, (unsigned char)to[hit - from]);
            continue;
        }
        if (e != 'u') return 0;
        uint32_t v;
        if (!j_hex4(j, &v)) return 0;
        if (v >= 0xD800 && v <= 0xDBFF) { /* surrogate pair */
            uint32_t lo;
            if (j->n - j->i < 6 || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u') return 0;
            j->i += 2;
            if (!j_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF) return 0;
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            return 0;
        }
        if (out) {
            if (v >= 0x80 && v <= 0xFF)
                putc1(out, (unsigned char)v); /* raw byte */
            else
                put_utf8(out, v);
        }
    }
}

static int j_value(jp *j);

static int j_number(jp *j) {
    size_t s = j->i;
    if (j->i < j->n && j->p[j->i] == '-') j->i++;
    if (j->i >= j->n) return 0;
    if (j->p[j->i] == '0') {
        j->i++;
    } else if (j->p[j->i] >= '1' && j->p[j->i] <= '9') {
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
    } else {
        return 0;
    }
    if (j->i < j->n && j->p[j->i] == '.') {
        j->i++;
        size_t d = j->i;
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
        if (j->i == d) return 0;
    }
    if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->p[j->i] == '+' || j->p[j->i] == '-')) j->i++;
        size_t d = j->i;
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
        if (j->i == d) return 0;
    }
    return j->i > s;
}

static int j_lit(jp *j, const char *w) {
    size_t l = strlen(w);
    if (j->n - j->i < l || memcmp(j->p + j->i, w, l) != 0) return 0;
    j->i += l;
    return 1;
}

static int j_value(jp *j) {
    if (++j->depth > 64) return 0;
    j_ws(j);
    if (j->i >= j->n) return 0;
    int ok;
    unsigned char c = j->p[j->i];
    if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        j->i++;
        j_ws(j);
        ok = 1;
        if (j->i < j->n && j->p[j->i] == close) {
            j->i++;
        } else {
            for (;;) {
                if (c == '{') {
                    j_ws(j);
                    if (!j_string(j, NULL)) {
                        ok = 0;
                        break;
                    }
                    j_ws(j);
                    if (j->i >= j->n || j->p[j->i++] != ':') {
                        ok = 0;
                        break;
                    }
                }
                if (!j_value(j)) {
                    ok = 0;
                    break;
                }
                j_ws(j);
                if (j->i < j->n && j->p[j->i] == ',') {
                    j->i++;
                    continue;
                }
                if (j->i < j->n && j->p[j->i] == close) {
                    j->i++;
                    break;
                }
                ok = 0;
                break;
            }
        }
    } else if (c == '"') {
        ok = j_string(j, NULL);
    } else if (c == 't') {
        ok = j_lit(j, "true");
    } else if (c == 'f') {
        ok = j_lit(j, "false");
    } else if (c == 'n') {
        ok = j_lit(j, "null");
    } else {
        ok = j_number(j);
    }
    j->depth--;
    return ok;
}

/* 1 if p[0..n) is exactly one valid JSON value (whitespace around ok). */
static int json_valid(const unsigned char *p, size_t n) {
    jp j = {p, n, 0, 0};
    if (!j_value(&j)) return 0;
    j_ws(&j);
    return j.i == n;
}

/* Decodes kengine's json object {"k":"v",...} and checks it pairs the
 * header names with the row's fields, zip() style. */
static void check_json_pairs(const unsigned char *p, size_t n, const csvsrc_row *h,
                             const csvsrc_row *r) {
    size_t want = h->nfields < r->nfields ? h->nfields : r->nfields;
    jp j = {p, n, 0, 0};
    bytes k = {0}, v = {0};
    CHECK(n >= 2 && p[0] == '{' && p[n - 1] == '}', "json: not an object");
    j.i = 1;
    size_t i = 0;
    while (j.i < n - 1) {
        if (i) {
            CHECK(p[j.i] == ',', "json: no comma before pair %zu", i);
            j.i++;
        }
        k.len = v.len = 0;
        CHECK(j_string(&j, &k), "json: bad key %zu", i);
        CHECK(j.i < n && p[j.i] == ':', "json: no colon in pair %zu", i);
        j.i++;
        CHECK(j_string(&j, &v), "json: bad value %zu", i);
        CHECK(i < want, "json: more pairs than %zu", want);
        CHECK(k.len == h->lens[i] && (!k.len || memcmp(k.p, h->fields[i], k.len) == 0),
              "json: key %zu does not decode to the header name", i);
        CHECK(v.len == r->lens[i] && (!v.len || memcmp(v.p, r->fields[i], v.len) == 0),
              "json: value %zu does not decode to the field", i);
        i++;
    }
    CHECK(i == want, "json: %zu pairs, expected %zu", i, want);
    free(k.p);
    free(v.p);
}

/* ------------------------------------------------------------------ */
/* an independent reader for one CSV record (no line end)               */

static void check_csv_reparse(const unsigned char *p, size_t n, const csvsrc_row *r) {
    size_t i = 0, f = 0;
    bytes fld = {0};
    for (;;) {
        fld.len = 0;
        int quoted = 0;
        if (i < n && p[i] == '"') {
            quoted = 1;
            i++;
            for (;;) {
                CHECK(i < n, "csv: unterminated quoted field %zu", f);
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        putc1(&fld, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                putc1(&fld, p[i++]);
            }
            CHECK(i == n || p[i] == ',', "csv: junk after the closing quote of field %zu", f);
        } else {
            while (i < n && p[i] != ',') {
                CHECK(p[i] != '"' && p[i] != '\r' && p[i] != '\n',
                      "csv: unquoted field %zu holds a quote or line end", f);
                putc1(&fld, p[i++]);
            }
        }
        CHECK(f < r->nfields, "csv: more than %zu fields", r->nfields);
        CHECK(fld.len == r->lens[f] && (!fld.len || memcmp(fld.p, r->fields[f], fld.len) == 0),
              "csv: field %zu reads back differently", f);
        if (quoted && !(r->nfields == 1 && r->lens[0] == 0)) {
            int needed = 0;
            for (size_t k = 0; k < fld.len; k++)
                needed |=
                    fld.p[k] == ',' || fld.p[k] == '"' || fld.p[k] == '\r' || fld.p[k] == '\n';
            CHECK(needed, "csv: field %zu quoted without need (QUOTE_MINIMAL)", f);
        }
        f++;
        if (i == n) break;
        i++; /* the comma */
    }
    CHECK(f == r->nfields, "csv: %zu fields, expected %zu", f, r->nfields);
    free(fld.p);
}

/* ------------------------------------------------------------------ */
/* Python str repr (dict format)                                        */

/* Reads one Python str literal at p[*i] and decodes it (raw bytes are
 * copied, escapes become the code point's UTF-8). */
static void py_str_decode(const unsigned char *p, size_t n, size_t *i, bytes *out,
                          const unsigned char *orig, size_t olen) {
    CHECK(*i < n && (p[*i] == '\'' || p[*i] == '"'), "dict: no opening quote");
    unsigned char q = p[(*i)++];
    int has_sq = olen && memchr(orig, '\'', olen) != NULL;
    int has_dq = olen && memchr(orig, '"', olen) != NULL;
    CHECK(q == ((has_sq && !has_dq) ? '"' : '\''), "dict: Python would use the other quote");
    for (;;) {
        CHECK(*i < n, "dict: unterminated string");
        unsigned char c = p[(*i)++];
        if (c == q) return;
        CHECK(c >= 0x20 && c != 0x7f, "dict: raw control byte 0x%02x", c);
        if (c != '\\') {
            putc1(out, c);
            continue;
        }
        CHECK(*i < n, "dict: dangling backslash");
        unsigned char e = p[(*i)++];
        int digits = 0;
        switch (e) {
        case '\\': putc1(out, '\\'); break;
        case '\'': putc1(out, '\''); break;
        case '"': putc1(out, '"'); break;
        case 't': putc1(out, '\t'); break;
        case 'n': putc1(out, '\n'); break;
        case 'r': putc1(out, '\r'); break;
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default: CHECK(0, "dict: unknown escape \\%c", e);
        }
        if (!digits) continue;
        CHECK(n - *i >= (size_t)digits, "dict: short \\%c escape", e);
        uint32_t v = 0;
        for (int d = 0; d < digits; d++) {
            int h = hexval(p[(*i)++]);
            CHECK(h >= 0 && !(p[*i - 1] >= 'A' && p[*i - 1] <= 'F'),
                  "dict: bad hex digit in \\%c escape", e);
            v = (v << 4) | (uint32_t)h;
        }
        CHECK(v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF), "dict: escape of U+%X", v);
        /* Python uses the shortest of \x \u \U */
        CHECK(e == 'x'   ? v <= 0xFF
              : e == 'u' ? v > 0xFF && v <= 0xFFFF
                         : v > 0xFFFF,
              "dict: \\%c escape for U+%X", e, v);
        CHECK(!(v >= 0x20 && v < 0x7F), "dict: printable ASCII U+%X escaped", v);
        put_utf8(out, v);
    }
}

static void check_dict(const unsigned char *p, size_t n, const csvsrc_row *h,
                       const csvsrc_row *r) {
    size_t want = h->nfields < r->nfields ? h->nfields : r->nfields;
    bytes k = {0}, v = {0};
    CHECK(n >= 2 && p[0] == '{' && p[n - 1] == '}', "dict: not braced");
    size_t i = 1, f = 0;
    while (i < n - 1) {
        if (f) {
            CHECK(n - i > 2 && p[i] == ',' && p[i + 1] == ' ', "dict: no ', ' before %zu", f);
            i += 2;
        }
        CHECK(f < want, "dict: more than %zu pairs", want);
        k.len = v.len = 0;
        py_str_decode(p, n, &i, &k, (const unsigned char *)h->fields[f], h->lens[f]);
        CHECK(n - i > 2 && p[i] == ':' && p[i + 1] == ' ', "dict: no ': ' in pair %zu", f);
        i += 2;
        py_str_decode(p, n, &i, &v, (const unsigned char *)r->fields[f], r->lens[f]);
        CHECK(k.len == h->lens[f] && (!k.len || memcmp(k.p, h->fields[f], k.len) == 0),
              "dict: key %zu does not decode to the header name", f);
        CHECK(v.len == r->lens[f] && (!v.len || memcmp(v.p, r->fields[f], v.len) == 0),
              "dict: value %zu does not decode to the field", f);
        f++;
    }
    CHECK(f == want, "dict: %zu pairs, expected %zu", f, want);
    free(k.p);
    free(v.p);
}

/* ------------------------------------------------------------------ */

static encode_buf bufs[3]; /* reused across rows and inputs, like the producer */

static void check_encodings(const csvsrc_row *h, const csvsrc_row *r) {
    bytes ref = {0};
    for (int f = 0; f < 3; f++) {
        encode_format fmt = f == 0 ? ENCODE_JSON : f == 1 ? ENCODE_CSV : ENCODE_DICT;
        encode_buf fresh = {0};
        CHECK(encode_row(&bufs[f], fmt, h, r) == 0, "encode_row(%s) failed",
              encode_format_name(fmt));
        CHECK(encode_row(&fresh, fmt, h, r) == 0, "encode_row(%s, fresh) failed",
              encode_format_name(fmt));
        CHECK(fresh.len == bufs[f].len && memcmp(fresh.data, bufs[f].data, fresh.len) == 0,
              "%s: a fresh buffer gives other bytes", encode_format_name(fmt));
        CHECK(bufs[f].len <= bufs[f].cap, "%s: len > cap", encode_format_name(fmt));
        const unsigned char *o = (const unsigned char *)bufs[f].data;
        size_t n = bufs[f].len;
        ref.len = 0;
        switch (fmt) {
        case ENCODE_JSON:
            CHECK(json_valid(o, n), "json: invalid JSON: %.*s", (int)(n < 300 ? n : 300),
                  (const char *)o);
            CHECK(valid_utf8(o, n), "json: output is not valid UTF-8");
            for (size_t i = 0; i < n; i++)
                CHECK(o[i] >= 0x20, "json: raw control byte 0x%02x at %zu", o[i], i);
            check_json_pairs(o, n, h, r);
            ref_json(&ref, h, r);
            CHECK(ref.len == n && memcmp(ref.p, o, n) == 0,
                  "json: differs from the reference encoder:\n got %.*s\nwant %.*s",
                  (int)(n < 300 ? n : 300), (const char *)o,
                  (int)(ref.len < 300 ? ref.len : 300), (const char *)ref.p);
            break;
        case ENCODE_CSV:
            check_csv_reparse(o, n, r);
            ref_csv(&ref, r);
            CHECK(ref.len == n && memcmp(ref.p, o, n) == 0,
                  "csv: differs from the reference writer");
            break;
        case ENCODE_DICT: check_dict(o, n, h, r); break;
        case ENCODE_AVRO: break; /* not among the three formats above: payload/ encodes Avro */
        }
        encode_buf_free(&fresh);
    }
    free(ref.p);
}

/* ------------------------------------------------------------------ */

static void same_row(const csvsrc_row *a, const csvsrc_row *b, const char *what, size_t k) {
    CHECK(a->nfields == b->nfields, "%s %zu: %zu vs %zu fields", what, k, a->nfields,
          b->nfields);
    CHECK(a->index == b->index, "%s %zu: index %zu vs %zu", what, k, a->index, b->index);
    CHECK(a->line == b->line, "%s %zu: line %llu vs %llu", what, k, (unsigned long long)a->line,
          (unsigned long long)b->line);
    for (size_t i = 0; i < a->nfields; i++)
        CHECK(a->lens[i] == b->lens[i] &&
                  (!a->lens[i] || memcmp(a->fields[i], b->fields[i], a->lens[i]) == 0),
              "%s %zu: field %zu differs", what, k, i);
}

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (memfd < 0) {
        memfd = memfd_create("fuzz.csv", MFD_CLOEXEC);
        CHECK(memfd >= 0, "memfd_create failed");
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    CHECK(ftruncate(memfd, 0) == 0, "ftruncate");
    CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size, "pwrite");

    csvsrc_ragged ragged = (csvsrc_ragged)(size % 3);
    csvsrc_opts oa = {ragged, 0}, ob = {ragged, 1};
    char ea[512], eb[512];
    csvsrc *a = csvsrc_open(path, &oa, ea, sizeof ea);
    csvsrc *b = csvsrc_open(path, &ob, eb, sizeof eb);
    if (!a) {
        CHECK(ea[0] != '\0', "cached open failed without a message");
        if (!b) {
            CHECK(strcmp(ea, eb) == 0, "open errors differ:\n cached: %s\nuncached: %s", ea,
                  eb);
            return 0;
        }
        /* the uncached source must hit the same error in its first pass */
        csvsrc_row rb;
        size_t k = 0;
        int r;
        while ((r = csvsrc_next(b, &rb, eb, sizeof eb)) == 1) {
            CHECK(rb.index == k, "uncached row index %zu, expected %zu", rb.index, k);
            k++;
            CHECK(k <= size + 1, "uncached source cycles although the cached open failed (%s)",
                  ea);
        }
        CHECK(strcmp(ea, eb) == 0, "first-pass errors differ:\n cached: %s\nuncached: %s", ea,
              eb);
        CHECK(csvsrc_next(b, &rb, eb, sizeof eb) == -1,
              "uncached source usable after an error");
        csvsrc_close(b);
        return 0;
    }
    CHECK(b != NULL, "uncached open failed (%s) but cached open worked", eb);
    CHECK(csvsrc_cached(a) && !csvsrc_cached(b), "cache modes");

    const csvsrc_row *ha = csvsrc_header(a), *hb = csvsrc_header(b);
    same_row(ha, hb, "header", 0);
    CHECK(ha->nfields >= 1, "header without fields");
    size_t rows = csvsrc_rows(a);
    CHECK(rows >= 1, "cached source without rows");
    CHECK(csvsrc_rows(b) == 0, "uncached source knows its rows before a full pass");

    for (size_t k = 0; k < rows + 1; k++) {
        csvsrc_row ra, rb;
        CHECK(csvsrc_next(a, &ra, ea, sizeof ea) == 1, "cached next: %s", ea);
        CHECK(csvsrc_next(b, &rb, eb, sizeof eb) == 1, "uncached next %zu: %s", k, eb);
        CHECK(ra.index == k % rows, "cached index %zu at %zu", ra.index, k);
        CHECK(ra.nfields == ha->nfields, "row width %zu, header %zu", ra.nfields, ha->nfields);
        same_row(&ra, &rb, "row", k);
        if (k < rows) {
            check_encodings(ha, &ra);
            /* zip(): fewer header names, or a shorter row */
            if (ha->nfields > 1) {
                csvsrc_row h2 = *ha, r2 = ra;
                h2.nfields = ha->nfields - 1;
                check_encodings(&h2, &ra);
                r2.nfields = ha->nfields / 2;
                check_encodings(ha, &r2);
            }
        }
    }
    CHECK(csvsrc_rows(b) == rows, "uncached rows %zu, cached %zu", csvsrc_rows(b), rows);
    CHECK(csvsrc_skipped(a) == csvsrc_skipped(b) && csvsrc_padded(a) == csvsrc_padded(b),
          "skipped/padded differ: %llu/%llu vs %llu/%llu",
          (unsigned long long)csvsrc_skipped(a), (unsigned long long)csvsrc_padded(a),
          (unsigned long long)csvsrc_skipped(b), (unsigned long long)csvsrc_padded(b));
    if (ragged == CSVSRC_RAGGED_ERROR)
        CHECK(csvsrc_skipped(a) == 0 && csvsrc_padded(a) == 0, "ragged rows in error mode");
    csvsrc_close(a);
    csvsrc_close(b);
    return 0;
}
