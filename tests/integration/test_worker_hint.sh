#!/usr/bin/env bash
# The hint a worker of a shared run prints when it is done (issue 25, item 7)
# works as printed: two workers on the real Kafka, then the command worker 0
# names, run word for word from another directory, merges the run. Workers
# that the local launcher started print none (the launcher prints the merged
# report itself, and on the embedded broker the run is gone with it).
source "$(dirname "$0")/lib.sh"
need_kafka
results=$(fresh_topic hres)
topic=$(fresh_topic hint)
run=hint_$$
pids=()
for i in 0 1; do
  KENGINE_WORKER=$i KENGINE_RUN_ID=$run "$KENGINE" lua/seed.lua -b "$BROKERS" topic="$topic" \
    results="$results" records=2000 batch_size=500 partitions=2 workers=2 \
    >"$TMP/w$i.out" 2>"$TMP/w$i.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { cat "$TMP"/w*.err; fail "a worker failed"; }; done
hint=$(sed -n 's/.*merge the run with: //p' "$TMP/w0.err")
[ -n "$hint" ] || { cat "$TMP/w0.err"; fail "no hint"; }
case $hint in "kengine report $run -b $BROKERS --results $results") ;;
  *) fail "hint lacks -b or --results: $hint" ;; esac
ok "hint: $hint"
# as printed, but with this build's binary and a JSON file to check
(cd "$TMP" && env -u KENGINE_BROKERS "$KENGINE" ${hint#kengine } --json "$TMP/m.json" -q) ||
  fail "the hint's command failed: exit $?"
expect_whole "$TMP/m.json" 2000 "the run merged by the hint's command"

env -u KENGINE_BROKERS "$KENGINE" lua/seed.lua records=2000 batch_size=500 workers=2 \
  --json "$TMP/l.json" >"$TMP/l.out" 2>"$TMP/l.err" || { cat "$TMP/l.err"; fail "launcher: exit $?"; }
if grep -q "kengine report" "$TMP/l.err"; then
  cat "$TMP/l.err"
  fail "launched workers point to kengine report although the launcher merged the run"
fi
expect_whole "$TMP/l.json" 2000 "launched workers"
ok "launched workers print no hint"
