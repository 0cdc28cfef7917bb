/*
 * signals: the flag itself (see signals.h).
 */
#include "signals.h"

volatile sig_atomic_t signals_caught = 0;
