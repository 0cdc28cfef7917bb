#!/usr/bin/env bash
# scripts/kafka.sh start|stop|status|restart
#
# Runs a real, throwaway, single-node Kafka (one KRaft process that is both
# broker and controller) on free loopback ports, so the integration tests
# talk to genuine Kafka without Docker or a system-wide install. The jars
# come from Maven Central via kafka/pom.xml and are cached between runs;
# java and mvn are installed (scripts/deps.sh kafka) when missing.
#
#   start   print "127.0.0.1:PORT" on stdout once the broker serves requests
#           (all other output goes to stderr); if one is already running for
#           this state dir, just print its address
#   stop    stop the broker, delete its data and state (idempotent)
#   status  print the address and exit 0 if running, else exit 1
#   restart stop the broker's process and start it again on the same ports
#           with the same data (a broker restart, as clients see it); print
#           the address once it serves again
#
# SASL (opt-in): with KENGINE_KAFKA_SASL=1 at start, the broker also has a
# SASL_PLAINTEXT listener with the PLAIN mechanism, and start/status print
# that listener's address. Clients authenticate as $KENGINE_KAFKA_SASL_USER
# (default kengine) with $KENGINE_KAFKA_SASL_PASSWORD (default
# kengine-secret). The broker's own (inter-broker and controller) listeners
# stay PLAINTEXT; so does the plain client listener the readiness probe uses.
#
# Environment:
#   KENGINE_KAFKA_STATE    state dir (default: <repo>/.kafka)
#   KENGINE_KAFKA_CACHE    jar cache (default: ~/.cache/kengine/kafka-<version>;
#                          the jars go in its libs/ subdir)
#   KENGINE_KAFKA_TIMEOUT  seconds to wait for the broker to serve (default 90)
#   KENGINE_KAFKA_HEAP     JVM heap flags (default: -Xms128m -Xmx512m)
#   KENGINE_KAFKA_CHECK    readiness probe: auto (kcat if present, else the
#                          Kafka tools jar), kcat, or java
#   KENGINE_KAFKA_SASL     1 = add the SASL_PLAINTEXT listener (see above)
#   KENGINE_KAFKA_CLUSTER_ID  the cluster id to format with (default: random)
#
#   cluster-id  print a fresh random cluster id, as start makes them
set -euo pipefail

PROJECT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POM="$PROJECT/kafka/pom.xml"
LOG4J_CONF="$PROJECT/kafka/log4j2.properties"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1)
CACHE=${KENGINE_KAFKA_CACHE:-${HOME:-/root}/.cache/kengine/kafka-$KAFKA_VERSION}
LIBS="$CACHE/libs"
STATE=${KENGINE_KAFKA_STATE:-$PROJECT/.kafka}
TIMEOUT=${KENGINE_KAFKA_TIMEOUT:-90}
STOP_TIMEOUT=30
SASL=${KENGINE_KAFKA_SASL:-0}
SASL_USER=${KENGINE_KAFKA_SASL_USER:-kengine}
SASL_PASSWORD=${KENGINE_KAFKA_SASL_PASSWORD:-kengine-secret}

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- tooling --

# Packages come through scripts/deps.sh, the project's one installer.
install_kafka_tools() {
    "$PROJECT/scripts/deps.sh" kafka >&2 || die "could not install java and maven (scripts/deps.sh kafka)"
}

java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1
}

