# lib.sh: shared by the integration tests (sourced). Gives the binary,
# the real Kafka's address (required: a test that needs Kafka fails when it
# is missing, it never skips), fresh topic names and small assertions.
set -euo pipefail
ROOT=${KENGINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KENGINE=${KENGINE_BIN:-$ROOT/build/kengine}
cd "$ROOT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

need_kafka() {
  if [ -z "${KENGINE_TEST_BROKERS:-}" ]; then
    echo "FAIL: KENGINE_TEST_BROKERS is not set (scripts/test.sh starts Kafka)" >&2
    exit 1
  fi
  BROKERS=$KENGINE_TEST_BROKERS
}

# A topic name no earlier run used.
fresh_topic() { echo "kt_${1:-t}_$$_$(date +%s%N)"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# json_get FILE TYPE FIELD: FIELD of the last NDJSON event of TYPE.
json_get() {
  python3 - "$@" <<'PY'
import json, sys
path, typ, field = sys.argv[1:4]
val = None
for line in open(path):
    ev = json.loads(line)
    if ev.get("type") == typ:
        val = ev
        for part in field.split("."):
            val = val[part]
print(val)
PY
}

expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; ok "$3 = $2"; }

# expect_whole NDJSON RECORDS LABEL: the run's summary says every record was
# delivered and consumed, none lost, duplicated or failed.
expect_whole() {
  local s=$1 n=$2 label=$3
  expect_eq "$(json_get "$s" summary delivered)" "$n" "$label: delivered"
  expect_eq "$(json_get "$s" summary consumed)" "$n" "$label: consumed"
  expect_eq "$(json_get "$s" summary lost)" 0 "$label: lost"
  expect_eq "$(json_get "$s" summary duplicates)" 0 "$label: duplicates"
  expect_eq "$(json_get "$s" summary delivery_errors)" 0 "$label: delivery errors"
}
