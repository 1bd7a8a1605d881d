#!/usr/bin/env bash
# the store on a real PostgreSQL 15 started for the run (tests/lib/pg.sh):
# the whole store unit suite, then the CLI against it.
#
# build/unit-tests runs every store behaviour twice, NAME_on_sqlite and
# NAME_on_pg; without a server the _on_pg half is skipped. Here it runs
# against the server, each test in a schema of its own, and its counts are
# added to this script's. Then: import/export/count round trips, two imports
# of the same file racing (a batch that meets the other's keys is redone),
# and a kill -9 in the middle of an import.
source tests/lib.sh
source tests/lib/pg.sh

UNIT=${BUILD:-build}/unit-tests
if ! pg_start; then
	n=$("$UNIT" -l _on_pg | wc -l)
	echo "no PostgreSQL: $PG_WHY"
	echo "0 passed, 0 failed, $n skipped"
	exit 0
fi

# ---- the unit suite ----
NEWSFLASH_TEST_PG_URL=$PG_URL "$UNIT" _on_pg >"$WORK/unit" 2>&1
cat "$WORK/unit"
read -r p f s <<<"$(grep -E '^[0-9]+ passed' "$WORK/unit" | tail -n 1 | sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')"
_passed=$((_passed + ${p:-0})) _failed=$((_failed + ${f:-1})) _skipped=$((_skipped + ${s:-0}))

# ---- the CLI ----
cd "$WORK" || exit 1
# a new database, made a newsflash one by db migrate (an import creates none)
mkdb() {
	psql -q "$PG_URL" -c "CREATE DATABASE $1" >/dev/null
	"$NF" db migrate --db "${PG_URL%/*}/$1" >/dev/null
	echo "${PG_URL%/*}/$1"
}
DB=$(mkdb cli)
printf 'email,name,marketing\nalice@example.org,Alice,yes\n"Bob@Example.ORG","Bob, Jr.",no\nnot-an-address,,\nALICE@example.org,,\n' >a.csv
out=$("$NF" subscribers import a.csv --list breaking-news --consent-source "fair" --db "$DB" 2>err); rc=$?
expect_eq "pg: import summary" "$out" "imported 2, added 0, skipped 1, duplicates 1"
expect_eq "pg: import with a bad row exits 1" "$rc" 1
expect_contains "pg: bad row reported with its line" "$(cat err)" "line 4: invalid address (no_at)"
expect_eq "pg: count" "$("$NF" subscribers count --db "$DB")" 2
expect_eq "pg: consent rows (given, confirmed, marketing given)" "$(psql -Atc "select count(*) from consent_events where source = 'fair'" "$DB")" 5
expect_eq "pg: an import of confirmed readers records their confirmation" \
	"$(psql -Atc "select count(*) from consent_events where source = 'fair' and purpose = 'alerts' and action = 'confirmed'" "$DB")" 2
csv=$("$NF" subscribers export --db "$DB")
expect_contains "pg: export" "$csv" "Bob@example.org,confirmed,"
expect_eq "pg: re-run imports nothing new" "$("$NF" subscribers import a.csv --list breaking-news --consent-source fair --db "$DB" 2>/dev/null)" "imported 0, added 0, skipped 1, duplicates 3"
expect_contains "pg: db migrate" "$("$NF" db migrate --db "$DB")" "schema version 9 (0 migrations applied now)"
# stored readers join another list by import (a membership and a consent row each)
"$NF" lists create politics --db "$DB" >/dev/null
printf 'email\nalice@example.org\ncarol@example.org\nbob@example.org\n' >p.csv
expect_eq "pg: stored readers added to another list, apart from duplicates" \
	"$("$NF" subscribers import p.csv --list politics --consent-source politics --db "$DB" 2>&1)" \
	"imported 1, added 2, skipped 0, duplicates 0"
expect_eq "pg: the list has the three" "$("$NF" subscribers count --list politics --db "$DB")" 3
expect_eq "pg: a consent row each" "$(psql -Atc "select count(*) from consent_events where source = 'politics' and action = 'given'" "$DB")" 3
expect_eq "pg: run again, all duplicates" \
	"$("$NF" subscribers import p.csv --list politics --consent-source politics --db "$DB" 2>&1)" \
	"imported 0, added 0, skipped 0, duplicates 3"

