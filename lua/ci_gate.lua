-- ci_gate.lua: a workload as a CI gate. Thresholds turn the run into a
-- pass/fail check: exit code 3 (and the failing thresholds, with their
-- actual values, on stderr and in the NDJSON summary) when one fails.
--
--   kengine lua/ci_gate.lua -b "$KAFKA" min_rate=50000
local opt = kengine.options{
  min_rate = { default = 20000, description = "consume throughput floor, msgs/s" },
  max_p99 = { default = 2000, description = "end-to-end p99 latency ceiling, ms" },
}
return {
  topic = "ci_gate",
  csv = "sample.csv",
  records = 200000,
  batch_size = 10000,
  thresholds = {
    consume_msgs_per_sec = ">= " .. opt.min_rate,
    ["latency_ms.p99"] = "< " .. opt.max_p99,
    lost = "== 0",
    duplicates = "== 0",
    delivery_errors = "== 0",
    -- checked on every batch; abort = stop at the first failing batch
    ["consume_batch.latency_ms.max"] = { "< 30000", abort = true },
  },
}
