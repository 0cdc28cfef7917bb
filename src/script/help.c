/*
 * help: `kengine help WORKLOAD.lua`, a workload's fields, options and hooks
 * as the script sets them. Loads the script as script.c does (script_start,
 * script_read_fields), without running it, and prints one table whose
 * columns fit their longest entry: field, type, default (workload.c's
 * table), the script's value, meaning.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *KIND_NAMES[] = {"string", "integer", "number", "boolean",
                                   "choice", "table",   "table"};

static int option_cmp(const void *a, const void *b) {
    return strcmp(((const script_option *)a)->name, ((const script_option *)b)->name);
}

/* One row of a workload's help. */
typedef struct {
    const char *name, *type, *help;
    char def[64]; /* the default, as workload_field_default shows it */
    char val[40]; /* the script's value, "-" when it sets none */
} help_row;

/* The script's value at idx as help shows it: "-" for none, a string or
 * number as it is (cut at len - 4 with "..."), tables by their size. */
static void script_value_text(lua_State *L, int idx, char *buf, size_t len) {
    int ty = lua_type(L, idx);
    if (ty == LUA_TNIL) {
        snprintf(buf, len, "-");
    } else if (ty == LUA_TSTRING || ty == LUA_TNUMBER) {
        const char *v = lua_tostring(L, idx);
        if (strlen(v) < len)
            snprintf(buf, len, "%s", v);
        else
            snprintf(buf, len, "%.*s...", (int)len - 4, v);
    } else if (ty == LUA_TBOOLEAN) {
        snprintf(buf, len, "%s", lua_toboolean(L, idx) ? "true" : "false");
    } else if (ty == LUA_TTABLE) {
        lua_Integer items = luaL_len(L, idx);
        size_t entries = 0;
        idx = lua_absindex(L, idx);
        for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) entries++;
        if (items > 0)
            snprintf(buf, len, "%lld item%s", (long long)items, items == 1 ? "" : "s");
        else
            snprintf(buf, len, "%zu entr%s", entries, entries == 1 ? "y" : "ies");
    } else {
        snprintf(buf, len, "(%s)", lua_typename(L, ty));
    }
}

int script_help(const char *path, char **ov, size_t nov, FILE *out, char *err, size_t errlen) {
    script *sc = script_start(path, ov, nov, true, err, errlen);
    if (!sc) return -1;
    lua_State *L = sc->L;
    int t = lua_gettop(L);
    workload wl;
    workload_init(&wl);
    /* the script's own values, where valid, shown as the defaults */
    char ignore[1024];
    script_read_fields(L, t, &wl, true, path, ignore, sizeof ignore);
    /* rows: the field table, then `name` and `legs` (read by this file) */
    size_t n;
    const workload_field *f = workload_fields(&n);
    size_t nrows = n + 2;
    help_row *rows = calloc(nrows, sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        workload_free(&wl);
        script_close(sc);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i] = (help_row){f[i].name, KIND_NAMES[f[i].kind], f[i].help, "", ""};
        workload_field_default(&f[i], rows[i].def, sizeof rows[i].def);
    }
    rows[n] = (help_row){"name", "string", "the run's name in reports", "(file name)", ""};
    rows[n + 1] = (help_row){"legs", "table",
                             "list of tables of fields, each run in turn with the others "
                             "as defaults",
                             "none", ""};
    size_t wname = 5, wdef = 7, wval = 6; /* at least the headers' widths */
    for (size_t i = 0; i < nrows; i++) {
        lua_getfield(L, t, rows[i].name);
        script_value_text(L, -1, rows[i].val, sizeof rows[i].val);
        lua_pop(L, 1);
        wname = strlen(rows[i].name) > wname ? strlen(rows[i].name) : wname;
        wdef = strlen(rows[i].def) > wdef ? strlen(rows[i].def) : wdef;
        wval = strlen(rows[i].val) > wval ? strlen(rows[i].val) : wval;
    }
    fprintf(out,
            "%s: a kengine workload\n\nfields (set in the script, or name=value on the "
            "command line; \"script\" is the script's value, - where it leaves the "
            "default):\n",
            path);
    fprintf(out, "  %-*s  %-7s  %-*s  %-*s  %s\n", (int)wname, "field", "type", (int)wdef,
            "default", (int)wval, "script", "meaning");
    for (size_t i = 0; i < nrows; i++)
        fprintf(out, "  %-*s  %-7s  %-*s  %-*s  %s\n", (int)wname, rows[i].name, rows[i].type,
                (int)wdef, rows[i].def, (int)wval, rows[i].val, rows[i].help);
    free(rows);
    if (sc->nopts) {
        /* by name: kengine.options{...} is a Lua table, in no stable order */
        qsort(sc->opts, sc->nopts, sizeof *sc->opts, option_cmp);
        size_t w = 0;
        for (size_t i = 0; i < sc->nopts; i++)
            if (strlen(sc->opts[i].name) > w) w = strlen(sc->opts[i].name);
        fprintf(out, "\noptions declared by the script (name=value on the command line):\n");
        for (size_t i = 0; i < sc->nopts; i++)
            fprintf(out, "  %-*s  %-7s  %s (default %s)\n", (int)w, sc->opts[i].name,
                    sc->opts[i].type, sc->opts[i].description ? sc->opts[i].description : "",
                    sc->opts[i].value ? sc->opts[i].value : "none");
    } else {
        fprintf(out, "\nthe script declares no options of its own\n");
    }
    fprintf(out, "\nhooks defined:");
    int any = 0;
    for (int i = 0; SCRIPT_HOOKS[i]; i++) {
        lua_getfield(L, t, SCRIPT_HOOKS[i]);
        if (lua_isfunction(L, -1)) {
            fprintf(out, " %s", SCRIPT_HOOKS[i]);
            any = 1;
        }
        lua_pop(L, 1);
    }
    fprintf(out, "%s\n", any ? "" : " none");
    fprintf(out, "\nthe figures a run reports (for thresholds): kengine help figures\n");
    workload_free(&wl);
    script_close(sc);
    return 0;
}
