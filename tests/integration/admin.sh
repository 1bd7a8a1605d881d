#!/usr/bin/env bash
# What an operator manages: API keys (create, list, revoke: a revoked key
# stops working at once), editors (list, remove: their sessions end),
# /metrics behind a bearer token (--metrics-token-file) or on a listener of
# its own (--metrics-listen), and --single-opt-in never putting back to
# confirmed someone who left: they are asked by mail again.
source tests/lib.sh
source tests/lib/serve.sh

db="$WORK/app/newsflash.db"
mkdir -p "$WORK/app"

# ---- API keys
"$NF" db migrate --db "sqlite:$db" >/dev/null
key=$("$NF" apikey create desk --db "sqlite:$db")
"$NF" apikey create wire --db "sqlite:$db" >/dev/null
out=$("$NF" apikey list --db "sqlite:$db")
expect_contains "apikey list names desk" "$out" "desk"
expect_contains "apikey list names wire" "$out" "wire"
check "apikey list never shows a key" test "$(echo "$out" | grep -c 'nf_')" = 0
port=$(free_port); mport=$(free_port)
printf 'correct horse battery staple\n' | "$NF" editor add jane --db "sqlite:$db" >/dev/null 2>&1
printf 'another long password\n' | "$NF" editor add bob --db "sqlite:$db" >/dev/null 2>&1
printf 'Tok3n-for-the-scraper-0123456789\n' >"$WORK/metrics-token"
serve_start "$port" --metrics-token-file "$WORK/metrics-token" || { fail "serve starts"; finish; }
base="http://127.0.0.1:$port"
expect_eq "the key works" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/api/alerts/1")" 404
"$NF" apikey revoke desk --db "sqlite:$db" >/dev/null
expect_eq "apikey revoke: exit 0" "$?" 0
expect_eq "a revoked key stops working: 401" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/api/alerts/1")" 401
"$NF" apikey revoke desk --db "sqlite:$db" >/dev/null 2>&1
expect_eq "revoking a key that is not there: exit 1" "$?" 1
check "apikey list no longer names desk" test "$("$NF" apikey list --db "sqlite:$db" | grep -c desk)" = 0

# ---- editors
page=$(curl -s -c "$WORK/jar" "$base/newsroom/signin")
csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$WORK/jar" -b "$WORK/jar" --data-urlencode "csrf=$csrf" \
	--data-urlencode "name=bob" --data-urlencode "password=another long password" "$base/newsroom/signin")
expect_eq "bob signs in" "$code" 303
expect_eq "bob's session works" "$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" "$base/newsroom")" 200
out=$("$NF" editor remove bob --db "sqlite:$db")
expect_eq "editor remove" "$out" "editor bob removed; their sessions have ended"
expect_eq "bob's session has ended: 303 to the sign-in" "$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" "$base/newsroom")" 303
check "editor list no longer names bob" test "$("$NF" editor list --db "sqlite:$db" | grep -c '^bob ')" = 0
"$NF" editor remove bob --db "sqlite:$db" >/dev/null 2>&1
expect_eq "removing an editor who is not there: exit 1" "$?" 1

# ---- /metrics with a token
expect_eq "/metrics without the token: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")" 401
expect_eq "/metrics with a wrong token: 401" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer Tok3n-for-the-scraper-0123456780' "$base/metrics")" 401
expect_contains "/metrics with the token" \
	"$(curl -s -H 'Authorization: Bearer Tok3n-for-the-scraper-0123456789' "$base/metrics")" "newsflash_messages_sent_total"
serve_stop
check "the token is in no log line" test "$(grep -c 'Tok3n' "$WORK/serve.log")" = 0

# ---- /metrics on its own listener; --single-opt-in
serve_start "$port" --metrics-listen "127.0.0.1:$mport" --single-opt-in || { fail "serve starts"; finish; }
expect_eq "with --metrics-listen, no /metrics on --listen" "$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")" 404
expect_contains "/metrics on its own address" "$(curl -s "http://127.0.0.1:$mport/metrics")" "newsflash_messages_sent_total"
expect_eq "and nothing else there" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/")" 404

signup() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data "{\"email\":\"$1\"}" "$base/api/subscribe"; }
expect_eq "a signup" "$(signup leaver@example.com)" 200
for i in $(seq 1 50); do [ "$(sqlite3 "$db" "select status from subscribers where email='leaver@example.com'")" = confirmed ] && break; sleep 0.1; done
expect_eq "single opt-in: confirmed at once" "$(sqlite3 "$db" "select status from subscribers where email='leaver@example.com'")" confirmed
mails_before=$(outbox_files | wc -l)
# they leave (the state the one-click unsubscribe leaves)
sqlite3 "$db" "update subscribers set status='unsubscribed' where email='leaver@example.com'"
expect_eq "someone signs the address up again" "$(signup leaver@example.com)" 200
sleep 1
expect_eq "who left is not put back to confirmed: pending" \
	"$(sqlite3 "$db" "select status from subscribers where email='leaver@example.com'")" pending
for i in $(seq 1 50); do [ "$(outbox_files | wc -l)" -gt "$mails_before" ] && break; sleep 0.1; done
last=$(outbox_files | tail -1)
check "and is asked by mail to confirm" test "$(outbox_files | wc -l)" -gt "$mails_before"
expect_contains "the mail goes to them" "$(mail_header "$last" To)" "leaver@example.com"
serve_stop
finish
