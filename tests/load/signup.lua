-- tests/load/signup.lua - wrk script: POST /api/subscribe with a new address each time
--
-- wrk ... -s tests/load/signup.lua URL -- PREFIX [LIMIT-PER-THREAD [MARKER]]
-- Addresses are PREFIX-THREAD-N@example.com, unique across threads. Each
-- thread stops after LIMIT responses (0 = only the duration) and then
-- creates the file MARKER.THREAD: wrk itself runs for its whole duration,
-- so the caller waits for the markers and ends it with SIGINT (wrk prints
-- its summary on SIGINT as at the end). done() prints
-- one line per answer code ("code 200 1234") and the latency percentiles
-- ("p50_us", "p99_us"), for the calling script to read.
local threads = {}

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	prefix = args[1] or "load"
	limit = tonumber(args[2] or "0")
	marker = args[3]
	sent = 0
	answered = 0
	codes = {}
end

function request()
	sent = sent + 1
	local body = string.format('{"email":"%s-%d-%d@example.com"}', prefix, tid, sent)
	return wrk.format("POST", "/api/subscribe", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
	codes[status] = (codes[status] or 0) + 1
	answered = answered + 1
	if limit > 0 and answered >= limit then
		if marker then
			local f = io.open(marker .. "." .. tid, "w")
			if f then f:close() end
		end
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for code, n in pairs(t:get("codes")) do
			total[code] = (total[code] or 0) + n
		end
	end
	for code, n in pairs(total) do
		io.write(string.format("code %d %d\n", code, n))
	end
	io.write(string.format("requests %d\n", summary.requests))
	io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.timeout + summary.errors.status))
	io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
	io.write(string.format("p50_us %d\n", latency:percentile(50)))
	io.write(string.format("p99_us %d\n", latency:percentile(99)))
end
