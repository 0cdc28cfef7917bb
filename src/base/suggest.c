/*
 * suggest: nearest name by Levenshtein distance (names are short: at most
 * 63 bytes compared, two rows of the table on the stack).
 */
#include "suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return SIZE_MAX;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            cur[j] = v;
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *suggest_nearest(const char *word, const char *const *cand, size_t n) {
    const char *best = NULL;
    size_t bestd = 4, wl = strlen(word);
    for (size_t i = 0; i < n && cand[i]; i++) {
        size_t d = edit_distance(word, cand[i]);
        if (d < bestd && d < wl) {
            bestd = d;
            best = cand[i];
        }
    }
    return best;
}

const char *suggest_hint(char *buf, size_t len, const char *word, const char *const *cand,
                         size_t n) {
    const char *s = suggest_nearest(word, cand, n);
    if (s)
        snprintf(buf, len, " (did you mean '%s'?)", s);
    else if (len)
        buf[0] = '\0';
    return buf;
}
