-- compare.lua: the seed's "compare performance" step.
-- Produces the same rows twice: first the "older method" (sync: every
-- message waits for its delivery report before the next is sent), then
-- kengine's pipelined async producer, and prints both times and the
-- speed-up in messages per second. The sync leg sends fewer records
-- because each message costs a broker round trip.
--
--   kengine lua/compare.lua
--   kengine lua/compare.lua -b 127.0.0.1:9092
local rates = {}

return {
  topic = "compare_topic",
  csv = "sample.csv",
  batch_size = 10000,
  consume = false,
  legs = {
    { name = "sync", mode = "sync", records = 20000, batch_size = 5000 },
    { name = "async", mode = "async", records = 1000000 },
  },
  on_done = function(s)
    local rate = s.produce_seconds > 0 and s.delivered / s.produce_seconds or 0
    rates[s.name] = rate
    print(string.format("%s: %d records delivered in %.2f s (%.0f msgs/s)",
      s.name, s.delivered, s.produce_seconds, rate))
    if rates.sync and rates.async and rates.sync > 0 then
      print(string.format("async is %.1fx faster than sync (messages per second)",
        rates.async / rates.sync))
    end
  end,
}
