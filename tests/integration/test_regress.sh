#!/usr/bin/env bash
# Our own regression suite (tests/regress) through `kengine test` on the real
# Kafka: every scenario passes and the JUnit file is valid and complete.
source "$(dirname "$0")/lib.sh"
need_kafka
"$KENGINE" test --junit "$TMP/junit.xml" brokers="$BROKERS" tests/regress | tee "$TMP/out" ||
  fail "the regression suite failed"
n=$(ls tests/regress/*.lua | wc -l)
tail -n 1 "$TMP/out" | grep -qx "$n passed, 0 failed" || fail "last line: $(tail -n 1 "$TMP/out")"
python3 - "$TMP/junit.xml" "$n" <<'PY' || fail "invalid JUnit file"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
cases = suite.findall("testcase")
assert len(cases) == int(sys.argv[2]), len(cases)
assert suite.get("failures") == "0", suite.get("failures")
assert all(c.find("failure") is None for c in cases)
assert all(float(c.get("time")) > 0 for c in cases)
print(f"junit: {len(cases)} testcases, 0 failures")
PY
