#!/usr/bin/env python3
"""check_batches.py CSV FORMAT RECORDS BATCH NDJSON

Recomputes, independently of kengine, what each consume batch must report
when the topic has one partition (so batch i holds records i*BATCH ...):
messages, bytes, words and unique words, with Python's own csv module and
the reference encoders in tests/unit/csv_reference.py; and the summary's
words and unique_words_total. Exits 1 on the first difference."""
import json, os, subprocess, sys

csv_path, fmt, records, batch, ndjson = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ref = os.path.join(os.path.dirname(__file__), "..", "unit", "csv_reference.py")
out = subprocess.run([sys.executable, ref, csv_path, "--format", fmt, "--records",
                      str(records), "-0"], check=True, capture_output=True).stdout
msgs = out.split(b"\0")
if msgs and msgs[-1] == b"":
    msgs.pop()
assert len(msgs) == records, (len(msgs), records)

events = [json.loads(l) for l in open(ndjson)]
batches = [e for e in events if e["type"] == "consume_batch"]
summary = [e for e in events if e["type"] == "summary"][-1]
want_batches = (records + batch - 1) // batch
if len(batches) != want_batches:
    sys.exit(f"expected {want_batches} consume batches, got {len(batches)}")
allwords = set()
total = 0
for i, ev in enumerate(batches):
    chunk = msgs[i * batch:(i + 1) * batch]
    words = b" ".join(chunk).split()
    want = {"messages": len(chunk), "bytes": sum(map(len, chunk)),
            "words": len(words), "unique_words": len(set(words))}
    got = {k: ev[k] for k in want}
    if got != want:
        sys.exit(f"batch {i + 1}: kengine {got} != python {want}")
    total += len(words)
    allwords.update(words)
if summary["words"] != total or summary["unique_words_total"] != len(allwords):
    sys.exit(f"summary words {summary['words']}/{summary['unique_words_total']} != "
             f"python {total}/{len(allwords)}")
print(f"{len(batches)} batches match")
