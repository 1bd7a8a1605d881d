#!/usr/bin/env bash
# Outgoing webhooks end to end, on SQLite and (WEBHOOKS_DB=pg, run by
# tests/integration/webhooks_pg.sh) on PostgreSQL: `newsflash serve` posts
# to a receiver (tests/browser/webhooks.mjs) that verifies every delivery
# with npm's standardwebhooks, the specification's reference consumer.
#  - every event type a running service produces, from its real door: a
#    signup and its confirmation, an import, an alert queued and done, a
#    relay's 550 (delivery.failed and the unknown user bounced), a one-click
#    unsubscribe, an ARF complaint through POST /api/inbound, an erasure, an
#    alert cancelled;
#  - the address only for an endpoint made with --include-email, and none
#    in an erased subscriber's events still waiting when the erasure came;
#  - an endpoint down for a while, then back: every event arrives, in order;
#  - a slow endpoint (answers after the 5 s timeout): its attempts time out
#    while the alert's mail and the other endpoints' events go on;
#  - kill -9 with a backlog and events recorded while nothing runs: after a
#    restart everything arrives, in order;
#  - an endpoint failing past --webhook-give-up is disabled (a log line,
#    `webhook list`), and replay enables it and sends again;
#  - /api/webhooks (API key; 422 with a message for bad input), the
#    newsroom's page (list, add, test, remove; CSRF) and the CLI.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh
source tests/lib/db.sh

SRC=${NEWSFLASH_SRC:-$PWD}
NODE_DIR=$SRC/tests/browser
if [ ! -d "$NODE_DIR/node_modules/standardwebhooks" ] || ! command -v node >/dev/null; then
	skip "webhooks" "node or npm's standardwebhooks missing (scripts/deps installs tests/browser)"
	finish
fi
db_choose "${WEBHOOKS_DB:-sqlite}" "webhooks"
label=${WEBHOOKS_DB:-sqlite}
mkdir -p "$WORK/app"

# ---- the receiver, the relay ----
hooks=$WORK/hooks
mkdir -p "$hooks"
node "$NODE_DIR/webhooks.mjs" "$hooks" >>"$WORK/receiver.log" 2>&1 &
rpid=$!
cleanup_add "kill $rpid"
for i in $(seq 1 100); do [ -s "$hooks/port" ] && break; sleep 0.1; done
rbase="http://127.0.0.1:$(cat "$hooks/port")"
smtp_port=$(free_port)
spool=$WORK/spool
mkdir -p "$spool"
smtpd_start "$smtp_port" "$spool" || { fail "$label: relay starts"; finish; }
port=$(free_port)
base="http://127.0.0.1:$port"
serve_opts=(--db "$dburl" --transport "smtp://127.0.0.1:$smtp_port?tls=none" --lease 3
	--webhook-allow-private --webhook-retry-base 1)

"$NF" db migrate --db "$dburl" >/dev/null
# log NAME: the receiver's lines for endpoint NAME; got NAME: the ids it answered 200, in order
log() { cat "$hooks/$1.log" 2>/dev/null; }
got() { log "$1" | awk '$1 == 200 { print $3 }'; }
# add NAME ARGS...: a webhook to the receiver's /NAME; its secret to the receiver; prints the id
add() {
	local name=$1 out
	shift
	out=$("$NF" webhook add "$rbase/$name" "$@" --db "$dburl") || return 1
	echo "$out" | sed -n 's/^secret: //p' >"$hooks/$name.secret.new"
	[ -s "$hooks/$name.secret.new" ] && mv "$hooks/$name.secret.new" "$hooks/$name.secret"
	echo "$out" | sed -n 's/^webhook \([0-9]*\) added$/\1/p'
}
# wait_for COND: up to 60 s for a shell condition
wait_for() { local i; for i in $(seq 1 300); do eval "$1" && return 0; sleep 0.2; done; return 1; }

