#!/usr/bin/env python3
"""check_avro.py BROKERS TOPIC REGISTRY CSV RECORDS [col:type,...]

The independent reader of kengine's Avro values: confluent-kafka's
AvroDeserializer, fetching the writer's schema from the registry by the id
each value carries, reads every record of TOPIC; each must equal its CSV row
(found by its first column) with the declared types (int, long, float,
double, boolean; ?type: nullable, empty = None), every other column a
string. Prints one line per kind of check, exits 1 on the first mismatch.
"""
import csv
import sys

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

brokers, topic, registry, path, records = sys.argv[1:6]
records = int(records)
types = dict(t.split(":", 1) for t in sys.argv[6].split(",")) if len(sys.argv) > 6 and sys.argv[6] else {}
conv = {"int": int, "long": int, "float": float, "double": float, "boolean": lambda s: s == "true", "string": str}


def typed(col, s):
    t = types.get(col, "string")
    if t.startswith("?"):
        if s == "":
            return None
        t = t[1:]
    return conv[t](s)


with open(path, newline="") as f:
    rows = [{k: typed(k, v) for k, v in r.items()} for r in csv.DictReader(f)]
first = list(rows[0].keys())[0]
expected = {r[first]: r for r in rows}

deser = AvroDeserializer(SchemaRegistryClient({"url": registry}))
c = Consumer({"bootstrap.servers": brokers, "group.id": "check_avro", "enable.auto.commit": False,
              "auto.offset.reset": "earliest"})
md = c.list_topics(topic, timeout=10)
c.assign([TopicPartition(topic, p, 0) for p in md.topics[topic].partitions])
n, seen, idle = 0, set(), 0
while n < records and idle < 20:
    m = c.poll(0.5)
    if m is None:
        idle += 1
        continue
    if m.error():
        sys.exit("FAIL: consumer error %s" % m.error())
    idle = 0
    rec = deser(m.value(), SerializationContext(topic, MessageField.VALUE))
    want = expected.get(rec.get(first))
    if rec != want:
        sys.exit("FAIL: record %d at offset %d is %r, its CSV row %r" % (n, m.offset(), rec, want))
    seen.add(rec[first])
    n += 1
c.close()
if n != records:
    sys.exit("FAIL: read %d records, expected %d" % (n, records))
print("ok: %d records read by AvroDeserializer, each equal to its CSV row (%s)"
      % (n, ", ".join("%s %s" % kv for kv in types.items()) or "all strings"))
if records >= len(rows) and len(seen) != len(rows):
    sys.exit("FAIL: %d distinct rows of %d" % (len(seen), len(rows)))
print("ok: all %d CSV rows among them" % len(rows))
