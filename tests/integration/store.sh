#!/usr/bin/env bash
# newsflash subscribers import|export|count and db migrate, on SQLite:
# round trips, bad rows with line numbers, exit codes, concurrent migrations,
# and a kill -9 in the middle of a big import.
source tests/lib.sh

cd "$WORK" || exit 1
DB="sqlite:$WORK/db/nf.db"
SQLITE_FILE="$WORK/db/nf.db"

# ---- import: bad rows, summary, exit codes ----
# (an unclosed quote runs to the end of the file, RFC 4180 2.6: it goes last)
cat >a.csv <<'EOF'
email,name,marketing
alice@example.org,Alice,yes
"Bob@Example.ORG","Bob, Jr.",no
not-an-address,,
ALICE@example.org,,
carol@example.org,Carol,maybe
erin@example.org,"Erin ""E"" Smith",1

frank@example.org
"dave@example.org,Dave
EOF
"$NF" db migrate --db "$DB" >/dev/null
out=$("$NF" subscribers import a.csv --list breaking-news --consent-source "spring fair sheet" --db "$DB" 2>err); rc=$?
err=$(cat err)
expect_eq "import with bad rows exits 1" "$rc" 1
expect_eq "import summary line" "$out" "imported 4, added 0, skipped 3, duplicates 1"
expect_contains "bad address reported with its line" "$err" "line 4: invalid address (no_at)"
expect_contains "bad marketing reported with its line" "$err" "line 6: marketing must be yes or no"
expect_contains "unclosed quote reported with its line" "$err" "line 10: a quote that is never closed"
case "$err" in *"line 2:"*|*"line 3:"*|*"line 5:"*) fail "good rows are not reported" "$err" ;; *) ok "good rows are not reported" ;; esac

expect_eq "count prints the number alone" "$("$NF" subscribers count --db "$DB")" 4
expect_eq "count by list" "$("$NF" subscribers count --list breaking-news --db "$DB")" 4
expect_eq "count by status" "$("$NF" subscribers count --status pending --db "$DB")" 0
"$NF" subscribers count --list no-such-list --db "$DB" >/dev/null 2>&1
expect_eq "count of an unknown list exits 1" "$?" 1
"$NF" subscribers count --status erased --db "$DB" >/dev/null 2>&1
expect_eq "count --status erased is a usage error" "$?" 2

# ---- the ledger holds the source for each imported subscriber ----
ledger=$(sqlite3 "$SQLITE_FILE" "select count(*) from consent_events where source = 'spring fair sheet' and purpose = 'alerts' and action = 'given'")
expect_eq "one consent row per imported subscriber" "$ledger" 4
mk=$(sqlite3 "$SQLITE_FILE" "select group_concat(s.email, ' ') from consent_events c join subscribers s on s.id = c.subscriber_id where c.purpose = 'marketing'")
expect_eq "marketing consent only where given" "$mk" "alice@example.org erin@example.org"
expect_eq "the name column is kept" "$(sqlite3 "$SQLITE_FILE" "select name from subscribers where email like 'erin%'")" 'Erin "E" Smith'

# ---- --pending, another list ----
printf 'gina@example.org\nalice@example.org\n' >b.csv
out=$("$NF" subscribers import b.csv --list sport --consent-source "sports page" --pending --db "$DB" 2>&1); rc=$?
expect_eq "clean import exits 0" "$rc" 0
expect_eq "pending import summary" "$out" "imported 1, added 0, skipped 0, duplicates 1"
expect_eq "pending subscribers are pending" "$("$NF" subscribers count --status pending --db "$DB")" 1
expect_eq "the new list has its member" "$("$NF" subscribers count --list sport --db "$DB")" 1

# ---- stored readers join another list by import: counted apart from duplicates ----
# (on a copy, so the cases below see the database as it was)
sqlite3 "$SQLITE_FILE" ".backup $WORK/db/join.db"
JDB="sqlite:$WORK/db/join.db"
"$NF" lists create politics --db "$JDB" >/dev/null
sqlite3 "$WORK/db/join.db" "update subscribers set status = 'unsubscribed' where email = 'frank@example.org'"
printf 'email\nalice@example.org\nBob@Example.ORG\nfrank@example.org\nhal@example.org\nalice@example.org\n' >c.csv
out=$("$NF" subscribers import c.csv --list politics --consent-source "politics page" --db "$JDB" 2>&1); rc=$?
expect_eq "import of stored readers to another list" "$rc $out" "0 imported 1, added 2, skipped 0, duplicates 2"
expect_eq "the stored readers are on the list now" \
	"$(sqlite3 "$WORK/db/join.db" "select group_concat(s.email, ' ') from memberships m join subscribers s on s.id = m.subscriber_id join lists l on l.id = m.list_id where l.name = 'politics' order by s.id")" \
	"alice@example.org Bob@example.org hal@example.org"
