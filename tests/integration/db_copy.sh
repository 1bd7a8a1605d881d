#!/usr/bin/env bash
# db backup and db copy, checked table by table (row count and a checksum of
# every row, computed by sqlite3 and psql themselves, not by newsflash):
#  - a backup taken while an import writes is a sound, consistent snapshot;
#    taken at rest it equals the source;
#  - SQLite -> PostgreSQL -> SQLite keeps every row and id, on a real
#    PostgreSQL started by tests/lib/pg.sh, and the sequences move on.
source tests/lib.sh
source tests/lib/pg.sh
cd "$WORK" || exit 1

# tables of a SQLite database, schema_version aside (it is each store's own)
tables() { sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version' ORDER BY name"; }
# the checksum query for table $2, columns read from the SQLite file $1:
# every value as text (NULL as ~) joined by |, rows sorted as byte strings
row_sql() {
	local cols expr="" c
	cols=$(sqlite3 "$1" "SELECT name FROM pragma_table_info('$2') ORDER BY cid")
	for c in $cols; do
		expr="$expr${expr:+ || '|' || }COALESCE(CAST(\"$c\" AS TEXT), '~')"
	done
	echo "SELECT $expr AS r FROM $2 ORDER BY r"
}
sum_sqlite() { sqlite3 "$1" "$(row_sql "$3" "$2")" | md5sum | cut -c1-32; }
sum_pg() { psql -At "$1" -c "$(row_sql "$3" "$2")" | md5sum | cut -c1-32; }
count_sqlite() { sqlite3 "$1" "SELECT COUNT(*) FROM $2"; }
count_pg() { psql -At "$1" -c "SELECT COUNT(*) FROM $2"; }

# ---- a source with rows in most tables ----
SRC=$WORK/src.db
/usr/bin/python3 -c '
print("email,name,marketing")
for i in range(2500): print("reader%d@example.org,\"Reader \"\"%d\"\", with comma\",%s" % (i, i, "yes" if i % 3 == 0 else "no"))' >a.csv
"$NF" db migrate --db "sqlite:$SRC" >/dev/null
"$NF" subscribers import a.csv --list breaking-news --consent-source "fair 2026" --db "sqlite:$SRC" >/dev/null
sed 's/^reader/sport/' a.csv | head -n 501 >sport.csv
"$NF" subscribers import sport.csv --list sport --consent-source "sport page" --pending --db "sqlite:$SRC" >/dev/null
"$NF" apikey create newsroom --db "sqlite:$SRC" >/dev/null
printf '{"headline":"Ünïcode, \\"quotes\\", commas","url":"https://example.com/a","body_text":"Body\\nwith | bars and\\nnewlines"}' >story.json
"$NF" publish story.json --breaking --shards 4 --db "sqlite:$SRC" >/dev/null
expect_eq "source has its rows" "$(count_sqlite "$SRC" subscribers) $(count_sqlite "$SRC" alert_shards)" "3000 4"

# ---- backup while an import writes ----
/usr/bin/python3 -c '
print("email")
for i in range(30000): print("late%d@example.net" % i)' >late.csv
"$NF" subscribers import late.csv --list breaking-news --consent-source late --batch 300 --db "sqlite:$SRC" >/dev/null 2>&1 &
writer=$!
cleanup_add "kill $writer"
sleep 0.3
out=$("$NF" db backup live.db --db "sqlite:$SRC" 2>&1); rc=$?
wait "$writer"; wrc=$?
expect_eq "backup during an import succeeds ($out)" "$rc" 0
expect_eq "the import went on meanwhile" "$wrc" 0
expect_eq "the live backup is sound" "$(sqlite3 live.db 'PRAGMA integrity_check')" ok
n=$(count_sqlite live.db subscribers)
expect_eq "the live backup is one snapshot: one membership per subscriber" \
	"$(count_sqlite live.db memberships)" "$n"
if [ "$n" -gt 3000 ] && [ "$n" -lt 33000 ]; then
	ok "the backup was taken mid-import ($n subscribers)"
else
	skip "the backup was taken mid-import" "the import was not running then ($n subscribers)"
fi

# ---- backup at rest equals the source, table by table ----
"$NF" db backup rest.db --db "sqlite:$SRC" >/dev/null
diffs=()
for t in $(tables "$SRC"); do
	[ "$(count_sqlite "$SRC" "$t") $(sum_sqlite "$SRC" "$t" "$SRC")" == \
	  "$(count_sqlite rest.db "$t") $(sum_sqlite rest.db "$t" "$SRC")" ] || diffs+=("$t")
done
expect_eq "backup at rest: every table, same rows ($(tables "$SRC" | wc -l) tables)" "${diffs[*]}" ""
out=$("$NF" db backup rest.db --db "sqlite:$SRC" 2>&1); rc=$?
expect_eq "backup does not replace a file unasked" "$rc" 1
expect_contains "and says so" "$out" "exists (overwrite it with --force)"
"$NF" db backup rest.db --force --db "sqlite:$SRC" >/dev/null; expect_eq "backup --force replaces it" "$?" 0

# ---- SQLite -> PostgreSQL -> SQLite ----
if ! pg_start; then
	skip "db copy to PostgreSQL and back" "no PostgreSQL: $PG_WHY"
	finish
fi
out=$("$NF" db copy --from "sqlite:$SRC" --to "$PG_URL" --batch 700 2>&1); rc=$?
expect_eq "copy SQLite -> PostgreSQL" "$rc" 0
expect_contains "copy reports each table" "$out" "subscribers      33000 rows"
"$NF" db copy --from "$PG_URL" --to "sqlite:$WORK/back.db" --batch 1000 >/dev/null 2>&1
expect_eq "copy PostgreSQL -> SQLite" "$?" 0
diffs=()
for t in $(tables "$SRC"); do
	a="$(count_sqlite "$SRC" "$t") $(sum_sqlite "$SRC" "$t" "$SRC")"
	b="$(count_pg "$PG_URL" "$t") $(sum_pg "$PG_URL" "$t" "$SRC")"
	c="$(count_sqlite back.db "$t") $(sum_sqlite back.db "$t" "$SRC")"
	[ "$a" == "$b" ] && [ "$a" == "$c" ] || diffs+=("$t:[$a][$b][$c]")
done
expect_eq "round trip: every table, same rows and ids, in PostgreSQL and back" "${diffs[*]}" ""
expect_eq "the hash key came along" "$(psql -At "$PG_URL" -c "SELECT value FROM meta WHERE name = 'hash_key'")" \
	"$(sqlite3 "$SRC" "SELECT value FROM meta WHERE name = 'hash_key'")"
max=$(count_sqlite "$SRC" subscribers)
printf 'email\nnewcomer@example.com\n' >new.csv
"$NF" subscribers import new.csv --list breaking-news --consent-source new --db "$PG_URL" >/dev/null
expect_eq "PostgreSQL sequences moved past the copied ids" \
	"$(psql -At "$PG_URL" -c "SELECT id FROM subscribers WHERE email = 'newcomer@example.com'")" "$((max + 1))"
out=$("$NF" db copy --from "sqlite:$SRC" --to "$PG_URL" 2>&1); rc=$?
expect_eq "copy into a store with rows is refused" "$rc" 1
expect_contains "and says why" "$out" "the destination is not empty"
out=$("$NF" db backup x.db --db "$PG_URL" 2>&1); rc=$?
expect_eq "db backup of PostgreSQL: exit 1" "$rc" 1
expect_contains "it points at pg_dump" "$out" "pg_dump"
finish
