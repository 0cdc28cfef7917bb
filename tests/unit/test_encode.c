/*
 * test_encode.c - encode: rows -> json / csv / dict strings.
 *
 * Table-driven expectations (byte-exact with Python 3.11's json.dumps(...,
 * ensure_ascii=False, separators=(',', ':')), csv.writer QUOTE_MINIMAL and
 * str(dict)), buffer reuse, and round trips: csv output parsed back through
 * csvsrc, json output decoded by a small JSON string decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvsrc.h"
#include "encode.h"

#define MAXF 4

typedef struct {
    const char *s;
    size_t n;
} fld;
#define F(lit)                                                                                 \
    { lit, sizeof(lit) - 1 }

typedef struct {
    const char *name;
    size_t nf;
    fld header[MAXF];
    fld row[MAXF];
    fld json, csv, dict;
} enc_case;

static const enc_case cases[] = {
    {"simple",
     2,
     {F("id"), F("title")},
     {F("1"), F("it's")},
     F("{\"id\":\"1\",\"title\":\"it's\"}"),
     F("1,it's"),
     F("{'id': '1', 'title': \"it's\"}")},
    {"double quotes",
     2,
     {F("a"), F("b")},
     {F("say \"hi\""), F("\"")},
     F("{\"a\":\"say \\\"hi\\\"\",\"b\":\"\\\"\"}"),
     F("\"say \"\"hi\"\"\",\"\"\"\""),
     F("{'a': 'say \"hi\"', 'b': '\"'}")},
    {"both quote kinds",
     2,
     {F("a"), F("b")},
     {F("it's \"x\""), F("a\"b'c")},
     F("{\"a\":\"it's \\\"x\\\"\",\"b\":\"a\\\"b'c\"}"),
     F("\"it's \"\"x\"\"\",\"a\"\"b'c\""),
     F("{'a': 'it\\'s \"x\"', 'b': 'a\"b\\'c'}")},
    {"backslash",
     1,
     {F("p\\q")},
     {F("a\\b\\")},
     F("{\"p\\\\q\":\"a\\\\b\\\\\"}"),
     F("a\\b\\"),
     F("{'p\\\\q': 'a\\\\b\\\\'}")},
    {"controls",
     1,
     {F("c")},
     {F("\n\r\t\b\f\x01\x1f\x7f")},
     F("{\"c\":\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"}"),
     F("\"\n\r\t\b\f\x01\x1f\x7f\""),
     F("{'c': '\\n\\r\\t\\x08\\x0c\\x01\\x1f\\x7f'}")},
    {"nul",
     2,
     {F("a"), F("b")},
     {F("a\0b"), F("\0")},
     F("{\"a\":\"a\\u0000b\",\"b\":\"\\u0000\"}"),
     F("a\0b,\0"),
     F("{'a': 'a\\x00b', 'b': '\\x00'}")},
    {"utf8 passthrough",
     2,
     {F("n\xc3\xa4me"), F("e")},
     {F("h\xc3\xa9llo \xe2\x9c\x93"), F("\xf0\x9f\x98\x80")},
     F("{\"n\xc3\xa4me\":\"h\xc3\xa9llo \xe2\x9c\x93\",\"e\":\"\xf0\x9f\x98\x80\"}"),
     F("h\xc3\xa9llo \xe2\x9c\x93,\xf0\x9f\x98\x80"),
     F("{'n\xc3\xa4me': 'h\xc3\xa9llo \xe2\x9c\x93', 'e': '\xf0\x9f\x98\x80'}")},
    {"non-printable unicode",
     1,
     {F("u")},
     {F("\xc2\x85\xc2\xa0\xc2\xad\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xf3\xa0\x80\x81\xcd\xb8"
        "\xee\x80\x80\xc2\xa1")},
     F("{\"u\":"
       "\"\xc2\x85\xc2\xa0\xc2\xad\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xf3\xa0\x80\x81\xcd\xb8"
       "\xee\x80\x80\xc2\xa1\"}"),
     F("\xc2\x85\xc2\xa0\xc2\xad\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xf3\xa0\x80\x81\xcd\xb8"
       "\xee\x80\x80\xc2\xa1"),
     F("{'u': '\\x85\\xa0\\xad\\u2028\\u2029\\ufeff\\U000e0001\\u0378\\ue000\xc2\xa1'}")},
    {"invalid utf8",
     1,
     {F("x")},
     {F("\xff\xc3(\xed\xa0\x80\xc0\x80\xf0\x9f\x98")},
     F("{\"x\":\"\\u00ff\\u00c3(\\u00ed\\u00a0\\u0080\\u00c0\\u0080\\u00f0\\u009f\\u0098\"}"),
     F("\xff\xc3(\xed\xa0\x80\xc0\x80\xf0\x9f\x98"),
     F("{'x': '\xff\xc3(\xed\xa0\x80\xc0\x80\xf0\x9f\x98'}")},
    {"empty fields",
     3,
     {F("a"), F(""), F("c")},
     {F(""), F(""), F("")},
     F("{\"a\":\"\",\"\":\"\",\"c\":\"\"}"),
     F(",,"),
     F("{'a': '', '': '', 'c': ''}")},
    {"single empty field", 1, {F("a")}, {F("")}, F("{\"a\":\"\"}"), F("\"\""), F("{'a': ''}")},
    {"csv quoting",
     4,
     {F("a"), F("b"), F("c"), F("d")},
     {F("a,b"), F("x\ny"), F(" lead"), F("trail ")},
     F("{\"a\":\"a,b\",\"b\":\"x\\ny\",\"c\":\" lead\",\"d\":\"trail \"}"),
     F("\"a,b\",\"x\ny\", lead,trail "),
     F("{'a': 'a,b', 'b': 'x\\ny', 'c': ' lead', 'd': 'trail '}")},
    {"csv cr only",
     2,
     {F("a"), F("b")},
     {F("x\ry"), F("long plain run before a comma,")},
     F("{\"a\":\"x\\ry\",\"b\":\"long plain run before a comma,\"}"),
     F("\"x\ry\",\"long plain run before a comma,\""),
     F("{'a': 'x\\ry', 'b': 'long plain run before a comma,'}")},
    {"long mixed",
     1,
     {F("body")},
     {F("Sentence one, with \"quotes\" and it's 12345678 bytes\\long.\nNext "
        "line\t\xc3\xa9\xe2\x80\xa8!")},
     F("{\"body\":\"Sentence one, with \\\"quotes\\\" and it's 12345678 bytes\\\\long.\\nNext "
       "line\\t\xc3\xa9\xe2\x80\xa8!\"}"),
     F("\"Sentence one, with \"\"quotes\"\" and it's 12345678 bytes\\long.\nNext "
       "line\t\xc3\xa9\xe2\x80\xa8!\""),
     F("{'body': 'Sentence one, with \"quotes\" and it\\'s 12345678 bytes\\\\long.\\nNext "
       "line\\t\xc3\xa9\\u2028!'}")},
};

static csvsrc_row mkrow(size_t nf, const fld *f, const char **ptrs, size_t *lens) {
    for (size_t i = 0; i < nf; i++) {
        ptrs[i] = f[i].s;
        lens[i] = f[i].n;
    }
    return (csvsrc_row){nf, ptrs, lens, 0, 1};
}

static void expect_bytes(const char *cname, const char *fmt, const encode_buf *b,
                         const fld *want) {
    if (b->len != want->n || memcmp(b->data, want->s, want->n) != 0) {
        print_error("case '%s' %s:\n got  (%zu) %.*s\n want (%zu) %.*s\n", cname, fmt, b->len,
                    (int)b->len, b->data, want->n, (int)want->n, want->s);
        fail();
    }
}

static void test_table(void **state) {
    (void)state;
    encode_buf b = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const enc_case *c = &cases[k];
        const char *hp[MAXF], *rp[MAXF];
        size_t hl[MAXF], rl[MAXF];
        csvsrc_row h = mkrow(c->nf, c->header, hp, hl);
        csvsrc_row r = mkrow(c->nf, c->row, rp, rl);
        assert_int_equal(encode_row(&b, ENCODE_JSON, &h, &r), 0);
        expect_bytes(c->name, "json", &b, &c->json);
        assert_int_equal(encode_row(&b, ENCODE_CSV, &h, &r), 0);
        expect_bytes(c->name, "csv", &b, &c->csv);
        assert_int_equal(encode_row(&b, ENCODE_DICT, &h, &r), 0);
        expect_bytes(c->name, "dict", &b, &c->dict);
    }
    encode_buf_free(&b);
    assert_null(b.data);
}

static void test_format_names(void **state) {
    (void)state;
    encode_format f;
    assert_int_equal(encode_format_parse("json", &f), 0);
    assert_int_equal(f, ENCODE_JSON);
    assert_int_equal(encode_format_parse("csv", &f), 0);
    assert_int_equal(f, ENCODE_CSV);
    assert_int_equal(encode_format_parse("dict", &f), 0);
    assert_int_equal(f, ENCODE_DICT);
    assert_int_equal(encode_format_parse("xml", &f), -1);
    assert_int_equal(encode_format_parse("JSON", &f), -1);
    assert_int_equal(encode_format_parse(NULL, &f), -1);
    assert_string_equal(encode_format_name(ENCODE_JSON), "json");
    assert_string_equal(encode_format_name(ENCODE_CSV), "csv");
    assert_string_equal(encode_format_name(ENCODE_DICT), "dict");
}

/* Once the buffer is big enough, encoding does not reallocate. */
static void test_buffer_reuse(void **state) {
    (void)state;
    const char *hp[2] = {"a", "b"}, *rp[2] = {"hello, world", "x\"y"};
    size_t hl[2] = {1, 1}, rl[2] = {12, 3};
    csvsrc_row h = {2, hp, hl, 0, 1}, r = {2, rp, rl, 0, 2};
    encode_buf b = {0};
    assert_int_equal(encode_row(&b, ENCODE_JSON, &h, &r), 0);
    char *data = b.data;
    size_t cap = b.cap;
    for (int i = 0; i < 1000; i++) {
        encode_format f = (encode_format)(i % 3);
        assert_int_equal(encode_row(&b, f, &h, &r), 0);
        assert_ptr_equal(b.data, data);
        assert_int_equal(b.cap, cap);
    }
    /* a much bigger row grows it */
    static char big[100000];
    memset(big, 'z', sizeof big);
    rp[0] = big;
    rl[0] = sizeof big;
    assert_int_equal(encode_row(&b, ENCODE_JSON, &h, &r), 0);
    assert_true(b.cap >= sizeof big);
    assert_int_equal(b.len, sizeof big + 19); /* {"a":"zz..","b":"x\"y"} */
    encode_buf_free(&b);
}

