/*
 * script: the only module that touches the Lua API. It runs a workload
 * script (which returns a table), turns the table plus the command line's
 * name=value overrides into one or more `workload`s (one per leg), and calls
 * the script's hooks with batch and summary figures. Lua runs on the main
 * thread only, once per batch at most.
 */
#ifndef KENGINE_SCRIPT_H
#define KENGINE_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "run.h"
#include "workload.h"

typedef struct script script;

/* Loads `path` and applies `overrides` ("name=value", or
 * "producer.prop=value" / "consumer.prop=value") on top of its fields and
 * on top of every leg's. Returns NULL with one line in err naming the
 * script, line or field. */
script *script_load(const char *path, char **overrides, size_t noverrides, char *err,
                    size_t errlen);
void script_close(script *sc);

/* The runs this script asks for: one, or one per entry of `legs`. */
size_t script_legs(const script *sc);
const workload *script_leg(const script *sc, size_t i);

/* Hooks. Each returns 0, or -1 with the Lua error (file:line and a
 * traceback) in err. A missing hook is a no-op. */
int script_on_start(script *sc, const workload *wl, char *err, size_t errlen);
int script_on_batch(script *sc, const run_batch *b, char *err, size_t errlen);
int script_on_done(script *sc, const run_summary *s, char *err, size_t errlen);
/* Whether the script replaces the built-in text reporter (field `reporter`). */
bool script_has_reporter(const script *sc);
/* Calls the script's reporter with a batch (s == NULL) or a summary. */
int script_report(script *sc, const run_batch *b, const run_summary *s, char *err,
                  size_t errlen);

/* `kengine help WORKLOAD.lua`: writes the built-in fields (with the
 * script's values) and the script's own options to out. 0, or -1 with err. */
int script_help(const char *path, char **overrides, size_t noverrides, FILE *out, char *err,
                size_t errlen);

/* Where scripts' print, io.write and io.stdout go, for scripts loaded from
 * now on: stdout by default; main passes stderr when NDJSON takes stdout.
 * See script/sandbox.c for what else a script's Lua library lacks. */
void script_set_output(FILE *out);

/* Lua's version string, for --version. */
const char *script_lua_version(void);

#endif
