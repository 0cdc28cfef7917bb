#!/usr/bin/env bash
# gen_docs.sh: the reference tables in the docs are made from the code. In
# README.md and docs/*.md, the text between
#   <!-- generated: kengine help TOPIC --markdown -->
# and the next
#   <!-- end generated -->
# is replaced by what `kengine help TOPIC --markdown` prints (the figures,
# the workload fields, the exit codes: each printed from the table in the
# code that owns it). With --check, changes nothing: names each file whose
# text differs and exits 1 if any does, or if there is no such region at
# all (so a check cannot pass on nothing). test_docs.sh runs the check.
#
#   scripts/gen_docs.sh [--check] [--root DIR]
#
# The binary: $KENGINE_BIN, else build/kengine. --root: the tree whose
# README.md and docs/ are read (default: this repository).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${KENGINE_BIN:-$root/build/kengine}
check=0
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1 ;;
    --root) root=${2:?--root needs a directory}; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gen_docs.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$bin" ] || { echo "gen_docs.sh: no kengine at $bin (build it, or set KENGINE_BIN)" >&2; exit 2; }
exec python3 - "$bin" "$root" "$check" <<'PY'
import glob, os, re, subprocess, sys

kengine, root, check = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
START = re.compile(r"^<!-- generated: kengine (help [a-z-]+ --markdown) -->\s*$")
END = "<!-- end generated -->"
files = [p for p in [os.path.join(root, "README.md")] if os.path.exists(p)]
files += sorted(glob.glob(os.path.join(root, "docs", "*.md")))
outputs = {}  # command -> its output, run once

def generate(cmd):
    if cmd not in outputs:
        r = subprocess.run([kengine] + cmd.split(), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"gen_docs.sh: kengine {cmd} exited {r.returncode}: {r.stderr.strip()}")
        outputs[cmd] = r.stdout
    return outputs[cmd]

regions, differ = 0, []
for path in files:
    rel = os.path.relpath(path, root)
    lines = open(path, encoding="utf-8").read().splitlines(keepends=True)
    out, i, changed = [], 0, []
    while i < len(lines):
        out.append(lines[i])
        m = START.match(lines[i].rstrip("\n"))
        if lines[i].startswith("<!-- generated:") and not m:
            sys.exit(f"gen_docs.sh: {rel}:{i + 1}: a marker names no `kengine help TOPIC --markdown`")
        i += 1
        if not m:
            continue
        end = next((k for k in range(i, len(lines)) if lines[k].strip() == END), None)
        if end is None:
            sys.exit(f"gen_docs.sh: {rel}:{i}: no '{END}' after the marker")
        regions += 1
        text = generate(m.group(1))
        if "".join(lines[i:end]) != text:
            changed.append(m.group(1))
        out.append(text)
        i = end
    if changed:
        differ.append(rel)
        for cmd in changed:
            what = "differs from" if check else "rewritten from"
            print(f"gen_docs.sh: {rel}: the text of `kengine {cmd}` {what} the code's",
                  file=sys.stderr if check else sys.stdout)
        if not check:
            with open(path, "w", encoding="utf-8") as f:
                f.write("".join(out))
if regions == 0:
    sys.exit("gen_docs.sh: no generated regions (<!-- generated: kengine help ... -->) "
             "in README.md or docs/*.md")
if check and differ:
    print(f"gen_docs.sh: {', '.join(differ)}: run scripts/gen_docs.sh", file=sys.stderr)
    sys.exit(1)
print(f"gen_docs.sh: {regions} generated regions in {len(files)} files "
      f"{'checked' if check else 'written'}" + ("" if check else f", {len(differ)} changed"))
PY
