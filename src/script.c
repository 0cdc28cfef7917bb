/*
 * script: Lua workloads. The only file that includes the Lua headers.
 *
 * A workload script returns a table whose keys are workload fields
 * (workload.c's table), hooks (functions) and optionally `legs`, a list of
 * tables of fields, each run in turn. Values are type-checked against the
 * field's kind here and then parsed by workload_set(), the same path the
 * command line's name=value overrides take, so both validate alike.
 * Hooks are kept as registry references; every call goes through
 * lua_pcall with a traceback handler, so a script error never crashes the
 * engine.
 */
#include "script.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LEGS 64

struct script {
    lua_State *L;
    char *path;                /* the script's path, for messages */
    workload legs[MAX_LEGS];   /* the runs to do */
    size_t nlegs;
    int ref_on_batch;          /* registry refs, LUA_NOREF when absent */
    int ref_on_done;
};

static const char *HOOKS[] = {"on_batch", "on_done", NULL};

const char *script_lua_version(void) { return LUA_RELEASE; }

/* ---- the `kengine` library scripts see ---- */

static int l_version(lua_State *L) {
    lua_pushstring(L, KENGINE_VERSION);
    return 1;
}

static const luaL_Reg kengine_lib[] = {
    {"version", l_version},
    {NULL, NULL},
};

static int luaopen_kengine(lua_State *L) {
    luaL_newlib(L, kengine_lib);
    return 1;
}

/* Message handler: appends a traceback to runtime errors. */
static int traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int pcall_tb(lua_State *L, int nargs, int nres) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    return rc;
}

/* ---- reading the table ---- */

/* Text form of the Lua value at idx for field f, or NULL with err set. */
static const char *field_text(lua_State *L, int idx, const workload_field *f,
                              const char *where, char *buf, size_t buflen, char *err,
                              size_t errlen) {
    int t = lua_type(L, idx);
    const char *want = NULL;
    switch (f->kind) {
    case WORKLOAD_STRING:
    case WORKLOAD_ENUM:
        if (t == LUA_TSTRING) return lua_tostring(L, idx);
        want = "a string";
        break;
    case WORKLOAD_INT:
        if (t == LUA_TNUMBER) {
            if (lua_isinteger(L, idx)) {
                snprintf(buf, buflen, "%lld", (long long)lua_tointeger(L, idx));
                return buf;
            }
            snprintf(buf, buflen, "%.17g", lua_tonumber(L, idx));
            return buf;
        }
        want = "an integer";
        break;
    case WORKLOAD_NUMBER:
        if (t == LUA_TNUMBER) {
            snprintf(buf, buflen, "%.17g", lua_tonumber(L, idx));
            return buf;
        }
        want = "a number";
        break;
    case WORKLOAD_BOOL:
        if (t == LUA_TBOOLEAN) return lua_toboolean(L, idx) ? "true" : "false";
        want = "a boolean";
        break;
    case WORKLOAD_PROPS:
        want = "a table";
        break;
    }
    snprintf(err, errlen, "%s: field '%s' must be %s, got %s", where, f->name, want,
             lua_typename(L, t));
    return NULL;
}

