#!/usr/bin/env bash
# One address floods POST /api/subscribe (wrk, 20,000 requests here; 100,000
# with NEWSFLASH_LONG=1) while twenty other loopback addresses (127.0.0.2-21)
# sign up once each: the flood gets its burst of 20 plus 1 a second and 429
# for the rest; every other address is answered 200 at once; every 200 is in
# the database, and no 429 is.
source tests/lib.sh
source tests/lib/serve.sh

TOTAL=${LOAD_REQUESTS:-20000}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && TOTAL=100000
THREADS=2
command -v wrk >/dev/null || { skip "rate limit under flood" "wrk is not installed"; finish; }

PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" || { fail "serve starts"; finish; }
t0=$(date +%s.%N)
wrk -t$THREADS -c32 -d600s -s tests/load/signup.lua "$BASE" -- flood $((TOTAL / THREADS)) "$WORK/wrk-done" \
	>"$WORK/wrk.out" 2>&1 &
wrkpid=$!
cleanup_add "kill $wrkpid"
# wrk_wait: until every thread reached its count, then end wrk (SIGINT: it prints its summary)
wrk_wait() {
	local i
	for i in $(seq 1 6000); do
		[ "$(ls "$WORK"/wrk-done.* 2>/dev/null | wc -l)" -ge "$THREADS" ] && break
		kill -0 "$wrkpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$wrkpid" 2>/dev/null
}
wrk_wait &
sleep 0.1
: >"$WORK/others"
pids=()
for k in $(seq 2 21); do
	curl -s -o /dev/null -m 10 --interface "127.0.0.$k" -w "%{http_code} %{time_total}\n" \
		-H 'Content-Type: application/json' --data "{\"email\":\"other$k@example.com\"}" \
		"$BASE/api/subscribe" >>"$WORK/others" &
	pids+=($!)
done
wait "${pids[@]}"
flood_running=0; [ "$(ls "$WORK"/wrk-done.* 2>/dev/null | wc -l)" -lt "$THREADS" ] && flood_running=1
wait "$wrkpid"
# the flood's own length: from its start to the last thread's last answer
flood_secs=$(stat -c %.3Y "$WORK"/wrk-done.* | sort -n | tail -1 | awk -v t0="$t0" '{printf "%.2f", $1 - t0}')
secs=$(awk -v s="$flood_secs" 'BEGIN {printf "%d", s + 1}')
ok200=$(awk '$1 == "code" && $2 == 200 {print $3}' "$WORK/wrk.out"); ok200=${ok200:-0}
n429=$(awk '$1 == "code" && $2 == 429 {print $3}' "$WORK/wrk.out"); n429=${n429:-0}
answered=$(awk '$1 == "requests" {print $2}' "$WORK/wrk.out")
check "the flood was still going while the others signed up" test "$flood_running" = 1
check "the flood sent its $TOTAL requests ($answered answered)" test "${answered:-0}" -ge "$TOTAL"
check "the flood got at most its burst plus 1/s ($ok200 x 200 in ${secs}s)" test "$ok200" -le $((20 + secs + 2))
check "the flood got its burst at least ($ok200)" test "$ok200" -ge 20
check "the rest of the flood was 429 ($n429)" test $((ok200 + n429)) -ge "$TOTAL"
expect_eq "every other address was answered 200" "$(awk '$1 == 200' "$WORK/others" | wc -l)" 20
worst=$(awk '{printf "%.1f\n", $2 * 1000}' "$WORK/others" | sort -n | tail -1)
expect_eq "stored: every 200 of the flood, nothing more" \
	"$(sqlite3 "$WORK/app/newsflash.db" "select count(*) from subscribers where email like 'flood-%'")" "$ok200"
expect_eq "stored: every other address" \
	"$(sqlite3 "$WORK/app/newsflash.db" "select count(*) from subscribers where email like 'other%'")" 20
echo "measured: $answered flood requests from one address in ${flood_secs}s ($(awk -v n="${answered:-0}" -v s="$flood_secs" 'BEGIN {printf "%.0f", n / s}')/s, p99 $(awk '$1 == "p99_us" {printf "%.1f", $2 / 1000}' "$WORK/wrk.out") ms): $ok200 x 200, $n429 x 429; 20 other addresses meanwhile: all 200, worst answer $worst ms"
check "serve still answers" curl -sf -o /dev/null "$BASE/healthz"
serve_stop
expect_eq "serve exits 0" "$SERVE_STATUS" 0
finish
