-- wrk script for scripts/soak's readers:
--   wrk -tT -cN -dSs -s readers.lua URL -- PATHS_FILE
-- Each thread walks the paths (a weighted mix of routes, one per line) from
-- its own starting point and counts responses by class of status; at the
-- end one line, SOAK_JSON {...}, gives the totals for the soak to judge.

local threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

init = function(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  at = (id * 7919) % #paths
  counts = {}
end

request = function()
  at = at % #paths + 1
  return wrk.format("GET", paths[at], { ["Accept-Encoding"] = "identity" })
end

response = function(status, headers, body)
  local class = tostring(math.floor(status / 100) * 100)
  counts[class] = (counts[class] or 0) + 1
end

done = function(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for class, count in pairs(thread:get("counts")) do
      totals[class] = (totals[class] or 0) + count
    end
  end
  local statuses = {}
  for class, count in pairs(totals) do
    statuses[#statuses + 1] = string.format("\"%s\":%d", class, count)
  end
  io.write(string.format(
    "SOAK_JSON {\"requests\":%d,\"duration_us\":%d,\"p99_us\":%d," ..
    "\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d,\"statuses\":{%s}}\n",
    summary.requests, summary.duration, latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, table.concat(statuses, ",")))
end
