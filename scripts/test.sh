#!/usr/bin/env bash
# test.sh: the one command that tests kengine. Installs what is missing,
# builds, starts a real Apache Kafka (scripts/kafka.sh), runs every unit and
# integration test through ctest, stops Kafka, and ends with the line
# "N passed, N failed". Exits non-zero if anything failed or could not
# start: a test that needs Kafka fails without it, it never skips.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

fail_early() {
  echo "test.sh: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

scripts/deps.sh test || fail_early "could not install dependencies"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null || fail_early "cmake failed"
cmake --build build -j"$(nproc)" 2>&1 | tail -n 30
[ "${PIPESTATUS[0]}" -eq 0 ] || fail_early "build failed"

addr=$(scripts/kafka.sh start) || fail_early "could not start Kafka"
trap 'scripts/kafka.sh stop >/dev/null 2>&1' EXIT
echo "test.sh: real Kafka at $addr" >&2
export KENGINE_TEST_BROKERS="$addr"

log=$(mktemp)
ctest --test-dir build --output-on-failure --timeout 900 "$@" 2>&1 | tee "$log"
ctest_rc=${PIPESTATUS[0]}

total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n 1)
rm -f "$log"
if [ -z "$total" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
passed=$((total - failed))
echo "$passed passed, $failed failed"
[ "$ctest_rc" -eq 0 ] && [ "$failed" -eq 0 ]
