/*
 * remote: Prometheus remote write 1.0 (the push side of the exporter). A
 * WriteRequest is small enough to encode by hand (no protobuf compiler or
 * runtime): repeated TimeSeries{repeated Label{name, value}, repeated
 * Sample{double value, int64 timestamp}}; the body is snappy's block
 * format (not its framing format), POSTed with the headers the
 * specification names. The HTTP client is libcurl: a POST needs TLS,
 * proxies, redirects and timeouts done right, which a hand-written client
 * would not.
 */
#ifndef KENGINE_EXPORT_REMOTE_H
#define KENGINE_EXPORT_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "registry.h"

/* One TimeSeries message (field 1 of a WriteRequest, tag included) of one
 * sample: the labels sorted by name with __name__ first (the order the
 * specification asks for; empty values are never passed). */
void export_rw_series(codec_buf *out, const char *name, const export_label *labels,
                      size_t nlabels, double value, int64_t ts_ms);
/* The WriteRequest of every sample of the registry, stamped ts_ms
 * (milliseconds since the epoch). out->oom on OOM. */
void export_rw_encode(codec_buf *out, const export_registry *r, int64_t ts_ms);
/* Snappy block compression of in into out (replaced). 0, -1 on failure. */
int export_rw_compress(codec_buf *out, const void *in, size_t len);
/* POSTs a compressed WriteRequest to url (a 2xx answer is success). 0, or
 * -1 with the reason (HTTP status or the transport's error) in err. */
int export_rw_post(const char *url, const void *body, size_t len, char *err, size_t errlen);
/* One HTTP request with libcurl (the owner of libcurl is this file): a POST
 * of body (len bytes, content_type) or, with body NULL, a GET. The answer's
 * body replaces reply's contents, its status goes to *status. 0 when an
 * answer came (any status), -1 with the transport's error in err (refused,
 * timed out: 2 s to connect, 5 s in all). A URL's user:password@ is basic
 * auth. The schema registry client (src/payload) uses it too. */
int export_http(const char *url, const char *content_type, const void *body, size_t len,
                codec_buf *reply, long *status, char *err, size_t errlen);
/* The process-wide set-up libcurl wants before any thread uses it. 0, -1. */
int export_rw_global_init(void);

#endif