given=whsec_$(head -c 32 /dev/urandom | base64 -w0)
echo "$given" >"$hooks/all.secret"
all=$(add all --events '*' --secret "$given" --include-email)
plain=$(add plain --events '*')
echo down >"$hooks/flaky.mode"
flaky=$(add flaky --events '*' --include-email)
echo slow >"$hooks/slow.mode"
slow=$(add slow --events alert.queued,alert.done)
picky=$(add picky --events alert.done)
check "$label: five webhooks added (a secret made for each but the given one)" \
	test -n "$all" -a -n "$plain" -a -n "$flaky" -a -n "$slow" -a -n "$picky" -a -s "$hooks/plain.secret"
expect_contains "$label: a made secret is whsec_ and base64" "$(cat "$hooks/plain.secret")" "whsec_"
out=$("$NF" webhook add "ftp://example.com/x" --events '*' --db "$dburl" 2>&1); rc=$?
expect_eq "$label: cli: a URL that is not http(s) exits 2" "$rc $(echo "$out" | grep -c 'http:// or https://')" "2 1"
out=$("$NF" webhook add "$rbase/x" --events alert.done,alert.sent --db "$dburl" 2>&1); rc=$?
expect_eq "$label: cli: an unknown event exits 2 and is named" "$rc $(echo "$out" | grep -c "unknown event 'alert.sent'")" "2 1"
"$NF" webhook remove 999 --db "$dburl" 2>/dev/null
expect_eq "$label: cli: removing no such webhook exits 1" "$?" 1

serve_start "$port" "${serve_opts[@]}" || { fail "$label: serve starts"; finish; }
key=$("$NF" apikey create hooks --db "$dburl")

# ---- every event from its own door ----
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"email": "conf@example.org"}' "$base/api/subscribe")
expect_eq "$label: a signup" "$code" 200
msg_to() { grep -l "^To: $1" "$spool"/*.eml 2>/dev/null | head -1; }
wait_for '[ -n "$(msg_to conf@example.org)" ]'
link=$(mail_text "$(msg_to conf@example.org)" | grep -o "$base/confirm/[A-Za-z0-9_-]*" | head -1)
expect_eq "$label: the signup confirmed" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$link")" 200
printf 'email\nreader@example.org\nrcpt550gone@example.org\narf@example.org\nleaver@example.org\nerasee@example.org\n' >"$WORK/people.csv"
"$NF" subscribers import "$WORK/people.csv" --list breaking-news --consent-source "test import" --db "$dburl" >/dev/null
cat >"$WORK/story.json" <<'EOF'
{"headline": "Harbour bridge closed after ship strikes pier", "body_html": "<p>A ship struck a pier.</p>",
 "url": "https://news.example/bridge", "breaking": true}
EOF
"$NF" publish "$WORK/story.json" --breaking --wait --db "$dburl" >/dev/null
check "$label: the alert's mail went while the slow endpoint timed out" test -n "$(msg_to reader@example.org)"
url=$(mail_header "$(msg_to leaver@example.org)" List-Unsubscribe | grep -o "$base/u/[A-Za-z0-9_-]*" | head -1)
expect_eq "$label: one-click unsubscribe" \
	"$(curl -s -o /dev/null -w '%{http_code}' --data 'List-Unsubscribe=One-Click' "$url")" 200
m=$(msg_to arf@example.org)
verp=$(mail_header "$m" Return-Path | sed -n 's/.*bounce+\([0-9]*-[0-9a-f]*\)@.*/\1/p')
mt=$(mail_header "$m" List-Unsubscribe | sed -n 's/.*unsubscribe+\([0-9]*-[0-9a-f]*\)@.*/\1/p')
lt=$(mail_header "$m" List-Unsubscribe | grep -o "$base/u/[A-Za-z0-9_-]*" | head -1)
sed -e "s/12-0a1b2c3d4e5f60718293/$verp/g" -e "s/12-1e1f6da669205fcc890f/$mt/g" \
	-e "s/AQAAAAAAAAAMAAAAAAAAAACvK9vhqptuweKt4daU9B_HGoMdAmjpiRViET2KYq3Rvw/${lt##*/}/g" \
	-e "s/reader@example.org/arf@example.org/g" "$SRC/tests/data/inbound/arf-abuse.eml" >"$WORK/arf.eml"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
	-H 'Content-Type: message/rfc822' --data-binary "@$WORK/arf.eml" "$base/api/inbound")
