#!/usr/bin/env bash
# Faults on the real Kafka: the seed workload (200000 records, one
# partition, a fresh topic) must come out whole while, mid-run,
#   1. the broker's JVM is frozen (SIGSTOP) for 4 s, then continued;
#   2. the broker is restarted (`scripts/kafka.sh restart`: same ports, same
#      data; clients see connections drop and come back).
# delivered == consumed == records, nothing lost, nothing duplicated.
#
# Needs the Kafka of KENGINE_TEST_BROKERS to be scripts/kafka.sh's broker
# for the state dir $KENGINE_KAFKA_STATE (default <repo>/.kafka), as
# scripts/test.sh starts it: its pid is taken from there. Fails otherwise.
source "$(dirname "$0")/lib.sh"
need_kafka
STATE=${KENGINE_KAFKA_STATE:-$ROOT/.kafka}
RECORDS=200000

broker_pid() {
  local pid addr
  pid=$(cat "$STATE/pid" 2>/dev/null) || fail "no broker pid in $STATE/pid (scripts/kafka.sh's state dir; set KENGINE_KAFKA_STATE)"
  addr=$(cat "$STATE/addr" 2>/dev/null) || fail "no $STATE/addr"
  [ "$addr" = "${BROKERS%%,*}" ] ||
    fail "KENGINE_TEST_BROKERS ($BROKERS) is not the broker of $STATE ($addr)"
  kill -0 "$pid" 2>/dev/null || fail "broker pid $pid (from $STATE/pid) is not running"
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka ' ||
    fail "pid $pid (from $STATE/pid) is not a Kafka broker"
  echo "$pid"
}

KAFKA_PID=$(broker_pid)
# Whatever happens (a failed assertion, ^C, ctest's timeout), never leave
# the shared broker frozen.
cleanup() {
  kill -CONT "$KAFKA_PID" 2>/dev/null || true
  [ -z "${KPID:-}" ] || kill "$KPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_seed NAME [ARG...]: the seed in the background (KPID), NDJSON in
# $TMP/NAME.json.
start_seed() {
  local name=$1
  shift
  "$KENGINE" lua/seed.lua -q --json "$TMP/$name.json" -b "$BROKERS" \
    topic="$(fresh_topic "$name")" records=$RECORDS batch_size=10000 partitions=1 "$@" \
    2>"$TMP/$name.err" &
  KPID=$!
}

# alive NAME WHEN: kengine is still running, else fail with its exit code
# and its last lines.
alive() {
  kill -0 "$KPID" 2>/dev/null && return 0
  local rc=0
  wait "$KPID" || rc=$?
  grep -v '^%' "$TMP/$1.err" | tail -n 20 >&2
  fail "$1: kengine ended $2 (exit $rc)"
}

# wait_consumed NAME: until the consumer reported its first batch (the run is
# under way), failing if the run ends first.
wait_consumed() {
  local name=$1
  for _ in $(seq 600); do
    grep -q '"type":"consume_batch"' "$TMP/$name.json" 2>/dev/null && return 0
    kill -0 "$KPID" 2>/dev/null || { cat "$TMP/$name.err" >&2; fail "$name: kengine ended before the fault"; }
    sleep 0.05
  done
  fail "$name: no consume batch within 30 s"
}

# finish NAME: wait for kengine; everything delivered and consumed once.
finish() {
  local name=$1 rc=0
  wait "$KPID" || rc=$?
  KPID=
  if [ "$rc" -ne 0 ]; then
    grep -v '^%' "$TMP/$name.err" | tail -n 20 >&2
    fail "$name: kengine exited $rc"
  fi
  local s="$TMP/$name.json"
  expect_whole "$s" "$RECORDS" "$name"
  ok "$name: produced in $(json_get "$s" summary produce_seconds) s, consumed in $(json_get "$s" summary consume_seconds) s"
}

# 1. Frozen broker: SIGSTOP for 4 s mid-run, then SIGCONT.
start_seed freeze
wait_consumed freeze
kill -STOP "$KAFKA_PID"
echo "broker (pid $KAFKA_PID) frozen"
sleep 4
alive freeze "while the broker was frozen"
kill -CONT "$KAFKA_PID"
echo "broker continued after 4 s"
finish freeze

# 2. Broker restart mid-run: same address, same data. Paced so that the run
# outlasts the restart (about 10 s; unpaced, 200000 records can be done
# before the broker goes down, and the check below would fail on a run that
# never saw the fault).
start_seed restart rate=6000
wait_consumed restart
addr=$(KENGINE_KAFKA_STATE="$STATE" scripts/kafka.sh restart 2>"$TMP/restart.log") ||
  { cat "$TMP/restart.log" >&2; fail "restart: scripts/kafka.sh restart failed"; }
sed 's/^/    /' "$TMP/restart.log"
expect_eq "$addr" "${BROKERS%%,*}" "restart: address after the restart"
alive restart "before the restart was over"
KAFKA_PID=$(broker_pid)
finish restart
