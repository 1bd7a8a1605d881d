#!/usr/bin/env bash
# The database locked or gone while newsflash serve works:
#  - SQLite: another process (sqlite3) holds BEGIN EXCLUSIVE for 8 s, past
#    the 5 s busy timeout, in the middle of an alert and of signups;
#  - PostgreSQL: the server is stopped mid-alert (fast shutdown, sessions
#    cut) and started again 3 s later.
# For each: the service stays up, signups are answered 200 (stored) or 503,
# the alert completes once the database is back, everyone served; the
# delay and repeats are printed as "measured:" lines.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/pg.sh
source tests/lib/fault.sh

N=${FAULT_N:-3000}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && N=20000
story=examples/limousine.json

# signups PREFIX COUNT: COUNT signups in parallel, "I CODE" lines in $WORK/codes-PREFIX
signups() {
	local i pids=()
	for i in $(seq 1 "$2"); do
		( code=$(curl -s -o /dev/null -m 30 -w '%{http_code}' -H 'Content-Type: application/json' \
			--data "{\"email\":\"$1$i@example.com\"}" "$BASE/api/subscribe")
		  echo "$i $code" >>"$WORK/codes-$1" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# stored_ok PREFIX: how many signups answered 200 are missing from the database (QUERY-CMD)
missing_signups() {
	local prefix=$1 i code n=0
	shift
	while read -r i code; do
		[ "$code" = 200 ] || continue
		[ "$("$@" "select count(*) from subscribers where email='$prefix$i@example.com'")" = 1 ] || n=$((n + 1))
	done <"$WORK/codes-$prefix"
	echo "$n"
}

# wait_written DIR COUNT: until COUNT messages are in the Maildir
wait_written() {
	local i
	for i in $(seq 1 600); do
		[ "$(ls "$1/new" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- 1. SQLite locked by another process for 8 s
mkdir -p "$WORK/app"
DB="$WORK/app/newsflash.db"
fault_audience "$DB" "$N"
KEY=$(fault_key "sqlite:$DB")
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" --retry-base 1 --batch 100 --shards 2 --signup-rate 0 || { fail "serve starts"; finish; }
alert=$(fault_publish "$BASE" "$KEY" "$story")
wait_written "$WORK/app/outbox" 300
( echo '.timeout 10000'; echo 'BEGIN EXCLUSIVE;'; echo "select 'locked';"; sleep 8; echo 'COMMIT;' ) |
	sqlite3 "$DB" >"$WORK/locker.out" 2>&1 &
locker=$!
cleanup_add "kill $locker"
for i in $(seq 1 100); do grep -q locked "$WORK/locker.out" && break; sleep 0.05; done
check "locked: sqlite3 holds the write lock" grep -q locked "$WORK/locker.out"
t_lock=$(fault_ms)
at_lock=$(ls "$WORK/app/outbox/new" | wc -l)
signups locked 20
check "locked: serve answers while the database is locked" curl -sf -o /dev/null "$BASE/healthz"
codes=$(awk '{print $2}' "$WORK/codes-locked" | sort | uniq -c | awk '{printf "%sx%s ", $1, $2}')
expect_eq "locked: signups answered 200 or 503, nothing else ($codes)" \
	"$(awk '$2 != 200 && $2 != 503' "$WORK/codes-locked" | wc -l)" 0
at_unlock=$(ls "$WORK/app/outbox/new" | wc -l)
wait "$locker"
t_free=$(fault_ms)
check "locked: the fan-out waited: at most the batches in flight written meanwhile ($((at_unlock - at_lock)))" \
	test $((at_unlock - at_lock)) -le $((100 * 2 * 2 + 20))
check "locked: the alert completes once the lock is gone" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
read -r u t <<<"$(fault_count_maildir "$WORK/app/outbox")"
expect_eq "locked: every confirmed subscriber got the alert" "$u" "$N"
expect_eq "locked: every signup answered 200 is stored" "$(missing_signups locked sqlite3 "$DB")" 0
fault_note "SQLite held by BEGIN EXCLUSIVE for 8 s mid-alert ($N subscribers; signups meanwhile: $codes): done $((t_done - t_free)) ms after the lock went, $((t - u)) repeats"
expect_eq "locked: no repeats" "$((t - u))" 0
serve_stop
expect_eq "locked: serve exits 0" "$SERVE_STATUS" 0

# ---- 2. PostgreSQL stopped mid-alert, then started again
if ! pg_start; then
	skip "postgresql stopped" "no server: $PG_WHY"
	finish
fi
fault_audience_pg() {
	seq 1 "$1" | sed 's/.*/pg&@example.com/' >"$WORK/pg.csv"
	"$NF" db migrate --db "$PG_URL" >/dev/null 2>&1
	"$NF" subscribers import "$WORK/pg.csv" --list breaking-news --consent-source "test fixture" --db "$PG_URL" >/dev/null 2>&1
}
fault_audience_pg "$N"
KEY=$(fault_key "$PG_URL")
rm -rf "$WORK/app/outbox"
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
log_at_start=$(wc -l <"$WORK/serve.log")
serve_start "$PORT" --db "$PG_URL" --retry-base 1 --batch 100 --shards 2 --signup-rate 0 --lease 5 ||
	{ fail "serve starts on PostgreSQL"; finish; }
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "pg: published" test -n "$alert"
wait_written "$WORK/app/outbox" 300
fault_pg_stop
t_stop=$(fault_ms)
at_stop=$(ls "$WORK/app/outbox/new" | wc -l)
signups pgdown 10
expect_eq "pg down: signups are answered 503" "$(awk '$2 == 503' "$WORK/codes-pgdown" | wc -l)" 10
check "pg down: serve still answers" curl -sf -o /dev/null "$BASE/healthz"
sleep 2
fault_pg_start || { fail "postgresql restarts"; finish; }
t_up=$(fault_ms)
# the engine retries every 50 ms while the server is gone; its log says so
# once in 10 s per kind of failure, not at each retry
warns=$(tail -n +"$((log_at_start + 1))" "$WORK/serve.log" | grep -cE 'event=deliver\.(commit_retry|fetch_failed|claim_failed|finish_failed)')
check "pg down: the engine's store failures are logged once, not every retry ($warns lines)" test "$warns" -le 8
check "pg: the alert completes once the server is back" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
read -r u t <<<"$(fault_count_maildir "$WORK/app/outbox" pg)"
expect_eq "pg: every confirmed subscriber got the alert" "$u" "$N"
check "pg: repeats ($((t - u))) within the uncommitted batches (2 x 100 x 2 shards)" test $((t - u)) -le 400
signups pgup 10
expect_eq "pg back: signups answered 200 again" "$(awk '$2 == 200' "$WORK/codes-pgup" | wc -l)" 10
expect_eq "pg back: they are stored" "$(missing_signups pgup psql -qtAX "$PG_URL" -c)" 0
fault_note "PostgreSQL stopped mid-alert ($at_stop of $N written) for $((t_up - t_stop)) ms: done $((t_done - t_up)) ms after it was back, $((t - u)) repeats"
# restarted while idle: every connection is stale, and each transaction's
# BEGIN must find that out and reconnect (it used to fail for ever)
fault_pg_stop
fault_pg_start || { fail "postgresql restarts (idle)"; finish; }
: >"$WORK/codes-idle"
for i in $(seq 1 8); do
	echo "$i $(curl -s -o /dev/null -m 30 -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"email\":\"idle$i@example.com\"}" "$BASE/api/subscribe")" >>"$WORK/codes-idle"
done
expect_eq "pg restarted while idle: the next signups are all 200" "$(awk '$2 == 200' "$WORK/codes-idle" | wc -l)" 8
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "pg restarted while idle: a new alert completes" fault_wait_alert "$BASE" "$KEY" "$alert" 120
serve_stop
expect_eq "pg: serve exits 0" "$SERVE_STATUS" 0
[ -n "${FAULT_DEBUG:-}" ] && cp -r "$WORK" /tmp/fault-debug
finish