ensure_java() {
    if ! command -v java >/dev/null 2>&1; then
        install_kafka_tools
        command -v java >/dev/null 2>&1 || die "installed default-jre-headless, still no java on PATH"
    fi
    local major
    major=$(java_major)
    [ "${major:-0}" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java 17+, found: $(java -version 2>&1 | head -n 1)"
}

ensure_mvn() {
    command -v mvn >/dev/null 2>&1 && return 0
    install_kafka_tools
    command -v mvn >/dev/null 2>&1 || die "installed maven, still no mvn on PATH"
}

pom_stamp() { sha256sum <"$POM" | cut -d' ' -f1; }

# Fetch the jars named by kafka/pom.xml into $LIBS, once per pom content.
ensure_libs() {
    local stamp
    stamp=$(pom_stamp)
    if [ -f "$LIBS/.complete" ] && [ "$(cat "$LIBS/.complete")" = "$stamp" ]; then
        return 0
    fi
    mkdir -p "$CACHE"
    # Serialise concurrent starts sharing one cache.
    exec 9>"$CACHE/.lock"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if [ -f "$LIBS/.complete" ] && [ "$(cat "$LIBS/.complete")" = "$stamp" ]; then
        exec 9>&-
        return 0
    fi
    ensure_mvn
    local tmp="$CACHE/libs.tmp.$$"
    rm -rf "$tmp"
    log "fetching Kafka $KAFKA_VERSION jars into $LIBS (first run only)"
    # mvn -q still prints stray colour codes; keep its output for errors.
    if ! mvn -B -q -f "$POM" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" >"$CACHE/mvn.log" 2>&1; then
        tail -n 40 "$CACHE/mvn.log" >&2
        rm -rf "$tmp"
        die "mvn could not fetch the Kafka jars (log: $CACHE/mvn.log)"
    fi
    [ -n "$(compgen -G "$tmp/kafka_2.13-*.jar")" ] || { rm -rf "$tmp"; die "no kafka_2.13 jar fetched"; }
    printf '%s\n' "$stamp" >"$tmp/.complete"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    exec 9>&-
}

# ------------------------------------------------------------------ state --

read_state() { # key -> value, or empty
    if [ -f "$STATE/$1" ]; then cat "$STATE/$1"; fi
}

# Is $1 a live pid that is our broker (not a reused pid)?
is_broker_pid() {
    local pid=$1
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka '
}

running() { is_broker_pid "$(read_state pid)"; }

# ------------------------------------------------------------------ ports --

port_in_use() {
    local hex
    hex=$(printf ':%04X' "$1")
    if [ -r /proc/net/tcp ]; then
        # Any socket bound to the port (listening or not) makes it unusable.
        awk 'NR > 1 { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null \
            | grep -qi -- "$hex\$" && return 0
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free port in 20000-31999, below Linux's ephemeral range (32768+) so
# outgoing connections won't grab it before the broker binds it.
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        [ "$p" != "${1:-}" ] || continue
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    die "no free TCP port found (tried $i)"
}

# ------------------------------------------------------------------ start --

# Kafka cluster ids are 16 random bytes in unpadded URL-safe base64. One
# in 64 starts with '-': it is passed as --cluster-id=ID, never as a
# separate argument, which the tool's parser would take for an option.
random_cluster_id() {
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

write_properties() { # file port cport datadir [sasl-port]
    local listeners="PLAINTEXT://127.0.0.1:$2,CONTROLLER://127.0.0.1:$3"
    local advertised="PLAINTEXT://127.0.0.1:$2"
    local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    if [ -n "${5:-}" ]; then
        listeners+=",SASL_PLAINTEXT://127.0.0.1:$5"
        advertised+=",SASL_PLAINTEXT://127.0.0.1:$5"
        protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
    fi
    cat >"$1" <<EOF
# Written by scripts/kafka.sh: one throwaway combined KRaft node.
process.roles=broker,controller
node.id=1
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.voters=1@127.0.0.1:$3
log.dirs=$4
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=1
EOF
    if [ -n "${5:-}" ]; then
        # PLAIN with its users inline (user_NAME="PASSWORD"); the broker's
        # own listeners stay PLAINTEXT, so it needs no credentials itself.
        cat >>"$1" <<EOF
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$SASL_USER" password="$SASL_PASSWORD" user_$SASL_USER="$SASL_PASSWORD";
EOF
    fi
}

# Does the broker at $1 answer Kafka requests (not merely accept TCP)?
probe() {
    local addr=$1 how=${KENGINE_KAFKA_CHECK:-auto}
    if [ "$how" = auto ]; then
        if command -v kcat >/dev/null 2>&1; then how=kcat; else how=java; fi
    fi
    case $how in
        kcat) kcat -b "$addr" -L -m 5 >/dev/null 2>&1 ;;
        java) timeout 60 java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$LIBS/*" \
                  -Dlog4j2.configurationFile="$LOG4J_CONF" \
                  org.apache.kafka.tools.BrokerApiVersionsCommand \
                  --bootstrap-server "$addr" >/dev/null 2>&1 ;;
        *) die "KENGINE_KAFKA_CHECK must be auto, kcat or java (got $how)" ;;
    esac
}

# Launch the broker process on $STATE/server.properties, appending to its
# log, and record its pid. No inherited stdout/stderr: a caller doing
# ADDR=$(kafka.sh start) must not wait for the broker to exit. setsid keeps
# the caller's ^C (process-group signals) away from the broker.
launch() {
    local blog
    blog=$(read_state log)
    local launcher=()
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    # shellcheck disable=SC2086 # KENGINE_KAFKA_HEAP is a list of flags
    "${launcher[@]}" java ${KENGINE_KAFKA_HEAP:--Xms128m -Xmx512m} \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_CONF" \
        -cp "$LIBS/*" kafka.Kafka "$STATE/server.properties" \
        </dev/null >>"$blog" 2>&1 &
    printf '%s\n' "$!" >"$STATE/pid"
}

# Wait until the launched broker serves requests on its PLAINTEXT listener:
# 0 = serving, 1 = failed, 2 = failed on a port clash.
wait_ready() {
    local pid port blog deadline
    pid=$(read_state pid)
    port=$(read_state plain_addr)
    port=${port##*:}
    blog=$(read_state log)
    deadline=$((SECONDS + TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "broker exited during startup"
            if grep -q 'Address already in use' "$blog"; then return 2; fi
            return 1
        fi
        # Cheap TCP check first, then a real Kafka request.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null \
                && probe "127.0.0.1:$port"; then
            return 0
        fi
        sleep 0.5
    done
    log "broker did not serve requests within ${TIMEOUT}s"
    return 1
}

# Start attempt: 0 = serving, 1 = failed, 2 = failed on a port clash (retry).
start_once() {
    local port cport sport='' datadir props blog cid
    port=$(free_port)
    cport=$(free_port "$port")
    if [ "$SASL" = 1 ]; then
        sport=$(free_port "$port")
        while [ "$sport" = "$cport" ]; do sport=$(free_port "$port"); done
    fi
    datadir=$(mktemp -d "${TMPDIR:-/tmp}/kengine-kafka.XXXXXX")
    props="$STATE/server.properties"
    blog="$STATE/broker.log"
    printf '%s\n' "$datadir" >"$STATE/datadir"
    printf '%s\n' "$blog" >"$STATE/log"
    write_properties "$props" "$port" "$cport" "$datadir" "$sport"

    cid=${KENGINE_KAFKA_CLUSTER_ID:-$(random_cluster_id)}
    log "formatting $datadir (cluster id $cid)"
    if ! java -Xmx256m -XX:TieredStopAtLevel=1 -cp "$LIBS/*" \
            -Dlog4j2.configurationFile="$LOG4J_CONF" \
            kafka.tools.StorageTool format --cluster-id="$cid" -c "$props" \
            >"$blog" 2>&1; then
        log "storage format failed:"
        tail -n 40 "$blog" >&2
        return 1
    fi

    if [ -n "$sport" ]; then
        log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$port and SASL_PLAINTEXT (PLAIN)" \
            "127.0.0.1:$sport (controller $cport), log $blog"
    else
        log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$port (controller $cport), log $blog"
    fi
    printf '127.0.0.1:%s\n' "$port" >"$STATE/plain_addr"
    printf '127.0.0.1:%s\n' "${sport:-$port}" >"$STATE/addr"
    launch
    wait_ready
}

cmd_start() {
    mkdir -p "$STATE"
    if running; then
        log "already running (pid $(read_state pid))"
        read_state addr
        return 0
    fi
    cleanup                        # leftovers of a dead broker
    ensure_java
    ensure_libs
    mkdir -p "$STATE"

    local t0=$SECONDS attempt rc
    for attempt in 1 2 3; do
        rc=0
        start_once || rc=$?
        if [ "$rc" -eq 0 ]; then
            log "ready in $((SECONDS - t0))s"
            read_state addr
            return 0
        fi
        if [ "$rc" -ne 2 ] || [ "$attempt" -eq 3 ]; then break; fi
        log "port clash, retrying with other ports"
        cleanup
        mkdir -p "$STATE"
    done
    local blog
    blog=$(read_state log)
    if [ -n "$blog" ] && [ -f "$blog" ]; then
        log "last lines of $blog:"
        tail -n 60 "$blog" >&2
    fi
    cleanup
    exit 1
}

# ------------------------------------------------------------------- stop --

STATE_FILES=(pid addr plain_addr datadir log server.properties broker.log)

# Stop the broker process if alive (TERM, then KILL after STOP_TIMEOUT). A
# stopped (SIGSTOP) broker is continued first, or TERM would just wait.
stop_broker() {
    local pid i
    pid=$(read_state pid)
    is_broker_pid "$pid" || return 0
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 $((STOP_TIMEOUT * 5))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "broker (pid $pid) ignored TERM for ${STOP_TIMEOUT}s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
}

# Kill the broker if alive, delete its data dir and our state files (and
# the state dir if that leaves it empty).
cleanup() {
    local datadir
    stop_broker
    datadir=$(read_state datadir)
    # Only ever delete a dir that we created with mktemp.
    case $datadir in
        */kengine-kafka.??????) rm -rf -- "$datadir" ;;
    esac
    local f
    for f in "${STATE_FILES[@]}"; do rm -f -- "${STATE:?}/$f"; done
    rmdir -- "$STATE" 2>/dev/null || true
}

cmd_stop() {
    if running; then log "stopping broker (pid $(read_state pid))"; fi
    cleanup
}

cmd_restart() {
    running || die "no broker running for state dir $STATE (start one first)"
    [ -f "$STATE/plain_addr" ] || die "$STATE comes from an older kafka.sh: stop and start it"
    ensure_java
    local t0=$SECONDS blog rc=0
    log "restarting the broker (pid $(read_state pid)), keeping $(read_state datadir)"
    stop_broker
    launch
    wait_ready || rc=$?
    if [ "$rc" -ne 0 ]; then
        blog=$(read_state log)
        log "restart failed (a port taken meanwhile?); last lines of $blog:"
        tail -n 60 "$blog" >&2
        exit 1
    fi
    log "serving again after $((SECONDS - t0))s (pid $(read_state pid))"
    read_state addr
}

cmd_status() {
    if running; then
        read_state addr
        return 0
    fi
    return 1
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_restart ;;
    cluster-id) random_cluster_id; echo ;;
    *) echo "usage: $0 start|stop|status|restart|cluster-id" >&2; exit 2 ;;
esac
