/*
 * broker_cli: `kengine broker`, the embedded broker run standalone for other
 * clients, optionally with several brokers and a schedule of faults.
 */
#ifndef KENGINE_BROKER_CLI_H
#define KENGINE_BROKER_CLI_H

/* argv[0] is "broker". Runs until SIGINT/SIGTERM (signals_caught, set by
 * main's handlers). Returns the exit code: EXITCODE_OK, _RUNTIME or _USAGE. */
int broker_cli_main(int argc, char **argv);

#endif
