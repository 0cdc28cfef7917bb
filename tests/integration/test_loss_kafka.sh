#!/usr/bin/env bash
# Loss that Kafka really causes, counted to the message. N records are
# produced (consume=false) to a fresh 3-partition topic on the real Kafka;
# Kafka's own Admin API (DeleteRecordsCommand from the kafka-tools jar,
# which scripts/kafka.sh caches) then deletes the records below offset K of
# the fullest partition; a consume-only run must report lost = K exactly,
# name the missing sequence numbers as ranges, and exit 1 (loss).
#
# The oracle does not come from kengine: each CSV row carries its own
# number, so row i is the record with sequence number i (records = rows),
# and kcat reads which numbers sit below offset K before they are deleted.
source "$(dirname "$0")/lib.sh"
need_kafka
N=30000
topic=$(fresh_topic loss)

python3 - "$TMP/seq.csv" "$N" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("n,text\n")
    for i in range(int(sys.argv[2])):
        f.write(f"{i},row {i}\n")
PY
# sticky.partitioning.linger.ms=0: each record to a random partition, so the
# deleted records are scattered over many ranges of sequence numbers
RUN=("$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$topic" csv="$TMP/seq.csv" records=$N
     batch_size=5000 partitions=3 format=csv producer.sticky.partitioning.linger.ms=0)

# 1. Produce only.
"${RUN[@]}" --json "$TMP/produce.json" consume=false 2>"$TMP/produce.err" ||
  { cat "$TMP/produce.err" >&2; fail "produce run failed"; }
expect_eq "$(json_get "$TMP/produce.json" summary delivered)" $N "produced"

# 2. The oracle: partition, offset and sequence number of every record.
kcat -b "$BROKERS" -C -t "$topic" -o beginning -e -q -f '%p %o %s\n' >"$TMP/log.txt" ||
  fail "kcat could not read $topic"
python3 - "$TMP/log.txt" "$N" >"$TMP/plan" <<'PY'
import collections, sys
parts = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p, o, value = line.rstrip("\n").split(" ", 2)
    parts[int(p)].append((int(o), int(value.split(",")[0])))
assert sum(len(v) for v in parts.values()) == int(sys.argv[2]), "kcat read a different count"
p = max(parts, key=lambda q: len(parts[q]))
recs = sorted(parts[p])
assert [o for o, _ in recs] == list(range(len(recs))), "offsets not 0..n-1"
k = len(recs) // 2
gone = sorted(seq for o, seq in recs if o < k)
ranges = []
for seq in gone:
    if ranges and ranges[-1][1] == seq - 1:
        ranges[-1][1] = seq
    else:
        ranges.append([seq, seq])
# kengine's wording: the first 8 ranges, then "and N more range(s)"
shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:8]]
desc = ", ".join(shown)
if len(ranges) > 8:
    more = len(ranges) - 8
    desc += f" and {more} more range" + ("" if more == 1 else "s")
print(p, k, len(ranges))
print(desc)
PY
read -r P K NRANGES <"$TMP/plan"
EXPECT_DESC=$(sed -n 2p "$TMP/plan")
[ "$NRANGES" -gt 8 ] || fail "only $NRANGES ranges below offset $K of partition $P (random partitioning should scatter them)"
ok "partition $P: deleting offsets below $K ($NRANGES ranges of sequence numbers)"

# 3. DeleteRecords through Kafka's Admin API.
printf '{"partitions":[{"topic":"%s","partition":%s,"offset":%s}],"version":1}\n' \
  "$topic" "$P" "$K" >"$TMP/delete.json"
scripts/kafka.sh tool org.apache.kafka.tools.DeleteRecordsCommand \
  --bootstrap-server "$BROKERS" --offset-json-file "$TMP/delete.json" >"$TMP/delete.out" 2>&1 ||
  { cat "$TMP/delete.out" >&2; fail "DeleteRecordsCommand failed"; }
grep -q "partition: $topic-$P[[:space:]]*low_watermark: $K" "$TMP/delete.out" ||
  { cat "$TMP/delete.out" >&2; fail "DeleteRecordsCommand did not report low_watermark $K"; }
low=$(kcat -b "$BROKERS" -Q -t "$topic:$P:-2" 2>/dev/null | sed -n 's/.* offset \([0-9]*\)$/\1/p')
expect_eq "$low" "$K" "partition $P's first offset after DeleteRecords"

# 4. Consume only: lost = K, the ranges named, exit 1.
rc=0
"${RUN[@]}" --json "$TMP/consume.json" produce=false group="$topic-check" idle_timeout=3 \
  2>"$TMP/consume.err" || rc=$?
s=$TMP/consume.json
expect_eq "$rc" 1 "consume-only run: exit code (loss)"
expect_eq "$(json_get "$s" summary lost)" "$K" "lost"
expect_eq "$(json_get "$s" summary consumed)" "$((N - K))" "consumed"
expect_eq "$(json_get "$s" summary duplicates)" 0 "duplicates"
expect_eq "$(json_get "$s" summary missing)" "$EXPECT_DESC" "missing sequence numbers"
grep -qF "kengine: $K messages lost (sequence numbers $EXPECT_DESC), 0 duplicated" \
  "$TMP/consume.err" || { cat "$TMP/consume.err" >&2; fail "no loss line on stderr"; }
ok "stderr: $(grep -F 'messages lost' "$TMP/consume.err")"
