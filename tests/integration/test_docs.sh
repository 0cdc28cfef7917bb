#!/usr/bin/env bash
# The docs' reference tables are the code's: every region of README.md and
# docs/*.md between "<!-- generated: kengine help TOPIC --markdown -->" and
# "<!-- end generated -->" is what this binary prints for it
# (scripts/gen_docs.sh --check). The check is shown to fail on a copy whose
# table was edited by hand and on docs with no region at all, and the
# generator to repair the copy.
source "$(dirname "$0")/lib.sh"
export KENGINE_BIN=$KENGINE
gen=$ROOT/scripts/gen_docs.sh

n=$(cat "$ROOT"/docs/*.md | grep -c '^<!-- generated: kengine help ' || true)
[ "$n" -gt 0 ] || fail "no generated regions in docs/*.md"
for topic in figures fields exit-codes; do
  grep -q "^<!-- generated: kengine help $topic --markdown -->" "$ROOT"/docs/*.md ||
    fail "docs/ has no generated table of $topic"
done
"$gen" --check || fail "docs differ from the code's tables (run scripts/gen_docs.sh)"
ok "$n generated regions in docs/ agree with the binary"

# a copy with one row of the figures table edited by hand: named, exit 1
mkdir -p "$TMP/copy/docs"
cp "$ROOT"/docs/*.md "$TMP/copy/docs/"
[ -f "$ROOT/README.md" ] && cp "$ROOT/README.md" "$TMP/copy/"
f=$(grep -l '^<!-- generated: kengine help figures --markdown -->' "$TMP"/copy/docs/*.md | head -n 1)
sed -i 's/^| summary | `lost` | messages |/| summary | `lost` | msgs |/' "$f"
set +e
"$gen" --check --root "$TMP/copy" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "--check on an edited table: exit $rc, expected 1"
grep -q "docs/$(basename "$f").*kengine help figures --markdown" "$TMP/err" ||
  fail "--check does not name the file and table: $(cat "$TMP/err")"
ok "an edited table fails: $(head -n 1 "$TMP/err")"
# the generator repairs it
"$gen" --root "$TMP/copy" >/dev/null
"$gen" --check --root "$TMP/copy" || fail "the rewritten copy still differs"
cmp -s "$f" "$ROOT/docs/$(basename "$f")" || fail "the rewritten copy is not the original"
ok "gen_docs.sh rewrites it to the original"

# docs without any region: the check cannot pass on nothing
mkdir -p "$TMP/none/docs"
echo "# nothing generated" >"$TMP/none/docs/a.md"
set +e
"$gen" --check --root "$TMP/none" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "--check passed on docs without generated regions"
ok "no regions fails: $(cat "$TMP/err")"
