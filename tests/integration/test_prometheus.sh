#!/usr/bin/env bash
# test_prometheus: the Prometheus export against a real Prometheus (Debian's
# prometheus, on loopback, with this test's own config and data directory).
# Prometheus scrapes one run's --metrics endpoint every second and receives
# another run's --prometheus-rw; its HTTP API must give back the NDJSON
# summary's final counters exactly, and histogram_quantile(0.99) over
# kengine_latency_seconds within the width of the bucket holding the
# summary's latency_ms.p99. Bad input: a malformed address, a port out of
# range and a port in use are exit 2 naming it before anything runs; an
# unreachable remote-write endpoint is one warning, and the run's verdict
# stands (exit 0).
source "$(dirname "$0")/lib.sh"
need_kafka
command -v prometheus >/dev/null || fail "no prometheus (scripts/deps.sh test installs it)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
MPORT=$(free_port)
PPORT=$(free_port)
[ "$MPORT" != "$PPORT" ] || PPORT=$((PPORT + 1))

# ---- bad input: exit 2, one line naming it, nothing ran ----
bad() { # bad WANT ARGS...: exit 2, stderr holds WANT, no run event
  local want=$1; shift
  set +e
  "$KENGINE" lua/seed.lua -b "$BROKERS" records=10 --json "$TMP/bad.json" "$@" 2>"$TMP/bad.err"
  local rc=$?
  set -e
  expect_eq "$rc" 2 "exit code of $*"
  grep -qF "$want" "$TMP/bad.err" || fail "$*: stderr lacks '$want': $(cat "$TMP/bad.err")"
  [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] || fail "$*: more than one line: $(cat "$TMP/bad.err")"
  ! grep -q '"type":"run"' "$TMP/bad.json" 2>/dev/null || fail "$*: the run started"
}
bad "metrics '127.0.0.1:99999': port '99999' is not in 1..65535" --metrics 127.0.0.1:99999
bad "metrics 'nonsense': expected HOST:PORT" --metrics nonsense
bad "prometheus_rw 'localhost:9090': expected an http:// or https:// URL" \
  --prometheus-rw localhost:9090

# ---- Prometheus, scraping kengine's port every second ----
mkdir -p "$TMP/prom"
cat >"$TMP/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kengine
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
  --web.listen-address="127.0.0.1:$PPORT" --web.enable-remote-write-receiver \
  >"$TMP/prom/log" 2>&1 &
PROM_PID=$!
trap 'kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
PROM=http://127.0.0.1:$PPORT
for _ in $(seq 100); do
  curl -sf "$PROM/-/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$PROM/-/ready" >/dev/null || fail "prometheus did not start: $(tail -5 "$TMP/prom/log")"
# targets come from discovery a few seconds after start: scraping has begun
# once kengine's (not yet listening) port is an active target
for _ in $(seq 100); do
  curl -sf "$PROM/api/v1/targets" | grep -q "127.0.0.1:$MPORT" && break
  sleep 0.2
done
curl -sf "$PROM/api/v1/targets" | grep -q "127.0.0.1:$MPORT" || fail "no scrape target"
ok "prometheus ready on $PROM"

# a port in use (Prometheus's own) is named, before the run
bad "metrics '127.0.0.1:$PPORT': cannot listen: Address already in use" \
  --metrics "127.0.0.1:$PPORT"

# query EXPR: the value of an instant query's single result ("" if none)
query() {
  curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")'
}

# compare RUN JSON: the final counters in Prometheus equal the summary's
compare() {
  local run=$1 json=$2 fig series got want
  for fig in sent delivered delivery_errors consumed lost duplicates bytes words; do
    series=kengine_${fig}_total
    got=$(query "last_over_time(${series}{run=\"$run\"}[10m])")
    want=$(json_get "$json" summary "$fig")
    [ -n "$got" ] || fail "$run: no $series in prometheus"
    expect_eq "$got" "$want" "$run: $series"
  done
  # p99 from the buckets, within the width of the bucket holding the summary's
  got=$(query "histogram_quantile(0.99, last_over_time(kengine_latency_seconds_bucket{run=\"$run\"}[10m]))")
  want=$(json_get "$json" summary latency_ms.p99)
  python3 - "$got" "$want" <<'PY' || fail "$run: histogram_quantile(0.99) $got s vs p99 $want ms"
import sys
q, p99 = float(sys.argv[1]), float(sys.argv[2]) / 1000
bounds = [0, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
          1, 2, 5, 10, 20, 50]
lo, hi = next((bounds[i - 1], bounds[i]) for i in range(1, len(bounds)) if p99 <= bounds[i])
print(f"histogram_quantile(0.99) {q:.6f} s, summary p99 {p99:.6f} s, bucket ({lo}, {hi}]")
sys.exit(0 if abs(q - p99) <= hi - lo else 1)
PY
  ok "$run: p99 from the histogram within a bucket of the summary's"
}

# ---- run A: scraped; /metrics lingers until the scrape after the summary ----
TOPIC_A=$(fresh_topic prom_a)
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$TOPIC_A" run_id=prom_a records=6000 rate=2000 \
  batch_size=500 partitions=2 --metrics "127.0.0.1:$MPORT" metrics_linger=10 -q \
  --json "$TMP/a.json" || fail "run A exited $?"
