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
