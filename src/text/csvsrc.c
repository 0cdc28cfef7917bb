/*
 * csvsrc.c - csvsrc: CSV rows through libcsv, cached or re-parsed per cycle.
 *
 * Parsing. The file is read in 64 KiB chunks and fed to libcsv (the only use
 * of libcsv in kengine). libcsv is configured to behave like Python's csv
 * module (excel dialect, non-strict):
 *   - a space function that never matches, so spaces and tabs around
 *     unquoted fields are preserved (libcsv trims them by default);
 *   - CSV_STRICT, so libcsv stops at the two spots where its loose handling
 *     differs from Python's, and we patch the parser state and resume:
 *       `"ab"c`  libcsv keeps the closing quote and stays in quoted mode
 *                (swallowing later commas); Python yields `abc` and
 *                continues the field unquoted. We drop the quote and switch
 *                the field to unquoted.
 *       `ab"c`   a quote inside an unquoted field: literal in both; strict
 *                mode stops there, so we append the quote ourselves.
 *     This touches fields of the public struct csv_parser (pstate, quoted,
 *     entry_buf, entry_pos); a probe at open time verifies that the linked
 *     libcsv behaves as expected.
 *   - default terminators (CR, LF): CRLF, LF and lone CR end records, blank
 *     lines produce no record (CSV_REPALL_NL off), CR/LF inside quotes stay
 *     data; a final record without a newline is flushed by csv_fini.
 *   - an unterminated quoted field at end of file is reported by us (Python
 *     would silently keep it) with the line where the field's quote opened.
 *   - the entry buffer grows in 64 KiB steps (libcsv grows linearly, 128 B by
 *     default).
 * libcsv's callbacks do not say where in the input they fire, so the input is
 * fed in segments that end right after each CR, LF or '"' byte (or at the
 * chunk end). A record can only end on a segment's last byte, so record start
 * lines and quoted-field start lines are derived from the parser state
 * between segments. Physical lines: LF, CRLF and lone CR each end one line.
 *
 * Memory. If the parsed rows (bytes + per-field pointer/length + per-row line)
 * fit within cache_limit, open() parses the whole file once into an arena
 * (validating all of it) and csvsrc_next() just hands out pointers: O(1), no
 * allocation or copying. Otherwise rows are re-parsed from disk on every
 * cycle (lseek to 0), holding only the row being produced, so memory is
 * bounded by the largest row, never by the number of records produced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "csvsrc.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CSVSRC_CHUNK_SIZE /* overridable to test chunk boundaries */
#define CSVSRC_CHUNK_SIZE (64 * 1024)
#endif
#define CHUNK_SIZE ((size_t)CSVSRC_CHUNK_SIZE)
_Static_assert(CSVSRC_CHUNK_SIZE >= 4, "BOM detection needs 3 bytes in the first chunk");
#define DEFAULT_CACHE_LIMIT ((size_t)64 << 20)
#define LIBCSV_BLK_SIZE     ((size_t)64 * 1024)

/* libcsv 3.x parser states: private #defines in libcsv.c, observable through
 * the public struct csv_parser.pstate. Checked by libcsv_probe(). */
enum {
    LCSV_ROW_NOT_BEGUN = 0,
    LCSV_FIELD_NOT_BEGUN = 1,
    LCSV_FIELD_BEGUN = 2,
    LCSV_FIELD_MIGHT_HAVE_ENDED = 3 /* saw '"' inside a quoted field */
};

/* The cache stores field offsets while the arena may still move, then turns
 * them into pointers in place (memcpy sets the element's effective type). */
_Static_assert(sizeof(size_t) == sizeof(const char *),
               "offset/pointer cells must have equal size");

struct csvsrc {
    char *path;           /* as given, for messages */
    int fd;               /* -1 once the file is cached */
    csvsrc_ragged ragged; /* policy for rows of the wrong width */
    size_t cache_limit;   /* bytes */
    int dead;             /* an error was returned: refuse further use */

