#!/usr/bin/env bash
# Breaking alert fan-out end to end, on SQLite and (FANOUT_DB=pg, run by
# tests/integration/fanout_pg.sh) on PostgreSQL: subscribers imported, one
# reader signed up and confirmed through the web form, an article published
# through the API, every confirmed
# subscriber's message received exactly once by a real relay (aiosmtpd),
# DKIM-valid under dkimpy with both keys; pending, unsubscribed and
# suppressed people never mailed; a 4xx retried until it is accepted; a 5xx
# for an unknown user recorded and suppressed; the alert's API and CLI views;
# cancelling; and kill -9 mid-alert with a restart: everyone served, repeats
# within the bound and carrying the same Message-ID.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/db.sh
source tests/lib/smtp.sh
source tests/lib/mail.sh

db_choose "${FANOUT_DB:-sqlite}" "fan-out"
mkdir -p "$WORK/app"
N=300

# DKIM keys, as an operator makes them
"$NF" dkim keygen --domain news.example --selector rsa1 --algorithm rsa --out "$WORK/rsa.key" >"$WORK/rsa.txt" &&
"$NF" dkim keygen --domain news.example --selector ed1 --algorithm ed25519 --out "$WORK/ed.key" >"$WORK/ed.txt"
check "dkim keygen" test -s "$WORK/rsa.key" -a -s "$WORK/ed.key"
rsa_rec=$(mail_record "$WORK/rsa.txt"); ed_rec=$(mail_record "$WORK/ed.txt")

# the audience: N confirmed, two special relay behaviours, a pending and an unsubscribed person
{ for i in $(seq 1 $N); do echo "reader$i@example.com"; done
  echo "tempfirst-1@example.com"; echo "rcpt550-gone@example.com"; echo "Left@Example.com"; } >"$WORK/subs.csv"
"$NF" subscribers import "$WORK/subs.csv" --list breaking-news --consent-source "test fixture" --db "$dburl" >/dev/null 2>&1
echo "pending@example.com" >"$WORK/pending.csv"
"$NF" subscribers import "$WORK/pending.csv" --list breaking-news --consent-source "test fixture" --pending --db "$dburl" >/dev/null 2>&1
q "update subscribers set status='unsubscribed' where email='Left@example.com'"
expect_eq "audience: confirmed / pending / unsubscribed" \
	"$(for st in confirmed pending unsubscribed; do q "select count(*) from subscribers where status='$st'"; done | xargs)" "$((N + 2)) 1 1"
key=$("$NF" apikey create newsroom --db "$dburl")

relay=$(free_port); spool="$WORK/spool"
smtpd_start "$relay" "$spool" --pipelining || { fail "aiosmtpd starts"; finish; }
port=$(free_port); base="http://127.0.0.1:$port"
serve_start "$port" --db "$dburl" --transport "smtp://127.0.0.1:$relay?tls=none" --from "Breaking News <alerts@news.example>" \
	--base-url "https://news.example" --publication "The Daily Example" --retry-base 1 --shards 4 --batch 50 \
	--dkim-key "$WORK/rsa.key" --dkim-domain news.example --dkim-selector rsa1 \
	--dkim-key "$WORK/ed.key" --dkim-domain news.example --dkim-selector ed1 || { fail "serve starts"; finish; }

