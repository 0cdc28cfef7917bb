#!/usr/bin/env bash
# test_kafka_sh: scripts/kafka.sh starts on any cluster id it can make.
# It once passed the id as a separate argument ("-t ID"), and the one id in
# 64 that starts with '-' was taken for an option: the start failed at once
# ("argument --cluster-id/-t: expected one argument"). Checked here on the
# piece that failed: ids of the right shape, and a real start with an id
# that starts with '-', in a state dir of its own (beside test.sh's broker).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# 1. The ids: 22 characters of the URL-safe base64 alphabet, all distinct.
ids=$TMP/ids
for _ in $(seq 1 300); do scripts/kafka.sh cluster-id; done >"$ids"
bad=$(grep -cvE '^[A-Za-z0-9_-]{22}$' "$ids" || true)
expect_eq "$bad" 0 "cluster ids not 22 URL-safe base64 characters"
expect_eq "$(sort -u "$ids" | wc -l)" 300 "distinct cluster ids of 300"

# 2. A start with an id that starts with '-' (made the way start makes them).
dash=""
for _ in $(seq 1 2000); do
  id=$(scripts/kafka.sh cluster-id)
  case $id in -*) dash=$id; break ;; esac
done
[ -n "$dash" ] || fail "no cluster id starting with '-' in 2000 tries"
export KENGINE_KAFKA_STATE=$TMP/state
trap 'scripts/kafka.sh stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
addr=$(KENGINE_KAFKA_CLUSTER_ID=$dash scripts/kafka.sh start 2>"$TMP/start.log") ||
  { cat "$TMP/start.log" >&2; fail "kafka.sh start with cluster id $dash"; }
ok "started with cluster id $dash at $addr"
grep -q -- "cluster id $dash" "$TMP/start.log" || fail "start did not use the given id"
meta=$(grep -h 'cluster.id' "$(cat "$TMP/state/datadir")/meta.properties")
expect_eq "$meta" "cluster.id=$dash" "meta.properties"
scripts/kafka.sh status >/dev/null || fail "status after start"
scripts/kafka.sh stop 2>/dev/null
if scripts/kafka.sh status >/dev/null; then fail "status after stop"; fi
ok "stopped"
