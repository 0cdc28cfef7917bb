/*
 * test_csvsrc.c - csvsrc: parsing semantics (Python csv.DictReader
 * parity), errors with line numbers, ragged-row policies, cycling, and the
 * cached vs re-parse paths.
 *
 * Table-driven: every case is written to a mkstemp file in /tmp and checked
 * twice, once cached (default cache_limit) and once with cache_limit = 1 so
 * the re-parse path runs; both must give the same rows over two cycles.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvsrc.h"

#define MAXF 4
#define MAXR 6

typedef struct {
    const char *s;
    size_t n;
} fld;
#define F(lit)                                                                                 \
    { lit, sizeof(lit) - 1 }

typedef struct {
    uint64_t line;
    fld f[MAXF];
} exp_row;

typedef struct {
    const char *name;
    const char *in; /* file bytes */
    size_t in_len;
    csvsrc_ragged ragged;
    const char *err; /* expected message after "path: ", NULL = success */
    size_t nf;
    fld header[MAXF];
    size_t nrows;
    exp_row rows[MAXR];
    uint64_t skipped, padded;
} csv_case;

#define IN(lit) lit, sizeof(lit) - 1

static const csv_case cases[] = {
    {"lf",
     IN("id,name\n1,alice\n2,bob\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("name")},
     2,
     {{2, {F("1"), F("alice")}}, {3, {F("2"), F("bob")}}},
     0,
     0},
    {"crlf",
     IN("id,name\r\n1,alice\r\n2,bob\r\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("name")},
     2,
     {{2, {F("1"), F("alice")}}, {3, {F("2"), F("bob")}}},
     0,
     0},
    {"cr only",
     IN("id,name\r1,alice\r2,bob"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("name")},
     2,
     {{2, {F("1"), F("alice")}}, {3, {F("2"), F("bob")}}},
     0,
     0},
    {"mixed endings",
     IN("id,v\r\n1,a\n2,b\r3,c\r\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("v")},
     3,
     {{2, {F("1"), F("a")}}, {3, {F("2"), F("b")}}, {4, {F("3"), F("c")}}},
     0,
     0},
    {"bom",
     IN("\xEF\xBB\xBFid,name\n1,a\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("name")},
     1,
     {{2, {F("1"), F("a")}}},
     0,
     0},
    {"bom then quoted header",
     IN("\xEF\xBB\xBF\"id\",name\r\n1,a\r\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("name")},
     1,
     {{2, {F("1"), F("a")}}},
     0,
     0},
    {"bom only in first field",
     IN("id,\xEF\xBB\xBFx\n\xEF\xBB\xBF,1\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("\xEF\xBB\xBFx")},
     1,
     {{2, {F("\xEF\xBB\xBF"), F("1")}}},
     0,
     0},
    {"quoted comma quote newline",
     IN("id,text\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"line1\nline2\"\n4,x\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("text")},
     4,
     {{2, {F("1"), F("a,b")}},
      {3, {F("2"), F("say \"hi\"")}},
      {4, {F("3"), F("line1\nline2")}},
      {6, {F("4"), F("x")}}},
     0,
     0},
    {"cr inside quotes",
     IN("id,t\r\n1,\"a\rb\"\r\n2,\"c\r\nd\"\r\n3,\"\r\"\r\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("id"), F("t")},
     3,
     {{2, {F("1"), F("a\rb")}}, {4, {F("2"), F("c\r\nd")}}, {6, {F("3"), F("\r")}}},
     0,
     0},
    {"empty fields",
     IN("a,b,c\n,,\n1,,3\n\"\",\"\",\"\"\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     3,
     {F("a"), F("b"), F("c")},
     3,
     {{2, {F(""), F(""), F("")}}, {3, {F("1"), F(""), F("3")}}, {4, {F(""), F(""), F("")}}},
     0,
     0},
    {"trailing empty field",
     IN("a,b,c\nx,y,\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     3,
     {F("a"), F("b"), F("c")},
     1,
     {{2, {F("x"), F("y"), F("")}}},
     0,
     0},
    {"trailing comma at eof",
     IN("a,b\n1,"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     1,
     {{2, {F("1"), F("")}}},
     0,
     0},
    {"no final newline",
     IN("a,b\n1,2\n3,4"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     2,
     {{2, {F("1"), F("2")}}, {3, {F("3"), F("4")}}},
     0,
     0},
    {"no final newline quoted",
     IN("a,b\n1,\"x,\ny\""),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     1,
     {{2, {F("1"), F("x,\ny")}}},
     0,
     0},
    {"blank lines",
     IN("a,b\n\n1,2\n\r\n\n3,4\n\n\r\r"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     2,
     {{3, {F("1"), F("2")}}, {6, {F("3"), F("4")}}},
     0,
     0},
    {"blank lines before header",
     IN("\n\r\na,b\n1,2\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     1,
     {{4, {F("1"), F("2")}}},
     0,
     0},
    {"single data row",
     IN("only\nx\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     1,
     {F("only")},
     1,
     {{2, {F("x")}}},
     0,
     0},
    {"quoted empty and blank-looking rows",
     IN("a\n\"\"\n   \n\t\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     1,
     {F("a")},
     3,
     {{2, {F("")}}, {3, {F("   ")}}, {4, {F("\t")}}},
     0,
     0},
    {"spaces preserved",
     IN("a, b ,c\n 1 , 2,3 \n\t4\t,\" 5 \",6\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     3,
     {F("a"), F(" b "), F("c")},
     2,
     {{2, {F(" 1 "), F(" 2"), F("3 ")}}, {3, {F("\t4\t"), F(" 5 "), F("6")}}},
     0,
     0},
    {"loose quotes like python",
     IN("a,b\n\"x\"y,z\nq\"r,\"s\"\"t\"\n\"u\" ,\"v\"\"\n w \"x\"\n\"a\"b\"c\",\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     4,
     {{2, {F("xy"), F("z")}},
      {3, {F("q\"r"), F("s\"t")}},
      {4, {F("u "), F("v\"\n w x\"")}},
      {6, {F("ab\"c\""), F("")}}},
     0,
     0},
    {"nul bytes",
     IN("a,b\n\0x,y\0\n\0,\0\0\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     2,
     {{2, {F("\0x"), F("y\0")}}, {3, {F("\0"), F("\0\0")}}},
     0,
     0},
    {"invalid utf8",
     IN("a,b\n\xff\xfe,\xc3\n\"\xed\xa0\x80\",\xc0\x80\n"),
     CSVSRC_RAGGED_ERROR,
     NULL,
     2,
     {F("a"), F("b")},
     2,
     {{2, {F("\xff\xfe"), F("\xc3")}}, {3, {F("\xed\xa0\x80"), F("\xc0\x80")}}},
     0,
     0},
    {"ragged skip",
     IN("a,b\n1,2\n3\n4,5,6\n7,8\n"),
     CSVSRC_RAGGED_SKIP,
     NULL,
     2,
     {F("a"), F("b")},
     2,
     {{2, {F("1"), F("2")}}, {5, {F("7"), F("8")}}},
     2,
     0},
    {"ragged pad",
     IN("a,b\n1,2\n3\n4,5,6\n7,8\n"),
     CSVSRC_RAGGED_PAD,
     NULL,
     2,
     {F("a"), F("b")},
     4,
     {{2, {F("1"), F("2")}},
      {3, {F("3"), F("")}},
      {4, {F("4"), F("5")}},
      {5, {F("7"), F("8")}}},
     0,
     2},
    /* errors */
    {"empty file",
     IN(""),
     CSVSRC_RAGGED_ERROR,
     "empty file (no header row)",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"only bom and blank lines",
     IN("\xEF\xBB\xBF\r\n\n"),
     CSVSRC_RAGGED_ERROR,
     "empty file (no header row)",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"header only",
     IN("a,b\n"),
     CSVSRC_RAGGED_ERROR,
     "no data rows (header only)",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"header only with blank lines",
     IN("a,b\r\n\r\n\n"),
     CSVSRC_RAGGED_ERROR,
     "no data rows (header only)",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"all rows skipped",
     IN("a,b\n1\n"),
     CSVSRC_RAGGED_SKIP,
     "no data rows (all 1 skipped: field count differs from header)",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"unterminated quote",
     IN("a,b\n1,2\n3,\"abc\ndef\n"),
     CSVSRC_RAGGED_ERROR,
     "line 3: unterminated quoted field",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"unterminated after a multi-line field",
     IN("a,b\n\"x\ny\",\"p\nq\n"),
     CSVSRC_RAGGED_ERROR,
     "line 3: unterminated quoted field",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"unterminated with doubled quote later",
     IN("a\n1\n\"x\ny\"\"z\n\n"),
     CSVSRC_RAGGED_ERROR,
     "line 3: unterminated quoted field",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"unterminated header",
     IN("\"a,b\n"),
     CSVSRC_RAGGED_ERROR,
     "line 1: unterminated quoted field",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"ragged error short",
     IN("a,b,c\n1,2,3\n4,5\n"),
     CSVSRC_RAGGED_ERROR,
     "line 3: 2 fields, header has 3",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"ragged error long after multi-line",
     IN("a,b\r\n\"1\r\n2\",3\r\n\r\n4,5,6\r\n"),
     CSVSRC_RAGGED_ERROR,
     "line 5: 3 fields, header has 2",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"ragged error one field",
     IN("a,b\n1,2\nx\n"),
     CSVSRC_RAGGED_ERROR,
     "line 3: 1 field, header has 2",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
    {"duplicate header",
     IN("a,b,a\n1,2,3\n"),
     CSVSRC_RAGGED_ERROR,
     "line 1: duplicate header field \"a\" (columns 1 and 3)",
     0,
     {{0}},
     0,
     {{0}},
     0,
     0},
};

/* ---- helpers ---- */

static void expect_field(const char *cname, size_t r, size_t i, const char *got, size_t glen,
                         const fld *want) {
    if (glen != want->n || (glen && memcmp(got, want->s, glen) != 0)) {
        print_error(
            "case '%s': row %zu field %zu: got %zu bytes '%.*s', want %zu bytes '%.*s'\n",
            cname, r, i, glen, (int)glen, got, want->n, (int)want->n, want->s);
        fail();
    }
}

/* Runs one case against one cache_limit. */
static void run_case(const csv_case *c, size_t cache_limit) {
    char path[64], err[256], want[512];
    helper_write_tmp(path, c->in, c->in_len);
    csvsrc_opts o = {c->ragged, cache_limit};
    csvsrc *s = csvsrc_open(path, &o, err, sizeof err);
    if (c->err) {
        snprintf(want, sizeof want, "%s: %s", path, c->err);
        if (s) { /* uncached: the error shows up when reached */
            assert_int_equal(csvsrc_cached(s), 0);
            csvsrc_row row;
            int r = 1;
            for (int i = 0; i < 100 && r == 1; i++) r = csvsrc_next(s, &row, err, sizeof err);
            assert_int_equal(r, -1);
            csvsrc_close(s);
        }
        if (strcmp(err, want) != 0) {
            print_error("case '%s' (limit %zu): error '%s', want '%s'\n", c->name, cache_limit,
                        err, want);
            fail();
        }
        unlink(path);
        return;
    }
    if (!s) {
        print_error("case '%s' (limit %zu): unexpected error: %s\n", c->name, cache_limit, err);
        fail();
    }
    assert_int_equal(csvsrc_cached(s), cache_limit != 1);
    const csvsrc_row *h = csvsrc_header(s);
    assert_int_equal(h->nfields, c->nf);
    for (size_t i = 0; i < c->nf; i++)
        expect_field(c->name, 0, i, h->fields[i], h->lens[i], &c->header[i]);
    if (cache_limit != 1) assert_int_equal(csvsrc_rows(s), c->nrows);
    for (size_t k = 0; k < 2 * c->nrows + 1; k++) {
        csvsrc_row row;
        size_t r = k % c->nrows;
        assert_int_equal(csvsrc_next(s, &row, err, sizeof err), 1);
        assert_int_equal(row.nfields, c->nf);
        assert_int_equal(row.index, r);
        if (row.line != c->rows[r].line) {
            print_error("case '%s' row %zu: line %llu, want %llu\n", c->name, r,
                        (unsigned long long)row.line, (unsigned long long)c->rows[r].line);
            fail();
        }
        for (size_t i = 0; i < c->nf; i++)
            expect_field(c->name, r, i, row.fields[i], row.lens[i], &c->rows[r].f[i]);
    }
    assert_int_equal(csvsrc_rows(s), c->nrows);
    assert_int_equal(csvsrc_skipped(s), c->skipped);
    assert_int_equal(csvsrc_padded(s), c->padded);
    csvsrc_close(s);
    unlink(path);
}

static void test_table_cached(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 0);
}

static void test_table_reparse(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 1);
}

static void test_open_missing(void **state) {
    (void)state;
    char err[256];
    csvsrc *s = csvsrc_open("/nonexistent/sample.csv", NULL, err, sizeof err);
    assert_null(s);
    assert_string_equal(err, "/nonexistent/sample.csv: cannot open: No such file or directory");
    s = csvsrc_open("/tmp", NULL, err, sizeof err);
    assert_null(s);
    assert_string_equal(err, "/tmp: cannot open: Is a directory");
}

static void test_cycling(void **state) {
    (void)state;
    char path[64], err[256];
    static const char data[] = "k,v\n0,zero\n1,\"one\n1\"\n2,two\n";
    helper_write_tmp(path, data, sizeof data - 1);
    const char *vals[] = {"zero", "one\n1", "two"};
    const uint64_t lines[] = {2, 3, 5};
    for (int pass = 0; pass < 2; pass++) {
        csvsrc_opts o = {CSVSRC_RAGGED_ERROR, pass ? 1 : 0};
        csvsrc *s = csvsrc_open(path, &o, err, sizeof err);
        assert_non_null(s);
        for (int i = 0; i < 3 * 7; i++) {
            csvsrc_row row;
            assert_int_equal(csvsrc_next(s, &row, err, sizeof err), 1);
            assert_int_equal(row.index, (size_t)(i % 3));
            assert_int_equal(row.line, lines[i % 3]);
            assert_int_equal(row.lens[0], 1);
            assert_int_equal(row.fields[0][0], '0' + i % 3);
            assert_int_equal(row.lens[1], strlen(vals[i % 3]));
            assert_memory_equal(row.fields[1], vals[i % 3], row.lens[1]);
            if (pass && i < 3)
                assert_int_equal(csvsrc_rows(s), 0); /* unknown before a full pass */
        }
        assert_int_equal(csvsrc_rows(s), 3);
        csvsrc_close(s);
    }
    unlink(path);
}

/* A file far over a tiny cache_limit is re-parsed every cycle and yields
 * exactly the rows the cached path yields. */
static void test_large_reparse(void **state) {
    (void)state;
    enum { NROWS = 20000 };
    size_t cap = (size_t)NROWS * 120, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    len += (size_t)snprintf(data + len, cap - len, "\xEF\xBB\xBFid,name,note\r\n");
    for (int i = 0; i < NROWS; i++) {
        switch (i % 4) {
        case 0:
            len += (size_t)snprintf(data + len, cap - len, "%d,n%d,plain text %d\r\n", i, i, i);
            break;
        case 1:
            len += (size_t)snprintf(data + len, cap - len,
                                    "%d,\"q,%d\",\"multi\nline \"\"%d\"\"\"\n", i, i, i);
            break;
        case 2:
            len += (size_t)snprintf(data + len, cap - len, "\n%d, spaced ,\"cr\rin\"\r", i);
            break;
        default: len += (size_t)snprintf(data + len, cap - len, "%d,,\n", i); break;
        }
    }
    char path[64], err[256];
    helper_write_tmp(path, data, len);
    free(data);

    csvsrc_opts big = {CSVSRC_RAGGED_ERROR, 0}, tiny = {CSVSRC_RAGGED_ERROR, 4096};
    csvsrc *a = csvsrc_open(path, &big, err, sizeof err);
    assert_non_null(a);
    csvsrc *b = csvsrc_open(path, &tiny, err, sizeof err);
    assert_non_null(b);
    assert_int_equal(csvsrc_cached(a), 1);
    assert_int_equal(csvsrc_cached(b), 0);
    assert_int_equal(csvsrc_rows(a), NROWS);
    for (size_t k = 0; k < (size_t)NROWS * 3 + 17; k++) {
        csvsrc_row ra, rb;
        assert_int_equal(csvsrc_next(a, &ra, err, sizeof err), 1);
        assert_int_equal(csvsrc_next(b, &rb, err, sizeof err), 1);
        assert_int_equal(ra.index, k % NROWS);
        assert_int_equal(rb.index, ra.index);
        assert_int_equal(rb.line, ra.line);
        assert_int_equal(rb.nfields, 3);
        for (size_t i = 0; i < 3; i++) {
            assert_int_equal(rb.lens[i], ra.lens[i]);
            assert_memory_equal(rb.fields[i], ra.fields[i], ra.lens[i]);
        }
    }
    assert_int_equal(csvsrc_rows(b), NROWS);
    csvsrc_close(a);
    csvsrc_close(b);
    unlink(path);
}

/* An error deep in a big uncached file is reported when reached, with its
 * line; a cacheable file reports it at open. */
static void test_late_error_uncached(void **state) {
    (void)state;
    char path[64], err[256], want[320];
    size_t cap = 200000, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    len += (size_t)snprintf(data + len, cap - len, "a,b\n");
    for (int i = 0; i < 5000; i++) len += (size_t)snprintf(data + len, cap - len, "%d,x\n", i);
    len += (size_t)snprintf(data + len, cap - len, "1,2,3\n");
    helper_write_tmp(path, data, len);
    free(data);
    snprintf(want, sizeof want, "%s: line 5002: 3 fields, header has 2", path);

    assert_null(csvsrc_open(path, NULL, err, sizeof err));
    assert_string_equal(err, want);

    csvsrc_opts tiny = {CSVSRC_RAGGED_ERROR, 1000};
    csvsrc *s = csvsrc_open(path, &tiny, err, sizeof err);
    assert_non_null(s);
    csvsrc_row row;
    for (int i = 0; i < 5000; i++) assert_int_equal(csvsrc_next(s, &row, err, sizeof err), 1);
    assert_int_equal(csvsrc_next(s, &row, err, sizeof err), -1);
    assert_string_equal(err, want);
    csvsrc_close(s);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_cached),  cmocka_unit_test(test_table_reparse),
        cmocka_unit_test(test_open_missing),  cmocka_unit_test(test_cycling),
        cmocka_unit_test(test_large_reparse), cmocka_unit_test(test_late_error_uncached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
