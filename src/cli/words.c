/*
 * words: `kengine words [--batch N] [--json] [FILE|-]`.
 *
 * Offline counterpart of the consumer's word metrics: reads newline-
 * delimited messages from FILE or stdin, groups them into batches of N
 * messages and prints, per batch, the word count and the number of
 * distinct words (words.h semantics), then a summary with the distinct
 * words over the whole input and the throughput.  Used to benchmark the
 * hot path and to cross-check it against tests/unit/words_reference.py.
 *
 * Input is streamed through one large buffer (never the whole file).  A
 * line longer than the buffer is consumed piecewise: everything up to its
 * last whitespace byte is scanned and dropped, and only the trailing word
 * fragment is kept, so memory is bounded by buffer + longest word. The
 * whole input's distinct words are merged on words_merger's thread while
 * the next batches are scanned, as in the consumer.
 * This is the only words file doing stdio; it never calls exit().
 */
#include "args.h"
#include "commands.h"
#include "words.h"
#include "exitcode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef CLI_BUF_SIZE            /* overridable to test the long-line paths */
#define CLI_BUF_SIZE (4u << 20) /* read buffer, grown only for huge words */
#endif
#define CLI_DEFAULT_BATCH 10000u /* words_doc says it */

enum { OPT_BATCH = 1, OPT_JSON };

static const command_option OPTIONS[] = {
    {OPT_BATCH, "--batch", 0, "N", "messages per batch (N >= 1, default 10000)"},
    {OPT_JSON, "--json", 0, NULL, "print NDJSON objects (words_batch, words_summary)"},
    {0},
};

const command_doc words_doc = {
    .about = "Count words (runs of non-ASCII-whitespace bytes) and distinct words\n"
             "in newline-delimited messages read from FILE or stdin ('-').\n"
             "Prints one line per batch of N messages (default 10000), then a\n"
             "total line.\n",
    .options = OPTIONS,
};

/* Parse a positive decimal integer; 0 on success. */
static int parse_batch(const char *s, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0) return -1;
    *out = v;
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run-wide state of one invocation. */
typedef struct {
    uint64_t batch_size;  /* messages per batch */
    int json;             /* NDJSON output */
    words_set *batch;     /* distinct words of the current batch */
    words_merger *total;  /* distinct words of the whole input */
    words_memo *memo;     /* lines already scanned in the current batch */
    uint64_t batch_no;    /* batches printed so far */
    uint64_t batch_msgs;  /* messages in the current batch */
    uint64_t batch_words; /* words in the current batch */
    uint64_t msgs;        /* messages in the whole input */
    uint64_t words;       /* words in the whole input */
} cli_state;

/* Print the current batch, hand it to the total's merge, start the next. */
static int flush_batch(cli_state *st) {
    if (st->batch_msgs == 0) return 0;
    if (words_set_oom(st->batch)) return -1;
    st->batch_no++;
    if (st->json)
        printf("{\"type\":\"words_batch\",\"batch\":%" PRIu64 ",\"messages\":%" PRIu64
               ",\"words\":%" PRIu64 ",\"unique_words\":%zu}\n",
               st->batch_no, st->batch_msgs, st->batch_words, words_set_size(st->batch));
    else
        printf("batch %" PRIu64 ": %" PRIu64 " messages, %" PRIu64 " words, %zu unique words\n",
               st->batch_no, st->batch_msgs, st->batch_words, words_set_size(st->batch));
    st->msgs += st->batch_msgs;
    st->words += st->batch_words;
    st->batch_msgs = st->batch_words = 0;
    words_memo_clear(st->memo);
    if (words_merger_put(st->total, &st->batch)) return -1; /* st->batch: empty */
    return 0;
}

/* One complete message was seen; its words are already counted. */
static int end_message(cli_state *st) {
    if (++st->batch_msgs == st->batch_size) return flush_batch(st);
    return 0;
}

