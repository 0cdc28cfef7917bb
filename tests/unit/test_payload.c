/*
 * test_payload.c - the avro format without a registry: the schema derived
 * from a header and avro_types, rows encoded into the wire format and
 * rendered back as JSON (for all-string columns, byte-equal to the json
 * format's text of the same row), the Avro binary checked byte by byte for
 * one row, values that do not convert named by line and column, and the
 * registry client's small JSON reading and URL redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_codec.h"
#include "encode.h"
#include "exitcode.h"
#include "schema_registry.h"

/* A row of up to 4 fields from C strings (not NUL-terminated as used). */
typedef struct {
    const char *f[4];
    size_t l[4];
    csvsrc_row row;
} row4;

static const csvsrc_row *mkrow(row4 *r, uint64_t line, const char *a, const char *b,
                               const char *c, const char *d) {
    const char *v[4] = {a, b, c, d};
    size_t n = 0;
    for (; n < 4 && v[n]; n++) {
        r->f[n] = v[n];
        r->l[n] = strlen(v[n]);
    }
    r->row = (csvsrc_row){.nfields = n, .fields = r->f, .lens = r->l, .line = line};
    return &r->row;
}

static void test_schema(void **state) {
    (void)state;
    row4 h;
    encode_buf s = {0};
    char err[256];
    mkrow(&h, 1, "id", "user", "rating", NULL);
    assert_int_equal(
        payload_avro_schema(&h.row, "id:int,rating:?long", "x.csv", &s, err, sizeof err), 0);
    const char *want =
        "{\"type\":\"record\",\"name\":\"row\",\"namespace\":\"kengine\","
        "\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"user\","
        "\"type\":\"string\"},{\"name\":\"rating\",\"type\":[\"null\",\"long\"]}]}";
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.data, want, s.len);
    assert_int_equal(payload_avro_schema(&h.row, "id:integer", "x.csv", &s, err, sizeof err),
                     EXITCODE_USAGE);
    assert_non_null(strstr(err, "field 'avro_types': 'id:integer': unknown type"));
    assert_int_equal(payload_avro_schema(&h.row, "nope:int", "x.csv", &s, err, sizeof err),
                     EXITCODE_USAGE);
    assert_non_null(strstr(err, "'nope:int' names no CSV column"));
    mkrow(&h, 1, "id", "my col", NULL, NULL);
    assert_int_equal(payload_avro_schema(&h.row, NULL, "x.csv", &s, err, sizeof err),
                     EXITCODE_USAGE);
    assert_non_null(strstr(err, "x.csv: column 2 ('my col') is not an Avro name"));
    encode_buf_free(&s);
}

/* A writer and a reader of header's schema (id 7) with types. */
static void pair(const csvsrc_row *hdr, const char *types, payload_avro_writer **w,
                 payload_avro_reader **r) {
    encode_buf s = {0};
    char err[256];
    assert_int_equal(payload_avro_schema(hdr, types, "x.csv", &s, err, sizeof err), 0);
    assert_int_equal(payload_avro_writer_new(w, s.data, 7, hdr, "x.csv", err, sizeof err), 0);
    *r = payload_avro_reader_new(NULL);
    assert_non_null(*r);
    assert_int_equal(payload_avro_reader_add(*r, 7, s.data, err, sizeof err), 0);
    encode_buf_free(&s);
}

static void test_strings_render_as_json(void **state) {
    (void)state;
    row4 h, r;
    mkrow(&h, 1, "id", "title", "body", NULL);
    payload_avro_writer *w;
    payload_avro_reader *rd;
    pair(&h.row, NULL, &w, &rd);
    const char *rows[][3] = {{"1", "it's", "a \"quoted\", line\nnext"},
                             {"", "caf\xc3\xa9 \xff bad", "tab\there"},
                             {"22", "x", ""}};
    encode_buf wire = {0}, text = {0}, json = {0};
    char err[256];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mkrow(&r, 2 + i, rows[i][0], rows[i][1], rows[i][2], NULL);
        assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
        assert_true(wire.len > PAYLOAD_WIRE_HEADER);
        assert_memory_equal(wire.data, "\0\0\0\0\7", PAYLOAD_WIRE_HEADER);
        assert_int_equal(payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err),
                         0);
        assert_int_equal(encode_row(&json, ENCODE_JSON, &h.row, &r.row), 0);
        assert_int_equal(text.len, json.len);
        assert_memory_equal(text.data, json.data, json.len);
    }
    /* encoding reuses its buffer: the same row again, the same bytes */
    char *before = wire.data;
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
    assert_ptr_equal(wire.data, before);
    encode_buf_free(&wire);
    encode_buf_free(&text);
    encode_buf_free(&json);
    payload_avro_writer_free(w);
    payload_avro_reader_free(rd);
}

