#!/usr/bin/env bash
# bench/tmpl.sh - render the default alert email (HTML + text, ~20 KB) for
# TMPL_BENCH_MESSAGES subscribers (default 1,000,000) through the callback
# context, as a ratio to memcpy of the same bytes measured in the same run,
# plus peak RSS.
set -euo pipefail
BUILD=${BUILD:-build}
make -s "$BUILD/libnewsflash.a"
bin="$BUILD/bench/tmpl_bench"
mkdir -p "$(dirname "$bin")"
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$bin" bench/tmpl_bench.c "$BUILD/libnewsflash.a" \
	$(pkg-config --cflags --libs jansson) -lcrypto
/usr/bin/time -v "$bin" templates bench/alert.json "${TMPL_BENCH_MESSAGES:-1000000}" \
	2>"$BUILD/bench/tmpl.time"
grep -E 'Maximum resident' "$BUILD/bench/tmpl.time"