# the last scrape is in when kengine_run_done is (kengine waited for it)
for _ in $(seq 50); do
  [ "$(query 'last_over_time(kengine_run_done{run="prom_a"}[10m])')" = 1 ] && break
  sleep 0.2
done
expect_eq "$(query 'last_over_time(kengine_run_done{run="prom_a"}[10m])')" 1 "run A: run_done"
# it was scraped during the run too: more than one distinct sent value
n=$(query 'count_over_time(kengine_sent_total{run="prom_a"}[10m])')
python3 -c "import sys; sys.exit(0 if float('$n') >= 2 else 1)" ||
  fail "run A: scraped $n times, expected at least 2"
ok "run A scraped $n times"
compare prom_a "$TMP/a.json"
# the Grafana dashboard's queries are PromQL Prometheus accepts, and the
# latency quantiles and rates have data from run A
python3 - "$PROM" deploy/grafana/kengine.json <<'PY' || fail "the dashboard's queries"
import json, sys, urllib.parse, urllib.request
prom, dash = sys.argv[1], json.load(open(sys.argv[2]))
bad = 0
for p in dash["panels"]:
    for t in p.get("targets", []):
        e = t["expr"].replace("$run", "prom_a").replace("$__rate_interval", "1m")
        url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": e})
        try:
            r = json.load(urllib.request.urlopen(url))
        except Exception as ex:
            print("panel %r: %s: %s" % (p["title"], e, ex)); bad += 1; continue
        if r["status"] != "success":
            print("panel %r: %s: %s" % (p["title"], e, r)); bad += 1
print("dashboard: %d panels' queries accepted" % len(dash["panels"]))
sys.exit(1 if bad else 0)
PY

# ---- run B: remote write only, shorter than a scrape interval would need ----
TOPIC_B=$(fresh_topic prom_b)
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$TOPIC_B" run_id=prom_b records=2000 rate=4000 \
  batch_size=500 --prometheus-rw "$PROM/api/v1/write" metrics_interval=1 -q \
  --json "$TMP/b.json" 2>"$TMP/b.err" || fail "run B exited $?: $(cat "$TMP/b.err")"
! grep -q "remote write" "$TMP/b.err" || fail "run B: $(cat "$TMP/b.err")"
compare prom_b "$TMP/b.json"

# ---- a shared run: each worker pushes with its worker label; launched on one
# machine, worker i serves /metrics on PORT + i (the same port would be exit 2) ----
# two free ports in a row, below the kernel's ephemeral range (32768 and
# up), where no client connection takes PORT + 1 after the check
free_port_pair() {
  python3 - <<'PY'
import random, socket
for p in random.sample(range(20000, 32000), 2000):
    socks = []
    try:
        for q in (p, p + 1):
            s = socket.socket()
            s.bind(("127.0.0.1", q))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(p)
    break
PY
}
WPORT=$(free_port_pair)
[ -n "$WPORT" ] || fail "no two free ports in a row below 32000"
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$(fresh_topic prom_w)" run_id="prom_w_$$" \
  workers=2 partitions=2 records=4000 batch_size=500 --metrics "127.0.0.1:$WPORT" \
  --prometheus-rw "$PROM/api/v1/write" metrics_interval=1 -q --json "$TMP/w.json" \
  2>"$TMP/w.err" || fail "shared run exited $?: $(cat "$TMP/w.err")"
expect_eq "$(query "count(last_over_time(kengine_sent_total{run=\"prom_w_$$\"}[10m]))")" 2 \
  "shared run: series of kengine_sent_total"
for w in 0 1; do
  want=$(python3 -c "import json,sys; print([e for e in map(json.loads, open('$TMP/w.json')) if e['type'] == 'worker' and e['worker'] == $w][0]['sent'])")
  expect_eq "$(query "last_over_time(kengine_sent_total{run=\"prom_w_$$\",worker=\"$w\"}[10m])")" \
    "$want" "shared run: worker $w's kengine_sent_total"
done
expect_eq "$(query "sum(last_over_time(kengine_consumed_total{run=\"prom_w_$$\"}[10m]))")" \
  "$(json_get "$TMP/w.json" summary consumed)" "shared run: the workers' consumed add up"

# ---- an unreachable remote-write endpoint: one warning, exit 0 ----
set +e
"$KENGINE" lua/seed.lua -b "$BROKERS" topic="$(fresh_topic prom_c)" records=3000 rate=2000 \
  batch_size=500 --prometheus-rw "http://127.0.0.1:$MPORT/api/v1/write" metrics_interval=0.3 \
  -q --json "$TMP/c.json" 2>"$TMP/c.err"
rc=$?
set -e
expect_eq "$rc" 0 "exit code with an unreachable remote-write endpoint"
expect_eq "$(grep -c "warning: remote write to http://127.0.0.1:$MPORT/api/v1/write failed" \
  "$TMP/c.err")" 1 "warnings of the first failure"
grep -qE "remote write to .*: [0-9]+ of [0-9]+ pushes failed" "$TMP/c.err" ||
  fail "no count of the failed pushes: $(cat "$TMP/c.err")"
expect_eq "$(json_get "$TMP/c.json" summary lost)" 0 "run C's verdict unchanged: lost"
ok "test_prometheus passed"
