#!/usr/bin/env bash
# test_broker_parity: the embedded broker gives Kafka's verdict on bad
# input. Each case runs once on the embedded broker and once on the real
# Kafka, and must end the same way on both: exit 2 and a first stderr line
# naming the field. Where kengine itself refuses the value (every case but
# one) the two lines are the same line; a replication factor above the
# broker count is refused by kengine on the embedded broker (one broker)
# and by Kafka's CreateTopics on a real one, each naming the field.
source "$(dirname "$0")/lib.sh"
need_kafka

long=$(printf 'x%.0s' $(seq 300))
# field|override ("name=value", passed as one argument); the field is what
# the first line must name ("field 'F'", or a path as itself)
cases=(
  "topic|topic=bad topic!"
  "topic|topic=a:b"
  "topic|topic=."
  "topic|topic=.."
  "topic|topic=$long"
  "topic|topic=__consumer_offsets"
  "topic|topic=__transaction_state"
  "consume_topic|consume_topic=bad topic"
  "results|results=bad/results"
  "replication|replication=4"
  "records|records=-1"
  "batch_size|batch_size=0"
  "partitions|partitions=0"
  "format|format=xml"
  "rate|rate=fast"
  "mode|mode=sometimes"
  "key_distribution|key_distribution=gauss"
)

# run_case OUT BROKER_ARGS... -- OVERRIDE: exit code to OUT.rc, stderr to OUT.err
run_case() {
  local out=$1 ov=$2
  shift 2
  set +e
  timeout 60 "$KENGINE" lua/seed.lua records=100 workers=1 "$@" "$ov" -q >/dev/null 2>"$out.err"
  echo $? >"$out.rc"
  set -e
}

# and one bad value of every field the table declares, by its type
while read -r name type _; do
  case $type in
  integer | number) cases+=("$name|$name=x") ;;
  boolean) cases+=("$name|$name=maybe") ;;
  choice) cases+=("$name|$name=nosuch") ;;
  esac
done < <("$KENGINE" help fields | sed -n 's/^  \([a-z_]*\) *\(integer\|number\|boolean\|choice\) .*/\1 \2/p')
cases+=("/nonexistent/rows.csv|csv=/nonexistent/rows.csv") # a file is named by its path
[ "${#cases[@]}" -gt 40 ] || fail "only ${#cases[@]} cases: the fields table was not read"

n=0
for c in "${cases[@]}"; do
  field=${c%%|*}
  ov=${c#*|}
  n=$((n + 1))
  topic=$(fresh_topic parity)
  # the results topic is only checked in a shared run
  extra=()
  [ "$field" = results ] && extra=(workers=2 worker=0 run_id="parity$n")
  run_case "$TMP/e$n" "$ov" topic="$topic" "${extra[@]}"
  run_case "$TMP/k$n" "$ov" topic="$topic" "${extra[@]}" -b "$BROKERS"
  erc=$(cat "$TMP/e$n.rc") krc=$(cat "$TMP/k$n.rc")
  eline=$(head -n 1 "$TMP/e$n.err") kline=$(head -n 1 "$TMP/k$n.err")
  [ "$erc" = 2 ] || fail "$ov: embedded broker: exit $erc ($eline)"
  [ "$krc" = 2 ] || fail "$ov: Kafka: exit $krc ($kline)"
  named="field '$field'"
  [ "${field:0:1}" = / ] && named=$field
  case $eline in *"$named"*) ;; *) fail "$ov: embedded broker's line does not name $named: $eline" ;; esac
  case $kline in *"$named"*) ;; *) fail "$ov: Kafka's line does not name $named: $kline" ;; esac
  if [ "$field" != replication ] && [ "$eline" != "$kline" ]; then
    fail "$ov: the brokers' lines differ: embedded '$eline', Kafka '$kline'"
  fi
  ok "${ov:0:40}: exit 2 on both: $kline"
done

# A shared run the embedded broker cannot hold (it keeps about 5 MiB per
# partition; 32 workers lost records to it, 64 lost the results topic's
# announcements) is refused before anything starts, saying what to use.
set +e
"$KENGINE" lua/seed.lua workers=32 records=320000 -q >/dev/null 2>"$TMP/w.err"
rc=$?
set -e
expect_eq "$rc" 2 "workers=32 on the embedded broker"
grep -q "field 'workers': 32 on the embedded broker, which holds a shared run of at most" \
  "$TMP/w.err" || fail "no reason given: $(cat "$TMP/w.err")"
grep -q "scripts/kafka.sh start" "$TMP/w.err" || fail "no way out given: $(cat "$TMP/w.err")"
ok "$(head -n 1 "$TMP/w.err")"
