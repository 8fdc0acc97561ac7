-- wrk script: POSTs JSON-RPC bodies (the script's arguments, taken in turn) and counts answers that are not a
-- result (an HTTP status other than 200, or a JSON-RPC error). Prints one line for scripts/load-soak.sh:
--   result requests=N seconds=S rps=R p50_us=… p90_us=… p99_us=… max_us=… rpc_errors=E socket_errors=…
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    bodies = args
    sent = 0
    rpc_errors = 0
end

function request()
    sent = sent + 1
    return wrk.format(nil, "/", nil, bodies[(sent % #bodies) + 1])
end

function response(status, headers, body)
    if status ~= 200 or string.find(body, '"error"', 1, true) then
        rpc_errors = rpc_errors + 1
    end
end

function done(summary, latency, requests)
    local errors = 0
    for _, thread in ipairs(threads) do
        errors = errors + thread:get("rpc_errors")
    end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "result requests=%d seconds=%.1f rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d rpc_errors=%d socket_errors=%d\n",
        summary.requests, seconds, summary.requests / seconds, latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max, errors, e.connect + e.read + e.write + e.timeout + e.status))
end
