-- phases.lua: warm-up, a steady rate, then a burst, with figures and
-- thresholds per phase. Latency is measured from each message's intended
-- send time, so a stall shows up instead of hiding (no coordinated
-- omission).
--
--   kengine lua/phases.lua steady_rate=20000
local opt = kengine.options{
  steady_rate = { default = 10000, description = "steady phase rate, msgs/s" },
  steady_seconds = { default = 5, description = "steady phase duration, s" },
}
return {
  topic = "phases",
  csv = "sample.csv",
  batch_size = 10000,
  phases = {
    { name = "warmup", records = 5000, rate = 2000 },
    { name = "steady", duration = opt.steady_seconds, rate = opt.steady_rate },
    { name = "burst", records = 50000 },            -- rate 0: as fast as possible
  },
  thresholds = {
    ["steady.latency_ms.p99"] = "< 1000",
    ["steady.msgs_per_sec"] = ">= " .. opt.steady_rate * 0.9,
    lost = "== 0",
  },
  on_done = function(s)
    for _, p in ipairs(s.phases) do
      print(string.format("%-7s sent %7d  %8.0f msgs/s  p50 %6.1f ms  p99.9 %6.1f ms",
        p.name, p.sent, p.msgs_per_sec, p.latency:percentile(50), p.latency:percentile(99.9)))
    end
  end,
}