/* Applies the table at idx (librdkafka properties) to wl's `table`. */
static int read_props(lua_State *L, int idx, workload *wl, const char *table,
                      const char *where, char *err, size_t errlen) {
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "%s: field '%s': property names must be strings", where,
                     table);
            lua_pop(L, 2);
            return -1;
        }
        const char *k = lua_tostring(L, -2);
        int t = lua_type(L, -1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN) {
            snprintf(err, errlen, "%s: field '%s.%s' must be a string, number or boolean, "
                                  "got %s", where, table, k, lua_typename(L, t));
            lua_pop(L, 2);
            return -1;
        }
        const char *v = t == LUA_TBOOLEAN ? (lua_toboolean(L, -1) ? "true" : "false")
                                          : lua_tostring(L, -1); /* converts numbers in place: fine, key is separate */
        char msg[512];
        if (workload_set_prop(wl, table, k, v, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", where, msg);
            lua_pop(L, 2);
            return -1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* Applies the fields of the table at idx to wl. Hooks and `legs` are
 * accepted only at the top level (`top`). */
static int read_fields(script *sc, int idx, workload *wl, bool top, const char *where,
                       char *err, size_t errlen) {
    lua_State *L = sc->L;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "%s: field names must be strings (got a %s key)", where,
                     luaL_typename(L, -2));
            goto fail;
        }
        const char *k = lua_tostring(L, -2);
        bool is_hook = false;
        for (int i = 0; HOOKS[i]; i++) is_hook |= !strcmp(k, HOOKS[i]);
        if (is_hook || !strcmp(k, "legs")) {
            if (!top) {
                snprintf(err, errlen, "%s: field '%s' is only allowed at the top level",
                         where, k);
                goto fail;
            }
            if (is_hook && !lua_isfunction(L, -1)) {
                snprintf(err, errlen, "%s: field '%s' must be a function, got %s", where, k,
                         luaL_typename(L, -1));
                goto fail;
            }
            if (!is_hook && !lua_istable(L, -1)) {
                snprintf(err, errlen, "%s: field 'legs' must be a list of tables, got %s",
                         where, luaL_typename(L, -1));
                goto fail;
            }
            lua_pop(L, 1);
            continue;
        }
        if (!strcmp(k, "name")) {
            if (!lua_isstring(L, -1)) {
                snprintf(err, errlen, "%s: field 'name' must be a string", where);
                goto fail;
            }
            free(wl->name);
            wl->name = strdup(lua_tostring(L, -1));
            lua_pop(L, 1);
            continue;
        }
        const workload_field *f = workload_field_find(k);
        char msg[512];
        if (!f) {
            workload_set(wl, k, "", msg, sizeof msg); /* builds the did-you-mean text */
            snprintf(err, errlen, "%s: %s", where, msg);
            goto fail;
        }
        if (f->kind == WORKLOAD_PROPS) {
            if (!lua_istable(L, -1)) {
                snprintf(err, errlen, "%s: field '%s' must be a table, got %s", where, k,
                         luaL_typename(L, -1));
                goto fail;
            }
            if (read_props(L, -1, wl, k, where, err, errlen)) goto fail;
        } else {
            char buf[64];
            const char *text = field_text(L, -1, f, where, buf, sizeof buf, err, errlen);
            if (!text) goto fail;
            if (workload_set(wl, k, text, msg, sizeof msg)) {
                snprintf(err, errlen, "%s: %s", where, msg);
                goto fail;
            }
        }
        lua_pop(L, 1);
    }
    return 0;
fail:
    lua_pop(L, 2);
    return -1;
}

static int apply_overrides(workload *wl, char **ov, size_t n, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        char name[256];
        const char *eq = strchr(ov[i], '=');
        size_t nlen = eq ? (size_t)(eq - ov[i]) : 0;
        if (!eq || nlen == 0 || nlen >= sizeof name) {
            snprintf(err, errlen, "command line: '%s' is not name=value", ov[i]);
            return -1;
        }
        memcpy(name, ov[i], nlen);
        name[nlen] = '\0';
        char msg[512];
        int rc;
        char *dot = strchr(name, '.');
        if (dot && (!strncmp(name, "producer.", 9) || !strncmp(name, "consumer.", 9))) {
            *dot = '\0';
            rc = workload_set_prop(wl, name, dot + 1, eq + 1, msg, sizeof msg);
        } else {
            rc = workload_set(wl, name, eq + 1, msg, sizeof msg);
        }
        if (rc) {
            snprintf(err, errlen, "command line: %s", msg);
            return -1;
        }
    }
    return 0;
}

/* A relative csv path that does not exist from the current directory is
 * looked up next to the script, and then in the script's parent folder. */
