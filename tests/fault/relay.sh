#!/usr/bin/env bash
# Faults at the relay, each against newsflash serve and a real relay
# (tests/lib/smtpd.py, aiosmtpd): down at publish, a storm of 4xx, a slow
# relay (5 s per reply), connections dropped in the middle of DATA, and a
# relay that takes a message but vanishes before its 250. For each: every
# confirmed subscriber gets the alert, the alert completes once the fault
# clears, and the delay and repeats are printed as "measured:" lines.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh
source tests/lib/fault.sh

N=${FAULT_N:-200}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && N=2000
story=examples/limousine.json

# fresh_app N: a new database with N confirmed subscribers and a key in $KEY
fresh_app() {
	[ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null && serve_stop
	rm -rf "$WORK/app"; mkdir -p "$WORK/app"
	DB="$WORK/app/newsflash.db"
	fault_audience "$DB" "$1"
	KEY=$(fault_key "sqlite:$DB")
}

# start_serve RELAY-PORT [options]: serve sending to the relay, quick retries
start_serve() {
	local relay=$1
	shift
	PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
	serve_start "$PORT" --transport "smtp://127.0.0.1:$relay?tls=none" --retry-base 1 \
		--shards 2 --batch 50 "$@"
}

# served NAME SPOOL N: every one of the N got it; sets DUPS
served() {
	local u t
	read -r u t <<<"$(fault_count_relay "$2")"
	expect_eq "$1: every confirmed subscriber got the alert" "$u" "$3"
	DUPS=$((t - u))
}

# FAULT_CASES="down storm ..." runs only those cases
want() { [ -z "${FAULT_CASES:-}" ] || [[ " $FAULT_CASES " == *" $1 "* ]]; }

# ---- 1. relay down at publish, then started
if want down; then
fresh_app "$N"
relay=$(free_port); spool="$WORK/spool-down"
start_serve "$relay" || { fail "serve starts"; finish; }
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "down: published" test -n "$alert"
sleep 3
expect_eq "down: nothing delivered while the relay is down" "$(fault_count_relay "$spool")" "0 0"
check "down: failures are waiting for a retry" test "$(fault_alert "$BASE" "$KEY" "$alert" retrying)" -gt 0
check "down: serve still answers" curl -sf -o /dev/null "$BASE/healthz"
t_up=$(fault_ms)
smtpd_start "$relay" "$spool" --pipelining || { fail "relay starts"; finish; }
check "down: the alert completes once the relay is up" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
served "down" "$spool" "$N"
expect_eq "down: sent count" "$(fault_alert "$BASE" "$KEY" "$alert" sent)" "$N"
fault_note "relay down at publish for 3 s, $N subscribers: done $((t_done - t_up)) ms after the relay came up, $DUPS repeats"
expect_eq "down: no repeats" "$DUPS" 0

fi

# ---- 2. a storm of 4xx mid-alert, then recovery
if want storm; then
fresh_app "$N"
relay=$(free_port); spool="$WORK/spool-storm"
touch "$WORK/storm"
smtpd_start "$relay" "$spool" --pipelining --tempfail-while "$WORK/storm" || { fail "relay starts"; finish; }
start_serve "$relay" || { fail "serve starts"; finish; }
alert=$(fault_publish "$BASE" "$KEY" "$story")
for i in $(seq 1 100); do [ "$(smtp_log_count "$spool" deferred)" -ge "$N" ] && break; sleep 0.1; done
sleep 2
deferred=$(smtp_log_count "$spool" deferred)
check "storm: every message met a 4xx ($deferred)" test "$deferred" -ge "$N"
expect_eq "storm: nothing accepted during the storm" "$(fault_count_relay "$spool")" "0 0"
t_up=$(fault_ms)
rm -f "$WORK/storm"
check "storm: the alert completes after the storm" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
served "storm" "$spool" "$N"
expect_eq "storm: nothing left failed" "$(fault_alert "$BASE" "$KEY" "$alert" failed)" 0
fault_note "4xx storm ($deferred deferrals) then recovery, $N subscribers: done $((t_done - t_up)) ms after the storm ended, $DUPS repeats"
expect_eq "storm: no repeats" "$DUPS" 0

fi

# ---- 3. a slow relay: 5 s before every reply to MAIL, RCPT and end of data
if want slow; then
S=16
[ "${NEWSFLASH_LONG:-0}" = 1 ] && S=200
fresh_app "$S"
relay=$(free_port); spool="$WORK/spool-slow"
smtpd_start "$relay" "$spool" --pipelining --delay 5 || { fail "relay starts"; finish; }
start_serve "$relay" || { fail "serve starts"; finish; }
t0=$(fault_ms)
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "slow: signups still answered meanwhile" \
	curl -sf -o /dev/null -m 5 -H 'Content-Type: application/json' --data '{"email":"late@example.com"}' "$BASE/api/subscribe"
check "slow: the alert completes" fault_wait_alert "$BASE" "$KEY" "$alert" 180
t_done=$(fault_ms)
served "slow" "$spool" "$S"
fault_note "slow relay (5 s per reply, 16 connections), $S subscribers: done in $((t_done - t0)) ms, $DUPS repeats"
expect_eq "slow: no repeats" "$DUPS" 0

fi

# ---- 4. connections dropped in the middle of DATA: each recipient's first 3 tries
if want drop; then
fresh_app "$N"
relay=$(free_port); spool="$WORK/spool-drop"
smtpd_start "$relay" "$spool" --pipelining --drop-mid-data 3 || { fail "relay starts"; finish; }
start_serve "$relay" || { fail "serve starts"; finish; }
t0=$(fault_ms)
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "drop: the alert completes" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
served "drop" "$spool" "$N"
drops=$(smtp_log_count "$spool" dropped)
check "drop: every recipient was dropped 3 times ($drops)" test "$drops" -ge $((3 * N))
fault_note "connection dropped mid-DATA on each recipient's first 3 tries ($drops drops), $N subscribers: done in $((t_done - t0)) ms, $DUPS repeats"
expect_eq "drop: no repeats" "$DUPS" 0
check "drop: serve still answers" curl -sf -o /dev/null "$BASE/healthz"

fi

# ---- 5. the relay takes each message once and vanishes before its 250
if want vanish; then
fresh_app "$N"
relay=$(free_port); spool="$WORK/spool-vanish"
smtpd_start "$relay" "$spool" --pipelining --drop-after-data 1 || { fail "relay starts"; finish; }
start_serve "$relay" || { fail "serve starts"; finish; }
t0=$(fault_ms)
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "vanish: the alert completes" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
served "vanish" "$spool" "$N"
# the relay kept a copy it never acknowledged: the resend is the only safe move
check "vanish: at most one repeat per unacknowledged message ($DUPS)" test "$DUPS" -le "$N"
ids=$(grep -h '^Message-ID:' "$spool"/*.eml | sort | uniq -c | awk '$1 > 1' | wc -l)
expect_eq "vanish: every repeat carries the first copy's Message-ID" "$ids" "$DUPS"
fault_note "relay kept each message but closed before its 250, $N subscribers: done in $((t_done - t0)) ms, $DUPS repeats (same Message-ID, for receivers to de-duplicate)"
fi
serve_stop
expect_eq "serve exits 0 after the faults" "$SERVE_STATUS" 0
[ -n "${FAULT_DEBUG:-}" ] && cp -r "$WORK" /tmp/fault-debug
finish