    /* parser state of the current pass */
    struct csv_parser p;
    int p_live;           /* p initialised */
    unsigned char *chunk; /* read buffer, CHUNK_SIZE bytes */
    size_t chunk_len;     /* valid bytes in chunk */
    size_t chunk_pos;     /* next byte to feed */
    int at_start;         /* nothing read yet this pass (BOM check pending) */
    int eof;              /* read() returned 0 */
    int finished;         /* csv_fini done for this pass */
    uint64_t line;        /* physical line of the next byte to feed */
    int prev_cr;          /* last byte fed was CR (CRLF is one line end) */
    uint64_t rec_line;    /* line where the record being parsed starts */
    uint64_t qline;       /* line where the open quoted field started */
    int oom;              /* a callback failed to allocate */

    /* the row being built by the libcsv callbacks */
    char *rbuf; /* field bytes back to back */
    size_t rlen, rcap;
    size_t *roff;      /* offset of field i in rbuf */
    size_t *rflen;     /* length of field i */
    size_t rnf, rfcap; /* fields so far / capacity of roff, rflen */
    int row_ready;     /* a complete record is in rbuf */
    uint64_t row_line; /* its start line */

    /* header */
    size_t nf;  /* header field count = width of every data row */
    char *hbuf; /* header field bytes */
    const char **hptrs;
    size_t *hlens;
    csvsrc_row header;

    /* uncached mode */
    const char **optrs; /* nf pointers into rbuf for the returned row */
    size_t pass_rows;   /* data rows produced in this pass */
    uint64_t pass;      /* 0 for the first pass; counters only move in it */

    /* cache (cached mode) */
    int cached;
    char *arena; /* all field bytes */
    size_t arena_len, arena_cap;
    size_t *coff;       /* nrows*nf field offsets, later pointers (cptrs) */
    const char **cptrs; /* == coff after finalisation */
    size_t *clens;      /* nrows*nf field lengths */
    uint64_t *clines;   /* nrows start lines */
    size_t cap_rows;    /* capacity of coff/clens/clines in rows */
    size_t nrows;       /* data rows in the file (when rows_known) */
    size_t cur;         /* next cached row */
    int rows_known;

    uint64_t skipped, padded; /* ragged rows, first pass only */
};

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int never_space(unsigned char c) {
    (void)c;
    return 0;
}

/* Verifies that the linked libcsv has the states and strict-mode stops the
 * resume logic in feed() relies on. */
static int libcsv_probe(void) {
    struct csv_parser q;
    int ok = 1;
    if (csv_init(&q, CSV_STRICT) != 0) return -1;
    csv_set_space_func(&q, never_space);
    ok = ok && csv_parse(&q, "\"a", 2, NULL, NULL, NULL) == 2 && q.pstate == LCSV_FIELD_BEGUN &&
         q.quoted;
    ok = ok && csv_parse(&q, "\"", 1, NULL, NULL, NULL) == 1 &&
         q.pstate == LCSV_FIELD_MIGHT_HAVE_ENDED && q.entry_pos == 2;
    ok = ok && csv_parse(&q, "x", 1, NULL, NULL, NULL) == 0 && csv_error(&q) == CSV_EPARSE;
    q.status = CSV_SUCCESS;
    ok = ok && csv_parse(&q, ",b", 2, NULL, NULL, NULL) == 2 && q.pstate == LCSV_FIELD_BEGUN &&
         !q.quoted && q.entry_pos == 1;
    ok = ok && csv_parse(&q, "\"", 1, NULL, NULL, NULL) == 0 && csv_error(&q) == CSV_EPARSE &&
         q.entry_pos < q.entry_size;
    csv_fini(&q, NULL, NULL, NULL);
    ok = ok && q.pstate == LCSV_ROW_NOT_BEGUN;
    csv_free(&q);
    return ok ? 0 : -1;
}

/* ---- row buffer (libcsv callbacks) ---- */

