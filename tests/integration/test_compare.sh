#!/usr/bin/env bash
# compare.lua, the seed's sync vs async step, on the real Kafka (reduced):
# both legs deliver everything and the speed-up is printed.
source "$(dirname "$0")/lib.sh"
need_kafka
cat >"$TMP/small_compare.lua" <<L
local base = dofile("$ROOT/lua/compare.lua")
base.topic = "$(fresh_topic compare)"
base.legs[1].records = 300
base.legs[1].batch_size = 100
base.legs[2].records = 20000
return base
L
out=$("$KENGINE" "$TMP/small_compare.lua" -b "$BROKERS")
echo "$out" | grep -Eq "^sync: 300 records delivered" || fail "no sync line: $out"
echo "$out" | grep -Eq "^async: 20000 records delivered" || fail "no async line: $out"
echo "$out" | grep -Eq "^async is [0-9.]+x faster than sync" || fail "no speed-up: $out"
ok "$(echo "$out" | grep faster)"
