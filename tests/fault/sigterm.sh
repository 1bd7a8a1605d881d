#!/usr/bin/env bash
# SIGTERM in the middle of an alert, to newsflash serve and to newsflash
# worker: the process drains (what is in flight finishes and is committed,
# nothing new is fetched), exits 0, and a restart resumes the alert to
# completion: everyone served, nothing sent twice. (kill -9 mid-alert is
# tests/integration/fanout.sh.) The relay answers a little slowly (20 ms a
# reply) so that the alert is still going when the signal comes.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh
source tests/lib/fault.sh

N=${FAULT_N:-2000}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && N=20000
BATCH=50 SHARDS=2
BOUND=$((BATCH * 2 * SHARDS))	# batch x batches in flight x shards running
story=examples/limousine.json

mkdir -p "$WORK/app"
DB="$WORK/app/newsflash.db"
fault_audience "$DB" "$N"
KEY=$(fault_key "sqlite:$DB")
relay=$(free_port); spool="$WORK/spool"
smtpd_start "$relay" "$spool" --pipelining --delay 0.02 || { fail "relay starts"; finish; }
engine_opts=(--transport "smtp://127.0.0.1:$relay?tls=none" --retry-base 1 --batch $BATCH --shards $SHARDS --lease 3)

# wait_sent COUNT: until the relay has accepted COUNT messages
wait_sent() {
	local i
	for i in $(seq 1 600); do
		[ "$(smtp_log_count "$spool" accepted)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- 1. serve
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" "${engine_opts[@]}" || { fail "serve starts"; finish; }
alert=$(fault_publish "$BASE" "$KEY" "$story")
wait_sent 200
t_term=$(fault_ms)
at_term=$(smtp_log_count "$spool" accepted)
serve_stop
t_exit=$(fault_ms)
at_exit=$(smtp_log_count "$spool" accepted)
expect_eq "serve: SIGTERM mid-alert exits 0" "$SERVE_STATUS" 0
check "serve: it stopped mid-alert ($at_exit of $N)" test "$at_exit" -lt "$N"
check "serve: the drain sent only what was in flight ($((at_exit - at_term)) <= $BOUND)" test $((at_exit - at_term)) -le $BOUND
committed=$(sqlite3 "$DB" "select sum(sent) from alert_shards where alert_id=$alert")
expect_eq "serve: everything the relay took is committed as sent" "$committed" "$at_exit"
expect_contains "serve: stopping is logged" "$(cat "$WORK/serve.log")" "serve.stopped"
t_restart=$(fault_ms)
serve_start "$PORT" "${engine_opts[@]}" || { fail "serve restarts"; finish; }
t_start=$(fault_ms)
wait_sent $((at_exit + 1))
t_resume=$(fault_ms)
check "serve: the alert completes after the restart" fault_wait_alert "$BASE" "$KEY" "$alert" 180
t_done=$(fault_ms)
read -r u t <<<"$(fault_count_relay "$spool")"
expect_eq "serve: every confirmed subscriber got the alert" "$u" "$N"
expect_eq "serve: no repeats after a drain" "$((t - u))" 0
fault_note "SIGTERM to serve mid-alert ($at_term of $N sent): exit 0 after $((t_exit - t_term)) ms, $((at_exit - at_term)) sent while draining; restarted: first message $((t_resume - t_restart)) ms after the restart began (serve up in $((t_start - t_restart)) ms), done $((t_done - t_start)) ms later, $((t - u)) repeats"
serve_stop

# ---- 2. newsflash worker (serve takes the API only)
rm -f "$spool"/*.eml "$spool/log"
serve_start "$PORT" --no-engine || { fail "serve --no-engine starts"; finish; }
alert=$(fault_publish "$BASE" "$KEY" "$story")
"$NF" worker --db "sqlite:$DB" "${engine_opts[@]}" --secret-file "$WORK/app/secret" >>"$WORK/worker.log" 2>&1 &
wpid=$!
cleanup_add "kill $wpid"
wait_sent 200
t_term=$(fault_ms)
at_term=$(smtp_log_count "$spool" accepted)
kill -TERM "$wpid"; wait "$wpid"; wstatus=$?
t_exit=$(fault_ms)
at_exit=$(smtp_log_count "$spool" accepted)
expect_eq "worker: SIGTERM mid-alert exits 0" "$wstatus" 0
check "worker: the drain sent only what was in flight ($((at_exit - at_term)) <= $BOUND)" test $((at_exit - at_term)) -le $BOUND
"$NF" worker --db "sqlite:$DB" "${engine_opts[@]}" --secret-file "$WORK/app/secret" >>"$WORK/worker.log" 2>&1 &
wpid=$!
cleanup_add "kill $wpid"
t_start=$(fault_ms)
wait_sent $((at_exit + 1))
t_resume=$(fault_ms)
check "worker: the alert completes after a new worker starts" fault_wait_alert "$BASE" "$KEY" "$alert" 180
t_done=$(fault_ms)
read -r u t <<<"$(fault_count_relay "$spool")"
expect_eq "worker: every confirmed subscriber got the alert" "$u" "$N"
expect_eq "worker: no repeats after a drain" "$((t - u))" 0
fault_note "SIGTERM to worker mid-alert ($at_term of $N sent): exit 0 after $((t_exit - t_term)) ms, $((at_exit - at_term)) sent while draining; new worker sent its first message after $((t_resume - t_start)) ms, done $((t_done - t_start)) ms later, $((t - u)) repeats"
kill -TERM "$wpid"; wait "$wpid"
serve_stop
finish
