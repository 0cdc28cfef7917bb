/*
 * signals: the one flag that SIGINT/SIGTERM set. main installs the
 * handlers; the engine's loop, the Lua instruction hook, `kengine test` and
 * `kengine broker` read the flag to wind down in order. Its own module so
 * that none of them includes the engine for it.
 */
#ifndef KENGINE_SIGNALS_H
#define KENGINE_SIGNALS_H

#include <signal.h>

/* 0, or the number of the first SIGINT/SIGTERM received. */
extern volatile sig_atomic_t signals_caught;

#endif