expect_eq "$label: a complaint through /api/inbound" "$code" 200
"$NF" subscribers erase erasee@example.org --db "$dburl" >/dev/null
expect_eq "$label: erased" "$(q "select status from subscribers where email_key is null and status='erased'" | head -1)" erased

types="subscriber.created subscriber.confirmed subscriber.unsubscribed subscriber.bounced
subscriber.complained subscriber.erased alert.queued alert.done delivery.failed"
wait_for '[ "$(log all | grep -c " subscriber.erased ")" -ge 1 ]'
for t in $types; do
	check "$label: $t delivered, signed and verified" grep -q "^200 ok msg_[0-9]* $t " "$hooks/all.log"
done
expect_eq "$label: every delivery verified by standardwebhooks" "$(cat "$hooks"/*.log | awk '$2 != "ok"' | wc -l)" 0
check "$label: the erasee's address went to the include-email endpoint before the erasure" \
	grep -q '"email":"erasee@example.org"' "$hooks/all.log"
check "$label: no address for an endpoint made without --include-email" \
	test -z "$(grep '"email"' "$hooks/plain.log")"
check "$label: delivery.failed names the alert, the subscriber and the code, never the reply" \
	grep -q 'delivery.failed {"alert_id":[0-9]*,"article_id":[0-9]*,"subscriber_id":[0-9]*,"email":"rcpt550gone@example.org","code":"550"}' "$hooks/all.log"
expect_eq "$label: alert.done only, for the endpoint that wants only it" "$(log picky | awk '{print $4}' | sort -u)" alert.done
wait_for '[ "$(log slow | grep -c "^slow")" -ge 2 ]'
check "$label: the slow endpoint's attempts arrived and timed out (nothing answered 200)" \
	test -z "$(got slow)" -a "$(log slow | grep -c '^slow')" -ge 2
expect_contains "$label: its timeout shows in webhook list" \
	"$("$NF" webhook list --db "$dburl" | grep -A2 "^$slow ")" "last error: Timeout was reached"

check "$label: no event was ever posted to an endpoint while the same one was in flight" \
	test -z "$(grep -h '^concurrent' "$hooks"/*.log)"

# ---- the endpoint that was down comes back ----
check "$label: the down endpoint was answered 503 meanwhile" grep -q '^503 ok' "$hooks/flaky.log"
echo up >"$hooks/flaky.mode"
wait_for '[ "$(got flaky | wc -l)" -ge "$(got all | wc -l)" ]'
expect_eq "$label: after the outage, the same events in the same order" "$(got flaky | uniq)" "$(got all | uniq)"
check "$label: ...none with the erased subscriber's address, sent after the erasure" \
	test -z "$(grep '"email":"erasee@example.org"' "$hooks/flaky.log")"
ordered() { "$@" | uniq | sed 's/^msg_//' | sort -n -c 2>/dev/null; }
check "$label: ids strictly in order per endpoint" ordered got all

