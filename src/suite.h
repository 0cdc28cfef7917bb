/*
 * suite: `kengine test [--junit FILE] [--timeout S] [name=value ...] PATH...`
 * runs every scenario (*.lua) under the given files and folders, each as
 * its own kengine process (a crash or hang in one cannot take the suite
 * down), prints one line per scenario and finally "N passed, N failed".
 */
#ifndef KENGINE_SUITE_H
#define KENGINE_SUITE_H

/* argv[0] is "test". Returns the exit code: 0 all passed, 1 some failed,
 * 2 bad usage. */
int suite_main(int argc, char **argv);

#endif
