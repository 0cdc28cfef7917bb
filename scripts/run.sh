#!/usr/bin/env bash
# run.sh: the one command to use kengine. Installs missing dependencies,
# builds build/kengine (Release) if needed, and runs it with the given
# arguments; with none it runs lua/seed.lua (on the embedded broker unless
# KENGINE_BROKERS or -b says otherwise).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/deps.sh build
# A tree configured elsewhere (another clone's path) cannot be reused;
# one configured here with other settings (the tests', a sanitizer's) is
# reconfigured to the settings below, which name every switch that matters.
# Only kengine is built: nothing from the test packages.
cache=build/CMakeCache.txt
if [ -f "$cache" ] &&
   ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$cache"; then
  echo "run.sh: build/ was configured for another source tree; starting it anew" >&2
  rm -rf build
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DKENGINE_SANITIZE=OFF -DKENGINE_FUZZ=OFF -DKENGINE_JEMALLOC=ON >/dev/null
cmake --build build -j"$(nproc)" --target kengine >/dev/null
if [ $# -eq 0 ]; then set -- lua/seed.lua; fi
exec build/kengine "$@"
