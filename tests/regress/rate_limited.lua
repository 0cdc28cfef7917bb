-- Rate-limited production checked against its target: 4000 msgs/s for
-- 12000 records. The limiter never runs ahead of schedule, and must not
-- fall far behind it either.
local opt = kengine.options{
  target = { default = 4000, description = "target rate, msgs/s",
             validate = function(v) return v > 0, "must be positive" end },
}
return {
  name = "rate_limited",
  topic = "regress_rate",
  csv = "sample.csv",
  batch_size = 2000,
  phases = { { name = "steady", records = 12000, rate = opt.target } },
  thresholds = {
    ["steady.msgs_per_sec"] = { "<= " .. opt.target * 1.01, ">= " .. opt.target * 0.8 },
    lost = "== 0",
    duplicates = "== 0",
  },
}
