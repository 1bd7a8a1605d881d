# tests/lib/db.sh - one test script, either database (sourced after tests/lib.sh)
#
# db_choose KIND LABEL
#     KIND sqlite (the file $WORK/app/newsflash.db) or pg (a PostgreSQL
#     started for the script by tests/lib/pg.sh; without one, LABEL is
#     skipped and the script finishes), created with db migrate (admin
#     commands create no database). Sets DB_KIND, db (the SQLite file) and
#     dburl (what --db takes).
# q SQL
#     the rows of SQL from whichever database was chosen, bare text

db_choose() {
	DB_KIND=$1
	db="$WORK/app/newsflash.db" dburl="sqlite:$WORK/app/newsflash.db"
	if [ "$DB_KIND" = pg ]; then
		source tests/lib/pg.sh
		pg_start || { skip "$2 on postgresql" "no server: $PG_WHY"; finish; }
		dburl=$PG_URL
	fi
	mkdir -p "$WORK/app"
	"$NF" db migrate --db "$dburl" >/dev/null
}

q() {
	if [ "$DB_KIND" = pg ]; then psql -qAt "$dburl" -c "$1"; else sqlite3 "$db" "$1"; fi
}
