/*
 * exitcode: kengine's exit codes, declared once. main turns outcomes into
 * them; the engine, the hub, the workers and the subcommands return or
 * record them. `kengine help exit-codes [--markdown]` prints this list
 * (exitcode.c), and the docs' table is generated from it.
 */
#ifndef KENGINE_EXITCODE_H
#define KENGINE_EXITCODE_H

#include <stddef.h>
#include <stdio.h>

/* X(NAME, code, brief, meaning): EXITCODE_NAME = code; `brief` for the
 * one-line list of `kengine --help`, `meaning` for the reference table. */
#define EXITCODES(X)                                                                           \
    X(OK, 0, "ok",                                                                             \
      "success: everything delivered and consumed, nothing lost or duplicated, every "         \
      "threshold held")                                                                        \
    X(RUNTIME, 1, "runtime failure (incl. lost messages)",                                     \
      "runtime failure: broker unreachable (after at most 15 s, naming the address), "         \
      "delivery failures (counted exactly), lost or duplicated messages")                      \
    X(USAGE, 2, "bad usage, script or input",                                                  \
      "bad usage, script or input: unknown option or field, wrong type, Lua syntax or load "   \
      "error, a script not returning a table, an error in a hook, a bad option value, a "      \
      "missing/empty/malformed CSV (the message names the file and line)")                     \
    X(THRESHOLD, 3, "a threshold failed", "a threshold failed; `kengine compare`: a regression")

enum {
#define EXITCODE_ENUM_(name, code, brief, meaning) EXITCODE_##name = code,
    EXITCODES(EXITCODE_ENUM_)
#undef EXITCODE_ENUM_
};

/* Interrupted by signal `sig` (130 for SIGINT, 143 for SIGTERM). */
#define EXITCODE_SIGNAL(sig)  (128 + (sig))
#define EXITCODE_SIGNAL_CODES "130, 143"
#define EXITCODE_SIGNAL_BRIEF "interrupted"
#define EXITCODE_SIGNAL_MEANING                                                                \
    "interrupted by SIGINT / SIGTERM: sending stops, in-flight messages are flushed (at most " \
    "10 s), the summary of what was really delivered and consumed is written; a second "       \
    "SIGINT "                                                                                  \
    "aborts at once"

/* One row of the list: the codes as text ("2", or "130, 143" for the
 * signals' row, which comes last). */
typedef struct {
    const char *codes, *brief, *meaning;
} exitcode_info;

/* Every row of EXITCODES, then the signals' row. */
const exitcode_info *exitcode_list(size_t *n);
/* `kengine help exit-codes`: one line per row, code and meaning. */
void exitcode_help(FILE *out);
/* `kengine help exit-codes --markdown`: the GitHub table | code | meaning |. */
void exitcode_markdown(FILE *out);

#endif
