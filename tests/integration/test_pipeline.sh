#!/usr/bin/env bash
# test_pipeline: pipeline runs through a system under test on the real
# Kafka. tests/integration/relay.py copies topic A to topic B (headers kept)
# COPIES times per message; kengine produces to A, consumes B
# (consume_topic) and expects expect_copies copies of each message:
#   1. a clean relay, 2 copies: lost 0, duplicates 0, consumed = 2 x records;
#   2. a relay dropping every 7th copy: lost = exactly the dropped copies,
#      the summary names their sequence numbers, exit 1;
#   3. a relay making 3 copies where 2 are expected: duplicates = records;
#   4. messages without kengine's header on B: counted as foreign, not ours;
# and a consume-only run of the clean output (its `topic` never made).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kafka
RELAY=(/usr/bin/python3 "$ROOT/tests/integration/relay.py")
/usr/bin/python3 -c 'import confluent_kafka' ||
  fail "python3-confluent-kafka is missing (scripts/deps.sh test installs it)"
N=3000

# run_case NAME RELAY-ARGS -- KENGINE-ARGS: starts the relay from a fresh A
# to a fresh B, runs kengine, leaves its NDJSON in $TMP/NAME.json, its
# stderr in $TMP/NAME.err, its exit code in $rc, the relay's log in
# $TMP/NAME.relay.
run_case() {
  local name=$1 relay_args=() kargs=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do relay_args+=("$1"); shift; done
  shift
  kargs=("$@")
  A=$(fresh_topic "${name}_a") B=$(fresh_topic "${name}_b")
  "${RELAY[@]}" -b "$BROKERS" --in "$A" --out "$B" --group "relay_$A" --idle 60 \
    --dropped "$TMP/$name.dropped" "${relay_args[@]}" 2>"$TMP/$name.relay" &
  local relay=$!
  rc=0
  "$KENGINE" lua/pipeline.lua -q --json "$TMP/$name.json" -b "$BROKERS" topic="$A" \
    consume_topic="$B" records=$N batch_size=500 partitions=3 idle_timeout=5 \
    "${kargs[@]}" 2>"$TMP/$name.err" || rc=$?
  wait "$relay" || { cat "$TMP/$name.relay" >&2; fail "$name: the relay failed"; }
}

# 1. clean relay, two copies
run_case clean --copies 2 --messages $N -- expect_copies=2
[ "$rc" = 0 ] || { cat "$TMP/clean.err" >&2; fail "clean: exit $rc"; }
s=$TMP/clean.json
expect_eq "$(json_get "$s" summary delivered)" $N "clean: delivered"
expect_eq "$(json_get "$s" summary consumed)" $((2 * N)) "clean: consumed (2 copies each)"
expect_eq "$(json_get "$s" summary lost)" 0 "clean: lost"
expect_eq "$(json_get "$s" summary duplicates)" 0 "clean: duplicates"
expect_eq "$(json_get "$s" summary foreign)" 0 "clean: foreign"

# 1b. the same output read again by a consume-only run (a topic it never
# produces to need not exist): both copies of every record, nothing lost
"$KENGINE" lua/pipeline.lua -q --json "$TMP/only.json" -b "$BROKERS" \
  topic="$(fresh_topic never_made)" consume_topic="$B" produce=false records=$N \
  expect_copies=2 batch_size=500 idle_timeout=5 group="g_$B" 2>"$TMP/only.err" ||
  { rc=$?; cat "$TMP/only.err" >&2; fail "consume-only of the output: exit $rc"; }
expect_eq "$(json_get "$TMP/only.json" summary consumed)" $((2 * N)) "consume-only: consumed"
expect_eq "$(json_get "$TMP/only.json" summary lost)" 0 "consume-only: lost"
expect_eq "$(json_get "$TMP/only.json" summary duplicates)" 0 "consume-only: duplicates"

# 2. every 7th copy dropped: lost = the dropped copies, named
run_case drop --copies 2 --drop-every 7 --messages $N -- expect_copies=2
dropped=$(wc -l <"$TMP/drop.dropped")
[ "$dropped" -gt 0 ] || fail "drop: the relay dropped nothing"
expect_eq "$rc" 1 "drop: exit code (loss)"
s=$TMP/drop.json
expect_eq "$(json_get "$s" summary lost)" "$dropped" "drop: lost = copies dropped by the relay"
expect_eq "$(json_get "$s" summary consumed)" $((2 * N - dropped)) "drop: consumed"
expect_eq "$(json_get "$s" summary duplicates)" 0 "drop: duplicates"
# The summary names the missing sequence numbers: the first ones the relay
# dropped appear in it, as numbers or inside ranges.
python3 - "$s" "$TMP/drop.dropped" <<'PY' || fail "drop: missing sequence numbers not named"
import json, sys
summ = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
missing = summ["missing"]
dropped = sorted(set(int(x) for x in open(sys.argv[2])))
spans = []
for part in missing.split(","):
    part = part.strip().split(" ")[0]
    if not part or not part[0].isdigit():
        continue
    lo, _, hi = part.partition("-")
    spans.append((int(lo), int(hi or lo)))
named = lambda q: any(lo <= q <= hi for lo, hi in spans)
assert all(named(q) for q in dropped[:5]), (missing, dropped[:5])
assert all(any(lo <= q <= hi for q in dropped) for lo, hi in spans), (missing, "names a sequence not dropped")
print("ok: missing names", dropped[:5], "... as", missing[:80])
PY
grep -q "lost" "$TMP/drop.err" || fail "drop: stderr does not say what was lost"

# 3. three copies where two are expected: one duplicate per record
run_case extra --copies 3 --messages $N -- expect_copies=2
s=$TMP/extra.json
expect_eq "$(json_get "$s" summary duplicates)" $N "extra: duplicates = 1 extra copy per record"
expect_eq "$(json_get "$s" summary lost)" 0 "extra: lost"
expect_eq "$rc" 1 "extra: exit code (duplicates)"

# 4. foreign messages on the output topic
run_case foreign --copies 1 --messages $N --foreign 25 -- expect_copies=1
[ "$rc" = 0 ] || { cat "$TMP/foreign.err" >&2; fail "foreign: exit $rc"; }
s=$TMP/foreign.json
expect_eq "$(json_get "$s" summary foreign)" 25 "foreign: messages without our header"
expect_eq "$(json_get "$s" summary consumed)" $N "foreign: consumed (ours only)"
expect_eq "$(json_get "$s" summary lost)" 0 "foreign: lost"
