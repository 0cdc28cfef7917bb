/*
 * api: what scripts see of kengine.
 *
 *   kengine.version            the version string
 *   kengine.options{...}       declare options; returns their values
 *   kengine.text(ev)           the built-in text reporter's output for an event
 *   kengine.json(ev)           the built-in NDJSON reporter's line for an event
 *   kengine.log(...)           a line on stderr
 *
 * Events handed to hooks are tables of the NDJSON figures plus `latency`,
 * a userdata owning a copy of the histogram, with methods
 * (latency:percentile(99), :min(), :max(), :mean(), :count()), so a script
 * may keep an event as long as it likes. The text and JSON of each event
 * are kept in a weak table so kengine.text/json can return them.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "writer.h"
#include "signals.h"
#include "stats.h"

#define LATENCY_MT "kengine.latency"
#define EVENTS_KEY "kengine.events"

#define PLAIN_ERROR_KEY "kengine.plain_error"

/* Raises an error about the script's input (an option's value, a
 * declaration): one line naming the script's line, no traceback. */
static int input_error(lua_State *L, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    luaL_where(L, 1);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, PLAIN_ERROR_KEY);
    return lua_error(L);
}

/* Message handler: appends a traceback to runtime errors. */
static int traceback(lua_State *L) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, PLAIN_ERROR_KEY) == LUA_TBOOLEAN) {
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, PLAIN_ERROR_KEY);
        lua_pop(L, 1);
        return 1; /* the message as it is */
    }
    lua_pop(L, 1);
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int script_pcall(lua_State *L, int nargs, int nres) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    return rc;
}

/* ---- latency objects ---- */

static stats_hist *check_latency(lua_State *L) { return luaL_checkudata(L, 1, LATENCY_MT); }

static int l_lat_percentile(lua_State *L) {
    stats_hist *h = check_latency(L);
    double p = luaL_checknumber(L, 2);
    luaL_argcheck(L, p >= 0 && p <= 100, 2, "percentile must be within 0..100");
    lua_pushnumber(L, figures_latency(h, p));
    return 1;
}
static int l_lat_min(lua_State *L) {
    lua_pushnumber(L, (double)stats_hist_min(check_latency(L)) / 1000.0);
    return 1;
}
static int l_lat_max(lua_State *L) {
    lua_pushnumber(L, (double)stats_hist_max(check_latency(L)) / 1000.0);
    return 1;
}
static int l_lat_mean(lua_State *L) {
    lua_pushnumber(L, stats_hist_mean(check_latency(L)) / 1000.0);
    return 1;
}
static int l_lat_count(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)stats_hist_count(check_latency(L)));
    return 1;
}
static int l_lat_tostring(lua_State *L) {
    stats_hist *h = check_latency(L);
    lua_pushfstring(L, "latency(count %I, p50 %f ms, p99 %f ms, max %f ms)",
                    (lua_Integer)stats_hist_count(h), figures_latency(h, 50),
                    figures_latency(h, 99), figures_latency(h, 100));
    return 1;
}

static const luaL_Reg latency_methods[] = {
    {"percentile", l_lat_percentile},
    {"min", l_lat_min},
    {"max", l_lat_max},
    {"mean", l_lat_mean},
    {"count", l_lat_count},
    {NULL, NULL},
};

/* Pushes a latency object holding a copy of h (empty if h is NULL). */
static void push_latency(lua_State *L, const stats_hist *h) {
    stats_hist *u = lua_newuserdatauv(L, stats_hist_sizeof(), 0);
    if (h)
        stats_hist_copy(u, h);
    else {
        stats_hist *empty = stats_hist_new();
        if (empty) {
            stats_hist_copy(u, empty);
            stats_hist_free(empty);
        } else {
            memset(u, 0, stats_hist_sizeof());
        }
    }
    luaL_setmetatable(L, LATENCY_MT);
}

/* ---- the kengine library ---- */

static int l_version(lua_State *L) {
    lua_pushstring(L, KENGINE_VERSION);
    return 1;
}

static int l_log(lua_State *L) {
    int n = lua_gettop(L);
    fputs("kengine: script: ", stderr);
    for (int i = 1; i <= n; i++) {
        fputs(luaL_tolstring(L, i, NULL), stderr);
        lua_pop(L, 1);
        if (i < n) fputc(' ', stderr);
    }
    fputc('\n', stderr);
    return 0;
}

