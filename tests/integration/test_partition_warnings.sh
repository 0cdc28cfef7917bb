#!/usr/bin/env bash
# An existing topic with too few partitions is used, but not silently
# (issue 25, item 8): fewer than `partitions` asked gives a warning on the
# real Kafka; a shared run whose topic has fewer partitions than the group's
# consumers warns that some read nothing (the others read their share, so
# nothing is lost: a warning, not an error).
source "$(dirname "$0")/lib.sh"
need_kafka
t=$(fresh_topic pw)
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$t" partitions=1 records=500 batch_size=250 ||
  fail "creating run: exit $?"
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$t" partitions=3 records=500 batch_size=250 \
  --json "$TMP/a.json" 2>"$TMP/err" || { cat "$TMP/err"; fail "exit $?"; }
grep -q "^kengine: warning: topic '$t' exists with 1 partition, fewer than partitions=3 asked" \
  "$TMP/err" || { cat "$TMP/err"; fail "no warning about the partitions"; }
expect_whole "$TMP/a.json" 500 "run on the existing topic"
ok "$(cat "$TMP/err")"

# two local workers on that topic of 1 partition
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$t" records=2000 batch_size=500 workers=2 -q \
  --json "$TMP/w.json" 2>"$TMP/werr" || { cat "$TMP/werr"; fail "workers=2: exit $?"; }
grep -q "warning: topic '$t' has 1 partition for 2 workers x 1 consumer: 1 consumer gets no partition and reads nothing" \
  "$TMP/werr" || { cat "$TMP/werr"; fail "no warning about the workers' partitions"; }
[ "$(grep -c "gets no partition" "$TMP/werr")" = 1 ] || fail "the warning is said more than once"
expect_whole "$TMP/w.json" 2000 "2 workers on 1 partition"
ok "workers without partitions warned once"
