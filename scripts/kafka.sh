#!/usr/bin/env bash
# scripts/kafka.sh start [--brokers 3]|stop|status|restart|kill N|revive N|tool
#
# Runs a real, throwaway Kafka on free loopback ports, so the integration
# tests talk to genuine Kafka without Docker or a system-wide install: by
# default one KRaft process that is both broker and controller; with
# --brokers 3 three such nodes forming one cluster. The jars come from
# Maven Central via kafka/pom.xml and are cached between runs; java and mvn
# are installed (scripts/deps.sh kafka) when missing.
#
#   start   print "127.0.0.1:PORT" on stdout once the broker serves requests
#           (all other output goes to stderr); if one is already running for
#           this state dir, just print its address
#   start --brokers 3
#           three combined KRaft nodes, ids 1..3, one three-voter quorum,
#           default.replication.factor=3, min.insync.replicas=2, each with
#           its own data dir; prints "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
#           once every node serves and lists all three as brokers. Small
#           heaps (-Xmx320m each) and short timeouts: a dead node is fenced,
#           its partitions led elsewhere, within about 6 s.
#   stop    stop the broker (every node), delete its data and state
#           (idempotent)
#   status  single node: print the address and exit 0 if running, else
#           exit 1. Cluster: the bootstrap list, then one line per node
#           ("node 2: up, quorum leader, pid P, broker ADDR, controller
#           ADDR"); exit 0 only if all nodes are up
#   restart stop the broker's process and start it again on the same ports
#           with the same data (a broker restart, as clients see it); print
#           the address once it serves again (single node only)
#   kill N...    SIGKILL cluster node(s) N (their state stays for revive)
#   revive N...  start cluster node(s) N again on their ports and data; waits
#                until they serve and every live node lists them as brokers
#   tool CLASS ARGS...  run a Kafka command-line tool from the cached jars,
#           e.g. org.apache.kafka.tools.DeleteRecordsCommand
#
# SASL (opt-in, single node): with KENGINE_KAFKA_SASL=1 at start, the broker also has a
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
#   KENGINE_KAFKA_HEAP     JVM heap flags (default: -Xms128m -Xmx512m; a
#                          cluster node: -Xms64m -Xmx320m)
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

# A single node keeps its files in $STATE itself. A cluster (start --brokers
# 3) keeps `nodes` (how many) and `addr` (the bootstrap list) in $STATE and
# each node's own files in $STATE/node1, node2, ... ND is the node dir the
# functions below work on.
ND=$STATE

read_state() { # key -> value of the current node (ND), or empty
    if [ -f "$ND/$1" ]; then cat "$ND/$1"; fi
}

is_cluster() { [ -f "$STATE/nodes" ]; }
node_ids() { seq 1 "$(cat "$STATE/nodes")"; }

# Is $1 a live pid that is our broker (not a reused pid)?
is_broker_pid() {
    local pid=$1
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka '
}

node_up() { is_broker_pid "$(ND=$STATE/node$1 read_state pid)"; }

# Single node: is it alive? Cluster: is any node alive?
running() {
    if is_cluster; then
        local i
        for i in $(node_ids); do node_up "$i" && return 0; done
        return 1
    fi
    is_broker_pid "$(read_state pid)"
}

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
# outgoing connections won't grab it before the broker binds it; none of
# the ports given as arguments (already picked for this start).
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        case " $* " in *" $p "*) continue ;; esac
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

