#!/usr/bin/env bash
# SASL/PLAIN: a Kafka of its own with a SASL_PLAINTEXT listener
# (KENGINE_KAFKA_SASL=1 scripts/kafka.sh start, user kengine). kengine
#   - with the right credentials as producer.*/consumer.* properties: exit 0,
#     nothing lost;
#   - with the password from the environment, read by the workload script
#     (os.getenv): the same;
#   - with a wrong password: exit 1 within seconds, with an authentication
#     error naming the address;
# and no password ever shows in stdout, stderr or the NDJSON file.
source "$(dirname "$0")/lib.sh"
USER_NAME=kengine
PASSWORD=kengine-secret
WRONG=wrong-Pa55word
KSTATE="$TMP/kafka"
trap 'KENGINE_KAFKA_STATE="$KSTATE" scripts/kafka.sh stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

SASL_ADDR=$(KENGINE_KAFKA_SASL=1 KENGINE_KAFKA_SASL_USER=$USER_NAME \
  KENGINE_KAFKA_SASL_PASSWORD=$PASSWORD KENGINE_KAFKA_STATE="$KSTATE" \
  scripts/kafka.sh start 2>"$TMP/kafka.log") ||
  { tail -n 30 "$TMP/kafka.log" >&2; fail "could not start a SASL Kafka (scripts/kafka.sh)"; }
[[ "$SASL_ADDR" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "kafka.sh printed '$SASL_ADDR'"
grep -q "SASL_PLAINTEXT" "$KSTATE/server.properties" || fail "no SASL_PLAINTEXT listener"
ok "SASL Kafka at $SASL_ADDR"

sasl_props() { # role password
  echo "$1.security.protocol=SASL_PLAINTEXT $1.sasl.mechanisms=PLAIN" \
       "$1.sasl.username=$USER_NAME $1.sasl.password=$2"
}

# no_secret NAME: none of the run's outputs holds a password.
no_secret() {
  local f
  for f in "$TMP/$1.out" "$TMP/$1.err" "$TMP/$1.json"; do
    [ -f "$f" ] || continue
    if grep -F -q -e "$PASSWORD" -e "$WRONG" "$f"; then
      grep -F -n -e "$PASSWORD" -e "$WRONG" "$f" | head -n 3 >&2
      fail "$1: a password appears in $(basename "$f")"
    fi
  done
  ok "$1: no password in stdout, stderr or NDJSON"
}

# 1. Credentials on the command line.
rc=0
# shellcheck disable=SC2046 # the properties are words
"$KENGINE" lua/seed.lua --json "$TMP/props.json" -b "$SASL_ADDR" \
  topic="$(fresh_topic sasl)" records=20000 batch_size=5000 \
  $(sasl_props producer $PASSWORD) $(sasl_props consumer $PASSWORD) \
  >"$TMP/props.out" 2>"$TMP/props.err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMP/props.err" >&2; fail "props: kengine exited $rc"; }
expect_eq "$(json_get "$TMP/props.json" summary consumed)" 20000 "props: consumed"
expect_eq "$(json_get "$TMP/props.json" summary lost)" 0 "props: lost"
expect_eq "$(json_get "$TMP/props.json" summary duplicates)" 0 "props: duplicates"
no_secret props

# 2. The password from the environment, read by the workload script.
cat >"$TMP/sasl_env.lua" <<'LUA'
-- SASL credentials from the environment: nothing secret in the script.
local function sasl()
  return {
    ["security.protocol"] = "SASL_PLAINTEXT",
    ["sasl.mechanisms"] = "PLAIN",
    ["sasl.username"] = os.getenv("KENGINE_SASL_USER") or "kengine",
    ["sasl.password"] = assert(os.getenv("KENGINE_SASL_PASSWORD"),
                               "KENGINE_SASL_PASSWORD is not set"),
  }
end
return {
  csv = "sample.csv",
  records = 20000,
  batch_size = 5000,
  producer = sasl(),
  consumer = sasl(),
}
LUA
rc=0
KENGINE_SASL_PASSWORD=$PASSWORD "$KENGINE" "$TMP/sasl_env.lua" --json "$TMP/env.json" \
  -b "$SASL_ADDR" topic="$(fresh_topic sasl_env)" >"$TMP/env.out" 2>"$TMP/env.err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMP/env.err" >&2; fail "env: kengine exited $rc"; }
expect_eq "$(json_get "$TMP/env.json" summary consumed)" 20000 "env: consumed"
expect_eq "$(json_get "$TMP/env.json" summary lost)" 0 "env: lost"
no_secret env

# 3. A wrong password: a fast, clear failure.
t0=$(date +%s%N)
rc=0
# shellcheck disable=SC2046
"$KENGINE" lua/seed.lua --json "$TMP/wrong.json" -b "$SASL_ADDR" \
  topic="$(fresh_topic sasl_wrong)" records=20000 \
  $(sasl_props producer $WRONG) $(sasl_props consumer $WRONG) \
  >"$TMP/wrong.out" 2>"$TMP/wrong.err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$rc" 1 "wrong password: exit code"
[ "$ms" -lt 10000 ] || fail "wrong password: took ${ms} ms to fail"
ok "wrong password: failed in ${ms} ms"
grep -qi "authentication failed at $SASL_ADDR" "$TMP/wrong.err" ||
  { cat "$TMP/wrong.err" >&2; fail "wrong password: no authentication error naming $SASL_ADDR"; }
ok "wrong password: $(grep -i -m1 'authentication' "$TMP/wrong.err")"
# the same with the password from the environment
rc=0
KENGINE_SASL_PASSWORD=$WRONG "$KENGINE" "$TMP/sasl_env.lua" --json "$TMP/wrongenv.json" \
  -b "$SASL_ADDR" topic="$(fresh_topic sasl_wrong)" >"$TMP/wrongenv.out" \
  2>"$TMP/wrongenv.err" || rc=$?
expect_eq "$rc" 1 "wrong password from the environment: exit code"
grep -qi "authentication failed at $SASL_ADDR" "$TMP/wrongenv.err" ||
  { cat "$TMP/wrongenv.err" >&2; fail "wrong password (env): no authentication error"; }
no_secret wrong
no_secret wrongenv
