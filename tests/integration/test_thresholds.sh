#!/usr/bin/env bash
# Thresholds, script options and `kengine help` on the real Kafka: a
# threshold that cannot hold exits 3 naming the threshold and by how much;
# an abort threshold stops the run early; an unknown metric is an error at
# start-up; options are validated and listed.
source "$(dirname "$0")/lib.sh"
need_kafka
cat >"$TMP/impossible.lua" <<'L'
return { csv = "sample.csv", records = 3000, batch_size = 1000,
  thresholds = { consume_msgs_per_sec = ">= 1e12", lost = "== 0" } }
L
set +e
"$KENGINE" "$TMP/impossible.lua" -b "$BROKERS" topic="$(fresh_topic th)" \
  --json "$TMP/o.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 3 "exit code of a failed threshold"
grep -q "threshold 'consume_msgs_per_sec >= 1e12' failed: actual [0-9.e+]*, off by" "$TMP/err" ||
  { cat "$TMP/err"; fail "stderr does not say which threshold failed and by how much"; }
grep -q "threshold lost == 0: actual 0, pass" "$TMP/out" || fail "text lists passing thresholds"
python3 - "$TMP/o.json" <<'PY' || fail "NDJSON thresholds"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
t = {x["metric"]: x for x in s["thresholds"]}
assert t["lost"]["pass"] is True and t["lost"]["actual"] == 0
assert t["consume_msgs_per_sec"]["pass"] is False and t["consume_msgs_per_sec"]["actual"] > 0
# the summary carries the figure the threshold judged, derived from the
# others (seconds are printed to 1 us, rates to 0.1 msgs/s or 0.001 MB/s)
def near(a, b, secs, unit):
    return abs(a - b) <= unit + b * 2e-6 / secs
cs, ps = s["consume_seconds"], s["produce_seconds"]
r = s["consume_msgs_per_sec"]
assert near(r, t["consume_msgs_per_sec"]["actual"], cs, 0.05), (r, t)
assert near(r, s["consumed"] / cs, cs, 0.05), s
b = [json.loads(l) for l in open(sys.argv[1]) if '"consume_batch"' in l]
assert s["bytes"] == sum(x["bytes"] for x in b) > 0, s
assert near(s["consume_mb_per_sec"], s["bytes"] / 1048576 / cs, cs, 0.0005), s
assert near(s["produce_msgs_per_sec"], s["delivered"] / ps, ps, 0.05), s
PY
ok "failed threshold: exit 3, named, with its actual value"

cat >"$TMP/abort.lua" <<'L'
return { csv = "sample.csv", records = 200000, batch_size = 1000,
  thresholds = { ["consume_batch.msgs_per_sec"] = { ">= 1e12", abort = true } } }
L
set +e
"$KENGINE" "$TMP/abort.lua" -q -b "$BROKERS" topic="$(fresh_topic ab)" --json "$TMP/a.json" 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 3 "exit code of an aborting threshold"
grep -q "stopping the run" "$TMP/err" || fail "no note that the run stopped"
c=$(json_get "$TMP/a.json" summary consumed)
[ "$c" -lt 200000 ] || fail "the run was not stopped early (consumed $c)"
ok "abort threshold stopped the run after $c messages"

cat >"$TMP/typo.lua" <<'L'
return { thresholds = { lostt = "== 0" } }
L
set +e; "$KENGINE" "$TMP/typo.lua" 2>"$TMP/err"; rc=$?; set -e
expect_eq "$rc" 2 "exit code of an unknown metric"
grep -q "threshold 'lostt': no such metric" "$TMP/err" || fail "unknown metric message"
printf 'return { thresholds = { lost = "about 0" } }\n' >"$TMP/cond.lua"
set +e; "$KENGINE" "$TMP/cond.lua" 2>"$TMP/err"; rc=$?; set -e
expect_eq "$rc" 2 "exit code of a bad condition"

cat >"$TMP/opts.lua" <<'L'
local o = kengine.options{
  size = { default = 100, type = "integer", description = "records to send",
           validate = function(v) return v <= 1000, "at most 1000" end },
  label = { default = "x", description = "a label" },
}
return { csv = "sample.csv", records = o.size, batch_size = 50,
  on_done = function(s) print("SENT " .. s.delivered .. " " .. o.label) end }
L
out=$("$KENGINE" "$TMP/opts.lua" -q -b "$BROKERS" topic="$(fresh_topic op)" size=200 label=hello)
echo "$out" | grep -q "SENT 200 hello" || fail "options not applied: $out"
set +e; "$KENGINE" "$TMP/opts.lua" size=5000 2>"$TMP/err"; rc=$?; set -e
expect_eq "$rc" 2 "exit code of an option its validator rejects"
grep -q "opts.lua:1: option 'size': at most 1000" "$TMP/err" || { cat "$TMP/err"; fail "validator message"; }
set +e; "$KENGINE" "$TMP/opts.lua" size=many 2>"$TMP/err"; rc=$?; set -e
expect_eq "$rc" 2 "exit code of a mistyped option"
"$KENGINE" help "$TMP/opts.lua" >"$TMP/help"
grep -q "size .*integer .*records to send (default 100)" "$TMP/help" || fail "help lists options"
grep -q "records .*integer" "$TMP/help" || fail "help lists built-in fields"
ok "options and help"