static int row_reserve_fields(csvsrc *s, size_t n) {
    if (n <= s->rfcap) return 0;
    size_t cap = s->rfcap ? s->rfcap : 16;
    while (cap < n) cap *= 2;
    size_t *o = realloc(s->roff, cap * sizeof *o);
    if (!o) return -1;
    s->roff = o;
    size_t *l = realloc(s->rflen, cap * sizeof *l);
    if (!l) return -1;
    s->rflen = l;
    s->rfcap = cap;
    return 0;
}

static int row_reserve_bytes(csvsrc *s, size_t n) {
    if (n <= s->rcap) return 0;
    size_t cap = s->rcap ? s->rcap : 4096;
    while (cap < n) {
        if (cap > SIZE_MAX / 2) return -1;
        cap *= 2;
    }
    char *b = realloc(s->rbuf, cap);
    if (!b) return -1;
    s->rbuf = b;
    s->rcap = cap;
    return 0;
}

static void on_field(void *data, size_t len, void *ud) {
    csvsrc *s = ud;
    if (s->oom) return;
    if (row_reserve_fields(s, s->rnf + 1) != 0 || len > SIZE_MAX - s->rlen ||
        row_reserve_bytes(s, s->rlen + len) != 0) {
        s->oom = 1;
        return;
    }
    if (len) memcpy(s->rbuf + s->rlen, data, len);
    s->roff[s->rnf] = s->rlen;
    s->rflen[s->rnf] = len;
    s->rnf++;
    s->rlen += len;
}

static void on_row(int c, void *ud) {
    csvsrc *s = ud;
    (void)c;
    s->row_ready = 1;
    s->row_line = s->rec_line;
}

/* ---- input ---- */

static void pass_reset(csvsrc *s) {
    s->chunk_len = s->chunk_pos = 0;
    s->at_start = 1;
    s->eof = 0;
    s->finished = 0;
    s->line = 1;
    s->prev_cr = 0;
    s->rec_line = s->qline = 1;
    s->pass_rows = 0;
}