/* kengine.text(ev) / kengine.json(ev): the event's built-in output. */
static int event_string(lua_State *L, const char *which) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, LUA_REGISTRYINDEX, EVENTS_KEY);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, -2) != LUA_TTABLE)
        return luaL_argerror(L, 1, "not an event kengine handed to a hook");
    lua_getfield(L, -1, which);
    return 1;
}
static int l_text(lua_State *L) { return event_string(L, "text"); }
static int l_json(lua_State *L) { return event_string(L, "json"); }

static script *upvalue_script(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* Converts the override text for option `name` to a Lua value of `type`. */
static void push_option_text(lua_State *L, const char *name, const char *type,
                             const char *text) {
    char *end;
    if (!strcmp(type, "string")) {
        lua_pushstring(L, text);
    } else if (!strcmp(type, "boolean")) {
        if (!strcmp(text, "true"))
            lua_pushboolean(L, 1);
        else if (!strcmp(text, "false"))
            lua_pushboolean(L, 0);
        else
            input_error(L, "command line: option '%s' must be true or false, got '%s'", name,
                        text);
    } else if (!strcmp(type, "integer")) {
        long long v = strtoll(text, &end, 10);
        if (end == text || *end)
            input_error(L, "command line: option '%s' must be an integer, got '%s'", name,
                        text);
        lua_pushinteger(L, (lua_Integer)v);
    } else {
        double v = strtod(text, &end);
        if (end == text || *end)
            input_error(L, "command line: option '%s' must be a number, got '%s'", name, text);
        lua_pushnumber(L, v);
    }
}

static const char *lua_type_to_option(lua_State *L, int idx) {
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: return "boolean";
    case LUA_TSTRING: return "string";
    case LUA_TNUMBER: return "number";
    default: return NULL;
    }
}

/* kengine.options{ name = { default =, description =, type =, validate = } }
 * Declares options and returns a table of their values: the command
 * line's name=value where given, else the default. */
static int l_options(lua_State *L) {
    script *sc = upvalue_script(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_newtable(L); /* result, index 2 */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return input_error(L, "kengine.options: option names must be strings");
        const char *name = lua_tostring(L, -2);
        if (!lua_istable(L, -1))
            return input_error(L,
                               "option '%s': must be a table {default=, description=, "
                               "type=, validate=}",
                               name);
        if (workload_field_find(name) || !strcmp(name, "name"))
            return input_error(L, "option '%s': a built-in field has that name", name);
        int spec = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, spec)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            if (strcmp(k, "default") && strcmp(k, "description") && strcmp(k, "type") &&
                strcmp(k, "validate"))
                return input_error(L,
                                   "option '%s': unknown key '%s' (default, description, "
                                   "type, validate)",
                                   name, k);
            lua_pop(L, 1);
        }
        lua_getfield(L, spec, "default");
        lua_getfield(L, spec, "type");
        const char *type = lua_tostring(L, -1);
        if (!type) type = lua_type_to_option(L, -2);
        if (!type || (strcmp(type, "number") && strcmp(type, "integer") &&
                      strcmp(type, "string") && strcmp(type, "boolean")))
            return input_error(L,
                               "option '%s': type must be number, integer, string or "
                               "boolean (or given by a default)",
                               name);
        lua_pop(L, 1); /* type; default stays */
        if (!lua_isnil(L, -1)) {
            const char *dt = lua_type_to_option(L, -1);
            bool ok =
                dt && (!strcmp(dt, type) || (!strcmp(type, "integer") && lua_isinteger(L, -1)));
            if (!ok)
                return input_error(L, "option '%s': default is not of type %s", name, type);
        }
        /* record the declaration for `kengine help` */
        script_option *o = realloc(sc->opts, (sc->nopts + 1) * sizeof *o);
        if (!o) return input_error(L, "out of memory");
        sc->opts = o;
        o = &sc->opts[sc->nopts++];
        memset(o, 0, sizeof *o);
        o->name = strdup(name);
        o->type = strdup(type);
        o->value = lua_isnil(L, -1) ? NULL : strdup(luaL_tolstring(L, -1, NULL));
        if (o->value) lua_pop(L, 1);
        lua_getfield(L, spec, "description");
        if (lua_isstring(L, -1)) o->description = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        /* the value: the command line's, else the default */
        for (size_t i = 0; i < sc->nov; i++) {
            size_t nl = strlen(name);
            if (!strncmp(sc->ov[i], name, nl) && sc->ov[i][nl] == '=') {
                lua_pop(L, 1);
                push_option_text(L, name, type, sc->ov[i] + nl + 1);
                sc->ov_used[i] = true;
            }
        }
        if (!sc->help) {
            lua_getfield(L, spec, "validate");
            if (!lua_isnil(L, -1)) {
                lua_pushvalue(L, -2);
                lua_call(L, 1, 2);
                if (!lua_toboolean(L, -2)) {
                    const char *why = lua_tostring(L, -1);
                    return input_error(L, "option '%s': %s", name,
                                       why ? why : "value rejected by its validator");
                }
                lua_pop(L, 2);
            } else {
                lua_pop(L, 1);
            }
        }
        lua_setfield(L, 2, name); /* result[name] = value */
        lua_pop(L, 1);            /* spec */
    }
    return 1;
}