# ---- /api/webhooks ----
api() { curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $key" "$@"; }
expect_eq "$label: api: no key, 401" "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/webhooks")" 401
expect_eq "$label: api: a bad URL, 422" "$(api -X POST --data '{"url": "gopher://x", "events": ["alert.done"]}' "$base/api/webhooks")" 422
expect_contains "$label: api: ...with a message" "$(cat "$WORK/body")" "http:// or https://"
expect_eq "$label: api: an unknown event, 422" "$(api -X POST --data "{\"url\": \"$rbase/api\", \"events\": [\"alert.nope\"]}" "$base/api/webhooks")" 422
expect_contains "$label: api: ...named" "$(cat "$WORK/body")" "unknown event 'alert.nope'"
expect_eq "$label: api: no JSON object, 422" "$(api -X POST --data 'url=x' "$base/api/webhooks")" 422
expect_eq "$label: api: a bad secret, 422" "$(api -X POST --data "{\"url\": \"$rbase/api\", \"events\": \"*\", \"secret\": \"nope\"}" "$base/api/webhooks")" 422
expect_eq "$label: api: created" "$(api -X POST --data "{\"url\": \"$rbase/api\", \"events\": [\"alert.done\", \"subscriber.created\"]}" "$base/api/webhooks")" 201
aid=$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' "$WORK/body")
sed -n 's/.*"secret": *"\([^"]*\)".*/\1/p' "$WORK/body" >"$hooks/api.secret"
expect_eq "$label: api: listed, no secret in the list" "$(api "$base/api/webhooks"; grep -c whsec_ "$WORK/body")" "2000"
expect_contains "$label: api: the list has its events" "$(cat "$WORK/body")" '"events":["subscriber.created","alert.done"]'
expect_eq "$label: api: test" "$(api -X POST "$base/api/webhooks/$aid/test")" 200
check "$label: api: the test event arrived verified" grep -q '^200 ok msg_test_[0-9a-f]* webhook.test' "$hooks/api.log"
expect_eq "$label: api: replay with a bad since, 422" "$(api -X POST --data '{"since": "yesterday"}' "$base/api/webhooks/$aid/replay")" 422
expect_eq "$label: api: removed" "$(api -X DELETE "$base/api/webhooks/$aid")" 200
expect_eq "$label: api: removed again, 404" "$(api -X DELETE "$base/api/webhooks/$aid")" 404
expect_contains "$label: cli: test" "$("$NF" webhook test "$picky" --webhook-allow-private --db "$dburl")" "HTTP 200"
"$NF" webhook test "$picky" --db "$dburl" >/dev/null 2>"$WORK/err"
expect_eq "$label: cli: test of a loopback endpoint without the option is refused (exit 1)" \
	"$? $(grep -c 'private address' "$WORK/err")" "1 1"

# ---- the newsroom's page ----
printf 'correct horse battery staple\n' | "$NF" editor add jane --email jane@news.example --db "$dburl" >/dev/null 2>&1
jar=$WORK/jar
req() { code=$(curl -s -o "$WORK/b" -w '%{http_code}' -c "$jar" -b "$jar" "$@"); }
field() { sed -n "s/.*name=\"$1\" value=\"\\([^\"]*\\)\".*/\\1/p" "$WORK/b" | head -1; }
req "$base/newsroom/signin"
req --data-urlencode "csrf=$(field csrf)" --data-urlencode name=jane \
	--data-urlencode "password=correct horse battery staple" "$base/newsroom/signin"
req "$base/newsroom/webhooks"
expect_eq "$label: newsroom: the webhooks page" "$code" 200
check "$label: newsroom: it lists the endpoints with their state" grep -q "id=\"webhook-$slow\"" "$WORK/b"
check "$label: newsroom: and never a secret" test -z "$(grep -o 'whsec_[A-Za-z0-9+/=]*' "$WORK/b")"
ncsrf=$(field csrf)
req --data-urlencode "csrf=$ncsrf" --data-urlencode action=add --data-urlencode "url=javascript:alert(1)" \
	--data-urlencode "events=*" "$base/newsroom/webhooks"
expect_eq "$label: newsroom: a bad URL refused, saying why" "$code $(grep -c 'the URL must start with http:// or https://' "$WORK/b")" "422 1"
req --data-urlencode "csrf=$ncsrf" --data-urlencode action=add --data-urlencode "url=$rbase/room" \
	--data-urlencode "events=alert.done,subscriber.created" "$base/newsroom/webhooks"
sed -n 's/.*id="new-secret">\(whsec_[^<]*\)<.*/\1/p' "$WORK/b" >"$hooks/room.secret"
rid=$(sed -n 's/.*Secret of webhook \([0-9]*\):.*/\1/p' "$WORK/b")
expect_eq "$label: newsroom: added, its secret shown once" "$code $(wc -c <"$hooks/room.secret")" "201 39"
req --data-urlencode "csrf=$ncsrf" --data-urlencode action=test --data-urlencode "id=$rid" "$base/newsroom/webhooks"
expect_contains "$label: newsroom: test" "$(cat "$WORK/b")" "Test sent to webhook $rid: HTTP 200."
check "$label: newsroom: the test arrived verified" grep -q '^200 ok msg_test_[0-9a-f]* webhook.test' "$hooks/room.log"
req --data-urlencode action=remove --data-urlencode "id=$rid" "$base/newsroom/webhooks"
check "$label: newsroom: no CSRF token, nothing removed" test "$code" != 200 -a "$("$NF" webhook list --db "$dburl" | grep -c "/room$")" = 1
req --data-urlencode "csrf=$ncsrf" --data-urlencode action=remove --data-urlencode "id=$rid" "$base/newsroom/webhooks"
expect_eq "$label: newsroom: removed" "$code $("$NF" webhook list --db "$dburl" | grep -c "/room$")" "200 0"

