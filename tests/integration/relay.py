#!/usr/bin/python3
"""relay.py: a small system under test for kengine's pipeline runs.

Consumes topic IN from the beginning, writes every message to topic OUT
COPIES times with its key and headers kept (as Kafka Streams and Connect
keep them), and can drop every N-th output copy (--drop-every N), and
write K messages without kengine's header when the first input arrives
(--foreign K). The
sequence number of every dropped copy (from the kengine header) goes to
--dropped FILE, one per line, so a test can compare what kengine reports
missing with what was really dropped. Stops after --messages input
messages, or after --idle seconds without one; exits 0 after flushing
everything it produced.

Uses Debian's python3-confluent-kafka (run by /usr/bin/python3).
"""
import argparse
import struct
import sys
import time

from confluent_kafka import Consumer, Producer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-b", "--brokers", required=True)
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--out", dest="dst", required=True)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--drop-every", type=int, default=0)
    ap.add_argument("--dropped", default=None)
    ap.add_argument("--messages", type=int, default=0)
    ap.add_argument("--idle", type=float, default=20.0)
    ap.add_argument("--group", default="relay")
    ap.add_argument("--foreign", type=int, default=0,
                    help="first write this many messages without kengine's header to OUT")
    a = ap.parse_args()

    cons = Consumer({"bootstrap.servers": a.brokers, "group.id": a.group,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
    prod = Producer({"bootstrap.servers": a.brokers, "enable.idempotence": True,
                     "linger.ms": 5})
    cons.subscribe([a.src])
    dropped = open(a.dropped, "w") if a.dropped else None
    seen = copies_out = 0
    last = time.monotonic()
    while a.messages == 0 or seen < a.messages:
        msgs = cons.consume(1000, 0.2)
        if not msgs:
            if time.monotonic() - last > a.idle:
                break
            prod.poll(0)
            continue
        last = time.monotonic()
        for m in msgs:
            if m.error():
                print("relay: %s" % m.error(), file=sys.stderr)
                continue
            seen += 1
            if seen == 1:
                # after kengine's first message, so after it noted where
                # the output topic's new messages start
                for i in range(a.foreign):
                    prod.produce(a.dst, b"not kengine's %d" % i)
            headers = m.headers() or []
            seq = None
            for k, v in headers:
                if k == "kengine" and v is not None and len(v) >= 8:
                    seq = struct.unpack(">Q", v[:8])[0]
            for _ in range(a.copies):
                copies_out += 1
                if a.drop_every and copies_out % a.drop_every == 0:
                    if dropped:
                        dropped.write("%s\n" % seq)
                    continue
                while True:
                    try:
                        prod.produce(a.dst, m.value(), m.key(), headers=headers)
                        break
                    except BufferError:
                        prod.poll(0.05)
            prod.poll(0)
    left = prod.flush(30)
    cons.close()
    if dropped:
        dropped.close()
    print("relay: %d in, %d copies out, %d unflushed" % (seen, copies_out, left), file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