/* Every 100,000 instructions: a script stuck in a loop still yields to
 * SIGINT/SIGTERM, with an error naming where it was. */
static void on_count(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (signals_caught) luaL_error(L, "interrupted by signal %d", (int)signals_caught);
}

void script_api_open(script *sc) {
    lua_State *L = sc->L;
    lua_sethook(L, on_count, LUA_MASKCOUNT, 100000);
    luaL_newmetatable(L, LATENCY_MT);
    luaL_newlib(L, latency_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_lat_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    lua_newtable(L); /* weak-keyed: event table -> {text, json} */
    lua_newtable(L);
    lua_pushstring(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, EVENTS_KEY);

    lua_newtable(L);
    lua_pushcfunction(L, l_version);
    lua_setfield(L, -2, "version");
    lua_pushcfunction(L, l_log);
    lua_setfield(L, -2, "log");
    lua_pushcfunction(L, l_text);
    lua_setfield(L, -2, "text");
    lua_pushcfunction(L, l_json);
    lua_setfield(L, -2, "json");
    lua_pushlightuserdata(L, sc);
    lua_pushcclosure(L, l_options, 1);
    lua_setfield(L, -2, "options");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "kengine.lib");
    lua_setglobal(L, "kengine");
    /* require("kengine") works too */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, LUA_REGISTRYINDEX, "kengine.lib");
    lua_setfield(L, -2, "kengine");
    lua_pop(L, 1);
}

/* ---- events ---- */

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

/* latency (object) and latency_ms (plain figures) on the table at top. */
static void set_latency(lua_State *L, const stats_hist *h) {
    push_latency(L, h);
    lua_setfield(L, -2, "latency");
    size_t n;
    const figure_stat *st = figures_latency_stats(&n);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        if (st[i].p == FIGURES_STAT_COUNT)
            set_int(L, st[i].name, h ? stats_hist_count(h) : 0);
        else
            set_num(L, st[i].name, figures_latency(h, st[i].p));
    }
    lua_setfield(L, -2, "latency_ms");
}

/* Every figure of `scope` that `role` has, on the table at top (figures.h). */
static void set_figures(lua_State *L, figure_scope scope, unsigned role, const void *obj) {
    size_t n;
    const figure *f = figures_list(scope, &n);
    for (size_t i = 0; i < n; i++) {
        if (!(f[i].roles & role)) continue;
        figure_value v = f[i].get(obj);
        switch (f[i].type) {
        case FIGURE_COUNT: set_int(L, f[i].name, (uint64_t)v.v); break;
        case FIGURE_REAL: set_num(L, f[i].name, v.v); break;
        case FIGURE_LATENCY: set_latency(L, v.h); break;
        }
    }
}

/* Remembers the event table at top with its text and JSON. */
static void remember(lua_State *L, char *text, char *json) {
    lua_getfield(L, LUA_REGISTRYINDEX, EVENTS_KEY);
    lua_pushvalue(L, -2);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, text ? text : "");
    lua_setfield(L, -2, "text");
    lua_pushstring(L, json ? json : "");
    lua_setfield(L, -2, "json");
    lua_rawset(L, -3);
    lua_pop(L, 1);
    free(text);
    free(json);
}

static void push_batch(lua_State *L, const run_batch *b) {
    bool produce = b->role == RUN_PRODUCE;
    lua_createtable(L, 0, 20);
    set_str(L, "type", produce ? "produce_batch" : "consume_batch");
    if (b->phase) set_str(L, "phase", b->phase);
    set_figures(L, FIGURES_IN_BATCH, produce ? FIGURE_PRODUCE : FIGURE_CONSUME, b);
    if (!produce) {
        lua_createtable(L, (int)b->ntop, 0);
        for (size_t i = 0; i < b->ntop; i++) {
            lua_createtable(L, 0, 2);
            lua_pushlstring(L, b->top[i].word, b->top[i].len);
            lua_setfield(L, -2, "word");
            set_int(L, "count", b->top[i].count);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "top_words");
    }
    remember(L, report_batch_string(b), report_batch_json(b));
}

