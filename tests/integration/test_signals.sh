#!/usr/bin/env bash
# SIGINT and SIGTERM on the real Kafka: sending stops, what is in flight is
# flushed, the summary of what was really delivered and consumed is
# written, and the exit code is 130 / 143, within seconds. A second SIGINT
# aborts at once.
source "$(dirname "$0")/lib.sh"
need_kafka

run_and_signal() { # SIGNAL EXPECTED_CODE
  local sig=$1 want=$2 json="$TMP/$1.json"
  "$KENGINE" lua/seed.lua -q --json "$json" -b "$BROKERS" topic="$(fresh_topic "sig$1")" \
    records=50000000 rate=20000 batch_size=10000 2>"$TMP/$1.err" &
  local pid=$!
  sleep 3
  local t0=$(date +%s)
  kill -"$sig" "$pid"
  set +e
  wait "$pid"
  local rc=$?
  set -e
  local took=$(( $(date +%s) - t0 ))
  expect_eq "$rc" "$want" "exit code after SIG$sig"
  [ "$took" -le 20 ] || fail "SIG$sig: took $took s to stop"
  grep -q '"type":"summary"' "$json" || fail "SIG$sig: no summary written"
  python3 - "$json" <<'PY' || fail "SIG$sig: summary figures"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
assert 0 < s["delivered"] < 50000000, s["delivered"]
assert s["consumed"] <= s["delivered"] + s["duplicates"], s
assert s["lost"] == 0, s  # stopped early: what was missed is unconsumed, not lost
assert s["consumed"] + s["unconsumed"] >= s["delivered"], s
print(f"ok: delivered {s['delivered']}, consumed {s['consumed']}, unconsumed {s['unconsumed']}")
PY
  grep -q "stopping, flushing what is in flight" "$TMP/$1.err" || fail "SIG$sig: no note on stderr"
}
run_and_signal INT 130
run_and_signal TERM 143

# a second SIGINT aborts at once, even while the first one's orderly stop
# is held up: here by a hook that swallows the interruption (pcall) and
# loops on
cat >"$TMP/stubborn.lua" <<'L'
return { csv = "sample.csv", records = 100000, batch_size = 1000,
  on_batch = function()
    while true do pcall(function() while true do end end) end
  end }
L
"$KENGINE" "$TMP/stubborn.lua" -q -b "$BROKERS" topic="$(fresh_topic sig2)" 2>/dev/null &
pid=$!
sleep 3
kill -INT "$pid"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "the stubborn run ended before the second SIGINT"
t0=$(date +%s)
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" 130 "exit code after a second SIGINT"
[ $(( $(date +%s) - t0 )) -le 2 ] || fail "the second SIGINT did not abort at once"
ok "second SIGINT aborts at once"

# a hook stuck in a Lua loop still yields to the first SIGINT
cat >"$TMP/loop.lua" <<'L'
return { csv = "sample.csv", records = 100000, batch_size = 1000,
  on_batch = function() while true do end end }
L
"$KENGINE" "$TMP/loop.lua" -q -b "$BROKERS" topic="$(fresh_topic sig3)" 2>"$TMP/loop.err" &
pid=$!
sleep 3
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" 130 "exit code after SIGINT during a looping hook"
grep -q "interrupted by signal 2" "$TMP/loop.err" || fail "no note that the hook was interrupted"
