#!/usr/bin/env bash
# The signup box end to end over HTTP with curl: the page, validation
# messages, CSRF and Origin checks, the confirmation email in the Maildir,
# double opt-in by POST only, the consent ledger, no enumeration, rate
# limits, size limits, the JSON API, and a clean SIGTERM.
source tests/lib.sh
source tests/lib/serve.sh

port=$(free_port)
base="http://127.0.0.1:$port"
db="$WORK/app/newsflash.db"
jar="$WORK/cookies"
serve_start "$port" --publication "The Daily Example" --from "Breaking News <alerts@news.example>" --signup-rate 1000 || { fail "serve starts"; finish; }

page=$(curl -s -c "$jar" "$base/")
expect_contains "signup page heading" "$page" "For free real time breaking news alerts sent straight to your inbox sign up to our breaking news emails"
expect_contains "signup page button" "$page" ">SIGN UP</button>"
expect_contains "marketing box names the publication" "$page" "I would like to be emailed about offers, events and updates from The Daily Example"
case "$page" in *'name="marketing" value="1" checked'*) fail "marketing box unticked" ;; *) ok "marketing box unticked" ;; esac
expect_contains "privacy link" "$page" '<a href="/privacy">Read our privacy policy</a>'
expect_contains "error region is announced" "$page" 'aria-live="polite"'
csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
check "csrf token in form" test -n "$csrf"
expect_contains "privacy page" "$(curl -s "$base/privacy")" "Privacy policy"

post() {	# post FORM-DATA [curl options] -> "STATUS BODY"
	local data=$1; shift
	curl -s -b "$jar" -o "$WORK/body" -w '%{http_code}' --data "$data" "$@" "$base/subscribe"
}

code=$(post "csrf=$csrf&email=not-an-address")
expect_eq "bad address is 422" "$code" 422
expect_contains "bad address message" "$(cat "$WORK/body")" "Please enter a valid email address"
expect_contains "bad address keeps what was typed" "$(cat "$WORK/body")" 'value="not-an-address"'
code=$(post "csrf=$csrf&email=")
expect_eq "empty address is 422" "$code" 422
code=$(post "csrf=$csrf&email=reader%40gmial.com")
expect_contains "typo hint" "$(cat "$WORK/body")" "Did you mean <strong>reader@gmail.com</strong>?"
check "a hinted address is not stored yet" test "$(sqlite3 "$db" 'select count(*) from subscribers')" = 0
code=$(post "csrf=$csrf&email=a%0d%0aBcc%3a+x%40evil.example%40example.com")
expect_eq "CR/LF in the address is 422" "$code" 422
code=$(post "csrf=$csrf&email=%3Cscript%3E%40example.com")
case "$(cat "$WORK/body")" in *"<script>@"*) fail "typed value is escaped" ;; *) ok "typed value is escaped" ;; esac

code=$(post "email=reader%40example.com")
expect_eq "missing CSRF token is 403" "$code" 403
code=$(post "csrf=$csrf&email=reader%40example.com" -H "Origin: https://evil.example")
expect_eq "foreign Origin is 403" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' --data "csrf=$csrf&email=reader%40example.com" "$base/subscribe")
expect_eq "token without its cookie is 403" "$code" 403
check "nothing stored by refused posts" test "$(sqlite3 "$db" 'select count(*) from subscribers')" = 0

code=$(post "csrf=$csrf&email=Reader%40Example.COM&marketing=1" -H "Origin: $base" -A "curl-test/1")
expect_eq "good address is 200" "$code" 200
expect_contains "thanks text" "$(cat "$WORK/body")" "Thanks for signing up to the Breaking News email"
expect_contains "asks to confirm" "$(cat "$WORK/body")" "confirm your address"
expect_eq "stored pending, domain lower-cased" "$(sqlite3 "$db" "select email||' '||status from subscribers")" "Reader@example.com pending"
expect_eq "consent rows: alerts and marketing given" \
	"$(sqlite3 "$db" "select group_concat(purpose||':'||action, ' ') from (select * from consent_events order by purpose)")" "alerts:given marketing:given"
expect_eq "ledger keeps ip, agent, source, wording" \
	"$(sqlite3 "$db" "select distinct ip||' '||user_agent||' '||source||' '||length(wording_hash)||' '||substr(wording_version,1,7) from consent_events")" \
	"127.0.0.1 curl-test/1 form 64 signup-"

for i in $(seq 1 30); do [ -n "$(outbox_files)" ] && break; sleep 0.1; done
mails=$(outbox_files | wc -l)
expect_eq "one confirmation email" "$mails" 1
msg=$(outbox_files | head -1)
expect_eq "confirmation goes to the address" "$(mail_header "$msg" To)" "Reader@example.com"
link=$(mail_text "$msg" | grep -o "$base/confirm/[A-Za-z0-9_-]*" | head -1)
check "confirmation link in the text part" test -n "$link"

code=$(post "csrf=$csrf&email=reader%40example.com")
expect_eq "signing up again answers the same" "$code" 200
expect_contains "same thanks text" "$(cat "$WORK/body")" "Thanks for signing up to the Breaking News email"
sleep 0.5
expect_eq "no second confirmation within the interval" "$(outbox_files | wc -l)" 1
expect_eq "still one subscriber" "$(sqlite3 "$db" 'select count(*) from subscribers')" 1

