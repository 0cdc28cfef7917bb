#!/usr/bin/env bash
# kengine test's JUnit file (issue 25, item 10): a passing scenario's
# system-out holds its summary and thresholds, not only the broker notice; a
# failure's message names the failed threshold once (the element's text says
# the exit code, not the message again).
source "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/suite"
cat >"$TMP/suite/a_pass.lua" <<'L'
return { csv = "sample.csv", records = 1000, batch_size = 500, thresholds = { lost = "== 0" } }
L
cat >"$TMP/suite/b_fail.lua" <<'L'
return { csv = "sample.csv", records = 1000, batch_size = 500, thresholds = { delivered = "> 1e9" } }
L
cat >"$TMP/suite/c_big.lua" <<'L'
return { csv = "sample.csv", records = 20000, batch_size = 5000, thresholds = { bytes = "< 1" } }
L
set +e
env -u KENGINE_BROKERS "$KENGINE" test --junit "$TMP/j.xml" "$TMP/suite" >"$TMP/out" 2>&1
rc=$?
set -e
cat "$TMP/out"
expect_eq "$rc" 1 "exit code of a suite with a failure"
# figures of a million and more in plain digits, in the message as in the text
grep -Eq "FAIL .*c_big.lua.*: threshold 'bytes < 1' failed: actual [0-9]{7,}, off by [0-9]{7,} \(" \
  "$TMP/out" || fail "a big actual value is not in plain digits"
python3 - "$TMP/j.xml" <<'PY' || fail "JUnit contents"
import sys, xml.etree.ElementTree as ET
cases = {c.get("name").rsplit("/", 1)[-1]: c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
out = cases["a_pass.lua"].find("system-out").text or ""
assert "summary" in out and "threshold lost == 0: actual 0, pass" in out, repr(out)
f = cases["b_fail.lua"].find("failure")
msg, body = f.get("message"), f.text or ""
assert "threshold 'delivered > 1e9' failed" in msg, msg
assert "delivered > 1e9" not in body, ("the text repeats the message", body)
assert body.startswith("exit 3"), body
assert "threshold delivered > 1e9: actual 1000, FAIL" in (cases["b_fail.lua"].find("system-out").text or "")
PY
ok "JUnit: summaries in system-out, each failure named once"
