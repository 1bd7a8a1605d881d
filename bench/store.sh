#!/usr/bin/env bash
# bench/store.sh - import N subscribers and stream them back, on SQLite and PostgreSQL
#
# One generated CSV (bench/gen_subscribers.py: realistic domain mix, names,
# marketing flags) is loaded four ways on each database, in the same run:
#   reference: the sqlite3 shell's .import / psql's \copy into a bare table,
#   reference+unique: the same into a table whose email column is UNIQUE,
#   newsflash: `newsflash subscribers import` (every address through
#     addr_check, in bulk mode; subscribers, memberships and the consent
#     ledger written; committed every 50,000 rows),
# then streamed back: `newsflash subscribers export --recipients` (the
# delivery engine's cursor over confirmed members), with the database
# shell's SELECT of the same rows as the reference. Streaming is also timed
# over the first 10% and 50% of the ids: peak RSS must not grow with the
# number of rows (on SQLite it levels off at the 32 MiB page cache).
#
# Times are wall-clock seconds on a shared machine; each line reports
# rows/s, peak RSS (/usr/bin/time), the ratio to the reference measured
# in the same run, and the CPU seconds (user + system) of the command
# itself, which a busy machine disturbs less than the wall clock (for
# PostgreSQL most of the work is the server's, which this does not count).
# BENCH_N (default 1000000) sets the size.
set -uo pipefail
source tests/lib.sh
PG_FAST=0			# a durable server: fsync on, as in production
source tests/lib/pg.sh

N=${BENCH_N:-1000000}
NFBIN=${NEWSFLASH_BIN:-$PWD/${BUILD:-build}/newsflash}
CSV="$WORK/subscribers.csv"
SRC=$PWD