static void resolve_csv(workload *wl, const char *script_path) {
    struct stat st;
    if (wl->csv[0] == '/' || stat(wl->csv, &st) == 0) return;
    const char *slash = strrchr(script_path, '/');
    if (!slash) return;
    int dlen = (int)(slash - script_path);
    const char *fmts[] = {"%.*s/%s", "%.*s/../%s"};
    for (int i = 0; i < 2; i++) {
        char cand[4096];
        snprintf(cand, sizeof cand, fmts[i], dlen, script_path, wl->csv);
        if (stat(cand, &st) == 0) {
            char *s = strdup(cand);
            if (s) {
                free(wl->csv);
                wl->csv = s;
            }
            return;
        }
    }
}

static int hook_ref(lua_State *L, int tidx, const char *name) {
    lua_getfield(L, tidx, name);
    if (lua_isfunction(L, -1)) return luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    return LUA_NOREF;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

script *script_load(const char *path, char **ov, size_t nov, char *err, size_t errlen) {
    script *sc = calloc(1, sizeof *sc);
    if (!sc || !(sc->path = strdup(path)) || !(sc->L = luaL_newstate())) {
        snprintf(err, errlen, "out of memory");
        if (sc) free(sc->path);
        free(sc);
        return NULL;
    }
    lua_State *L = sc->L;
    sc->ref_on_batch = sc->ref_on_done = LUA_NOREF;
    luaL_openlibs(L);
    luaL_requiref(L, "kengine", luaopen_kengine, 1);
    lua_pop(L, 1);

    int rc = luaL_loadfilex(L, path, "t");
    if (rc != LUA_OK) {
        /* "cannot open x.lua" or "x.lua:3: syntax error near ..." */
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        goto fail;
    }
    if (pcall_tb(L, 0, 1) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        goto fail;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s: the script must return a table of workload fields "
                              "(it returned %s)", path, luaL_typename(L, -1));
        goto fail;
    }
    int t = lua_gettop(L);

    workload base;
    if (workload_init(&base)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (read_fields(sc, t, &base, true, path, err, errlen)) {
        workload_free(&base);
        goto fail;
    }
    if (!base.name) base.name = strdup(base_name(path));

    lua_getfield(L, t, "legs");
    if (lua_istable(L, -1)) {
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > MAX_LEGS) {
            snprintf(err, errlen, "%s: field 'legs' must hold 1 to %d tables", path, MAX_LEGS);
            workload_free(&base);
            goto fail;
        }
        for (lua_Integer i = 1; i <= n; i++) {
            char where[512];
            snprintf(where, sizeof where, "%s: legs[%lld]", path, (long long)i);
            lua_geti(L, -1, i);
            workload *leg = &sc->legs[sc->nlegs];
            if (!lua_istable(L, -1)) {
                snprintf(err, errlen, "%s must be a table", where);
                workload_free(&base);
                goto fail;
            }
            if (workload_copy(leg, &base)) {
                snprintf(err, errlen, "out of memory");
                workload_free(&base);
                goto fail;
            }
            sc->nlegs++;
            if (read_fields(sc, -1, leg, false, where, err, errlen)) {
                workload_free(&base);
                goto fail;
            }
            if (leg->name == base.name || !strcmp(leg->name, base.name)) {
                char nm[64];
                snprintf(nm, sizeof nm, "leg %lld", (long long)i);
                free(leg->name);
                leg->name = strdup(nm);
            }
            lua_pop(L, 1);
        }
        workload_free(&base);
    } else {
        sc->legs[0] = base;
        sc->nlegs = 1;
    }
    lua_pop(L, 1);

    for (size_t i = 0; i < sc->nlegs; i++) {
        workload *wl = &sc->legs[i];
        if (apply_overrides(wl, ov, nov, err, errlen)) goto fail;
        char msg[512];
        if (workload_validate(wl, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", path, msg);
            goto fail;
        }
        resolve_csv(wl, path);
    }
    sc->ref_on_batch = hook_ref(L, t, "on_batch");
    sc->ref_on_done = hook_ref(L, t, "on_done");
    lua_settop(L, 0);
    return sc;
fail:
    script_close(sc);
    return NULL;
}

void script_close(script *sc) {
    if (!sc) return;
    for (size_t i = 0; i < sc->nlegs; i++) workload_free(&sc->legs[i]);
    if (sc->L) lua_close(sc->L);
    free(sc->path);
    free(sc);
}

size_t script_legs(const script *sc) { return sc->nlegs; }
const workload *script_leg(const script *sc, size_t i) { return &sc->legs[i]; }

/* ---- hooks ---- */

static void set_num(lua_State *L, const char *k, double v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}
static void set_int(lua_State *L, const char *k, uint64_t v) {
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}
static void set_str(lua_State *L, const char *k, const char *v) {
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}
static void set_latency(lua_State *L, double p50, double p99, double max) {
    lua_createtable(L, 0, 3);
    set_num(L, "p50", p50);
    set_num(L, "p99", p99);
    set_num(L, "max", max);
    lua_setfield(L, -2, "latency_ms");
}

static int call_hook(script *sc, int ref, char *err, size_t errlen) {
    if (pcall_tb(sc->L, 1, 0) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(sc->L, -1));
        lua_settop(sc->L, 0);
        return -1;
    }
    (void)ref;
    return 0;
}

