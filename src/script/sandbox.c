/*
 * sandbox: what a workload script gets of Lua's standard library.
 * Everything, except what would let a script end the process, end the run
 * behind kengine's back, or write into kengine's own output:
 *
 *   os.exit, os.execute, io.popen   raise an error naming the function: a
 *                                    script stops a run with error(), and
 *                                    kengine writes the summary and decides
 *                                    the exit code
 *   debug                            only traceback and getinfo (sethook
 *                                    would silence SIGINT; getregistry and
 *                                    the set* functions reach kengine's state)
 *   package.loadlib, C modules       unavailable (C code may call exit());
 *                                    require finds Lua modules as usual
 *   print, io.write, io.stdout       the script's output stream: stdout, or
 *                                    stderr when NDJSON takes stdout
 *                                    (--json -), so a script's text never
 *                                    lands inside the NDJSON
 *   io.open, io.output               refuse to open kengine's standard
 *                                    output again (/dev/stdout, /proc/self/fd/1)
 *
 * Standard files cannot be closed (Lua's io already refuses). A script's
 * human output shares the stream of kengine's human text on purpose: a
 * `reporter` replaces the built-in text reporter and prints in its place.
 */
#include "internal.h"

#include <string.h>
#include <sys/stat.h>

static FILE *script_out = NULL; /* NULL: stdout */

void script_set_output(FILE *out) { script_out = out; }

static FILE *out_stream(void) { return script_out ? script_out : stdout; }

/* Raises "NAME is not available to workload scripts ...". */
static int unavailable(lua_State *L) {
    return luaL_error(L,
                      "%s is not available to workload scripts (stop a run with "
                      "error(); kengine writes the summary and sets the exit code)",
                      lua_tostring(L, lua_upvalueindex(1)));
}

static void deny(lua_State *L, const char *lib, const char *name) {
    lua_getglobal(L, lib);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_pushfstring(L, "%s.%s", lib, name);
    lua_pushcclosure(L, unavailable, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

/* print(...), as Lua's, into the script's output stream. */
static int l_print(lua_State *L) {
    FILE *out = out_stream();
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) fputc('\t', out);
        fwrite(s, 1, len, out);
        lua_pop(L, 1);
    }
    fputc('\n', out);
    fflush(out);
    return 0;
}

static int noclose(lua_State *L) {
    luaL_Stream *p = luaL_checkudata(L, 1, LUA_FILEHANDLE);
    p->closef = &noclose;
    luaL_pushfail(L);
    lua_pushliteral(L, "cannot close standard file");
    return 2;
}

/* Does `path` name kengine's standard output (a pipe or a file; a
 * terminal or /dev/null is no output of ours to protect)? Checked before
 * opening: opening it for writing would already truncate it. */
static bool is_our_stdout(const char *path) {
    struct stat a, b;
    if (stat(path, &a) || fstat(fileno(stdout), &b)) return false;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && !S_ISCHR(a.st_mode);
}

/* io.open / io.output wrapped: a name that is kengine's own stdout is
 * refused, anything else goes to the original (upvalue 1). */
static int guarded_open(lua_State *L) {
    if (lua_type(L, 1) == LUA_TSTRING && is_our_stdout(lua_tostring(L, 1)))
        return luaL_error(L,
                          "%s: kengine's standard output is not for scripts (print and "
                          "io.write go to the script's output)",
                          lua_tostring(L, lua_upvalueindex(2)));
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static void guard(lua_State *L, const char *name) {
    lua_getglobal(L, "io");
    lua_getfield(L, -1, name);
    lua_pushfstring(L, "io.%s", name);
    lua_pushcclosure(L, guarded_open, 2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

void script_sandbox_open(lua_State *L) {
    deny(L, "os", "exit");
    deny(L, "os", "execute");
    deny(L, "io", "popen");
    deny(L, "package", "loadlib");

    /* debug: traceback and getinfo only */
    lua_getglobal(L, "debug");
    lua_createtable(L, 0, 2);
    lua_getfield(L, -2, "traceback");
    lua_setfield(L, -2, "traceback");
    lua_getfield(L, -2, "getinfo");
    lua_setfield(L, -2, "getinfo");
    lua_setglobal(L, "debug");
    lua_pop(L, 1);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getglobal(L, "debug");
    lua_setfield(L, -2, "debug");
    lua_pop(L, 1);

    /* require: the preload and Lua searchers only */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    for (lua_Integer i = luaL_len(L, -1); i > 2; i--) {
        lua_pushnil(L);
        lua_rawseti(L, -2, i);
    }
    lua_pop(L, 1);
    lua_pushliteral(L, "");
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);

    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");

    /* io.stdout and the default output: the script's stream */
    lua_getglobal(L, "io");
    if (out_stream() != stdout) {
        luaL_Stream *p = lua_newuserdatauv(L, sizeof *p, 0);
        p->f = out_stream();
        p->closef = &noclose;
        luaL_setmetatable(L, LUA_FILEHANDLE);
        lua_setfield(L, -2, "stdout");
    }
    lua_getfield(L, -1, "output");
    lua_getfield(L, -2, "stdout");
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    guard(L, "open");
    guard(L, "output");
}
