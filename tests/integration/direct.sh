#!/usr/bin/env bash
# Direct delivery (--transport direct) against a real DNS server and real
# mail servers: dnsmasq serves MX, A and null-MX records for several .test
# domains, and each MX is an aiosmtpd on its own 127.0.0.x address. An
# alert reaches every recipient exactly once, at its own domain's server;
# a domain without MX gets its mail at its A record (RFC 5321 5.1); a
# null-MX domain (RFC 7505) fails permanently without a connection; a
# domain whose MX is down is retried until it comes up; one server
# answering 421 4.7.28 is backed off and finished while the others are
# not held up; a domain routed to a relay goes there; kill -9 mid-alert
# and a restart: every recipient served, repeats within the bound.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/dnsmasq.sh
source tests/lib/smtp.sh

mkdir -p "$WORK/app"
MXPORT=$(free_port)
# one server per domain: NAME ADDRESS
servers="d1 127.0.0.11
d2 127.0.0.12
d3 127.0.0.13
bare 127.0.0.14
null 127.0.0.15
down 127.0.0.16
slow 127.0.0.17
relayed 127.0.0.18"

if ! dnsmasq_start \
	--mx-host=d1.test,mx.d1.test,10 --host-record=mx.d1.test,127.0.0.11 \
	--mx-host=d2.test,mx1.d2.test,10 --host-record=mx1.d2.test,127.0.0.12 \
	--mx-host=d2.test,mx2.d2.test,20 --host-record=mx2.d2.test,127.0.0.99 \
	--mx-host=d3.test,mx.d3.test,5 --host-record=mx.d3.test,127.0.0.13 \
	--host-record=bare.test,127.0.0.14 \
	--dns-rr=null.test,15,000000 --host-record=null.test,127.0.0.15 \
	--mx-host=down.test,mx.down.test,10 --host-record=mx.down.test,127.0.0.16 \
	--mx-host=slow.test,mx.slow.test,10 --host-record=mx.slow.test,127.0.0.17 \
	--mx-host=relayed.test,mx.d1.test,10; then
	skip "direct delivery" "dnsmasq did not start: $(cat "$WORK/dnsmasq.out" 2>/dev/null)"
	finish
fi
DNS="127.0.0.1:$DNS_PORT"

wait_addr() {	# wait_addr ADDRESS PORT
	local i
	for i in $(seq 1 100); do
		(exec 3<>/dev/tcp/"$1"/"$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
mx_start() {	# mx_start NAME ADDRESS [smtpd.py options]: a domain's server, its spool $WORK/mx-NAME
	local name=$1 addr=$2 pid
	shift 2
	/usr/bin/python3 "$SMTPD_PY" --host "$addr" --port "$MXPORT" --spool "$WORK/mx-$name" --pipelining "$@" \
		>>"$WORK/mx-$name.out" 2>&1 &
	pid=$!
	cleanup_add "kill $pid"
	eval "MX_PID_$name=$pid"
	wait_addr "$addr" "$MXPORT"
}
accepted() {	# accepted NAME: the recipients its server took, one a line
	[ -f "$WORK/mx-$1/log" ] || return 0
	awk '/^accepted/ {print $4}' "$WORK/mx-$1/log"
}

touch "$WORK/throttle"
smtp_make_cert "$WORK"
while read -r name addr; do
	case $name in
	down) ;;	# comes up later
	d3) mx_start "$name" "$addr" --starttls "$WORK/cert.pem" "$WORK/key.pem" --require-tls ||
		fail "server for $name.test starts" ;;	# takes mail only under STARTTLS
	slow) mx_start "$name" "$addr" --throttle-while "$WORK/throttle" || fail "server for $name.test starts" ;;
	*) mx_start "$name" "$addr" || fail "server for $name.test starts" ;;
	esac
done <<<"$servers"

# shaping per destination, through smtp send: messages per connection ...
printf 'Subject: shaped\r\n\r\nhello\r\n' >"$WORK/m.eml"
SEND=("$NF" smtp send --transport direct --dns-server "$DNS" --direct-port "$MXPORT" --from s@news.example --threaded)
out=$("${SEND[@]}" --to shape@d1.test --count 20 --summary --shape "d1.test connections=1 per-connection=5 per-minute=0" "$WORK/m.eml")
expect_eq "shaped: every message accepted" "$out" "20 accepted, 0 temporary, 0 permanent"
expect_eq "shaped: 5 messages per connection make 4 connections" "$(grep -c '^ehlo' "$WORK/mx-d1/log")" 4
: >"$WORK/mx-d1/log"
# ... and messages per minute: what the rate cannot take within the hold is deferred, not queued
: >"$WORK/mx-d3/log"
out=$("${SEND[@]}" --to rate@d3.test --count 30 --shape "d3.test connections=2 per-minute=60" "$WORK/m.eml")
took=$(grep -c '^accepted' "$WORK/mx-d3/log")
check "shaped: 60 a minute lets a few through ($took of 30)" test "$took" -ge 1 -a "$took" -le 6
expect_eq "shaped: the rest deferred, temporary" "$(echo "$out" | grep -c '^temporary .*deferred: mx.d3.test ')" $((30 - took))
check "shaped: deferred at once for the rate" grep -q 'deferred: mx.d3.test is at its rate' <<<"$out"
# a relay for every domain but one: --route DOMAIN=direct
: >"$WORK/mx-d3/log"
MIXED=("$NF" smtp send --transport "smtp://127.0.0.18:$MXPORT?tls=none" --route "d3.test=direct"
	--dns-server "$DNS" --direct-port "$MXPORT" --from s@news.example)
