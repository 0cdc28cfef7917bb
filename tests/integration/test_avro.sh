#!/usr/bin/env bash
# format = "avro" on the real Kafka and a real schema registry (Apicurio,
# scripts/registry.sh), issue 20 part 1:
#   1. an all-strings Avro run of sample.csv reports, batch by batch, the
#      same words and distinct words as the JSON run of the same CSV (the
#      consumer renders each decoded record as the json format's text);
#   2. confluent-kafka's AvroDeserializer (an independent reader, through
#      the same registry) reads back every record of a run with
#      avro_types = "id:int,rating:int", each equal to its CSV row with
#      those types, and every record of the all-strings run as strings;
#   3. bad input: a value that does not convert (exit 2 naming the file,
#      line and column), a registry that refuses the schema (an
#      incompatible change: exit 2 with the registry's message), a registry
#      that does not answer (exit 1 naming the URL, password left out).
source "$(dirname "$0")/lib.sh"
need_kafka
PY=${HOME:-/root}/.cache/kengine/avro-venv/bin/python
"$PY" -c 'import fastavro, confluent_kafka' 2>/dev/null ||
  fail "no $PY with fastavro and confluent-kafka (scripts/deps.sh test makes it)"
export KENGINE_REGISTRY_STATE=$TMP/registry
trap 'bash "$ROOT/scripts/registry.sh" stop; rm -rf "$TMP"' EXIT
REG=$(bash "$ROOT/scripts/registry.sh" start)/apis/ccompat/v7
ok "registry at $REG"

N=3000
run() { # TOPIC NDJSON ARGS...: a run of sample.csv, N records, batches of 1000
  local topic=$1 out=$2
  shift 2
  "$KENGINE" lua/seed.lua -b "$BROKERS" topic="$topic" records=$N batch_size=1000 -q \
    --json "$out" "$@" >/dev/null || fail "run of $topic exited $?"
}
batches() { # NDJSON: "words unique_words" of each consume batch, in order
  python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("type") == "consume_batch":
        print(e["batch"], e["words"], e["unique_words"])
PY
}

# 1. all strings: the JSON run's words
ta=$(fresh_topic avro) tj=$(fresh_topic json) tt=$(fresh_topic typed)
run "$tj" "$TMP/json.ndjson"
run "$ta" "$TMP/avro.ndjson" format=avro schema_registry="$REG"
expect_whole "$TMP/avro.ndjson" $N "all-strings avro run"
batches "$TMP/json.ndjson" >"$TMP/json.b"
batches "$TMP/avro.ndjson" >"$TMP/avro.b"
expect_eq "$(wc -l <"$TMP/avro.b")" 3 "avro consume batches"
[ "$(awk '{ print $2 }' "$TMP/avro.b" | head -n 1)" -gt 0 ] || fail "no words counted"
cmp -s "$TMP/json.b" "$TMP/avro.b" ||
  fail "per-batch words differ: json $(tr '\n' ' ' <"$TMP/json.b"), avro $(tr '\n' ' ' <"$TMP/avro.b")"
ok "per-batch words and distinct words equal the JSON run's: $(tr '\n' ' ' <"$TMP/avro.b")"
for f in words unique_words_total; do
  v=$(json_get "$TMP/avro.ndjson" summary $f)
  [ "$v" -gt 0 ] || fail "summary $f: $v"
  expect_eq "$v" "$(json_get "$TMP/json.ndjson" summary $f)" "the run's $f, as the JSON run's"
done

# 2. the independent reader
run "$tt" "$TMP/typed.ndjson" format=avro schema_registry="$REG" avro_types=id:int,rating:int
expect_whole "$TMP/typed.ndjson" $N "typed avro run"
"$PY" tests/integration/check_avro.py "$BROKERS" "$tt" "$REG" sample.csv $N id:int,rating:int ||
  fail "AvroDeserializer of the typed run"
