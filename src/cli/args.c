/*
 * args: the shared command-line parser, see args.h. It knows a
 * subcommand's options from its row of the table (commands.h), so the
 * spellings, the errors and --help are the same for every subcommand.
 */
#include "args.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "suggest.h"
#include "workload.h"

void args_init(args *a, const char *name, int argc, char **argv) {
    memset(a, 0, sizeof *a);
    a->cmd = commands_find(name);
    assert(a->cmd); /* a subcommand parses as a row of the table */
    a->bare = argc < 1 || strcmp(argv[0], name) != 0;
    snprintf(a->prog, sizeof a->prog, "kengine%s%s", a->bare ? "" : " ", a->bare ? "" : name);
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
}

int args_error(args *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", a->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return a->rc = EXITCODE_USAGE;
}

int args_usage(args *a) {
    if (a->bare) {
        commands_overview(stderr);
    } else {
        commands_usage(stderr, a->cmd);
        fprintf(stderr, "(try %s --help)\n", a->prog);
    }
    return a->rc = EXITCODE_USAGE;
}

/* The option `s` names (up to len bytes of it), or NULL. */
static const command_option *find(const command_option *o, const char *s, size_t len) {
    for (; o && o->id; o++) {
        if (strlen(o->name) == len && !strncmp(s, o->name, len)) return o;
        if (o->letter && len == 2 && s[0] == '-' && s[1] == o->letter) return o;
    }
    return NULL;
}

/* The unknown option's message, with the nearest option if one is near. */
static int unknown(args *a, const char *s, size_t len) {
    const char *names[64];
    size_t n = 0;
    for (const command_option *o = a->cmd->doc->options; o->id && n < 63; o++)
        names[n++] = o->name;
    names[n++] = "--help";
    char word[128];
    snprintf(word, sizeof word, "%.*s", (int)len, s);
    /* `--records 1000` on a run: the workload field it names, as name=value */
    if ((a->bare || !strcmp(a->cmd->name, "run")) && !strncmp(word, "--", 2) &&
        workload_field_find(word + 2)) {
        const char *v = s[len] == '=' ? s + len + 1 : NULL;
        if (!v && a->i < a->argc && a->argv[a->i][0] != '-' && !strchr(a->argv[a->i], '='))
            v = a->argv[a->i];
        return args_error(a, "unknown option '%s' (workload fields are name=value: %s=%s)",
                          word, word + 2, v ? v : "VALUE");
    }
    const char *near = suggest_nearest(word, names, n);
    if (near)
        return args_error(a, "unknown option '%s' (did you mean '%s'? try %s --help)", word,
                          near, a->prog);
    return args_error(a, "unknown option '%s' (try %s --help)", word, a->prog);
}

int args_next(args *a) {
    while (a->i < a->argc) {
        const char *s = a->argv[a->i++];
        a->opt = NULL;
        a->value = s;
        if (a->operands_only || s[0] != '-' || s[1] == '\0') return ARGS_OPERAND;
        if (!strcmp(s, "--")) {
            a->operands_only = true;
            continue;
        }
        a->opt = s;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            if (a->bare)
                commands_overview(stdout);
            else
                commands_help(stdout, a->cmd);
            a->rc = fflush(stdout) ? EXITCODE_RUNTIME : EXITCODE_OK;
            return ARGS_EXIT;
        }
        const char *eq = s[1] == '-' ? strchr(s, '=') : NULL;
        size_t len = eq ? (size_t)(eq - s) : strlen(s);
        const command_option *o = find(a->cmd->doc->options, s, len);
        if (!o) {
            unknown(a, s, len);
            return ARGS_EXIT;
        }
        a->value = NULL;
        if (o->value && eq) {
            a->value = eq + 1;
        } else if (o->value) {
            if (a->i >= a->argc) {
                args_error(a, "%s needs a value", s);
                return ARGS_EXIT;
            }
            a->value = a->argv[a->i++];
        } else if (eq) {
            args_error(a, "%.*s takes no value", (int)len, s);
            return ARGS_EXIT;
        }
        return o->id;
    }
    a->opt = a->value = NULL;
    return ARGS_END;
}
