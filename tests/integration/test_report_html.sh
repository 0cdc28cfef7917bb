#!/usr/bin/env bash
# test_report_html: `--html` for a run of several workers. `kengine W.lua
# workers=2 --html F` (local launch, embedded broker) writes one page for
# the merged run: the merged summary's figures (equal to the NDJSON
# summary's), every worker's batches on the charts, the run's identity, and
# no external reference; the workers themselves write no page. `kengine
# report --html` to a path it cannot write exits 2 naming it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$KENGINE" lua/seed.lua workers=2 records=8000 batch_size=1000 -q \
  --json "$TMP/r.json" --html "$TMP/r.html" 2>"$TMP/r.err" ||
  { rc=$?; tail -n 20 "$TMP/r.err" >&2; fail "workers=2 --html: exit $rc"; }
[ -s "$TMP/r.html" ] || fail "no page written"
python3 - "$TMP/r.json" "$TMP/r.html" <<'PY' || fail "the page does not show the merged run"
import json, re, sys
events = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in events if e.get("type") == "summary"][-1]
page = open(sys.argv[2]).read()
cells = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', page))
for k in ("delivered", "consumed", "words", "unique_words_total", "lost", "duplicates"):
    assert cells[k].strip() == str(s[k]), (k, cells.get(k), s[k])
assert s["workers"] == 2 and s["delivered"] == 8000, s
# each worker consumed 4 batches of 1000: 8 consume points per consume series
dots = len(re.findall(r"<circle", page))
assert dots >= 8 * 3, dots  # throughput, latency (3 series) and more
assert "local-" in page, "the run id is not on the page"
assert not re.search(r"(src|href)=\"(https?:)?//|@import|url\(", page), "external reference"
print("ok: merged figures on the page,", dots, "points")
PY
ok "one page for the merged run of 2 workers"

rc=0
"$KENGINE" report some-run -b 127.0.0.1:1 --html /nonexistent/dir/x.html 2>"$TMP/e.err" || rc=$?
expect_eq "$rc" 2 "report --html to an unwritable path: exit code"
grep -q "/nonexistent/dir/x.html" "$TMP/e.err" || fail "the error does not name the path: $(cat "$TMP/e.err")"
ok "$(cat "$TMP/e.err")"