/* ---- round trips ---- */

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random field from pieces that stress quoting and escaping (valid UTF-8). */
static size_t rand_field(char *out) {
    static const char *pieces[] = {"a",        "bc",           " ",
                                   ",",        "\"",           "\r",
                                   "\n",       "\r\n",         "'",
                                   "\\",       "\t",           "\x01",
                                   "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x98\x80",
                                   "\x7f",     "xyz123",       "\"\""};
    size_t n = 0, k = rnd() % 6;
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
        memcpy(out + n, p, strlen(p));
        n += strlen(p);
    }
    return n;
}

/* csv output, one record per line under a header, parses back identically. */
static void test_csv_roundtrip(void **state) {
    (void)state;
    enum { N = 500, NF = 3 };
    static char fields[N][NF][64];
    static size_t lens[N][NF];
    const char *hp[NF] = {"x", "y", "z"};
    size_t hl[NF] = {1, 1, 1};
    csvsrc_row h = {NF, hp, hl, 0, 1};
    char path[] = "/tmp/kengine_encode_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    fputs("x,y,z\n", f);
    encode_buf b = {0};
    for (int i = 0; i < N; i++) {
        const char *rp[NF];
        for (int j = 0; j < NF; j++) {
            lens[i][j] = rand_field(fields[i][j]);
            rp[j] = fields[i][j];
        }
        csvsrc_row r = {NF, rp, lens[i], 0, 1};
        assert_int_equal(encode_row(&b, ENCODE_CSV, &h, &r), 0);
        fwrite(b.data, 1, b.len, f);
        fputs(i % 2 ? "\n" : "\r\n", f);
    }
    fclose(f);
    char err[256];
    csvsrc *s = csvsrc_open(path, NULL, err, sizeof err);
    if (!s) fail_msg("%s", err);
    assert_int_equal(csvsrc_rows(s), N);
    for (int i = 0; i < N; i++) {
        csvsrc_row r;
        assert_int_equal(csvsrc_next(s, &r, err, sizeof err), 1);
        for (int j = 0; j < NF; j++) {
            assert_int_equal(r.lens[j], lens[i][j]);
            assert_memory_equal(r.fields[j], fields[i][j], lens[i][j]);
        }
    }
    csvsrc_close(s);
    unlink(path);
    encode_buf_free(&b);
}

