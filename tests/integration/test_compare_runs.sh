#!/usr/bin/env bash
# kengine compare on real runs against the real Kafka: a run against itself
# (and a copy of it) passes with exit 0; against a deliberately rate-limited
# run it fails with exit 3 naming the throughput figures; the limit, the
# JSON output (figures equal to the NDJSON summaries) and bad input
# (exit 2 naming the file and line).
source "$(dirname "$0")/lib.sh"
need_kafka

run() { # run NAME [name=value...]: a seed run of 20 batches into $TMP/NAME.ndjson
  local name=$1; shift
  "$KENGINE" lua/seed.lua -b "$BROKERS" topic="$(fresh_topic "cmp_$name")" records=4000 \
    batch_size=200 --json "$TMP/$name.ndjson" -q "$@" || fail "run $name failed"
}
run base
run slow rate=1000

set +e
"$KENGINE" compare "$TMP/base.ndjson" "$TMP/base.ndjson" >"$TMP/self.out" 2>"$TMP/self.err"
rc=$?
set -e
expect_eq "$rc" 0 "compare a run with itself: exit"
grep -Eq '^produce_msgs_per_sec \(msgs/s\) .* 1\.0000  same' "$TMP/self.out" ||
  fail "no p = 1 for itself: $(cat "$TMP/self.out")"
cp "$TMP/base.ndjson" "$TMP/copy.ndjson"
"$KENGINE" compare "$TMP/base.ndjson" "$TMP/copy.ndjson" >/dev/null || fail "copy: exit $?"
ok "a copy of the run passes"

set +e
"$KENGINE" compare --json "$TMP/cmp.json" "$TMP/base.ndjson" "$TMP/slow.ndjson" \
  >"$TMP/slow.out" 2>"$TMP/slow.err"
rc=$?
set -e
cat "$TMP/slow.out" "$TMP/slow.err"
expect_eq "$rc" 3 "compare with a rate-limited run: exit"
grep -q "^kengine compare: regression: consume_msgs_per_sec fell" "$TMP/slow.err" ||
  fail "the consume rate is not named: $(cat "$TMP/slow.err")"
grep -q "^kengine compare: regression: produce_msgs_per_sec fell" "$TMP/slow.err" ||
  fail "the produce rate is not named: $(cat "$TMP/slow.err")"
grep -Eq '^consume_msgs_per_sec .*<0\.0001  REGRESSION \(20 vs 20 batches\)' "$TMP/slow.out" ||
  fail "no significant consume regression in the table"

# the JSON comparison: figures are the NDJSON summaries' own numbers
python3 - "$TMP/cmp.json" "$TMP/base.ndjson" "$TMP/slow.ndjson" <<'PY' || fail "compare JSON"
import json, sys
cmp = json.load(open(sys.argv[1]))
summ = [[json.loads(l) for l in open(p) if '"summary"' in l][-1] for p in sys.argv[2:4]]
assert cmp["regression"] is True, cmp
figs = {f["figure"]: f for f in cmp["runs"][0]["figures"]}
for key, path in (("latency_ms.p99", ("latency_ms", "p99")), ("lost", ("lost",)),
                  ("peak_rss_mb", ("peak_rss_mb",))):
    for side, s in (("base", summ[0]), ("new", summ[1])):
        want = s
        for k in path: want = want[k]
        assert abs(figs[key][side] - want) < 1e-9, (key, side, figs[key][side], want)
for key in ("consume_msgs_per_sec", "produce_msgs_per_sec"):
    assert abs(figs[key]["new"] - summ[1][key]) < 1e-9, (key, figs[key], summ[1][key])
assert figs["consume_msgs_per_sec"]["verdict"] == "regression"
assert figs["consume_msgs_per_sec"]["p_value"] < 0.05
assert figs["lost"]["p_value"] is None and figs["lost"]["verdict"] == "-"
print("ok: compare JSON figures equal the summaries")
PY

# a fall can not exceed 100%: with that limit no throughput figure is named
# (latency may still rise beyond it); with a limit of a million percent
# nothing is a regression
set +e
"$KENGINE" compare --max-regression 100 "$TMP/base.ndjson" "$TMP/slow.ndjson" >/dev/null \
  2>"$TMP/lim.err"
set -e
if grep "msgs_per_sec\|mb_per_sec" "$TMP/lim.err"; then fail "--max-regression 100 named a rate"; fi
"$KENGINE" compare --max-regression 1000000 "$TMP/base.ndjson" "$TMP/slow.ndjson" >/dev/null ||
  fail "--max-regression 1000000: exit $?"
ok "the limit is applied (100%: no rate named; 1000000%: exit 0)"

# bad input: exit 2, one line naming the file (and line)
bad() { # bad WANT_STDERR ARGS...
  local want=$1; shift
  set +e
  "$KENGINE" compare "$@" >/dev/null 2>"$TMP/bad.err"
  local rc=$?
  set -e
  [ "$rc" = 2 ] || fail "compare $*: exit $rc, want 2"
  grep -qF -- "$want" "$TMP/bad.err" || fail "compare $*: '$(cat "$TMP/bad.err")' lacks '$want'"
  [ "$(wc -l <"$TMP/bad.err")" = 1 ] || fail "compare $*: more than one line"
  ok "bad input: $(cat "$TMP/bad.err")"
}
head -n 3 "$TMP/base.ndjson" >"$TMP/bad.ndjson"
echo 'this is not json' >>"$TMP/bad.ndjson"
bad "$TMP/bad.ndjson:4: not kengine NDJSON" "$TMP/base.ndjson" "$TMP/bad.ndjson"
head -n 3 "$TMP/base.ndjson" >"$TMP/cut.ndjson"
bad "$TMP/cut.ndjson: no summary event" "$TMP/cut.ndjson" "$TMP/base.ndjson"
: >"$TMP/empty.ndjson"
bad "$TMP/empty.ndjson: empty file" "$TMP/base.ndjson" "$TMP/empty.ndjson"
bad "$TMP/nosuch.ndjson: cannot open" "$TMP/base.ndjson" "$TMP/nosuch.ndjson"
echo '{"type":"summary","thresholds":[{"actual":1}]}' >"$TMP/odd.ndjson"
bad "$TMP/odd.ndjson:1: not kengine NDJSON" "$TMP/odd.ndjson" "$TMP/base.ndjson"
cat "$TMP/base.ndjson" "$TMP/base.ndjson" >"$TMP/two.ndjson"
bad "has 2 runs (legs)" "$TMP/two.ndjson" "$TMP/base.ndjson"
bad "--max-regression x" --max-regression x "$TMP/base.ndjson" "$TMP/base.ndjson"
