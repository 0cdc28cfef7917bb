#!/usr/bin/env bash
# Each message format on the real Kafka: the consumer's per-batch figures
# equal Python's for the same encoding, and the messages on the topic are
# byte for byte what Python's csv/json/str() would produce (read back with
# kcat, independently of kengine's consumer).
source "$(dirname "$0")/lib.sh"
need_kafka
for fmt in json csv dict; do
  topic=$(fresh_topic "fmt_$fmt")
  "$KENGINE" lua/seed.lua -q --json "$TMP/$fmt.json" -b "$BROKERS" topic="$topic" \
    format="$fmt" records=3000 batch_size=1000 || fail "$fmt: kengine exited $?"
  python3 tests/integration/check_batches.py sample.csv "$fmt" 3000 1000 "$TMP/$fmt.json" ||
    fail "$fmt: batch figures differ"
  kcat -C -b "$BROKERS" -t "$topic" -o beginning -c 3000 -e -q -f '%S %s' >"$TMP/$fmt.raw" ||
    fail "$fmt: kcat could not read the topic"
  python3 tests/integration/check_topic.py sample.csv "$fmt" 3000 "$TMP/$fmt.raw" ||
    fail "$fmt: topic contents differ"
  ok "$fmt"
done
