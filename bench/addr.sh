#!/usr/bin/env bash
# bench/addr.sh - addr_check per-call cost, as a ratio to idn2_lookup_u8 alone
# on the same inputs (measured in the same run), plus peak RSS.
set -euo pipefail
BUILD=${BUILD:-build}
make -s "$BUILD/libnewsflash.a"
bin="$BUILD/bench/addr_bench"
mkdir -p "$(dirname "$bin")"
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$bin" bench/addr_bench.c "$BUILD/libnewsflash.a" \
	$(pkg-config --libs libidn2) -lunistring -lresolv -lcrypto
/usr/bin/time -v "$bin" "${ADDR_BENCH_ITERS:-200000}" 2>"$BUILD/bench/addr.time"
grep -E 'Maximum resident' "$BUILD/bench/addr.time"
