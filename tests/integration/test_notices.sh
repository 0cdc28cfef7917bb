#!/usr/bin/env bash
# What kengine says around a run (issue 25): -q keeps stderr for errors and
# warnings only (no notice that the embedded broker is used); --html says
# where it wrote the page.
source "$(dirname "$0")/lib.sh"
cat >"$TMP/w.lua" <<'L'
return { csv = "sample.csv", records = 2000, batch_size = 1000 }
L
env -u KENGINE_BROKERS "$KENGINE" "$TMP/w.lua" -q --json "$TMP/q.json" 2>"$TMP/err" ||
  { rc=$?; cat "$TMP/err"; fail "exit $rc"; }
[ ! -s "$TMP/err" ] || { cat "$TMP/err"; fail "-q printed notices on stderr"; }
expect_whole "$TMP/q.json" 2000 "-q run"
ok "-q: nothing on stderr"

env -u KENGINE_BROKERS "$KENGINE" "$TMP/w.lua" --html "$TMP/r.html" >"$TMP/out" 2>"$TMP/err" ||
  { rc=$?; cat "$TMP/err"; fail "exit $rc"; }
grep -q "embedded broker" "$TMP/err" || fail "without -q the embedded broker is named"
grep -qF "kengine: wrote the HTML report to $TMP/r.html" "$TMP/err" ||
  { cat "$TMP/err"; fail "--html does not say where it wrote the page"; }
[ -s "$TMP/r.html" ] || fail "no HTML page"
ok "--html names the file it wrote"

# local workers under -q: the launcher's and the workers' notices are
# silenced too (only the merged report's files are written)
env -u KENGINE_BROKERS "$KENGINE" "$TMP/w.lua" workers=2 -q --json "$TMP/w2.json" 2>"$TMP/err" ||
  { rc=$?; cat "$TMP/err"; fail "workers=2 -q: exit $rc"; }
[ ! -s "$TMP/err" ] || { cat "$TMP/err"; fail "workers=2 -q printed notices on stderr"; }
expect_whole "$TMP/w2.json" 2000 "workers=2 -q run"
ok "workers=2 -q: nothing on stderr"
