/*
 * script: Lua workloads, loading side. Together with script/api.c the only
 * code that includes the Lua headers.
 *
 * A workload script returns a table whose keys are workload fields
 * (workload.c's table), hooks (functions), `phases`, `thresholds` and
 * optionally `legs`, a list of tables of fields, each run in turn. Values
 * are type-checked against the field's kind here and then parsed by
 * workload_set(), the same path the command line's name=value overrides
 * take, so both validate alike. A script may declare options of its own
 * with kengine.options{...} (script/api.c); command-line overrides naming
 * them go to the script instead of the fields.
 */
#include "internal.h"
#include "suggest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const SCRIPT_HOOKS[] = {"on_start", "on_batch", "on_done", "reporter", NULL};

const char *script_lua_version(void) { return LUA_RELEASE; }

/* ---- reading the table ---- */

/* Text form of the Lua value at idx for field f, or NULL with err set. */
static const char *field_text(lua_State *L, int idx, const workload_field *f, const char *where,
                              char *buf, size_t buflen, char *err, size_t errlen) {
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
            if (lua_isinteger(L, idx))
                snprintf(buf, buflen, "%lld", (long long)lua_tointeger(L, idx));
            else
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
    case WORKLOAD_TABLE: want = "a table"; break;
    }
    snprintf(err, errlen, "%s: field '%s' must be %s, got %s", where, f->name, want,
             lua_typename(L, t));
    return NULL;
}

/* Applies the table at idx (librdkafka properties) to wl's `table`. */
static int read_props(lua_State *L, int idx, workload *wl, const char *table, const char *where,
                      char *err, size_t errlen) {
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
            snprintf(err, errlen,
                     "%s: field '%s.%s' must be a string, number or boolean, got %s", where,
                     table, k, lua_typename(L, t));
            lua_pop(L, 2);
            return -1;
        }
        /* lua_tostring converts the value in place; the key is untouched */
        const char *v =
            t == LUA_TBOOLEAN ? (lua_toboolean(L, -1) ? "true" : "false") : lua_tostring(L, -1);
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

