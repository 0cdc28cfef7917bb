#!/usr/bin/env bash
# scripts/bench.sh [--runs N] [--records N] [--quick] [more options of bench/run_bench.py]
#
# Reproduces every figure of BENCHMARKS.md in one run: builds kengine
# (Release, in build-bench/ so it never races a developer's build/), puts the
# seed baselines' confluent-kafka in bench/.venv, starts a standalone embedded
# broker (kengine broker) and a throwaway real Kafka 4.1.1 (scripts/kafka.sh
# with its own state dir, stopped at the end), runs the tools round-robin and
# writes bench/results/<date>.json (raw runs), bench/results/<date>.md (medians,
# ratios, targets), bench/results/chart.svg, and (full runs) the table in
# BENCHMARKS.md.  Defaults: 5 runs of 1,000,000 records; --quick: 2 runs of
# 200,000.  bench/run_bench.py --help lists the rest (--brokers mock|kafka,
# --sections produce,consume,words,latency,rss,hook, --render FILE.json).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log() { printf 'bench.sh: %s\n' "$*" >&2; }

scripts/deps.sh bench >&2

build=${KENGINE_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target kengine >/dev/null

venv=bench/.venv
if ! "$venv/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
  log "creating $venv with confluent-kafka"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2 || true
  if ! "$venv/bin/pip" install -q --only-binary=:all: confluent-kafka >&2; then
    log "no confluent-kafka wheel for this Python/platform; trying a source build (needs librdkafka-dev of a matching version)"
    "$venv/bin/pip" install -q confluent-kafka >&2 || { log "confluent-kafka unavailable: the seed baselines cannot run"; exit 1; }
  fi
fi

# Kafka's jars (with kafka-tools for Producer/ConsumerPerformance) are
# fetched by scripts/kafka.sh start; run_bench.py starts and stops its own.
export KENGINE_BENCH_BUILD=$build
exec python3 bench/run_bench.py "$@"
