-- wrk script for the benchmarks: replays a file of requests, one per line
-- ("METHOD<TAB>PATH<TAB>BODY"), each at most once, and stops after TARGET responses.
-- Arguments: FILE TARGET [BEARER]. Prints "BENCH_DONE" once TARGET responses are in (the
-- caller then interrupts wrk, whose main thread otherwise sleeps the whole -d duration), and
-- one line "BENCH_JSON {...}" at the end. Times come from CLOCK_MONOTONIC through LuaJIT's ffi.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local lines = {}
local next_line = 0
local target = 0
local seen = 0
local headers = {}
non2xx = 0
exhausted = 0
first_us = 0
done_us = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  target = tonumber(args[2])
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    table.insert(lines, { method, path, body })
  end
  headers["Content-Type"] = "application/json"
  if args[3] and args[3] ~= "" then
    headers["Authorization"] = "Bearer " .. args[3]
  end
end

function request()
  if first_us == 0 then
    first_us = now_us()
  end
  next_line = next_line + 1
  if next_line > #lines then
    -- Never replay a line (a token casts once); count it so the report can say so.
    exhausted = exhausted + 1
    next_line = #lines
  end
  local r = lines[next_line]
  local body = nil
  if r[3] ~= "" then
    body = r[3]
  end
  return wrk.format(r[1], r[2], headers, body)
end

function response(status, hdrs, body)
  seen = seen + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if seen == target then
    done_us = now_us()
    wrk.thread:stop()
    io.write("BENCH_DONE\n")
    io.flush()
  end
end

function done(summary, latency, requests)
  local bad, over, elapsed = 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    over = over + t:get("exhausted")
    if t:get("done_us") > 0 then
      elapsed = math.max(elapsed, t:get("done_us") - t:get("first_us"))
    end
  end
  if elapsed == 0 then
    elapsed = summary.duration -- capped by -d: the whole run
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non2xx":%d,"exhausted":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, math.floor(elapsed), math.floor(latency:percentile(50)),
    math.floor(latency:percentile(99)), math.floor(latency.max), bad, over,
    e.connect, e.read, e.write, e.timeout))
end