expect_eq "each with a consent row naming the import" \
	"$(sqlite3 "$WORK/db/join.db" "select count(*) from consent_events where source = 'politics page' and purpose = 'alerts' and action = 'given'")" 3
expect_eq "the reader who left is not put back" "$(sqlite3 "$WORK/db/join.db" "select status from subscribers where email = 'frank@example.org'")" unsubscribed
out=$("$NF" subscribers import c.csv --list politics --consent-source "politics page" --db "$JDB" 2>&1)
expect_eq "run again: all duplicates, nobody added twice" "$out" "imported 0, added 0, skipped 0, duplicates 5"
expect_eq "the list counts its members once" "$("$NF" subscribers count --list politics --db "$JDB")" 3

# ---- export ----
csv=$("$NF" subscribers export --db "$DB"); rc=$?
expect_eq "export exits 0" "$rc" 0
expect_eq "csv export has a header and a row per subscriber" "$(printf '%s\n' "$csv" | wc -l)" 6
expect_contains "csv export header" "$csv" "email,status,created_at,lists"
expect_contains "csv export row" "$csv" "Bob@example.org,confirmed,"
expect_contains "csv export pending row with its list" "$csv" "gina@example.org,pending,"
json=$("$NF" subscribers export --format json --db "$DB")
got=$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
a = json.load(sys.stdin)
print(len(a), sorted(a[0].keys()), [x["lists"] for x in a if x["email"] == "gina@example.org"][0],
      all(x["created_at"].endswith("Z") for x in a))')
expect_eq "json export is an array of objects" "$got" "5 ['created_at', 'email', 'lists', 'status'] ['sport'] True"
rcpt=$("$NF" subscribers export --recipients breaking-news --db "$DB")
expect_eq "recipients are the confirmed members only" "$(printf '%s\n' "$rcpt" | tail -n +2 | cut -d, -f1 | tr '\n' ' ')" "alice@example.org Bob@example.org erin@example.org frank@example.org "
sqlite3 "$SQLITE_FILE" "insert into suppressions (email_key, reason, at) values ('frank@example.org', 'bounce', 0)"
rcpt=$("$NF" subscribers export --recipients breaking-news --db "$DB")
case "$rcpt" in *frank*) fail "suppressed addresses are not recipients" ;; *) ok "suppressed addresses are not recipients" ;; esac
"$NF" subscribers export --recipients nope --db "$DB" >/dev/null 2>&1
expect_eq "recipients of an unknown list exits 1" "$?" 1
"$NF" subscribers export --format xml --db "$DB" >/dev/null 2>&1
expect_eq "unknown export format exits 2" "$?" 2

# ---- usage errors ----
"$NF" subscribers import missing.csv --list x --consent-source y --db "$DB" >/dev/null 2>&1
expect_eq "unreadable file exits 2" "$?" 2
"$NF" subscribers import a.csv --db "$DB" >/dev/null 2>&1
expect_eq "import without --list/--consent-source exits 2" "$?" 2
"$NF" subscribers import a.csv --list "Bad List" --consent-source y --db "$DB" >/dev/null 2>&1
expect_eq "bad list name exits 2" "$?" 2
"$NF" subscribers count --db "mysql://nope" >/dev/null 2>err
expect_eq "bad --db URL exits 1" "$?" 1
expect_contains "bad --db URL says what is wanted" "$(cat err)" "sqlite:PATH or postgresql://"
"$NF" subscribers frob >/dev/null 2>&1
expect_eq "unknown subscribers verb exits 2" "$?" 2

