#!/usr/bin/env bash
# 1,000 idle connections held open (slowloris: a request begun and never
# finished, a header line every 5 s) from four loopback addresses, plus 300
# from one more address (past the per-address limit of 256), while a reader
# on 127.0.0.1 signs up: every signup is answered, and the answer times are
# printed with an unloaded reference measured first in the same run.
source tests/lib.sh
source tests/lib/serve.sh

HOLD=${LOAD_HOLD:-12}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && HOLD=120
ulimit -n 8192 2>/dev/null

PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" --signup-rate 0 || { fail "serve starts"; finish; }

# signups PREFIX COUNT: COUNT signups one after another; the answer codes and
# the median and worst time in ms on stdout ("CODES MEDIAN MAX")
signups() {
	local i
	for i in $(seq 1 "$2"); do
		curl -s -o /dev/null -m 20 -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
			--data "{\"email\":\"$1$i@example.com\"}" "$BASE/api/subscribe"
	done >"$WORK/times-$1"
	printf '%s %s %s\n' \
		"$(awk '{print $1}' "$WORK/times-$1" | sort | uniq -c | awk '{printf "%sx%s,", $2, $1}')" \
		"$(awk '{printf "%.1f\n", $2 * 1000}' "$WORK/times-$1" | sort -n | awk '{t[NR] = $1} END {print t[int((NR + 1) / 2)]}')" \
		"$(awk '{printf "%.1f\n", $2 * 1000}' "$WORK/times-$1" | sort -n | tail -1)"
}

read -r codes0 med0 max0 <<<"$(signups quiet 50)"
expect_eq "reference: 50 signups on an idle server" "$codes0" "200x50,"

/usr/bin/python3 tests/lib/slowloris.py "$PORT" "$HOLD" \
	127.0.0.2:250 127.0.0.3:250 127.0.0.4:250 127.0.0.5:250 127.0.0.6:300 >"$WORK/loris.out" 2>&1 &
loris=$!
cleanup_add "kill $loris"
for i in $(seq 1 100); do grep -q '^held 127.0.0.6' "$WORK/loris.out" && break; sleep 0.1; done
held=$(awk '$1 == "held" && $2 != "127.0.0.6" {n += $3} END {print n + 0}' "$WORK/loris.out")
held6=$(awk '$1 == "held" && $2 == "127.0.0.6" {print $3}' "$WORK/loris.out")
check "1,000 slow connections are held open ($held)" test "$held" -ge 1000
check "one address holds no more than its limit of 256 ($held6 of 300)" test "${held6:-999}" -le 256
read -r codes med max <<<"$(signups loris 50)"
expect_eq "under slowloris: 50 signups all answered 200" "$codes" "200x50,"
check "under slowloris: the page is served" curl -sf -o /dev/null -m 10 "$BASE/"
check "the slow connections were still open during the signups" kill -0 "$loris"
echo "measured: signup answer time, idle server: median $med0 ms, worst $max0 ms; with $((held + held6)) slowloris connections held: median $med ms, worst $max ms"
wait "$loris"
expect_eq "stored: every signup answered 200" \
	"$(sqlite3 "$WORK/app/newsflash.db" "select count(*) from subscribers where email like 'loris%' or email like 'quiet%'")" 100
check "serve still answers afterwards" curl -sf -o /dev/null "$BASE/healthz"
serve_stop
expect_eq "serve exits 0" "$SERVE_STATUS" 0
finish
