-- A consumer group of two consumers sharing a 4-partition topic: together
-- they see every record exactly once, and both take part.
local seen = {}
return {
  name = "consumer_group",
  topic = "regress_group",
  csv = "sample.csv",
  records = 40000,
  batch_size = 2500,
  partitions = 4,
  consumers = 2,
  group = "regress_group_g",
  thresholds = { consumed = "== 40000", lost = "== 0", duplicates = "== 0" },
  on_batch = function(b)
    if b.type == "consume_batch" then seen[b.consumer] = true end
  end,
  on_done = function(s)
    assert(seen[1] and seen[2], "both consumers should have consumed")
  end,
}
