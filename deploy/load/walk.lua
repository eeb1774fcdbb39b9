-- wrk script of `manage.py benchmark`: every connection is one logged-in user who opens the given pages in
-- turn, without think time (closed loop: the next request leaves when the answer is in).
--
--   wrk -t 2 -c 20 -d 60s --latency -s deploy/load/walk.lua http://127.0.0.1:8000 -- "sessionid=…" / /vereinbarungen/
--
-- Arguments after "--": the Cookie header value, then the paths. Anything but 200 counts as unexpected: a 302
-- to the login page means the session was lost and the figures would measure the wrong page. Answers 5xx are
-- counted on their own as well (server_errors).

-- Globals, not locals: done() reads them from each thread's Lua state with thread:get().
unexpected = 0
server_errors = 0
statuses = ""

local cookie = ""
local paths = {}
local next_index = 0
local seen = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie = args[1] or ""
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  if #paths == 0 then
    paths[1] = "/"
  end
  -- Threads start at different pages so that the mix is even from the first second on.
  next_index = (id or 0) % #paths
end

function request()
  local path = paths[next_index + 1]
  next_index = (next_index + 1) % #paths
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  end
  if status ~= 200 then
    unexpected = unexpected + 1
    seen[status] = (seen[status] or 0) + 1
    local parts = {}
    for code, count in pairs(seen) do
      parts[#parts + 1] = code .. ":" .. count
    end
    statuses = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local bad, fivexx, codes = 0, 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("unexpected") or 0)
    fivexx = fivexx + (thread:get("server_errors") or 0)
    local s = thread:get("statuses")
    if s and s ~= "" then
      codes[#codes + 1] = s
    end
  end
  local e = summary.errors
  -- One machine-readable line; manage.py benchmark parses it (microseconds and counts).
  io.write(string.format(
    "BENCHMARK requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "unexpected=%d server_errors=%d p50_us=%d p90_us=%d p95_us=%d p99_us=%d max_us=%d mean_us=%.0f codes=%s\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    bad, fivexx, latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, (#codes > 0 and table.concat(codes, ",") or "-")))
end
