#!/usr/bin/env bash
# Faults on a real three-node Kafka cluster (scripts/kafka.sh start
# --brokers 3: three combined KRaft nodes, one three-voter quorum,
# replication 3, min.insync.replicas=2), started here in a state dir of its
# own and stopped on exit. Every run is the seed workload with acks=all and
# the idempotent producer, on a fresh topic replicated 3 times, paced so
# that each fault lands mid-run (our own schedule, from outside):
#   1. the leader of partition 0 SIGKILLed, revived later:
#      delivered = consumed = records, lost 0, duplicates 0;
#   2. the active controller (the quorum leader) SIGKILLed, revived later,
#      on a topic whose only partition is led by another node: the same;
#   3. two of the three nodes SIGKILLed (below min.insync.replicas, and the
#      quorum without a majority) with message.timeout.ms=4000: the run
#      exits 1 with delivery_errors = records - delivered exactly; the
#      nodes come back while the consumer still waits, and nothing that
#      was acknowledged is lost (lost 0; duplicates are measured: below);
#   4. the same two nodes killed and revived within the message timeout:
#      the run completes whole;
#   5. acks=1 (not idempotent): the leader acknowledges while its followers
#      are frozen, then dies; a follower takes over without those records:
#      a consume-only run reports every one of them lost, and names them.
# Not in the sanitizer tree (CMakeLists.txt): see there.
source "$(dirname "$0")/lib.sh"
export KENGINE_KAFKA_STATE=$TMP/cluster
KAFKA=$ROOT/scripts/kafka.sh
cleanup() {
  [ -z "${KPID:-}" ] || kill "$KPID" 2>/dev/null || true
  "$KAFKA" stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BROKERS=$("$KAFKA" start --brokers 3 2>"$TMP/start.log") ||
  { cat "$TMP/start.log" >&2; fail "kafka.sh start --brokers 3"; }
grep 'ready in' "$TMP/start.log" | sed 's/^/    /'
[[ $BROKERS =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] ||
  fail "start --brokers 3 printed '$BROKERS', not three addresses"
"$KAFKA" status >"$TMP/status" || { cat "$TMP/status" >&2; fail "status: not all nodes up"; }
expect_eq "$(grep -c '^node [123]: up, ' "$TMP/status")" 3 "nodes up"
expect_eq "$(grep -c 'quorum leader' "$TMP/status")" 1 "quorum leaders"
for i in 1 2 3; do
  p=$KENGINE_KAFKA_STATE/node$i/server.properties
  grep -qx 'min.insync.replicas=2' "$p" && grep -qx 'default.replication.factor=3' "$p" ||
    fail "node $i: not replication 3 / min.insync.replicas 2"
done
ok "three nodes at $BROKERS"
again=$("$KAFKA" start --brokers 3 2>/dev/null) || fail "start --brokers 3 while running"
expect_eq "$again" "$BROKERS" "start again: the running cluster's address"
# bad node ids and single-node commands: one line, exit 1
for bad in "kill 4" "kill x" "revive 2" "restart"; do
  rc=0
  # shellcheck disable=SC2086 # the command and its argument
  "$KAFKA" $bad 2>"$TMP/bad.err" || rc=$?
  expect_eq "$rc" 1 "kafka.sh $bad: exit code"
  grep -q 'kafka.sh: error: ' "$TMP/bad.err" || fail "kafka.sh $bad: no error line"
  sed 's/^/    /' "$TMP/bad.err"
done

# The quorum leader (the active controller) as status names it.
# (status exits 1 while a node is down)
quorum_leader() {
  { "$KAFKA" status || true; } | sed -n 's/^node \([0-9]\): up, quorum leader.*/\1/p'
}

# partition_leader TOPIC PARTITION: its leader's node id (kcat metadata).
partition_leader() {
  kcat -b "$BROKERS" -L -t "$1" 2>/dev/null |
    sed -n "s/^ *partition $2, leader \\([0-9]*\\),.*/\\1/p"
}

# start_seed NAME TOPIC [FIELD=VALUE...]: the run in the background (KPID),
# NDJSON in $TMP/NAME.json.
start_seed() {
  local name=$1 topic=$2
  shift 2
  "$KENGINE" lua/seed.lua -q --json "$TMP/$name.json" -b "$BROKERS" topic="$topic" \
    records=80000 rate=4000 batch_size=5000 partitions=3 replication=3 \
    producer.acks=all producer.enable.idempotence=true "$@" 2>"$TMP/$name.err" &
  KPID=$!
}

# wait_consumed NAME: until the consumer reported its first batch.
wait_consumed() {
  local name=$1
  for _ in $(seq 600); do
    grep -q '"type":"consume_batch"' "$TMP/$name.json" 2>/dev/null && return 0
    kill -0 "$KPID" 2>/dev/null || { cat "$TMP/$name.err" >&2; fail "$name: kengine ended before the fault"; }
    sleep 0.05
  done
  fail "$name: no consume batch within 30 s"
}

still_running() {
  kill -0 "$KPID" 2>/dev/null || { grep -v '^%' "$TMP/$1.err" | tail -n 5 >&2; fail "$1: kengine ended during the outage"; }
}

# kafka_do ARGS...: scripts/kafka.sh ARGS, its lines indented; fails the test
# if it fails (also inside a scenario, where set -e does not apply).
kafka_do() {
  local out rc=0
  out=$("$KAFKA" "$@" 2>&1) || rc=$?
  sed 's/^/    /' <<<"$out"
  [ "$rc" -eq 0 ] || fail "scripts/kafka.sh $* failed"
}

# librdkafka 2.0.2's idempotent producer now and then gives up with a fatal
# "sequence desynchronization" / "out of order sequence number" error after
# a leader change (librdkafka issue 3584, fixed in 2.3.0 by PR 4438); we saw
# it end the two-node outage revived in time once in nine runs. kengine
# exits 1 naming it. A scenario it ends is run once more on a fresh topic,
# and said so; twice fails the test.
KNOWN_FATAL='producer fatal error: .*(sequence desynchronization|out of order sequence)'
known_fatal() { grep -Eq "$KNOWN_FATAL" "$TMP/$1.err"; }

# scenario NAME: runs scenario_NAME; once more if librdkafka's known fatal
# idempotence error ended it (it returns 75 then).
scenario() {
  local rc=0
  "scenario_$1" "$1" || rc=$?
  if [ "$rc" -eq 75 ]; then
    echo "note: $1: librdkafka's known fatal idempotence error, running it again:"
    grep -Eo "$KNOWN_FATAL.{0,120}" "$TMP/$1.err" | head -n 1 | sed 's/^/    /'
    rc=0
    "scenario_$1" "$1-again" || rc=$?
  fi
  [ "$rc" -eq 0 ] || fail "$1: librdkafka's fatal idempotence error twice"
}

# finish NAME RECORDS: kengine exits 0, everything delivered and consumed
# once (75: the known librdkafka error ended it).
finish() {
  local name=$1 n=$2 rc=0
  wait "$KPID" || rc=$?
  KPID=
  if [ "$rc" -ne 0 ]; then
    grep -v '^%' "$TMP/$name.err" | tail -n 20 >&2
    if [ "$rc" -eq 1 ] && known_fatal "$name"; then return 75; fi
    fail "$name: kengine exited $rc"
  fi
  expect_whole "$TMP/$name.json" "$n" "$name"
}

# 1. The leader of partition 0 killed mid-run, revived later.
scenario_leader() {
  local name=$1 topic victim
  topic=$(fresh_topic leader)
  start_seed "$name" "$topic"
  wait_consumed "$name"
  victim=$(partition_leader "$topic" 0)
  [ -n "$victim" ] || fail "$name: no leader for $topic partition 0"
  kafka_do kill "$victim"
  sleep 4
  still_running "$name"
  kafka_do revive "$victim"
  finish "$name" 80000
}
scenario leader

# 2. The active controller killed mid-run, revived later. The topic (one
#    partition) is made first with its leader on another node, so what
#    fails is the controller alone, and the ISR shrink that lets acks=all
#    go on needs the newly elected controller.
scenario_controller() {
  local name=$1 topic ctrl new i others=()
  ctrl=$(quorum_leader)
  [ -n "$ctrl" ] || fail "$name: no quorum leader in status"
  for i in 1 2 3; do [ "$i" = "$ctrl" ] || others+=("$i"); done
  topic=$(fresh_topic controller)
  "$KAFKA" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --create \
    --topic "$topic" --replica-assignment "${others[0]}:$ctrl:${others[1]}" \
    >"$TMP/create.log" 2>&1 || { cat "$TMP/create.log" >&2; fail "$name: cannot create $topic"; }
  start_seed "$name" "$topic" partitions=1
  wait_consumed "$name"
  expect_eq "$(partition_leader "$topic" 0)" "${others[0]}" "$name: partition leader"
  kafka_do kill "$ctrl"
  sleep 4
  still_running "$name"
  new=$(quorum_leader)
  [ -n "$new" ] && [ "$new" != "$ctrl" ] || fail "$name: no new quorum leader (got '$new')"
  ok "$name: node $new leads the quorum after node $ctrl was killed"
  kafka_do revive "$ctrl"
  finish "$name" 80000
}
scenario controller

# 3. Two of three killed: below min.insync.replicas, no quorum. With a 4 s
#    message timeout deliveries fail; the nodes come back while the consumer
#    waits (idle_timeout 20 s), so it can read whatever was acknowledged.
scenario_minisr() {
  local name=$1 topic a b rc=0 s delivered errors consumed dups distinct N=20000
  topic=$(fresh_topic minisr)
  start_seed "$name" "$topic" records=$N producer.message.timeout.ms=4000 idle_timeout=20
  wait_consumed "$name"
  a=$(partition_leader "$topic" 0)
  b=$((a % 3 + 1))
  kafka_do kill "$a" "$b"
  sleep 8
  still_running "$name"
  kafka_do revive "$a" "$b"
  wait "$KPID" || rc=$?
  KPID=
  if [ "$rc" -eq 1 ] && known_fatal "$name"; then return 75; fi
  s=$TMP/$name.json
  expect_eq "$rc" 1 "$name: exit code"
  delivered=$(json_get "$s" summary delivered)
  errors=$(json_get "$s" summary delivery_errors)
  consumed=$(json_get "$s" summary consumed)
  [ "$errors" -gt 0 ] || fail "$name: no delivery failed"
  expect_eq "$errors" "$((N - delivered))" "$name: delivery_errors = records - delivered"
  expect_eq "$(json_get "$s" summary lost)" 0 "$name: acknowledged messages lost"
  # A message that timed out in flight may still have been written by the
  # surviving leader (uncommitted, committed once the others are back): the
  # consumer may see more than was acknowledged, never more than was sent.
  # Duplicates are measured, not asserted: once in-flight messages time
  # out, librdkafka's idempotent producer bumps its epoch, and what it sends
  # again under the new epoch the broker cannot tell from what the
  # surviving leader already holds (see docs/reliability-and-faults.md).
  dups=$(json_get "$s" summary duplicates)
  distinct=$((consumed - dups))
  [ "$distinct" -ge "$delivered" ] && [ "$distinct" -le "$N" ] ||
    fail "$name: $distinct distinct consumed, outside [delivered $delivered, records $N]"
  grep -q "messages failed delivery (first: record [0-9]*: Local: Message timed out)" "$TMP/$name.err" ||
    { cat "$TMP/$name.err" >&2; fail "$name: no 'failed delivery' line on stderr"; }
  ok "$name: delivered $delivered, failed $errors, consumed $consumed ($distinct distinct, $dups duplicates) of $N"
}
scenario minisr

# 4. The same two killed, revived within the (default, 300 s) message timeout.
scenario_intime() {
  local name=$1 topic a b
  topic=$(fresh_topic intime)
  start_seed "$name" "$topic"
  wait_consumed "$name"
  a=$(partition_leader "$topic" 0)
  b=$((a % 3 + 1))
  kafka_do kill "$a" "$b"
  sleep 4
  still_running "$name"
  kafka_do revive "$a" "$b"
  finish "$name" 80000
}
scenario intime

# 5. Kafka itself loses acknowledged data under acks=1. The topic's one
#    partition is led by node L; its two followers are frozen (SIGSTOP), so
#    they copy nothing and, with no quorum majority awake, nothing can take
#    them out of the ISR. A produce-only run with acks=1 (bootstrap: L
#    alone) is acknowledged whole by L. Then L is SIGKILLed and the
#    followers continued: a clean election (they are in the ISR) makes one
#    of them leader without those records. A consume-only run reports all
#    of them lost, named, exit 1; L, revived, truncates its log to match.
N5=5000
topic=$(fresh_topic acks1)
"$KAFKA" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --create \
  --topic "$topic" --partitions 1 --replication-factor 3 >"$TMP/create.log" 2>&1 ||
  { cat "$TMP/create.log" >&2; fail "acks1: cannot create $topic"; }
L=$(partition_leader "$topic" 0)
[ -n "$L" ] || fail "acks1: no leader for $topic"
node_file() { cat "$KENGINE_KAFKA_STATE/node$1/$2"; }
followers=()
for i in 1 2 3; do [ "$i" = "$L" ] || followers+=("$i"); done
for f in "${followers[@]}"; do kill -STOP "$(node_file "$f" pid)"; done
# A follower's fetch waits at the leader up to replica.fetch.wait.max.ms
# (500 ms) for data; one pending at the freeze would still take the first
# records into the frozen follower's socket. Let them expire, empty.
sleep 1.5
ok "acks1: partition leader $L, followers ${followers[*]} frozen"
"$KENGINE" lua/seed.lua -q --json "$TMP/acks1.json" -b "$(node_file "$L" plain_addr)" topic="$topic" \
  records=$N5 batch_size=1000 consume=false producer.acks=1 producer.enable.idempotence=false \
  2>"$TMP/acks1.err" || { grep -v '^%' "$TMP/acks1.err" >&2; fail "acks1: the produce run failed"; }
expect_eq "$(json_get "$TMP/acks1.json" summary delivered)" $N5 "acks1: acknowledged"
kafka_do kill "$L"
for f in "${followers[@]}"; do kill -CONT "$(node_file "$f" pid)"; done
awake="$(node_file "${followers[0]}" plain_addr),$(node_file "${followers[1]}" plain_addr)"
for _ in $(seq 120); do
  new=$(kcat -b "$awake" -L -t "$topic" 2>/dev/null |
        sed -n 's/^ *partition 0, leader \([0-9]*\),.*/\1/p')
  [ -n "$new" ] && [ "$new" != "$L" ] && [ "$new" != -1 ] && break
  sleep 0.5
done
[ -n "$new" ] && [ "$new" != "$L" ] && [ "$new" != -1 ] ||
  fail "acks1: no new leader for $topic within 60 s (got '$new')"
ok "acks1: node $new leads $topic after node $L was killed"
rc=0
"$KENGINE" lua/seed.lua -q --json "$TMP/acks1c.json" -b "$awake" topic="$topic" \
  records=$N5 batch_size=1000 produce=false group="$topic-check" idle_timeout=3 \
  2>"$TMP/acks1c.err" || rc=$?
expect_eq "$rc" 1 "acks1: consume-only exit code (loss)"
expect_eq "$(json_get "$TMP/acks1c.json" summary lost)" $N5 "acks1: lost"
expect_eq "$(json_get "$TMP/acks1c.json" summary missing)" "0-$((N5 - 1))" "acks1: missing"
kafka_do revive "$L"
end=$(kcat -b "$BROKERS" -Q -t "$topic:0:-1" 2>/dev/null | sed -n 's/.* offset \([0-9]*\)$/\1/p')
expect_eq "$end" 0 "acks1: the partition's end offset after node $L came back"

# stop: every node gone, the data dirs deleted
datadirs=$(cat "$KENGINE_KAFKA_STATE"/node*/datadir)
"$KAFKA" stop 2>/dev/null
if "$KAFKA" status >/dev/null 2>&1; then fail "status after stop"; fi
for d in $datadirs; do [ ! -e "$d" ] || fail "stop left $d"; done
ok "stopped, data dirs deleted"