code=$(curl -s -o "$WORK/body" -w '%{http_code}' "$link")
expect_eq "GET confirm is 200" "$code" 200
expect_contains "GET confirm shows a button" "$(cat "$WORK/body")" ">CONFIRM</button>"
expect_eq "GET confirm changes nothing" "$(sqlite3 "$db" 'select status from subscribers')" pending
bad="${link%?}"; case "${link: -1}" in A) bad="${bad}B" ;; *) bad="${bad}A" ;; esac
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$bad")
expect_eq "tampered token is 400" "$code" 400
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -A "confirm-agent/2" "$link")
expect_eq "POST confirm is 200" "$code" 200
expect_contains "confirmed page" "$(cat "$WORK/body")" "You are subscribed"
expect_eq "subscriber confirmed" "$(sqlite3 "$db" 'select status from subscribers')" confirmed
expect_eq "confirmation in the ledger" \
	"$(sqlite3 "$db" "select action||' '||source||' '||user_agent from consent_events where action='confirmed'")" "confirmed confirm-link confirm-agent/2"
code=$(post "csrf=$csrf&email=reader%40example.com")
expect_eq "confirmed subscriber signing up again: 200" "$code" 200
expect_eq "no second subscription" "$(sqlite3 "$db" "select count(*)||' '||status from subscribers")" "1 confirmed"

code=$(post "csrf=$csrf&email=typo%40gmial.com&typo_ok=typo%40gmial.com")
expect_eq "a hinted address sent again unchanged is taken" \
	"$(sqlite3 "$db" "select count(*) from subscribers where email='typo@gmial.com'")" 1

code=$(post "csrf=$csrf&email=bot%40example.com&website=http%3A%2F%2Fspam")
expect_eq "honeypot answers 200" "$code" 200
expect_eq "honeypot stores nothing" "$(sqlite3 "$db" "select count(*) from subscribers where email like 'bot@%'")" 0

api() { curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' --data "$1" "$base/api/subscribe"; }
expect_eq "API signup 200" "$(api '{"email":"api@example.org","marketing":false}')" 200
expect_contains "API thanks" "$(cat "$WORK/body")" '"message":"Thanks for signing up to the Breaking News email"'
expect_eq "API no marketing row when unticked" \
	"$(sqlite3 "$db" "select count(*) from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='api@example.org' and purpose='marketing'")" 0
expect_eq "API bad address 422" "$(api '{"email":"api@@example.org"}')" 422
expect_contains "API bad address message" "$(cat "$WORK/body")" '"error":"Please enter a valid email address"'
expect_eq "API bad JSON 400" "$(api '{"email":')" 400
code=$(curl -s -o /dev/null -w '%{http_code}' --data 'email=x@example.org' "$base/api/subscribe")
expect_eq "API wrong content type 415" "$code" 415

big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" --data "csrf=$csrf&email=$big" "$base/subscribe")
expect_eq "oversized form is 413" "$code" 413
expect_eq "unknown path 404" "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" 404
expect_eq "wrong method 405" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/subscribe")" 405
hdrs=$(curl -s -D - -o /dev/null "$base/")
expect_contains "CSP on pages" "$hdrs" "Content-Security-Policy: default-src 'none'"
expect_contains "no referrer leaks tokens to other sites" "$hdrs" "Referrer-Policy: same-origin"
expect_contains "CSRF cookie is HttpOnly and SameSite" "$hdrs" "HttpOnly; SameSite=Strict"

serve_stop
expect_eq "SIGTERM exits 0" "$SERVE_STATUS" 0

# the default rate limit: a burst of 20, then one a second, per client address
port=$(free_port); base="http://127.0.0.1:$port"; rm -f "$jar"
serve_start "$port" || { fail "serve restarts"; finish; }
page=$(curl -s -c "$jar" "$base/"); csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
codes="" start=$(date +%s%N)
for i in $(seq 1 25); do
	c=$(post "csrf=$csrf&email=rate$i%40example.com"); codes="$codes $c"
	[ "$c" = 429 ] && cp "$WORK/body" "$WORK/body429"
done
elapsed=$(( ($(date +%s%N) - start) / 1000000000 ))
n200=$(echo "$codes" | tr ' ' '\n' | grep -c '^200$'); n429=$(echo "$codes" | tr ' ' '\n' | grep -c '^429$')
# 20 at once, plus one for each whole second the 25 requests took
check "burst of 20 allowed, then one a second ($n200 in ${elapsed}s)" test "$n200" -ge 20 -a "$n200" -le $((21 + elapsed))
expect_eq "the rest are 429" "$n429" $((25 - n200))
# a slow machine may have earned back every token meanwhile: post on until one is refused
i=25
while [ ! -s "$WORK/body429" ] && [ $i -lt 80 ]; do
	i=$((i + 1))
	[ "$(post "csrf=$csrf&email=rate$i%40example.com")" = 429 ] && cp "$WORK/body" "$WORK/body429"
done
expect_contains "429 says why" "$(cat "$WORK/body429" 2>/dev/null)" "Too many sign-ups"
serve_stop
finish
