-- bench/hook.lua: lua/seed.lua plus a trivial on_batch hook, for measuring
-- what a Lua hook costs (scripts/bench.sh runs this and lua/seed.lua with the
-- same overrides and compares their throughput).
local seed = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "../lua/seed.lua")

local n, words = 0, 0
seed.on_batch = function(b)
  n = n + 1
  words = words + b.words
end
return seed
