/*
 * schema_registry: the schema registry client (Confluent's REST API; the
 * URL is the API's base: http://HOST:8081 for Confluent's registry,
 * http://HOST:PORT/apis/ccompat/v7 for Apicurio's): register a schema under a subject
 * and get its id, or fetch a schema by id. HTTP goes through export_http
 * (libcurl's one owner). A URL's user:password@ is basic auth and is never
 * shown: errors name the URL without it.
 */
#ifndef KENGINE_PAYLOAD_SCHEMA_REGISTRY_H
#define KENGINE_PAYLOAD_SCHEMA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

/* The wire format's header: magic byte 0, then the schema id (4 bytes,
 * big-endian), then the Avro binary. */
#define PAYLOAD_WIRE_HEADER 5

/* Registers schema (Avro JSON text) under subject at the registry's base
 * URL (a version already there gives its id back). 0 with *id; else an
 * exit code with one line in err: EXITCODE_RUNTIME when the registry does
 * not answer (the URL named), EXITCODE_USAGE when it refuses the schema
 * (its own message). */
int payload_registry_register(const char *url, const char *subject, const char *schema,
                              int32_t *id, char *err, size_t errlen);
/* The schema of id, malloc'd into *schema (the caller frees). 0, or an
 * exit code (EXITCODE_RUNTIME) with err. */
int payload_registry_schema(const char *url, int32_t id, char **schema, char *err,
                            size_t errlen);

/* url without its user:password@ into out (for messages). Returns out. */
const char *payload_url_shown(const char *url, char *out, size_t n);
/* The JSON string value of "key" in the object text json, unescaped,
 * malloc'd; NULL if absent (or OOM). Only what a registry answers needs:
 * a flat object, \" \\ \/ \b \f \n \r \t \uXXXX (surrogate pairs too). */
char *payload_json_str(const char *json, const char *key);
/* The JSON integer value of "key" in json into *out. 0, -1 absent. */
int payload_json_int(const char *json, const char *key, long long *out);

#endif
