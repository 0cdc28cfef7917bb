/*
 * commands: the one table of kengine's subcommands (commands.c). A row
 * declares a subcommand: its name, a one-line summary, its usage line(s)
 * and its entry point, with its options and help text (kept beside the
 * code that reads them, in the subcommand's file). main dispatches through
 * the table; `kengine help` lists it; args.c parses every subcommand's
 * command line from its row and prints its --help. Adding a subcommand is
 * a file and a row.
 *
 * An entry point takes the subcommand's arguments (argv[0] is its name; for
 * the bare `kengine WORKLOAD.lua`, the program's) and returns the process's
 * exit code (exitcode.h).
 */
#ifndef KENGINE_CLI_COMMANDS_H
#define KENGINE_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* An option of a subcommand. --help and -h are every subcommand's and not
 * listed. A value is given as --name VALUE or --name=VALUE (-x VALUE for a
 * one-letter form). */
typedef struct {
    int id;            /* what args_next returns for it (> 0) */
    const char *name;  /* "--json" */
    char letter;       /* 'b' for -b, or 0 */
    const char *value; /* the value's name in help ("FILE"), NULL for a flag */
    const char *help;  /* for --help; '\n' continues it on the next line */
} command_option;

/* What --help says of a subcommand beyond its row. */
typedef struct {
    const char *about;             /* what it does (paragraphs), or NULL */
    const command_option *options; /* ended by {0} */
    const char *notes;             /* after the options, or NULL */
} command_doc;

typedef struct {
    const char *name;    /* `kengine NAME` */
    const char *summary; /* one line for `kengine help` */
    const char *usage;   /* after "usage: ": the line(s), '\n' between */
    int (*main)(int argc, char **argv);
    bool signals;           /* SIGINT/SIGTERM stop it gracefully (signals.h) */
    const command_doc *doc; /* options and help text */
} command;

/* The table, in the order `kengine help` lists it. */
const command *commands_list(size_t *n);
/* The subcommand `name`, or NULL. */
const command *commands_find(const char *name);
/* The subcommand that runs a workload: also `kengine WORKLOAD.lua`. */
const command *commands_run(void);

/* "usage: " and a subcommand's usage line(s). */
void commands_usage(FILE *out, const command *c);
/* A subcommand's --help: usage, about, options, notes. */
void commands_help(FILE *out, const command *c);
/* `kengine help`, `kengine --help`: every usage line, what kengine does,
 * the subcommands with their summaries, a run's options, the exit codes. */
void commands_overview(FILE *out);

/* The entry points and their docs, one file each. */
int cmd_run(int argc, char **argv);     /* run.c: a workload */
int cmd_test(int argc, char **argv);    /* test.c: a suite of scenarios */
int cmd_compare(int argc, char **argv); /* compare.c: two runs' NDJSON */
int cmd_report(int argc, char **argv);  /* report.c: a shared run's result */
int cmd_broker(int argc, char **argv);  /* broker.c: the embedded broker */
int cmd_words(int argc, char **argv);   /* words.c: word metrics of lines */
int cmd_help(int argc, char **argv);    /* help.c: help and reference tables */
extern const command_doc run_doc, test_doc, compare_doc, report_doc, broker_doc, words_doc,
    help_doc;

#endif
