/*
 * avro_codec: the avro format (libavro-c, Debian's libavro-dev, is used only
 * here). A writer turns CSV rows into Avro records of a schema derived
 * from the CSV header (every column a string unless avro_types says
 * otherwise) in the schema registry's wire format (schema_registry.h). A
 * reader turns such values back into JSON text, the json format's
 * rendering of the row (same key order, same escaping), so words and
 * distinct words of an all-strings Avro run equal the JSON run's.
 *
 * Both reuse one libavro value, one writer or reader and their buffers:
 * encoding allocates nothing once the buffers have grown (test_payload
 * counts libavro's allocations). Decoding allocates: libavro's
 * avro_value_read reads each string into a fresh buffer (4 allocations a
 * record of two strings, an int and a nullable long); see BENCHMARKS.md.
 */
#ifndef KENGINE_PAYLOAD_AVRO_CODEC_H
#define KENGINE_PAYLOAD_AVRO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "csvsrc.h"
#include "encode.h"
#include "workload.h"

/* The schema's JSON text for header and types ("col:type,...": int, long,
 * float, double, boolean, string, ?type for nullable; other columns are
 * strings) into out (replaced). 0, or EXITCODE_USAGE with one line in err
 * naming the field or column (csv: the file's name for messages). */
int payload_avro_schema(const csvsrc_row *header, const char *types, const char *csv,
                        encode_buf *out, char *err, size_t errlen);

typedef struct payload_avro_writer payload_avro_writer;

/* A writer of schema (JSON text, a record of primitives or nullable
 * primitives or enums, each field taking the CSV column of its name) registered as
 * id, for rows under header.
 * 0 with *w, or EXITCODE_USAGE (the schema does not parse: libavro's
 * message) / EXITCODE_RUNTIME (OOM) with err. */
int payload_avro_writer_new(payload_avro_writer **w, const char *schema, int32_t id,
                            const csvsrc_row *header, const char *csv, char *err,
                            size_t errlen);
/* The writer of a workload of format avro: the schema read from the file
 * wl->avro_schema, or derived from header and wl->avro_types, parsed and
 * matched to the header (each record field takes the CSV column of its
 * name), then registered under wl->subject (default: TOPIC-value) at
 * wl->schema_registry. 0 with *w, or an exit code with one line in err
 * (the schema file named; payload_registry_register's). */
int payload_avro_writer_open(payload_avro_writer **w, const workload *wl,
                             const csvsrc_row *header, char *err, size_t errlen);
/* The wire format of row into out (replaced). 0, or EXITCODE_USAGE with
 * "FILE: line L, column C (NAME): 'V' is not an int" in err, or
 * EXITCODE_RUNTIME (OOM). */
int payload_avro_encode(payload_avro_writer *w, const csvsrc_row *row, encode_buf *out,
                        char *err, size_t errlen);
void payload_avro_writer_free(payload_avro_writer *w);

typedef struct payload_avro_reader payload_avro_reader;

/* A reader fetching schemas from the registry at url (NULL: only those
 * added), each once. NULL on OOM. */
payload_avro_reader *payload_avro_reader_new(const char *url);
/* Adds schema id (JSON text) to the reader's cache. 0, or EXITCODE_USAGE
 * with err (it does not parse), EXITCODE_RUNTIME (OOM). */
int payload_avro_reader_add(payload_avro_reader *r, int32_t id, const char *schema, char *err,
                            size_t errlen);
/* The JSON rendering of a wire-format value into out (replaced). 0, or
 * EXITCODE_RUNTIME with err (not the wire format, an id the registry does
 * not have, a registry that does not answer, a value that does not decode). */
int payload_avro_render(payload_avro_reader *r, const void *value, size_t len, encode_buf *out,
                        char *err, size_t errlen);
void payload_avro_reader_free(payload_avro_reader *r);

/* From now on, count libavro's allocations (process-wide; tests and
 * benchmarks call it before anything else of libavro's). */
void payload_avro_count_allocations(void);
/* libavro's allocations (and growths) counted so far. */
uint64_t payload_avro_allocations(void);

#endif
