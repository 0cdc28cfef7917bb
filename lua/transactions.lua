-- transactions.lua: exactly-once. The producer writes in transactions of
-- transaction_size messages (a transactional id per run and worker) and
-- aborts every abort_every-th one on purpose; the consumer reads with
-- isolation.level=read_committed. Aborted messages must never be consumed
-- and are counted as `aborted`, not lost:
--   delivered = consumed = records - aborted, lost 0, duplicates 0.
-- Needs a real Kafka: the embedded broker (librdkafka 2.0.2's mock) accepts
-- transactions but cannot abort one (it writes no transaction markers).
--
--   kengine lua/transactions.lua -b "$(scripts/kafka.sh start)"
return {
  name = "transactions",
  topic = "kengine.txn",
  records = 200000,
  batch_size = 10000,
  partitions = 3,
  transactional = true,
  transaction_size = 1000,
  abort_every = 10,
  thresholds = {
    lost = "== 0",
    duplicates = "== 0",
  },
}