static ssize_t read_some(int fd, void *buf, size_t n) {
    ssize_t r;
    do r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static int fill(csvsrc *s, char *err, size_t errlen) {
    ssize_t n = read_some(s->fd, s->chunk, CHUNK_SIZE);
    if (n < 0) goto fail;
    s->chunk_pos = 0;
    s->chunk_len = (size_t)n;
    if (n == 0) s->eof = 1;
    if (s->at_start) {
        /* a UTF-8 BOM at the very start is dropped (Python's utf-8-sig) */
        while (s->chunk_len < 3 && !s->eof) {
            n = read_some(s->fd, s->chunk + s->chunk_len, CHUNK_SIZE - s->chunk_len);
            if (n < 0) goto fail;
            if (n == 0) s->eof = 1;
            s->chunk_len += (size_t)n;
        }
        if (s->chunk_len >= 3 && memcmp(s->chunk, "\xEF\xBB\xBF", 3) == 0) s->chunk_pos = 3;
        s->at_start = 0;
    }
    return 0;
fail:
    say(err, errlen, "%s: read error: %s", s->path, strerror(errno));
    return -1;
}

/* Feeds one segment to libcsv, patching the two strict-mode stops (see the
 * top of the file) so the result matches Python's non-strict reader. */
static int feed(csvsrc *s, const unsigned char *b, size_t n, char *err, size_t errlen) {
    size_t off = 0;
    while (off < n) {
        off += csv_parse(&s->p, b + off, n - off, on_field, on_row, s);
        if (s->oom) {
            say(err, errlen, "%s: out of memory", s->path);
            return -1;
        }
        if (off == n) break;
        int st = csv_error(&s->p);
        if (st != CSV_EPARSE) {
            say(err, errlen, "%s: line %llu: %s", s->path, (unsigned long long)s->line,
                csv_strerror(st));
            return -1;
        }
        s->p.status = CSV_SUCCESS;
        if (s->p.pstate == LCSV_FIELD_MIGHT_HAVE_ENDED) {
            /* `"ab"c`: drop the stored closing quote, go on unquoted and
             * re-feed the byte (never a space: never_space). */
            s->p.entry_pos -= s->p.spaces + 1;
            s->p.spaces = 0;
            s->p.quoted = 0;
            s->p.pstate = LCSV_FIELD_BEGUN;
        } else if (s->p.pstate == LCSV_FIELD_BEGUN && !s->p.quoted && b[off] == '"') {
            /* `ab"c`: literal quote. libcsv checked capacity for it. */
            s->p.entry_buf[s->p.entry_pos++] = '"';
            s->p.spaces = 0;
            off++;
        } else {
            say(err, errlen, "%s: line %llu: unexpected libcsv parse state", s->path,
                (unsigned long long)s->line);
            return -1;
        }
    }
    return 0;
}

/* Bytes that end a segment. */
static const unsigned char seg_end[256] = {['\r'] = 1, ['\n'] = 1, ['"'] = 1};

/* Parses until one record is complete in the row buffer (1), the pass hits
 * end of file (0), or an error (-1). */
static int pump(csvsrc *s, char *err, size_t errlen) {
    s->row_ready = 0;
    s->rnf = 0;
    s->rlen = 0;
    for (;;) {
        if (s->chunk_pos == s->chunk_len) {
            if (s->finished) return 0;
            if (!s->eof) {
                if (fill(s, err, errlen) < 0) return -1;
                continue;
            }
            if (s->p.pstate == LCSV_FIELD_BEGUN && s->p.quoted) {
                say(err, errlen, "%s: line %llu: unterminated quoted field", s->path,
                    (unsigned long long)s->qline);
                return -1;
            }
            csv_fini(&s->p, on_field, on_row, s);
            s->finished = 1;
            if (s->oom) {
                say(err, errlen, "%s: out of memory", s->path);
                return -1;
            }
            return s->row_ready;
        }
        const unsigned char *b = s->chunk + s->chunk_pos;
        size_t avail = s->chunk_len - s->chunk_pos, n = 0;
        while (n < avail && !seg_end[b[n]]) n++;
        if (n < avail) n++; /* include the CR / LF / quote */

        int before_open = s->p.quoted && s->p.pstate == LCSV_FIELD_BEGUN;
        int before_fmhe = s->p.pstate == LCSV_FIELD_MIGHT_HAVE_ENDED;
        if (s->p.pstate == LCSV_ROW_NOT_BEGUN)
            s->rec_line = s->line; /* any byte but CR/LF starts a record */
        if (feed(s, b, n, err, errlen) < 0) return -1;
        s->chunk_pos += n;
        int after_open = s->p.quoted && s->p.pstate == LCSV_FIELD_BEGUN;
        /* the segment's final '"' opened a quoted field, unless it was the
         * second half of a doubled quote */
        if (after_open && !before_open && !(before_fmhe && n == 1)) s->qline = s->line;
        unsigned char last = b[n - 1];
        if (last == '\n') {
            if (!(n == 1 && s->prev_cr)) s->line++;
            s->prev_cr = 0;
        } else if (last == '\r') {
            s->line++;
            s->prev_cr = 1;
        } else {
            s->prev_cr = 0;
        }
        if (s->row_ready) return 1;
    }
}

/* Checks the width of the row in the row buffer against the header's:
 * 1 = use it (padded/truncated if asked), 0 = skip it, -1 = error. */
static int shape_row(csvsrc *s, int count, char *err, size_t errlen) {
    if (s->rnf == s->nf) return 1;
    switch (s->ragged) {
    case CSVSRC_RAGGED_SKIP:
        if (count) s->skipped++;
        return 0;
    case CSVSRC_RAGGED_PAD:
        if (count) s->padded++;
        if (row_reserve_fields(s, s->nf) != 0) {
            say(err, errlen, "%s: out of memory", s->path);
            return -1;
        }
        for (; s->rnf < s->nf; s->rnf++) {
            s->roff[s->rnf] = s->rlen;
            s->rflen[s->rnf] = 0;
        }
        s->rnf = s->nf; /* truncates a long row */
        return 1;
    case CSVSRC_RAGGED_ERROR:
    default:
        say(err, errlen, "%s: line %llu: %zu field%s, header has %zu", s->path,
            (unsigned long long)s->row_line, s->rnf, s->rnf == 1 ? "" : "s", s->nf);
        return -1;
    }
}

/* ---- cache ---- */

static void cache_free(csvsrc *s) {
    free(s->arena);
    free(s->coff);
    free(s->clens);
    free(s->clines);
    s->arena = NULL;
    s->coff = NULL;
    s->cptrs = NULL;
    s->clens = NULL;
    s->clines = NULL;
    s->arena_len = s->arena_cap = s->cap_rows = s->nrows = 0;
}

/* Appends the row buffer's row: 1 ok, 0 over cache_limit, -1 out of memory. */
static int cache_add(csvsrc *s) {
    size_t nf = s->nf;
    size_t used = s->roff[nf - 1] + s->rflen[nf - 1]; /* drops truncated fields */
    size_t limit = s->cache_limit;
    if (nf > (limit / 2) / (sizeof(size_t) * 2)) return 0;
    size_t per_row = nf * sizeof(size_t) * 2 + sizeof(uint64_t);
    if (s->nrows + 1 > limit / per_row) return 0;
    size_t meta = (s->nrows + 1) * per_row;
    if (used > limit - meta || s->arena_len > limit - meta - used) return 0;

    if (s->arena_len + used > s->arena_cap) {
        size_t cap = s->arena_cap ? s->arena_cap * 2 : 64 * 1024;
        if (cap > limit) cap = limit;
        if (cap < s->arena_len + used) cap = s->arena_len + used;
        char *a = realloc(s->arena, cap);
        if (!a) return -1;
        s->arena = a;
        s->arena_cap = cap;
    }
    if (s->nrows == s->cap_rows) {
        size_t cap = s->cap_rows ? s->cap_rows * 2 : 256;
        size_t maxrows = limit / per_row;
        if (cap > maxrows) cap = maxrows;
        size_t *o = realloc(s->coff, cap * nf * sizeof *o);
        if (!o) return -1;
        s->coff = o;
        size_t *l = realloc(s->clens, cap * nf * sizeof *l);
        if (!l) return -1;
        s->clens = l;
        uint64_t *ln = realloc(s->clines, cap * sizeof *ln);
        if (!ln) return -1;
        s->clines = ln;
        s->cap_rows = cap;
    }
    if (used) memcpy(s->arena + s->arena_len, s->rbuf, used);
    size_t base = s->nrows * nf;
    for (size_t i = 0; i < nf; i++) {
        s->coff[base + i] = s->arena_len + s->roff[i];
        s->clens[base + i] = s->rflen[i];
    }
    s->clines[s->nrows] = s->row_line;
    s->nrows++;
    s->arena_len += used;
    return 1;
}

/* Shrinks the cache arrays and turns offsets into pointers. */
static int cache_finalize(csvsrc *s) {
    size_t cells = s->nrows * s->nf;
    char *a = realloc(s->arena, s->arena_len ? s->arena_len : 1);
    if (a)
        s->arena = a;
    else if (!s->arena)
        return -1;
    size_t *o = realloc(s->coff, cells * sizeof *o);
    if (o) s->coff = o;
    size_t *l = realloc(s->clens, cells * sizeof *l);
    if (l) s->clens = l;
    uint64_t *ln = realloc(s->clines, s->nrows * sizeof *ln);
    if (ln) s->clines = ln;
    for (size_t i = 0; i < cells; i++) {
        const char *ptr = s->arena + s->coff[i];
        memcpy(&s->coff[i], &ptr, sizeof ptr);
    }
    s->cptrs = (const char **)(void *)s->coff;
    s->cur = 0;
    return 0;
}

/* ---- open / next / close ---- */

static int rewind_pass(csvsrc *s, char *err, size_t errlen) {
    if (lseek(s->fd, 0, SEEK_SET) < 0) {
        say(err, errlen, "%s: cannot rewind for the next cycle: %s", s->path, strerror(errno));
        return -1;
    }
    csv_fini(&s->p, NULL, NULL, NULL); /* reset the parser state */
    pass_reset(s);
    int r = pump(s, err, errlen); /* header again */
    if (r == 0) say(err, errlen, "%s: file changed: no header row on re-read", s->path);
    return r == 1 ? 0 : -1;
}

/* Copies at most 48 bytes of a field for a message, '?' for control bytes. */
static void printable(char *dst, size_t dstlen, const char *src, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < dstlen && i < 48; i++)
        dst[n++] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
    if (len > 48 && n + 4 < dstlen) dst[n++] = '.', dst[n++] = '.', dst[n++] = '.';
    dst[n] = '\0';
}