static void push_summary(lua_State *L, const run_summary *s) {
    lua_createtable(L, 0, 32);
    set_str(L, "type", "summary");
    set_str(L, "name", s->name ? s->name : "");
    set_str(L, "mode", s->mode ? s->mode : "async");
    set_str(L, "missing", s->missing);
    set_str(L, "error", s->error);
    set_figures(L, FIGURES_IN_SUMMARY, FIGURE_ANY, s);
    lua_createtable(L, (int)s->nphases, 0);
    for (size_t i = 0; i < s->nphases; i++) {
        const run_phase *p = &s->phases[i];
        lua_createtable(L, 0, 8);
        set_str(L, "name", p->name);
        set_figures(L, FIGURES_IN_PHASE, FIGURE_ANY, p);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "phases");
    lua_createtable(L, (int)s->nthresholds, 0);
    for (size_t i = 0; i < s->nthresholds; i++) {
        const run_threshold *t = &s->thresholds[i];
        lua_createtable(L, 0, 5);
        set_str(L, "metric", t->metric);
        set_str(L, "condition", t->condition);
        set_num(L, "actual", t->actual);
        lua_pushboolean(L, t->pass);
        lua_setfield(L, -2, "pass");
        lua_pushboolean(L, t->aborted);
        lua_setfield(L, -2, "aborted");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "thresholds");
    remember(L, report_summary_string(s), report_summary_json(s));
}

/* ---- hooks ---- */

/* Calls the hook pushed below its nargs arguments. */
static int call(script *sc, int nargs, char *err, size_t errlen) {
    if (script_pcall(sc->L, nargs, 0) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(sc->L, -1));
        lua_settop(sc->L, 0);
        return -1;
    }
    return 0;
}

int script_on_start(script *sc, const workload *wl, char *err, size_t errlen) {
    if (sc->ref_on_start == LUA_NOREF) return 0;
    lua_State *L = sc->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sc->ref_on_start);
    lua_createtable(L, 0, 12);
    set_str(L, "name", wl->name ? wl->name : "");
    set_str(L, "topic", wl->topic);
    /* the run that runs, as its run event says it: the brokers given or
     * "embedded" (its address is known once the engine starts it), the
     * records its phases send (0 when one runs for a duration) */
    set_str(L, "brokers", wl->brokers ? wl->brokers : "embedded");
    set_str(L, "csv", wl->csv);
    set_int(L, "records", workload_records(wl));
    set_int(L, "batch_size", wl->batch_size);
    set_num(L, "rate", wl->rate);
    set_str(L, "mode", wl->mode == WORKLOAD_SYNC ? "sync" : "async");
    set_str(L, "format", encode_format_name(wl->format));
    lua_pushboolean(L, wl->produce);
    lua_setfield(L, -2, "produce");
    lua_pushboolean(L, wl->consume);
    lua_setfield(L, -2, "consume");
    lua_createtable(L, (int)wl->nphases, 0);
    for (size_t i = 0; i < wl->nphases; i++) {
        lua_createtable(L, 0, 4);
        set_str(L, "name", wl->phases[i].name);
        set_int(L, "records", wl->phases[i].records);
        set_num(L, "duration", wl->phases[i].duration);
        set_num(L, "rate", wl->phases[i].rate);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "phases");
    return call(sc, 1, err, errlen);
}

int script_on_batch(script *sc, const run_batch *b, char *err, size_t errlen) {
    if (sc->ref_on_batch == LUA_NOREF) return 0;
    lua_rawgeti(sc->L, LUA_REGISTRYINDEX, sc->ref_on_batch);
    push_batch(sc->L, b);
    return call(sc, 1, err, errlen);
}

int script_on_done(script *sc, const run_summary *s, char *err, size_t errlen) {
    if (sc->ref_on_done == LUA_NOREF) return 0;
    lua_rawgeti(sc->L, LUA_REGISTRYINDEX, sc->ref_on_done);
    push_summary(sc->L, s);
    return call(sc, 1, err, errlen);
}

int script_report(script *sc, const run_batch *b, const run_summary *s, char *err,
                  size_t errlen) {
    if (sc->ref_reporter == LUA_NOREF) return 0;
    lua_rawgeti(sc->L, LUA_REGISTRYINDEX, sc->ref_reporter);
    if (s)
        push_summary(sc->L, s);
    else
        push_batch(sc->L, b);
    return call(sc, 1, err, errlen);
}
