#!/usr/bin/env bash
# bench/reached.sh [N] - the reached record at N recipients (default 1,000,000)
#
# bench/reached_bench.c builds the record for several audiences (sequential
# ids, random ids at several densities, and split over 8 shards as the
# engine stores it) and reports each one's serialized size against a plain
# array of 4-byte ids (the ratio), what is stored (base64), and the time
# to build and load it; then the peak RSS. Target: under 1 MB at 1,000,000.
set -euo pipefail
BUILD=${BUILD:-build}
make -s "$BUILD/libnewsflash.a"
bin="$BUILD/bench/reached_bench"
mkdir -p "$(dirname "$bin")"
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$bin" bench/reached_bench.c "$BUILD/libnewsflash.a" -lroaring -lcrypto
/usr/bin/time -v "$bin" "${1:-1000000}" 2>"$BUILD/bench/reached.time"
grep -E 'Maximum resident' "$BUILD/bench/reached.time"
