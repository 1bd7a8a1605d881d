#!/usr/bin/env bash
# Truthful live progress, a safe stop and resume, and the reached record,
# through `newsflash serve` and real aiosmtpd relays, on SQLite and
# (PROGRESS_DB=pg, run by tests/integration/alert_progress_pg.sh) on
# PostgreSQL. 2,300 readers:
#  - a relay accepting about 20 messages a second: the first accepted
#    messages show in GET /api/alerts/ID and in the newsroom's event stream
#    before a batch of 100 is done (at this rate 5 s; the times are printed);
#  - stop at about 300 (POST /api/alerts/ID/stop): once what was handed to
#    the relay has drained, the alert's sent count, its reached record, what
#    the relay received, /metrics, `newsflash alerts` all agree; again after
#    restarting serve, which sends the stopped alert nothing;
#  - `newsflash alert resume`: every reader ends with exactly one message;
#  - kill -9 in the middle of a second alert and a restart: its reached
#    record holds every reader once (its size = distinct recipients the relay
#    accepted = the sent count) and repeats stay within the bound.
# Who stopped and who resumed shows in the API's events.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh
source tests/lib/db.sh

/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || { skip "aiosmtpd" "python3-aiosmtpd is not installed"; finish; }
db_choose "${PROGRESS_DB:-sqlite}" "alert progress"
N=2300 BATCH=100 SHARDS=4
mkdir -p "$WORK/app"
for i in $(seq 1 $N); do echo "reader$i@example.org"; done >"$WORK/readers.csv"
"$NF" subscribers import "$WORK/readers.csv" --list breaking-news --consent-source "test fixture" \
	--db "$dburl" >/dev/null 2>&1
key=$("$NF" apikey create desk-cms --db "$dburl")
printf 'correct horse battery staple\n' | "$NF" editor add jane --db "$dburl" >/dev/null 2>&1

# slow: 4 connections, each message waits 3 x 0.066 s (MAIL, RCPT, end of data): ~20 a second
slow=$(free_port) fast=$(free_port)
smtpd_start "$slow" "$WORK/slow" --pipelining --delay 0.066 || { fail "the slow relay starts"; finish; }
smtpd_start "$fast" "$WORK/fast" --pipelining --delay 0.004 || { fail "the fast relay starts"; finish; }
port=$(free_port); base="http://127.0.0.1:$port"
start() {	# start RELAY-PORT: serve on the chosen database through that relay
	serve_start "$port" --db "$dburl" --transport "smtp://127.0.0.1:$1?tls=none" --connections 4 \
		--workers 1 --shards $SHARDS --batch $BATCH --lease 3 --from "Breaking News <alerts@news.example>" \
		--base-url "https://news.example" --publication "The Daily Example"
}
publish() { curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data @"$1" "$base/api/articles"; }
api() { curl -s -H "Authorization: Bearer $key" "$@"; }
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]])' "$1"; }
sent_of() { api "$base/api/alerts/$1" | field sent; }
metrics_sent() { curl -s "$base/metrics" | sed -n 's/^newsflash_messages_sent_total //p'; }
cli_sent() { "$NF" alerts --db "$dburl" | awk -v id="$1" '$1 == id { print $5 }'; }
# accepted SPOOL SUBJECT-WORD: recipients of accepted messages whose Subject has the word, one a line
accepted() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import email, glob, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.eml'))):
    m = email.message_from_binary_file(open(f, 'rb'))
    if sys.argv[2] in str(m['Subject']):
        print(m['To'])
PY
}
# settled ID: wait until the alert's count has stood still for 2 s (what was handed to the relay drained)
settled() {
	local last=-1 same=0 now i
	for i in $(seq 1 600); do
		now=$(sent_of "$1")
		if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; last=$now; fi
		[ $same -ge 10 ] && return 0
		sleep 0.2
	done
	return 1
}

start "$slow" || { fail "serve starts"; finish; }
# the newsroom's event stream, signed in as jane
jar=$WORK/jar
curl -s -c "$jar" -b "$jar" -o "$WORK/signin" "$base/newsroom/signin"
scsrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/signin" | head -1)
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$scsrf" --data-urlencode "name=jane" \
	--data-urlencode "password=correct horse battery staple" "$base/newsroom/signin"

# ---- live progress ----
t0=$(date +%s.%N)
alert=$(publish examples/flood.json | field alert_id)
timeout 20 curl -s -N -b "$jar" "$base/newsroom/alerts/$alert/events" |
	while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$WORK/events" &
spid=$!
api_at="" s=0
for i in $(seq 1 400); do
	s=$(sent_of "$alert")
	if [ "${s:-0}" -gt 0 ]; then api_at=$(date +%s.%N); break; fi
	sleep 0.05
done
wait $spid
# Live means before a batch ends: the first count seen is below a batch
# (the relay takes about 5 s for one). The times are printed, not asserted:
# a loaded machine stretches them and proves nothing about the code.
check "the API shows progress before a batch is done (first seen: ${s:-0} sent, batch $BATCH)" \
	test -n "$api_at" -a "${s:-0}" -gt 0 -a "${s:-0}" -lt "$BATCH"
sse_line=$(grep 'data: ' "$WORK/events" | grep -v '"sent":"0"' | head -1)
sse_at=$(cut -d' ' -f1 <<<"$sse_line")
sse_sent=$(sed -n 's/.*"sent":"\([0-9]*\)".*/\1/p' <<<"$sse_line")
check "the event stream shows progress before a batch is done (first: ${sse_sent:-none} sent)" \
	test "${sse_sent:-0}" -gt 0 -a "${sse_sent:-0}" -lt "$BATCH"