/* Stream messages from f.  0 ok, -1 read error (errno), -2 OOM. */
static int process(cli_state *st, FILE *f) {
    size_t cap = CLI_BUF_SIZE;
    char *buf = malloc(cap);
    if (!buf) return -2;
    size_t beg = 0, end = 0; /* unprocessed bytes are buf[beg..end) */
    int in_msg = 0;          /* part of the current line was consumed */
    int eof = 0, rc = 0;

    for (;;) {
        char *nl = beg < end ? memchr(buf + beg, '\n', end - beg) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - (buf + beg));
            /* a whole line may be answered by the memo; a line's tail not */
            st->batch_words += in_msg ? words_scan(st->batch, buf + beg, n)
                                      : words_scan_memo(st->memo, st->batch, buf + beg, n);
            beg += n + 1;
            in_msg = 0;
            if (end_message(st)) {
                rc = -2;
                break;
            }
            continue;
        }
        if (eof) { /* last line without '\n' */
            if (beg < end || in_msg) {
                st->batch_words += words_scan(st->batch, buf + beg, end - beg);
                if (end_message(st)) rc = -2;
            }
            break;
        }
        /* no complete line left: compact, then make room */
        if (beg > 0) {
            memmove(buf, buf + beg, end - beg);
            end -= beg;
            beg = 0;
        }
        if (end == cap) { /* one line fills the buffer */
            size_t q = end;
            while (q > 0 && buf[q - 1] != ' ' && !(buf[q - 1] >= '\t' && buf[q - 1] <= '\r'))
                q--;
            if (q > 0) { /* consume whole words, keep the trailing fragment */
                st->batch_words += words_scan(st->batch, buf, q);
                memmove(buf, buf + q, end - q);
                end -= q;
                in_msg = 1;
            } else { /* a single word longer than the buffer */
                if (cap > SIZE_MAX / 2) {
                    rc = -2;
                    break;
                }
                char *nb = realloc(buf, cap * 2);
                if (!nb) {
                    rc = -2;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
        }
        size_t got = fread(buf + end, 1, cap - end, f);
        end += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = -1;
                break;
            }
            eof = 1;
        }
    }
    free(buf);
    if (rc == 0 && flush_batch(st)) rc = -2;
    if (rc == 0 && words_merger_oom(st->total)) rc = -2;
    return rc;
}

int cmd_words(int argc, char **argv) {
    cli_state st = {.batch_size = CLI_DEFAULT_BATCH};
    const char *path = NULL;
    args a;
    args_init(&a, "words", argc, argv);
    for (int o; (o = args_next(&a)) != ARGS_END;) {
        switch (o) {
        case OPT_JSON: st.json = 1; break;
        case OPT_BATCH:
            if (parse_batch(a.value, &st.batch_size))
                return args_error(&a, "invalid --batch value '%s' (want an integer >= 1)",
                                  a.value);
            break;
        case ARGS_OPERAND:
            if (path) return args_error(&a, "too many arguments ('%s')", a.value);
            path = a.value;
            break;
        case ARGS_EXIT: return a.rc;
        }
    }

    FILE *f = stdin;
    const char *name = "<stdin>";
    if (path && strcmp(path, "-") != 0) {
        f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "kengine words: cannot open '%s': %s\n", path, strerror(errno));
            return EXITCODE_USAGE;
        }
        name = path;
    }

    st.batch = words_set_new();
    st.total = words_merger_new();
    st.memo = words_memo_new();
    int rc = EXITCODE_OK;
    double t0 = now_seconds();
    int prc = (st.batch && st.total && st.memo) ? process(&st, f) : -2;
    double secs = now_seconds() - t0;
    if (prc == -1) {
        fprintf(stderr, "kengine words: error reading '%s': %s\n", name, strerror(errno));
        rc = EXITCODE_RUNTIME;
    } else if (prc == -2) {
        fputs("kengine words: out of memory\n", stderr);
        rc = EXITCODE_RUNTIME;
    } else {
        double wps = secs > 0 ? (double)st.words / secs : 0.0;
        size_t uniq = words_set_size(words_merger_wait(st.total));
        if (st.json)
            printf("{\"type\":\"words_summary\",\"messages\":%" PRIu64 ",\"words\":%" PRIu64
                   ",\"unique_words_total\":%zu"
                   ",\"seconds\":%.6f,\"words_per_sec\":%.1f}\n",
                   st.msgs, st.words, uniq, secs, wps);
        else
            printf("total: %" PRIu64 " messages, %" PRIu64
                   " words, %zu unique words, %.6f seconds, %.0f words/s\n",
                   st.msgs, st.words, uniq, secs, wps);
    }
    if (f != stdin) fclose(f);
    words_set_free(st.batch);
    words_merger_free(st.total);
    words_memo_free(st.memo);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kengine words: write error: %s\n", strerror(errno));
        rc = EXITCODE_RUNTIME;
    }
    return rc;
}
