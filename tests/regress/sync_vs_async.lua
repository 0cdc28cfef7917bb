-- Sync against async: the seed's "older method" (every message waits for
-- its delivery report) and the pipelined producer, each checked for
-- completeness; the speed-up is printed and must be real.
local rate = {}
return {
  name = "sync_vs_async",
  topic = "regress_sync_async",
  csv = "sample.csv",
  consume = false,
  legs = {
    { name = "sync", mode = "sync", records = 400, batch_size = 100,
      thresholds = { delivered = "== 400", delivery_errors = "== 0" } },
    { name = "async", mode = "async", records = 20000, batch_size = 5000,
      thresholds = { delivered = "== 20000", delivery_errors = "== 0" } },
  },
  on_done = function(s)
    rate[s.name] = s.delivered / s.produce_seconds
    if rate.sync and rate.async then
      print(string.format("async %.0f msgs/s, sync %.0f msgs/s: %.1fx", rate.async,
        rate.sync, rate.async / rate.sync))
      assert(rate.async > rate.sync, "async was not faster than sync")
    end
  end,
}