# write_properties FILE NODE_ID PORT CPORT DATADIR VOTERS NODES [SASL_PORT]
# One combined KRaft node. NODES=1: the single throwaway node (replication
# 1). NODES=3: a node of the three-node cluster: replication 3, at least 2
# in sync for acks=all, fewer threads, and short timeouts, so a dead node is
# fenced (its partitions led elsewhere) within seconds.
write_properties() {
    local file=$1 id=$2 port=$3 cport=$4 datadir=$5 voters=$6 nodes=$7 sport=${8:-}
    local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    local advertised="PLAINTEXT://127.0.0.1:$port"
    local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    local rf=1 isr=1 io=4
    if [ "$nodes" -gt 1 ]; then rf=3 isr=2 io=2; fi
    if [ -n "$sport" ]; then
        listeners+=",SASL_PLAINTEXT://127.0.0.1:$sport"
        advertised+=",SASL_PLAINTEXT://127.0.0.1:$sport"
        protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
    fi
    cat >"$file" <<EOF
# Written by scripts/kafka.sh: a throwaway combined KRaft node ($nodes in the cluster).
process.roles=broker,controller
node.id=$id
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.voters=$voters
log.dirs=$datadir
num.partitions=1
default.replication.factor=$rf
auto.create.topics.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=$io
log.retention.hours=1
EOF
    if [ "$nodes" -gt 1 ]; then
        # Fenced 6 s after its last heartbeat (default 9 s), out of the ISR
        # 10 s after it stopped fetching (default 30 s); leader elections
        # stay clean (unclean.leader.election.enable=false, the default).
        cat >>"$file" <<EOF
min.insync.replicas=$isr
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
replica.lag.time.max.ms=10000
EOF
    fi
    if [ -n "$sport" ]; then
        # PLAIN with its users inline (user_NAME="PASSWORD"); the broker's
        # own listeners stay PLAINTEXT, so it needs no credentials itself.
        cat >>"$file" <<EOF
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$SASL_USER" password="$SASL_PASSWORD" user_$SASL_USER="$SASL_PASSWORD";
EOF
    fi
}

probe_how() {
    local how=${KENGINE_KAFKA_CHECK:-auto}
    if [ "$how" = auto ]; then
        if command -v kcat >/dev/null 2>&1; then how=kcat; else how=java; fi
    fi
    case $how in
        kcat|java) echo "$how" ;;
        *) die "KENGINE_KAFKA_CHECK must be auto, kcat or java (got $how)" ;;
    esac
}

# Does the broker at $1 answer Kafka requests (not merely accept TCP)?
probe() {
    case $(probe_how) in
        kcat) kcat -b "$1" -L -m 5 >/dev/null 2>&1 ;;
        java) tool_java org.apache.kafka.tools.BrokerApiVersionsCommand \
                  --bootstrap-server "$1" >/dev/null 2>&1 ;;
    esac
}

# The ids of the brokers the broker at $1 knows as registered (unfenced),
# one per line; fails if it does not answer.
probe_brokers() {
    local out
    case $(probe_how) in
        kcat)
            out=$(kcat -b "$1" -L -m 5 2>/dev/null) || return 1
            sed -n 's/^  broker \([0-9]*\) at .*/\1/p' <<<"$out" ;;
        java)
            out=$(tool_java org.apache.kafka.tools.BrokerApiVersionsCommand \
                      --bootstrap-server "$1" 2>/dev/null) || return 1
            sed -n 's/^[^ ]* (id: \([0-9]*\) .*/\1/p' <<<"$out" ;;
    esac
}

