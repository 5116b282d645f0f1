-- wrk script for many URLs: `wrk -tT ... -s cycle.lua URL -- PATHS_FILE T`.
-- Each of the T threads walks the paths (one per line) from its own
-- starting point, so a run touches every page, in the same order for every
-- server.

local started = 0
local paths = {}
local next_index = 1

setup = function(thread)
  thread:set("id", started)
  started = started + 1
end

init = function(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  local threads = tonumber(args[2]) or 1
  next_index = (id * math.floor(#paths / threads)) % #paths + 1
end

request = function()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path)
end

-- The summary at the end is report.lua's, beside this file.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
