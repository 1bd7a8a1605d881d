#!/usr/bin/env bash
# bench/pow.sh - serve --signup-pow: the server's cost of issuing and checking
# a challenge (bench/pow_bench.c, as a ratio to one bare SHA-256 in the same
# run), and the reader's: Chromium solving 12, 16 and 20 bits with the
# shipped embed.js (median of 31, 11 and 5 challenges;
# tests/browser/pow.mjs measure). Plus peak RSS of the server-side run.
set -euo pipefail
BUILD=${BUILD:-build}
make -s "$BUILD/libnewsflash.a" "$BUILD/newsflash"
bin="$BUILD/bench/pow_bench"
mkdir -p "$(dirname "$bin")"
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$bin" bench/pow_bench.c "$BUILD/libnewsflash.a" \
	$(pkg-config --libs openssl jansson) -pthread
/usr/bin/time -v "$bin" "${POW_BENCH_ITERS:-2000}" 2>"$BUILD/bench/pow.time"
grep -E 'Maximum resident' "$BUILD/bench/pow.time"
if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
	echo "chromium or playwright-core missing: no browser figures"
	exit 0
fi
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/newsflash" serve --listen "127.0.0.1:$port" --base-url "http://localhost:$port" --signup-pow 12 \
	--db "sqlite:$work/nf.db" --transport "maildir:$work/out" --secret-file "$work/secret" \
	--templates templates >"$work/serve.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
: >"$work/snippet.html"
echo "Chromium, embed.js: bits median_ms min_ms max_ms hashes_per_s"
(cd tests/browser && node pow.mjs "http://localhost:$port" 0 "$work/snippet.html" measure ${POW_BENCH_BITS:-12 16 20})
