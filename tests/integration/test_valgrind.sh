# test_valgrind.sh: valgrind memcheck over the Release binary (KENGINE_BIN):
# a small seed run on the embedded broker (producer, consumer, mock cluster,
# Lua, CSV, json encoding), an odd CSV in the dict format, `kengine words`,
# and three error paths (bad CSV, failing hook, Lua syntax error), each with
# its expected exit code. Any memcheck error, or any definitely lost block,
# fails the test (exit 99 from valgrind); tests/sanitizers/valgrind.supp
# holds suppressions for third-party noise only. Needs no Kafka. Not run in
# the ASan tree (valgrind cannot run an ASan binary). The Release binary
# links jemalloc: --soname-synonyms makes memcheck replace its malloc too.
# About 20 s.
source "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh test)"
SUPP=$ROOT/tests/sanitizers/valgrind.supp
[ -f "$SUPP" ] || fail "missing $SUPP"

# vg NAME EXPECTED_EXIT ARGS...: runs ARGS under memcheck.
vg() {
  local name=$1 want=$2
  shift 2
  set +e
  timeout 300 valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --num-callers=40 --suppressions="$SUPP" --log-file="$TMP/$name.vg" \
    --soname-synonyms=somalloc="*jemalloc*" \
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ]; then
    cat "$TMP/$name.vg" "$TMP/$name.err" >&2
    [ "$rc" -eq 99 ] && fail "$name: valgrind found errors (above)"
    fail "$name: exit $rc, expected $want"
  fi
  grep -q "ERROR SUMMARY: 0 errors" "$TMP/$name.vg" ||
    { cat "$TMP/$name.vg" >&2; fail "$name: memcheck reported errors"; }
  ok "$name: exit $rc, $(grep -o 'definitely lost: [0-9,]* bytes' "$TMP/$name.vg" ||
    echo 'no leaks'), 0 errors"
}

export -n KENGINE_BROKERS 2>/dev/null || true
unset KENGINE_BROKERS

vg seed 0 "$KENGINE" lua/seed.lua -q --json "$TMP/seed.json" records=2000 batch_size=500
expect_eq "$(json_get "$TMP/seed.json" summary consumed)" 2000 "seed: consumed"
expect_eq "$(json_get "$TMP/seed.json" summary lost)" 0 "seed: lost"

printf '\xef\xbb\xbfid,text,note\r\n1,"caf\xc3\xa9 \xe2\x80\x94 ""q""",\xff\xfe\r\n2,"a, b\nc",\x01\x7f\xc2\x85\r\n' \
  >"$TMP/odd.csv"
vg dict 0 "$KENGINE" lua/seed.lua -q --json "$TMP/dict.json" csv="$TMP/odd.csv" \
  format=dict records=300 batch_size=100 key=id
expect_eq "$(json_get "$TMP/dict.json" summary consumed)" 300 "dict: consumed"

head -n 2000 sample.csv >"$TMP/msgs"
vg words 0 "$KENGINE" words --batch 500 "$TMP/msgs"
grep -q '^batch' "$TMP/words.out" || fail "words: no batch lines"

printf 'a,b\n1,"open\n' >"$TMP/bad.csv"
vg bad_csv 2 "$KENGINE" lua/seed.lua csv="$TMP/bad.csv" records=5
grep -q "unterminated quoted field" "$TMP/bad_csv.err" || fail "bad_csv: no message"

cat >"$TMP/bad_hook.lua" <<'L'
return {
  csv = "sample.csv", records = 600, batch_size = 200,
  on_batch = function(b) error("hook fails") end,
}
L
vg bad_hook 2 "$KENGINE" "$TMP/bad_hook.lua" -q
grep -q "hook fails" "$TMP/bad_hook.err" || fail "bad_hook: no message"

printf 'return {\n  records = 10,,\n}\n' >"$TMP/syntax.lua"
vg syntax 2 "$KENGINE" "$TMP/syntax.lua"
