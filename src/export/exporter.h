/*
 * exporter: a run's Prometheus export, on for the whole process when the
 * workload asks (metrics, prometheus_rw). The main thread hands it each
 * batch and each summary; a libmicrohttpd thread serves /metrics and a
 * sender thread pushes remote write every metrics_interval seconds, both
 * reading the registry under the exporter's mutex. The producer and
 * consumer threads never call it, so export cannot slow or block them.
 */
#ifndef KENGINE_EXPORT_EXPORTER_H
#define KENGINE_EXPORT_EXPORTER_H

#include <stddef.h>

#include "run.h"
#include "workload.h"

typedef struct exporter exporter;

/* Starts what the workload asks for: the /metrics listener on wl->metrics
 * (a shared run's worker i listens on PORT + i) and the remote-write
 * sender to wl->prometheus_rw. Neither asked: NULL and *err "". A
 * malformed address or URL, a port out of range or in use: NULL and the
 * reason, naming the address, in err (a usage error: nothing ran yet). */
exporter *exporter_open(const workload *wl, char *err, size_t errlen);
/* A leg begins (its run, worker and topic labels). NULL-safe, as all below. */
void exporter_leg(exporter *e, const workload *wl);
void exporter_batch(exporter *e, const run_batch *b);
void exporter_summary(exporter *e, const run_summary *s);
/* Ends the export: the last remote-write push (with the summary's figures),
 * then /metrics keeps serving until it has been scraped once since the
 * last summary, or metrics_linger seconds, or a signal; then stops and
 * frees. Failed pushes, beyond the first one's warning, are counted in one
 * line here. */
void exporter_close(exporter *e);

#endif