first=$(ls -tr --time-style=+%s.%N -l "$WORK/slow"/*.eml 2>/dev/null | head -1 | awk '{print $6}')
echo "measured: the relay's first acceptance after $(echo "${first:-0} - $t0" | bc) s; the API showed it after" \
	"$(echo "${api_at:-0} - $t0" | bc) s, the event stream after $(echo "${sse_at:-0} - $t0" | bc) s"

# ---- stop at about 300 ----
for i in $(seq 1 600); do [ "$(sent_of "$alert")" -ge 300 ] && break; sleep 0.05; done
at_stop=$(sent_of "$alert")
stopped=$(curl -s -o "$WORK/stop" -w '%{http_code}' -X POST -H "Authorization: Bearer $key" "$base/api/alerts/$alert/stop")
expect_eq "stop answers 200" "$stopped" 200
expect_eq "stopped" "$(field state <"$WORK/stop")" cancelled
check "counts settle after the stop" settled "$alert"
got=$(api "$base/api/alerts/$alert")
sent=$(echo "$got" | field sent)
relay=$(accepted "$WORK/slow" River | wc -l)
echo "measured: stop at $at_stop sent; settled at $sent, the relay received $relay"
check "the stop held back most of the audience ($sent of $N)" test "$sent" -lt $((N / 2))
expect_eq "sent = what the relay received" "$sent" "$relay"
expect_eq "the reached record's size = sent" "$(echo "$got" | field reached)" "$sent"
expect_eq "/metrics = sent" "$(metrics_sent)" "$sent"
expect_eq "newsflash alerts = sent" "$(cli_sent "$alert")" "$sent"
expect_contains "the audit names the API key" "$(echo "$got" | field events)" "'who': 'api:desk-cms'"
resumed=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $key" "$base/api/alerts/$((alert + 50))/resume")
expect_eq "resume of no such alert: 404" "$resumed" 404

# ---- restart: the same figures, and nothing more for the stopped alert ----
serve_stop
expect_eq "SIGTERM exits 0" "$SERVE_STATUS" 0
start "$fast" || { fail "serve restarts"; finish; }
sleep 1.5
got=$(api "$base/api/alerts/$alert")
expect_eq "after a restart: sent unchanged" "$(echo "$got" | field sent)" "$sent"
expect_eq "after a restart: reached unchanged" "$(echo "$got" | field reached)" "$sent"
expect_eq "after a restart: /metrics = sent" "$(metrics_sent)" "$sent"
expect_eq "a stopped alert is not sent on restart" "$(accepted "$WORK/fast" River | wc -l)" 0

# ---- resume: the rest, nobody twice ----
out=$("$NF" alert resume "$alert" --db "$dburl" 2>&1)
expect_contains "alert resume" "$out" "alert $alert resumed ($sent reached so far)"
"$NF" alert resume "$alert" --db "$dburl" >/dev/null 2>"$WORK/err"
expect_eq "resume of an alert not stopped exits 1" "$?" 1
expect_contains "and says why" "$(cat "$WORK/err")" "is not stopped"
for i in $(seq 1 600); do [ "$(api "$base/api/alerts/$alert" | field state)" = done ] && break; sleep 0.2; done
got=$(api "$base/api/alerts/$alert")
expect_eq "resumed alert done" "$(echo "$got" | field state)" done
{ accepted "$WORK/slow" River; accepted "$WORK/fast" River; } | sort >"$WORK/got1"
expect_eq "every reader got it" "$(sort -u "$WORK/got1" | wc -l)" $N
expect_eq "nobody got two" "$(uniq -d "$WORK/got1" | wc -l)" 0
expect_eq "reached = sent = $N" "$(echo "$got" | field reached):$(echo "$got" | field sent)" "$N:$N"
expect_contains "the audit names who resumed" "$(echo "$got" | field events)" "'action': 'resumed', 'who': 'cli:"
expect_eq "/metrics = every alert's sent" "$(metrics_sent)" $N

# ---- kill -9 mid-alert ----
alert2=$(publish examples/limousine.json | field alert_id)
for i in $(seq 1 600); do [ "$(sent_of "$alert2")" -ge 700 ] && break; sleep 0.02; done
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
at_kill=$(accepted "$WORK/fast" limousine | wc -l)
check "killed mid-alert ($at_kill of $N accepted)" test "$at_kill" -lt $N
start "$fast" || { fail "serve restarts after kill -9"; finish; }
for i in $(seq 1 600); do [ "$(api "$base/api/alerts/$alert2" | field state)" = done ] && break; sleep 0.2; done
got=$(api "$base/api/alerts/$alert2")
accepted "$WORK/fast" limousine | sort >"$WORK/got2"
distinct=$(sort -u "$WORK/got2" | wc -l) total=$(wc -l <"$WORK/got2")
expect_eq "after kill -9: every reader served" "$distinct" $N
expect_eq "the reached record holds each accepted reader once" "$(echo "$got" | field reached)" "$distinct"
expect_eq "sent = the reached record" "$(echo "$got" | field sent)" "$distinct"
bound=$((BATCH * 2 * SHARDS))
check "repeats ($((total - N))) within the bound ($bound)" test $((total - N)) -le $bound
echo "measured: kill -9 at $at_kill accepted; $((total - N)) repeated (bound $bound)"
expect_eq "/metrics = every alert's sent" "$(metrics_sent)" $((2 * N))
serve_stop
finish
