#!/usr/bin/env bash
# deps.sh: installs what kengine needs from Debian's packages, only what is
# missing. `scripts/deps.sh build` = enough to build and run;
# `scripts/deps.sh test` = also what the test suite uses.
# Called by run.sh and test.sh; runs apt-get as root or through sudo.
set -euo pipefail

want=(build-essential cmake pkg-config librdkafka-dev liblua5.4-dev libcsv-dev
      libxxhash-dev libjemalloc-dev)
if [ "${1:-build}" = test ]; then
  want+=(libcmocka-dev python3 kcat valgrind clang libclang-rt-14-dev
         python3-yaml default-jre-headless maven)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
# java and mvn may come from elsewhere (e.g. a JDK already on the machine)
if [ "${1:-build}" = test ]; then
  keep=()
  for p in "${missing[@]}"; do
    case "$p" in
      default-jre-headless) command -v java >/dev/null || keep+=("$p") ;;
      maven) command -v mvn >/dev/null || keep+=("$p") ;;
      *) keep+=("$p") ;;
    esac
  done
  missing=("${keep[@]+"${keep[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
