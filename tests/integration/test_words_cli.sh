#!/usr/bin/env bash
# `kengine words` gives exactly Python's split()/set() figures per batch.
source "$(dirname "$0")/lib.sh"
python3 tests/unit/csv_reference.py sample.csv --format json --records 25000 >"$TMP/msgs"
printf 'tab\there\x0bvt\x0cff\r\n  lead\n\n\xff\xfe bytes \xc3\xa9\n' >>"$TMP/msgs"
"$KENGINE" words --batch 4000 "$TMP/msgs" | grep '^batch' >"$TMP/c.txt"
python3 tests/unit/words_reference.py "$TMP/msgs" --batch 4000 | grep '^batch' >"$TMP/p.txt"
diff "$TMP/c.txt" "$TMP/p.txt" || fail "kengine words differs from Python"
ok "$(wc -l <"$TMP/c.txt") batches identical"
"$KENGINE" words --json --batch 4000 - <"$TMP/msgs" | python3 -c '
import json,sys
ev=[json.loads(l) for l in sys.stdin]
assert ev[-1]["type"]=="words_summary" and ev[-1]["messages"]==25004, ev[-1]' ||
  fail "--json from stdin"
ok "NDJSON from stdin"
