/*
 * help: `kengine help`, and every help text derived from the table of
 * subcommands (commands.h): the overview (`kengine help`, `kengine
 * --help`), a subcommand's --help, and the reference tables each printed
 * by the layer that owns them (figures.c, workload.c, exitcode.c), as text
 * or as the markdown the docs embed (scripts/gen_docs.sh).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "exitcode.h"
#include "figures.h"
#include "registry.h"
#include "script.h"
#include "workload.h"

#define OPTION_COLUMN 22 /* an option's help starts here, unless its name is longer */

/* A row's usage lines, the first after `lead` ("usage: " or as wide). */
static void print_usage(FILE *out, const char *lead, const char *usage) {
    fputs(lead, out);
    for (const char *u = usage; *u; u++)
        if (*u == '\n')
            fputs("\n       ", out);
        else
            fputc(*u, out);
    fputc('\n', out);
}

void commands_usage(FILE *out, const command *c) { print_usage(out, "usage: ", c->usage); }

/* "  -b, --brokers LIST  help", continuation lines under the help. */
static void print_option(FILE *out, const char *label, const char *help) {
    int n = fprintf(out, "  %s", label);
    if (n > OPTION_COLUMN) {
        fputc('\n', out);
        n = 0;
    }
    fprintf(out, "%*s", OPTION_COLUMN + 2 - n, "");
    for (const char *h = help; *h; h++) {
        fputc(*h, out);
        if (*h == '\n') fprintf(out, "%*s", OPTION_COLUMN + 2, "");
    }
    fputc('\n', out);
}

static void print_options(FILE *out, const command_option *o) {
    for (; o->id; o++) {
        char label[96];
        const char *sp = o->value ? " " : "", *value = o->value ? o->value : "";
        if (o->letter)
            snprintf(label, sizeof label, "-%c, %s%s%s", o->letter, o->name, sp, value);
        else
            snprintf(label, sizeof label, "%s%s%s", o->name, sp, value);
        print_option(out, label, o->help);
    }
    print_option(out, "-h, --help", "this help");
}

void commands_help(FILE *out, const command *c) {
    commands_usage(out, c);
    if (c->doc->about) fprintf(out, "\n%s", c->doc->about);
    fputs("\noptions:\n", out);
    print_options(out, c->doc->options);
    if (c->doc->notes) fprintf(out, "\n%s", c->doc->notes);
}

void commands_overview(FILE *out) {
    size_t n;
    const command *c = commands_list(&n);
    const command *run = commands_run();
    for (size_t i = 0; i < n; i++) print_usage(out, i ? "       " : "usage: ", c[i].usage);
    fprintf(out, "\n%s\nsubcommands:\n", run->doc->about);
    for (size_t i = 0; i < n; i++) fprintf(out, "  %-9s %s\n", c[i].name, c[i].summary);
    fputs("\noptions of a run (before or after the script):\n", out);
    print_options(out, run->doc->options);
    fprintf(out, "\n%s", run->doc->notes);
    fputs(
        "\nkengine SUBCOMMAND --help: a subcommand's options; kengine help WORKLOAD.lua: a\n"
        "workload's fields and options; kengine help figures | fields | exit-codes | metrics:\n"
        "the reference tables.\n\nexit codes:\n",
        out);
    size_t ne;
    const exitcode_info *e = exitcode_list(&ne);
    for (size_t i = 0; i < ne; i++) fprintf(out, "  %-9s %s\n", e[i].codes, e[i].brief);
}

/* ---- kengine help ---- */

enum { OPT_MARKDOWN = 1 };

static const command_option OPTIONS[] = {
    {OPT_MARKDOWN, "--markdown", 0, NULL,
     "a reference table as GitHub markdown (the docs' tables are these)"},
    {0},
};

const command_doc help_doc = {
    .about = "Without a topic, lists the subcommands. With one:\n"
             "  SUBCOMMAND      the subcommand's help (as kengine SUBCOMMAND --help)\n"
             "  WORKLOAD.lua    the workload's fields with the script's values, the options\n"
             "                  it declares and the hooks it defines (name=value overrides\n"
             "                  apply, as on a run)\n"
             "  figures         every figure a run reports: NDJSON keys, threshold metrics\n"
             "  fields          every field of a workload, its type and default\n"
             "  exit-codes      what each exit code means\n"
             "  metrics         the series --metrics and --prometheus-rw export\n",
    .options = OPTIONS,
};

/* A reference table: its name and its two printers. */
typedef struct {
    const char *name;
    void (*text)(FILE *out);
    void (*markdown)(FILE *out);
} reference;

static const reference REFERENCES[] = {
    {"figures", figures_help, figures_markdown},
    {"fields", workload_fields_help, workload_fields_markdown},
    {"exit-codes", exitcode_help, exitcode_markdown},
    {"metrics", export_help, export_markdown},
};

int cmd_help(int argc, char **argv) {
    args a;
    args_init(&a, "help", argc, argv);
    bool markdown = false;
    const char *topic = NULL;
    char **ov = calloc((size_t)argc + 1, sizeof *ov);
    size_t nov = 0;
    if (!ov) return EXITCODE_RUNTIME;
    int rc = -1;
    for (int o; rc < 0 && (o = args_next(&a)) != ARGS_END;) {
        switch (o) {
        case OPT_MARKDOWN: markdown = true; break;
        case ARGS_OPERAND:
            if (!topic)
                topic = a.value;
            else
                ov[nov++] = (char *)a.value;
            break;
        case ARGS_EXIT: rc = a.rc; break;
        }
    }
    const reference *ref = NULL;
    for (size_t i = 0; topic && i < sizeof REFERENCES / sizeof REFERENCES[0]; i++)
        if (!strcmp(topic, REFERENCES[i].name)) ref = &REFERENCES[i];
    const command *sub = topic && !ref ? commands_find(topic) : NULL;
    if (rc >= 0) {
        /* --help answered, or a usage error said */
    } else if (markdown && !ref) {
        rc = args_error(&a, "--markdown is for figures, fields, exit-codes and metrics");
    } else if ((ref || sub) && nov) {
        rc = args_error(&a, "unexpected argument '%s' (one topic)", ov[0]);
    } else if (ref) {
        (markdown ? ref->markdown : ref->text)(stdout);
        rc = EXITCODE_OK;
    } else if (sub) {
        commands_help(stdout, sub);
        rc = EXITCODE_OK;
    } else if (!topic) {
        commands_overview(stdout);
        rc = EXITCODE_OK;
    } else {
        char err[2048];
        rc = EXITCODE_OK;
        if (script_help(topic, ov, nov, stdout, err, sizeof err)) {
            fprintf(stderr, "kengine: %s\n", err);
            rc = EXITCODE_USAGE;
        }
    }
    free(ov);
    if (rc == EXITCODE_OK && fflush(stdout)) rc = EXITCODE_RUNTIME;
    return rc;
}
