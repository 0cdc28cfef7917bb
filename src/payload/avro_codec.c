/*
 * avro_codec: the avro format's writer and reader over libavro-c's value API
 * (see the header). The schema is derived here, parsed by libavro (so a
 * schema libavro refuses never reaches the registry), and the wire format's
 * five bytes are written around libavro's binary encoding.
 */
#include "avro_codec.h"

#include "exitcode.h"
#include "schema_registry.h"

#include <avro.h>
#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- libavro's allocations, counted (tests and benchmarks) ---- */

static _Atomic uint64_t allocations;

/* libavro's default allocator (realloc and free), counting each call that
 * allocates or grows; memory from either allocator frees through the other. */
static void *counting(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return realloc(ptr, nsize);
}

void payload_avro_count_allocations(void) { avro_set_allocator(counting, NULL); }

uint64_t payload_avro_allocations(void) { return atomic_load(&allocations); }

/* ---- the schema from the header ---- */

typedef enum { T_STRING, T_INT, T_LONG, T_FLOAT, T_DOUBLE, T_BOOLEAN } col_type;
static const char *const TYPE_NAMES[] = {"string", "int", "long", "float", "double", "boolean"};
#define NTYPES (sizeof TYPE_NAMES / sizeof TYPE_NAMES[0])

static bool avro_name_ok(const char *s, size_t n) {
    if (!n || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* The type types gives column name (n bytes), into *t and *nullable. 0,
 * or 1 when types does not name it. */
static int type_of(const char *types, const char *name, size_t n, col_type *t, bool *nullable) {
    for (const char *p = types; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon && (size_t)(colon - p) == n && memcmp(p, name, n) == 0) {
            const char *ty = colon + 1;
            size_t tl = len - (size_t)(ty - p);
            *nullable = tl && *ty == '?';
            if (*nullable) ty++, tl--;
            for (size_t i = 0; i < NTYPES; i++)
                if (strlen(TYPE_NAMES[i]) == tl && memcmp(ty, TYPE_NAMES[i], tl) == 0) {
                    *t = (col_type)i;
                    return 0;
                }
            return -1;
        }
        p = end ? end + 1 : p + len;
    }
    return 1;
}

/* Every entry of types is "col:type" with a known type and a column of header. */
static int check_types(const csvsrc_row *header, const char *types, char *err, size_t errlen) {
    for (const char *p = types; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        col_type t;
        bool nullable;
        size_t i = 0;
        if (colon) {
            for (; i < header->nfields; i++)
                if (header->lens[i] == (size_t)(colon - p) &&
                    memcmp(header->fields[i], p, header->lens[i]) == 0)
                    break;
        }
        if (!colon || i == header->nfields) {
            snprintf(err, errlen,
                     "field 'avro_types': '%.*s' %s (expected \"column:type,...\")", (int)len,
                     p, colon ? "names no CSV column" : "is not column:type");
            return EXITCODE_USAGE;
        }
        if (type_of(p, p, (size_t)(colon - p), &t, &nullable) != 0) {
            snprintf(err, errlen,
                     "field 'avro_types': '%.*s': unknown type (int, long, float, double, "
                     "boolean, string; ?type for nullable)",
                     (int)len, p);
            return EXITCODE_USAGE;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int payload_avro_schema(const csvsrc_row *header, const char *types, const char *csv,
                        encode_buf *out, char *err, size_t errlen) {
    int rc = check_types(header, types, err, errlen);
    if (rc) return rc;
    out->len = 0;
    static const char head[] =
        "{\"type\":\"record\",\"name\":\"row\",\"namespace\":\"kengine\",\"fields\":[";
    int oom = encode_append(out, head, sizeof head - 1);
    for (size_t i = 0; i < header->nfields && !oom; i++) {
        const char *name = header->fields[i];
        size_t n = header->lens[i];
        if (!avro_name_ok(name, n)) {
            snprintf(err, errlen,
                     "%s: column %zu ('%.*s') is not an Avro name (letters, digits, '_', not "
                     "starting with a digit)",
                     csv ? csv : "CSV", i + 1, (int)n, name);
            return EXITCODE_USAGE;
        }
        col_type t = T_STRING;
        bool nullable = false;
        type_of(types, name, n, &t, &nullable);
        char ty[64];
        if (nullable)
            snprintf(ty, sizeof ty, "[\"null\",\"%s\"]", TYPE_NAMES[t]);
        else
            snprintf(ty, sizeof ty, "\"%s\"", TYPE_NAMES[t]);
        oom |= (i && encode_append(out, ",", 1)) || encode_append(out, "{\"name\":\"", 9) ||
               encode_append(out, name, n) || encode_append(out, "\",\"type\":", 9) ||
               encode_append(out, ty, strlen(ty)) || encode_append(out, "}", 1);
    }
    oom |= encode_append(out, "]}", 3); /* the NUL too: libavro takes C strings */
    if (oom) {
        snprintf(err, errlen, "out of memory");
        return EXITCODE_RUNTIME;
    }
    out->len--;
    return 0;
}

/* ---- the writer ---- */

typedef struct {
    avro_type_t type; /* the value's type (the non-null branch's of a union) */
    bool nullable;
    int null_branch, value_branch;
    avro_schema_t symbols; /* an enum's schema (its symbols), else NULL */
} column;

struct payload_avro_writer {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value; /* reused for every row */
    avro_writer_t out;  /* a memory writer pointed at each row's buffer */
    size_t ncols;       /* the record's fields */
    column *cols;       /* each field's type */
    size_t *src;        /* each field's CSV column (by name) */
    char **names;       /* field names, for messages */
    encode_buf scratch; /* a field's bytes, NUL-terminated */
    int32_t id;
    const char *csv;
};

void payload_avro_writer_free(payload_avro_writer *w) {
    if (!w) return;
    if (w->out) avro_writer_free(w->out);
    if (w->iface) {
        avro_value_decref(&w->value);
        avro_value_iface_decref(w->iface);
    }
    if (w->schema) avro_schema_decref(w->schema);
    for (size_t i = 0; w->names && i < w->ncols; i++) free(w->names[i]);
    free(w->names);
    free(w->cols);
    free(w->src);
    encode_buf_free(&w->scratch);
    free(w);
}

/* The column of a record field's schema: a primitive, or a union of null
 * and a primitive. 0, -1 otherwise. */
static int column_of(avro_schema_t s, column *c) {
    c->nullable = false;
    c->null_branch = c->value_branch = -1;
    if (avro_typeof(s) == AVRO_UNION) {
        size_t nb = avro_schema_union_size(s);
        for (size_t b = 0; b < nb; b++) {
            avro_schema_t bs = avro_schema_union_branch(s, (int64_t)b);
            if (avro_typeof(bs) == AVRO_NULL)
                c->null_branch = (int)b;
            else if (c->value_branch < 0)
                c->value_branch = (int)b, s = bs;
        }
        if (nb != 2 || c->null_branch < 0 || c->value_branch < 0) return -1;
        c->nullable = true;
    }
    c->type = avro_typeof(s);
    c->symbols = c->type == AVRO_ENUM ? s : NULL;
    switch (c->type) {
    case AVRO_ENUM:
    case AVRO_STRING:
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
    case AVRO_BOOLEAN: return 0;
    default: return -1;
    }
}

int payload_avro_writer_new(payload_avro_writer **wp, const char *schema, int32_t id,
                            const csvsrc_row *header, const char *csv, char *err,
                            size_t errlen) {
    *wp = NULL;
    payload_avro_writer *w = calloc(1, sizeof *w);
    if (!w) goto oom;
    w->id = id;
    w->csv = csv ? csv : "CSV";
    if (avro_schema_from_json_length(schema, strlen(schema), &w->schema)) {
        snprintf(err, errlen, "the Avro schema does not parse: %s", avro_strerror());
        payload_avro_writer_free(w);
        return EXITCODE_USAGE;
    }
    if (avro_typeof(w->schema) != AVRO_RECORD) {
        snprintf(err, errlen, "the Avro schema is not a record");
        payload_avro_writer_free(w);
        return EXITCODE_USAGE;
    }
    w->ncols = avro_schema_record_size(w->schema);
    w->cols = calloc(w->ncols ? w->ncols : 1, sizeof *w->cols);
    w->src = calloc(w->ncols ? w->ncols : 1, sizeof *w->src);
    w->names = calloc(w->ncols ? w->ncols : 1, sizeof *w->names);
    if (!w->cols || !w->src || !w->names) goto oom;
    /* each field takes the CSV column of its name */
    for (size_t j = 0; j < w->ncols; j++) {
        const char *name = avro_schema_record_field_name(w->schema, (int)j);
        if (!(w->names[j] = strdup(name ? name : ""))) goto oom;
        size_t i = 0;
        while (i < header->nfields &&
               !(header->lens[i] == strlen(w->names[j]) &&
                 memcmp(header->fields[i], w->names[j], header->lens[i]) == 0))
            i++;
        avro_schema_t fs = avro_schema_record_field_get_by_index(w->schema, (int)j);
        if (i == header->nfields || column_of(fs, &w->cols[j])) {
            snprintf(
                err, errlen,
                i == header->nfields
                    ? "the Avro schema's field %zu ('%s') names no column of %s"
                    : "the Avro schema's field %zu ('%s') is not a primitive, an enum or a "
                      "nullable one (%s)",
                j + 1, w->names[j], w->csv);
            payload_avro_writer_free(w);
            return EXITCODE_USAGE;
        }
        w->src[j] = i;
    }
    if (!(w->iface = avro_generic_class_from_schema(w->schema))) goto oom;
    if (avro_generic_value_new(w->iface, &w->value)) {
        avro_value_iface_decref(w->iface);
        w->iface = NULL;
        goto oom;
    }
    static char none[1];
    if (!(w->out = avro_writer_memory(none, 0))) goto oom;
    *wp = w;
    return 0;
oom:
    payload_avro_writer_free(w);
    snprintf(err, errlen, "out of memory");
    return EXITCODE_RUNTIME;
}

/* The text of the schema file path into out (NUL-terminated, len without
 * it). 0, or EXITCODE_USAGE naming the file. */
static int read_schema(const char *path, encode_buf *out, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return EXITCODE_USAGE;
    }
    char chunk[4096];
    size_t n;
    int oom = 0;
    out->len = 0;
    while (!oom && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        oom = encode_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (oom || bad || encode_append(out, "", 1)) {
        snprintf(err, errlen, "%s: cannot read%s", path, oom ? ": out of memory" : "");
        return EXITCODE_USAGE;
    }
    out->len--;
    return 0;
}

int payload_avro_writer_open(payload_avro_writer **w, const workload *wl,
                             const csvsrc_row *header, char *err, size_t errlen) {
    *w = NULL;
    encode_buf schema = {0};
    int rc = wl->avro_schema
                 ? read_schema(wl->avro_schema, &schema, err, errlen)
                 : payload_avro_schema(header, wl->avro_types, wl->csv, &schema, err, errlen);
    /* parsed (and matched to the header) before the registry sees it */
    if (rc == 0) rc = payload_avro_writer_new(w, schema.data, 0, header, wl->csv, err, errlen);
    if (rc && wl->avro_schema && rc == EXITCODE_USAGE &&
        strncmp(err, wl->avro_schema, strlen(wl->avro_schema)) != 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: %s", wl->avro_schema, why);
    }
    char subject[300];
    if (wl->subject)
        snprintf(subject, sizeof subject, "%s", wl->subject);
    else
        snprintf(subject, sizeof subject, "%s-value", wl->topic);
    if (rc == 0)
        rc = payload_registry_register(wl->schema_registry, subject, schema.data, &(*w)->id,
                                       err, errlen);
    if (rc) {
        payload_avro_writer_free(*w);
        *w = NULL;
    }
    encode_buf_free(&schema);
    return rc;
}

/* One field's text (NUL-terminated, n bytes) into the value v of column c.
 * 0, -1 when it does not convert. */
static int set_field(avro_value_t *v, const column *c, const char *s, size_t n) {
    char *end;
    errno = 0;
    switch (c->type) {
    case AVRO_STRING: return avro_value_set_string_len(v, s, n + 1) ? -1 : 0;
    case AVRO_INT32: {
        long x = strtol(s, &end, 10);
        if (!n || *end || errno || x < INT32_MIN || x > INT32_MAX) return -1;
        return avro_value_set_int(v, (int32_t)x) ? -1 : 0;
    }
    case AVRO_INT64: {
        long long x = strtoll(s, &end, 10);
        if (!n || *end || errno) return -1;
        return avro_value_set_long(v, x) ? -1 : 0;
    }
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        double x = strtod(s, &end);
        if (!n || *end || errno == ERANGE) return -1;
        return (c->type == AVRO_FLOAT ? avro_value_set_float(v, (float)x)
                                      : avro_value_set_double(v, x))
                   ? -1
                   : 0;
    }
    case AVRO_ENUM: {
        int x = avro_schema_enum_get_by_name(c->symbols, s);
        return x < 0 || avro_value_set_enum(v, x) ? -1 : 0;
    }
    case AVRO_BOOLEAN:
        if (strcmp(s, "true") == 0) return avro_value_set_boolean(v, 1) ? -1 : 0;
        if (strcmp(s, "false") == 0) return avro_value_set_boolean(v, 0) ? -1 : 0;
        return -1;
    default: return -1;
    }
}

static const char *type_phrase(avro_type_t t) {
    switch (t) {
    case AVRO_INT32: return "an int";
    case AVRO_INT64: return "a long";
    case AVRO_FLOAT: return "a float";
    case AVRO_DOUBLE: return "a double";
    case AVRO_BOOLEAN: return "a boolean (true or false)";
    case AVRO_ENUM: return "a symbol of the field's enum";
    default: return "a string";
    }
}

int payload_avro_encode(payload_avro_writer *w, const csvsrc_row *row, encode_buf *out,
                        char *err, size_t errlen) {
    for (size_t i = 0; i < w->ncols; i++) {
        size_t col = w->src[i];
        const char *s = col < row->nfields ? row->fields[col] : "";
        size_t len = col < row->nfields ? row->lens[col] : 0;
        w->scratch.len = 0;
        if (encode_append(&w->scratch, s, len) || encode_append(&w->scratch, "", 1)) goto oom;
        const column *c = &w->cols[i];
        avro_value_t field, branch, *v = &field;
        if (avro_value_get_by_index(&w->value, i, &field, NULL)) goto oom;
        if (c->nullable) {
            if (len == 0) {
                if (avro_value_set_branch(&field, c->null_branch, &branch) ||
                    avro_value_set_null(&branch))
                    goto oom;
                continue;
            }
            if (avro_value_set_branch(&field, c->value_branch, &branch)) goto oom;
            v = &branch;
        }
        if (set_field(v, c, w->scratch.data, len)) {
            snprintf(err, errlen, "%s: line %llu, column %zu (%s): '%.*s' is not %s", w->csv,
                     (unsigned long long)row->line, col + 1, w->names[i],
                     (int)(len > 80 ? 80 : len), s, type_phrase(c->type));
            return EXITCODE_USAGE;
        }
    }
    size_t size = 0;
    if (avro_value_sizeof(&w->value, &size) || encode_reserve(out, PAYLOAD_WIRE_HEADER + size))
        goto oom;
    unsigned char *p = (unsigned char *)out->data;
    uint32_t id = (uint32_t)w->id;
    p[0] = 0;
    p[1] = (unsigned char)(id >> 24), p[2] = (unsigned char)(id >> 16);
    p[3] = (unsigned char)(id >> 8), p[4] = (unsigned char)id;
    avro_writer_memory_set_dest(w->out, out->data + PAYLOAD_WIRE_HEADER, (int64_t)size);
    if (avro_value_write(w->out, &w->value)) goto oom;
    out->len = PAYLOAD_WIRE_HEADER + (size_t)avro_writer_tell(w->out);
    return 0;
oom:
    snprintf(err, errlen, "cannot encode an Avro value: %s", avro_strerror());
    return EXITCODE_RUNTIME;
}

/* ---- the reader ---- */

typedef struct {
    int32_t id;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
} known;

struct payload_avro_reader {
    char *url;
    known *ids;
    size_t n, cap;
    avro_reader_t in;
    size_t last; /* index of the last id used: runs use one */
};

payload_avro_reader *payload_avro_reader_new(const char *url) {
    payload_avro_reader *r = calloc(1, sizeof *r);
    static const char none[1];
    if (!r || (url && !(r->url = strdup(url))) || !(r->in = avro_reader_memory(none, 0))) {
        payload_avro_reader_free(r);
        return NULL;
    }
    return r;
}

void payload_avro_reader_free(payload_avro_reader *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        avro_value_decref(&r->ids[i].value);
        avro_value_iface_decref(r->ids[i].iface);
        avro_schema_decref(r->ids[i].schema);
    }
    free(r->ids);
    if (r->in) avro_reader_free(r->in);
    free(r->url);
    free(r);
}

int payload_avro_reader_add(payload_avro_reader *r, int32_t id, const char *schema, char *err,
                            size_t errlen) {
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        known *ids = realloc(r->ids, cap * sizeof *ids);
        if (!ids) goto oom;
        r->ids = ids;
        r->cap = cap;
    }
    known *k = &r->ids[r->n];
    k->id = id;
    if (avro_schema_from_json_length(schema, strlen(schema), &k->schema)) {
        snprintf(err, errlen, "the Avro schema of id %ld does not parse: %s", (long)id,
                 avro_strerror());
        return EXITCODE_USAGE;
    }
    if (!(k->iface = avro_generic_class_from_schema(k->schema))) {
        avro_schema_decref(k->schema);
        goto oom;
    }
    if (avro_generic_value_new(k->iface, &k->value)) {
        avro_value_iface_decref(k->iface);
        avro_schema_decref(k->schema);
        goto oom;
    }
    r->n++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return EXITCODE_RUNTIME;
}

/* The JSON text of one decoded value, appended to out. 0, -1. */
static int render(const avro_value_t *v, encode_buf *out) {
    char num[64];
    int len = -1;
    switch (avro_value_get_type(v)) {
    case AVRO_STRING: {
        const char *s;
        size_t size;
        if (avro_value_get_string(v, &s, &size)) return -1;
        return encode_json_append(out, s, size ? size - 1 : 0);
    }
    case AVRO_INT32: {
        int32_t x;
        if (avro_value_get_int(v, &x)) return -1;
        len = snprintf(num, sizeof num, "%ld", (long)x);
        break;
    }
    case AVRO_INT64: {
        int64_t x;
        if (avro_value_get_long(v, &x)) return -1;
        len = snprintf(num, sizeof num, "%lld", (long long)x);
        break;
    }
    case AVRO_FLOAT: {
        float x;
        if (avro_value_get_float(v, &x)) return -1;
        len = isfinite(x) ? snprintf(num, sizeof num, "%.9g", (double)x)
                          : snprintf(num, sizeof num, "null");
        break;
    }
    case AVRO_DOUBLE: {
        double x;
        if (avro_value_get_double(v, &x)) return -1;
        len = isfinite(x) ? snprintf(num, sizeof num, "%.17g", x)
                          : snprintf(num, sizeof num, "null");
        break;
    }
    case AVRO_BOOLEAN: {
        int x;
        if (avro_value_get_boolean(v, &x)) return -1;
        len = snprintf(num, sizeof num, "%s", x ? "true" : "false");
        break;
    }
    case AVRO_NULL: len = snprintf(num, sizeof num, "null"); break;
    case AVRO_ENUM: {
        int x;
        const char *sym;
        if (avro_value_get_enum(v, &x) ||
            !(sym = avro_schema_enum_get(avro_value_get_schema(v), x)))
            return -1;
        return encode_json_append(out, sym, strlen(sym));
    }
    case AVRO_UNION: {
        avro_value_t b;
        if (avro_value_get_current_branch(v, &b)) return -1;
        return render(&b, out);
    }
    case AVRO_RECORD: {
        size_t n;
        if (avro_value_get_size(v, &n) || encode_append(out, "{", 1)) return -1;
        for (size_t i = 0; i < n; i++) {
            avro_value_t f;
            const char *name;
            if (avro_value_get_by_index(v, i, &f, &name) || (i && encode_append(out, ",", 1)) ||
                encode_json_append(out, name, strlen(name)) || encode_append(out, ":", 1) ||
                render(&f, out))
                return -1;
        }
        return encode_append(out, "}", 1);
    }
    default: return -1; /* kengine writes no other type */
    }
    return len < 0 ? -1 : encode_append(out, num, (size_t)len);
}

int payload_avro_render(payload_avro_reader *r, const void *value, size_t len, encode_buf *out,
                        char *err, size_t errlen) {
    const unsigned char *p = value;
    if (len < PAYLOAD_WIRE_HEADER || p[0] != 0) {
        snprintf(err, errlen,
                 "consumer: a value not in the schema registry's wire format (%zu bytes, first "
                 "byte %d, expected 0)",
                 len, len ? p[0] : -1);
        return EXITCODE_RUNTIME;
    }
    int32_t id = (int32_t)(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) |
                           ((uint32_t)p[3] << 8) | p[4]);
    size_t k = r->last;
    if (k >= r->n || r->ids[k].id != id) {
        for (k = 0; k < r->n && r->ids[k].id != id; k++) {}
        if (k == r->n) {
            char *schema = NULL;
            int rc = r->url ? payload_registry_schema(r->url, id, &schema, err, errlen)
                            : (snprintf(err, errlen, "no schema of id %ld", (long)id),
                               EXITCODE_RUNTIME);
            if (rc == 0) rc = payload_avro_reader_add(r, id, schema, err, errlen);
            free(schema);
            if (rc) return rc == EXITCODE_USAGE ? EXITCODE_RUNTIME : rc;
        }
        r->last = k;
    }
    known *kn = &r->ids[k];
    avro_reader_memory_set_source(r->in, (const char *)p + PAYLOAD_WIRE_HEADER,
                                  (int64_t)(len - PAYLOAD_WIRE_HEADER));
    out->len = 0;
    if (avro_value_read(r->in, &kn->value) || render(&kn->value, out)) {
        snprintf(err, errlen, "consumer: an Avro value of schema id %ld does not decode: %s",
                 (long)id, avro_strerror());
        return EXITCODE_RUNTIME;
    }
    return 0;
}
