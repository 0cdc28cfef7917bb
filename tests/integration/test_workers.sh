#!/usr/bin/env bash
# Workers of one shared run as separate processes on the real Kafka, merged
# by `kengine report`: 3 workers over a 6-partition topic equal a single
# process; a worker killed with SIGKILL, a missing worker and a duplicate
# index end non-zero naming the worker; two runs on one topic stay apart;
# `workers=2` alone launches local workers on the embedded broker.
source "$(dirname "$0")/lib.sh"
need_kafka
results=$(fresh_topic results)
common=(lua/seed.lua -q -b "$BROKERS" results="$results" batch_size=5000)

# summary FIELD of an NDJSON file
sum() { json_get "$1" summary "$2"; }

# start_workers RUN N TOPIC [ARG...]: N worker processes in the background
# (@I@ in an ARG becomes the worker's index), outputs in
# $TMP/RUN.I.{out,err}, pids in PIDS
start_workers() {
  local run=$1 n=$2 topic=$3 i
  shift 3
  PIDS=()
  for ((i = 0; i < n; i++)); do
    KENGINE_WORKER=$i KENGINE_RUN_ID=$run "$KENGINE" "${common[@]}" topic="$topic" \
      workers="$n" "${@//@I@/$i}" >"$TMP/$run.$i.out" 2>"$TMP/$run.$i.err" &
    PIDS+=($!)
  done
}

