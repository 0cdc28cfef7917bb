/*
 * args: the one command-line parser of every subcommand, driven by the
 * subcommand's options in the table (commands.h). Each subcommand loops on
 * args_next and switches on what it returns, so every one of them takes
 * options the same way (--name VALUE, --name=VALUE, -x VALUE, -- ends the
 * options, options and operands in any order) and says the same things:
 *
 *   kengine SUB: unknown option '--x' (try kengine SUB --help)   exit 2
 *   kengine SUB: --json needs a value                            exit 2
 *   kengine SUB --help, -h: its help on stdout                   exit 0
 *
 * (the bare `kengine WORKLOAD.lua` says "kengine:", and its --help is the
 * overview of every subcommand).
 */
#ifndef KENGINE_CLI_ARGS_H
#define KENGINE_CLI_ARGS_H

#include <stdbool.h>

#include "commands.h"

/* What args_next returns besides an option's id. */
enum {
    ARGS_END = 0,      /* no arguments left */
    ARGS_OPERAND = -1, /* an operand, in a->value */
    ARGS_EXIT = -2,    /* --help answered, or a usage error said: return a->rc */
};

typedef struct {
    const command *cmd;
    char prog[64]; /* "kengine words", or "kengine" for the bare run */
    bool bare;     /* `kengine WORKLOAD.lua` (no subcommand named) */
    int argc;
    char **argv;
    int i;              /* the next argument */
    bool operands_only; /* after "--" */
    const char *opt;    /* the last option as written ("-b", "--json") */
    const char *value;  /* its value, or the operand */
    int rc;             /* with ARGS_EXIT: the exit code */
} args;

/* Starts parsing the arguments of subcommand `name` (a row of the table):
 * argv[0] is its name, or the program's for the bare run. */
void args_init(args *a, const char *name, int argc, char **argv);
/* The next argument: an option's id (its value, if it takes one, in
 * a->value), ARGS_OPERAND, ARGS_END, or ARGS_EXIT (--help printed, or an
 * error said on stderr; a->rc is the exit code). */
int args_next(args *a);
/* Says "PROG: MESSAGE" on stderr; returns EXITCODE_USAGE (a->rc too). */
int args_error(args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* No or too few operands: the usage lines on stderr and where to read
 * more; returns EXITCODE_USAGE (the bare run: the overview). */
int args_usage(args *a);

#endif
