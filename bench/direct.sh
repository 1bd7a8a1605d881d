#!/usr/bin/env bash
# bench/direct.sh [N] - one alert to N readers over 20 domains: direct delivery against a Postfix relay
#
# dnsmasq on 127.0.0.1 serves an MX for each of d1.test ... d20.test, each
# MX a mail server on its own address (127.0.0.101 ... 127.0.0.120, one
# port): bench/fastsink.c (a pipelined sink: the clients' limits, not the
# sink's, are measured), d20.test's answering MAIL with 421 4.7.28 ("slow
# down", Gmail's words) while a file exists. The readers are spread evenly over the domains.
# newsflash runs as `newsflash worker` under /usr/bin/time (peak RSS); the
# clock runs from the publish command until `publish --wait` sees the alert
# done, retries included.
#
#   1. direct, nobody throttling: the reference for the direct runs;
#   2. direct, d20.test throttling for the first THROTTLE seconds (10): the
#      time until every shard is done (the nineteen other domains served;
#      d20's mail waits in the retry lane) against run 1, and the total;
#   3. the same alert through a Postfix 3.7 relay (its own instance, queue
#      in the work folder, transport_maps sending each domain to the same
#      server; nobody throttling, which favours the relay), timed until
#      Postfix has delivered every message (its log's status=sent lines).
#
# Last line: ratio R direct N/s relay M/s (run 1 against run 3). RELAY=0
# skips run 3 (Postfix takes minutes per ten thousand here) and ends there.
set -uo pipefail
N=${1:-100000}
THROTTLE=${THROTTLE:-10}
WORKERS=${WORKERS:-2}
CONNS=${CONNS:-8}		# per destination and engine thread
NF=${NEWSFLASH_BIN:-$PWD/build/newsflash}
BUILD=${BUILD:-build}
work=$(mktemp -d /tmp/newsflash-direct.XXXXXX)
chmod 711 "$work"
pids=()
sinks=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap stop_all EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_addr() { local i; for i in $(seq 1 100); do (exec 3<>/dev/tcp/"$1"/"$2") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
sql() { sqlite3 "$work/bench.db" "$1"; }

/usr/bin/python3 - "$work/story.json" <<'PY'
import json, random, sys
random.seed(11)
words = ("the council voted late on tuesday to approve emergency funding for flood defences "
         "after residents in three districts were evacuated from their homes overnight").split()
paras = ["<p>" + " ".join(random.choice(words) for _ in range(90)) + ".</p>" for _ in range(4)]
story = {"headline": "Council approves emergency flood funding", "standfirst": "Residents evacuated overnight.",
         "body_html": "".join(paras), "byline": "By Bench Reporter", "url": "https://news.example/bench",
         "breaking": True}
json.dump(story, open(sys.argv[1], "w"))
PY

# DNS and the twenty servers
MXPORT=$(free_port)
DNSPORT=$(free_port)
dns=()
for k in $(seq 1 20); do dns+=(--mx-host="d$k.test,mx.d$k.test,10" --host-record="mx.d$k.test,127.0.0.$((100 + k))"); done
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --listen-address=127.0.0.1 \
	--bind-interfaces --port="$DNSPORT" --user="$(id -un)" --local=/test/ --local-ttl=300 "${dns[@]}" \
	>"$work/dnsmasq.log" 2>&1 &
pids+=($!)
mkdir -p "$BUILD/bench"
"${CC:-cc}" -O2 -Wall -Wextra -Werror -o "$BUILD/bench/fastsink" bench/fastsink.c || exit 1
for k in $(seq 1 20); do
	"$BUILD/bench/fastsink" "$MXPORT" "127.0.0.$((100 + k))" $([ "$k" = 20 ] && echo "$work/throttle") \
		>"$work/sink$k.log" 2>&1 &
	pids+=($!)
	sinks+=($!)
done
for k in $(seq 1 20); do wait_addr "127.0.0.$((100 + k))" "$MXPORT" || { echo "bench: server $k did not start"; exit 1; }; done
wait_addr 127.0.0.1 "$DNSPORT" 2>/dev/null || sleep 1

# the Postfix relay: its own instance in the work folder
pf=$work/postfix
RELAYPORT=$(free_port)
mkdir -p "$pf/data" "$pf/queue"
(cd "$pf/queue" && mkdir -p pid private public maildrop active bounce corrupt defer deferred flush hold incoming saved trace &&
	chown postfix private public maildrop active bounce corrupt defer deferred flush hold incoming saved trace "$pf/data" &&
	chgrp postdrop public maildrop && chmod 730 maildrop && chmod 710 public)
for k in $(seq 1 20); do echo "d$k.test smtp:[127.0.0.$((100 + k))]:$MXPORT"; done >"$pf/transport"
cat >"$pf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
myhostname = relay.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = test
smtpd_relay_restrictions = permit_mynetworks, reject
transport_maps = texthash:$pf/transport
smtp_dns_support_level = disabled
maillog_file = /dev/stdout
default_process_limit = 200
default_destination_concurrency_limit = $CONNS
EOF
sed "s/^smtp      inet/127.0.0.1:$RELAYPORT inet/" /etc/postfix/master.cf >"$pf/master.cf"

/usr/bin/python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(1, int(sys.argv[2]) + 1): f.write('reader%d@d%d.test\n' % (i, i % 20 + 1))" "$work/subs.csv" "$N"
"$NF" db migrate --db "sqlite:$work/bench.db" >/dev/null
"$NF" subscribers import "$work/subs.csv" --list breaking-news --consent-source bench --db "sqlite:$work/bench.db" \
	>/dev/null 2>&1 || { echo "bench: import failed"; exit 1; }
echo "== one alert to $N readers over 20 domains (one server each on 127.0.0.101-120), $WORKERS engine threads"

# worker TRANSPORT [options]: the engine, timed for its peak RSS
worker() {
	local t=$1
	shift
	/usr/bin/time -f "%M" -o "$work/worker.rss" "$NF" worker --db "sqlite:$work/bench.db" --transport "$t" \
		--from "Breaking News <alerts@news.example>" --base-url https://news.example --secret-file "$work/secret" \
		--templates "$PWD/templates" --workers "$WORKERS" --batch 500 --shards 16 --poll-ms 100 \
		--retry-base 1 --log-level warn "$@" >>"$work/worker.log" 2>&1 &
	wpid=$!
	pids+=("$wpid")
	sleep 1
}
worker_stop() { kill -TERM "$(pgrep -P "$wpid")" 2>/dev/null; wait "$wpid" 2>/dev/null; rss=$(( $(cat "$work/worker.rss") / 1024 )); }
last_alert=""
# publish_timed: publish and wait; sets wall (s), and shards_at (s) when every shard was done
publish_timed() {
	local t0 a
	t0=$(now)
	rm -f "$work/t1"
	( "$NF" publish "$work/story.json" --breaking --shards 16 --wait --db "sqlite:$work/bench.db" >/dev/null 2>&1 &&
		now >"$work/t1" ) &
	local pub=$!
	shards_at=""
	a=""
	while [ -z "$a" ] || [ "$a" = "$last_alert" ]; do a=$(sql "select max(id) from alerts"); sleep 0.05; done
	last_alert=$a
	while kill -0 "$pub" 2>/dev/null; do
		if [ -z "$shards_at" ] && [ "$(sql "select count(*) from alert_shards where alert_id=$a and state<>'done'")" = 0 ]; then
			shards_at=$(since "$t0")
		fi
		sleep 0.2
	done
	[ -s "$work/t1" ] || { echo "bench: publish --wait failed"; tail "$work/worker.log"; exit 1; }
	wall=$(echo "$(cat "$work/t1") - $t0" | bc)
	[ -n "$shards_at" ] || shards_at=$wall
	sent=$(sql "select (select sum(sent) from alert_shards s where s.alert_id = a.id) + retry_sent from alerts a where id=$a")
}
DIRECT=(direct --dns-server "127.0.0.1:$DNSPORT" --direct-port "$MXPORT"
	--shape "default connections=$CONNS per-connection=1000 per-minute=0")

# 1. direct, nobody throttling
worker "${DIRECT[@]}"
publish_timed
worker_stop
d_rate=$(awk -v n="$sent" -v w="$wall" 'BEGIN { printf "%d", n / w }')
d_wall=$wall
printf '  direct: %d sent in %.2f s, %d msg/s, peak RSS %d MB\n' "$sent" "$wall" "$d_rate" "$rss"

# 2. direct, d20.test answering 421 4.7.28 for the first THROTTLE seconds
touch "$work/throttle"
( sleep "$THROTTLE"; rm -f "$work/throttle" ) &
worker "${DIRECT[@]}"
publish_timed
worker_stop
kill -TERM "${sinks[19]}"; wait "${sinks[19]}" 2>/dev/null
throttled=$(awk '{print $3}' "$work/sink20.log")
"$BUILD/bench/fastsink" "$MXPORT" 127.0.0.120 >"$work/sink20b.log" 2>&1 &
pids+=($!)
wait_addr 127.0.0.120 "$MXPORT"
printf '  direct, d20.test throttling %d s: the other 19 served (every shard done) in %.2f s (%.2fx the unthrottled %.2f s);\n' \
	"$THROTTLE" "$shards_at" "$(echo "$shards_at / $d_wall" | bc -l)" "$d_wall"
printf '    all %d sent in %.2f s (d20.test: %d MAIL commands answered 421, then retried), peak RSS %d MB\n' \
	"$sent" "$wall" "$throttled" "$rss"

[ "${RELAY:-1}" = 0 ] && exit 0

# 3. through the Postfix relay
/usr/lib/postfix/sbin/master -c "$pf" -d >"$pf/log" 2>&1 &
pids+=($!)
wait_addr 127.0.0.1 "$RELAYPORT" || { echo "bench: postfix did not start"; tail "$pf/log"; exit 1; }
worker "smtp://127.0.0.1:$RELAYPORT?tls=none" --connections "$((CONNS * 20 / WORKERS))"
t0=$(now)
publish_timed
handed=$wall
worker_stop
while [ "$(grep -c 'status=sent' "$pf/log")" -lt "$sent" ]; do
	sleep 0.2
	[ "$(echo "$(since "$t0") > 3600" | bc)" = 1 ] && break
done
r_wall=$(since "$t0")
delivered=$(grep -c 'status=sent' "$pf/log")
r_rate=$(awk -v n="$delivered" -v w="$r_wall" 'BEGIN { printf "%d", n / w }')
printf '  relay: %d handed to Postfix in %.2f s, %d delivered by it in %.2f s, %d msg/s\n' \
	"$sent" "$handed" "$delivered" "$r_wall" "$r_rate"
echo "ratio $(awk -v a="$d_rate" -v b="$r_rate" 'BEGIN { printf "%.2f", a / b }') direct $d_rate/s relay $r_rate/s"
