-- seed.lua: the seed's job, done properly.
-- Replicates sample.csv's rows to 1,000,000 records, produces them to
-- test_topic in batches of 10,000 (async, pipelined) while a consumer reads
-- them back and reports, per batch of 10,000, the word count, unique word
-- count, throughput, CPU and memory.
--
--   kengine lua/seed.lua                       # embedded broker
--   kengine lua/seed.lua records=1000 -b 127.0.0.1:9092
return {
  topic = "test_topic",
  csv = "sample.csv",
  records = 1000000,
  batch_size = 10000,
  partitions = 1,
  mode = "async",
  format = "json",
  produce = true,
  consume = true,
  group = "my_group",
}
