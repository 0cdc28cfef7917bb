#!/usr/bin/env bash
# Odd but valid CSVs (UTF-8 text, BOM, CRLF, quoted commas/quotes/newlines,
# one data row, empty fields, no final newline) reach the real Kafka as
# exactly their rows, replicated cyclically, in every format; the batch word
# figures are exact.
source "$(dirname "$0")/lib.sh"
need_kafka
d="$TMP/csv"; mkdir -p "$d"
printf '\xef\xbb\xbfid,text\r\n1,caf\xc3\xa9 na\xc3\xafve \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\r\n2,"a, b"\r\n' >"$d/bom_crlf.csv"
printf 'a,b,c\n"line one\nline two","say ""hi""",\n,,\n"x\r\ny",  spaced  ,z' >"$d/quoted.csv"
printf 'only,row\n1,2\n' >"$d/one_row.csv"
printf 'h1,h2\n\n"",x\n\ny,""\n' >"$d/blank_lines.csv"
printf 'k,v\n1,tab\there\n2,"multi\n\nline"\n' >"$d/tabs.csv"
for f in "$d"/*.csv; do
  name=$(basename "$f" .csv)
  for fmt in json csv dict; do
    topic=$(fresh_topic "odd_${name}_$fmt")
    "$KENGINE" lua/seed.lua -q --json "$TMP/o.json" -b "$BROKERS" topic="$topic" \
      csv="$f" format="$fmt" records=7 batch_size=3 || fail "$name/$fmt: exit $?"
    python3 tests/integration/check_batches.py "$f" "$fmt" 7 3 "$TMP/o.json" ||
      fail "$name/$fmt: batch figures"
    kcat -C -b "$BROKERS" -t "$topic" -o beginning -c 7 -e -q -f '%S %s' >"$TMP/raw" ||
      fail "$name/$fmt: kcat"
    python3 tests/integration/check_topic.py "$f" "$fmt" 7 "$TMP/raw" ||
      fail "$name/$fmt: topic contents"
  done
  ok "$name"
done
