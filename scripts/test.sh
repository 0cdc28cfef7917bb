#!/usr/bin/env bash
# test.sh: the one command that tests kengine. Installs what is missing,
# builds, starts a real Apache Kafka (scripts/kafka.sh), runs every unit and
# integration test through ctest, stops Kafka, and ends with the line
# "N passed, N failed". Exits non-zero if anything failed or could not
# start: a test that needs Kafka fails without it, it never skips.
#
# Three build trees, each tested by its own ctest run; the final line sums
# them all (a tree that does not build counts as one failure):
#   build       Release: unit.* and integration.* (incl. test_valgrind)
#   build-asan  RelWithDebInfo, -DKENGINE_SANITIZE=ON (gcc ASan+UBSan):
#               asan.unit.* and asan.integration.*, every integration test
#               except test_valgrind (needs a plain binary), test_compose
#               (never runs the binary) and test_cluster_faults (Kafka's
#               failover on three nodes: see CMakeLists.txt); about 80 s. Any sanitizer report
#               is fatal (abort), and is printed from its log file.
#   build-fuzz  clang, -DKENGINE_FUZZ=ON: fuzz.* (libFuzzer, ASan+UBSan),
#               KENGINE_FUZZ_SECONDS (default 60) per target, run in
#               parallel after Kafka is stopped.
# Arguments are passed to every ctest run (e.g. -R words).
# Environment: KENGINE_TEST_ASAN=0 / KENGINE_TEST_FUZZ=0 leave out the
# sanitizer / fuzz tree (local use only; CI runs everything).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

fail_early() {
  echo "test.sh: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

passed=0
failed=0
ok_all=1
last_failed=0 # failures of the latest ctest run

# run_ctest LABEL TREE [CTEST ARGS...]: runs ctest in TREE, adds its counts.
run_ctest() {
  local label=$1 tree=$2 log rc total nfail
  shift 2
  echo "test.sh: ctest in $tree ($label)" >&2
  log=$(mktemp)
  ctest --test-dir "$tree" --output-on-failure --timeout 900 "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  nfail=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n 1)
  if [ -z "$total" ] && grep -q "No tests were found" "$log"; then
    total=0 nfail=0 # e.g. a -R filter that matches nothing in this tree
    rc=0
  fi
  rm -f "$log"
  if [ -z "$total" ]; then
    echo "test.sh: ctest in $tree gave no result (exit $rc)" >&2
    failed=$((failed + 1))
    last_failed=1
    ok_all=0
    return
  fi
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  last_failed=$nfail
  [ "$rc" -eq 0 ] && [ "$nfail" -eq 0 ] || ok_all=0
  echo "test.sh: $label: $((total - nfail)) passed, $nfail failed" >&2
}

# build TREE CMAKE ARGS...: configure and build; 0 ok.
build() {
  local tree=$1
  shift
  # a tree configured for another clone's path cannot be reused
  if [ -f "$tree/CMakeCache.txt" ] &&
     ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$tree/CMakeCache.txt"; then
    rm -rf "$tree"
  fi
  cmake -S . -B "$tree" "$@" >/dev/null || return 1
  cmake --build "$tree" -j"$(nproc)" 2>&1 | tail -n 30
  return "${PIPESTATUS[0]}"
}

tree_failed() {
  echo "test.sh: $*" >&2
  failed=$((failed + 1))
  ok_all=0
}

scripts/deps.sh test || fail_early "could not install dependencies"
build build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON || fail_early "build failed"

asan=0
if [ "${KENGINE_TEST_ASAN:-1}" != 0 ]; then
  if build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DKENGINE_SANITIZE=ON; then
    asan=1
  else
    tree_failed "sanitizer build (build-asan) failed"
  fi
fi
fuzz=0
if [ "${KENGINE_TEST_FUZZ:-1}" != 0 ]; then
  if build build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DKENGINE_FUZZ=ON -DKENGINE_FUZZ_SECONDS="${KENGINE_FUZZ_SECONDS:-60}"; then
    fuzz=1
  else
    tree_failed "fuzz build (build-fuzz, clang) failed"
  fi
fi

addr=$(scripts/kafka.sh start) || fail_early "could not start Kafka"
trap 'scripts/kafka.sh stop >/dev/null 2>&1' EXIT
echo "test.sh: real Kafka at $addr" >&2
export KENGINE_TEST_BROKERS="$addr"

run_ctest release build "$@"

if [ "$asan" = 1 ]; then
  # Reports go to files (tests often capture kengine's stderr), one per
  # process: $san_logs/asan.PID, ubsan.PID. abort_on_error turns any report,
  # leaks included, into SIGABRT (exit 134), which no test mistakes for one
  # of kengine's own exit codes.
  san_logs=$(mktemp -d)
  supp=$root/tests/sanitizers/lsan.supp
  ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:log_path=$san_logs/asan" \
  LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
  UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$san_logs/ubsan" \
    run_ctest asan build-asan "$@"
  if compgen -G "$san_logs/*" >/dev/null; then
    for f in "$san_logs"/*; do
      echo "test.sh: sanitizer report $(basename "$f"):"
      cat "$f"
    done
    # every report aborts its process, which fails its test; if none
    # failed, some test ignored that process's exit status: count one
    [ "$last_failed" -gt 0 ] || tree_failed "sanitizer reports, but no test failed"
    ok_all=0
  fi
  rm -rf "$san_logs"
fi

scripts/kafka.sh stop >/dev/null 2>&1
trap - EXIT

if [ "$fuzz" = 1 ]; then
  rm -f build-fuzz/tests/fuzz/artifacts/*
  run_ctest fuzz build-fuzz -j2 "$@"
  if compgen -G "build-fuzz/tests/fuzz/artifacts/*" >/dev/null; then
    echo "test.sh: fuzzer inputs kept in build-fuzz/tests/fuzz/artifacts:" >&2
    ls -l build-fuzz/tests/fuzz/artifacts >&2
  fi
fi

echo "$passed passed, $failed failed"
[ "$ok_all" = 1 ] && [ "$failed" -eq 0 ]
