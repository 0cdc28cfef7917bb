#!/usr/bin/env bash
# A transactional run on the real Kafka stopped by SIGINT (issue 25, item
# 15): the transaction open at the stop is aborted, its messages are
# counted as aborted (never committed, so no consumer can read them), not
# as unconsumed, and stderr says what happened to it. Exit 130.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kafka
# A stop that lands while a transaction commits finds none open (sent =
# delivered, nothing to abort): right, but it tests nothing, so the run is
# made again, up to 3 times.
for attempt in 1 2 3; do
  topic=$(fresh_topic txnstop)
  rm -f "$TMP/t.json"
  "$KENGINE" lua/seed.lua -q --json "$TMP/t.json" -b "$BROKERS" topic="$topic" \
    transactional=true transaction_size=2000 rate=5000 records=1000000 batch_size=1000 \
    2>"$TMP/t.err" &
  kpid=$!
  # interrupt once something was consumed, so a transaction is committed,
  # and halfway through the next (an odd number of produce batches of 1000
  # in transactions of 2000)
  for _ in $(seq 1 300); do
    n=$(grep -c '"consume_batch"' "$TMP/t.json" 2>/dev/null || true)
    p=$(grep -c '"produce_batch"' "$TMP/t.json" 2>/dev/null || true)
    [ "${n:-0}" -ge 2 ] && [ $((${p:-0} % 2)) = 1 ] && break
    sleep 0.05
  done
  kill -INT "$kpid"
  rc=0
  wait "$kpid" || rc=$?
  expect_eq "$rc" 130 "exit code after SIGINT"
  sent=$(json_get "$TMP/t.json" summary sent)
  delivered=$(json_get "$TMP/t.json" summary delivered)
  aborted=$(json_get "$TMP/t.json" summary aborted)
  [ "$sent" = "$delivered" ] && [ "$aborted" = 0 ] || break
  echo "attempt $attempt: the stop came between transactions (sent = delivered = $sent)"
  [ "$attempt" -lt 3 ] || fail "3 stops in a row came between transactions: nothing tested"
done
[ "$aborted" -gt 0 ] || fail "the open transaction's messages are not counted as aborted (sent $sent, delivered $delivered)"
expect_eq "$((delivered + aborted))" "$sent" "delivered + aborted = sent"
# unconsumed: committed messages the consumer had not read yet when the
# stop came (often 0), never the aborted ones
consumed=$(json_get "$TMP/t.json" summary consumed)
expect_eq "$(json_get "$TMP/t.json" summary unconsumed)" "$((delivered - consumed))" \
  "unconsumed = delivered - consumed"
expect_eq "$(json_get "$TMP/t.json" summary lost)" 0 "lost"
grep -q "open transaction .* aborted" "$TMP/t.err" || { cat "$TMP/t.err" >&2; fail "stderr does not say the open transaction was aborted"; }
ok "$(grep "open transaction" "$TMP/t.err")"