static void test_types(void **state) {
    (void)state;
    row4 h, r;
    mkrow(&h, 1, "id", "score", "ok", "n");
    payload_avro_writer *w;
    payload_avro_reader *rd;
    pair(&h.row, "id:int,score:double,ok:boolean,n:?long", &w, &rd);
    encode_buf wire = {0}, text = {0};
    char err[256];
    mkrow(&r, 5, "-3", "2.5", "true", "");
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
    /* Avro binary: int -3 zigzag 0x05; double 2.5 little-endian; true 0x01;
     * union branch 0 (null) 0x00 */
    const unsigned char want[] = {0, 0, 0, 0, 7,    0x05, 0,    0,
                                  0, 0, 0, 0, 0x04, 0x40, 0x01, 0x00};
    assert_int_equal(wire.len, sizeof want);
    assert_memory_equal(wire.data, want, sizeof want);
    assert_int_equal(payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err), 0);
    assert_int_equal(text.len, strlen("{\"id\":-3,\"score\":2.5,\"ok\":true,\"n\":null}"));
    assert_memory_equal(text.data, "{\"id\":-3,\"score\":2.5,\"ok\":true,\"n\":null}",
                        text.len);
    mkrow(&r, 6, "4", "1e3", "false", "12");
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
    assert_int_equal(payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err), 0);
    assert_memory_equal(text.data, "{\"id\":4,\"score\":1000,\"ok\":false,\"n\":12}", text.len);

    /* values that do not convert: file, line, column, name, value, type */
    const struct {
        const char *v[4];
        const char *msg;
    } bad[] = {
        {{"x1", "1", "true", ""}, "x.csv: line 9, column 1 (id): 'x1' is not an int"},
        {{"", "1", "true", ""}, "x.csv: line 9, column 1 (id): '' is not an int"},
        {{"3000000000", "1", "true", ""}, "column 1 (id): '3000000000' is not an int"},
        {{"1", "1.5x", "true", ""}, "column 2 (score): '1.5x' is not a double"},
        {{"1", "1", "yes", ""}, "column 3 (ok): 'yes' is not a boolean"},
        {{"1", "1", "true", "1.0"}, "column 4 (n): '1.0' is not a long"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mkrow(&r, 9, bad[i].v[0], bad[i].v[1], bad[i].v[2], bad[i].v[3]);
        assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err),
                         EXITCODE_USAGE);
        if (!strstr(err, bad[i].msg)) fail_msg("'%s' lacks '%s'", err, bad[i].msg);
    }
    /* not the wire format; an id the reader does not know (no registry) */
    assert_int_equal(payload_avro_render(rd, "\1\0\0\0\7\5", 6, &text, err, sizeof err),
                     EXITCODE_RUNTIME);
    assert_non_null(strstr(err, "not in the schema registry's wire format"));
    assert_int_equal(payload_avro_render(rd, "\0\0\0\0\10\5", 6, &text, err, sizeof err),
                     EXITCODE_RUNTIME);
    assert_non_null(strstr(err, "no schema of id 8"));
    encode_buf_free(&wire);
    encode_buf_free(&text);
    payload_avro_writer_free(w);
    payload_avro_reader_free(rd);
}

/* The hot path: once the buffers have grown, encoding a row allocates
 * nothing, in libavro or here (the buffers keep their addresses). Decoding
 * does allocate: libavro's avro_value_read reads each string into a fresh
 * buffer and wraps it (measured here: 4 allocations a record of 2 string
 * fields, the figure BENCHMARKS.md quotes). */
static void test_allocations(void **state) {
    (void)state;
    row4 h, r;
    mkrow(&h, 1, "id", "title", "body", "n");
    payload_avro_writer *w;
    payload_avro_reader *rd;
    pair(&h.row, "id:int,n:?long", &w, &rd);
    encode_buf wire = {0}, text = {0};
    char err[256];
    const char *rows[][4] = {{"1", "short", "a body", ""},
                             {"2", "a longer title here", "b", "7"}};
    for (int warm = 0; warm < 2; warm++) {
        for (size_t i = 0; i < 2; i++) {
            mkrow(&r, 2 + i, rows[i][0], rows[i][1], rows[i][2], rows[i][3]);
            assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
            assert_int_equal(
                payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err), 0);
        }
    }
    uint64_t before = payload_avro_allocations();
    char *wd = wire.data, *td = text.data;
    for (int n = 0; n < 1000; n++) {
        mkrow(&r, 2, rows[n % 2][0], rows[n % 2][1], rows[n % 2][2], rows[n % 2][3]);
        assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
    }
    assert_int_equal(payload_avro_allocations() - before, 0);
    assert_ptr_equal(wire.data, wd);
    before = payload_avro_allocations();
    for (int n = 0; n < 1000; n++)
        assert_int_equal(payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err),
                         0);
    /* two string fields a record, two allocations each */
    assert_int_equal(payload_avro_allocations() - before, 4000);
    assert_ptr_equal(text.data, td);
    encode_buf_free(&wire);
    encode_buf_free(&text);
    payload_avro_writer_free(w);
    payload_avro_reader_free(rd);
}

