#!/usr/bin/env bash
# Faults on the embedded broker (`kengine broker --fault`): the seed workload,
# run against it from another process while a fault fires mid-run, must come
# out whole: delivered == consumed == records, nothing lost or duplicated
# (the producer is idempotent; it retries). One fault it cannot survive
# (broker down longer than the message timeout) must fail with exit 1,
# count the failed deliveries exactly and say why.
#
# 12000 records at 2000/s keep the run ~6 s long, so faults at t=1 s land
# mid-run; 12000 x ~310 bytes (~3.7 MB) stays under the mock's ~5 MiB per
# partition even if every message sent during an outage lands on one
# partition (the sticky partitioner can do that), so nothing is dropped.
source "$(dirname "$0")/lib.sh"
RECORDS=12000
SEED=(lua/seed.lua -q records=$RECORDS rate=2000 batch_size=2000)

BROKER_PID=
stop_broker() {
  if [ -n "$BROKER_PID" ]; then
    kill -INT "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=
  fi
}
trap 'stop_broker; rm -rf "$TMP"' EXIT

# start_broker NAME ARGS...: a `kengine broker` in the background; sets ADDR.
start_broker() {
  local name=$1
  shift
  "$KENGINE" broker "$@" >"$TMP/$name.addr" 2>"$TMP/$name.berr" &
  BROKER_PID=$!
  for _ in $(seq 100); do [ -s "$TMP/$name.addr" ] && break; sleep 0.05; done
  ADDR=$(head -n 1 "$TMP/$name.addr")
  [[ "$ADDR" =~ ^127\.0\.0\.1:[0-9]+ ]] ||
    { cat "$TMP/$name.berr" >&2; fail "$name: broker printed no address"; }
}

# survive NAME "BROKER ARGS" [KENGINE OVERRIDES...]: the seed must come out whole.
survive() {
  local name=$1 bargs=$2
  shift 2
  local topic="t_$name"
  # shellcheck disable=SC2086 # bargs is a list of options
  start_broker "$name" --topic "$topic:4" $bargs
  local t0=$SECONDS rc=0
  "$KENGINE" "${SEED[@]}" --json "$TMP/$name.json" -b "$ADDR" topic="$topic" "$@" \
    2>"$TMP/$name.err" || rc=$?
  local secs=$((SECONDS - t0))
  stop_broker
  cat "$TMP/$name.berr" | grep 'fault' | sed 's/^/    /'
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$TMP/$name.err" >&2
    fail "$name: kengine exited $rc"
  fi
  grep -q "fault .* starts" "$TMP/$name.berr" || fail "$name: the fault never fired"
  local s="$TMP/$name.json"
  expect_whole "$s" "$RECORDS" "$name"
  ok "$name: survived in ${secs}s"
}

# The only broker down for 3 s: clients reconnect, the producer retries.
survive down "--fault down@1+3"
grep -q "fault down@1+3 ends: broker 1 up" "$TMP/down.berr" || fail "down: no 'up' report"

# One of 3 brokers down: its partitions' leadership moves to another broker.
survive failover "--brokers 3 --fault down@1+3"
grep -Eq "broker 1 down: [1-9][0-9]* partition leaders? moved" "$TMP/failover.berr" ||
  fail "failover: no partition leader moved"

# 50 ms more round trip for 10 s (the whole run).
survive rtt "--fault rtt@0+10:50"

# 20 Produce requests fail with retriable errors (not leader, timed out).
survive produce_errors "--fault produce-errors@1:20"

# 20 Fetch requests fail (not leader, leader not available). Each costs the
# consumer up to ~1 s (the broker's fetch wait + librdkafka's 500 ms error
# backoff): up to ~20 s without a message, more than the default 10 s idle
# timeout.
survive fetch_errors "--fault fetch-errors@1:20" idle_timeout=40

# Unsurvivable: the only broker down for 8 s, messages time out after 3 s.
topic=t_timeout
start_broker timeout --topic "$topic:4" --fault down@1+8
rc=0
"$KENGINE" "${SEED[@]}" --json "$TMP/timeout.json" -b "$ADDR" topic="$topic" \
  producer.message.timeout.ms=3000 2>"$TMP/timeout.err" || rc=$?
stop_broker
expect_eq "$rc" 1 "timeout: exit code"
s="$TMP/timeout.json"
delivered=$(json_get "$s" summary delivered)
errors=$(json_get "$s" summary delivery_errors)
[ "$delivered" -lt $RECORDS ] || fail "timeout: all $RECORDS delivered despite the outage"
[ "$errors" -gt 0 ] || fail "timeout: no delivery errors"
expect_eq "$errors" $((RECORDS - delivered)) "timeout: delivery errors = records - delivered"
expect_eq "$(json_get "$s" summary duplicates)" 0 "timeout: duplicates"
grep -q "$errors of $RECORDS messages failed delivery" "$TMP/timeout.err" ||
  { cat "$TMP/timeout.err" >&2; fail "timeout: stderr does not count the failed deliveries"; }
grep -qi "timed out" "$TMP/timeout.err" ||
  { cat "$TMP/timeout.err" >&2; fail "timeout: stderr does not name the failure"; }
ok "timeout: $errors of $RECORDS failed delivery (message timed out), reported exactly"