# A Kafka tool class run from the cached jars with a small heap.
tool_java() {
    timeout 60 java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$LIBS/*" \
        -Dlog4j2.configurationFile="$LOG4J_CONF" "$@"
}

# Launch the broker process on $ND/server.properties, appending to its
# log, and record its pid. No inherited stdout/stderr: a caller doing
# ADDR=$(kafka.sh start) must not wait for the broker to exit. setsid keeps
# the caller's ^C (process-group signals) away from the broker. A cluster's
# three JVMs share 2 cores in CI: small heaps, the serial collector, C1 only.
launch() {
    local blog heap jvm=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20)
    blog=$(read_state log)
    heap=${KENGINE_KAFKA_HEAP:--Xms128m -Xmx512m}
    if is_cluster; then
        heap=${KENGINE_KAFKA_HEAP:--Xms64m -Xmx320m}
        jvm=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1)
    fi
    local launcher=()
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    # shellcheck disable=SC2086 # the heap is a list of flags
    "${launcher[@]}" java $heap "${jvm[@]}" -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_CONF" \
        -cp "$LIBS/*" kafka.Kafka "$ND/server.properties" \
        </dev/null >>"$blog" 2>&1 &
    printf '%s\n' "$!" >"$ND/pid"
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

# Format the storage of the node in ND with cluster id $1.
format_node() {
    java -Xmx256m -XX:TieredStopAtLevel=1 -cp "$LIBS/*" \
        -Dlog4j2.configurationFile="$LOG4J_CONF" \
        kafka.tools.StorageTool format --cluster-id="$1" -c "$ND/server.properties" \
        >"$(read_state log)" 2>&1
}

# Start attempt: 0 = serving, 1 = failed, 2 = failed on a port clash (retry).
start_once() {
    local port cport sport='' datadir props blog cid
    port=$(free_port)
    cport=$(free_port "$port")
    if [ "$SASL" = 1 ]; then
        sport=$(free_port "$port" "$cport")
    fi
    datadir=$(mktemp -d "${TMPDIR:-/tmp}/kengine-kafka.XXXXXX")
    props="$STATE/server.properties"
    blog="$STATE/broker.log"
    printf '%s\n' "$datadir" >"$STATE/datadir"
    printf '%s\n' "$blog" >"$STATE/log"
    write_properties "$props" 1 "$port" "$cport" "$datadir" "1@127.0.0.1:$cport" 1 "$sport"

    cid=${KENGINE_KAFKA_CLUSTER_ID:-$(random_cluster_id)}
    log "formatting $datadir (cluster id $cid)"
    if ! format_node "$cid"; then
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

# ---------------------------------------------------------------- cluster --

# wait_cluster_ready [NODE...]: until every live node of the cluster serves
# requests and lists every live node as a registered broker (the quorum has
# a leader, every live broker caught up with it and is unfenced). The NODEs
# were just launched: one that dies meanwhile is a failure. 0 = ready,
# 1 = failed, 2 = failed on a port clash.
wait_cluster_ready() {
    local deadline i j live=() ready blog addr seen
    deadline=$((SECONDS + TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        live=()
        for i in $(node_ids); do
            if node_up "$i"; then live+=("$i"); continue; fi
            for j in "$@"; do
                [ "$j" = "$i" ] || continue
                blog=$(ND=$STATE/node$i read_state log)
                log "node $i exited during startup"
                if grep -q 'Address already in use' "$blog"; then return 2; fi
                return 1
            done
        done
        ready=1
        for i in "${live[@]}"; do
            addr=$(ND=$STATE/node$i read_state plain_addr)
            if ! (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null ||
                    ! seen=$(probe_brokers "$addr"); then
                ready=0
                break
            fi
            for j in "${live[@]}"; do
                grep -qx "$j" <<<"$seen" || { ready=0; break 2; }
            done
        done
        [ "${#live[@]}" -gt 0 ] && [ "$ready" = 1 ] && return 0
        sleep 0.5
    done
    log "the cluster's nodes (${live[*]:-none} up) did not all serve within ${TIMEOUT}s"
    return 1
}

# One start attempt of an N-node cluster; returns as start_once.
start_cluster_once() {
    local n=$1 i ports=() cports=() voters='' bootstrap='' cid p nd datadir
    for i in $(seq 1 "$n"); do
        p=$(free_port "${ports[@]}" "${cports[@]}")
        ports+=("$p")
        p=$(free_port "${ports[@]}" "${cports[@]}")
        cports+=("$p")
        voters+="${voters:+,}$i@127.0.0.1:$p"
    done
    printf '%s\n' "$n" >"$STATE/nodes"
    for i in $(seq 1 "$n"); do
        nd=$STATE/node$i
        mkdir -p "$nd"
        datadir=$(mktemp -d "${TMPDIR:-/tmp}/kengine-kafka.XXXXXX")
        printf '%s\n' "$datadir" >"$nd/datadir"
        printf '%s\n' "$nd/broker.log" >"$nd/log"
        printf '127.0.0.1:%s\n' "${ports[i - 1]}" >"$nd/plain_addr"
        printf '127.0.0.1:%s\n' "${cports[i - 1]}" >"$nd/controller_addr"
        write_properties "$nd/server.properties" "$i" "${ports[i - 1]}" "${cports[i - 1]}" \
            "$datadir" "$voters" "$n"
        bootstrap+="${bootstrap:+,}127.0.0.1:${ports[i - 1]}"
    done
    printf '%s\n' "$bootstrap" >"$STATE/addr"

    cid=${KENGINE_KAFKA_CLUSTER_ID:-$(random_cluster_id)}
    log "formatting $n nodes (cluster id $cid)"
    local pids=()
    for i in $(seq 1 "$n"); do
        ND=$STATE/node$i format_node "$cid" &
        pids+=("$!")
    done
    for i in $(seq 1 "$n"); do
        if ! wait "${pids[i - 1]}"; then
            log "storage format of node $i failed:"
            tail -n 40 "$STATE/node$i/broker.log" >&2
            return 1
        fi
    done
    log "starting $n Kafka $KAFKA_VERSION nodes: $bootstrap (controllers ${cports[*]})," \
        "logs $STATE/node*/broker.log"
    for i in $(seq 1 "$n"); do ND=$STATE/node$i launch; done
    # shellcheck disable=SC2046 # the node ids, one word each
    wait_cluster_ready $(seq 1 "$n")
}

