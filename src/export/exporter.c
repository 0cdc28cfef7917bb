/*
 * exporter: the threads of the export (exporter.h). /metrics is served by
 * libmicrohttpd on its own polling thread (a well-kept server, not a
 * hand-written one) from a socket kengine binds itself, so that a port in
 * use is named with its errno before the run starts; each scrape renders
 * the registry under the mutex into a buffer the response then owns. The
 * remote-write thread wakes every metrics_interval, encodes under the
 * mutex, and compresses and POSTs outside it.
 */
#include "exporter.h"

#include "logger.h"
#include "registry.h"
#include "remote.h"
#include "signals.h"
#include "stats.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct exporter {
    pthread_mutex_t mu;
    export_registry *reg;           /* under mu */
    unsigned long version, scraped; /* summaries seen; the version last scraped (mu) */
    struct MHD_Daemon *mhd;         /* NULL: no /metrics */
    int fd;                         /* its listening socket */
    char *url;                      /* remote write, or NULL */
    double interval, linger;
    pthread_t rw;
    bool rw_started, stop; /* stop under mu, signalled on cv */
    pthread_cond_t cv;
    unsigned long pushes, failures; /* only the pushing thread (then, at close, main) */
};

/* ---- /metrics ---- */

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_len, void **con_cls) {
    (void)version;
    (void)upload;
    (void)upload_len;
    exporter *e = cls;
    struct MHD_Response *resp;
    unsigned status = MHD_HTTP_OK;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        static char msg[] = "only GET\n";
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        resp = MHD_create_response_from_buffer(sizeof msg - 1, msg, MHD_RESPMEM_PERSISTENT);
    } else if (strcmp(url, "/metrics")) {
        static char msg[] = "kengine serves /metrics\n";
        status = MHD_HTTP_NOT_FOUND;
        resp = MHD_create_response_from_buffer(sizeof msg - 1, msg, MHD_RESPMEM_PERSISTENT);
    } else {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        if (!out) return MHD_NO;
        pthread_mutex_lock(&e->mu);
        export_text_write(out, e->reg);
        /* which summaries this answer holds; done() counts it once sent */
        *con_cls = (void *)(uintptr_t)(e->version + 1);
        pthread_mutex_unlock(&e->mu);
        if (fclose(out)) {
            free(text);
            return MHD_NO;
        }
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!resp) free(text);
        if (resp)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    "text/plain; version=0.0.4; charset=utf-8");
    }
    if (!resp) return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* A request ended: a /metrics answer sent whole counts as scraped (the
 * linger at the end waits for that, not for the answer's rendering). */
static void done(void *cls, struct MHD_Connection *conn, void **con_cls,
                 enum MHD_RequestTerminationCode toe) {
    (void)conn;
    exporter *e = cls;
    uintptr_t v = (uintptr_t)*con_cls;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK || v == 0) return;
    pthread_mutex_lock(&e->mu);
    if (v - 1 > e->scraped) e->scraped = v - 1;
    pthread_mutex_unlock(&e->mu);
}

/* Binds and listens on HOST:PORT (+ offset). The socket, or -1 with the
 * reason in err. */
