#!/usr/bin/env bash
# The group-commit signup writer on PostgreSQL 15 (a real server, tests/lib/pg.sh):
# concurrent signups are written in shared transactions, a bad row in a batch
# fails alone, and after kill -9 every signup answered 200 is stored and gets
# its confirmation once serve is back.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/pg.sh
pg_start || { skip "signup writer on postgresql" "no server: $PG_WHY"; finish; }

PY=/usr/bin/python3
port=$(free_port)
base="http://127.0.0.1:$port"
pq() { psql -qAt "$PG_URL" -c "$1"; }
metric() { curl -s "$base/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
answered() { awk -v s="$2" '$2 == s {print $1}' "$1" | sort; }

serve_start "$port" --db "$PG_URL" --signup-rate 0 || { fail "serve starts on postgresql"; finish; }
$PY tests/lib/signups.py "$base" pg 600 16 >"$WORK/pg.out"
expect_eq "600 concurrent signups: all 200" "$(answered "$WORK/pg.out" 200 | wc -l)" 600
expect_eq "all stored, pending" "$(pq "select count(*) from subscribers where email like 'pg-%' and status = 'pending'")" 600
written=$(metric newsflash_signups_written_total); commits=$(metric newsflash_signup_commits_total)
expect_eq "the writer counted them" "$written" 600
check "they shared transactions ($commits COMMITs for $written signups)" test "$commits" -lt "$written"
echo "measured: postgresql: $written signups in $commits COMMITs"

# one bad row among its neighbours: a trigger refuses it
pq "CREATE FUNCTION bad_row() RETURNS trigger AS \$\$ BEGIN
      IF NEW.email LIKE '%-bad-%' THEN RAISE EXCEPTION 'a bad row'; END IF; RETURN NEW; END \$\$ LANGUAGE plpgsql;
    CREATE TRIGGER bad_row BEFORE INSERT ON subscribers FOR EACH ROW EXECUTE FUNCTION bad_row();"
(echo "BEGIN; LOCK TABLE subscribers IN EXCLUSIVE MODE;"; sleep 1.5; echo "COMMIT;") | psql -q "$PG_URL" &
lockpid=$!
sleep 0.3
$PY tests/lib/signups.py "$base" mixed 100 16 >"$WORK/mixed.out"
wait "$lockpid"
expect_eq "bad rows: each 503" "$(grep -- '-bad-' "$WORK/mixed.out" | awk '$2 != 503' | wc -l)" 0
expect_eq "their neighbours: each 200" "$(grep -v -- '-bad-' "$WORK/mixed.out" | awk '$2 != 200' | wc -l)" 0
expect_eq "their neighbours stored" "$(pq "select count(*) from subscribers where email like 'mixed-%'")" 80
check "a batch was redone row by row" test "$(metric newsflash_signup_batch_retries_total)" -gt 0
pq "DROP TRIGGER bad_row ON subscribers"

# kill -9 right after a burst: every 200 stored, every 200 mailed after the restart
$PY tests/lib/signups.py "$base" burst 1000 16 >"$WORK/burst.out"
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
answered "$WORK/burst.out" 200 >"$WORK/burst.ok"
pq "select email from subscribers where email like 'burst-%'" | sort >"$WORK/burst.rows"
expect_eq "kill -9: every 200 is stored" "$(comm -23 "$WORK/burst.ok" "$WORK/burst.rows" | wc -l)" 0
serve_start "$port" --db "$PG_URL" --signup-rate 0 --lease 3 || { fail "serve restarts"; finish; }
want=$(pq "select count(*) from subscribers where status = 'pending'")
for i in $(seq 1 600); do [ "$(ls "$WORK/app/outbox/new" | wc -l)" -ge "$want" ] && break; sleep 0.1; done
serve_stop
expect_eq "serve exits 0" "$SERVE_STATUS" 0
find "$WORK/app/outbox/new" -type f -exec grep -h -m1 '^To: ' {} + | tr -d '\r' | sed 's/^To: //' | sort >"$WORK/mailed"
expect_eq "after the restart every 200 has its confirmation" "$(comm -23 "$WORK/burst.ok" <(sort -u "$WORK/mailed") | wc -l)" 0
expect_eq "nobody pending is left without one" "$(pq "select count(*) from subscribers where status = 'pending' and confirm_sent_at is null")" 0
finish
