#!/usr/bin/env bash
# test_grafana: every query of the Grafana dashboard (deploy/grafana/
# kengine.json) names series and labels kengine exports (the list of
# `kengine help metrics`, derived from the table of figures), checked by
# check_grafana.py; and the check goes red on copies with a misspelt series,
# a series kengine never had, and a label its series do not carry.
source "$(dirname "$0")/lib.sh"
CHECK="python3 $ROOT/tests/integration/check_grafana.py $KENGINE"
DASH=deploy/grafana/kengine.json

$CHECK "$DASH" >"$TMP/ok.out" || fail "the dashboard: $(cat "$TMP/ok.out")"
ok "$(tail -1 "$TMP/ok.out")"
# it covers what the issue asks a dashboard to show
for s in kengine_batch_messages_per_second kengine_latency_seconds_bucket \
  kengine_batch_consumer_lag kengine_broker_rtt_mean_seconds 'by (run, worker)'; do
  grep -qF "$s" "$DASH" || fail "the dashboard does not use $s"
done
ok "rates, latency quantiles, lag, the per-broker split and per worker are shown"

red() { # red NAME SED: the check fails on the edited copy, naming what is wrong
  sed "$2" "$DASH" >"$TMP/$1.json"
  if $CHECK "$TMP/$1.json" >"$TMP/$1.out"; then fail "$1: the check passed"; fi
  grep -qF "$3" "$TMP/$1.out" || fail "$1: no '$3' in: $(cat "$TMP/$1.out")"
  ok "red on $1: $(grep -F "$3" "$TMP/$1.out" | head -1)"
}
red misspelt 's/kengine_sent_total{/kengine_sends_total{/' "'kengine_sends_total' is not"
red foreign 's/kengine_batch_rss_bytes/process_resident_memory_bytes/' \
  "'process_resident_memory_bytes' is not"
red label 's/by (run, worker)/by (run, pod)/' "label 'pod' is not"