int script_on_batch(script *sc, const report_batch *b, char *err, size_t errlen) {
    if (sc->ref_on_batch == LUA_NOREF) return 0;
    lua_State *L = sc->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sc->ref_on_batch);
    lua_createtable(L, 0, 16);
    set_str(L, "type", b->role == REPORT_PRODUCE ? "produce_batch" : "consume_batch");
    set_int(L, "batch", b->batch);
    set_int(L, "messages", b->messages);
    set_int(L, "bytes", b->bytes);
    set_int(L, "words", b->words);
    set_num(L, "seconds", b->seconds);
    set_num(L, "msgs_per_sec", b->msgs_per_sec);
    set_num(L, "mb_per_sec", b->mb_per_sec);
    set_num(L, "cpu_percent", b->cpu_percent);
    set_num(L, "rss_mb", b->rss_mb);
    if (b->role == REPORT_PRODUCE) {
        set_int(L, "delivered", b->delivered);
        set_int(L, "batches", b->batches);
    } else {
        set_int(L, "unique_words", b->unique_words);
        set_latency(L, b->lat_p50_ms, b->lat_p99_ms, b->lat_max_ms);
    }
    return call_hook(sc, sc->ref_on_batch, err, errlen);
}

int script_on_done(script *sc, const report_summary *s, char *err, size_t errlen) {
    if (sc->ref_on_done == LUA_NOREF) return 0;
    lua_State *L = sc->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sc->ref_on_done);
    lua_createtable(L, 0, 20);
    set_str(L, "type", "summary");
    set_str(L, "name", s->name ? s->name : "");
    set_str(L, "mode", s->mode ? s->mode : "async");
    set_int(L, "records", s->records);
    set_int(L, "sent", s->sent);
    set_int(L, "delivered", s->delivered);
    set_int(L, "delivery_errors", s->delivery_errors);
    set_num(L, "produce_seconds", s->produce_seconds);
    set_int(L, "consumed", s->consumed);
    set_int(L, "lost", s->lost);
    set_int(L, "duplicates", s->duplicates);
    set_int(L, "words", s->words);
    set_int(L, "unique_words_total", s->unique_words_total);
    set_num(L, "consume_seconds", s->consume_seconds);
    set_num(L, "cpu_percent", s->cpu_percent);
    set_num(L, "peak_rss_mb", s->peak_rss_mb);
    set_latency(L, s->lat_p50_ms, s->lat_p99_ms, s->lat_max_ms);
    set_str(L, "error", s->error);
    return call_hook(sc, sc->ref_on_done, err, errlen);
}
