#!/usr/bin/env bash
# Nobody can bomb an inbox through the signup box (issue 20, item 1):
#  - twelve +tag variants of one mailbox get three confirmation mails (the
#    default cap, 3 in 30 days), every signup answered the same 200;
#  - --confirm-cap from the environment (NEWSFLASH_CONFIRM_CAP) and bad
#    values refused;
#  - every confirmation mail carries "This wasn't me: never email me"
#    (GET shows a button and changes nothing, POST suppresses), and no
#    longer promises that nothing more will come;
#  - after "never email me", after an erasure that suppresses, and after a
#    complaint, a signup of the address answers 200 and stores and mails
#    nothing; an old confirmation link no longer confirms;
#  - a publish then reaches none of them.
# On SQLite, or with BOMBING_DB=pg (bombing_pg.sh) on a real PostgreSQL.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/db.sh

db_choose "${BOMBING_DB:-sqlite}" "mail-bombing"
port=$(free_port)
base="http://127.0.0.1:$port"
api() { curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' --data "{\"email\":\"$1\"}" "$base/api/subscribe"; }
mails_to() { local n=0 f; for f in $(outbox_files); do grep -qi "^To: $1" "$f" && n=$((n + 1)); done; echo "$n"; }
settle() { sleep 1; }	# the lane sends within a poll

# ---- bad values are refused before anything starts ----
"$NF" serve --confirm-cap 0/30 >/dev/null 2>"$WORK/err"; rc=$?
expect_eq "--confirm-cap 0/30 is a usage error" "$rc" 2
expect_contains "and says what is expected" "$(cat "$WORK/err")" "expected N/DAYS"
NEWSFLASH_CONFIRM_CAP=3 "$NF" serve >/dev/null 2>&1
expect_eq "NEWSFLASH_CONFIRM_CAP=3 (no days) is refused too" "$?" 2

# ---- the default cap: 3 in 30 days per mailbox, +tags folded ----
serve_start "$port" --db "$dburl" --signup-rate 0 --from "Breaking News <alerts@news.example>" || { fail "serve starts"; finish; }
codes=""
for i in $(seq 1 12); do codes="$codes $(api "victim+$i@example.org")"; done
expect_eq "twelve +tag signups: each answered 200" "$codes" "$(printf ' 200%.0s' $(seq 1 12))"
expect_eq "each stored, pending" "$(q "select count(*) from subscribers where email like 'victim+%' and status='pending'")" 12
settle
expect_eq "three confirmation mails reach the one mailbox" "$(mails_to 'victim+')" 3
expect_eq "another mailbox is not held back" "$(api other@example.org) $(settle; mails_to other@example.org)" "200 1"
expect_contains "a capped signup is logged, without the address" "$(cat "$WORK/serve.log")" "signup.confirm_capped"
expect_eq "no address in the log" "$(grep -c 'victim' "$WORK/serve.log")" 0
serve_stop
# a restart's recovery does not send the ones the cap withheld
serve_start "$port" --db "$dburl" --signup-rate 0 --from "Breaking News <alerts@news.example>" --lease 3 || { fail "serve restarts"; finish; }
sleep 4
expect_eq "after a restart: still three" "$(mails_to 'victim+')" 3
serve_stop

# ---- the cap from the environment ----
NEWSFLASH_CONFIRM_CAP=1/1 serve_start "$port" --db "$dburl" --signup-rate 0 --from "Breaking News <alerts@news.example>" || { fail "serve starts (env)"; finish; }
api "one@example.org" >/dev/null; api "one+again@example.org" >/dev/null; api "ONE+x@example.org" >/dev/null
settle
expect_eq "NEWSFLASH_CONFIRM_CAP=1/1: one mail" "$(mails_to 'one')" 1

# ---- the confirmation mail: truthful, with "never email me" ----
expect_eq "signup: 200" "$(api reader@example.org)" 200
settle
m=$(grep -l '^To: reader@example.org' $(outbox_files) | head -1)
txt=$(mail_text "$m"); html=$(mail_html "$m")
case "$txt$html" in *"will not email you again"*) fail "the mail makes no promise it cannot keep" ;; *) ok "the mail makes no promise it cannot keep" ;; esac
expect_contains "the text says another may come" "$txt" "another message like this one may come"
expect_contains "the text part has the never-email-me link" "$txt" "This wasn't me: never email me"
expect_contains "the HTML part too" "$html" "This wasn't me: never email me</a>"
never=$(echo "$txt" | grep -o "$base/never/[A-Za-z0-9_-]*" | head -1)
confirm=$(echo "$txt" | grep -o "$base/confirm/[A-Za-z0-9_-]*" | head -1)
check "both links are in the text" test -n "$never" -a -n "$confirm"
rid=$(q "select id from subscribers where email='reader@example.org'")
code=$(curl -s -o "$WORK/page" -w '%{http_code}' "$never")
expect_eq "GET never: 200" "$code" 200
expect_contains "GET never: a button" "$(cat "$WORK/page")" ">NEVER EMAIL ME</button>"
expect_eq "GET never changes nothing" "$(q "select status from subscribers where id=$rid") $(q "select count(*) from suppressions")" "pending 0"
bad="${never%?}"; case "${never: -1}" in A) bad="${bad}B" ;; *) bad="${bad}A" ;; esac
expect_eq "a tampered never link: 400" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$bad")" 400
expect_eq "a confirm link is no never link" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/never/${confirm##*/}")" 400
code=$(curl -s -o "$WORK/page" -w '%{http_code}' -X POST -A "NotMe/1" "$never")
expect_eq "POST never: 200" "$code" 200
expect_contains "POST never: says so" "$(cat "$WORK/page")" "We will never email you"
expect_eq "suppressed as not-me, unsubscribed, in the ledger" \
	"$(q "select reason from suppressions where email_key='reader@example.org'") $(q "select status from subscribers where id=$rid") $(q "select source||' '||user_agent from consent_events where subscriber_id=$rid order by id desc limit 1")" \
	"not-me unsubscribed not-me NotMe/1"
expect_eq "POST never again: still 200" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$never")" 200
expect_eq "the old confirmation link no longer confirms" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$confirm")" 400
expect_eq "still unsubscribed" "$(q "select status from subscribers where id=$rid")" unsubscribed
before=$(mails_to reader@example.org)
expect_eq "signing up again after never-email-me: 200" "$(api reader@example.org)" 200
body_never=$(cat "$WORK/body")
expect_eq "the same answer as any signup" "$body_never" "$(api fresh@example.org >/dev/null; cat "$WORK/body")"
settle
expect_eq "and no mail" "$(mails_to reader@example.org)" "$before"
expect_eq "and no change" "$(q "select status from subscribers where id=$rid")" unsubscribed

# ---- after erasure that suppresses, and after a complaint ----
expect_eq "gone@ signs up" "$(api gone@example.org)" 200
settle
"$NF" subscribers erase gone@example.org --db "$dburl" >/dev/null 2>&1
expect_eq "erased: only a keyed hash is left" "$(q "select count(*) from subscribers where email='gone@example.org'")" 0
before=$(mails_to gone@example.org)
expect_eq "signing up an erased, suppressed address: 200" "$(api gone@example.org)" 200
settle
expect_eq "no row made again, no mail" "$(q "select count(*) from subscribers where email='gone@example.org'") $(mails_to gone@example.org)" "0 $before"
q "insert into suppressions (email_key, reason, at) values ('spam@example.org', 'complaint', 1)"
expect_eq "signing up a complained address: 200" "$(api spam@example.org)" 200
settle
expect_eq "nothing stored, nothing mailed" "$(q "select count(*) from subscribers where email='spam@example.org'") $(mails_to spam@example.org)" "0 0"

# ---- and a publish reaches none of them ----
q "update subscribers set status='confirmed', confirmed_at=1 where email='fresh@example.org'"
cat >"$WORK/story.json" <<'EOF'
{"headline": "Storm closes the coast road", "body_html": "<p>The coast road is closed.</p>", "url": "https://news.example/storm", "breaking": true}
EOF
out=$("$NF" publish "$WORK/story.json" --breaking --db "$dburl")
expect_contains "publish: one recipient, fresh@" "$out" "1 "
for i in $(seq 1 50); do [ "$(grep -l 'Storm closes' $(outbox_files) 2>/dev/null | wc -l)" -ge 1 ] && break; sleep 0.2; done
sleep 0.5
expect_eq "the alert went to fresh@ alone" "$(grep -l 'Storm closes' $(outbox_files) | xargs grep -h '^To: ' | tr -d '\r' | sort | tr '\n' ' ')" "To: fresh@example.org "
serve_stop
finish