"$PY" tests/integration/check_avro.py "$BROKERS" "$ta" "$REG" sample.csv $N "" ||
  fail "AvroDeserializer of the all-strings run"

# ... and a schema from a file (avro_schema): its types, fields by name
cat >"$TMP/row.avsc" <<'AVSC'
{"type": "record", "name": "review", "namespace": "test",
 "fields": [{"name": "id", "type": "int"}, {"name": "user", "type": "string"},
            {"name": "rating", "type": "int"}, {"name": "title", "type": "string"},
            {"name": "body", "type": "string"}]}
AVSC
tf=$(fresh_topic file)
run "$tf" "$TMP/file.ndjson" format=avro schema_registry="$REG" avro_schema="$TMP/row.avsc"
expect_whole "$TMP/file.ndjson" $N "avro_schema run"
"$PY" tests/integration/check_avro.py "$BROKERS" "$tf" "$REG" sample.csv $N id:int,rating:int ||
  fail "AvroDeserializer of the avro_schema run"

# 3. bad input
printf '{"type": "record", "name": "r",\n "fields": [{"name": "id" "type": "int"}]}\n' >"$TMP/bad.avsc"
set +e
"$KENGINE" lua/seed.lua -b "$BROKERS" records=2 topic="$(fresh_topic badschema)" format=avro \
  schema_registry="$REG" avro_schema="$TMP/bad.avsc" -q 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 2 "a schema file that does not parse: exit"
grep -qF "$TMP/bad.avsc: the Avro schema does not parse: Error parsing JSON: '}' expected near '\"type\"'" "$TMP/err" ||
  fail "stderr lacks the file and libavro's reason: $(cat "$TMP/err")"
ok "$(head -n 1 "$TMP/err")"

printf 'id,rating\n1,5\n2,x\n' >"$TMP/bad.csv"
set +e
"$KENGINE" lua/seed.lua -b "$BROKERS" csv="$TMP/bad.csv" records=2 topic="$(fresh_topic bad)" \
  format=avro schema_registry="$REG" avro_types=id:int,rating:int -q 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 2 "a value that does not convert: exit"
grep -qF "$TMP/bad.csv: line 3, column 2 (rating): 'x' is not an int" "$TMP/err" ||
  fail "stderr lacks the line and column: $(cat "$TMP/err")"
ok "$(head -n 1 "$TMP/err")"

subj=kt_compat_$$
curl -fsS -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
  -d '{"schema":"{\"type\":\"record\",\"name\":\"row\",\"namespace\":\"kengine\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"}' \
  "$REG/subjects/$subj/versions" >/dev/null
curl -fsS -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
  -d '{"compatibility":"BACKWARD"}' "$REG/config/$subj" >/dev/null
set +e
"$KENGINE" lua/seed.lua -b "$BROKERS" csv="$TMP/bad.csv" records=2 topic="$(fresh_topic refused)" \
  format=avro schema_registry="$REG" subject="$subj" -q 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 2 "a schema the registry refuses: exit"
grep -q "refused the schema of subject '$subj' (HTTP 409): .*Incompatible" "$TMP/err" ||
  fail "stderr lacks the registry's refusal: $(cat "$TMP/err")"
ok "$(head -n 1 "$TMP/err" | cut -c1-160)"

set +e
timeout 20 "$KENGINE" lua/seed.lua -b "$BROKERS" records=2 topic="$(fresh_topic unreachable)" \
  format=avro schema_registry="http://kengine:secret@127.0.0.1:1/apis/ccompat/v7" -q 2>"$TMP/err"
rc=$?
set -e
expect_eq "$rc" 1 "an unreachable registry: exit"
grep -qF "schema registry http://127.0.0.1:1/apis/ccompat/v7:" "$TMP/err" ||
  fail "stderr lacks the URL: $(cat "$TMP/err")"
if grep -q secret "$TMP/err"; then fail "stderr shows the password: $(cat "$TMP/err")"; fi
ok "$(head -n 1 "$TMP/err")"
