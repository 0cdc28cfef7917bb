#!/usr/bin/env bash
# deps.sh: installs what kengine needs from Debian's packages, only what is
# missing. The one place the project installs packages and gets root for it
# (root itself, else sudo).
#   scripts/deps.sh build  enough to build and run kengine (run.sh)
#   scripts/deps.sh kafka  java and mvn for scripts/kafka.sh, unless on PATH
#   scripts/deps.sh test   all of the above and what the test suite uses,
#                          with the clang sanitizer runtime that matches the
#                          clang it finds or installs (test.sh)
#   scripts/deps.sh bench  build and kafka, and what scripts/bench.sh runs
#                          beside kengine (kcat, GNU time, python3-venv)
set -euo pipefail

group=${1:-build}
build=(build-essential cmake pkg-config librdkafka-dev liblua5.4-dev libcsv-dev
       libxxhash-dev libjemalloc-dev libroaring-dev libmicrohttpd-dev libsnappy-dev
       libcurl4-openssl-dev libavro-dev)
bench=(kcat time python3 python3-venv)
test=(libcmocka-dev python3 kcat valgrind clang clang-format python3-yaml git debootstrap
      python3-confluent-kafka python3-requests python3-venv chromium python3-pil prometheus)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "deps: need root to install packages (run as root, or install sudo)" >&2
    return 1
  fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

updated=0
# install PKG...: apt-get install those of PKG not installed yet.
install() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ "$updated" = 0 ]; then
    as_root apt-get update -qq >&2
    updated=1
  fi
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# java and mvn may come from elsewhere (e.g. a JDK already on the machine)
kafka_tools() {
  local want=()
  command -v java >/dev/null 2>&1 || want+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || want+=(maven)
  install "${want[@]+"${want[@]}"}"
}

# confluent-kafka's AvroDeserializer (tests' independent Avro reader) needs
# fastavro, which Debian 12 does not package: a venv over Debian's python3
# (its confluent-kafka and requests seen through --system-site-packages) with
# fastavro from PyPI, at ~/.cache/kengine/avro-venv. Tests run its python.
avro_venv() {
  local venv=${HOME:-/root}/.cache/kengine/avro-venv
  "$venv/bin/python" -c 'import fastavro, confluent_kafka, requests' 2>/dev/null && return 0
  echo "deps: creating $venv with fastavro" >&2
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
  "$venv/bin/pip" install -q --only-binary=:all: 'fastavro==1.12.2' >&2
}

# The sanitizer and libFuzzer runtime of the installed clang's major version
# (Debian 12: clang 14 and libclang-rt-14-dev; later releases differ).
clang_runtime() {
  local major
  major=$(clang --version | sed -n 's/.*clang version \([0-9]*\)\..*/\1/p' | head -n 1)
  [ -n "$major" ] || { echo "deps: cannot tell clang's version" >&2; return 1; }
  install "libclang-rt-$major-dev"
}

case $group in
  build) install "${build[@]}" ;;
  kafka) kafka_tools ;;
  test)
    install "${build[@]}" "${test[@]}"
    kafka_tools
    clang_runtime
    avro_venv
    ;;
  bench)
    install "${build[@]}" "${bench[@]}"
    kafka_tools
    ;;
  *) echo "usage: $0 build|kafka|test|bench" >&2; exit 2 ;;
esac