# ---- --db default (never created here) and NEWSFLASH_DB ----
mkdir -p home && (cd home && NEWSFLASH_CONFIG= "$NF" subscribers count >/dev/null 2>"$WORK/err")
expect_eq "the default database is not created by an admin command" "$(ls -A home)" ""
expect_contains "it names the default URL instead" "$(cat "$WORK/err")" "no newsflash database at sqlite:var/newsflash.db"
expect_eq "NEWSFLASH_DB is read" "$(NEWSFLASH_DB="$DB" "$NF" subscribers count)" 5

# ---- db migrate ----
out=$("$NF" db migrate --db "sqlite:$WORK/m/fresh.db"); rc=$?
expect_eq "db migrate exits 0" "$rc" 0
latest=9	# store_schema_latest(): schema.c's migrations
expect_contains "db migrate on a fresh database applies the migrations" "$out" "schema version $latest ($latest migrations applied now)"
expect_contains "db migrate reports WAL and synchronous" "$out" "journal_mode=wal synchronous=NORMAL"
expect_contains "db migrate twice applies nothing" "$("$NF" db migrate --db "sqlite:$WORK/m/fresh.db")" "(0 migrations applied now)"
expect_contains "sync=full is honoured" "$("$NF" db migrate --db "sqlite:$WORK/m/fresh.db?sync=full")" "synchronous=FULL"
pids=()
for i in 1 2 3 4 5 6; do "$NF" db migrate --db "sqlite:$WORK/m/race.db" >"race$i" 2>&1 & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "six concurrent migrations all succeed" "$fails" 0
expect_eq "the schema was applied once" "$(sqlite3 "$WORK/m/race.db" 'select count(*), max(version) from schema_version')" "$latest|$latest"
expect_eq "exactly one process applied it" "$(cat race* | grep -c "($latest migrations applied now)")" 1

# ---- kill -9 in the middle of an import, then resume ----
N=200000
/usr/bin/python3 - "$N" >big.csv <<'EOF'
import sys
n = int(sys.argv[1])
out = sys.stdout
out.write("email,name,marketing\n")
for i in range(n):
    out.write("reader%d@news%d.example.com,Reader %d,%s\n" % (i, i % 50, i, "yes" if i % 4 == 0 else "no"))
EOF
KDB="$WORK/k/nf.db"
"$NF" db migrate --db "sqlite:$KDB" >/dev/null
"$NF" subscribers import big.csv --list breaking-news --consent-source crash-test --batch 2000 \
	--db "sqlite:$KDB" >/dev/null 2>&1 &
pid=$!
seen=0
for i in $(seq 1 400); do
	seen=$(sqlite3 "$KDB" 'select count(*) from subscribers' 2>/dev/null || echo 0)
	[ "${seen:-0}" -ge 20000 ] && break
	sleep 0.02
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
got=$(sqlite3 "$KDB" 'select count(*) from subscribers')
if [ "$got" -gt 0 ] && [ "$got" -lt "$N" ]; then ok "killed mid-way ($got of $N stored)"; else fail "killed mid-way" "stored $got of $N"; fi
expect_eq "integrity_check after kill -9" "$(sqlite3 "$KDB" 'PRAGMA integrity_check')" ok
expect_eq "only whole batches were stored" "$((got % 2000))" 0
expect_eq "no subscriber without its membership" "$(sqlite3 "$KDB" 'select count(*) from subscribers s where not exists (select 1 from memberships m where m.subscriber_id = s.id)')" 0
expect_eq "no subscriber without its consent row" "$(sqlite3 "$KDB" "select count(*) from subscribers s where not exists (select 1 from consent_events c where c.subscriber_id = s.id and c.purpose = 'alerts')")" 0
out=$("$NF" subscribers import big.csv --list breaking-news --consent-source crash-test --batch 2000 --db "sqlite:$KDB" 2>&1); rc=$?
expect_eq "re-running completes the import" "$out" "imported $((N - got)), added 0, skipped 0, duplicates $got"
expect_eq "re-run exits 0" "$rc" 0
expect_eq "the set is complete, nothing twice" "$(sqlite3 "$KDB" 'select count(*), count(distinct email_key) from subscribers')" "$N|$N"
expect_eq "marketing rows for every fourth reader" "$(sqlite3 "$KDB" "select count(*) from consent_events where purpose = 'marketing'")" $((N / 4))
expect_eq "integrity_check at the end" "$(sqlite3 "$KDB" 'PRAGMA integrity_check')" ok
finish
