#!/usr/bin/env bash
# Backups end to end on SQLite: db backup taken while imports keep writing
# holds every subscriber committed before it began, is 0600 whatever the
# umask, passes db verify (integrity_check and counts); db restore puts it
# into a new database and over a live one that moved on (its -wal and -shm
# consistent afterwards: the counts are the backup's), and refuses a file
# that is not a sound newsflash backup, changing nothing.
source tests/lib.sh
cd "$WORK" || exit 1
umask 022
DB="sqlite:$WORK/live.db"
"$NF" db migrate --db "$DB" >/dev/null
N=3000
seq 1 $N | sed 's/.*/before&@example.org/' | sed '1i email' >before.csv
"$NF" subscribers import before.csv --list breaking-news --consent-source "before" --db "$DB" >/dev/null
expect_eq "the first readers are stored" "$("$NF" subscribers count --db "$DB")" "$N"

# load: imports that keep writing while the backup runs
( for b in $(seq 1 40); do
	seq 1 500 | sed "s/.*/load$b-&@example.org/" | sed '1i email' >"load$b.csv"
	"$NF" subscribers import "load$b.csv" --list breaking-news --consent-source load --batch 100 --db "$DB" >/dev/null 2>&1
  done ) &
load=$!
cleanup_add "kill $load"
sleep 0.5
out=$("$NF" db backup "$WORK/backup.db" --db "$DB" 2>&1); rc=$?
expect_eq "db backup under load exits 0 ($out)" "$rc" 0
writing=$(kill -0 "$load" 2>/dev/null && echo yes)
wait "$load"
expect_eq "the imports were still writing when the backup ended" "$writing" yes
expect_eq "the backup is 0600 under umask 022" "$(stat -c %a "$WORK/backup.db")" 600

# db verify of the backup
out=$("$NF" db verify --db "sqlite:$WORK/backup.db" 2>&1); rc=$?
expect_eq "db verify of the backup exits 0" "$rc" 0
expect_contains "db verify: integrity ok" "$out" "integrity ok"
in_backup=$(sed -n 's/^subscribers //p' <<<"$out")
check "db verify counts the subscribers ($in_backup >= $N)" test "${in_backup:-0}" -ge "$N"
expect_contains "db verify: the schema version" "$out" "schema $(sqlite3 live.db 'select max(version) from schema_version')"

# restore into a new database: every reader stored before the backup is there
out=$("$NF" db restore "$WORK/backup.db" --db "sqlite:$WORK/restored.db" 2>&1); rc=$?
expect_eq "db restore into a new database exits 0" "$rc" 0
expect_contains "db restore reports the counts" "$out" "subscribers $in_backup"
expect_eq "the restored database is 0600" "$(stat -c %a "$WORK/restored.db")" 600
missing=$(comm -23 <(sed 1d before.csv | sort) <(sqlite3 restored.db "select email from subscribers" | sort) | wc -l)
expect_eq "every subscriber stored before the backup is in the restored database" "$missing" 0
expect_eq "each with its membership" "$(sqlite3 restored.db "select count(*) from memberships")" "$in_backup"

# restore over the live database, which has moved on since: the backup's rows, nothing else
live_now=$("$NF" subscribers count --db "$DB")
check "the live database moved on after the backup ($live_now > $in_backup)" test "$live_now" -gt "$in_backup"
out=$("$NF" db restore "$WORK/backup.db" --db "$DB" 2>&1); rc=$?
expect_eq "db restore over a database exits 0" "$rc" 0
expect_eq "after it the database holds the backup's subscribers" "$("$NF" subscribers count --db "$DB")" "$in_backup"
expect_eq "sqlite3 itself, reading -wal and -shm, agrees" "$(sqlite3 live.db 'select count(*) from subscribers')" "$in_backup"
expect_eq "and finds it sound" "$(sqlite3 live.db 'pragma integrity_check')" ok

# a bad backup is refused and nothing changes
printf 'not a database, not at all, padding padding padding padding padding' >bad.db
out=$("$NF" db restore "$WORK/bad.db" --db "$DB" 2>&1); rc=$?
expect_eq "db restore of a file that is no database exits 1" "$rc" 1
expect_contains "and says why" "$out" "bad.db"
sqlite3 other.db "create table t (x); insert into t values (1)"
out=$("$NF" db restore "$WORK/other.db" --db "$DB" 2>&1); rc=$?
expect_eq "db restore of a database that is not newsflash's exits 1" "$rc" 1
expect_eq "the database is as it was" "$("$NF" subscribers count --db "$DB")" "$in_backup"
"$NF" db verify --db "sqlite:$WORK/bad.db" >/dev/null 2>&1
expect_eq "db verify of a file that is no database exits 1" "$?" 1
finish
