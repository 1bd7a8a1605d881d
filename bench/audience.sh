#!/usr/bin/env bash
# bench/audience.sh - streaming a topic alert's audience, on SQLite and PostgreSQL
#
# N subscribers (BENCH_N, default 100000) are imported to breaking-news;
# then 10% leave it, 30% follow royal-family, 1% cars and 0.5% tennis (SQL,
# in the same run). Three alerts are queued (no engine runs): a breaking
# story with topics royal-family and cars (three lists, the distinct
# audience N people), a story that is not breaking with the same topics (a
# topic alert to 31% of the subscribers), and one on cars and tennis (1.5%).
# Each audience is streamed with `newsflash subscribers export --alert ID`
# (store_audience_next, as the engine reads a multi-list shard: walking
# subscribers for the breaking alert, list by list for the topic alerts),
# and the reference, measured in the same run, is the single-list stream
# the engine used before topic alerts and still uses for an alert to one
# list: `export --recipients` breaking-news, royal-family and cars.
# Each line: seconds, rows/s, peak RSS and the ratio to its reference (rows/s
# ours / rows/s reference). On PostgreSQL the plan of one batch in the
# middle of each alert is shown (EXPLAIN ANALYZE).
set -uo pipefail
source tests/lib.sh
source tests/lib/pg.sh

N=${BENCH_N:-100000}
NFBIN=${NEWSFLASH_BIN:-$PWD/${BUILD:-build}/newsflash}
SRC=$PWD

# stream LABEL DB REF_RATE ARGS...: time one export, print a line, set RATE
stream() {
	local label=$1 db=$2 ref=$3 rows secs rss
	shift 3
	/usr/bin/time -q -f "%e %M" -o "$WORK/time" "$NFBIN" subscribers export --db "$db" "$@" >"$WORK/out" 2>"$WORK/err" ||
		echo "  failed: $(head -c 300 "$WORK/err")"
	read -r secs rss <"$WORK/time"
	rows=$(($(wc -l <"$WORK/out") - 1))
	RATE=$(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	printf "%-46s %8d rows %6.2f s %9d rows/s %7d KB%s\n" "$label" "$rows" "$secs" "$RATE" "$rss" \
		"$([ -n "$ref" ] && awk -v a="$RATE" -v b="$ref" 'BEGIN { printf "  ratio %.2f of reference", (b > 0 ? a / b : 0) }')"
}

# setup DB Q: import, topics, alerts (Q runs one SQL text)
setup() {
	local db=$1 q=$2
	/usr/bin/python3 "$SRC/bench/gen_subscribers.py" "$N" >"$WORK/subs.csv"
	"$NFBIN" db migrate --db "$db" >/dev/null 2>&1
	"$NFBIN" subscribers import "$WORK/subs.csv" --list breaking-news --consent-source bench --db "$db" >/dev/null 2>&1
	"$NFBIN" lists create royal-family --db "$db" >/dev/null
	"$NFBIN" lists create cars --db "$db" >/dev/null
	"$NFBIN" lists create tennis --db "$db" >/dev/null
	$q "insert into memberships (list_id, subscriber_id) select l.id, s.id from lists l, subscribers s where l.name = 'royal-family' and s.id % 10 < 3"
	$q "insert into memberships (list_id, subscriber_id) select l.id, s.id from lists l, subscribers s where l.name = 'cars' and s.id % 100 = 7"
	$q "insert into memberships (list_id, subscriber_id) select l.id, s.id from lists l, subscribers s where l.name = 'tennis' and s.id % 200 = 3"
	$q "delete from memberships where list_id = (select id from lists where name = 'breaking-news') and subscriber_id % 10 = 0"
	$q "analyze"
	printf '{"headline":"Breaking","body_html":"<p>x</p>","topics":["royal-family","cars"],"breaking":true}' >"$WORK/b.json"
	printf '{"headline":"Cars","body_html":"<p>x</p>","topics":["royal-family","cars"],"breaking":false}' >"$WORK/c.json"
	printf '{"headline":"Sport","body_html":"<p>x</p>","topics":["cars","tennis"],"breaking":false}' >"$WORK/d.json"
	"$NFBIN" publish "$WORK/b.json" --db "$db" >/dev/null
	"$NFBIN" publish "$WORK/c.json" --db "$db" >/dev/null
	"$NFBIN" publish "$WORK/d.json" --db "$db" >/dev/null
}

run() {
	local db=$1
	stream "reference: one list, breaking-news (90%)" "$db" "" --recipients breaking-news
	local ref=$RATE
	stream "alert 1: breaking-news + royal-family + cars" "$db" "$ref" --alert 1
	stream "reference: one list, royal-family (30%)" "$db" "" --recipients royal-family
	ref=$RATE
	stream "alert 2: royal-family + cars, not breaking" "$db" "$ref" --alert 2
	stream "reference: one list, cars (1%)" "$db" "" --recipients cars
	ref=$RATE
	stream "alert 3: cars + tennis (1.5%), not breaking" "$db" "$ref" --alert 3
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); N = $N"
echo "== SQLite $(sqlite3 --version | cut -d' ' -f1)"
mkdir -p "$WORK/sq"
sq() { sqlite3 "$WORK/sq/nf.db" "$1"; }
setup "sqlite:$WORK/sq/nf.db" sq
run "sqlite:$WORK/sq/nf.db"

if ! pg_start; then
	echo "== PostgreSQL: skipped ($PG_WHY)"
	exit 0
fi
echo "== PostgreSQL $(psql -Atc 'show server_version' "$PG_URL")"
pq() { psql -qAt "$PG_URL" -c "$1" >/dev/null; }
setup "$PG_URL" pq
run "$PG_URL"
# explain LABEL SQL: the plan of one batch, as EXPLAIN ANALYZE reports it
explain() {
	echo "-- $1"
	psql -qAt "$PG_URL" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $2" |
		grep -E 'Execution Time|loops=' | sed 's/^/  /'
}
mid=$((N / 2))
# the two texts of store/query.c's AUDIENCE_NEXT (PostgreSQL), selecting ids only
explain "alert 1, batch of 500 after id $mid: walking subscribers (an alert with breaking-news)" "
SELECT s.id FROM subscribers s WHERE s.id > $mid AND s.status = 'confirmed'
 AND EXISTS (SELECT 1 FROM alert_lists al JOIN memberships m
  ON m.list_id = al.list_id AND m.subscriber_id = s.id WHERE al.alert_id = 1)
 AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email_key = s.email_key)
 ORDER BY s.id LIMIT 500"
explain "alert 2, batch of 500 after id $mid: list by list (a topic alert)" "
SELECT s.id FROM subscribers s WHERE s.id IN (
  SELECT x.id FROM alert_lists al CROSS JOIN LATERAL (
   SELECT m.subscriber_id AS id FROM memberships m
   WHERE m.list_id = al.list_id AND m.subscriber_id > $mid
   AND (SELECT t.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM suppressions x
     WHERE x.email_key = t.email_key) FROM subscribers t WHERE t.id = m.subscriber_id)
   ORDER BY m.subscriber_id LIMIT 500) x
  WHERE al.alert_id = 2)
 AND s.id > $mid ORDER BY s.id LIMIT 500"