static void test_bad_schema(void **state) {
    (void)state;
    row4 h;
    mkrow(&h, 1, "id", NULL, NULL, NULL);
    payload_avro_writer *w;
    char err[256];
    assert_int_equal(payload_avro_writer_new(&w, "{\"type\":\"record\",\"fields\":[", 1, &h.row,
                                             "x.csv", err, sizeof err),
                     EXITCODE_USAGE);
    assert_non_null(strstr(err, "the Avro schema does not parse"));
    assert_null(w);
}

/* A schema of its own (an .avsc's text): fields take the CSV column of
 * their name, in the schema's order; columns it does not name are left
 * out; a field naming no column is refused. */
static void test_schema_by_name(void **state) {
    (void)state;
    row4 h, r;
    mkrow(&h, 1, "id", "user", "rating", "extra");
    const char *schema = "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                         "{\"name\":\"rating\",\"type\":\"int\"},"
                         "{\"name\":\"user\",\"type\":[\"null\",\"string\"]}]}";
    payload_avro_writer *w;
    payload_avro_reader *rd = payload_avro_reader_new(NULL);
    char err[256];
    assert_int_equal(payload_avro_writer_new(&w, schema, 3, &h.row, "x.csv", err, sizeof err),
                     0);
    assert_int_equal(payload_avro_reader_add(rd, 3, schema, err, sizeof err), 0);
    encode_buf wire = {0}, text = {0};
    mkrow(&r, 2, "1", "ann", "5", "zzz");
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
    assert_int_equal(payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err), 0);
    assert_int_equal(text.len, strlen("{\"rating\":5,\"user\":\"ann\"}"));
    assert_memory_equal(text.data, "{\"rating\":5,\"user\":\"ann\"}", text.len);
    /* the error names the CSV's column number, not the field's */
    mkrow(&r, 4, "1", "", "five", "zzz");
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), EXITCODE_USAGE);
    assert_non_null(strstr(err, "x.csv: line 4, column 3 (rating): 'five' is not an int"));
    payload_avro_writer_free(w);
    /* an enum: the symbol's index on the wire, its name in the rendering */
    const char *mood = "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                       "{\"name\":\"user\",\"type\":{\"type\":\"enum\",\"name\":\"U\","
                       "\"symbols\":[\"ann\",\"bob\"]}}]}";
    assert_int_equal(payload_avro_writer_new(&w, mood, 4, &h.row, "x.csv", err, sizeof err), 0);
    assert_int_equal(payload_avro_reader_add(rd, 4, mood, err, sizeof err), 0);
    mkrow(&r, 5, "1", "bob", "5", "");
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), 0);
    assert_int_equal(wire.len, 6);
    assert_memory_equal(wire.data, "\0\0\0\0\4\2", 6);
    assert_int_equal(payload_avro_render(rd, wire.data, wire.len, &text, err, sizeof err), 0);
    assert_int_equal(text.len, strlen("{\"user\":\"bob\"}"));
    assert_memory_equal(text.data, "{\"user\":\"bob\"}", text.len);
    mkrow(&r, 6, "1", "cy", "5", "");
    assert_int_equal(payload_avro_encode(w, &r.row, &wire, err, sizeof err), EXITCODE_USAGE);
    assert_non_null(strstr(err, "x.csv: line 6, column 2 (user): 'cy' is not a symbol"));
    payload_avro_writer_free(w);
    const char *stray = "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                        "{\"name\":\"nope\",\"type\":\"int\"}]}";
    assert_int_equal(payload_avro_writer_new(&w, stray, 3, &h.row, "x.csv", err, sizeof err),
                     EXITCODE_USAGE);
    assert_non_null(strstr(err, "field 1 ('nope') names no column of x.csv"));
    encode_buf_free(&wire);
    encode_buf_free(&text);
    payload_avro_reader_free(rd);
}

static void test_registry_helpers(void **state) {
    (void)state;
    char out[128];
    assert_string_equal(payload_url_shown("http://u:secret@h:1/apis", out, sizeof out),
                        "http://h:1/apis");
    assert_string_equal(payload_url_shown("http://h:1/a@b", out, sizeof out), "http://h:1/a@b");
    char *s = payload_json_str(
        "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\\u00e9\\n\",\"x\":1}", "schema");
    assert_non_null(s);
    assert_string_equal(s, "{\"type\":\"string\"}\xc3\xa9\n");
    free(s);
    assert_null(payload_json_str("{\"id\":1}", "schema"));
    long long id;
    assert_int_equal(payload_json_int("{\"id\": 42}", "id", &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(payload_json_int("{\"idx\":4}", "id", &id), -1);
}

int main(void) {
    payload_avro_count_allocations();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocations),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_strings_render_as_json),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_bad_schema),
        cmocka_unit_test(test_schema_by_name),
        cmocka_unit_test(test_registry_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
