#!/usr/bin/env bash
# format.sh: kengine's C style is a command. Applies .clang-format to the C
# sources (src/, tests/unit/, tests/fuzz/); with --check, changes nothing,
# names the files that differ and exits 1 if any does (test_hygiene.sh).
# clang-format comes with the test packages (scripts/deps.sh test).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null ||
  { echo "format.sh: clang-format is missing (scripts/deps.sh test installs it)" >&2; exit 2; }
files=$(git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'tests/fuzz/*.[ch]')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in $files; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then
      echo "format.sh: $f is not formatted (run scripts/format.sh)" >&2
      bad=1
    fi
  done
  exit $bad
fi
# shellcheck disable=SC2086 # one word per file
clang-format --style=file -i $files
