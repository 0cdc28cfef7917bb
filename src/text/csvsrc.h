/*
 * csvsrc.h - csvsrc: an endless, replicating stream of CSV data rows.
 *
 * A csvsrc reads one CSV file (header row + data rows) and hands out the data
 * rows in file order, cycling back to the first data row after the last one.
 * Parsing follows Python's csv.DictReader(open(path, newline='',
 * encoding='utf-8-sig')) for valid UTF-8 input: RFC-4180 quoting, CR / LF /
 * CRLF line ends, UTF-8 BOM stripped, blank lines skipped, spaces preserved,
 * raw bytes (NULs, invalid UTF-8) passed through. Differences from Python: a
 * row whose field count differs from the header's is an error by default (or
 * skipped / padded-or-truncated on request), an unterminated quoted field at
 * end of file is an error, duplicate header names are an error, and blank
 * lines before the header are skipped.
 *
 * Files whose parsed rows fit in opts->cache_limit are parsed (and fully
 * validated) once at open time and then served from one in-memory arena;
 * bigger files are re-parsed from disk on every cycle with memory bounded by
 * the largest row. See csvsrc.c for details. This module is the only
 * user of libcsv in the project.
 *
 * Not thread-safe: one csvsrc per thread.
 */
#ifndef KENGINE_CSVSRC_H
#define KENGINE_CSVSRC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t nfields; /* number of fields (data rows: always the header's count) */
    const char *const
        *fields;        /* field bytes, NOT necessarily NUL-terminated (may contain NULs) */
    const size_t *lens; /* byte length of each field */
    size_t index;       /* 0-based index among the data rows produced from the file
                                   (skipped ragged rows take no index); stable across cycles.
                                   0 for the header. */
    uint64_t line;      /* 1-based physical line number where the record starts */
} csvsrc_row;

typedef enum {
    CSVSRC_RAGGED_ERROR = 0, /* field count != header's: error naming the line */
    CSVSRC_RAGGED_SKIP,      /* drop the row (counted in csvsrc_skipped) */
    CSVSRC_RAGGED_PAD        /* pad with empty fields / truncate (counted in csvsrc_padded) */
} csvsrc_ragged;

typedef struct {
    csvsrc_ragged ragged; /* what to do with rows of the wrong width */
    size_t cache_limit;   /* max bytes of parsed rows kept in memory; 0 = 64 MiB */
} csvsrc_opts;

typedef struct csvsrc csvsrc;

/* Opens `path` and parses the header row; a cacheable file is parsed and
 * validated completely. opts may be NULL (defaults). On error returns NULL and
 * writes one line (no trailing newline) to err naming the file and, where it
 * applies, the line, e.g. "x.csv: line 7: unterminated quoted field". */
csvsrc *csvsrc_open(const char *path, const csvsrc_opts *opts, char *err, size_t errlen);

/* The header row (valid until csvsrc_close). */
const csvsrc_row *csvsrc_header(const csvsrc *s);

/* Number of data rows if known (file cached, or after the first full pass
 * of an uncached file), else 0. */
size_t csvsrc_rows(const csvsrc *s);

/* Next data row, cycling to the first data row after the last one. Returns 1
 * and fills *row (pointers valid until the next call on s or csvsrc_close),
 * or -1 with a message in err (e.g. "x.csv: no data rows (header only)",
 * or a parse error reached in an uncached file). After an error the source
 * should be closed. O(1) and allocation-free when the file is cached. */
int csvsrc_next(csvsrc *s, csvsrc_row *row, char *err, size_t errlen);

/* Ragged rows skipped / padded-or-truncated, each file row counted once
 * (on its first full pass). */
uint64_t csvsrc_skipped(const csvsrc *s);
uint64_t csvsrc_padded(const csvsrc *s);

/* 1 if rows are served from the in-memory cache, 0 if re-parsed each cycle. */
int csvsrc_cached(const csvsrc *s);

void csvsrc_close(csvsrc *s);

#endif /* KENGINE_CSVSRC_H */
