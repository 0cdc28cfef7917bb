#!/usr/bin/env bash
# The local launcher (workers=N, no index) and signals (issue 25, item 16):
# SIGTERM to the launcher stops every worker it started, the merged report
# says what was done, the exit code is 143 and no worker is left behind;
# a launcher killed outright (SIGKILL) takes its workers with it. On the
# embedded broker; the waits below bound a hang, they time nothing.
source "$(dirname "$0")/lib.sh"

# workers_of PID: the launcher's worker processes
workers_of() { pgrep -P "$1" || true; }

# wait_for N CMD...: retry CMD for up to N seconds
wait_for() {
  local n=$1 i
  shift
  for ((i = 0; i < n * 10; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}
two_workers() { [ "$(workers_of "$1" | wc -l)" -ge 2 ]; }
# a dead worker may stay a zombie until init reaps it: that one is gone
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${st#Z}" = "$st" ]; }
none_left() { for p in $1; do alive "$p" && return 1; done; return 0; }

# 1. SIGTERM: 143, the merged summary, no worker left
"$KENGINE" lua/seed.lua -q workers=2 records=400000 rate=20000 --json "$TMP/term.json" \
  2>"$TMP/term.err" &
launcher=$!
wait_for 20 two_workers "$launcher" || fail "the workers did not start"
pids=$(workers_of "$launcher")
sleep 3
kill -TERM "$launcher"
set +e
wait_for 90 none_left "$launcher"
wait "$launcher"
rc=$?
set -e
expect_eq "$rc" 143 "exit code of a launcher sent SIGTERM"
none_left "$pids" || fail "workers left running after the launcher's SIGTERM: $pids"
ok "no worker left behind"
# (the workers may still be at their start barrier on a loaded machine:
# then the merged summary says 0 were sent, which is what was done)
sent=$(json_get "$TMP/term.json" summary sent)
[ "$sent" -lt 400000 ] || fail "merged summary: sent $sent, the run was not stopped"
expect_eq "$(json_get "$TMP/term.json" summary lost)" 0 "lost after SIGTERM"
ok "merged summary after SIGTERM: sent $sent"

# 2. SIGKILL: the workers do not outlive their launcher
"$KENGINE" lua/seed.lua -q workers=2 records=400000 rate=20000 2>"$TMP/kill.err" &
launcher=$!
wait_for 20 two_workers "$launcher" || fail "the workers did not start"
pids=$(workers_of "$launcher")
kill -KILL "$launcher"
wait "$launcher" 2>/dev/null || true
wait_for 10 none_left "$pids" || { kill -KILL $pids 2>/dev/null; fail "orphaned workers: $pids"; }
ok "workers gone with their SIGKILLed launcher"
