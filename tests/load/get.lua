-- tests/load/get.lua - wrk script: the same summary lines as signup.lua for plain GETs
function done(summary, latency, requests)
	io.write(string.format("requests %d\n", summary.requests))
	io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.timeout + summary.errors.status))
	io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
	io.write(string.format("p50_us %d\n", latency:percentile(50)))
	io.write(string.format("p99_us %d\n", latency:percentile(99)))
end
