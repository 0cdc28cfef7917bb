#!/usr/bin/env bash
# librdkafka's own lines reach stderr in kengine's format, never raw
# ("%4|...|FAC|rdkafka#producer-1| ..."): a real problem (a configuration
# warning) always, a transient one (a refused connection to a dead
# bootstrap address, retried by librdkafka; sparse connections off so the
# clients connect to every bootstrap address) only with -v. Real Kafka.
source "$(dirname "$0")/lib.sh"
need_kafka
args=(lua/seed.lua -b "127.0.0.1:1,$BROKERS" records=2000 batch_size=1000 -q
      producer.group.id=x producer.enable.sparse.connections=false
      consumer.enable.sparse.connections=false)
"$KENGINE" "${args[@]}" topic="$(fresh_topic log)" 2>"$TMP/quiet.err" || fail "run failed"
cat "$TMP/quiet.err"
if grep -E '^%[0-9]\|' "$TMP/quiet.err"; then fail "raw librdkafka lines (above)"; fi
grep -q '^kengine: producer: Configuration property group.id is a consumer property and will be ignored by this producer instance (librdkafka CONFWARN)$' \
  "$TMP/quiet.err" || fail "the configuration warning is not shown in kengine's format"
if grep 'Connection refused' "$TMP/quiet.err"; then fail "a transient line without -v"; fi
ok "without -v: the real problem in kengine's format, no transient line, nothing raw"

"$KENGINE" "${args[@]}" -v topic="$(fresh_topic log)" 2>"$TMP/verbose.err" || fail "run -v failed"
if grep -E '^%[0-9]\|' "$TMP/verbose.err"; then fail "raw librdkafka lines with -v (above)"; fi
grep -Eq '^kengine: (producer|consumer): .*Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused.* \(librdkafka [A-Z]+\)$' \
  "$TMP/verbose.err" || fail "-v: no transient line in kengine's format: $(cat "$TMP/verbose.err")"
ok "with -v: $(grep -m1 'Connection refused' "$TMP/verbose.err")"