# ---- kill -9 with a backlog, events while nothing runs, a restart ----
echo down >"$hooks/flaky.mode"
printf 'email\nk1@example.org\nk2@example.org\nk3@example.org\n' >"$WORK/k.csv"
"$NF" subscribers import "$WORK/k.csv" --list breaking-news --consent-source "test import" --db "$dburl" >/dev/null
wait_for '[ "$(log all | grep -c "k3@example.org")" -ge 1 ]'
backlog=$("$NF" webhook list --db "$dburl" | awk -v id="$flaky" '$1 == id { print $3 }')
check "$label: the down endpoint has a backlog ($backlog)" test "${backlog:-0}" -ge 3
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
printf 'email\nk4@example.org\n' >"$WORK/k4.csv"
"$NF" subscribers import "$WORK/k4.csv" --list breaking-news --consent-source "test import" --db "$dburl" >/dev/null
cancelled=$("$NF" publish "$WORK/story.json" --breaking --db "$dburl" | grep -o 'alert [0-9]*' | grep -o '[0-9]*')
"$NF" alert cancel "$cancelled" --db "$dburl" >/dev/null
echo up >"$hooks/flaky.mode"
serve_start "$port" "${serve_opts[@]}" || { fail "$label: serve restarts"; finish; }
wait_for '[ "$(log all | grep -c " alert.cancelled ")" -ge 1 ]'
check "$label: alert.cancelled delivered after the restart" grep -q "^200 ok msg_[0-9]* alert.cancelled {\"alert_id\":$cancelled" "$hooks/all.log"
total=$(q "select count(*) from webhook_events")
wait_for '[ "$(got flaky | sort -u | wc -l)" -ge "$total" -a "$(got all | sort -u | wc -l)" -ge "$total" ]'
expect_eq "$label: after kill -9: every event recorded reached both endpoints" \
	"$(got all | sort -u | wc -l) $(got flaky | sort -u | wc -l)" "$total $total"
expect_eq "$label: after kill -9: in the same order" "$(got flaky | uniq)" "$(got all | uniq)"
check "$label: after kill -9: ids strictly in order" ordered got flaky

# ---- failing past --webhook-give-up: disabled, then replayed ----
serve_stop
echo down >"$hooks/dead.mode"
dead=$(add dead --events subscriber.created)
serve_start "$port" "${serve_opts[@]}" --webhook-give-up 2 || { fail "$label: serve restarts (give-up)"; finish; }
sleep 1
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
printf 'email\nd1@example.org\n' >"$WORK/d.csv"
"$NF" subscribers import "$WORK/d.csv" --list breaking-news --consent-source "test import" --db "$dburl" >/dev/null
wait_for 'grep -q "event=webhook.disabled endpoint=$dead" "$WORK/serve.log"'
check "$label: an endpoint failing past --webhook-give-up is disabled, with a log line" \
	grep -q "event=webhook.disabled endpoint=$dead" "$WORK/serve.log"
expect_eq "$label: webhook list shows it disabled" \
	"$("$NF" webhook list --db "$dburl" | awk -v id="$dead" '$1 == id { print $2 }')" disabled
echo up >"$hooks/dead.mode"
expect_contains "$label: replay enables it again" "$("$NF" webhook replay "$dead" --since "$since" --db "$dburl")" "webhook $dead: backlog 1"
wait_for '[ -n "$(got dead)" ]'
check "$label: replayed after being disabled: d1's signup arrives" grep -q '^200 ok .* subscriber.created' "$hooks/dead.log"
check "$label: still, to the end, no event posted twice at once to one endpoint" \
	test -z "$(grep -h '^concurrent' "$hooks"/*.log)"
serve_stop
expect_eq "$label: serve stops cleanly" "$SERVE_STATUS" 0
finish
