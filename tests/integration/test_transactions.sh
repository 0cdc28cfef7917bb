#!/usr/bin/env bash
# test_transactions: exactly-once on the real Kafka. A transactional run
# (transaction_size 500, abort_every 4) with the broker restarted mid-run
# (scripts/kafka.sh restart: same ports, same data): delivered = consumed =
# records - aborted, lost 0, duplicates 0, aborted exactly one transaction
# in four. Then the embedded broker refuses abort_every with one clear line
# (librdkafka 2.0.2's mock writes no transaction markers), and accepts
# commits alone, also from two workers.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kafka
STATE=${KENGINE_KAFKA_STATE:-$ROOT/.kafka}
[ "$(cat "$STATE/addr" 2>/dev/null)" = "${BROKERS%%,*}" ] ||
  fail "KENGINE_TEST_BROKERS ($BROKERS) is not the broker of $STATE (set KENGINE_KAFKA_STATE)"
N=40000 T=500 A=4

topic=$(fresh_topic txn)
"$KENGINE" lua/transactions.lua --json "$TMP/t.json" -b "$BROKERS" topic="$topic" \
  records=$N batch_size=2000 transaction_size=$T abort_every=$A rate=8000 partitions=3 \
  idle_timeout=30 >"$TMP/t.out" 2>"$TMP/t.err" &
kpid=$!
# restart once a quarter or so has been consumed
for _ in $(seq 1 200); do
  grep -q '"consume_batch"' "$TMP/t.json" 2>/dev/null && [ "$(grep -c '"consume_batch"' "$TMP/t.json")" -ge 3 ] && break
  sleep 0.1
done
KENGINE_KAFKA_STATE=$STATE scripts/kafka.sh restart >/dev/null 2>"$TMP/restart.log" ||
  { cat "$TMP/restart.log" >&2; fail "scripts/kafka.sh restart"; }
ok "broker restarted mid-run"
rc=0
wait "$kpid" || rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$TMP/t.err" >&2; fail "transactional run: exit $rc"; }
aborted=$((N / T / A * T))
expect_eq "$(json_get "$TMP/t.json" summary aborted)" $aborted "aborted (every ${A}th transaction of $T)"
expect_eq "$(json_get "$TMP/t.json" summary delivered)" $((N - aborted)) "delivered = records - aborted"
expect_eq "$(json_get "$TMP/t.json" summary consumed)" $((N - aborted)) "consumed = records - aborted"
expect_eq "$(json_get "$TMP/t.json" summary lost)" 0 "lost"
expect_eq "$(json_get "$TMP/t.json" summary duplicates)" 0 "duplicates"
# read_committed by another reader: exactly the committed messages
cnt=$(kcat -C -b "$BROKERS" -t "$topic" -o beginning -e -q -X isolation.level=read_committed -f '.' | wc -c)
expect_eq "$cnt" $((N - aborted)) "kcat read_committed sees the committed messages only"

# The embedded broker: commits work, aborts are refused up front.
rc=0
"$KENGINE" lua/transactions.lua -q records=2000 transaction_size=200 abort_every=2 \
  2>"$TMP/e.err" || rc=$?
expect_eq "$rc" 2 "embedded + abort_every: exit code"
expect_eq "$(wc -l <"$TMP/e.err")" 1 "embedded + abort_every: one line"
grep -q "abort_every" "$TMP/e.err" || fail "the line does not name abort_every: $(cat "$TMP/e.err")"
"$KENGINE" lua/transactions.lua -q --json "$TMP/e.json" records=2000 transaction_size=200 \
  abort_every=0 || fail "embedded, commits only: exit $?"
expect_whole "$TMP/e.json" 2000 "embedded, commits only"

# Two workers (local launch, embedded broker), each with its own
# transactional id; worker 1's first sequence number (1000) is not a
# multiple of the transaction size, so its transactions count from its own
# first message.
"$KENGINE" lua/transactions.lua -q --json "$TMP/w.json" workers=2 records=2000 \
  transaction_size=300 abort_every=0 batch_size=500 2>"$TMP/w.err" ||
  { rc=$?; tail -n 20 "$TMP/w.err" >&2; fail "two transactional workers: exit $rc"; }
expect_whole "$TMP/w.json" 2000 "two transactional workers"
expect_eq "$(json_get "$TMP/w.json" summary workers_reported)" 2 "two transactional workers: reported"
