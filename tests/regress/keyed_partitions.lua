-- Keyed messages across partitions: the user column is the key, the topic
-- has 4 partitions; nothing lost or duplicated, top words reported.
return {
  name = "keyed_partitions",
  topic = "regress_keyed",
  csv = "sample.csv",
  records = 20000,
  batch_size = 5000,
  partitions = 4,
  key = "user",
  top_words = 5,
  thresholds = { consumed = "== 20000", lost = "== 0", duplicates = "== 0" },
  on_batch = function(b)
    if b.type == "consume_batch" then
      assert(#b.top_words == 5, "expected 5 top words")
      assert(b.top_words[1].count >= b.top_words[5].count)
    end
  end,
}
