#!/usr/bin/env bash
# run.sh: the one command to use kengine. Installs missing dependencies,
# builds build/kengine (Release) if needed, and runs it with the given
# arguments; with none it runs lua/seed.lua (on the embedded broker unless
# KENGINE_BROKERS or -b says otherwise).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/deps.sh build
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build -j"$(nproc)" >/dev/null
if [ $# -eq 0 ]; then set -- lua/seed.lua; fi
exec build/kengine "$@"
