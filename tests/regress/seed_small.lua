-- The seed job at reduced size: everything delivered and consumed exactly
-- once, and the word figures present.
return {
  name = "seed_small",
  topic = "regress_seed",
  csv = "sample.csv",
  records = 50000,
  batch_size = 10000,
  thresholds = {
    delivered = "== 50000",
    consumed = "== 50000",
    lost = "== 0",
    duplicates = "== 0",
    delivery_errors = "== 0",
    unique_words_total = "> 1000",
  },
}