static int listen_on(const char *addr, int offset, char *err, size_t errlen) {
    const char *colon = strrchr(addr, ':');
    if (!colon || colon[1] == '\0') {
        snprintf(err, errlen, "metrics '%s': expected HOST:PORT (e.g. 127.0.0.1:9464)", addr);
        return -1;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (*end || errno || port < 1 || port > 65535) {
        snprintf(err, errlen, "metrics '%s': port '%s' is not in 1..65535", addr, colon + 1);
        return -1;
    }
    if (port + offset > 65535) {
        snprintf(err, errlen, "metrics '%s': port %ld + worker %d is over 65535", addr, port,
                 offset);
        return -1;
    }
    char host[256];
    size_t hlen = (size_t)(colon - addr);
    if (hlen >= sizeof host) hlen = sizeof host - 1;
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') { /* [::1]:9464 */
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    char service[16];
    snprintf(service, sizeof service, "%ld", port + offset);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *ai;
    int g = getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL, service, &hints, &ai);
    if (g) {
        snprintf(err, errlen, "metrics '%s': cannot resolve '%s': %s", addr, host,
                 gai_strerror(g));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
        if (offset)
            snprintf(err, errlen, "metrics '%s' (worker %d: port %s): cannot listen: %s", addr,
                     offset, service, strerror(errno));
        else
            snprintf(err, errlen, "metrics '%s': cannot listen: %s", addr, strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* ---- remote write ---- */

/* One push of every sample now. Warns of the first failure, counts all. */
static void push(exporter *e) {
    codec_buf body = {0}, packed = {0};
    pthread_mutex_lock(&e->mu);
    export_rw_encode(&body, e->reg, stats_wall_us() / 1000);
    pthread_mutex_unlock(&e->mu);
    char err[512] = "out of memory";
    int rc = body.oom ? -1 : export_rw_compress(&packed, body.p, body.len);
    if (rc == 0) rc = export_rw_post(e->url, packed.p, packed.len, err, sizeof err);
    codec_buf_free(&body);
    codec_buf_free(&packed);
    e->pushes++;
    if (rc == 0) return;
    if (e->failures++ == 0)
        logger_msg("warning: remote write to %s failed: %s (the run goes on; further "
                   "failures are counted)",
                   e->url, err);
    pthread_mutex_lock(&e->mu);
    export_registry_own(e->reg, EXPORT_OWN_RW_FAILURES, (double)e->failures);
    pthread_mutex_unlock(&e->mu);
}

static void *rw_thread(void *ud) {
    exporter *e = ud;
    pthread_mutex_lock(&e->mu);
    while (!e->stop) {
        struct timespec at;
        clock_gettime(CLOCK_REALTIME, &at);
        double t = (double)at.tv_sec + (double)at.tv_nsec / 1e9 + e->interval;
        at.tv_sec = (time_t)t;
        at.tv_nsec = (long)((t - (double)at.tv_sec) * 1e9);
        while (!e->stop && pthread_cond_timedwait(&e->cv, &e->mu, &at) != ETIMEDOUT) {}
        if (e->stop) break;
        pthread_mutex_unlock(&e->mu);
        push(e);
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- the exporter ---- */

static void destroy(exporter *e) {
    if (e->mhd) MHD_stop_daemon(e->mhd);
    if (e->fd >= 0) close(e->fd);
    export_registry_free(e->reg);
    free(e->url);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

exporter *exporter_open(const workload *wl, char *err, size_t errlen) {
    err[0] = '\0';
    if (!wl->metrics && !wl->prometheus_rw) return NULL;
    if (wl->prometheus_rw && strncmp(wl->prometheus_rw, "http://", 7) &&
        strncmp(wl->prometheus_rw, "https://", 8)) {
        snprintf(err, errlen, "prometheus_rw '%s': expected an http:// or https:// URL",
                 wl->prometheus_rw);
        return NULL;
    }
    exporter *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->fd = -1;
    e->interval = wl->metrics_interval;
    e->linger = wl->metrics_linger;
    if (!(e->reg = export_registry_new()) ||
        (wl->prometheus_rw && !(e->url = strdup(wl->prometheus_rw)))) {
        snprintf(err, errlen, "out of memory");
        destroy(e);
        return NULL;
    }
    /* a shared run's workers get the same command line: worker i, PORT + i */
    int offset = wl->workers > 1 && wl->worker > 0 ? wl->worker : 0;
    if (wl->metrics) {
        if ((e->fd = listen_on(wl->metrics, offset, err, errlen)) < 0) {
            destroy(e);
            return NULL;
        }
        e->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                  NULL, serve, e, MHD_OPTION_LISTEN_SOCKET, e->fd,
                                  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                  MHD_OPTION_NOTIFY_COMPLETED, done, e, MHD_OPTION_END);
        if (!e->mhd) {
            snprintf(err, errlen, "metrics '%s': cannot start the HTTP server", wl->metrics);
            destroy(e);
            return NULL;
        }
        e->fd = -1; /* the daemon's now: MHD_stop_daemon closes it */
    }
    if (e->url) {
        if (export_rw_global_init() || pthread_create(&e->rw, NULL, rw_thread, e) != 0) {
            snprintf(err, errlen, "prometheus_rw '%s': cannot start the sender", e->url);
            destroy(e);
            return NULL;
        }
        e->rw_started = true;
    }
    return e;
}

void exporter_leg(exporter *e, const workload *wl) {
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    if (export_registry_leg(e->reg, wl->run_id ? wl->run_id : wl->name,
                            wl->workers > 1 ? wl->worker : -1, wl->topic))
        logger_msg("warning: metrics: out of memory");
    pthread_mutex_unlock(&e->mu);
}

void exporter_batch(exporter *e, const run_batch *b) {
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    if (export_registry_batch(e->reg, b)) logger_msg("warning: metrics: out of memory");
    pthread_mutex_unlock(&e->mu);
}

void exporter_summary(exporter *e, const run_summary *s) {
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    if (export_registry_summary(e->reg, s)) logger_msg("warning: metrics: out of memory");
    e->version++;
    pthread_mutex_unlock(&e->mu);
}

void exporter_close(exporter *e) {
    if (!e) return;
    if (e->rw_started) {
        pthread_mutex_lock(&e->mu);
        e->stop = true;
        pthread_cond_signal(&e->cv);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->rw, NULL);
        push(e); /* the last one: a run shorter than a scrape interval still counts */
        if (e->failures > 1)
            logger_msg("warning: remote write to %s: %lu of %lu pushes failed", e->url,
                       e->failures, e->pushes);
    }
    if (e->mhd && e->linger > 0) {
        double until = stats_now() + e->linger;
        for (;;) {
            pthread_mutex_lock(&e->mu);
            bool served = e->scraped == e->version;
            pthread_mutex_unlock(&e->mu);
            if (served || signals_caught || stats_now() >= until) break;
            nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
        }
    }
    destroy(e);
}
