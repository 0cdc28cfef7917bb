#!/usr/bin/env bash
# The seed workload, reduced, on the real Kafka: everything delivered and
# consumed exactly once, and every consume batch's word figures equal the
# ones Python computes independently from sample.csv.
source "$(dirname "$0")/lib.sh"
need_kafka
topic=$(fresh_topic seed)
"$KENGINE" lua/seed.lua -q --json "$TMP/out.json" -b "$BROKERS" \
  topic="$topic" records=25000 batch_size=3000 || fail "kengine exited $?"
expect_whole "$TMP/out.json" 25000 seed
# one partition keeps order, so batch i holds records [i*3000, (i+1)*3000)
python3 tests/integration/check_batches.py sample.csv json 25000 3000 "$TMP/out.json" ||
  fail "per-batch word figures differ from Python's"
ok "per-batch words and unique words match Python"
