#!/usr/bin/env bash
# The workflows the docs show work as written from a fresh start (issue 25,
# item 13). Each code block after a '<!-- run as written by
# tests/integration/test_doc_workflows.sh -->' line is taken from the docs
# (so the test cannot drift from them) and run twice in an empty directory
# under `bash -e`, with `kengine` on PATH: the first run has no baseline yet
# and must pass and leave one; the second is gated against it (exit 0, or 3
# naming a regression: two runs on a busy machine may differ, never exit 2).
source "$(dirname "$0")/lib.sh"
need_kafka
mkdir -p "$TMP/bin"
ln -s "$KENGINE" "$TMP/bin/kengine"
export PATH="$TMP/bin:$PATH" BROKERS

# block FILE N: the Nth marked block of FILE
block() {
  python3 - "$1" "$2" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
n, found, out = int(sys.argv[2]), 0, None
for i, l in enumerate(lines):
    if l.strip() == "<!-- run as written by tests/integration/test_doc_workflows.sh -->":
        found += 1
        if found == n:
            j = i + 2  # past the fence
            out = []
            while not lines[j].startswith("```"):
                out.append(lines[j]); j += 1
            break
if out is None:
    sys.exit(f"{sys.argv[1]}: no marked block {n}")
print("\n".join(out))
PY
}

# the CI gate of docs/output-and-figures.md
block docs/output-and-figures.md 1 >"$TMP/ci.sh"
grep -q "kengine compare" "$TMP/ci.sh" || fail "the CI block has no compare: $(cat "$TMP/ci.sh")"
mkdir "$TMP/ci" && ln -s "$ROOT/lua" "$TMP/ci/lua"
(cd "$TMP/ci" && bash -e "$TMP/ci.sh") >"$TMP/ci1.out" 2>&1 ||
  { cat "$TMP/ci1.out"; fail "the CI snippet fails on its first run (exit $?)"; }
[ -s "$TMP/ci/baseline/last.ndjson" ] || fail "the first run left no baseline"
ok "CI snippet, first run: passes, baseline written"
set +e
(cd "$TMP/ci" && bash -e "$TMP/ci.sh") >"$TMP/ci2.out" 2>&1
rc=$?
set -e
grep -q "^kengine compare: \(no regression\|[0-9]* regression\)" "$TMP/ci2.out" ||
  { cat "$TMP/ci2.out"; fail "the second run was not compared"; }
[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$TMP/ci2.out"; fail "the second run: exit $rc"; }
ok "CI snippet, second run: compared with the first (exit $rc)"

# the baseline gate of docs/writing-workloads.md: a script and its command
block docs/writing-workloads.md 1 >"$TMP/gate.lua"
block docs/writing-workloads.md 2 >"$TMP/gate.sh"
mkdir "$TMP/gate" && cp "$TMP/gate.lua" "$TMP/gate/gate.lua" && ln -s "$ROOT/sample.csv" "$TMP/gate/sample.csv"
(cd "$TMP/gate" && bash -e "$TMP/gate.sh") >"$TMP/g1.out" 2>&1 ||
  { cat "$TMP/g1.out"; fail "the baseline pattern fails on its first run (exit $?)"; }
grep -q "no baseline yet" "$TMP/g1.out" || { cat "$TMP/g1.out"; fail "the first run does not say it has no baseline"; }
[ -s "$TMP/gate/last.ndjson" ] || fail "the first run left no baseline"
ok "baseline pattern, first run: passes, says so, baseline written"
set +e
(cd "$TMP/gate" && bash -e "$TMP/gate.sh") >"$TMP/g2.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$TMP/g2.out"; fail "the second run: exit $rc"; }
python3 - "$TMP/gate/run.ndjson" <<'PY' || { cat "$TMP/g2.out"; fail "the second run was not held against the first"; }
import json, re, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
t = {x["metric"]: x["condition"] for x in s["thresholds"]}
assert re.fullmatch(r">= 0\.5 \* base \(= [0-9.e+]+\)", t["consume_msgs_per_sec"]), t
assert "delivery_errors" in t, t
PY
ok "baseline pattern, second run: held against the first (exit $rc)"
