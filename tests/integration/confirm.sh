#!/usr/bin/env bash
# Signups through the group-commit writer, and confirmations that survive
# a crash (issues 8 and 12):
#  - a confirmation carries the subscriber's own return path (bounce+ID-MAC),
#    and a hard bounce of it, through `newsflash inbound process`, is
#    matched to that subscriber;
#  - the relay is down, signups are answered, serve is killed -9 with every
#    confirmation still in memory; after a restart each signup answered 200
#    gets its confirmation, once; and once too when two processes sharing
#    the database restart together;
#  - the same with a working outbox and the kill right after the signups:
#    every 200 gets its mail, repeats only within what was in flight;
#  - one bad row in a batch fails alone (503), its neighbours are written;
#  - a full writer queue answers 503 at once; what it took is written.
source tests/lib.sh
source tests/lib/serve.sh

SRC=${NEWSFLASH_SRC:-$PWD}
SAMPLES=$SRC/tests/data/inbound
PY=/usr/bin/python3
port=$(free_port)
base="http://127.0.0.1:$port"
db="$WORK/app/newsflash.db"
q() { sqlite3 "$db" "$1"; }
# answered ADDRESS-FILE STATUS: the addresses answered STATUS, sorted
answered() { awk -v s="$2" '$2 == s {print $1}' "$1" | sort; }
# mailed: the To: of every message in the outbox, one line per message, sorted
mailed() { find "$WORK/app/outbox/new" -type f -exec grep -h -m1 '^To: ' {} + 2>/dev/null | tr -d '\r' | sed 's/^To: //' | sort; }
# wait_mails N SECONDS: until the outbox holds N messages
wait_mails() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		[ "$(ls "$WORK/app/outbox/new" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
kill9() { kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; }
# locked_signups SECONDS PREFIX COUNT CONCURRENCY: signups (into $WORK/PREFIX.out)
# while sqlite3 holds the database's write lock for SECONDS
locked_signups() {
	local lockpid
	(echo "BEGIN IMMEDIATE;"; sleep "$1"; echo "COMMIT;") | sqlite3 "$db" &
	lockpid=$!
	sleep 0.2
	$PY tests/lib/signups.py "$base" "$2" "$3" "$4" >"$WORK/$2.out"
	wait "$lockpid"
}

# ---- the return path of a confirmation, and its bounce matched ----
serve_start "$port" --signup-rate 0 --from "Breaking News <alerts@news.example>" || { fail "serve starts"; finish; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"email":"reader@example.org"}' "$base/api/subscribe")
expect_eq "signup answered 200" "$code" 200
wait_mails 1 10
m=$(outbox_files | head -1)
id=$(q "select id from subscribers where email='reader@example.org'")
rp=$(mail_header "$m" Return-Path)
check "confirmation's return path is the subscriber's VERP ($rp)" \
	bash -c "[[ '$rp' =~ ^\<?bounce\+$id-[0-9a-f]{20}@news\.example\>?$ ]]"
check "no shared bounce@ return path" bash -c "! grep -q '^Return-Path: <bounce@' '$m'"
check "confirm_sent_at recorded once the mail went" test -n "$(q "select confirm_sent_at from subscribers where id=$id")"
serve_stop
returns="$WORK/returns"; mkdir -p "$returns/new" "$returns/cur" "$returns/tmp"
verp=$(echo "$rp" | sed -n 's/.*bounce+\([0-9]*-[0-9a-f]*\)@.*/\1/p')
sed -e "s/12-0a1b2c3d4e5f60718293/$verp/g" "$SAMPLES/postfix-hard.eml" >"$returns/new/1.hard"
out=$("$NF" inbound process "$returns" --db "sqlite:$db" --secret-file "$WORK/app/secret" 2>"$WORK/inbound.log")
expect_contains "the confirmation's bounce is matched and suppresses" "$out" "suppressed 1"
expect_eq "the pending subscriber is bounced" "$(q "select status from subscribers where id=$id")" bounced
rm -rf "$WORK/app"

# ---- relay down: every confirmation is in memory when serve is killed ----
dead=$(free_port)
serve_start "$port" --signup-rate 0 --transport "smtp://127.0.0.1:$dead" --smtp-timeout-ms 500 || { fail "serve starts (relay down)"; finish; }
$PY tests/lib/signups.py "$base" down 300 8 >"$WORK/down.out"
kill9
ok=$(answered "$WORK/down.out" 200 | wc -l)
check "relay down: signups answered 200 ($ok of 300)" test "$ok" -gt 0
expect_eq "relay down: nothing marked sent before the kill" "$(q "select count(*) from subscribers where confirm_sent_at is not null")" 0
# --lease 3: a signup is left to the process that answered it for three seconds, not 30
serve_start "$port" --signup-rate 0 --lease 3 || { fail "serve restarts"; finish; }
wait_mails "$ok" 60
answered "$WORK/down.out" 200 >"$WORK/down.ok"
mailed >"$WORK/down.mailed"
expect_eq "relay down, kill -9, restart: every 200 got its confirmation" "$(comm -23 "$WORK/down.ok" <(sort -u "$WORK/down.mailed") | wc -l)" 0
expect_eq "relay down, kill -9, restart: none twice" "$(uniq -d "$WORK/down.mailed" | wc -l)" 0
expect_contains "the restart says it queued them again" "$(cat "$WORK/serve.log")" "deliver.confirm_requeued"
serve_stop
rm -rf "$WORK/app"

# ---- two processes sharing the database restart together: each owed mail goes once ----
serve_start "$port" --signup-rate 0 --transport "smtp://127.0.0.1:$dead" --smtp-timeout-ms 500 || { fail "serve starts (relay down, again)"; finish; }
$PY tests/lib/signups.py "$base" pair 200 8 >"$WORK/pair.out"
kill9
port2=$(free_port)
serve_start "$port" --signup-rate 0 --lease 3 || { fail "the first process restarts"; finish; }
first=$SERVE_PID
serve_start "$port2" --signup-rate 0 --lease 3 || { fail "the second process starts"; finish; }
ok=$(answered "$WORK/pair.out" 200 | wc -l)
wait_mails "$ok" 60
sleep 4	# more than a lease: a process that should not have sent has had time to
answered "$WORK/pair.out" 200 >"$WORK/pair.ok"
mailed >"$WORK/pair.mailed"
check "two processes: signups answered 200 ($ok of 200)" test "$ok" -gt 0
expect_eq "two processes, restarted together: every 200 got its confirmation" "$(comm -23 "$WORK/pair.ok" <(sort -u "$WORK/pair.mailed") | wc -l)" 0
expect_eq "two processes, restarted together: none twice" "$(uniq -d "$WORK/pair.mailed" | wc -l)" 0
kill -TERM "$first" "$SERVE_PID"
wait "$first" "$SERVE_PID" 2>/dev/null
rm -rf "$WORK/app"

# ---- a working outbox, killed right after the signups ----
serve_start "$port" --signup-rate 0 || { fail "serve starts (outbox)"; finish; }
$PY tests/lib/signups.py "$base" quick 2000 16 >"$WORK/quick.out"
kill9
before=$(ls "$WORK/app/outbox/new" | wc -l)
marked=$(q "select count(*) from subscribers where confirm_sent_at is not null")
ok=$(answered "$WORK/quick.out" 200 | wc -l)
check "outbox: signups answered 200 ($ok of 2000)" test "$ok" -gt 0
serve_start "$port" --signup-rate 0 --lease 3 || { fail "serve restarts (outbox)"; finish; }
wait_mails "$ok" 60
sleep 1
serve_stop
answered "$WORK/quick.out" 200 >"$WORK/quick.ok"
mailed >"$WORK/quick.mailed"
repeats=$(( $(wc -l <"$WORK/quick.mailed") - $(sort -u "$WORK/quick.mailed" | wc -l) ))
expect_eq "outbox, kill -9, restart: every 200 got its confirmation" "$(comm -23 "$WORK/quick.ok" <(sort -u "$WORK/quick.mailed") | wc -l)" 0
check "outbox: repeats ($repeats) only within the mails written but not yet recorded at the kill ($before - $marked)" \
	test "$repeats" -le $((before - marked))
echo "measured: killed with $before mails written, $marked recorded as sent, $ok answered 200; after the restart $(wc -l <"$WORK/quick.mailed") mails, $repeats repeats"
rm -rf "$WORK/app"

# ---- one bad row in a batch fails alone ----
serve_start "$port" --signup-rate 0 --single-opt-in || { fail "serve starts (bad rows)"; finish; }
q "CREATE TRIGGER bad_row BEFORE INSERT ON subscribers WHEN NEW.email LIKE '%-bad-%'
   BEGIN SELECT RAISE(ABORT, 'a bad row'); END;"
# the write lock held a moment, so the signups queue up into shared batches
locked_signups 1.5 mixed 100 16
serve_stop
expect_eq "bad rows: each answered 503" "$(grep -- '-bad-' "$WORK/mixed.out" | awk '$2 != 503' | wc -l)" 0
expect_eq "good rows in the same batches: each answered 200" "$(grep -v -- '-bad-' "$WORK/mixed.out" | awk '$2 != 200' | wc -l)" 0
expect_eq "good rows stored" "$(q "select count(*) from subscribers where email like 'mixed-%'")" 80
expect_eq "bad rows: nothing half-written (no consent rows without a subscriber)" \
	"$(q "select count(*) from consent_events where subscriber_id not in (select id from subscribers)")" 0
check "the batch was redone row by row" grep -q "signup.writer_stopped.*row_retries.[^0]" "$WORK/serve.log"
rm -rf "$WORK/app"

# ---- the writer's queue full: 503 at once ----
: >"$WORK/serve.log"
serve_start "$port" --signup-rate 0 --single-opt-in --signup-queue 4 || { fail "serve starts (queue 4)"; finish; }
locked_signups 2 full 40 20
serve_stop
n503=$(awk '$2 == 503' "$WORK/full.out" | wc -l)
n200=$(awk '$2 == 200' "$WORK/full.out" | wc -l)
check "queue full: some answered 503 ($n503)" test "$n503" -gt 0
expect_eq "queue full: answers were 200 or 503 only" $((n200 + n503)) 40
expect_eq "queue full: each 503 came at once (under 1 s)" "$(awk '$2 == 503 && $3 >= 1000' "$WORK/full.out" | wc -l)" 0
expect_eq "queue full: every 200 is stored" "$(answered "$WORK/full.out" 200 | comm -23 - <(q "select email from subscribers" | sort) | wc -l)" 0
expect_eq "serve exits 0 after it all" "$SERVE_STATUS" 0
finish
