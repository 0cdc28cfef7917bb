#!/usr/bin/env bash
# The command line and bad input: help and version, and for each mistake a
# one-line message naming the culprit and the documented exit code (2 for
# usage, script and input; 1 for runtime), within seconds.
source "$(dirname "$0")/lib.sh"

"$KENGINE" --help >"$TMP/help" && grep -q "usage: kengine" "$TMP/help" || fail "--help"
"$KENGINE" --version | grep -q "^kengine [0-9]" || fail "--version"
ok "help and version"
# kengine help figures: the table of figures, every threshold metric in it
"$KENGINE" help figures >"$TMP/figures" || fail "help figures"
for m in bytes produce_msgs_per_sec consume_msgs_per_sec consume_mb_per_sec lost latency_ms; do
  grep -Eq "^  $m +" "$TMP/figures" || fail "help figures lacks $m"
done
grep -Eq "^  consume_mb_per_sec +MB/s +derived +bytes / 2\^20 / consume_seconds" "$TMP/figures" ||
  fail "help figures: consume_mb_per_sec's unit, merge or derivation"
ok "help figures lists the figures with units and merges"

# Every subcommand of the table, as `kengine help` lists them (not a list
# kept here), answers --help (its usage on stdout, exit 0), an unknown
# option and an option without its value (one line on stderr, exit 2) the
# same way.
"$KENGINE" help >"$TMP/help" || fail "kengine help"
subs=$(awk '/^subcommands:$/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on {exit}' "$TMP/help")
[ "$(echo "$subs" | wc -w)" -ge 7 ] || fail "kengine help lists too few subcommands: $subs"
# run CMD...: exit code in $rc, stdout in $TMP/out, stderr in $TMP/err
run() {
  set +e
  timeout 30 "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  set -e
}
for sub in $subs; do
  run "$KENGINE" "$sub" --help
  [ "$rc" -eq 0 ] || fail "kengine $sub --help: exit $rc"
  head -n 1 "$TMP/out" | grep -Eq "^usage: kengine (\[$sub\]|$sub)( |$)" ||
    fail "kengine $sub --help: first line '$(head -n 1 "$TMP/out")'"
  [ ! -s "$TMP/err" ] || fail "kengine $sub --help wrote to stderr: $(cat "$TMP/err")"
  run "$KENGINE" "$sub" --bogus
  [ "$rc" -eq 2 ] || fail "kengine $sub --bogus: exit $rc, expected 2"
  [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "kengine $sub --bogus: not one line: $(cat "$TMP/err")"
  grep -q "^kengine $sub: unknown option '--bogus' (try kengine $sub --help)$" "$TMP/err" ||
    fail "kengine $sub --bogus said: $(cat "$TMP/err")"
  [ ! -s "$TMP/out" ] || fail "kengine $sub --bogus wrote to stdout"
  # its first option that takes a value, from its own --help, given none
  "$KENGINE" "$sub" --help >"$TMP/subhelp"
  opt=$(sed -nE 's/^  (-[a-zA-Z], )?(--[a-z-]+) [A-Z].*/\2/p' "$TMP/subhelp" | head -n 1)
  if [ -n "$opt" ]; then
    run "$KENGINE" "$sub" "$opt"
    [ "$rc" -eq 2 ] || fail "kengine $sub $opt: exit $rc, expected 2"
    [ "$(cat "$TMP/err")" = "kengine $sub: $opt needs a value" ] ||
      fail "kengine $sub $opt said: $(cat "$TMP/err")"
  fi
  ok "kengine $sub: --help, --bogus${opt:+ and $opt without a value}"
done
# the bare run is the program itself: its --help is the overview
"$KENGINE" --help | cmp -s - "$TMP/help" || fail "kengine --help is not kengine help"
run "$KENGINE" --bogus lua/seed.lua
[ "$(cat "$TMP/err")" = "kengine: unknown option '--bogus' (try kengine --help)" ] ||
  fail "kengine --bogus said: $(cat "$TMP/err")"
"$KENGINE" help words | cmp -s - <("$KENGINE" words --help) || fail "help words"
ok "kengine --help, kengine help SUBCOMMAND"
# the reference tables, as text and markdown (each written whole to a file
# first: grep -q may exit before kengine has written everything, and its
# SIGPIPE would fail the pipeline, not the check)
table() { "$KENGINE" help "$@" >"$TMP/table" || fail "help $*: exit $?"; }
table exit-codes && grep -Eq "^  3 +a threshold failed" "$TMP/table" || fail "help exit-codes"
table exit-codes --markdown && grep -qx "| code | meaning |" "$TMP/table" ||
  fail "exit-codes --markdown"
table fields && grep -Eq "^  records +integer +1000000 " "$TMP/table" || fail "help fields"
table fields --markdown && grep -q '^| `batch_size` | integer | 10000 | ' "$TMP/table" ||
  fail "help fields --markdown"
table figures --markdown && grep -q '^| summary | `lost` | messages | bitmap-or | ' "$TMP/table" ||
  fail "help figures --markdown"
run "$KENGINE" help lua/seed.lua --markdown
[ "$rc" -eq 2 ] && grep -q "^kengine help: --markdown is for " "$TMP/err" ||
  fail "help WORKLOAD --markdown: exit $rc, $(cat "$TMP/err")"
ok "help exit-codes, fields and figures, as text and markdown"

# run CMD... ; expects exit $1 and stderr matching $2
expect_fail() {
  local code=$1 pattern=$2; shift 2
  set +e
  timeout 60 "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  set -e
  [ "$rc" -eq "$code" ] || { cat "$TMP/err"; fail "'$*': exit $rc, expected $code"; }
  grep -Eq "$pattern" "$TMP/err" || { cat "$TMP/err"; fail "'$*': stderr lacks /$pattern/"; }
  ok "$(head -n 1 "$TMP/err")"
}

cat >"$TMP/typo.lua" <<'L'
return { recods = 10 }
L
cat >"$TMP/type.lua" <<'L'
return { records = "many" }
L
cat >"$TMP/syntax.lua" <<'L'
return {
  records = 10,,
}
L
cat >"$TMP/notable.lua" <<'L'
return 42
L
cat >"$TMP/throws.lua" <<'L'
error("boom while loading")
L
cat >"$TMP/zero.lua" <<'L'
return { records = 0 }
L
cat >"$TMP/nocsv.lua" <<'L'
return { csv = "/nonexistent/file.csv", records = 10 }
L
printf 'a,b\n' >"$TMP/header_only.csv"
: >"$TMP/empty.csv"
printf 'a,b\n1,"unterminated\n2,3\n' >"$TMP/unterminated.csv"
printf 'a,b\n1,2\n3,4,5\n' >"$TMP/ragged.csv"

expect_fail 2 "typo.lua: unknown field 'recods' \(did you mean 'records'\?\)" "$KENGINE" "$TMP/typo.lua"
expect_fail 2 "type.lua: field 'records' must be an integer, got string" "$KENGINE" "$TMP/type.lua"
expect_fail 2 "syntax.lua:2:" "$KENGINE" "$TMP/syntax.lua"
expect_fail 2 "notable.lua: the script must return a table" "$KENGINE" "$TMP/notable.lua"
expect_fail 2 "throws.lua:1: boom while loading" "$KENGINE" "$TMP/throws.lua"
expect_fail 2 "field 'records' must be a positive integer" "$KENGINE" "$TMP/zero.lua"
expect_fail 2 "cannot open" "$KENGINE" "$TMP/missing.lua"
expect_fail 2 "command line: field 'batch_size' must be a positive integer, got '-5'" \
  "$KENGINE" lua/seed.lua batch_size=-5
expect_fail 2 "command line: unknown field 'topik' \(did you mean 'topic'\?\)" \
  "$KENGINE" lua/seed.lua topik=x
expect_fail 2 "unknown option '--bogus'" "$KENGINE" --bogus lua/seed.lua
expect_fail 2 "/nonexistent/file.csv" "$KENGINE" "$TMP/nocsv.lua"
expect_fail 2 "header_only.csv: no data rows" "$KENGINE" lua/seed.lua csv="$TMP/header_only.csv" records=5
expect_fail 2 "empty.csv: " "$KENGINE" lua/seed.lua csv="$TMP/empty.csv" records=5
expect_fail 2 "unterminated.csv: line 2: unterminated" "$KENGINE" lua/seed.lua csv="$TMP/unterminated.csv" records=5
expect_fail 2 "ragged.csv: line 3: " "$KENGINE" lua/seed.lua csv="$TMP/ragged.csv" records=5
expect_fail 2 "column 'nosuch' is not in the CSV header" "$KENGINE" lua/seed.lua key=nosuch records=5
# an unreachable broker fails with its address, well within 30 s
start=$(date +%s)
expect_fail 1 "127.0.0.1:1" "$KENGINE" lua/seed.lua -b 127.0.0.1:1 records=5
[ $(( $(date +%s) - start )) -le 30 ] || fail "unreachable broker took over 30 s"
