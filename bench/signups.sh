#!/usr/bin/env bash
# bench/signups.sh [SECONDS] - signups per second against the same server's /healthz
#
# newsflash serve (SQLite, Maildir, --signup-rate 0) under /usr/bin/time for
# its peak RSS. wrk (2 threads, CONNS connections) first runs GET /healthz
# for SECONDS: the reference, the most this machine's HTTP path gives. Then
# POST /api/subscribe with a new address each time for SECONDS, single
# opt-in (the database write alone) and, on a fresh server, double opt-in
# (a pending row and a confirmation mail queued per signup), and single
# opt-in again with sqlite:...?sync=full (an fsync per COMMIT). After each run
# the server is killed -9 and every answered signup is counted in the
# database: rows >= answers 200. The target in issues 8 and 12 is 5,000
# durable signups/s for 60 s with p99 under 50 ms (64 connections). Last line: ratio R single N/s double M/s healthz H/s rss K MB
set -uo pipefail
SECS=${1:-60}
CONNS=${CONNS:-64}
NF=${NEWSFLASH_BIN:-$PWD/build/newsflash}
work=$(mktemp -d /tmp/newsflash-signups.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command -v wrk >/dev/null || { echo "bench/signups.sh: wrk is not installed"; exit 1; }
field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
rate() { awk -v n="$(field "$1" requests)" -v s="$(field "$1" seconds)" 'BEGIN {printf "%.0f", n / s}'; }
ms() { awk -v u="$(field "$1" "$2")" 'BEGIN {printf "%.1f", u / 1000}'; }
code() { awk -v c="$2" '$1 == "code" && $2 == c {print $3}' "$1" | grep . || echo 0; }

# serve_up DIR [options]: newsflash serve under /usr/bin/time -v in DIR; sets PORT and SPID
serve_up() {
	local dir=$1 i
	shift
	mkdir -p "$dir"
	PORT=$(free_port)
	/usr/bin/time -v -o "$dir/time" "$NF" serve --listen "127.0.0.1:$PORT" --db "sqlite:$dir/db${DBOPT:-}" \
		--transport "maildir:$dir/outbox" --templates templates --secret-file "$dir/secret" \
		--signup-rate 0 --log-level warn "$@" >"$dir/log" 2>&1 &
	SPID=$!
	pids+=("$SPID")
	for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.1; done
	echo "serve did not start"; cat "$dir/log"; exit 1
}
# serve_down: SIGTERM (so time -v writes the peak RSS), peak RSS in KB on stdout
serve_down() {
	local child
	child=$(pgrep -P "$SPID" newsflash)
	kill -TERM "$child" 2>/dev/null
	wait "$SPID"
}
rss() { awk -F': ' '/Maximum resident/ {print $2}' "$1/time"; }

serve_up "$work/single" --single-opt-in
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/get.lua "http://127.0.0.1:$PORT/healthz" >"$work/ref.out" 2>&1
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/signup.lua "http://127.0.0.1:$PORT" -- single >"$work/single.out" 2>&1
curl -s "http://127.0.0.1:$PORT/metrics" >"$work/single.metrics"
kill -9 "$(pgrep -P "$SPID" newsflash)"; wait "$SPID" 2>/dev/null
single_rows=$(sqlite3 "$work/single/db" "select count(*) from subscribers where email like 'single-%'")
single_ok=$(code "$work/single.out" 200)

# the same with sqlite:...?sync=full: an fsync of the log at every COMMIT
# (a signup answered survives a power loss too); one per batch, not per signup
DBOPT="?sync=full" serve_up "$work/full" --single-opt-in
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/signup.lua "http://127.0.0.1:$PORT" -- full >"$work/full.out" 2>&1
curl -s "http://127.0.0.1:$PORT/metrics" >"$work/full.metrics"
serve_down
full_rows=$(sqlite3 "$work/full/db" "select count(*) from subscribers where email like 'full-%'")
full_ok=$(code "$work/full.out" 200)

serve_up "$work/double"
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/signup.lua "http://127.0.0.1:$PORT" -- double >"$work/double.out" 2>&1
serve_down
double_rows=$(sqlite3 "$work/double/db" "select count(*) from subscribers where email like 'double-%'")
double_ok=$(code "$work/double.out" 200); double_503=$(code "$work/double.out" 503)
mails=$(ls "$work/double/outbox/new" | wc -l)
rss_kb=$(rss "$work/double")

echo "GET /healthz:          $(rate "$work/ref.out")/s  p50 $(ms "$work/ref.out" p50_us) ms  p99 $(ms "$work/ref.out" p99_us) ms  (${SECS}s, $CONNS connections)"
echo "signups, single opt-in: $(rate "$work/single.out")/s  p50 $(ms "$work/single.out" p50_us) ms  p99 $(ms "$work/single.out" p99_us) ms  $single_ok answered 200, $single_rows rows after kill -9"
per_commit() { awk '$1 == "newsflash_signups_written_total" {w = $2} $1 == "newsflash_signup_commits_total" {c = $2} END {if (c > 0) printf "%.1f signups per COMMIT", w / c}' "$1"; }
echo "  ($(per_commit "$work/single.metrics"))"
echo "signups, sync=full:     $(rate "$work/full.out")/s  p50 $(ms "$work/full.out" p50_us) ms  p99 $(ms "$work/full.out" p99_us) ms  $full_ok answered 200, $full_rows rows; $(per_commit "$work/full.metrics")  peak RSS $(( $(rss "$work/full") / 1024 )) MB"
echo "signups, double opt-in: $(rate "$work/double.out")/s  p50 $(ms "$work/double.out" p50_us) ms  p99 $(ms "$work/double.out" p99_us) ms  $double_ok x 200, $double_503 x 503, $double_rows rows, $mails confirmation mails after the drain"
[ "$single_rows" -ge "$single_ok" ] || echo "LOST: $single_ok answered 200 but $single_rows rows"
[ "$double_rows" -ge "$double_ok" ] || echo "LOST: $double_ok answered 200 but $double_rows rows"
[ "$full_rows" -ge "$full_ok" ] || echo "LOST: $full_ok answered 200 but $full_rows rows (sync=full)"
echo "ratio $(awk -v a="$(rate "$work/single.out")" -v b="$(rate "$work/ref.out")" 'BEGIN {printf "%.3f", a / b}') single $(rate "$work/single.out")/s double $(rate "$work/double.out")/s healthz $(rate "$work/ref.out")/s rss $((rss_kb / 1024)) MB"
