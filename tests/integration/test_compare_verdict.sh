#!/usr/bin/env bash
# kengine compare's verdict (issue 25, item 9), on small runs of the embedded
# broker: a verdict line always, also when nothing regressed; a warning when
# the runs are of different workloads or record counts; phases compared
# figure by figure.
source "$(dirname "$0")/lib.sh"
cat >"$TMP/ph.lua" <<'L'
return { csv = "sample.csv", batch_size = 200,
  phases = { { name = "warm", records = 1000 }, { name = "main", records = 1000 } } }
L
run() { # run NAME SCRIPT [name=value...]
  local name=$1 script=$2; shift 2
  env -u KENGINE_BROKERS "$KENGINE" "$script" -q --json "$TMP/$name.ndjson" "$@" ||
    fail "run $name failed"
}
run a "$TMP/ph.lua"
run b lua/seed.lua records=3000 batch_size=200

"$KENGINE" compare "$TMP/a.ndjson" "$TMP/a.ndjson" >"$TMP/self.out" 2>"$TMP/self.err" ||
  fail "compare with itself: exit $?"
tail -n 1 "$TMP/self.out" | grep -Eq '^kengine compare: no regression: [0-9]+ figures compared' ||
  fail "no verdict line: $(tail -n 3 "$TMP/self.out")"
[ ! -s "$TMP/self.err" ] || fail "warnings for one run against itself: $(cat "$TMP/self.err")"
ok "$(tail -n 1 "$TMP/self.out")"
grep -Eq '^warm\.msgs_per_sec ' "$TMP/self.out" || fail "phase warm not compared"
grep -Eq '^main\.latency_ms\.p99 ' "$TMP/self.out" || fail "phase main not compared"
ok "phases compared"

set +e
"$KENGINE" compare "$TMP/a.ndjson" "$TMP/b.ndjson" >"$TMP/ab.out" 2>"$TMP/ab.err"
set -e
grep -q "^kengine compare: warning: different workloads ('ph.lua' and 'seed.lua')" "$TMP/ab.err" ||
  fail "no warning about the workloads: $(cat "$TMP/ab.err")"
grep -q "^kengine compare: warning: different record counts (2000 and 3000)" "$TMP/ab.err" ||
  fail "no warning about the records: $(cat "$TMP/ab.err")"
tail -n 1 "$TMP/ab.out" | grep -Eq '^kengine compare: (no regression|[0-9]+ regressions?)' ||
  fail "no verdict line: $(tail -n 3 "$TMP/ab.out")"
ok "different workloads and record counts warned"
