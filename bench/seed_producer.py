#!/usr/bin/env python3
"""The seed's producer (pro.py), its bugs fixed, as a benchmark baseline.

Same job as the seed: read sample.csv, replicate its rows to N records,
produce them to a topic with confluent_kafka, report per batch of 10,000 the
message and word counts. Fixed:

  * csv.DictReader over the file object (the seed passed the file's whole
    text, so it iterated characters and produced garbage rows);
  * rows are encoded once, the N records are produced cyclically instead of
    materialising N copies in memory (`reader * rfactor`);
  * Producer.produce + poll(0) per message (serves delivery callbacks without
    blocking), BufferError (local queue full) handled by poll(0.1) and retry,
    one flush() at the end; the seed's asyncio tasks around a synchronous
    produce() only added overhead, and its poll(1) per batch stalled;
  * no print per delivered message: delivery errors are counted;
  * the timed interval is the first produce() to the end of flush(), as
    kengine's produce_seconds (first send to last delivery report).

Encoding: --format json (default) is kengine's `format = "json"`:
json.dumps(row, ensure_ascii=False, separators=(",", ":")), byte for byte the
same messages kengine sends; --format dict is the seed's str(row).

Prints per batch a line like kengine's and, last, one JSON summary line:
  {"tool": "seed_producer", "records": N, "delivered": N, "errors": 0,
   "produce_seconds": S, "msgs_per_sec": R}

usage: seed_producer.py -b HOST:PORT -t TOPIC [--records N] [--csv sample.csv]
                        [--format json|dict] [--batch 10000] [-q]
"""
import argparse
import csv
import json
import sys
import time

from confluent_kafka import Producer


def encode(row, fmt):
    if fmt == "json":
        return json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return str(row)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-b", "--brokers", required=True)
    ap.add_argument("-t", "--topic", required=True)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--csv", default="sample.csv")
    ap.add_argument("--format", choices=["json", "dict"], default="json")
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()

    with open(a.csv, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("%s: no data rows" % a.csv)
    msgs = [encode(r, a.format).encode("utf-8") for r in rows]

    state = {"delivered": 0, "errors": 0}

    def on_delivery(err, _msg):
        if err is not None:
            state["errors"] += 1
        else:
            state["delivered"] += 1

    producer = Producer({"bootstrap.servers": a.brokers})
    n_rows = len(msgs)
    total_batches = (a.records + a.batch - 1) // a.batch
    produce = producer.produce
    poll = producer.poll
    topic = a.topic

    t0 = time.perf_counter()
    sent = 0
    for b in range(total_batches):
        batch_start = time.perf_counter()
        end = min(a.records, sent + a.batch)
        batch = [msgs[i % n_rows] for i in range(sent, end)]
        for value in batch:
            while True:
                try:
                    produce(topic, value, on_delivery=on_delivery)
                    break
                except BufferError:
                    poll(0.1)
            poll(0)
        sent = end
        # The seed's per-batch word count: str.split() over the joined batch.
        words = len(b" ".join(batch).decode("utf-8").split())
        if not a.quiet:
            dt = time.perf_counter() - batch_start
            print(f"Batch {b + 1}/{total_batches}: {len(batch)} messages, "
                  f"{words} words, {len(batch) / dt if dt > 0 else 0:.0f} msgs/s",
                  flush=False)
    remaining = producer.flush(60)
    secs = time.perf_counter() - t0
    summary = {
        "tool": "seed_producer", "format": a.format, "records": a.records,
        "delivered": state["delivered"], "errors": state["errors"],
        "undelivered": remaining, "produce_seconds": round(secs, 6),
        "msgs_per_sec": round(state["delivered"] / secs, 1) if secs > 0 else 0,
    }
    print(json.dumps(summary), flush=True)
    sys.exit(0 if state["delivered"] == a.records else 1)


if __name__ == "__main__":
    main()
