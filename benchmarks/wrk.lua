-- Requests for wrk, picked at random from a file the bench writes, and one result line.
--   wrk -s wrk.lua URL -- METHOD FILE
-- FILE has a line per share, all lines padded to one width: the path, a tab, the body
-- (often empty). The script reads it whole and cuts out line k when it needs one, so a
-- file of 200,000 shares costs no time to load. Headers come from wrk's own -H options.
-- done() prints the one line benchmarks/wrk.py parses.

local method = "GET"
local data, width, lines = "", 0, 0
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("thread_number", threads)
end

function init(args)
   method = args[1]
   local file = assert(io.open(args[2], "rb"))
   data = file:read("*a")
   file:close()
   width = data:find("\n", 1, true) or 0
   lines = width > 0 and #data / width or 0
   assert(lines >= 1 and #data % width == 0, args[2] .. ": lines of one width expected")
   math.randomseed(os.time() * 1000 + thread_number)
end

function request()
   local start = (math.random(lines) - 1) * width
   local line = data:sub(start + 1, start + width - 1)
   local tab = line:find("\t", 1, true)
   local body = line:sub(tab + 1):match("^(.-)%s*$")
   return wrk.format(method, line:sub(1, tab - 1), nil, body ~= "" and body or nil)
end

function done(summary, latency, _)
   local errors = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d"
         .. " status=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