typedef struct {
    const char *p;
    size_t len, col;
} hname;

static int hname_cmp(const void *a, const void *b) {
    const hname *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->col < y->col ? -1 : 1;
}

/* Takes the header from the row buffer; rejects duplicate names (a dict
 * would silently keep only one of them). */
static int take_header(csvsrc *s, char *err, size_t errlen) {
    s->nf = s->rnf;
    s->hbuf = malloc(s->rlen ? s->rlen : 1);
    s->hptrs = malloc(s->nf * sizeof *s->hptrs);
    s->hlens = malloc(s->nf * sizeof *s->hlens);
    s->optrs = malloc(s->nf * sizeof *s->optrs);
    hname *names = malloc(s->nf * sizeof *names);
    if (!s->hbuf || !s->hptrs || !s->hlens || !s->optrs || !names ||
        row_reserve_fields(s, s->nf) != 0) {
        free(names);
        say(err, errlen, "%s: out of memory", s->path);
        return -1;
    }
    if (s->rlen) memcpy(s->hbuf, s->rbuf, s->rlen);
    for (size_t i = 0; i < s->nf; i++) {
        s->hptrs[i] = s->hbuf + s->roff[i];
        s->hlens[i] = s->rflen[i];
        names[i] = (hname){s->hptrs[i], s->hlens[i], i};
    }
    s->header = (csvsrc_row){s->nf, s->hptrs, s->hlens, 0, s->row_line};
    qsort(names, s->nf, sizeof *names, hname_cmp);
    for (size_t i = 1; i < s->nf; i++) {
        if (names[i].len == names[i - 1].len &&
            (names[i].len == 0 || memcmp(names[i].p, names[i - 1].p, names[i].len) == 0)) {
            char shown[64];
            printable(shown, sizeof shown, names[i].p, names[i].len);
            say(err, errlen,
                "%s: line %llu: duplicate header field \"%s\" (columns %zu and %zu)", s->path,
                (unsigned long long)s->row_line, shown, names[i - 1].col + 1, names[i].col + 1);
            free(names);
            return -1;
        }
    }
    free(names);
    return 0;
}

