#!/usr/bin/env bash
# scripts/registry.sh start|stop|status
#
# Runs a real, throwaway schema registry on a free loopback port, so the
# Avro tests talk to a genuine registry: Apicurio Registry 3.0.9 (in-memory
# storage), whose Confluent-compatible API is at /apis/ccompat/v7. Maven
# Central publishes it ready to run (io.apicurio:apicurio-registry-app,
# tar.gz, classifier all, about 104 MB); its parent POM is not there, so the
# file is fetched as is (curl) rather than resolved by mvn. It is cached like
# the Kafka jars; java comes through scripts/deps.sh kafka when missing.
#
#   start   print "http://127.0.0.1:PORT" on stdout once the registry answers
#           (all other output goes to stderr); if one already runs for this
#           state dir, just print its URL
#   stop    stop it and delete its state (idempotent)
#   status  print the URL and exit 0 if it runs, else exit 1
#
# Environment:
#   KENGINE_REGISTRY_STATE    state dir (default: <repo>/.registry)
#   KENGINE_REGISTRY_CACHE    cache (default: ~/.cache/kengine/apicurio-3.0.9)
#   KENGINE_REGISTRY_TIMEOUT  seconds to wait for it to answer (default 90)
#   KENGINE_REGISTRY_URL_BASE where to fetch from (default: Maven Central)
set -euo pipefail

PROJECT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=3.0.9
CACHE=${KENGINE_REGISTRY_CACHE:-${HOME:-/root}/.cache/kengine/apicurio-$VERSION}
STATE=${KENGINE_REGISTRY_STATE:-$PROJECT/.registry}
TIMEOUT=${KENGINE_REGISTRY_TIMEOUT:-90}
BASE=${KENGINE_REGISTRY_URL_BASE:-https://repo1.maven.org/maven2}
ARTIFACT="$BASE/io/apicurio/apicurio-registry-app/$VERSION/apicurio-registry-app-$VERSION-all.tar.gz"
RUNNER="$CACHE/app/apicurio-registry-app-$VERSION-runner.jar"

log() { printf 'registry.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ensure_java() {
    command -v java >/dev/null 2>&1 || "$PROJECT/scripts/deps.sh" kafka >&2 \
        || die "could not install java (scripts/deps.sh kafka)"
    command -v java >/dev/null 2>&1 || die "no java on PATH"
}

# Fetch and unpack the registry into $CACHE/app, once.
ensure_app() {
    [ -f "$CACHE/app/.complete" ] && return 0
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if [ ! -f "$CACHE/app/.complete" ]; then
        local tmp="$CACHE/app.tmp.$$"
        rm -rf "$tmp" && mkdir -p "$tmp"
        log "fetching Apicurio Registry $VERSION into $CACHE (first run only, about 104 MB)"
        curl -fsSL --retry 3 -o "$tmp/app.tar.gz" "$ARTIFACT" || { rm -rf "$tmp"; die "could not fetch $ARTIFACT"; }
        tar xzf "$tmp/app.tar.gz" -C "$tmp" || { rm -rf "$tmp"; die "could not unpack $ARTIFACT"; }
        rm -f "$tmp/app.tar.gz"
        [ -f "$tmp/apicurio-registry-app-$VERSION-runner.jar" ] || { rm -rf "$tmp"; die "no runner jar in $ARTIFACT"; }
        touch "$tmp/.complete"
        rm -rf "$CACHE/app" && mv "$tmp" "$CACHE/app"
    fi
    exec 9>&-
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    die "no free TCP port found"
}

running() { # the state's process is alive
    [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null
}

answers() { # URL: the ccompat API lists subjects
    curl -fs -m 2 "$1/apis/ccompat/v7/subjects" >/dev/null 2>&1
}

start() {
    if running && [ -f "$STATE/url" ] && answers "$(cat "$STATE/url")"; then
        cat "$STATE/url"
        return 0
    fi
    stop_quiet
    ensure_java
    ensure_app
    mkdir -p "$STATE"
    local port url pid i
    port=$(free_port)
    url="http://127.0.0.1:$port"
    # Small heap: in-memory storage of a test's few schemas.
    (cd "$STATE" && exec setsid java -Xms64m -Xmx384m \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
        -Dquarkus.log.level=WARN \
        -jar "$RUNNER" >"$STATE/registry.log" 2>&1 </dev/null) &
    pid=$!
    echo "$pid" >"$STATE/pid"
    for i in $(seq 1 $((TIMEOUT * 4))); do
        if answers "$url"; then
            echo "$url" >"$STATE/url"
            echo "$url"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$STATE/registry.log" >&2; die "the registry exited (log: $STATE/registry.log)"; }
        sleep 0.25
    done
    tail -n 20 "$STATE/registry.log" >&2
    stop_quiet
    die "the registry did not answer at $url within ${TIMEOUT}s"
}

stop_quiet() {
    if [ -f "$STATE/pid" ]; then
        local pid i
        pid=$(cat "$STATE/pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for i in $(seq 1 80); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.25
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$STATE"
}

case ${1:-} in
    start) start ;;
    stop) stop_quiet ;;
    status)
        if running && [ -f "$STATE/url" ] && answers "$(cat "$STATE/url")"; then
            cat "$STATE/url"
        else
            exit 1
        fi
        ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
