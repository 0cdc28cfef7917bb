/*
 * registry: the series kengine exports to Prometheus, kept by the main
 * thread. The metric families are derived from the table of figures
 * (model/figures.h), never listed by hand: a summary figure becomes a
 * counter (COUNT), a gauge (REAL) or a histogram (LATENCY) named
 * kengine_<name> in base units; a batch figure a gauge of the role's last
 * batch, kengine_batch_<name>; a phase figure kengine_phase_<name>. The
 * summary's counters move during the run from the batches (a small table
 * in registry.c says which batch figure feeds which) and take the
 * summary's values at its end, when the final ones (lost, duplicates ...)
 * first exist. Labels: run, worker, topic; role (and consumer) on batch
 * series; phase on phase series. The registry is plain data with no lock:
 * the exporter (exporter.c) guards it with its mutex.
 */
#ifndef KENGINE_EXPORT_REGISTRY_H
#define KENGINE_EXPORT_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

#include "figures.h"
#include "run.h"

typedef enum { EXPORT_COUNTER, EXPORT_GAUGE, EXPORT_HISTOGRAM } export_type;

/* A metric family: one figure of one scope, or one of the exporter's own. */
typedef struct {
    char name[96];  /* kengine_sent_total, kengine_latency_seconds ... */
    char help[320]; /* the figure's "how", and its NDJSON key (and unit, when scaled) */
    export_type type;
    figure_scope scope;
    const figure *fig; /* NULL: the exporter's own (EXPORT_OWN_*) */
    double scale;      /* exported = figure value * scale (histograms: of microseconds) */
} export_family;

/* The exporter's own series (not figures), set with export_registry_own. */
typedef enum { EXPORT_OWN_DONE, EXPORT_OWN_RW_FAILURES, EXPORT_OWN_N } export_own;

/* Every family, in export order (summary, batch, phase, the exporter's own). */
const export_family *export_families(size_t *n);
/* The histograms' `le` bounds in seconds, ascending (+Inf is implied). */
const double *export_buckets(size_t *n);
/* `kengine help metrics [--markdown]`: the families, their type and help. */
void export_help(FILE *out);
void export_markdown(FILE *out);

typedef struct {
    const char *name, *value;
} export_label;

/* One sample as a visitor sees it: the family, the sample name's suffix
 * ("", "_bucket", "_sum", "_count"), its labels (empty values left out,
 * in a fixed order: run, worker, topic, role, consumer, phase, broker,
 * address, le). */
typedef void (*export_sample_fn)(void *ud, const export_family *fam, const char *suffix,
                                 const export_label *labels, size_t nlabels, double value);

typedef struct export_registry export_registry;

export_registry *export_registry_new(void); /* NULL on OOM */
void export_registry_free(export_registry *r);
/* A run (a leg) begins: its labels. `worker` < 0 leaves the label out.
 * 0, -1 on OOM. */
int export_registry_leg(export_registry *r, const char *run, int worker, const char *topic);
/* A batch of the current leg: the role's batch gauges, the summary's live
 * counters and the run's latency histogram. 0, -1 on OOM. */
int export_registry_batch(export_registry *r, const run_batch *b);
/* The current leg's summary: every summary and phase figure takes its final
 * value, and kengine_run_done becomes 1. 0, -1 on OOM. */
int export_registry_summary(export_registry *r, const run_summary *s);
/* Sets one of the exporter's own series (labels: the current leg's). */
int export_registry_own(export_registry *r, export_own own, double v);
/* Visits every sample, family by family. */
void export_registry_each(const export_registry *r, export_sample_fn fn, void *ud);

/* The Prometheus text format (version 0.0.4) of every sample, with HELP and
 * TYPE lines for each family that has samples. */
void export_text_write(FILE *out, const export_registry *r);
/* A number as the text format writes it (+Inf, integers without a point). */
void export_number(char *buf, size_t len, double v);

#endif