out=$("${MIXED[@]}" --to mixed@d3.test --to mixed@d1.test "$WORK/m.eml")
expect_contains "one message for two domains is refused by direct routing" "$out" "permanent"
"${MIXED[@]}" --to mixed@d3.test "$WORK/m.eml" >/dev/null
"${MIXED[@]}" --to mixed@d1.test "$WORK/m.eml" >/dev/null
expect_eq "mixed: the routed domain went direct" "$(accepted d3)" "mixed@d3.test"
expect_eq "mixed: the others through the relay" "$(accepted relayed)" "mixed@d1.test"
: >"$WORK/mx-d3/log"; : >"$WORK/mx-relayed/log"

# the audience: readers at every domain
declare -A COUNT=([d1]=40 [d2]=40 [d3]=30 [bare]=10 [null]=5 [down]=10 [slow]=30 [relayed]=10)
for name in "${!COUNT[@]}"; do
	for i in $(seq 1 "${COUNT[$name]}"); do echo "r$i@$name.test"; done
done >"$WORK/subs.csv"
TOTAL=$(wc -l <"$WORK/subs.csv")
"$NF" db migrate --db "sqlite:$WORK/app/newsflash.db" >/dev/null
"$NF" subscribers import "$WORK/subs.csv" --list breaking-news --consent-source "test fixture" \
	--db "sqlite:$WORK/app/newsflash.db" >/dev/null 2>&1
key=$("$NF" apikey create newsroom --db "sqlite:$WORK/app/newsflash.db")

# usage errors come before anything starts
err=$("$NF" serve --transport direct --dns-server localhost:53 --listen 127.0.0.1:1 2>&1); rc=$?
expect_eq "bad --dns-server exits 2" "$rc" 2
expect_contains "... and says why" "$err" "IPv4[:PORT]"

# config check: direct is a transport, its limits are checked, its DNS needs said
out=$("$NF" config check --transport direct --db "sqlite:$WORK/app/newsflash.db" --secret-file "$WORK/app/secret" \
	--from "News <alerts@news.example>" --shape "default connections=two" 2>&1); rc=$?
expect_eq "config check: a bad --shape is a problem" "$rc" 1
expect_contains "... named" "$out" "problem: --transport direct: --shape wants"
expect_contains "config check: direct delivery's DNS needs (PTR, SPF) are said" "$out" "warning: direct delivery: the address mail leaves from needs a PTR"

# relayed.test goes through a "relay": the d1 server under another name
port=$(free_port); base="http://127.0.0.1:$port"
DIRECT=(--transport direct --dns-server "$DNS" --direct-port "$MXPORT" --retry-base 1 --shards 2 --batch 20
	--shape "default connections=3 per-connection=50 per-minute=0"
	--route "relayed.test=smtp://127.0.0.18:$MXPORT?tls=none")
serve_start "$port" "${DIRECT[@]}" --from "Breaking News <alerts@news.example>" || { fail "serve starts"; finish; }

