#!/usr/bin/env bash
# Signups as fast as wrk can send them (POST /api/subscribe, a new address
# each time, --signup-rate 0), with GET /healthz on the same server as the
# reference, both for LOAD_SECONDS (5 here, 60 with NEWSFLASH_LONG=1).
# Durability: the server is killed -9 right after the run, and every signup
# answered 200 must be in the database (rows >= answers 200, all of them
# well formed). Double opt-in (the default) also queues a confirmation
# mail per signup: measured separately; after SIGTERM (a drain) and a
# restart every signup answered 200 must have its confirmation in the
# outbox, each address once. Speeds are printed, not asserted.
source tests/lib.sh
source tests/lib/serve.sh

SECS=${LOAD_SECONDS:-5}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && SECS=60
CONNS=${LOAD_CONNECTIONS:-64}
command -v wrk >/dev/null || { skip "signup load" "wrk is not installed"; finish; }

# field FILE NAME: a summary line's value from signup.lua / get.lua output
field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
code() { awk -v c="$2" '$1 == "code" && $2 == c {print $3}' "$1" | grep . || echo 0; }
rate() { awk -v n="$(field "$1" requests)" -v s="$(field "$1" seconds)" 'BEGIN {printf "%.0f", n / s}'; }
ms() { awk -v u="$(field "$1" "$2")" 'BEGIN {printf "%.1f", u / 1000}'; }

# ---- single opt-in: the signup is the database write alone
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" --signup-rate 0 --single-opt-in || { fail "serve starts"; finish; }
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/get.lua "$BASE/healthz" >"$WORK/ref.out" 2>&1
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/signup.lua "$BASE" -- single >"$WORK/single.out" 2>&1
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
ok200=$(code "$WORK/single.out" 200)
other=$(( $(field "$WORK/single.out" requests) - ok200 ))
rows=$(sqlite3 "$WORK/app/newsflash.db" "select count(*) from subscribers where email like 'single-%' and status = 'confirmed'")
check "single opt-in: signups were answered ($ok200)" test "$ok200" -gt 0
expect_eq "single opt-in: every answer was 200" "$other" 0
check "single opt-in: after kill -9 every answered signup is stored ($rows rows >= $ok200)" test "$rows" -ge "$ok200"
check "single opt-in: no row that was never sent ($rows <= $(field "$WORK/single.out" requests) + $CONNS)" \
	test "$rows" -le $(( $(field "$WORK/single.out" requests) + CONNS ))
expect_eq "database intact after kill -9 under load" "$(sqlite3 "$WORK/app/newsflash.db" 'pragma integrity_check')" ok
echo "measured: GET /healthz $(rate "$WORK/ref.out")/s (p50 $(ms "$WORK/ref.out" p50_us) ms, p99 $(ms "$WORK/ref.out" p99_us) ms); single opt-in signups $(rate "$WORK/single.out")/s (p50 $(ms "$WORK/single.out" p50_us) ms, p99 $(ms "$WORK/single.out" p99_us) ms) = $(awk -v a="$(rate "$WORK/single.out")" -v b="$(rate "$WORK/ref.out")" 'BEGIN {printf "%.3f", a / b}') of healthz; ${SECS}s each, $CONNS connections, 2 wrk threads"

# ---- double opt-in: a pending row and a confirmation mail per signup
rm -rf "$WORK/app"
serve_start "$PORT" --signup-rate 0 || { fail "serve starts (double opt-in)"; finish; }
wrk -t2 -c"$CONNS" -d"${SECS}s" -s tests/load/signup.lua "$BASE" -- double >"$WORK/double.out" 2>&1
serve_stop
expect_eq "double opt-in: SIGTERM after the run exits 0 (the lane drained)" "$SERVE_STATUS" 0
ok200=$(code "$WORK/double.out" 200); n503=$(code "$WORK/double.out" 503)
rows=$(sqlite3 "$WORK/app/newsflash.db" "select count(*) from subscribers where email like 'double-%' and status = 'pending'")
mails=$(ls "$WORK/app/outbox/new" | wc -l)
check "double opt-in: signups were answered ($ok200)" test "$ok200" -gt 0
expect_eq "double opt-in: answers were 200 or 503 only" $((ok200 + n503)) "$(field "$WORK/double.out" requests)"
check "double opt-in: every answered signup is stored ($rows >= $ok200)" test "$rows" -ge "$ok200"
# a signup committed while the lane was full is answered 200 all the same: its
# row is pending with no confirmation sent, and the lane owes it the mail
# (once it has room, or after a restart, as here after the drain, when the
# lease that leaves it to the process that answered it has passed: 3 s)
serve_start "$PORT" --signup-rate 0 --lease 3 || { fail "serve restarts (double opt-in)"; finish; }
for i in $(seq 1 600); do [ "$(ls "$WORK/app/outbox/new" | wc -l)" -ge "$rows" ] && break; sleep 0.1; done
serve_stop
after=$(ls "$WORK/app/outbox/new" | wc -l)
check "double opt-in: every 200 got its confirmation mail, after a restart ($mails after the drain, $after after the restart >= $ok200)" test "$after" -ge "$ok200"
expect_eq "double opt-in: no address mailed twice" \
	"$(find "$WORK/app/outbox/new" -type f -exec grep -h -m1 '^To: ' {} + | sort | uniq -d | wc -l)" 0
# a signup answered 503 because the lane filled must not be paced as if its mail went
sqlite3 "$WORK/app/newsflash.db" "select email from subscribers where email like 'double-%' and confirm_sent_at is not null" |
	sort >"$WORK/marked"
find "$WORK/app/outbox/new" -type f -exec grep -h -m1 '^To: ' {} + | tr -d '\r' | sed 's/^To: //' | sort -u >"$WORK/mailed"
expect_eq "double opt-in: nobody is marked as mailed without a mail" "$(comm -23 "$WORK/marked" "$WORK/mailed" | wc -l)" 0
echo "measured: double opt-in signups $(rate "$WORK/double.out")/s answered ($ok200 x 200, $n503 x 503 'lane full'; p50 $(ms "$WORK/double.out" p50_us) ms, p99 $(ms "$WORK/double.out" p99_us) ms), $mails confirmation mails in the Maildir after the drain, $after after a restart"
finish
