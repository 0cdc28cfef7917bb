/*
 * commands: the subcommands' entry points (argv[0] is the subcommand's
 * name). Each returns the process's exit code (exitcode.h).
 */
#ifndef KENGINE_CLI_COMMANDS_H
#define KENGINE_CLI_COMMANDS_H

/* `kengine words`: word metrics of a file's lines. */
int cmd_words(int argc, char **argv);
/* `kengine test`: a suite of scenarios, each its own process. */
int cmd_test(int argc, char **argv);
/* `kengine broker`: the embedded broker standalone, until SIGINT/SIGTERM. */
int cmd_broker(int argc, char **argv);
/* `kengine report RUN_ID`: the merged result of a shared run. */
int cmd_report(int argc, char **argv);

#endif
