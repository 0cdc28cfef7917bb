#!/usr/bin/env bash
# The live progress line, through a pseudo-terminal (Python's pty) against
# the real Kafka: redrawn in place (\r, erase line) with elapsed time,
# produced/consumed of the records, msgs/s, lag, p99 and ETA, while every
# per-batch line and the summary still appear whole; absent when stderr is
# not a terminal, with -q or --no-progress, and from the NDJSON;
# --progress forces it into a file.
source "$(dirname "$0")/lib.sh"
need_kafka

cat >"$TMP/on_terminal.py" <<'PY'
import os, pty, select, sys
out_path, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
while True:
    try:
        r, _, _ = select.select([fd], [], [], 120)
        if not r: break
        d = os.read(fd, 65536)
        if not d: break
        out += d
    except OSError:  # the child closed the terminal
        break
_, st = os.waitpid(pid, 0)
open(out_path, "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
run_pty() { # run_pty OUT ARGS...: kengine on a terminal (stdout and stderr)
  local out=$1; shift
  python3 "$TMP/on_terminal.py" "$out" "$KENGINE" lua/seed.lua -b "$BROKERS" \
    topic="$(fresh_topic progress)" "$@" || fail "kengine $* on a terminal: exit $?"
}

# 12000 records at 4000 msgs/s: three seconds, three status lines
run_pty "$TMP/tty.out" records=12000 batch_size=3000 rate=4000 --json "$TMP/tty.ndjson"
python3 - "$TMP/tty.out" "$TMP/tty.ndjson" <<'PY' || fail "progress on a terminal (above)"
import re, sys
raw = open(sys.argv[1], "rb").read().decode()
status = re.compile(r"^[0-9.]+s \| produced (\d+)/12000 \S+ msgs/s \| consumed (\d+) \S+ msgs/s "
                    r"\| lag (\d+) \| p99 (-|[0-9.]+ ms) \| ETA (\S+)$")
# the screen's lines: "\r\n" ends a line, "\r\x1b[K" erases the status line
lines = raw.split("\r\n")
shown = [seg for line in lines for seg in line.split("\r\x1b[K")]
statuses = [m for m in map(status.match, shown) if m]
assert len(statuses) >= 2, shown
assert any(m.group(4) != "-" for m in statuses), "no p99 in any status line"
assert all(int(m.group(3)) == max(0, int(m.group(1)) - int(m.group(2))) for m in statuses)
batches = [l for l in lines if re.match(r"^(produce|consume) batch \d", l.split("\r\x1b[K")[-1])]
assert len(batches) == 8, batches  # every batch line whole, after any erased status
ends = [l.split("\r\x1b[K")[-1] for l in lines]  # what stays on the screen
assert "summary seed.lua: delivered 12000, consumed 12000, lost 0, duplicates 0, " \
       "delivery errors 0" in ends, ends[-6:]
assert "\r\x1b[K" in raw
nd = open(sys.argv[2]).read()
assert "ETA" not in nd and "\r" not in nd and "\x1b" not in nd
print(f"ok: {len(statuses)} status lines, e.g. '{statuses[-1].group(0)}'")
PY

no_status() { # no_status FILE LABEL
  if grep -aq 'ETA' "$1" || grep -aq $'\e\[K' "$1"; then fail "$2: a status line"; fi
  ok "$2: no status line"
}
args=(records=3000 batch_size=1000 rate=2000)  # 1.5 s: a status line would show
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$(fresh_topic progress)" "${args[@]}" \
  >"$TMP/pipe.out" 2>"$TMP/pipe.err" || fail "run into files"
no_status "$TMP/pipe.err" "stderr not a terminal"
grep -q "^summary seed.lua" "$TMP/pipe.out" || fail "no summary into a file"
run_pty "$TMP/noprog.out" "${args[@]}" --no-progress
no_status "$TMP/noprog.out" "--no-progress on a terminal"
run_pty "$TMP/quiet.out" "${args[@]}" -q
no_status "$TMP/quiet.out" "-q on a terminal"
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$(fresh_topic progress)" "${args[@]}" --progress \
  >/dev/null 2>"$TMP/forced.err" || fail "run with --progress"
grep -aq 'ETA' "$TMP/forced.err" || fail "--progress into a file: no status line"
ok "--progress forces the status line into a file"
