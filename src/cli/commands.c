/*
 * commands: the table of subcommands (see commands.h). One row per
 * subcommand; its options and longer help live in its own file (run.c,
 * test.c, ...) beside the code that reads them.
 */
#include "commands.h"

#include <string.h>

static const command COMMANDS[] = {
    {"run", "run a workload (the same as the bare kengine WORKLOAD.lua)",
     "kengine [run] [options] WORKLOAD.lua [name=value ...]", cmd_run, true, &run_doc},
    {"test", "run every scenario (*.lua) under PATH as its own run; JUnit XML on request",
     "kengine test [--junit FILE] [--timeout SECONDS] [name=value ...] PATH...", cmd_test, true,
     &test_doc},
    {"compare", "two runs' NDJSON side by side: each figure's change, and whether it is noise",
     "kengine compare [--max-regression PCT] [--json FILE] BASE NEW", cmd_compare, false,
     &compare_doc},
    {"report", "the merged result of a run shared by workers (workers=N)",
     "kengine report RUN_ID [-b LIST] [--results TOPIC] [--wait SECONDS] [--json FILE] "
     "[--html FILE] [-q]",
     cmd_report, true, &report_doc},
    {"broker", "the embedded broker on its own, with faults on a schedule",
     "kengine broker [--brokers N] [--topic NAME[:PARTITIONS]]... [--fault SPEC]...",
     cmd_broker, true, &broker_doc},
    {"words", "word counts and distinct words of a file's lines, per batch and in total",
     "kengine words [--batch N] [--json] [FILE|-]", cmd_words, false, &words_doc},
    {"help", "this list, a subcommand's or a workload's help, the reference tables",
     "kengine help [SUBCOMMAND | WORKLOAD.lua [name=value ...]]\n"
     "kengine help figures | fields | exit-codes | metrics [--markdown]",
     cmd_help, false, &help_doc},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

const command *commands_list(size_t *n) {
    *n = NCOMMANDS;
    return COMMANDS;
}

const command *commands_find(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(COMMANDS[i].name, name)) return &COMMANDS[i];
    return NULL;
}

const command *commands_run(void) { return commands_find("run"); }
