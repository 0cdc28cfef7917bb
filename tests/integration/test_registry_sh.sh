#!/usr/bin/env bash
# scripts/registry.sh: start prints the URL of a schema registry that
# answers the Confluent-compatible API (a schema registers, its id reads
# back), a second start prints the same URL, stop ends it and status then
# says no (exit 1), and the port no longer answers.
source "$(dirname "$0")/lib.sh"
export KENGINE_REGISTRY_STATE=$TMP/registry
trap 'bash "$ROOT/scripts/registry.sh" stop; rm -rf "$TMP"' EXIT

url=$(bash "$ROOT/scripts/registry.sh" start)
case $url in http://127.0.0.1:*) ok "start printed $url" ;; *) fail "start printed '$url'" ;; esac
expect_eq "$(bash "$ROOT/scripts/registry.sh" start)" "$url" "a second start"
expect_eq "$(bash "$ROOT/scripts/registry.sh" status)" "$url" "status"

schema='{"schema":"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}"}'
id=$(curl -fsS -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$schema" \
  "$url/apis/ccompat/v7/subjects/t-value/versions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
back=$(curl -fsS "$url/apis/ccompat/v7/schemas/ids/$id" | python3 -c 'import json,sys; print(json.loads(json.load(sys.stdin)["schema"])["fields"][0]["name"])')
expect_eq "$back" a "the registered schema read back by id $id"

bash "$ROOT/scripts/registry.sh" stop
if bash "$ROOT/scripts/registry.sh" status; then fail "status after stop exited 0"; fi
ok "status after stop exits 1"
if curl -fs -m 2 "$url/apis/ccompat/v7/subjects" >/dev/null 2>&1; then fail "$url still answers after stop"; fi
ok "$url no longer answers"