static void no_data_rows(const csvsrc *s, char *err, size_t errlen) {
    if (s->skipped)
        say(err, errlen, "%s: no data rows (all %llu skipped: field count differs from header)",
            s->path, (unsigned long long)s->skipped);
    else
        say(err, errlen, "%s: no data rows (header only)", s->path);
}

csvsrc *csvsrc_open(const char *path, const csvsrc_opts *opts, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!path) {
        say(err, errlen, "(null): cannot open: no path");
        return NULL;
    }
    if (libcsv_probe() != 0) {
        say(err, errlen, "%s: the linked libcsv does not behave like libcsv 3.0.x", path);
        return NULL;
    }
    csvsrc *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        say(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->fd = -1;
    s->ragged = opts ? opts->ragged : CSVSRC_RAGGED_ERROR;
    s->cache_limit = (opts && opts->cache_limit) ? opts->cache_limit : DEFAULT_CACHE_LIMIT;

    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        say(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        say(err, errlen, "%s: cannot open: %s", path, strerror(EISDIR));
        goto fail;
    }
    s->chunk = malloc(CHUNK_SIZE);
    if (!s->chunk || row_reserve_bytes(s, 4096) != 0 || row_reserve_fields(s, 16) != 0 ||
        csv_init(&s->p, CSV_STRICT) != 0) {
        say(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    s->p_live = 1;
    csv_set_space_func(&s->p, never_space);
    csv_set_blk_size(&s->p, LIBCSV_BLK_SIZE);
    pass_reset(s);

    int r = pump(s, err, errlen);
    if (r < 0) goto fail;
    if (r == 0) {
        say(err, errlen, "%s: empty file (no header row)", path);
        goto fail;
    }
    if (take_header(s, err, errlen) < 0) goto fail;

    /* first pass: cache and validate everything, unless it gets too big */
    int fits = 1;
    while ((r = pump(s, err, errlen)) == 1) {
        int k = shape_row(s, 1, err, errlen);
        if (k < 0) goto fail;
        if (k == 0) continue;
        int c = cache_add(s);
        if (c < 0) {
            say(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        if (c == 0) {
            fits = 0;
            break;
        }
    }
    if (r < 0) goto fail;
    if (fits) {
        if (s->nrows == 0) {
            no_data_rows(s, err, errlen);
            goto fail;
        }
        if (cache_finalize(s) != 0) {
            say(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        s->cached = 1;
        s->rows_known = 1;
        /* the parser, read buffer and file are no longer needed */
        close(s->fd);
        s->fd = -1;
        free(s->chunk);
        s->chunk = NULL;
        csv_free(&s->p);
        s->p_live = 0;
        return s;
    }
    /* too big: stream from disk, re-parsing on every cycle */
    cache_free(s);
    s->skipped = s->padded = 0;
    if (rewind_pass(s, err, errlen) < 0) goto fail;
    return s;
fail:
    csvsrc_close(s);
    return NULL;
}

const csvsrc_row *csvsrc_header(const csvsrc *s) { return &s->header; }

size_t csvsrc_rows(const csvsrc *s) { return s->rows_known ? s->nrows : 0; }

int csvsrc_next(csvsrc *s, csvsrc_row *row, char *err, size_t errlen) {
    if (s->cached) {
        size_t i = s->cur, nf = s->nf;
        row->nfields = nf;
        row->fields = s->cptrs + i * nf;
        row->lens = s->clens + i * nf;
        row->index = i;
        row->line = s->clines[i];
        s->cur = (i + 1 == s->nrows) ? 0 : i + 1;
        return 1;
    }
    if (s->dead) {
        say(err, errlen, "%s: unusable after an earlier error", s->path);
        return -1;
    }
    for (;;) {
        int r = pump(s, err, errlen);
        if (r < 0) goto fail;
        if (r == 0) {
            if (s->pass_rows == 0) {
                no_data_rows(s, err, errlen);
                goto fail;
            }
            if (!s->rows_known) {
                s->nrows = s->pass_rows;
                s->rows_known = 1;
            }
            s->pass++;
            if (rewind_pass(s, err, errlen) < 0) goto fail;
            continue;
        }
        int k = shape_row(s, s->pass == 0, err, errlen);
        if (k < 0) goto fail;
        if (k == 0) continue;
        for (size_t i = 0; i < s->nf; i++) s->optrs[i] = s->rbuf + s->roff[i];
        row->nfields = s->nf;
        row->fields = s->optrs;
        row->lens = s->rflen;
        row->index = s->pass_rows++;
        row->line = s->row_line;
        return 1;
    }
fail:
    s->dead = 1;
    return -1;
}

uint64_t csvsrc_skipped(const csvsrc *s) { return s->skipped; }

uint64_t csvsrc_padded(const csvsrc *s) { return s->padded; }

int csvsrc_cached(const csvsrc *s) { return s->cached; }

void csvsrc_close(csvsrc *s) {
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    if (s->p_live) csv_free(&s->p);
    free(s->chunk);
    free(s->rbuf);
    free(s->roff);
    free(s->rflen);
    free(s->hbuf);
    free(s->hptrs);
    free(s->hlens);
    free(s->optrs);
    cache_free(s);
    free(s->path);
    free(s);
}
