#!/usr/bin/env bash
# A suite of broken scenarios ends red: a syntax error and an error thrown
# while loading each fail with a clear message; "0 passed, 2 failed"; the
# JUnit file records both failures; the exit code is non-zero.
source "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/suite"
printf 'return {\n  records = 10\n  batch_size = 5,\n}\n' >"$TMP/suite/a_syntax.lua"
printf 'local x = 1\nerror("refusing to load")\n' >"$TMP/suite/b_throws.lua"
set +e
"$KENGINE" test --junit "$TMP/j.xml" "$TMP/suite" >"$TMP/out" 2>&1
rc=$?
set -e
cat "$TMP/out"
expect_eq "$rc" 1 "exit code of a red suite"
tail -n 1 "$TMP/out" | grep -qx "0 passed, 2 failed" || fail "last line"
grep -q "FAIL .*a_syntax.lua.*a_syntax.lua:3:" "$TMP/out" || fail "no file:line for the syntax error"
grep -q "FAIL .*b_throws.lua.*b_throws.lua:2: refusing to load" "$TMP/out" ||
  fail "no message for the thrown error"
python3 - "$TMP/j.xml" <<'PY' || fail "JUnit"
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert s.get("failures") == "2" and len(s.findall("testcase/failure")) == 2
PY
ok "broken suite is red with clear messages"