/* Reads `phases` (a list of {name=, records=, duration=, rate=}). */
static int read_phases(lua_State *L, int idx, workload *wl, const char *where, char *err,
                       size_t errlen) {
    idx = lua_absindex(L, idx);
    lua_Integer n = luaL_len(L, idx);
    if (n < 1 || n > 64) {
        snprintf(err, errlen, "%s: field 'phases' must list 1 to 64 phases", where);
        return -1;
    }
    for (size_t i = 0; i < wl->nphases; i++) free(wl->phases[i].name);
    free(wl->phases);
    wl->phases = NULL;
    wl->nphases = 0;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, idx, i);
        if (!lua_istable(L, -1)) {
            snprintf(err, errlen, "%s: phases[%lld] must be a table", where, (long long)i);
            lua_pop(L, 1);
            return -1;
        }
        const char *name = NULL;
        lua_Integer records = 0;
        double duration = 0, rate = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            bool ok = true;
            if (!strcmp(k, "name")) {
                ok = lua_type(L, -1) == LUA_TSTRING;
                name = ok ? lua_tostring(L, -1) : NULL;
            } else if (!strcmp(k, "records")) {
                ok = lua_isinteger(L, -1) && (records = lua_tointeger(L, -1)) > 0;
            } else if (!strcmp(k, "duration")) {
                ok = lua_type(L, -1) == LUA_TNUMBER && (duration = lua_tonumber(L, -1)) > 0;
            } else if (!strcmp(k, "rate")) {
                ok = lua_type(L, -1) == LUA_TNUMBER && (rate = lua_tonumber(L, -1)) >= 0;
            } else {
                static const char *const PHASE_FIELDS[] = {"name", "records", "duration",
                                                           "rate", NULL};
                char hint[128];
                snprintf(err, errlen,
                         "%s: phases[%lld]: unknown field '%s'%s; a phase has name, records, "
                         "duration and rate",
                         where, (long long)i, k,
                         suggest_hint(hint, sizeof hint, k, PHASE_FIELDS, SIZE_MAX));
                lua_pop(L, 3);
                return -1;
            }
            if (!ok) {
                snprintf(err, errlen, "%s: phases[%lld]: field '%s' must be %s", where,
                         (long long)i, k,
                         !strcmp(k, "name")      ? "a string"
                         : !strcmp(k, "records") ? "a positive integer"
                         : !strcmp(k, "rate")    ? "a non-negative number"
                                                 : "a positive number");
                lua_pop(L, 3);
                return -1;
            }
            lua_pop(L, 1);
        }
        char msg[512];
        /* name points into the phase table, still on the stack */
        if (workload_add_phase(wl, name, (uint64_t)records, duration, rate, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", where, msg);
            lua_pop(L, 1);
            return -1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* Reads `thresholds` from the table at idx, if present. */
static int read_thresholds(lua_State *L, int idx, workload *wl, const char *where, char *err,
                           size_t errlen) {
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, idx, "thresholds") == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    int t = lua_gettop(L);
    size_t first = wl->nthresholds;
    if (!lua_istable(L, t)) {
        snprintf(err, errlen, "%s: field 'thresholds' must be a table of metric = condition",
                 where);
        goto fail;
    }
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "%s: thresholds: metric names must be strings", where);
            lua_pop(L, 2);
            goto fail;
        }
        const char *metric = lua_tostring(L, -2);
        char msg[768];
        if (lua_type(L, -1) == LUA_TSTRING) {
            if (workload_add_threshold(wl, metric, lua_tostring(L, -1), false, msg,
                                       sizeof msg)) {
                snprintf(err, errlen, "%s: %s", where, msg);
                lua_pop(L, 2);
                goto fail;
            }
        } else if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "abort");
            bool abort = lua_toboolean(L, -1);
            lua_pop(L, 1);
            lua_Integer n = luaL_len(L, -1);
            if (n < 1) {
                snprintf(err, errlen, "%s: threshold '%s' has no condition", where, metric);
                lua_pop(L, 2);
                goto fail;
            }
            for (lua_Integer i = 1; i <= n; i++) {
                lua_geti(L, -1, i);
                if (lua_type(L, -1) != LUA_TSTRING ||
                    workload_add_threshold(wl, metric, lua_tostring(L, -1), abort, msg,
                                           sizeof msg)) {
                    if (lua_type(L, -1) != LUA_TSTRING)
                        snprintf(msg, sizeof msg, "threshold '%s': conditions must be strings",
                                 metric);
                    snprintf(err, errlen, "%s: %s", where, msg);
                    lua_pop(L, 3);
                    goto fail;
                }
                lua_pop(L, 1);
            }
        } else {
            snprintf(err, errlen,
                     "%s: threshold '%s' must be a condition string like \"< 50\" or a list "
                     "of them, got %s",
                     where, metric, luaL_typename(L, -1));
            lua_pop(L, 2);
            goto fail;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    /* Lua's table order changes between runs: reports list them by name */
    threshold_sort(wl->thresholds + first, wl->nthresholds - first);
    return 0;
fail:
    lua_settop(L, t - 1);
    return -1;
}

static bool is_hook(const char *k) {
    for (int i = 0; SCRIPT_HOOKS[i]; i++)
        if (!strcmp(k, SCRIPT_HOOKS[i])) return true;
    return false;
}

/* Applies the fields of the table at idx to wl. Hooks and `legs` are
 * accepted only at the top level (`top`). `thresholds` is read after,
 * by read_thresholds, once the phases are known. */