# The quorum leader (the active controller) as the live nodes last recorded
# it in their quorum-state files: the leader of the highest epoch; nothing
# if none is known.
quorum_leader() {
    local i f epoch id best=-1 leader=''
    for i in $(node_ids); do
        node_up "$i" || continue
        f=$(ND=$STATE/node$i read_state datadir)/__cluster_metadata-0/quorum-state
        [ -f "$f" ] || continue
        epoch=$(sed -n 's/.*"leaderEpoch":\([0-9-]*\).*/\1/p' "$f")
        id=$(sed -n 's/.*"leaderId":\([0-9-]*\).*/\1/p' "$f")
        [ -n "$epoch" ] && [ -n "$id" ] && [ "$id" -ge 0 ] || continue
        if [ "$epoch" -gt "$best" ]; then best=$epoch leader=$id; fi
    done
    if [ -n "$leader" ]; then echo "$leader"; fi
}

check_node_ids() { # the node ids given on the command line
    is_cluster || die "no cluster for state dir $STATE (start one with: start --brokers 3)"
    local n i
    n=$(cat "$STATE/nodes")
    [ $# -gt 0 ] || die "name the node(s): 1..$n"
    for i in "$@"; do
        case $i in
            '' | *[!0-9]*) die "a node id is a number, got '$i'" ;;
        esac
        [ "$i" -ge 1 ] && [ "$i" -le "$n" ] || die "no node $i (the cluster has nodes 1..$n)"
    done
}

cmd_kill() {
    check_node_ids "$@"
    local i pid n
    for i in "$@"; do
        pid=$(ND=$STATE/node$i read_state pid)
        node_up "$i" || die "node $i is not running"
        kill -KILL "$pid"
        for n in $(seq 1 100); do node_up "$i" || break; sleep 0.1; done
        ! node_up "$i" || die "node $i (pid $pid) still alive after SIGKILL"
        log "node $i (pid $pid) killed"
    done
}

cmd_revive() {
    check_node_ids "$@"
    ensure_java
    local i t0=$SECONDS rc=0
    for i in "$@"; do
        ! node_up "$i" || die "node $i is already running (pid $(ND=$STATE/node$i read_state pid))"
    done
    for i in "$@"; do
        ND=$STATE/node$i launch
        log "node $i started again (pid $(ND=$STATE/node$i read_state pid)), same ports and data"
    done
    wait_cluster_ready "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        for i in "$@"; do
            log "last lines of node $i's log:"
            tail -n 30 "$STATE/node$i/broker.log" >&2
        done
        exit 1
    fi
    log "node(s) $* serving again after $((SECONDS - t0))s"
}

# The bootstrap list, then one line per node; 0 if all nodes are up.
cluster_status() {
    local i rc=0 leader nd state
    leader=$(quorum_leader)
    cat "$STATE/addr"
    for i in $(node_ids); do
        nd=$STATE/node$i
        if node_up "$i"; then
            state=up
            [ "$i" != "$leader" ] || state+=", quorum leader"
        else
            state=down rc=1
        fi
        printf 'node %s: %s, pid %s, broker %s, controller %s\n' "$i" "$state" \
            "$(ND=$nd read_state pid)" "$(ND=$nd read_state plain_addr)" \
            "$(ND=$nd read_state controller_addr)"
    done
    return "$rc"
}

# ------------------------------------------------------------------- stop --

STATE_FILES=(pid addr plain_addr controller_addr datadir log server.properties broker.log)

# Stop the node in ND if alive (TERM, then KILL after $1 or STOP_TIMEOUT
# seconds). A stopped (SIGSTOP) broker is continued first, or TERM would
# just wait.
stop_broker() {
    local pid i grace=${1:-$STOP_TIMEOUT}
    pid=$(read_state pid)
    is_broker_pid "$pid" || return 0
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 $((grace * 5))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "broker (pid $pid) ignored TERM for ${grace}s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
}