publish() {
	curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data @"$1" "$base/api/articles"
}
alert_json() { curl -s -H "Authorization: Bearer $key" "$base/api/alerts/$1"; }
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
q() { sqlite3 "$WORK/app/newsflash.db" "$1"; }
wait_alert() {	# wait_alert ID SECONDS: until done with nothing left to retry
	local i
	for i in $(seq 1 $(($2 * 5))); do
		a=$(alert_json "$1")
		[ "$(echo "$a" | json_field state)" = done ] && [ "$(echo "$a" | json_field retrying)" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}
all_in() {	# all_in NAME: every reader of NAME.test at its server
	[ "$(accepted "$1" | sort -u | wc -l)" -ge "${COUNT[$1]}" ]
}

alert=$(publish examples/limousine.json | json_field alert_id)
check "an alert is queued" test -n "$alert"
t0=$(date +%s%N)
for i in $(seq 1 300); do
	all_in d1 && all_in d2 && all_in d3 && all_in bare && break
	sleep 0.1
done
t1=$(date +%s%N)
check "the domains that answer are served while slow.test still throttles" test -e "$WORK/throttle"
echo "measured: the healthy domains were all served $(( (t1 - t0) / 1000000 )) ms after the publish"
check "slow.test answered 421 4.7.28" grep -q '^throttled' "$WORK/mx-slow/log"
expect_eq "slow.test took nothing while throttling" "$(accepted slow | wc -l)" 0
expect_contains "the back-off is logged" "$(cat "$WORK/serve.log")" "smtp.direct.throttled"
rm -f "$WORK/throttle"
sleep 1
mx_start down 127.0.0.16 || fail "server for down.test starts"
check "alert completes once the slow and the down servers take mail" wait_alert "$alert" 90

for name in d1 d2 d3 bare slow down; do
	expect_eq "$name.test: every reader once" "$(accepted "$name" | sort | uniq | wc -l) $(accepted "$name" | wc -l)" \
		"${COUNT[$name]} ${COUNT[$name]}"
	expect_eq "$name.test: only its own readers" "$(accepted "$name" | grep -vc "@$name\.test$")" 0
done
check "d3.test (STARTTLS required) got its mail: opportunistic TLS to MX hosts" test "$(accepted d3 | wc -l)" -gt 0
expect_eq "d2.test's backup MX (no server) was never needed" "$(accepted d2 | wc -l)" "${COUNT[d2]}"
expect_eq "relayed.test went through its route" "$(accepted relayed | sort -u | wc -l)" "${COUNT[relayed]}"
expect_eq "relayed.test's MX (the d1 server) saw none of it" "$(accepted d1 | grep -c relayed)" 0
check "slow.test was retried after its back-off" test "$(grep -c '^throttled' "$WORK/mx-slow/log")" -ge 1
for i in $(seq 1 150); do grep -q 'smtp.direct.recovered.*mx.slow.test' "$WORK/serve.log" && break; sleep 0.2; done
check "slow.test's limits climbed back once it took mail again" grep -q 'smtp.direct.recovered.*mx.slow.test' "$WORK/serve.log"
expect_eq "null.test: no connection at all (RFC 7505)" "$(cat "$WORK/mx-null/log" 2>/dev/null | wc -l)" 0
expect_eq "null.test: every reader failed permanently" \
	"$(q "select count(*) from deliveries d join subscribers s on s.id=d.subscriber_id where s.email like '%@null.test' and d.kind='perm' and d.reply like '556 5.1.10%'")" "${COUNT[null]}"
expect_eq "null.test: tried once each (no retry)" "$(q "select count(*) from deliveries d join subscribers s on s.id=d.subscriber_id where s.email like '%@null.test' and d.kind<>'perm'")" 0
a=$(alert_json "$alert")
expect_eq "alert sent counts the rest" "$(echo "$a" | json_field sent)" $((TOTAL - COUNT[null]))
expect_eq "alert failed counts null.test" "$(echo "$a" | json_field failed)" "${COUNT[null]}"
serve_stop
expect_eq "SIGTERM exits 0" "$SERVE_STATUS" 0

# kill -9 mid-alert, restart: everyone served, repeats within the bound
M=1500
for i in $(seq 1 $M); do echo "k$i@d$((i % 3 + 1)).test"; done >"$WORK/many.csv"
"$NF" subscribers import "$WORK/many.csv" --list breaking-news --consent-source "test fixture" \
	--db "sqlite:$WORK/app/newsflash.db" >/dev/null 2>&1
for name in d1 d2 d3; do : >"$WORK/mx-$name/log"; done
BIG=(--transport direct --dns-server "$DNS" --direct-port "$MXPORT" --retry-base 1 --shards 4 --batch 50 --lease 3
	--shape "default connections=4 per-minute=0" --route "relayed.test=smtp://127.0.0.18:$MXPORT?tls=none")
serve_start "$port" "${BIG[@]}" --from "Breaking News <alerts@news.example>" || { fail "serve starts again"; finish; }
alert=$(publish examples/flood.json | json_field alert_id)
for i in $(seq 1 300); do
	[ "$(cat "$WORK"/mx-d[123]/log | grep -c '^accepted .* k[0-9]')" -ge 300 ] && break
	sleep 0.05
done
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
at_kill=$(cat "$WORK"/mx-d[123]/log | grep -c '^accepted .* k[0-9]')
check "killed mid-alert ($at_kill of $M taken)" test "$at_kill" -lt "$M"
serve_start "$port" "${BIG[@]}" --from "Breaking News <alerts@news.example>" || { fail "serve restarts"; finish; }
check "alert completes after restart" wait_alert "$alert" 120
k=$(cat "$WORK"/mx-d[123]/log | awk '/^accepted/ {print $4}' | grep '^k[0-9]')
expect_eq "every k-reader served" "$(echo "$k" | sort -u | wc -l)" "$M"
dups=$(( $(echo "$k" | wc -l) - M ))
bound=$((50 * 2 * 4))
check "repeats ($dups) within the bound (batch x batches in flight x shards = $bound)" test "$dups" -le "$bound"
echo "measured: $dups messages repeated after kill -9 at $at_kill of $M (bound $bound)"
for name in d1 d2 d3; do
	expect_eq "$name.test: only its own k-readers" "$(accepted "$name" | grep '^k' | grep -vc "@$name\.test$")" 0
done
serve_stop
finish