# ---- two imports of the same file at once ----
N=30000
/usr/bin/python3 -c "
import sys
for i in range($N): print('racer%d@example.net,R %d,no' % (i, i))" >race.csv
DB=$(mkdb race)
"$NF" db migrate --db "$DB" >/dev/null
"$NF" subscribers import race.csv --list breaking-news --consent-source race --batch 500 --db "$DB" >r1 2>&1 &
a=$!
"$NF" subscribers import race.csv --list breaking-news --consent-source race --batch 500 --db "$DB" >r2 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
expect_eq "pg: racing imports both succeed" "$ra $rb" "0 0"
if grep -q "event=store.import.retry" r1 r2; then
	ok "pg: a batch that met the other import's keys was redone"
else
	skip "pg: retry after a collision" "the two imports did not collide this time"
fi
i1=$(sed -nE 's/^imported ([0-9]+),.*/\1/p' r1) i2=$(sed -nE 's/^imported ([0-9]+),.*/\1/p' r2)
expect_eq "pg: between them every row imported once" "$((${i1:-0} + ${i2:-0}))" "$N"
expect_eq "pg: no key twice" "$(psql -Atc 'select count(*), count(distinct email_key) from subscribers' "$DB")" "$N|$N"
expect_eq "pg: one membership and one consent row each" "$(psql -Atc "select (select count(*) from memberships), (select count(*) from consent_events where action = 'given')" "$DB")" "$N|$N"

# ---- one import storing batches on several connections at once ----
# every key twice, the second time in reverse, so batches in flight meet
/usr/bin/python3 -c "
for i in list(range(2000)) + list(range(1999, -1, -1)): print('twice%d@example.net' % i)" >twice.csv
DB=$(mkdb jobs)
out=$("$NF" subscribers import twice.csv --list breaking-news --consent-source jobs --batch 500 --jobs 3 --db "$DB" 2>&1); rc=$?
expect_eq "pg: --jobs 3 import with keys repeated across batches" "$rc $(tail -n 1 <<<"$out")" "0 imported 2000, added 0, skipped 0, duplicates 2000"
expect_eq "pg: --jobs 3: each key once, with its membership and consent" "$(psql -Atc "select count(distinct email_key), (select count(*) from memberships), (select count(*) from consent_events where action = 'given') from subscribers" "$DB")" "2000|2000|2000"
"$NF" subscribers import twice.csv --list breaking-news --consent-source jobs --jobs 9 --db "$DB" >/dev/null 2>&1
expect_eq "pg: --jobs 9 (over 8) is a usage error" "$?" 2

# ---- kill -9 during an import ----
N=150000
/usr/bin/python3 -c "
for i in range($N): print('k%d@example.com' % i)" >big.csv
DB=$(mkdb killed)
"$NF" db migrate --db "$DB" >/dev/null
"$NF" subscribers import big.csv --list breaking-news --consent-source kill --batch 1000 --db "$DB" >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 500); do
	seen=$(psql -Atc 'select count(*) from subscribers' "$DB" 2>/dev/null || echo 0)
	[ "${seen:-0}" -ge 10000 ] && break
	sleep 0.02
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
got=$(psql -Atc 'select count(*) from subscribers' "$DB")
if [ "$got" -gt 0 ] && [ "$got" -lt "$N" ]; then ok "pg: killed mid-way ($got of $N)"; else fail "pg: killed mid-way" "stored $got of $N"; fi
expect_eq "pg: only whole batches" "$((got % 1000))" 0
expect_eq "pg: nothing half-written" "$(psql -Atc "select (select count(*) from memberships), (select count(*) from consent_events where action = 'given'), (select count(*) from consent_events where action = 'confirmed')" "$DB")" "$got|$got|$got"
out=$("$NF" subscribers import big.csv --list breaking-news --consent-source kill --batch 1000 --db "$DB" 2>&1)
expect_eq "pg: re-running completes the import" "$out" "imported $((N - got)), added 0, skipped 0, duplicates $got"
expect_eq "pg: the set is complete" "$(psql -Atc 'select count(*), count(distinct email_key) from subscribers' "$DB")" "$N|$N"
finish