# Kill the node in ND if alive (TERM grace $1 seconds, default
# STOP_TIMEOUT), delete its data dir and state files.
cleanup_node() {
    local datadir f
    stop_broker "${1:-$STOP_TIMEOUT}"
    datadir=$(read_state datadir)
    # Only ever delete a dir that we created with mktemp.
    case $datadir in
        */kengine-kafka.??????) rm -rf -- "$datadir" ;;
    esac
    for f in "${STATE_FILES[@]}"; do rm -f -- "${ND:?}/$f"; done
}

# Kill the broker (or every node of the cluster) if alive, delete the data
# dirs and our state files (and the state dir if that leaves it empty). A
# cluster's nodes get TERM together, so none waits for the others' ends,
# and 5 s to go: a node left without a quorum majority would wait out its
# controlled shutdown, and the data is deleted anyway.
cleanup() {
    if is_cluster; then
        local i
        for i in $(node_ids); do
            if node_up "$i"; then
                kill -CONT "$(ND=$STATE/node$i read_state pid)" 2>/dev/null || true
                kill -TERM "$(ND=$STATE/node$i read_state pid)" 2>/dev/null || true
            fi
        done
        for i in $(node_ids); do
            ND=$STATE/node$i cleanup_node 5
            rmdir -- "$STATE/node$i" 2>/dev/null || true
        done
        rm -f -- "$STATE/nodes" "$STATE/addr"
    else
        cleanup_node
    fi
    rmdir -- "$STATE" 2>/dev/null || true
}

# --------------------------------------------------------------- commands --

cmd_start() {
    local n=1
    while [ $# -gt 0 ]; do
        case $1 in
            --brokers) [ $# -ge 2 ] || die "--brokers needs a number"; n=$2; shift 2 ;;
            --brokers=*) n=${1#--brokers=}; shift ;;
            *) die "start: unknown argument '$1' (start [--brokers 1|3])" ;;
        esac
    done
    case $n in
        1 | 3) ;;
        *) die "--brokers takes 1 or 3, got '$n'" ;;
    esac
    [ "$n" = 1 ] || [ "$SASL" != 1 ] || die "KENGINE_KAFKA_SASL is for the single node only"
    mkdir -p "$STATE"
    if running; then
        local have=1
        if is_cluster; then have=$(cat "$STATE/nodes"); fi
        [ "$have" = "$n" ] || die "a $have-node Kafka already runs for state dir $STATE (stop it first)"
        log "already running"
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
        if [ "$n" = 1 ]; then start_once || rc=$?; else start_cluster_once "$n" || rc=$?; fi
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
    local blog i
    if is_cluster; then
        for i in $(node_ids); do
            log "last lines of $STATE/node$i/broker.log:"
            tail -n 30 "$STATE/node$i/broker.log" >&2 || true
        done
    else
        blog=$(read_state log)
        if [ -n "$blog" ] && [ -f "$blog" ]; then
            log "last lines of $blog:"
            tail -n 60 "$blog" >&2
        fi
    fi
    cleanup
    exit 1
}

cmd_stop() {
    if running; then log "stopping Kafka ($STATE)"; fi
    cleanup
}

cmd_restart() {
    ! is_cluster || die "restart is for the single node; a cluster's nodes: kill N / revive N"
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
    if is_cluster; then
        cluster_status
        return
    fi
    if running; then
        read_state addr
        return 0
    fi
    return 1
}

# tool CLASS ARGS...: one of Kafka's command-line tools from the cached jars.
cmd_tool() {
    [ $# -ge 1 ] || die "tool: name a class, e.g. org.apache.kafka.tools.DeleteRecordsCommand"
    ensure_java
    ensure_libs
    tool_java "$@"
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_restart ;;
    kill) cmd_kill "$@" ;;
    revive) cmd_revive "$@" ;;
    tool) cmd_tool "$@" ;;
    cluster-id) random_cluster_id; echo ;;
    *) echo "usage: $0 start [--brokers 1|3] | stop | status | restart | kill N... |" \
            "revive N... | tool CLASS ARGS... | cluster-id" >&2
       exit 2 ;;
esac
