-- A phased workload: warm-up, a steady rate, then a burst; reports and
-- thresholds per phase as well as overall.
return {
  name = "phased",
  topic = "regress_phased",
  csv = "sample.csv",
  batch_size = 5000,
  phases = {
    { name = "warmup", records = 3000, rate = 3000 },
    { name = "steady", records = 10000, rate = 10000 },
    { name = "burst", records = 20000 },
  },
  thresholds = {
    ["warmup.sent"] = "== 3000",
    ["steady.sent"] = "== 10000",
    ["burst.consumed"] = "== 20000",
    ["steady.msgs_per_sec"] = "<= 10100",
    ["steady.latency_ms.p99"] = "< 10000",
    lost = "== 0",
    duplicates = "== 0",
  },
  on_done = function(s)
    assert(#s.phases == 3)
    for _, p in ipairs(s.phases) do
      assert(p.latency:count() == p.consumed, p.name)
    end
  end,
}
