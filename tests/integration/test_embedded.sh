#!/usr/bin/env bash
# The zero-setup default: no brokers given, so kengine starts the embedded
# broker, says so, and still loses nothing although the data (~30 MB) is far
# beyond what the mock keeps per partition (~5 MiB).
source "$(dirname "$0")/lib.sh"
# (not -q: that silences notices such as this one, test_notices.sh)
env -u KENGINE_BROKERS "$KENGINE" lua/seed.lua --json "$TMP/out.json" \
  records=100000 batch_size=10000 >/dev/null 2>"$TMP/err" || { rc=$?; cat "$TMP/err"; fail "exit $rc"; }
grep -q "embedded broker" "$TMP/err" || fail "no note about the embedded broker on stderr"
ok "stderr names the embedded broker"
expect_whole "$TMP/out.json" 100000 embedded
n=$(grep -c '"type":"consume_batch"' "$TMP/out.json")
expect_eq "$n" 10 "consume batches"
python3 tests/integration/check_batches.py sample.csv json 100000 10000 "$TMP/out.json" ||
  fail "per-batch word figures differ from Python's"