# measure LABEL ROWS REF_SECONDS CMD...: run, print one line, set SECS and RSS
measure() {
	local label=$1 rows=$2 ref=$3 ratio=""
	shift 3
	/usr/bin/time -q -f "%e %M %U %S" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$? user sys
	read -r SECS RSS user sys <"$WORK/time"
	CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	[ -n "$ref" ] && ratio=$(awk -v a="$SECS" -v b="$ref" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
	printf "%-44s %8.2f s %10.0f rows/s %8d KB  cpu %6.2f s  %s\n" "$label" "$SECS" \
		"$(awk -v n="$rows" -v s="$SECS" 'BEGIN { print (s > 0 ? n / s : 0) }')" "$RSS" \
		"$CPU" "${ratio:+$ratio of reference}"
	if [ "$rc" -ne 0 ]; then
		echo "  exit $rc: $(head -c 300 "$WORK/err")"
	fi
}

echo "== generating $N subscribers"
/usr/bin/python3 "$SRC/bench/gen_subscribers.py" "$N" >"$CSV"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== SQLite $(sqlite3 --version | cut -d' ' -f1)"
cd "$WORK" || exit 1
measure "reference: sqlite3 .import" "$N" "" \
	sqlite3 ref.db 'PRAGMA journal_mode=WAL' '.import --csv subscribers.csv subs'
REF=$SECS REF_CPU=$CPU
measure "reference+unique: .import, UNIQUE email" "$N" "" \
	sqlite3 refu.db 'PRAGMA journal_mode=WAL' \
	'CREATE TABLE subs (email TEXT UNIQUE, name TEXT, marketing TEXT)' \
	'.import --csv --skip 1 subscribers.csv subs'
REFU=$SECS REFU_CPU=$CPU
"$NFBIN" db migrate --db "sqlite:$WORK/nf.db" >/dev/null
measure "newsflash subscribers import" "$N" "$REF" \
	"$NFBIN" subscribers import subscribers.csv --list breaking-news \
	--consent-source "bench import" --db "sqlite:$WORK/nf.db"
echo "  $(cat "$WORK/out"); vs reference+unique: $(awk -v a="$SECS" -v b="$REFU" 'BEGIN { printf "%.2fx", a / b }')"
# in-process on SQLite, so CPU time is all the work: the same ratios by CPU
echo "  cpu: $(awk -v a="$CPU" -v b="$REF_CPU" -v c="$REFU_CPU" 'BEGIN { printf "%.2fx of reference, %.2fx of reference+unique", a / b, a / c }')"
measure "reference: sqlite3 SELECT to /dev/null" "$N" "" \
	sqlite3 nf.db "SELECT s.email, s.status, s.created_at FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id WHERE m.list_id = 1 AND s.status = 'confirmed' ORDER BY m.subscriber_id"
SREF=$SECS
measure "newsflash export --recipients (stream)" "$N" "$SREF" \
	"$NFBIN" subscribers export --recipients breaking-news --db "sqlite:$WORK/nf.db"
echo "  rows out: $(($(wc -l <"$WORK/out") - 1))"
for pct in 10 50; do
	sqlite3 nf.db "INSERT INTO lists (name, created_at) VALUES ('first$pct', 0)" \
		"INSERT INTO memberships SELECT (SELECT id FROM lists WHERE name = 'first$pct'), id FROM subscribers WHERE id <= $((N * pct / 100))"
	measure "stream of the first $pct% (memory check)" "$((N * pct / 100))" "" \
		"$NFBIN" subscribers export --recipients "first$pct" --db "sqlite:$WORK/nf.db"
done

echo "== PostgreSQL"
if ! pg_start; then
	echo "skipped: $PG_WHY"
	exit 0
fi
echo "server: $(psql -Atc 'show server_version' "$PG_URL"), shared_buffers $(psql -Atc 'show shared_buffers' "$PG_URL"), fsync $(psql -Atc 'show fsync' "$PG_URL")"
psql -q "$PG_URL" -c 'CREATE TABLE ref (email text, name text, marketing text)' \
	-c 'CREATE TABLE refu (email text UNIQUE, name text, marketing text)'
measure "reference: psql \\copy" "$N" "" \
	psql -q "$PG_URL" -c "\\copy ref FROM 'subscribers.csv' CSV HEADER"
REF=$SECS
measure "reference+unique: \\copy, UNIQUE email" "$N" "" \
	psql -q "$PG_URL" -c "\\copy refu FROM 'subscribers.csv' CSV HEADER"
REFU=$SECS
"$NFBIN" db migrate --db "$PG_URL" >/dev/null
measure "newsflash subscribers import" "$N" "$REF" \
	"$NFBIN" subscribers import subscribers.csv --list breaking-news \
	--consent-source "bench import" --db "$PG_URL"
echo "  $(cat "$WORK/out"); vs reference+unique: $(awk -v a="$SECS" -v b="$REFU" 'BEGIN { printf "%.2fx", a / b }')"
psql -q "$PG_URL" -c 'VACUUM ANALYZE'
measure "reference: psql \\copy (SELECT) to /dev/null" "$N" "" \
	psql -q "$PG_URL" -c "\\copy (SELECT s.email, s.status, s.created_at FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id WHERE m.list_id = 1 AND s.status = 'confirmed' ORDER BY m.subscriber_id) TO '/dev/null'"
SREF=$SECS
measure "newsflash export --recipients (stream)" "$N" "$SREF" \
	"$NFBIN" subscribers export --recipients breaking-news --db "$PG_URL"
echo "  rows out: $(($(wc -l <"$WORK/out") - 1))"
for pct in 10 50; do
	psql -q "$PG_URL" -c "INSERT INTO lists (name, created_at) VALUES ('first$pct', 0)" \
		-c "INSERT INTO memberships SELECT (SELECT id FROM lists WHERE name = 'first$pct'), id FROM subscribers WHERE id <= $((N * pct / 100))"
	measure "stream of the first $pct% (memory check)" "$((N * pct / 100))" "" \
		"$NFBIN" subscribers export --recipients "first$pct" --db "$PG_URL"
done
