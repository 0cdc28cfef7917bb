/*
 * internal: what script.c (loading), help.c (`kengine help WORKLOAD.lua`)
 * and api.c (the kengine library, event objects, hooks) share. Private to
 * the script module.
 */
#ifndef KENGINE_SCRIPT_INTERNAL_H
#define KENGINE_SCRIPT_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "script.h"

#define SCRIPT_MAX_LEGS 64

/* An option a script declared with kengine.options{...}. */
typedef struct {
    char *name;
    char *type;  /* "number", "integer", "string" or "boolean" */
    char *value; /* default as text, for help */
    char *description;
} script_option;

struct script {
    lua_State *L;
    char *path;                     /* the script's path, for messages */
    workload legs[SCRIPT_MAX_LEGS]; /* the runs to do */
    size_t nlegs;
    int ref_on_start, ref_on_batch, ref_on_done, ref_reporter; /* LUA_NOREF if absent */
    script_option *opts;                                       /* declared options */
    size_t nopts;
    char **ov; /* command-line overrides (during load) */
    size_t nov;
    bool *ov_used; /* ov[i] was taken by a script option */
    bool help;     /* loading for `kengine help` */
};

/* The hooks a script may define, NULL-ended. */
extern const char *const SCRIPT_HOOKS[];
/* Creates the state, checks the overrides' shape, runs the chunk (for
 * `help`, options take their defaults quietly). On success the returned
 * table is on the stack top; NULL with err set. */
script *script_start(const char *path, char **ov, size_t nov, bool help, char *err,
                     size_t errlen);
/* Applies the fields of the table at idx to wl (hooks and `legs` only when
 * `top`); `where` names the table in errors. 0, or -1 with err set. */
int script_read_fields(lua_State *L, int idx, workload *wl, bool top, const char *where,
                       char *err, size_t errlen);

/* Registers the kengine library and metatables. */
void script_api_open(script *sc);
/* Narrows the standard library opened in L to what scripts may use. */
void script_sandbox_open(lua_State *L);
/* lua_pcall with a traceback handler. */
int script_pcall(lua_State *L, int nargs, int nres);

#endif