int script_read_fields(lua_State *L, int idx, workload *wl, bool top, const char *where,
                       char *err, size_t errlen) {
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "%s: field names must be strings (got a %s key)", where,
                     luaL_typename(L, -2));
            goto fail;
        }
        const char *k = lua_tostring(L, -2);
        bool hook = is_hook(k);
        if (hook || !strcmp(k, "legs")) {
            if (!top) {
                snprintf(err, errlen, "%s: field '%s' is only allowed at the top level", where,
                         k);
                goto fail;
            }
            if (hook && !lua_isfunction(L, -1)) {
                snprintf(err, errlen, "%s: field '%s' must be a function, got %s", where, k,
                         luaL_typename(L, -1));
                goto fail;
            }
            if (!hook && !lua_istable(L, -1)) {
                snprintf(err, errlen, "%s: field 'legs' must be a list of tables, got %s",
                         where, luaL_typename(L, -1));
                goto fail;
            }
            lua_pop(L, 1);
            continue;
        }
        if (!strcmp(k, "name")) {
            if (lua_type(L, -1) != LUA_TSTRING) {
                snprintf(err, errlen, "%s: field 'name' must be a string", where);
                goto fail;
            }
            char *nm = strdup(lua_tostring(L, -1));
            if (nm) {
                free(wl->name);
                wl->name = nm;
            }
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
        if (f->kind == WORKLOAD_PROPS || f->kind == WORKLOAD_TABLE) {
            if (!lua_istable(L, -1)) {
                snprintf(err, errlen, "%s: field '%s' must be a table, got %s", where, k,
                         luaL_typename(L, -1));
                goto fail;
            }
            if (f->kind == WORKLOAD_PROPS) {
                if (read_props(L, -1, wl, k, where, err, errlen)) goto fail;
            } else if (!strcmp(k, "phases")) {
                if (read_phases(L, -1, wl, where, err, errlen)) goto fail;
            }
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

/* An override naming neither a field nor a script option: the nearest of
 * both, and for `duration` (a phase's field) where it goes instead. */
static void unknown_override(const script *sc, const char *name, const char *value, char *msg,
                             size_t len) {
    if (!strcmp(name, "duration")) {
        snprintf(msg, len,
                 "'duration' is a phase's field, not the workload's: give phases = { { "
                 "duration = %s, rate = ... } } in the script, or records=N",
                 value);
        return;
    }
    size_t nf;
    const workload_field *f = workload_fields(&nf);
    const char *names[128];
    size_t n = 0;
    for (size_t i = 0; i < nf && n < 128; i++) names[n++] = f[i].name;
    for (size_t i = 0; i < sc->nopts && n < 128; i++) names[n++] = sc->opts[i].name;
    char hint[320];
    snprintf(msg, len, "unknown field '%s'%s", name,
             suggest_hint(hint, sizeof hint, name, names, n));
}

static int apply_overrides(script *sc, workload *wl, char *err, size_t errlen) {
    for (size_t i = 0; i < sc->nov; i++) {
        if (sc->ov_used[i]) continue; /* taken by a script option */
        char name[256];
        const char *eq = strchr(sc->ov[i], '=');
        size_t nlen = (size_t)(eq - sc->ov[i]);
        memcpy(name, sc->ov[i], nlen);
        name[nlen] = '\0';
        char msg[512];
        int rc;
        char *dot = strchr(name, '.');
        if (dot && (!strncmp(name, "producer.", 9) || !strncmp(name, "consumer.", 9))) {
            *dot = '\0';
            rc = workload_set_prop(wl, name, dot + 1, eq + 1, msg, sizeof msg);
        } else if (!dot && !workload_field_find(name)) {
            unknown_override(sc, name, eq + 1, msg, sizeof msg);
            rc = -1;
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

/* Creates the state, checks the overrides' shape, runs the chunk. On
 * success the returned table is on the stack top. */
script *script_start(const char *path, char **ov, size_t nov, bool help, char *err,
                     size_t errlen) {
    script *sc = calloc(1, sizeof *sc);
    if (!sc || !(sc->path = strdup(path)) || !(sc->ov_used = calloc(nov + 1, 1)) ||
        !(sc->L = luaL_newstate())) {
        snprintf(err, errlen, "out of memory");
        script_close(sc);
        return NULL;
    }
    sc->ov = ov;
    sc->nov = nov;
    sc->help = help;
    sc->ref_on_start = sc->ref_on_batch = sc->ref_on_done = sc->ref_reporter = LUA_NOREF;
    for (size_t i = 0; i < nov; i++) {
        const char *eq = strchr(ov[i], '=');
        if (!eq || eq == ov[i] || eq - ov[i] >= 255) {
            snprintf(err, errlen, "command line: '%s' is not name=value", ov[i]);
            script_close(sc);
            return NULL;
        }
    }
    lua_State *L = sc->L;
    luaL_openlibs(L);
    script_sandbox_open(L);
    script_api_open(sc);

    if (luaL_loadfilex(L, path, "t") != LUA_OK) {
        /* "cannot open x.lua" or "x.lua:3: syntax error near ..." */
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        script_close(sc);
        return NULL;
    }
    if (script_pcall(L, 0, 1) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        script_close(sc);
        return NULL;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen,
                 "%s: the script must return a table of workload fields "
                 "(it returned %s)",
                 path, luaL_typename(L, -1));
        script_close(sc);
        return NULL;
    }
    return sc;
}

script *script_load(const char *path, char **ov, size_t nov, char *err, size_t errlen) {
    script *sc = script_start(path, ov, nov, false, err, errlen);
    if (!sc) return NULL;
    lua_State *L = sc->L;
    int t = lua_gettop(L);

    workload base;
    if (workload_init(&base)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (script_read_fields(L, t, &base, true, path, err, errlen) ||
        read_thresholds(L, t, &base, path, err, errlen)) {
        workload_free(&base);
        goto fail;
    }
    if (!base.name) base.name = strdup(base_name(path));

    lua_getfield(L, t, "legs");
    if (lua_istable(L, -1)) {
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > SCRIPT_MAX_LEGS) {
            snprintf(err, errlen, "%s: field 'legs' must hold 1 to %d tables", path,
                     SCRIPT_MAX_LEGS);
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
            if (script_read_fields(L, -1, leg, false, where, err, errlen) ||
                read_thresholds(L, -1, leg, where, err, errlen)) {
                workload_free(&base);
                goto fail;
            }
            if (!strcmp(leg->name, base.name)) {
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
        if (apply_overrides(sc, wl, err, errlen)) goto fail;
        char msg[512];
        if (!wl->name || workload_validate(wl, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", path, wl->name ? msg : "out of memory");
            goto fail;
        }
        resolve_csv(wl, path);
    }
    /* the overrides belong to the caller: not kept past loading */
    sc->ov = NULL;
    sc->nov = 0;
    sc->ref_on_start = hook_ref(L, t, "on_start");
    sc->ref_on_batch = hook_ref(L, t, "on_batch");
    sc->ref_on_done = hook_ref(L, t, "on_done");
    sc->ref_reporter = hook_ref(L, t, "reporter");
    lua_settop(L, 0);
    return sc;
fail:
    script_close(sc);
    return NULL;
}

void script_close(script *sc) {
    if (!sc) return;
    for (size_t i = 0; i < sc->nlegs; i++) workload_free(&sc->legs[i]);
    for (size_t i = 0; i < sc->nopts; i++) {
        free(sc->opts[i].name);
        free(sc->opts[i].type);
        free(sc->opts[i].value);
        free(sc->opts[i].description);
    }
    free(sc->opts);
    if (sc->L) lua_close(sc->L);
    free(sc->ov_used);
    free(sc->path);
    free(sc);
}

size_t script_legs(const script *sc) { return sc->nlegs; }
const workload *script_leg(const script *sc, size_t i) { return &sc->legs[i]; }
bool script_has_reporter(const script *sc) { return sc->ref_reporter != LUA_NOREF; }
