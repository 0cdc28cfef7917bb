#!/usr/bin/env bash
# Bad input beyond the command line's (see test_cli.sh), on the real Kafka:
# invalid UTF-8 and NUL bytes pass through and stay valid JSON; ragged rows
# are skipped or padded and counted when asked; a record over the size
# limit fails alone, counted and named, or stops the run when asked; a
# folder given as the CSV is named.
source "$(dirname "$0")/lib.sh"
need_kafka

# invalid UTF-8 and NUL bytes
printf 'id,text\n1,ok\xff\xfebytes\n2,nul\x00inside\n3,"quote "" and \x01 control"\n' >"$TMP/bytes.csv"
topic=$(fresh_topic bytes)
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$topic" csv="$TMP/bytes.csv" records=3 \
  batch_size=3 --json "$TMP/b.json" || fail "exit $?"
kcat -C -b "$BROKERS" -t "$topic" -o beginning -c 3 -e -q -f '%S %s' >"$TMP/raw"
python3 - "$TMP/raw" <<'PY' || fail "values are not valid JSON"
import json, sys
raw = open(sys.argv[1], "rb").read()
vals, pos = [], 0
while pos < len(raw):
    sp = raw.index(b" ", pos); n = int(raw[pos:sp]); vals.append(raw[sp+1:sp+1+n]); pos = sp+1+n
rows = [json.loads(v.decode("utf-8")) for v in vals]   # strict: valid UTF-8 and JSON
assert rows[0]["text"] == "ok\u00ff\u00febytes", rows[0]
assert rows[1]["text"] == "nul\u0000inside", rows[1]
assert rows[2]["text"] == 'quote " and \u0001 control', rows[2]
print("ok: invalid UTF-8 and NUL bytes arrive as valid JSON")
PY

# ragged rows
printf 'a,b\n1,2\n3,4,5\n6\n7,8\n' >"$TMP/ragged.csv"
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$(fresh_topic rag)" csv="$TMP/ragged.csv" \
  records=8 batch_size=4 ragged=skip --json "$TMP/s.json" || fail "ragged=skip exit $?"
expect_eq "$(json_get "$TMP/s.json" summary csv_skipped)" 2 "ragged rows skipped"
expect_eq "$(json_get "$TMP/s.json" summary consumed)" 8 "consumed with ragged=skip"
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$(fresh_topic rag)" csv="$TMP/ragged.csv" \
  records=8 batch_size=4 ragged=pad --json "$TMP/p.json" || fail "ragged=pad exit $?"
expect_eq "$(json_get "$TMP/p.json" summary csv_padded)" 2 "ragged rows padded"

# a record over the producer's message size limit (1,000,000 bytes by default)
python3 - "$TMP/big.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,text\n1,small one\n2," + "x" * 1500000 + "\n3,small three\n")
PY
set +e
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$(fresh_topic big)" csv="$TMP/big.csv" \
  records=6 batch_size=3 --json "$TMP/big.json" 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code with oversized records"
expect_eq "$(json_get "$TMP/big.json" summary delivery_errors)" 2 "oversized records counted"
expect_eq "$(json_get "$TMP/big.json" summary delivered)" 4 "the other records delivered"
expect_eq "$(json_get "$TMP/big.json" summary consumed)" 4 "the other records consumed"
expect_eq "$(json_get "$TMP/big.json" summary lost)" 0 "nothing lost"
grep -q "big.csv line 3): message of 15000[0-9][0-9] bytes is larger than" "$TMP/err" ||
  { cat "$TMP/err"; fail "the oversized record is not named"; }
set +e
"$KENGINE" lua/seed.lua -q -b "$BROKERS" topic="$(fresh_topic big)" csv="$TMP/big.csv" \
  records=6 batch_size=3 oversize=stop --json "$TMP/stop.json" 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code with oversize=stop"
expect_eq "$(json_get "$TMP/stop.json" summary sent)" 2 "records sent before the stop"

# a folder as the CSV
set +e
timeout 30 "$KENGINE" lua/seed.lua -b "$BROKERS" csv="$TMP" records=5 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 2 "exit code for a folder as the CSV"
grep -q "$TMP" "$TMP/err" || fail "the folder is not named"
ok "$(head -n 1 "$TMP/err")"

# An unreachable broker with --json -: the stream still ends with a verdict,
# a summary whose error says why, after the run line (issue 25, item 4: it
# ended after the run line); stderr keeps its one line.
set +e
timeout 60 "$KENGINE" lua/seed.lua -q -b 127.0.0.1:1 records=10 --json - >"$TMP/unreach.json" \
  2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code for an unreachable broker"
expect_eq "$(wc -l <"$TMP/err")" 1 "stderr lines for an unreachable broker"
python3 - "$TMP/unreach.json" <<'PY' || fail "the NDJSON has no verdict"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [e["type"] for e in ev] == ["run", "summary"], [e["type"] for e in ev]
assert "cannot reach Kafka at 127.0.0.1:1" in ev[-1]["error"], ev[-1]["error"]
assert ev[-1]["sent"] == 0 and ev[-1]["consumed"] == 0, ev[-1]
print("ok: unreachable broker: the NDJSON ends with a summary: " + ev[-1]["error"])
PY
