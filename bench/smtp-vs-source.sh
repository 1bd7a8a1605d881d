#!/usr/bin/env bash
# bench/smtp-vs-source.sh - newsflash's SMTP client against Postfix's smtp-source
#
# Both clients send the same 20 KB message (BENCH_MESSAGES of them, 100,000
# by default) over the same number of sessions (50) and messages per
# connection (BENCH_MESSAGES / 50) to a sink on 127.0.0.1, one after the
# other, in this script. /usr/bin/time gives each client's wall time, CPU
# (user + system) and peak RSS; the sink's own CPU is read from /proc, so
# the report says when the sink, not the client, was the limit.
#
# Postfix's smtp-sink costs ~25 us + 5.5 ns/byte of a core per message and
# saturates near 7,000 msg/s with 20 KB messages, hiding the clients' own
# cost; so both clients are also run against bench/fastsink.c, a pipelined
# epoll sink. The last line compares the clients on smtp-sink, as asked:
#   ratio R ours N/s smtp-source M/s        (R = ours / smtp-source)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
NF=${NEWSFLASH_BIN:-$PWD/$BUILD/newsflash}
N=${BENCH_MESSAGES:-100000}
SESSIONS=${BENCH_SESSIONS:-50}
PER_CONN=$(( N / SESSIONS ))
SIZE=20480
SOURCE=/usr/sbin/smtp-source SINK=/usr/sbin/smtp-sink
for tool in "$SOURCE" "$SINK" /usr/bin/time; do
	[ -x "$tool" ] || { echo "bench: $tool is missing (scripts/deps)"; exit 1; }
done
[ -x "$NF" ] || { echo "bench: build newsflash first (make)"; exit 1; }

work=$(mktemp -d /tmp/newsflash-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
chmod 711 "$work"

# the message: header and body in CRLF lines of text, SIZE bytes, as the mail
# module emits them; smtp-source -F reads the same lines and adds the CRLFs
/usr/bin/python3 - "$work/msg.eml" "$SIZE" <<'EOF'
import random, sys
random.seed(7)
words = "breaking news alert from the newsroom the council voted tonight to approve".split()
lines = ["From: Breaking News <alerts@news.example>", "To: reader@example.com",
         "Subject: Council approves the new budget", "Message-ID: <bench.1@news.example>",
         "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", ""]
size = int(sys.argv[2])
while sum(len(l) + 2 for l in lines) < size - 80:
    lines.append(" ".join(random.choice(words) for _ in range(14))[:76])
body = "\r\n".join(lines) + "\r\n"
body += "x" * (size - len(body) - 2) + "\r\n"
open(sys.argv[1], "w", newline="").write(body)
EOF
tr -d '\r' <"$work/msg.eml" >"$work/msg.lf"

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	local i
	for i in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
cpu_ticks() {	# user + system clock ticks of a process
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# run NAME SINK-PID COMMAND... : prints one line, sets rate, cpu_us, rss_mb
run() {
	local name=$1 sinkpid=$2 t0 t1 wall user sys rss hz
	shift 2
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$sinkpid")
	/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err"
	t1=$(cpu_ticks "$sinkpid")
	read -r wall user sys rss <"$work/time"
	rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%d", n / w }')
	cpu_us=$(awk -v n="$N" -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')
	rss_mb=$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')
	busy=$(awk -v d="$((t1 - t0))" -v hz="$hz" -v w="$wall" 'BEGIN { printf "%d", 100 * d / hz / w }')
	printf "  %-12s %7.2f s %7d msg/s  client cpu %6.1f us/msg (user %s s, sys %s s)  rss %5s MB  sink busy %3d%%\n" \
		"$name" "$wall" "$rate" "$cpu_us" "$user" "$sys" "$rss_mb" "$busy"
	if [ "$busy" -ge 90 ]; then
		echo "               (the sink used a whole core: it, not the client, set the pace)"
	fi
}

ours() {	# ours PORT SINK-PID
	run newsflash "$2" "$NF" smtp send --transport "smtp://127.0.0.1:$1?tls=none" \
		--from alerts@news.example --to reader@example.com --count "$N" \
		--connections "$SESSIONS" --max-per-conn "$PER_CONN" --summary "$work/msg.eml"
	grep -q "^$N accepted" "$work/out" || { echo "bench: newsflash did not get $N accepted:"; cat "$work/out" "$work/err"; exit 1; }
}
theirs() {	# theirs PORT SINK-PID
	run smtp-source "$2" "$SOURCE" -s "$SESSIONS" -m "$N" -d -F "$work/msg.lf" \
		-f alerts@news.example -t reader@example.com 127.0.0.1:"$1"
}

echo "== $N messages of $SIZE bytes, $SESSIONS sessions, $PER_CONN messages per connection, 127.0.0.1"
port=$(free_port)
"$SINK" -u nobody 127.0.0.1:"$port" 1024 >"$work/sink.log" 2>&1 &
sink=$!
pids+=("$sink")
wait_port "$port" || { echo "bench: smtp-sink did not start"; exit 1; }
# both PORT SINK-PID: smtp-source, then newsflash; sets src_rate src_cpu our_rate our_cpu
both() {
	theirs "$1" "$2"
	src_rate=$rate src_cpu=$cpu_us
	ours "$1" "$2"
	our_rate=$rate our_cpu=$cpu_us
}

echo "-- into Postfix's smtp-sink"
both "$port" "$sink"
sink_src_rate=$src_rate sink_src_cpu=$src_cpu sink_our_rate=$our_rate sink_our_cpu=$our_cpu

if [ -x "${CC:-cc}" ] || command -v "${CC:-cc}" >/dev/null; then
	mkdir -p "$BUILD/bench"
	"${CC:-cc}" -O2 -Wall -Wextra -Werror -o "$BUILD/bench/fastsink" bench/fastsink.c
	fport=$(free_port)
	"$BUILD/bench/fastsink" "$fport" >"$work/fastsink.log" 2>&1 &
	fsink=$!
	pids+=("$fsink")
	wait_port "$fport" || { echo "bench: fastsink did not start"; exit 1; }
	echo "-- into bench/fastsink (pipelined epoll sink: the clients' own limits)"
	both "$fport" "$fsink"
	echo "  on fastsink: ours/smtp-source $(awk -v a="$our_rate" -v b="$src_rate" 'BEGIN { printf "%.2f", a / b }')x the rate," \
		"$(awk -v a="$our_cpu" -v b="$src_cpu" 'BEGIN { printf "%.2f", a / b }')x the CPU per message"
fi
echo "  on smtp-sink: client CPU per message ours $sink_our_cpu us, smtp-source $sink_src_cpu us"
echo "ratio $(awk -v a="$sink_our_rate" -v b="$sink_src_rate" 'BEGIN { printf "%.2f", a / b }') ours $sink_our_rate/s smtp-source $sink_src_rate/s"
