/*
 * remote: the remote-write request (remote.h): protobuf encoded by hand,
 * snappy, libcurl. Field numbers from prometheus/prompb (types.proto,
 * remote.proto): WriteRequest.timeseries = 1; TimeSeries.labels = 1,
 * samples = 2; Label.name = 1, value = 2; Sample.value = 1 (double),
 * timestamp = 2 (int64).
 */
#include "remote.h"

#include <curl/curl.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* protobuf tags: (field << 3) | wire type (0 varint, 1 64-bit, 2 bytes) */
#define TAG(field, wire) ((uint64_t)(field) << 3 | (wire))

/* A length-delimited field: tag, length, bytes. */
static void put_field(codec_buf *b, unsigned field, const void *p, size_t n) {
    codec_put_varint(b, TAG(field, 2));
    codec_put_str(b, p, n);
}

static void put_label(codec_buf *ts, codec_buf *tmp, const char *name, const char *value) {
    tmp->len = 0;
    put_field(tmp, 1, name, strlen(name));
    put_field(tmp, 2, value, strlen(value));
    put_field(ts, 1, tmp->p, tmp->len);
}

void export_rw_series(codec_buf *out, const char *name, const export_label *labels,
                      size_t nlabels, double value, int64_t ts_ms) {
    /* labels by name (insertion sort of a handful); __name__ sorts first */
    const export_label *sorted[16];
    size_t n = 0;
    for (size_t i = 0; i < nlabels && n < 16; i++) {
        size_t j = n++;
        while (j > 0 && strcmp(sorted[j - 1]->name, labels[i].name) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = &labels[i];
    }
    codec_buf ts = {0}, tmp = {0};
    put_label(&ts, &tmp, "__name__", name);
    for (size_t i = 0; i < n; i++) put_label(&ts, &tmp, sorted[i]->name, sorted[i]->value);
    /* Sample: value as a little-endian double, timestamp as a varint */
    tmp.len = 0;
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(bits >> (8 * i));
    codec_put_varint(&tmp, TAG(1, 1));
    codec_put_bytes(&tmp, le, sizeof le);
    codec_put_varint(&tmp, TAG(2, 0));
    codec_put_varint(&tmp, (uint64_t)ts_ms);
    put_field(&ts, 2, tmp.p, tmp.len);
    if (ts.oom || tmp.oom) out->oom = true;
    put_field(out, 1, ts.p, ts.len);
    codec_buf_free(&ts);
    codec_buf_free(&tmp);
}

typedef struct {
    codec_buf *out;
    int64_t ts_ms;
} encode_ctx;

static void encode_sample(void *ud, const export_family *fam, const char *suffix,
                          const export_label *labels, size_t n, double v) {
    encode_ctx *c = ud;
    char name[128];
    snprintf(name, sizeof name, "%s%s", fam->name, suffix);
    export_rw_series(c->out, name, labels, n, v, c->ts_ms);
}

void export_rw_encode(codec_buf *out, const export_registry *r, int64_t ts_ms) {
    encode_ctx c = {out, ts_ms};
    export_registry_each(r, encode_sample, &c);
}

int export_rw_compress(codec_buf *out, const void *in, size_t len) {
    size_t cap = snappy_max_compressed_length(len);
    unsigned char *p = malloc(cap ? cap : 1);
    if (!p) return -1;
    if (snappy_compress(in, len, (char *)p, &cap) != SNAPPY_OK) {
        free(p);
        return -1;
    }
    codec_buf_free(out);
    *out = (codec_buf){.p = p, .len = cap, .cap = cap};
    return 0;
}

int export_rw_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) ? -1 : 0; }

/* The answer's body is not needed, only its status. */
static size_t discard(char *p, size_t size, size_t n, void *ud) {
    (void)p;
    (void)ud;
    return size * n;
}

int export_rw_post(const char *url, const void *body, size_t len, char *err, size_t errlen) {
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start an HTTP client");
        return -1;
    }
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Encoding: snappy");
    h = curl_slist_append(h, "Content-Type: application/x-protobuf");
    h = curl_slist_append(h, "X-Prometheus-Remote-Write-Version: 0.1.0");
    h = curl_slist_append(h, "User-Agent: kengine/" KENGINE_VERSION);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    int ret = 0;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        ret = -1;
    } else if (status < 200 || status > 299) {
        snprintf(err, errlen, "HTTP status %ld", status);
        ret = -1;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return ret;
}

/* The answer's body, appended to a codec_buf. */
static size_t keep(char *p, size_t size, size_t n, void *ud) {
    codec_put_bytes(ud, p, size * n);
    return ((codec_buf *)ud)->oom ? 0 : size * n;
}

int export_http(const char *url, const char *content_type, const void *body, size_t len,
                codec_buf *reply, long *status, char *err, size_t errlen) {
    *status = 0;
    reply->len = 0;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start an HTTP client");
        return -1;
    }
    struct curl_slist *h = NULL;
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type ? content_type : "text/plain");
    if (body) h = curl_slist_append(h, ct);
    h = curl_slist_append(h, "User-Agent: kengine/" KENGINE_VERSION);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    int ret = 0;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        ret = -1;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return ret;
}
