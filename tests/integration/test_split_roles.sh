#!/usr/bin/env bash
# Producer and consumer as separate runs on the real Kafka: produce=false
# subscribes with a consumer group and finds every record of the earlier
# produce-only run by its sequence number.
source "$(dirname "$0")/lib.sh"
need_kafka
topic=$(fresh_topic split)
"$KENGINE" lua/seed.lua -q --json "$TMP/p.json" -b "$BROKERS" topic="$topic" \
  records=6000 batch_size=2000 partitions=3 consume=false || fail "producer exit $?"
expect_eq "$(json_get "$TMP/p.json" summary delivered)" 6000 delivered
expect_eq "$(grep -c '"type":"produce_batch"' "$TMP/p.json")" 3 "produce batches"
"$KENGINE" lua/seed.lua -q --json "$TMP/c.json" -b "$BROKERS" topic="$topic" \
  records=6000 batch_size=2000 produce=false group="g_$$" idle_timeout=20 ||
  fail "consumer exit $?"
expect_eq "$(json_get "$TMP/c.json" summary consumed)" 6000 consumed
expect_eq "$(json_get "$TMP/c.json" summary lost)" 0 lost
expect_eq "$(json_get "$TMP/c.json" summary duplicates)" 0 duplicates
# asking for more than exists: the consumer stops when idle and counts the loss
set +e
"$KENGINE" lua/seed.lua -q --json "$TMP/c2.json" -b "$BROKERS" topic="$topic" \
  records=6500 produce=false group="g2_$$" idle_timeout=3
rc=$?
set -e
expect_eq "$rc" 1 "exit code when records are missing"
expect_eq "$(json_get "$TMP/c2.json" summary lost)" 500 lost
