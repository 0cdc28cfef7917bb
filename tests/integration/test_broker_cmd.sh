#!/usr/bin/env bash
# `kengine broker` serves other clients: its address is the first line of
# stdout; kcat produces to and consumes from it, and kengine uses it too.
source "$(dirname "$0")/lib.sh"
"$KENGINE" broker --topic words:3 --topic full:1 >"$TMP/addr" 2>"$TMP/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -s "$TMP/addr" ] && break; sleep 0.1; done
addr=$(head -n 1 "$TMP/addr")
[[ "$addr" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "first line of stdout is '$addr'"
ok "address $addr"
seq 1 500 | kcat -P -b "$addr" -t words
n=$(kcat -C -b "$addr" -t words -o beginning -c 500 -e -q | wc -l)
expect_eq "$n" 500 "messages read back with kcat"
# a topic nobody created: made on first use with 4 partitions
seq 1 10 | kcat -P -b "$addr" -t fresh_topic
parts=$(kcat -L -b "$addr" -t fresh_topic | grep -c "partition ")
expect_eq "$parts" 4 "partitions of an auto-created topic"
# kengine against it, as an external broker (topic auto-created, with a note)
"$KENGINE" lua/seed.lua -q --json "$TMP/o.json" -b "$addr" topic=from_kengine \
  records=2000 batch_size=500 2>"$TMP/kerr" || { rc=$?; cat "$TMP/kerr"; fail "kengine exit $rc"; }
grep -q "cannot create topics" "$TMP/kerr" || fail "no note that the broker cannot create topics"
ok "kengine notes that this broker creates topics on first use"
expect_eq "$(json_get "$TMP/o.json" summary consumed)" 2000 consumed
expect_eq "$(json_get "$TMP/o.json" summary lost)" 0 lost
# more than a partition keeps (about 5 MiB: 25000 rows of the seed are
# about 7.7 MB): the broker says, when it happens, which partition dropped
# how many records (kcat reads back what is left)
grep -q "partition [0-9]* dropped" "$TMP/err" && fail "a drop reported before any: $(cat "$TMP/err")"
"$KENGINE" lua/seed.lua -q -b "$addr" topic=full records=25000 consume=false 2>/dev/null ||
  fail "producing 25000 records to the broker: exit $?"
for _ in $(seq 50); do grep -q "partition [0-9]* dropped" "$TMP/err" && break; sleep 0.1; done
line=$(grep -m1 "topic 'full' partition 0 dropped [0-9]* records" "$TMP/err") ||
  fail "no line about the dropped records: $(cat "$TMP/err")"
ok "$line"
kill -INT $pid
wait $pid || fail "broker exit code $? after SIGINT"
ok "broker stops on SIGINT"
