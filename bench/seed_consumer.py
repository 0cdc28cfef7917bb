#!/usr/bin/env python3
"""The seed's consumer (cond.py), its bugs fixed, as a benchmark baseline.

Same job as the seed: consume the topic from the beginning in batches of
10,000 and report per batch the word count, unique word count, throughput,
CPU and memory. Fixed:

  * throughput is the batch's own messages over the batch's own interval
    (the seed divided the running total by the batch time, and reset a
    variable it never read, so its figures were nonsense: 25 million msgs/s);
  * CPU is process time (user+system, time.process_time) over wall time for
    the batch's interval; the seed's psutil cpu_percent(interval=1.0) slept a
    second per batch and measured that idle second (0%);
  * memory is the resident set from /proc/self/statm (no psutil needed);
  * it stops after N messages (the seed looped forever) and prints a summary;
  * no asyncio around blocking calls (they gained nothing).

Words are the seed's: str.split() over the batch's decoded messages, unique
words len(set(...)) within the batch (for ASCII data, which sample.csv is,
exactly kengine's definition).

Last line, one JSON summary:
  {"tool": "seed_consumer", "consumed": N, "consume_seconds": S,
   "msgs_per_sec": R, "words": W, "cpu_percent": C, "rss_mb": M}
consume_seconds runs from the first message to the N-th (kengine's
consume_seconds likewise starts at its first message).

usage: seed_consumer.py -b HOST:PORT -t TOPIC -g GROUP [--records N]
                        [--batch 10000] [-q]
"""
import argparse
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / (1024 * 1024)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-b", "--brokers", required=True)
    ap.add_argument("-t", "--topic", required=True)
    ap.add_argument("-g", "--group", default="seed_consumer")
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--timeout", type=float, default=15,
                    help="give up after this many seconds without a message")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()

    consumer = Consumer({
        "bootstrap.servers": a.brokers,
        "group.id": a.group,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
    })
    consumer.subscribe([a.topic])

    messages = []
    consumed = words_total = 0
    t_first = None
    b_start = b_cpu = None
    cpu0 = None
    last_msg = time.monotonic()
    batch_no = 0
    while consumed < a.records:
        msg = consumer.poll(0.1)
        now = time.monotonic()
        if msg is None:
            if now - last_msg > a.timeout:
                print(f"no message for {a.timeout:.0f} s, giving up",
                      file=sys.stderr)
                break
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            print(msg.error(), file=sys.stderr)
            break
        last_msg = now
        if t_first is None:
            t_first = b_start = time.perf_counter()
            cpu0 = b_cpu = time.process_time()
        messages.append(msg.value().decode("utf-8"))
        consumed += 1
        if len(messages) >= a.batch or consumed == a.records:
            words = " ".join(messages).split()
            wc, uc = len(words), len(set(words))
            words_total += wc
            t_end, cpu_end = time.perf_counter(), time.process_time()
            dt = t_end - b_start
            batch_no += 1
            if not a.quiet:
                print(f"batch {batch_no}: {len(messages)} messages, {wc} words, "
                      f"{uc} unique words, {dt:.3f} s, "
                      f"{len(messages) / dt if dt > 0 else 0:.0f} msgs/s, "
                      f"cpu {100 * (cpu_end - b_cpu) / dt if dt > 0 else 0:.1f}%, "
                      f"rss {rss_mb():.1f} MB", flush=False)
            messages.clear()
            b_start, b_cpu = t_end, cpu_end
    consumer.close()
    secs = (time.perf_counter() - t_first) if t_first is not None else 0.0
    cpu = (time.process_time() - cpu0) if cpu0 is not None else 0.0
    print(json.dumps({
        "tool": "seed_consumer", "consumed": consumed,
        "consume_seconds": round(secs, 6),
        "msgs_per_sec": round(consumed / secs, 1) if secs > 0 else 0,
        "words": words_total,
        "cpu_percent": round(100 * cpu / secs, 1) if secs > 0 else 0,
        "rss_mb": round(rss_mb(), 1),
    }), flush=True)
    sys.exit(0 if consumed == a.records else 1)


if __name__ == "__main__":
    main()
