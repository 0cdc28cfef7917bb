#!/usr/bin/env bash
# A workload that holds its own baseline gate (baseline = "last.ndjson",
# thresholds relative to it) against the real Kafka: a rate-limited run
# fails '>= 0.9 * base' on consume_msgs_per_sec with exit 3 and the limit
# shown as 0.9 times the baseline's figure; a loose factor passes; a
# missing baseline file or a relative condition without a baseline is bad
# input (exit 2, named).
source "$(dirname "$0")/lib.sh"
need_kafka
cd "$TMP"
"$KENGINE" "$ROOT/lua/seed.lua" -b "$BROKERS" topic="$(fresh_topic base)" records=4000 \
  batch_size=200 csv="$ROOT/sample.csv" --json last.ndjson -q || fail "baseline run"
cat >gate.lua <<L
return {
  topic = "$(fresh_topic gate)", csv = "$ROOT/sample.csv", records = 4000, batch_size = 200,
  baseline = "last.ndjson",
  thresholds = { consume_msgs_per_sec = ">= 0.9 * base", lost = "<= base" },
}
L
set +e
"$KENGINE" gate.lua -b "$BROKERS" rate=1000 --json slow.ndjson -q 2>slow.err
rc=$?
set -e
expect_eq "$rc" 3 "a rate-limited run against its baseline: exit"
python3 - last.ndjson slow.ndjson <<'PY' || fail "the relative threshold (above)"
import json, sys
base, new = ([json.loads(l) for l in open(p) if '"summary"' in l][-1] for p in sys.argv[1:3])
th = {t["metric"]: t for t in new["thresholds"]}
t = th["consume_msgs_per_sec"]
limit = 0.9 * base["consume_msgs_per_sec"]
assert t["pass"] is False and abs(t["actual"] - new["consume_msgs_per_sec"]) < 0.1, t
want = ">= 0.9 * base (= %.6g)" % limit
assert t["condition"] == want, (t["condition"], want)
assert th["lost"]["pass"] is True and th["lost"]["condition"] == "<= base (= 0)", th["lost"]
print("ok:", t["metric"], t["condition"], "actual", t["actual"], "FAIL")
PY
grep -q "^kengine: threshold 'consume_msgs_per_sec >= 0.9 \* base (= " slow.err ||
  fail "the failed relative threshold is not named: $(cat slow.err)"

sed -i 's/">= 0.9 \* base"/">= 0.001 * base"/' gate.lua
"$KENGINE" gate.lua -b "$BROKERS" rate=1000 -q || fail "a loose factor: exit $?"
ok "a factor of 0.001 passes the same run"

set +e
"$KENGINE" gate.lua -b "$BROKERS" baseline=nosuch.ndjson -q 2>missing.err
rc=$?
set -e
expect_eq "$rc" 2 "a missing baseline: exit"
grep -q "^kengine: baseline: nosuch.ndjson: cannot open: No such file or directory$" missing.err ||
  fail "missing baseline: $(cat missing.err)"
set +e
"$KENGINE" gate.lua -b "$BROKERS" baseline= -q 2>none.err
rc=$?
set -e
expect_eq "$rc" 2 "a relative threshold without a baseline: exit"
grep -q "is relative to a baseline: set the field 'baseline'" none.err ||
  fail "no baseline: $(cat none.err)"
