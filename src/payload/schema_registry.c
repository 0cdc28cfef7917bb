/*
 * schema_registry: the registry client of the Avro format (see the header).
 * Requests are rare (one at start, one per schema id a consumer meets), so
 * plain malloc'd strings are fine here; nothing runs per message.
 */
#include "schema_registry.h"

#include "encode.h"
#include "exitcode.h"
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *payload_url_shown(const char *url, char *out, size_t n) {
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        snprintf(out, n, "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(out, n, "%s", url);
    return out;
}

/* Where "key": starts its value in json, or NULL. */
static const char *value_of(const char *json, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = json; (p = strchr(p, '"')); p++) {
        if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '"') {
            const char *q = p + 2 + kl;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (*q != ':') continue;
            q++;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            return q;
        }
    }
    return NULL;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

char *payload_json_str(const char *json, const char *key) {
    const char *p = value_of(json, key);
    if (!p || *p != '"') return NULL;
    p++;
    char *out = malloc(strlen(p) + 1), *o = out;
    if (!out) return NULL;
    while (*p && *p != '"') {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        unsigned cp, lo;
        switch (*p) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (hex4(p + 1, &cp)) goto bad;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' &&
                !hex4(p + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o = utf8(o, cp); /* \uXXXX is 6 bytes, its UTF-8 at most 4 */
            break;
        case '\0': goto bad;
        default: *o++ = *p; break; /* \" \\ \/ */
        }
        p++;
    }
    if (*p != '"') goto bad;
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

int payload_json_int(const char *json, const char *key, long long *out) {
    const char *p = value_of(json, key);
    if (!p) return -1;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p) return -1;
    *out = v;
    return 0;
}

/* The API's base: the URL without trailing slashes. */
static int base_len(const char *url) {
    size_t n = strlen(url);
    while (n && url[n - 1] == '/') n--;
    return n > 900 ? 900 : (int)n;
}

/* The answer's text, NUL-terminated (OOM: empty). */
static const char *text_of(codec_buf *b) {
    codec_put_bytes(b, "", 1);
    return b->oom ? "" : (const char *)b->p;
}

int payload_registry_register(const char *url, const char *subject, const char *schema,
                              int32_t *id, char *err, size_t errlen) {
    char shown[512], req[1024];
    payload_url_shown(url, shown, sizeof shown);
    snprintf(req, sizeof req, "%.*s/subjects/%s/versions", base_len(url), url, subject);
    encode_buf body = {0};
    if (encode_append(&body, "{\"schema\":", 10) ||
        encode_json_append(&body, schema, strlen(schema)) || encode_append(&body, "}", 1)) {
        encode_buf_free(&body);
        snprintf(err, errlen, "out of memory");
        return EXITCODE_RUNTIME;
    }
    codec_buf reply = {0};
    long status;
    char herr[256];
    int rc = export_http(req, "application/vnd.schemaregistry.v1+json", body.data, body.len,
                         &reply, &status, herr, sizeof herr);
    encode_buf_free(&body);
    int ret = 0;
    const char *text = text_of(&reply);
    long long v;
    if (rc) {
        snprintf(err, errlen, "schema registry %s: %s", shown, herr);
        ret = EXITCODE_RUNTIME;
    } else if (status >= 200 && status < 300 && payload_json_int(text, "id", &v) == 0) {
        *id = (int32_t)v;
    } else {
        char *msg = payload_json_str(text, "message");
        snprintf(err, errlen,
                 "schema registry %s refused the schema of subject '%s' (HTTP %ld): %s", shown,
                 subject, status, msg ? msg : text);
        free(msg);
        /* a refusal of what the workload gave (4xx) is bad input; the
         * registry failing (5xx) is the run's */
        ret = status >= 400 && status < 500 ? EXITCODE_USAGE : EXITCODE_RUNTIME;
    }
    codec_buf_free(&reply);
    return ret;
}

int payload_registry_schema(const char *url, int32_t id, char **schema, char *err,
                            size_t errlen) {
    char shown[512], req[1024];
    payload_url_shown(url, shown, sizeof shown);
    snprintf(req, sizeof req, "%.*s/schemas/ids/%ld", base_len(url), url, (long)id);
    codec_buf reply = {0};
    long status;
    char herr[256];
    int ret = 0;
    *schema = NULL;
    if (export_http(req, NULL, NULL, 0, &reply, &status, herr, sizeof herr)) {
        snprintf(err, errlen, "schema registry %s: %s", shown, herr);
        ret = EXITCODE_RUNTIME;
    } else {
        const char *text = text_of(&reply);
        if (status < 200 || status >= 300 || !(*schema = payload_json_str(text, "schema"))) {
            char *msg = payload_json_str(text, "message");
            snprintf(err, errlen, "schema registry %s: no schema of id %ld (HTTP %ld): %s",
                     shown, (long)id, status, msg ? msg : text);
            free(msg);
            ret = EXITCODE_RUNTIME;
        }
    }
    codec_buf_free(&reply);
    return ret;
}
