#!/usr/bin/env bash
# A pipeline (consume_topic != topic) needs a system under test, which the
# embedded broker cannot have (issue 25, item 14): with no brokers given,
# lua/pipeline.lua stops at once with one line saying why and what to give
# (exit 2) instead of crawling until stopped; with brokers it is unchanged
# (test_pipeline.sh).
source "$(dirname "$0")/lib.sh"
set +e
env -u KENGINE_BROKERS timeout 20 "$KENGINE" lua/pipeline.lua >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
cat "$TMP/err"
expect_eq "$rc" 2 "lua/pipeline.lua without brokers: exit"
expect_eq "$(wc -l <"$TMP/err")" 1 "lines on stderr"
grep -q "nothing copies 'kengine.pipeline.in' to 'kengine.pipeline.out'.*-b" "$TMP/err" ||
  fail "the line does not say why or what to give"
ok "a pipeline on the embedded broker: one clear line, exit 2"
