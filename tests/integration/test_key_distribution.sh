#!/usr/bin/env bash
# test_key_distribution: synthetic keys on the real Kafka, 8 partitions.
# Uniform keys spread messages evenly; zipf keys visibly skew them; the
# summary's per-partition counts agree with where the messages really are
# (read back with kcat) and with the HTML report's chart; the same seed
# gives the same keys.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kafka
N=16000

run() { # NAME ARGS...: NDJSON in $TMP/NAME.json, topic in $topic
  local name=$1
  shift
  topic=$(fresh_topic "$name")
  "$KENGINE" lua/seed.lua -q --json "$TMP/$name.json" -b "$BROKERS" topic="$topic" \
    records=$N batch_size=2000 partitions=8 key_count=1000 "$@" ||
    fail "$name: exit $?"
  expect_whole "$TMP/$name.json" $N "$name"
}

# spread NDJSON: max/mean of the summary's consumed per partition
spread() {
  python3 - "$1" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
parts = s["partitions"]["consumed"]
assert len(parts) == 8, parts
assert sum(parts) == s["consumed"], (parts, s["consumed"])
assert s["partitions"]["delivered"] == parts, s["partitions"]
print("%.3f" % (max(parts) / (sum(parts) / len(parts))))
PY
}

run uniform key_distribution=uniform seed=11
u=$(spread "$TMP/uniform.json") || fail "uniform: per-partition figures"
python3 -c "import sys; sys.exit(0 if $u < 1.15 else 1)" || fail "uniform: max/mean $u, not even"
ok "uniform keys: max/mean per partition $u"

# kcat agrees with the summary: messages per partition, keys of the form key-N
kcat -C -b "$BROKERS" -t "$topic" -o beginning -c $N -e -q -f '%p %k\n' >"$TMP/pk"
python3 - "$TMP/pk" "$TMP/uniform.json" <<'PY' || fail "uniform: kcat disagrees with the summary"
import json, re, sys, collections
count = collections.Counter()
keys = set()
for line in open(sys.argv[1]):
    p, k = line.split()
    assert re.fullmatch(r"key-\d+", k), k
    count[int(p)] += 1
    keys.add(k)
s = [json.loads(l) for l in open(sys.argv[2]) if '"summary"' in l][-1]
assert [count[i] for i in range(8)] == s["partitions"]["consumed"], (count, s["partitions"])
assert 900 < len(keys) <= 1000, len(keys)
PY
ok "kcat: per-partition counts equal the summary's"

run zipf key_distribution=zipf key_skew=1.2 seed=11 --html "$TMP/zipf.html"
z=$(spread "$TMP/zipf.json") || fail "zipf: per-partition figures"
python3 -c "import sys; sys.exit(0 if $z > 1.5 else 1)" || fail "zipf: max/mean $z, not skewed"
ok "zipf keys: max/mean per partition $z"
# the HTML report charts the spread: one bar per partition, the summary's counts
python3 - "$TMP/zipf.json" "$TMP/zipf.html" <<'PY' || fail "zipf: the HTML page does not chart the partitions"
import json, re, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
page = open(sys.argv[2]).read()
m = re.search(r"Messages per partition \(consumed; 8 partitions, max/mean ([0-9.]+)\)(.*?)</svg>", page, re.S)
assert m, "no per-partition chart"
bars = re.findall(r'class="legend"[^>]*>(\d+)<', m.group(2))
assert [int(b) for b in bars] == s["partitions"]["consumed"], (bars, s["partitions"])
print("ok: the page charts", bars, "max/mean", m.group(1))
PY

run zipf2 key_distribution=zipf key_skew=1.2 seed=11
expect_eq "$(json_get "$TMP/zipf2.json" summary partitions.consumed)" \
  "$(json_get "$TMP/zipf.json" summary partitions.consumed)" "same seed, same spread"