publish() {	# publish FILE -> the API's JSON answer
	curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data @"$1" "$base/api/articles"
}
alert_json() { curl -s -H "Authorization: Bearer $key" "$base/api/alerts/$1"; }
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
wait_alert() {	# wait_alert ID SECONDS: until done with nothing left to retry
	local i
	for i in $(seq 1 $(($2 * 5))); do
		a=$(alert_json "$1")
		[ "$(echo "$a" | json_field state)" = done ] && [ "$(echo "$a" | json_field retrying)" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# one reader signs up through the form and confirms from the email
jar="$WORK/jar"
csrf=$(curl -s -c "$jar" "$base/" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
curl -s -b "$jar" -o /dev/null --data "csrf=$csrf&email=web.reader%40example.com" "$base/subscribe"
# the imported pending subscriber is owed a confirmation too: serve sends it at start
for i in $(seq 1 50); do
	[ -n "$(grep -l '^To: web.reader@example.com' "$spool"/*.eml 2>/dev/null)" ] &&
		[ -n "$(grep -l '^To: pending@example.com' "$spool"/*.eml 2>/dev/null)" ] && break
	sleep 0.1
done
check "the imported pending subscriber got a confirmation" grep -q '^accepted .* pending@example.com ' "$spool/log"
link=$(mail_text "$(grep -l '^To: web.reader@example.com' "$spool"/*.eml | head -1)" | grep -o "https://news.example/confirm/[A-Za-z0-9_-]*" | head -1)
check "confirmation email through the relay" test -n "$link"
curl -s -o /dev/null -X POST "$base/confirm/${link##*/}"
expect_eq "web reader confirmed" "$(q "select status from subscribers where email='web.reader@example.com'")" confirmed
rm -f "$spool"/*.eml; : >"$spool/log"
N=$((N + 1))

expect_eq "publishing needs a key" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data @examples/limousine.json "$base/api/articles")" 401
expect_eq "a bad article is 422" "$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $key" --data '{"headline":"x\r\ny","url":"ftp://a"}' "$base/api/articles")" 422
expect_contains "422 names each field" "$(cat "$WORK/body")" '"field":"url"'

t0=$(date +%s%N)
answer=$(publish examples/limousine.json)
t1=$(date +%s%N)
alert=$(echo "$answer" | json_field alert_id)
expect_contains "publish answers 201 with ids" "$answer" '"alert_id":'
for i in $(seq 1 500); do [ -n "$(ls "$spool"/*.eml 2>/dev/null | head -1)" ] && break; sleep 0.01; done
t2=$(date +%s%N)
echo "measured: first message at the relay $(( (t2 - t1) / 1000000 )) ms after the publish answer (HTTP round trip $(( (t1 - t0) / 1000000 )) ms)"
check "alert completes, retries included" wait_alert "$alert" 60
a=$(alert_json "$alert")
expect_eq "alert state done" "$(echo "$a" | json_field state)" done
expect_eq "alert total counts the confirmed" "$(echo "$a" | json_field total)" $((N + 2))
expect_eq "alert sent" "$(echo "$a" | json_field sent)" $((N + 1))
expect_eq "alert failed: the unknown user" "$(echo "$a" | json_field failed)" 1

accepted=$(grep -c '^accepted' "$spool/log")
expect_eq "relay accepted one per confirmed subscriber" "$accepted" $((N + 1))
expect_eq "nobody got two" "$(grep '^accepted' "$spool/log" | awk '{print $4}' | sort | uniq -d | wc -l)" 0
for who in pending@example.com Left@example.com; do
	expect_eq "not mailed: $who" "$(grep -c " $who " "$spool/log")" 0
done
expect_eq "4xx deferred once" "$(grep -c '^deferred tempfirst-1@example.com' "$spool/log")" 1
expect_eq "then accepted on retry" "$(grep -c ' tempfirst-1@example.com ' "$spool/log")" 1
expect_eq "unknown user suppressed" "$(q "select count(*) from suppressions where email_key='rcpt550-gone@example.com'")" 1
expect_eq "permanent failure recorded with the reply" \
	"$(q "select kind||' '||substr(reply,1,3) from deliveries d join subscribers s on s.id=d.subscriber_id where s.email='rcpt550-gone@example.com'")" "perm 550"
expect_eq "VERP return path" "$(grep -c '^accepted [0-9]* bounce+[0-9]*-[0-9a-f]\{20\}@news.example ' "$spool/log")" $((N + 1))

verified=0 checked=0
for f in $(ls "$spool"/*.eml | shuf -n 10 --random-source=<(yes)); do
	checked=$((checked + 1))
	out=$(mail_verify "$f" "$rsa_rec" "$ed_rec" 2>&1) && verified=$((verified + 1))
done
expect_eq "dkimpy verifies rsa-sha256 and ed25519-sha256 on every sampled message" "$verified/$checked" "$checked/$checked"
echo "$out" | sed 's/^/  /'
sample=$(grep -l 'To: reader7@example.com' "$spool"/*.eml | head -1)
expect_eq "List-Unsubscribe-Post" "$(mail_header "$sample" List-Unsubscribe-Post)" "List-Unsubscribe=One-Click"
expect_contains "List-Unsubscribe link" "$(mail_header "$sample" List-Unsubscribe)" "<https://news.example/u/"
expect_eq "Message-ID is per alert and subscriber" "$(grep -h '^Message-ID:' "$spool"/*.eml | sort -u | wc -l)" $((N + 1))

# a second alert: the suppressed address is not even tried
before=$(grep -c 'rcpt550-gone' "$spool/log")
alert2=$(publish examples/flood.json | json_field alert_id)
check "second alert completes" wait_alert "$alert2" 60
expect_eq "suppressed address not tried again" "$(grep -c 'rcpt550-gone' "$spool/log")" "$before"
expect_contains "alerts lists both" "$("$NF" alerts --db "$dburl")" "done"
metrics=$(curl -s "$base/metrics")
expect_contains "metrics count sent" "$metrics" "newsflash_messages_sent_total $((2 * N + 2))"
expect_contains "metrics histogram" "$metrics" "newsflash_alert_publish_to_last_message_seconds_count 2"
serve_stop
expect_eq "SIGTERM exits 0" "$SERVE_STATUS" 0

# cancel mid-way and kill -9 mid-way, into a Maildir with many subscribers
# (on PostgreSQL the same is proved with three workers in fanout_pg.sh)
[ "$DB_KIND" = pg ] && finish
M=3000
rm -rf "$WORK/app"; mkdir -p "$WORK/app"
"$NF" db migrate --db "$dburl" >/dev/null
for i in $(seq 1 $M); do echo "many$i@example.org"; done >"$WORK/many.csv"
"$NF" subscribers import "$WORK/many.csv" --list breaking-news --consent-source "test fixture" --db "$dburl" >/dev/null 2>&1
port=$(free_port); base="http://127.0.0.1:$port"
serve_start "$port" --batch 100 --shards 4 --lease 3 || { fail "serve starts (maildir)"; finish; }
key=$("$NF" apikey create newsroom --db "$dburl")
alert=$(publish examples/limousine.json | json_field alert_id)
for i in $(seq 1 300); do [ "$(ls "$WORK/app/outbox/new" 2>/dev/null | wc -l)" -ge 500 ] && break; sleep 0.05; done
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
at_kill=$(ls "$WORK/app/outbox/new" | wc -l)
check "killed mid-alert ($at_kill of $M written)" test "$at_kill" -lt "$M"
check "database intact after kill -9" test "$(q 'pragma integrity_check')" = ok
serve_start "$port" --batch 100 --shards 4 --lease 3 || { fail "serve restarts"; finish; }
check "alert completes after restart" wait_alert "$alert" 120
read -r served total mismatched <<<"$(maildir_repeats "$WORK/app/outbox")"
expect_eq "every recipient served" "$served" "$M"
dups=$((total - M))
bound=$((100 * 2 * 4))
check "repeats ($dups) within the bound (batch x batches in flight x shards = $bound)" test "$dups" -le "$bound"
expect_eq "a repeated message carries the same Message-ID" "$mismatched" 0
echo "measured: $dups messages repeated after kill -9 at $at_kill of $M (bound $bound)"
expect_contains "the engine reported possible repeats" "$(cat "$WORK/serve.log")" "possible_duplicates_at_most"

alert=$(publish examples/flood.json | json_field alert_id)
for i in $(seq 1 300); do [ "$(ls "$WORK/app/outbox/new" | wc -l)" -ge $((M + dups + 300)) ] && break; sleep 0.05; done
"$NF" alert cancel "$alert" --db "$dburl" >/dev/null
expect_eq "cancelled" "$(alert_json "$alert" | json_field state)" cancelled
sleep 2
n1=$(ls "$WORK/app/outbox/new" | wc -l); sleep 1; n2=$(ls "$WORK/app/outbox/new" | wc -l)
expect_eq "nothing more is sent after a cancel" "$n1" "$n2"
check "cancel stopped the alert before everyone" test $((n2 - M - dups)) -lt "$M"
serve_stop
finish
