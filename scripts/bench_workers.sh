#!/usr/bin/env bash
# scripts/bench_workers.sh [-b BROKERS] [--runs N] [--records N] [--workers "1 2"]
#
# The scaling figures of BENCHMARKS.md ("Workers"): the seed workload with
# workers=1 (one process) and workers=2 (two local worker processes and the
# merged report, `kengine WORKLOAD.lua workers=2`), round-robin, each on a
# fresh 4-partition topic; prints the medians of produce and consume msgs/s
# (delivered / produce_seconds, consumed / consume_seconds of the summary,
# merged for workers > 1) and the wall time as a Markdown table. Without -b:
# the embedded broker (one per run). Builds build-bench/ like bench.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
brokers="" runs=3 records=500000 workers="1 2"
while [ $# -gt 0 ]; do
  case $1 in
    -b) brokers=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "bench_workers.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
build=${KENGINE_BENCH_BUILD:-build-bench}
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target kengine >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 1; r <= runs; r++)); do
  for w in $workers; do
    args=(lua/seed.lua -q records="$records" partitions=4 topic="bw_$$_${r}_$w"
          workers="$w" --json "$tmp/$w.$r.json")
    [ -n "$brokers" ] && args+=(-b "$brokers")
    date +%s.%N >"$tmp/$w.$r.wall"
    "$build/kengine" "${args[@]}" 2>"$tmp/$w.$r.err" || { cat "$tmp/$w.$r.err" >&2; exit 1; }
    date +%s.%N >>"$tmp/$w.$r.wall"
    echo "bench_workers.sh: run $r workers=$w done" >&2
  done
done
python3 - "$tmp" "$runs" "$workers" "${brokers:-embedded}" <<'PY'
import json, statistics, sys
tmp, runs, workers, where = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
print(f"| workers ({where}) | produce msgs/s | consume msgs/s | wall s | lost | duplicates |")
print("|--:|--:|--:|--:|--:|--:|")
for w in workers:
    p, c, wall, lost, dup = [], [], [], 0, 0
    for r in range(1, runs + 1):
        s = [json.loads(l) for l in open(f"{tmp}/{w}.{r}.json") if '"summary"' in l][-1]
        p.append(s["delivered"] / s["produce_seconds"])
        c.append(s["consumed"] / s["consume_seconds"])
        t0, t1 = map(float, open(f"{tmp}/{w}.{r}.wall").read().split())
        wall.append(t1 - t0)
        lost += s["lost"]
        dup += s["duplicates"]
    print(f"| {w} | {statistics.median(p):,.0f} | {statistics.median(c):,.0f} | "
          f"{statistics.median(wall):.2f} | {lost} | {dup} |")
PY
