/*
 * suggest: the "did you mean" of every unknown name (workload fields,
 * phase fields, threshold metrics, options): the nearest candidate by
 * edit distance, if it is near enough to be a typo.
 */
#ifndef KENGINE_SUGGEST_H
#define KENGINE_SUGGEST_H

#include <stddef.h>

/* The candidate nearest to `word` (Levenshtein distance at most 3, and
 * less than the word's length), or NULL. Candidates may be NULL-ended
 * (n = SIZE_MAX) or counted. */
const char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

/* Writes " (did you mean 'X'?)" for the nearest candidate into buf, or ""
 * when none is near; returns buf, for use in a message. */
const char *suggest_hint(char *buf, size_t len, const char *word, const char *const *candidates,
                         size_t n);

#endif
