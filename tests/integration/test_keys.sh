#!/usr/bin/env bash
# key = a CSV column: messages with the same key land in the same partition
# of a 3-partition topic on the real Kafka; nothing lost or duplicated.
source "$(dirname "$0")/lib.sh"
need_kafka
topic=$(fresh_topic keys)
"$KENGINE" lua/seed.lua -q --json "$TMP/o.json" -b "$BROKERS" topic="$topic" \
  records=4000 batch_size=1000 partitions=3 key=user || fail "exit $?"
expect_eq "$(json_get "$TMP/o.json" summary consumed)" 4000 consumed
expect_eq "$(json_get "$TMP/o.json" summary lost)" 0 lost
kcat -C -b "$BROKERS" -t "$topic" -o beginning -c 4000 -e -q -f '%p %k\n' >"$TMP/pk"
python3 - "$TMP/pk" <<'PY' || fail "a key spans partitions"
import sys, collections
parts = collections.defaultdict(set)
for line in open(sys.argv[1]):
    p, k = line.split(" ", 1)
    parts[k.strip()].add(p)
assert len(parts) > 10, len(parts)
bad = [k for k, ps in parts.items() if len(ps) != 1]
assert not bad, bad[:5]
used = set(p for ps in parts.values() for p in ps)
assert len(used) == 3, used
PY
ok "every key in exactly one partition, all 3 partitions used"
