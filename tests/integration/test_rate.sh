#!/usr/bin/env bash
# rate = 2000 msgs/s on the real Kafka: the limiter never sends ahead of
# schedule, so 3000 records cannot take less than 2999/2000 s (a bound
# that holds however slow the machine is), and nothing is lost.
source "$(dirname "$0")/lib.sh"
need_kafka
"$KENGINE" lua/seed.lua -q --json "$TMP/o.json" -b "$BROKERS" topic="$(fresh_topic rate)" \
  records=3000 batch_size=1000 rate=2000 || fail "exit $?"
expect_eq "$(json_get "$TMP/o.json" summary lost)" 0 lost
python3 - "$TMP/o.json" <<'PY' || fail "rate not honoured"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
t = s["produce_seconds"]
assert t >= 2999 / 2000 * 0.99, t
print(f"ok: 3000 records at rate 2000 took {t:.2f} s")
PY
