#!/usr/bin/env bash
# Lua hooks on the real Kafka: on_batch sees every produce and consume batch
# with its figures, on_done the summary; a hook that throws stops the run
# with exit 2 and a message naming the script and line.
source "$(dirname "$0")/lib.sh"
need_kafka
cat >"$TMP/hooks.lua" <<'L'
local seen = { produce_batch = 0, consume_batch = 0 }
local words = 0
return {
  csv = "sample.csv", records = 5000, batch_size = 1000, partitions = 1,
  on_batch = function(b)
    seen[b.type] = seen[b.type] + 1
    if b.type == "consume_batch" then
      assert(b.messages == 1000 and b.words > 0 and b.unique_words > 0)
      assert(b.latency_ms.p50 <= b.latency_ms.p99 and b.latency_ms.p99 <= b.latency_ms.max)
      words = words + b.words
    end
  end,
  on_done = function(s)
    print(string.format("HOOKS produce=%d consume=%d words_ok=%s consumed=%d",
      seen.produce_batch, seen.consume_batch, tostring(words == s.words), s.consumed))
  end,
}
L
out=$("$KENGINE" "$TMP/hooks.lua" -q -b "$BROKERS" topic="$(fresh_topic hooks)")
echo "$out" | grep -q "HOOKS produce=5 consume=5 words_ok=true consumed=5000" ||
  fail "hooks saw: $out"
ok "on_batch and on_done saw every batch"

cat >"$TMP/bad_hook.lua" <<'L'
return {
  csv = "sample.csv", records = 3000, batch_size = 1000,
  on_batch = function(b)
    if b.type == "consume_batch" then
      local t = nil
      return t.field
    end
  end,
}
L
set +e
timeout 120 "$KENGINE" "$TMP/bad_hook.lua" -q --json "$TMP/bad.json" -b "$BROKERS" \
  topic="$(fresh_topic badhook)" 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 2 "exit code of a failing hook"
grep -q "bad_hook.lua:6:" "$TMP/err" || { cat "$TMP/err"; fail "no file:line"; }
grep -q '"type":"summary"' "$TMP/bad.json" || fail "no summary after a hook error"
ok "hook error reported with file and line, summary still written"

# The sandbox: a hook calling os.exit(0) neither ends the process nor the
# run as a success: exit 2 naming os.exit, the summary still written. And
# with NDJSON on stdout (--json -) a script's print/io.write go to stderr:
# every stdout line stays JSON.
cat >"$TMP/exits.lua" <<'L'
return {
  csv = "sample.csv", records = 3000, batch_size = 1000,
  on_batch = function(b)
    print("PRINTED " .. b.type)
    io.write("WRITTEN\n")
    if b.type == "consume_batch" then os.exit(0) end
  end,
}
L
set +e
timeout 120 "$KENGINE" "$TMP/exits.lua" -q --json - -b "$BROKERS" \
  topic="$(fresh_topic exits)" >"$TMP/exits.out" 2>"$TMP/exits.err"
rc=$?
set -e
expect_eq "$rc" 2 "exit code of a hook calling os.exit(0)"
grep -q "os.exit is not available to workload scripts" "$TMP/exits.err" ||
  { cat "$TMP/exits.err"; fail "os.exit not named"; }
grep -q "PRINTED produce_batch" "$TMP/exits.err" || fail "print did not reach stderr"
grep -q "WRITTEN" "$TMP/exits.err" || fail "io.write did not reach stderr"
python3 - "$TMP/exits.out" <<'PY' || fail "stdout is not pure NDJSON"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in evs if e["type"] == "summary"]
assert len(s) == 1 and "os.exit" in s[0]["error"], s
PY
ok "os.exit refused, summary written, script output kept out of the NDJSON"

# on_start is told the run that runs (issue 25, item 3): with phases, the
# records they send (not the field's default), and the brokers: the
# address given, or "embedded" (as the run event says) when none is.
cat >"$TMP/start.lua" <<'L'
return {
  csv = "sample.csv", batch_size = 1000,
  phases = { { name = "a", records = 400 }, { name = "b", records = 600 } },
  on_start = function(i)
    print(string.format("START records=%s brokers=%s", tostring(i.records), tostring(i.brokers)))
  end,
}
L
out=$("$KENGINE" "$TMP/start.lua" -q -b "$BROKERS" topic="$(fresh_topic start)")
expect_eq "$(echo "$out" | grep START)" "START records=1000 brokers=$BROKERS" "on_start on Kafka"
out=$("$KENGINE" "$TMP/start.lua" -q)
expect_eq "$(echo "$out" | grep START)" "START records=1000 brokers=embedded" \
  "on_start on the embedded broker"
