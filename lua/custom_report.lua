-- custom_report.lua: replace the text reporter, reuse the built-in one,
-- and use the latency object's methods and the batch's top words.
--
--   kengine lua/custom_report.lua records=50000
local slow = 0
return {
  topic = "custom_report",
  csv = "sample.csv",
  records = 100000,
  batch_size = 10000,
  top_words = 3,
  -- called instead of the built-in text reporter for every batch and the
  -- summary; kengine.text(ev) is what the built-in one would have printed
  reporter = function(ev)
    if ev.type == "summary" then
      io.write(kengine.text(ev))
    elseif ev.type == "consume_batch" then
      local words = {}
      for _, w in ipairs(ev.top_words) do words[#words + 1] = w.word .. "=" .. w.count end
      print(string.format("batch %3d  %8.0f msgs/s  p50 %6.1f ms  p99.9 %6.1f ms  top: %s",
        ev.batch, ev.msgs_per_sec, ev.latency:percentile(50), ev.latency:percentile(99.9),
        table.concat(words, " ")))
    end
  end,
  on_batch = function(b)
    if b.type == "consume_batch" and b.latency:percentile(99) > 500 then slow = slow + 1 end
  end,
  on_done = function(s)
    print(string.format("%d batches had p99 over 500 ms; mean latency %.1f ms over %d messages",
      slow, s.latency:mean(), s.latency:count()))
  end,
}
