#!/usr/bin/env bash
# bench/newsroom.sh - what the newsroom costs the server
#
# Each figure against a reference measured in the same run, on the same
# server:
#   sign-in: a right password checked with Argon2id (19 MiB, 2 passes),
#     against GET /newsroom/signin (a rendered page with a CSRF token):
#     mean wall-clock ms per request over BENCH_SIGNINS;
#   live progress: the server's CPU (utime + stime from /proc) while
#     BENCH_STREAMS event streams follow a queued alert for BENCH_SECONDS,
#     per stream per second, against the CPU of one GET of the sign-in page;
#   memory: peak RSS (VmHWM) after the page views, against the peak at exit
#     (/usr/bin/time), which includes the Argon2id checks, two at most at once.
set -uo pipefail
source tests/lib.sh

NFBIN=${NEWSFLASH_BIN:-$PWD/${BUILD:-build}/newsflash}
SIGNINS=${BENCH_SIGNINS:-30}
STREAMS=${BENCH_STREAMS:-64}
SECONDS_=${BENCH_SECONDS:-10}
port=$(free_port)
base="http://127.0.0.1:$port"
db="sqlite:$WORK/db"
pw="a password for the bench"

printf '%s\n' "$pw" | "$NFBIN" editor add bench --db "$db" >/dev/null
/usr/bin/time -q -f "%M" -o "$WORK/rss" "$NFBIN" serve --listen "127.0.0.1:$port" --db "$db" \
	--no-engine --secret-file "$WORK/secret" --templates "$PWD/templates" >"$WORK/serve.log" 2>&1 &
timepid=$!
cleanup_add "kill $timepid"
wait_port "$port" 10 || { echo "serve did not start"; exit 1; }
spid=$(pgrep -P "$timepid" | head -1)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$spid/status"; }
cpu_ms() {	# the server's CPU time so far, in ms
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$spid/stat"
}
mean_ms() { awk '{ s += $1 } END { printf "%.1f", s * 1000 / NR }' "$1"; }

# ---- sign-in against a page view ----
: >"$WORK/page" ; : >"$WORK/signin"
a=$(cpu_ms)
for i in $(seq 1 "$SIGNINS"); do
	curl -s -o /dev/null -w '%{time_total}\n' "$base/newsroom/signin" >>"$WORK/page"
done
page_cpu=$(awk -v a="$a" -v b="$(cpu_ms)" -v n="$SIGNINS" 'BEGIN { print (b - a) / n }')
rss_pages=$(hwm_kb)
for i in $(seq 1 "$SIGNINS"); do
	curl -s -c "$WORK/jar" -o "$WORK/form" "$base/newsroom/signin"
	csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/form" | head -1)
	curl -s -b "$WORK/jar" -o /dev/null -w '%{http_code} %{time_total}\n' --data-urlencode "csrf=$csrf" \
		--data "name=bench" --data-urlencode "password=$pw" "$base/newsroom/signin" >>"$WORK/codes"
done
awk '$1 == 303 { print $2 }' "$WORK/codes" >"$WORK/signin"
page=$(mean_ms "$WORK/page") signin=$(mean_ms "$WORK/signin")
printf "%-40s %8s ms\n" "GET /newsroom/signin (reference)" "$page"
printf "%-40s %8s ms  %sx the reference (%d of %d signed in)\n" "POST /newsroom/signin, right password" \
	"$signin" "$(awk -v a="$signin" -v b="$page" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }')" \
	"$(wc -l <"$WORK/signin")" "$SIGNINS"

# ---- live progress streams against idle ----
curl -s -c "$WORK/jar" -o "$WORK/form" "$base/newsroom/signin"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/form" | head -1)
curl -s -b "$WORK/jar" -c "$WORK/jar" -o /dev/null --data-urlencode "csrf=$csrf" --data "name=bench" \
	--data-urlencode "password=$pw" "$base/newsroom/signin"
curl -s -b "$WORK/jar" -o "$WORK/form" "$base/newsroom/compose"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/form" | head -1)
curl -s -b "$WORK/jar" -o "$WORK/form" --data-urlencode "csrf=$csrf" --data "headline=Bench" "$base/newsroom/publish"
token=$(sed -n 's/.*name="publish_token" value="\([^"]*\)".*/\1/p' "$WORK/form")
curl -s -b "$WORK/jar" -o /dev/null --data-urlencode "csrf=$csrf" --data "headline=Bench&confirm=yes&publish_token=$token" \
	"$base/newsroom/publish"
pids=()
for i in $(seq 1 "$STREAMS"); do
	curl -s -N -b "$WORK/jar" -o /dev/null "$base/newsroom/alerts/1/events" &
	pids+=($!)
done
sleep 2
a=$(cpu_ms); sleep "$SECONDS_"; b=$(cpu_ms)
busy=$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')
kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
per=$(awk -v b="$busy" -v n="$STREAMS" -v s="$SECONDS_" 'BEGIN { print b / n / s }')
printf "%-40s %8.2f ms CPU (reference)\n" "one GET /newsroom/signin" "$page_cpu"
printf "%-40s %8.0f ms CPU in %d s: %.3f ms per stream per second, %.2fx a page view\n" \
	"$STREAMS event streams, one read a second" "$busy" "$SECONDS_" "$per" \
	"$(awk -v p="$per" -v r="$page_cpu" 'BEGIN { print (r > 0 ? p / r : 0) }')"
kill -TERM "$spid"
wait "$timepid"
printf "%-40s %8d KB (reference)\n" "serve peak RSS after the page views" "$rss_pages"
printf "%-40s %8d KB, %.1fx\n" "serve peak RSS at exit (sign-ins done)" "$(cat "$WORK/rss")" \
	"$(awk -v a="$(cat "$WORK/rss")" -v b="$rss_pages" 'BEGIN { print (b > 0 ? a / b : 0) }')"
