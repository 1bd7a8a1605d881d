#!/usr/bin/env bash
# bench/fanout.sh [N] [none|rsa] [sqlite|pg] - a breaking alert to N subscribers, against the wire's limit
#
# N confirmed subscribers (default 100000) in SQLite (or in a PostgreSQL
# server started for the run, durable: fsync on), a ~20 KB alert, and
# Postfix's smtp-sink on 127.0.0.1. In the same script, Postfix's
# smtp-source sends N messages of the same size into the same sink with the
# same number of sessions: that is the reference (the most this sink takes
# from a good client on this machine). newsflash runs as `newsflash worker`
# (the engine only) under /usr/bin/time for its peak RSS; the clock runs
# from the publish command until `publish --wait` sees the alert done (it
# looks every 200 ms, so the figure errs against us). With "rsa" every
# message is signed with a 2048-bit key, and the reference becomes
# min(smtp-source, the RSA-2048 signatures/s of the cores left to newsflash):
# openssl speed -multi over every core (just before and just after our run,
# averaged), scaled by the cores smtp-sink does not use during our run (its
# CPU time from /proc, over our wall time).
# Last line: ratio R ours N/s smtp-source M/s rss K MB
#
# HOOKS=ab: then, side by side in the same run, ROUNDS (2) pairs of the same
# alert to the same N without and with a webhook endpoint subscribed to
# every event (a local receiver answering 200), alternating; the line
# "webhooks ab: ratio R" is the mean rate with over the mean without.
set -uo pipefail
N=${1:-100000}
MODE=${2:-none}
DB=${3:-sqlite}
SESSIONS=${SESSIONS:-50}
WORKERS=${WORKERS:-2}
NF=${NEWSFLASH_BIN:-$PWD/build/newsflash}
SOURCE=/usr/sbin/smtp-source SINK=/usr/sbin/smtp-sink
work=$(mktemp -d /tmp/newsflash-fanout.XXXXXX)
chmod 711 "$work"
pids=()
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { local i; for i in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
cleanup_add() { :; }	# tests/lib/pg.sh registers its stop; this script's trap calls pg_stop
PG_FAST=0
source tests/lib/pg.sh
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; pg_stop; rm -rf "$work"' EXIT
now() { date +%s.%N; }

# a ~20 KB story: the composed message (text + HTML, quoted-printable) is the size that matters
/usr/bin/python3 - "$work/story.json" <<'PY'
import json, random, sys
random.seed(11)
words = ("the council voted late on tuesday to approve emergency funding for flood defences "
         "after residents in three districts were evacuated from their homes overnight").split()
paras = ["<p>" + " ".join(random.choice(words) for _ in range(90)) + ".</p>" for _ in range(13)]
story = {"headline": "Council approves emergency flood funding", "standfirst": "Residents evacuated overnight.",
         "body_html": "".join(paras), "byline": "By Bench Reporter", "url": "https://news.example/bench",
         "images": [{"url": "https://img.example/b.jpg", "caption": "Flood defences", "credit": "Agency"}],
         "breaking": True}
json.dump(story, open(sys.argv[1], "w"))
PY
keyopts=()
if [ "$MODE" = rsa ]; then
	"$NF" dkim keygen --domain news.example --selector b1 --algorithm rsa --out "$work/rsa.key" >/dev/null || exit 1
	keyopts=(--dkim-key "$work/rsa.key" --dkim-domain news.example --dkim-selector b1)
fi
"$NF" message compose --article "$work/story.json" --to reader1@example.com --from "Breaking News <alerts@news.example>" \
	--base-url https://news.example --secret-file "$work/secret" --templates "$PWD/templates" "${keyopts[@]}" >"$work/msg.eml" || exit 1
SIZE=$(wc -c <"$work/msg.eml")
tr -d '\r' <"$work/msg.eml" >"$work/msg.lf"

port=$(free_port)
"$SINK" -u nobody 127.0.0.1:"$port" 1024 >"$work/sink.log" 2>&1 &
pids+=($!)
wait_port "$port" || { echo "bench: smtp-sink did not start"; exit 1; }
echo "== fan-out of one alert to $N subscribers ($DB), message $SIZE bytes, DKIM $MODE, $SESSIONS sessions, smtp-sink on 127.0.0.1"

db="sqlite:$work/bench.db"
if [ "$DB" = pg ]; then
	pg_start || { echo "bench: no PostgreSQL: $PG_WHY"; exit 1; }
	db=$PG_URL
fi
# sql QUERY: one value from the database under test
sql() { if [ "$DB" = pg ]; then psql -qtAX "$PG_URL" -c "$1"; else sqlite3 "$work/bench.db" "$1"; fi; }
/usr/bin/python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(1, int(sys.argv[2]) + 1): f.write('reader%d@example.com\n' % i)" "$work/subs.csv" "$N"
t0=$(now)
"$NF" db migrate --db "$db" >/dev/null
"$NF" subscribers import "$work/subs.csv" --list breaking-news --consent-source bench --db "$db" >/dev/null 2>&1 || { echo "bench: import failed"; exit 1; }
printf '  import %d subscribers: %.1f s\n' "$N" "$(echo "$(now) - $t0" | bc)"

# the reference: smtp-source, N messages of the same size, same sessions
/usr/bin/time -f "%e %U %S" -o "$work/src.time" "$SOURCE" -s "$SESSIONS" -m "$N" -d -F "$work/msg.lf" \
	-f alerts@news.example -t reader@example.com 127.0.0.1:"$port" >/dev/null 2>&1
read -r src_wall src_user src_sys <"$work/src.time"
src_rate=$(awk -v n="$N" -v w="$src_wall" 'BEGIN { printf "%d", n / w }')
printf '  smtp-source: %.2f s, %d msg/s, client cpu %.1f us/msg\n' "$src_wall" "$src_rate" \
	"$(awk -v n="$N" -v u="$src_user" -v s="$src_sys" 'BEGIN { print (u + s) * 1e6 / n }')"
ref_rate=$src_rate
# every core signing, on this machine as it is now; measured just before and
# just after our run and averaged, since the share of the host this machine
# gets drifts (scaled after our run by the cores smtp-sink leaves)
sig_speed() { openssl speed -multi "$(nproc)" -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print int($6)}'; }
[ "$MODE" = rsa ] && sig_before=$(sig_speed)

# fanout_run LABEL: a worker, one breaking alert to everyone, timed; sets rate, rss, wall, sent
fanout_run() {
	rm -f "$work/t1"
	${PROFILE:-} /usr/bin/time -f "%M %U %S" -o "$work/worker.rss" "$NF" worker --db "$db" --transport "smtp://127.0.0.1:$port?tls=none" \
		--from "Breaking News <alerts@news.example>" --base-url https://news.example --secret-file "$work/secret" \
		--templates "$PWD/templates" --workers "$WORKERS" --connections $((SESSIONS / WORKERS)) --batch 500 \
		--shards 16 --poll-ms 100 --log-level warn --webhook-allow-private "${keyopts[@]}" >"$work/worker.log" 2>&1 &
	wpid=$!
	pids+=("$wpid")
	sink_ticks() { awk '{ print $14 + $15 }' "/proc/${pids[0]}/stat"; }	# utime + stime
	sleep 1
	sink0=$(sink_ticks)
	t0=$(now)
	# publish --wait watches the alert from one process (a query every 200 ms);
	# a shell loop starting a client every few ms would take CPU from the run
	( "$NF" publish "$work/story.json" --breaking --shards 16 --wait --db "$db" >/dev/null 2>&1 && now >"$work/t1" ) &
	pubpid=$!
	while kill -0 "$pubpid" 2>/dev/null; do
		kill -0 "$wpid" 2>/dev/null || { echo "bench: the worker died"; cat "$work/worker.log"; exit 1; }
		sleep 1
	done
	[ -s "$work/t1" ] || { echo "bench: publish --wait failed"; exit 1; }
	t1=$(cat "$work/t1")
	sink1=$(sink_ticks)
	kill -TERM "$(pgrep -P "$wpid")"; wait "$wpid" 2>/dev/null	# time, then its newsflash
	sent=$(sql "select (select sum(sent) from alert_shards s where s.alert_id = a.id) + retry_sent from alerts a order by id desc limit 1")
	wall=$(echo "$t1 - $t0" | bc)
	rate=$(awk -v n="$sent" -v w="$wall" 'BEGIN { printf "%d", n / w }')
	read -r rss_kb w_user w_sys <"$work/worker.rss"
	rss=$((rss_kb / 1024))
	cpu=$(awk -v n="$sent" -v u="$w_user" -v s="$w_sys" 'BEGIN { printf "%.0f", (u + s) * 1e6 / n }')
	printf '  %s: %d sent in %.2f s (publish to last commit), %d msg/s, peak RSS %d MB, cpu %.0f us/msg\n' \
		"$1" "$sent" "$wall" "$rate" "$rss" "$(awk -v n="$sent" -v u="$w_user" -v s="$w_sys" 'BEGIN { print (u + s) * 1e6 / n }')"
	[ "$sent" -eq "$N" ] || echo "  (only $sent of $N were accepted)"
}
fanout_run newsflash
if [ "$MODE" = rsa ]; then
	sig_after=$(sig_speed)
	sig_all=$(( (sig_before + sig_after) / 2 ))
	printf '  openssl speed -multi %d rsa2048: %d sign/s before, %d after, mean %d\n' "$(nproc)" \
		"$sig_before" "$sig_after" "$sig_all"
	tck=$(getconf CLK_TCK)
	sink_cores=$(awk -v d=$((sink1 - sink0)) -v t="$tck" -v w="$wall" 'BEGIN { printf "%.2f", d / t / w }')
	sig_cap=$(awk -v a="$sig_all" -v n="$(nproc)" -v c="$sink_cores" 'BEGIN { printf "%d", a * (n - c) / n }')
	printf '  smtp-sink used %.2f cores meanwhile: %d sign/s on the %.2f left\n' "$sink_cores" "$sig_cap" \
		"$(awk -v n="$(nproc)" -v c="$sink_cores" 'BEGIN { print n - c }')"
	[ "$sig_cap" -lt "$ref_rate" ] && ref_rate=$sig_cap
fi
echo "ratio $(awk -v a="$rate" -v b="$ref_rate" 'BEGIN { printf "%.2f", a / b }') ours $rate/s smtp-source $src_rate/s rss $rss MB"

# ---- HOOKS=ab: the same fan-out without and with a webhook endpoint wanting every event ----
if [ "${HOOKS:-}" = ab ]; then
	hport=$(free_port)
	/usr/bin/python3 - "$hport" "$work/hooks.log" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[2], 'ab') as f:
            f.write(body + b'\n')
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
	pids+=($!)
	wait_port "$hport" || { echo "bench: the webhook receiver did not start"; exit 1; }
	without=() with=() rss_without=() rss_with=() cpu_without=() cpu_with=()
	for r in $(seq 1 "${ROUNDS:-2}"); do
		fanout_run "round $r, no webhook"
		without+=("$rate") rss_without+=("$rss") cpu_without+=("$cpu")
		hook=$("$NF" webhook add "http://127.0.0.1:$hport/bench" --events '*' --db "$db" | sed -n 's/^webhook \([0-9]*\) added$/\1/p')
		fanout_run "round $r, a webhook wanting every event"
		with+=("$rate") rss_with+=("$rss") cpu_with+=("$cpu")
		"$NF" webhook remove "$hook" --db "$db" >/dev/null
	done
	mean() { echo "$@" | tr ' ' '\n' | awk '{ s += $1 } END { printf "%d", s / NR }'; }
	a=$(mean "${without[@]}") b=$(mean "${with[@]}")
	printf '  webhook events received: %d (alert.queued and alert.done per alert; nothing per message)\n' \
		"$(wc -l <"$work/hooks.log" 2>/dev/null || echo 0)"
	printf '  engine cpu per message: with %s us, without %s us\n' "${cpu_with[*]}" "${cpu_without[*]}"
	echo "webhooks ab: ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }') with $b/s (${with[*]}) without $a/s (${without[*]}) rss with ${rss_with[*]} MB without ${rss_without[*]} MB"
fi
