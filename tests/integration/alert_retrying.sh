#!/usr/bin/env bash
# An alert whose every recipient meets a 4xx is retrying, not done: Postfix's
# smtp-sink answers RCPT with 4xx (-r RCPT) to all 50, then is replaced by one
# that accepts. While the retries wait, the API (GET /api/alerts/ID), the CLI
# (alerts, and publish --wait, which must go on waiting), the newsroom's alert
# page and its live progress all say "retrying"; once the retries go through
# the alert is done with every message sent. The states seen on the way are
# queued (sending), then retrying, then done - never done before the relay
# accepts.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh
source tests/lib/fault.sh

N=50
DB=$WORK/app/newsflash.db
mkdir -p "$WORK/app"
fault_audience "$DB" "$N"
KEY=$(fault_key "sqlite:$DB")
printf 'correct horse battery staple\n' | "$NF" editor add jane --db "sqlite:$DB" >/dev/null 2>&1

relay=$(free_port)
smtp_sink_start "$relay" -r RCPT || { fail "smtp-sink (4xx to RCPT) starts"; finish; }

# publish from the shell and follow it, as an operator would
"$NF" publish examples/limousine.json --breaking --wait --db "sqlite:$DB" \
	>"$WORK/publish.out" 2>"$WORK/publish.err" &
pub=$!
cleanup_add "kill $pub"
alert=
for i in $(seq 1 100); do
	alert=$(sed -n 's/^article [0-9]* alert \([0-9]*\)$/\1/p' "$WORK/publish.out")
	[ -n "$alert" ] && break
	sleep 0.1
done
check "publish names its alert" test -n "$alert"
# no engine runs yet: the alert waits, queued
first=$("$NF" alerts --db "sqlite:$DB" | awk -v id="$alert" '$1 == id {print $2}')
expect_eq "before delivery starts the alert is queued" "$first" queued
echo "$first" >"$WORK/states"

# the engine (in serve) starts sending, to a relay that answers 4xx to every RCPT
port=$(free_port)
base="http://127.0.0.1:$port"
serve_start "$port" --transport "smtp://127.0.0.1:$relay?tls=none" --retry-base 1 \
	--shards 2 --batch 25 || { fail "serve starts"; finish; }

# state and counts from the API: "STATE SENT FAILED RETRYING FINISHED_AT"
api() {
	curl -s -m 10 -H "Authorization: Bearer $KEY" "$base/api/alerts/$alert" |
		/usr/bin/python3 -c 'import json,sys
try:
    a = json.load(sys.stdin)
    print(a["state"], a["sent"], a["failed"], a["retrying"], a["finished_at"])
except Exception:
    print("unreadable")'
}
# seen STATE...: poll until the state is one of those (30 s), every distinct state in $WORK/states
seen() {
	local t0=$SECONDS s
	while [ $((SECONDS - t0)) -lt 30 ]; do
		now=$(api)
		s=${now%% *}
		[ "$s" != "$(tail -n 1 "$WORK/states" 2>/dev/null)" ] && echo "$s" >>"$WORK/states"
		for want in "$@"; do [ "$s" = "$want" ] && return 0; done
		sleep 0.1
	done
	return 1
}

check "the alert becomes retrying" seen retrying done
read -r state sent failed retrying finished <<<"$now"
expect_eq "every recipient met a 4xx: retrying, not done" "$state" retrying
expect_eq "retrying: nothing sent, nothing failed, all $N waiting" "$sent $failed $retrying" "0 0 $N"
expect_eq "retrying: not finished" "$finished" 0
expect_eq "before retrying it was queued or sending, never done" \
	"$(grep -cv -e '^queued$' -e '^sending$' -e '^retrying$' "$WORK/states")" 0
sleep 3	# retries come due (base 1 s) and meet the 4xx again
read -r state sent failed retrying finished <<<"$(api)"
expect_eq "still retrying while the relay refuses" "$state $sent $retrying" "retrying 0 $N"
check "publish --wait goes on waiting while retries are outstanding" kill -0 "$pub"
expect_eq "publish --wait has not said done" "$(grep -c 'done' "$WORK/publish.err")" 0
expect_contains "publish --wait counts the waiting recipients" "$(cat "$WORK/publish.err")" "$N retrying"
line=$("$NF" alerts --db "sqlite:$DB" | awk -v id="$alert" '$1 == id')
expect_eq "newsflash alerts: the state column" "$(echo "$line" | awk '{print $2}')" retrying

# the newsroom: the alert page and its live progress
jar=$WORK/jar
curl -s -c "$jar" -b "$jar" -o "$WORK/signin" "$base/newsroom/signin"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/signin" | head -1)
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "name=jane" \
	--data-urlencode "password=correct horse battery staple" "$base/newsroom/signin"
page=$(curl -s -b "$jar" "$base/newsroom/alerts/$alert")
expect_contains "newsroom alert page: the retrying badge" "$page" '<span class="badge retrying" id="state" data-p="state_label" role="status" aria-live="polite">Retrying</span>'
expect_contains "newsroom alert page: still live" "$page" 'data-state="retrying"'
expect_contains "newsroom alert page: the retries can be stopped" "$page" 'id="stop"'
timeout 3 curl -s -N -b "$jar" "$base/newsroom/alerts/$alert/events" >"$WORK/events"
ev=$(grep -m1 '^data: ' "$WORK/events")
expect_contains "live progress: retrying" "$ev" '"state":"retrying"'
expect_contains "live progress: not ended" "$ev" '"ended":false'
expect_contains "live progress: the waiting count" "$ev" "\"retrying\":\"$N\""

# the relay starts accepting: the retries go through and the alert is done
kill "$SMTP_SINK_PID"; wait "$SMTP_SINK_PID" 2>/dev/null
chmod 711 "$WORK"	# smtp-sink runs as nobody
mkdir -m 777 "$WORK/dump"
smtp_sink_start "$relay" -d "$WORK/dump/%M." || { fail "smtp-sink (accepting) starts"; finish; }
t0=$SECONDS
check "the alert is done once the retries go through" seen done
read -r state sent failed retrying finished <<<"$now"
expect_eq "done: all sent, none failed, none waiting" "$sent $failed $retrying" "$N 0 0"
check "done: finished" test "$finished" -gt 0
expect_eq "the states in order: (queued, sending,) retrying, done" \
	"$(grep -v -e '^queued$' -e '^sending$' "$WORK/states" | tr '\n' ' ')" "retrying done "
for i in $(seq 1 50); do kill -0 "$pub" 2>/dev/null || break; sleep 0.2; done
wait "$pub"
expect_eq "publish --wait exits 0 once done" "$?" 0
expect_contains "publish --wait ends with the true figures" "$(cat "$WORK/publish.err")" \
	"alert $alert done: $N sent, 0 failed of $N"
for i in $(seq 1 50); do [ "$(find "$WORK/dump" -type f | wc -l)" -ge "$N" ] && break; sleep 0.1; done
expect_eq "the relay got every message" "$(find "$WORK/dump" -type f | wc -l)" "$N"
page=$(curl -s -b "$jar" "$base/newsroom/alerts/$alert")
expect_contains "newsroom alert page: sent" "$page" '<span class="badge done" id="state" data-p="state_label" role="status" aria-live="polite">Sent</span>'
fault_note "all $N recipients deferred: done $((SECONDS - t0)) s after the relay started accepting"
finish