/* Decodes one JSON string at *p (after the opening quote) into out. */
static size_t json_unstr(const char **p, char *out) {
    const char *s = *p;
    size_t n = 0;
    while (*s != '"') {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s++) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case 'u': {
            unsigned v;
            assert_int_equal(sscanf(s, "%4x", &v), 1);
            assert_true(v < 0x80); /* encoder only emits \u00XX for C0 here */
            out[n++] = (char)v;
            s += 4;
            break;
        }
        default: fail_msg("bad escape");
        }
    }
    *p = s + 1;
    return n;
}

static void test_json_roundtrip(void **state) {
    (void)state;
    enum { NF = 3 };
    const char *hp[NF] = {"k\"1", "k\\2", "k\n3"};
    size_t hl[NF] = {3, 3, 3};
    csvsrc_row h = {NF, hp, hl, 0, 1};
    encode_buf b = {0};
    char fields[NF][64], dec[256];
    for (int i = 0; i < 2000; i++) {
        const char *rp[NF];
        size_t rl[NF];
        for (int j = 0; j < NF; j++) {
            rl[j] = rand_field(fields[j]);
            rp[j] = fields[j];
        }
        csvsrc_row r = {NF, rp, rl, 0, 1};
        assert_int_equal(encode_row(&b, ENCODE_JSON, &h, &r), 0);
        /* NUL-terminate a copy to walk it */
        char *js = malloc(b.len + 1);
        memcpy(js, b.data, b.len);
        js[b.len] = '\0';
        for (size_t k = 0; k < b.len; k++)
            assert_true((unsigned char)js[k] >= 0x20); /* no raw control chars */
        const char *p = js;
        assert_int_equal(*p++, '{');
        for (int j = 0; j < NF; j++) {
            assert_int_equal(*p++, '"');
            size_t n = json_unstr(&p, dec);
            assert_int_equal(n, hl[j]);
            assert_memory_equal(dec, hp[j], n);
            assert_int_equal(*p++, ':');
            assert_int_equal(*p++, '"');
            n = json_unstr(&p, dec);
            assert_int_equal(n, rl[j]);
            assert_memory_equal(dec, fields[j], n);
            assert_int_equal(*p++, j + 1 < NF ? ',' : '}');
        }
        assert_int_equal(*p, '\0');
        free(js);
    }
    encode_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),          cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_buffer_reuse),   cmocka_unit_test(test_csv_roundtrip),
        cmocka_unit_test(test_json_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
