-- pipeline.lua: test what sits behind Kafka. kengine produces to `topic`,
-- a system under test (a Kafka Streams app, a Connect pipeline, MirrorMaker,
-- your service) reads it and writes to `consume_topic`, keeping the
-- "kengine" header; kengine consumes that and counts every copy:
--   lost        expected copies that never arrived (named by sequence number)
--   duplicates  copies beyond expect_copies
--   foreign     messages without our header or from another run
-- Latency is end to end through the pipeline. It needs the cluster the
-- system under test uses (-b): on the embedded broker nothing copies topic to
-- consume_topic, and kengine says so and stops (exit 2).
--
--   kengine lua/pipeline.lua -b HOST:9092 topic=orders consume_topic=orders-enriched
return {
  name = "pipeline",
  topic = "kengine.pipeline.in",
  consume_topic = "kengine.pipeline.out",
  expect_copies = 1,   -- e.g. 2 for a fan-out that writes each message twice
  records = 100000,
  batch_size = 10000,
  partitions = 6,
  key_distribution = "uniform",
  key_count = 10000,
  idle_timeout = 30,   -- the system under test may be slower than Kafka
  -- a gate on the pipeline's latency would go here too, e.g.
  -- ["latency_ms.p99"] = "< 2000" (it includes the system's own start-up)
  thresholds = {
    lost = "== 0",
    duplicates = "== 0",
  },
}
