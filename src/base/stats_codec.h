/*
 * stats_codec: a latency histogram's portable form, for a shared run's
 * final state (dist/state.c). Apart from stats.h so that everything that
 * only records and reads histograms does not see the codec.
 */
#ifndef KENGINE_STATS_CODEC_H
#define KENGINE_STATS_CODEC_H

#include "codec.h"
#include "stats.h"

/* A portable, compact form of h (non-empty buckets only), appended to out;
 * and back: 0, or -1 (h left empty) when the input is malformed. */
void stats_hist_encode(const stats_hist *h, codec_buf *out);
int stats_hist_decode(stats_hist *h, codec_rd *in);

#endif