# wait_all: every pid in PIDS exits 0
wait_all() {
  local p rc=0
  for p in "${PIDS[@]}"; do wait "$p" || rc=$?; done
  [ "$rc" = 0 ] || { cat "$TMP"/*.err >&2; fail "a worker exited with $rc"; }
}

# 1. three workers equal one process
topic=$(fresh_topic w3)
start_workers r3_$$ 3 "$topic" partitions=6 records=30000
wait_all
"$KENGINE" report r3_$$ -b "$BROKERS" --results "$results" --json "$TMP/r3.json" \
  >"$TMP/r3.txt" || fail "report exit $? ($(cat "$TMP/r3.txt"))"
single=$(fresh_topic single)
"$KENGINE" "${common[@]}" topic="$single" partitions=6 records=30000 \
  --json "$TMP/single.json" || fail "single run exit $?"
for f in records delivered consumed words unique_words_total lost duplicates delivery_errors; do
  expect_eq "$(sum "$TMP/r3.json" $f)" "$(sum "$TMP/single.json" $f)" "3 workers = 1 process: $f"
done
expect_whole "$TMP/r3.json" 30000 "3 workers"
expect_eq "$(sum "$TMP/r3.json" workers)" 3 "workers"
expect_eq "$(sum "$TMP/r3.json" workers_reported)" 3 "workers_reported"
expect_eq "$(grep -c '"type":"worker".*"status":"finished"' "$TMP/r3.json")" 3 "worker lines"
grep -q '^worker 2: finished' "$TMP/r3.txt" || fail "no text line for worker 2"
# every worker took part in producing its share
for i in 0 1 2; do
  python3 - "$TMP/r3.json" "$i" <<'PY' || fail "worker $i did not send its share"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "worker" and e["worker"] == int(sys.argv[2]):
        sys.exit(0 if e["sent"] == 10000 else 1)
sys.exit(1)
PY
done
ok "each worker sent its 10000"
# each worker's events (the --json objects) are on the results topic too:
# 2 produce batches of 5000 per worker (run r3's are all the topic holds
# yet; records are binary, so the JSON objects are counted, not lines)
events=$(kcat -C -b "$BROKERS" -t "$results" -e -q -f '%s' |
  grep -ao '"type":"produce_batch"' | wc -l)
expect_eq "$events" 6 "produce_batch events of run r3 on the results topic"

# 2. a worker killed with SIGKILL mid-run: the report names it, exit 1
topic=$(fresh_topic kill)
start_workers rk_$$ 2 "$topic" partitions=4 records=20000 rate=4000 idle_timeout=3 \
  batch_size=1000 --json "$TMP/rk.json.@I@"
# kill worker 1 once it is sending (its first produce batch), mid-run
for ((t = 0; t < 600; t++)); do
  grep -q produce_batch "$TMP/rk.json.1" 2>/dev/null && break
  sleep 0.1
done
grep -q produce_batch "$TMP/rk.json.1" || fail "worker 1 never started sending"
kill -9 "${PIDS[1]}"
wait "${PIDS[0]}" || fail "the surviving worker exited with $?: $(cat "$TMP/rk_$$.0.err")"
wait "${PIDS[1]}" 2>/dev/null || true
set +e
"$KENGINE" report rk_$$ -b "$BROKERS" --results "$results" --json "$TMP/rk.json" \
  >"$TMP/rk.txt" 2>"$TMP/rk.err"
rc=$?
set -e
expect_eq "$rc" 1 "report exit code with a killed worker"
grep -q '^worker 1: unfinished' "$TMP/rk.txt" || fail "killed worker not named: $(cat "$TMP/rk.txt")"
grep -q 'worker 1 unfinished' "$TMP/rk.err" || fail "stderr does not name worker 1: $(cat "$TMP/rk.err")"
expect_eq "$(sum "$TMP/rk.json" workers_reported)" 1 "workers_reported with a killed worker"
# what the dead worker's consumer held and nobody read is still in Kafka:
# unconsumed, never lost (the verdict fails on the worker, named above)
expect_eq "$(sum "$TMP/rk.json" lost)" 0 "lost with a killed worker"
unread=$(sum "$TMP/rk.json" unconsumed)
if [ "$unread" -gt 0 ]; then
  grep -q "$unread delivered messages were not read, not lost" "$TMP/rk.err" ||
    fail "the unread messages are not explained: $(cat "$TMP/rk.err")"
fi
ok "killed worker: lost 0, $unread unread messages called unconsumed"

# 2b. a worker interrupted with SIGINT ends in order (exit 130, its final
# state written) and fails the run, named
topic=$(fresh_topic int)
start_workers ri_$$ 2 "$topic" partitions=4 records=20000 rate=4000 idle_timeout=3 \
  batch_size=1000 --json "$TMP/ri.json.@I@"
for ((t = 0; t < 600; t++)); do
  grep -q produce_batch "$TMP/ri.json.1" 2>/dev/null && break
  sleep 0.1
done
kill -INT "${PIDS[1]}"
set +e
wait "${PIDS[1]}"
rc=$?
set -e
expect_eq "$rc" 130 "exit code of the interrupted worker"
wait "${PIDS[0]}" || fail "the other worker exited with $?"
set +e
"$KENGINE" report ri_$$ -b "$BROKERS" --results "$results" >"$TMP/ri.txt" 2>"$TMP/ri.err"
rc=$?
set -e
expect_eq "$rc" 1 "report exit code with an interrupted worker"
grep -q '^worker 1: failed, sent' "$TMP/ri.txt" || fail "interrupted worker: $(cat "$TMP/ri.txt")"
grep -q 'worker 1 was interrupted (signal 2: exit code 130)' "$TMP/ri.err" ||
  fail "stderr does not name worker 1: $(cat "$TMP/ri.err")"

# 3. a missing worker fails the start barrier, naming it
topic=$(fresh_topic miss)
set +e
KENGINE_WORKER=0 KENGINE_RUN_ID=rm_$$ "$KENGINE" "${common[@]}" topic="$topic" workers=3 \
  records=3000 start_timeout=3 2>"$TMP/rm.err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code of a worker whose peers never came"
grep -q "worker 1, 2 did not join within 3 s" "$TMP/rm.err" ||
  fail "missing workers not named: $(cat "$TMP/rm.err")"
set +e
"$KENGINE" report rm_$$ -b "$BROKERS" --results "$results" >"$TMP/rm.txt" 2>&1
rc=$?
set -e
expect_eq "$rc" 1 "report exit code after a failed barrier"
grep -q '^worker 2: missing' "$TMP/rm.txt" || fail "report does not name worker 2: $(cat "$TMP/rm.txt")"

# 4. a worker index claimed twice, mid-run: an error for the second
# claimant, which never joins the run's consumer group (the run stays whole)
topic=$(fresh_topic dup)
start_workers rd_$$ 2 "$topic" partitions=4 records=12000 rate=3000 batch_size=1000 \
  --json "$TMP/rd.json.@I@"
for ((t = 0; t < 600; t++)); do
  grep -q produce_batch "$TMP/rd.json.1" 2>/dev/null && break
  sleep 0.1
done
grep -q produce_batch "$TMP/rd.json.1" || fail "run rd never started sending"
set +e
KENGINE_WORKER=0 KENGINE_RUN_ID=rd_$$ "$KENGINE" "${common[@]}" topic="$topic" workers=2 \
  records=12000 partitions=4 2>"$TMP/rd.second.err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code of the second claimant of index 0"
grep -q "worker index 0 is already taken" "$TMP/rd.second.err" ||
  fail "duplicate not explained: $(cat "$TMP/rd.second.err")"
wait_all
"$KENGINE" report rd_$$ -b "$BROKERS" --results "$results" --json "$TMP/rd.json" -q ||
  fail "report exit $? after a duplicate was turned away"
expect_whole "$TMP/rd.json" 12000 "run with a turned-away duplicate"

# 5. two runs at once on one topic stay apart
topic=$(fresh_topic two)
start_workers ra_$$ 2 "$topic" partitions=4 records=10000
a_pids=("${PIDS[@]}")
start_workers rb_$$ 2 "$topic" partitions=4 records=6000
PIDS+=("${a_pids[@]}")
# run A's report starts before its workers end: --wait waits for them
"$KENGINE" report ra_$$ -b "$BROKERS" --results "$results" --json "$TMP/ra.json" -q \
  --wait 120 2>"$TMP/ra.err" &
report_a=$!
wait_all
wait "$report_a" || fail "report A exit $? ($(cat "$TMP/ra.err"))"
grep -q "waiting up to 120 s for the workers of run 'ra_$$'" "$TMP/ra.err" ||
  fail "report A did not wait: $(cat "$TMP/ra.err")"
"$KENGINE" report rb_$$ -b "$BROKERS" --results "$results" --json "$TMP/rb.json" -q ||
  fail "report B exit $?"
expect_whole "$TMP/ra.json" 10000 "run A beside run B"
expect_whole "$TMP/rb.json" 6000 "run B beside run A"

# 6. one command on one machine: local workers on the embedded broker
"$KENGINE" lua/seed.lua records=20000 batch_size=5000 workers=2 -q --json "$TMP/local.json" \
  2>"$TMP/local.err" || fail "workers=2 on the embedded broker exit $? ($(cat "$TMP/local.err"))"
expect_whole "$TMP/local.json" 20000 "2 local workers"
expect_eq "$(sum "$TMP/local.json" workers_reported)" 2 "local workers reported"
# two consumers in each worker: four members of one group
"$KENGINE" lua/seed.lua records=20000 batch_size=5000 workers=2 consumers=2 partitions=4 -q \
  --json "$TMP/local2.json" 2>"$TMP/local2.err" ||
  fail "workers=2 consumers=2 exit $? ($(cat "$TMP/local2.err"))"
expect_whole "$TMP/local2.json" 20000 "2 local workers of 2 consumers"

# 6b. a worker that comes late to a group already up (embedded broker): the
# mock's coordinator holds such a join for session.timeout.ms - 1 s (44 s
# with librdkafka's default), which made local launches stall now and then;
# kengine's shorter session on the embedded broker lets the run start well
# within start_timeout=25
"$KENGINE" broker --topic late:2 >"$TMP/late.addr" 2>"$TMP/late.berr" &
late_broker=$!
late1=
trap 'kill $late_broker $late1 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/late.addr" ] && break; sleep 0.05; done
late_addr=$(head -n 1 "$TMP/late.addr")
[[ "$late_addr" =~ ^127\.0\.0\.1:[0-9]+ ]] || fail "kengine broker printed no address"
# (without -q: "waiting for the others" is a notice, which -q silences)
late=(lua/seed.lua -b "$late_addr" topic=late records=8000 batch_size=1000 workers=2
  run_id="late_$$" start_timeout=25)
"$KENGINE" "${late[@]}" worker=1 >/dev/null 2>"$TMP/late.1.err" &
late1=$!
# worker 1's consumer holds the partitions (the group is up) before worker 0 starts
for ((t = 0; t < 300; t++)); do
  grep -q "waiting for the others" "$TMP/late.1.err" && break
  sleep 0.1
done
grep -q "waiting for the others" "$TMP/late.1.err" || fail "worker 1 never reached the barrier"
"$KENGINE" "${late[@]}" worker=0 >/dev/null 2>"$TMP/late.0.err" ||
  fail "the late worker 0 exited with $? ($(cat "$TMP/late.0.err"))"
wait "$late1" || fail "worker 1 exited with $? ($(cat "$TMP/late.1.err"))"
"$KENGINE" report "late_$$" -b "$late_addr" --json "$TMP/late.json" -q ||
  fail "report of the late run exit $?"
kill "$late_broker"
wait "$late_broker" 2>/dev/null || true
trap 'rm -rf "$TMP"' EXIT
expect_whole "$TMP/late.json" 8000 "a worker late to the group on the embedded broker"

# 7. report's own usage errors
set +e
"$KENGINE" report 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 2 "report without a run id"
set +e
"$KENGINE" report no_such_run_$$ -b "$BROKERS" --results "$results" 2>"$TMP/none.err"; rc=$?
set -e
expect_eq "$rc" 1 "report of an unknown run"
grep -q "no record of run 'no_such_run_$$'" "$TMP/none.err" || fail "unknown run not named"
