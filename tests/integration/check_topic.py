#!/usr/bin/env python3
"""check_topic.py CSV FORMAT RECORDS RAW

RAW is `kcat -C -f '%S %s'` output (value length, space, value bytes, for
each message in partition order). Checks the values are exactly the first
RECORDS replicated rows of CSV as Python encodes them (reference encoders in
tests/unit/csv_reference.py)."""
import os, subprocess, sys

csv_path, fmt, records, raw_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ref = os.path.join(os.path.dirname(__file__), "..", "unit", "csv_reference.py")
want = subprocess.run([sys.executable, ref, csv_path, "--format", fmt, "--records",
                       str(records), "-0"], check=True, capture_output=True).stdout.split(b"\0")
if want and want[-1] == b"":
    want.pop()
raw = open(raw_path, "rb").read()
got, pos = [], 0
while pos < len(raw):
    sp = raw.index(b" ", pos)
    n = int(raw[pos:sp])
    got.append(raw[sp + 1:sp + 1 + n])
    pos = sp + 1 + n
if len(got) != len(want):
    sys.exit(f"{len(got)} messages on the topic, expected {len(want)}")
for i, (g, w) in enumerate(zip(got, want)):
    if g != w:
        sys.exit(f"message {i}: {g[:120]!r} != expected {w[:120]!r}")
print(f"{len(got)} messages identical")
