/*
 * broker_cli: `kengine broker`, the embedded broker run standalone for other
 * clients, optionally with several brokers and a schedule of faults.
 */
#ifndef KENGINE_BROKER_CLI_H
#define KENGINE_BROKER_CLI_H

/* argv[0] is "broker". Runs until SIGINT/SIGTERM (engine_signal, set by
 * main's handlers). Returns the exit code: 0, 1 runtime, 2 usage. */
int broker_cli_main(int argc, char **argv);

#endif
