#!/usr/bin/env bash
# The signup box on publishers' pages, over HTTP with curl: --embed-origin
# (flag, environment, file), the snippet, /embed.js (versioned URL, caching,
# integrity value, size), the CORS preflight and headers on
# /api/subscribe, the plain form post from a listed origin with no cookie
# (Origin, else Referer; Sec-Fetch-Site), refusals of every other origin
# with nothing stored, the article's URL as the consent's source, the
# honeypot and the confirmation cap on embedded signups, the CSRF cookie
# kept across pages, and the script's Mustache subset against mustache.js.
source tests/lib.sh
source tests/lib/serve.sh
SRC=${NEWSFLASH_SRC:-$PWD}

pub="http://pub.example:8000"
port=$(free_port)
base="http://127.0.0.1:$port"
db="$WORK/app/newsflash.db"
serve_start "$port" --publication "The Daily Example" --signup-rate 1000 --confirm-cap 2/30 \
	--embed-origin "$pub" --embed-origin "https://www.other.example" || { fail "serve starts"; finish; }
count() { sqlite3 "$db" "select count(*) from subscribers"; }
mails() { ls "$WORK/app/outbox/new" 2>/dev/null | wc -l; }

# --- configuration ---
"$NF" serve --embed-origin "https://pub.example/" --db "sqlite:$WORK/x.db" >"$WORK/bad.out" 2>&1
expect_eq "an origin with a path is refused" "$?" 2
expect_contains "and says why" "$(cat "$WORK/bad.out")" "an origin has no path"
"$NF" serve --embed-origin "javascript:alert(1)" --db "sqlite:$WORK/x.db" >"$WORK/bad.out" 2>&1
expect_eq "a non-http origin is refused" "$?" 2
printf 'embed-origin = https://a.example\nembed-origin = http://b.example:8080\n' >"$WORK/nf.conf"
out=$("$NF" config check --config "$WORK/nf.conf" --db "sqlite:$WORK/c.db" --transport "maildir:$WORK/mx" \
	--secret-file "$WORK/secret" --templates "$SRC/templates" 2>&1)
# (config check also warns about this test's Maildir and unset base URL)
expect_eq "embed-origin lines in the file are good" "$(grep -v '^warning:' <<<"$out")" "ok: $WORK/nf.conf"
out=$(NEWSFLASH_EMBED_ORIGIN="https://a.example,https://B.example/x" "$NF" config check --db "sqlite:$WORK/c.db" \
	--transport "maildir:$WORK/mx" --secret-file "$WORK/secret" --templates "$SRC/templates" 2>&1)
expect_contains "NEWSFLASH_EMBED_ORIGIN is read, each checked" "$out" "--embed-origin https://B.example/x"

# --- the snippet and the script ---
snippet=$("$NF" embed snippet --base-url "$base/" --publication "The Daily Example" --templates "$SRC/templates")
expect_contains "snippet: the form posts to /subscribe" "$snippet" "action=\"$base/subscribe\""
expect_contains "snippet: the heading" "$snippet" "sign up to our breaking news emails</h2>"
expect_contains "snippet: the marketing box" "$snippet" "I would like to be emailed about offers, events and updates from The Daily Example"
expect_contains "snippet: the privacy link" "$snippet" "Read our privacy policy</a>"
expect_contains "snippet: label for the field" "$snippet" '<label for="nf-email"'
expect_contains "snippet: the error linked to the field" "$snippet" 'aria-describedby="nf-signup-errors"'
expect_contains "snippet: a live region" "$snippet" 'role="alert" aria-live="polite"'
expect_contains "snippet: the seed's error template" "$snippet" '{{ #verifyErrors }} {{ message }} {{ /verifyErrors }} {{ ^verifyErrors }} Something went wrong. Please try again later {{ /verifyErrors }}'
src=$(echo "$snippet" | sed -n 's/.*<script src="\([^"]*\)".*/\1/p')
sri=$(echo "$snippet" | sed -n 's/.*integrity="\([^"]*\)".*/\1/p')
expect_contains "snippet: a versioned script URL" "$src" "$base/embed/"
curl -s -D "$WORK/h" -o "$WORK/embed.js" "$src"
expect_eq "the versioned script's integrity value" "$sri" "sha256-$(openssl dgst -sha256 -binary "$WORK/embed.js" | base64)"
expect_contains "cached a year, immutable" "$(cat "$WORK/h")" "Cache-Control: public, max-age=31536000, immutable"
expect_contains "a script" "$(cat "$WORK/h")" "Content-Type: text/javascript"
expect_contains "fetchable with CORS (integrity needs it)" "$(cat "$WORK/h")" "Access-Control-Allow-Origin: *"
case "$(cat "$WORK/h")" in *no-store*) fail "no no-store on the script" ;; *) ok "no no-store on the script" ;; esac
size=$(gzip -9c "$WORK/embed.js" | wc -c)
check "the script is at most 6 KB gzipped ($size bytes)" test "$size" -le 6144
curl -s -D "$WORK/h" -o "$WORK/plain.js" "$base/embed.js"
check "/embed.js is the same script" cmp -s "$WORK/plain.js" "$WORK/embed.js"
expect_contains "/embed.js cached briefly" "$(cat "$WORK/h")" "Cache-Control: public, max-age=300"
expect_eq "an old version's URL is 404" "$(curl -s -o /dev/null -w '%{http_code}' "$base/embed/0123456789abcdef.js")" 404
out=$("$NF" embed snippet --base-url "$base" --list "Not A List" --templates "$SRC/templates" 2>&1)
expect_contains "--list must be a list's name" "$out" "--list"
expect_contains "--list puts the list in the form" \
	"$("$NF" embed snippet --base-url "$base" --list politics --templates "$SRC/templates")" 'name="list" value="politics"'

# --- CORS preflight ---
pre() {	# pre ORIGIN [extra curl args] -> headers in $WORK/h, status printed
	local o=$1; shift
	curl -s -X OPTIONS -D "$WORK/h" -o /dev/null -w '%{http_code}' -H "Origin: $o" \
		-H "Access-Control-Request-Method: POST" "$@" "$base/api/subscribe"
}
expect_eq "preflight from a listed origin: 204" "$(pre "$pub" -H "Access-Control-Request-Headers: content-type" -H "Sec-Fetch-Site: cross-site")" 204
h=$(cat "$WORK/h")
expect_contains "preflight: that origin allowed" "$h" "Access-Control-Allow-Origin: $pub"
expect_contains "preflight: POST" "$h" "Access-Control-Allow-Methods: POST"
expect_contains "preflight: Content-Type" "$h" "Access-Control-Allow-Headers: Content-Type"
expect_contains "preflight: Vary: Origin" "$h" "Vary: Origin"
case "$h" in *Allow-Credentials*) fail "preflight: no credentials" ;; *) ok "preflight: no credentials" ;; esac
expect_eq "preflight from another origin: 403" "$(pre "https://evil.example")" 403
case "$(cat "$WORK/h")" in *Access-Control-Allow-Origin*) fail "no CORS for another origin" ;; *) ok "no CORS for another origin" ;; esac
expect_eq "preflight asking for another header: 403" "$(pre "$pub" -H "Access-Control-Request-Headers: content-type, x-api-key")" 403
expect_eq "preflight for PUT: 403" "$(curl -s -X OPTIONS -o /dev/null -w '%{http_code}' -H "Origin: $pub" -H "Access-Control-Request-Method: PUT" "$base/api/subscribe")" 403
expect_eq "preflight: a listed origin's look-alike is refused" "$(pre "$pub.evil.example")" 403

# --- the API from the box ---
api() {	# api ORIGIN JSON [curl args] -> status; headers $WORK/h, body $WORK/body
	local o=$1 j=$2; shift 2
	curl -s -D "$WORK/h" -o "$WORK/body" -w '%{http_code}' -H "Origin: $o" -H "Content-Type: application/json" \
		--data "$j" "$@" "$base/api/subscribe"
}
code=$(api "$pub" '{"email":"box.reader@example.com","marketing":true,"page":"'"$pub"'/news/2024/flood?x=1"}' -H "Sec-Fetch-Site: cross-site")
expect_eq "embedded signup: 200" "$code" 200
expect_contains "embedded signup: thanks" "$(cat "$WORK/body")" "Thanks for signing up to the Breaking News email"
expect_contains "embedded signup: ACAO for that origin" "$(cat "$WORK/h")" "Access-Control-Allow-Origin: $pub"
case "$(cat "$WORK/h")" in *Allow-Credentials*|*Set-Cookie*) fail "embedded signup: no credentials, no cookie" ;; *) ok "embedded signup: no credentials, no cookie" ;; esac
expect_eq "consent row names the article" \
	"$(sqlite3 "$db" "select distinct c.source||' '||substr(c.wording_version,1,6) from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='box.reader@example.com'")" \
	"embed: $pub/news/2024/flood?x=1 embed-"
for i in $(seq 1 50); do [ "$(mails)" -ge 1 ] && break; sleep 0.1; done
expect_eq "the confirmation is mailed" "$(mails)" 1
code=$(api "$pub" '{"email":"not-an-address"}')
expect_eq "bad address from the box: 422" "$code" 422
expect_contains "422 carries verifyErrors" "$(cat "$WORK/body")" '"verifyErrors":[{"message":"Please enter a valid email address"}]'
expect_contains "422 readable by the box (ACAO)" "$(cat "$WORK/h")" "Access-Control-Allow-Origin: $pub"
code=$(api "$pub" '{"email":"page.elsewhere@example.com","page":"https://evil.example/x"}' -H "Referer: $pub/story/7")
expect_eq "a page on another origin is not taken: the Referer is" \
	"$(sqlite3 "$db" "select distinct c.source from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='page.elsewhere@example.com'")" "embed: $pub/story/7"
n=$(count)
code=$(api "https://evil.example" '{"email":"evil.api@example.com"}')
expect_eq "another origin: 403" "$code" 403
case "$(cat "$WORK/h")" in *Access-Control-Allow-Origin*) fail "another origin: no ACAO" ;; *) ok "another origin: no ACAO" ;; esac
code=$(api "$pub" '{"email":"mixed.up@example.com"}' -H "Sec-Fetch-Site: same-origin")
expect_eq "a listed Origin with Sec-Fetch-Site same-origin: 403" "$code" 403
code=$(api "null" '{"email":"null.origin@example.com"}')
expect_eq "Origin null: 403" "$code" 403
expect_eq "refused: nothing stored" "$(count)" "$n"
code=$(api "$pub" '{"email":"bot@example.com","website":"http://spam.example"}')
expect_eq "honeypot from the box: the same 200" "$code" 200
expect_eq "honeypot: nothing stored" "$(count)" "$n"

# --- --list: the box's signups join that list; a made-up list is refused ---
"$NF" lists create politics --db "sqlite:$db" >/dev/null
code=$(api "$pub" '{"email":"politics.fan@example.com","list":"politics"}')
expect_eq "a signup for a list: 200" "$code" 200
expect_eq "the member is on that list" \
	"$(sqlite3 "$db" "select l.name from memberships m join lists l on l.id=m.list_id join subscribers s on s.id=m.subscriber_id where s.email='politics.fan@example.com'")" politics
n=$(count)
expect_eq "a list that does not exist: 400" "$(api "$pub" '{"email":"nolist@example.com","list":"nope"}')" 400
expect_eq "a list that does not exist: nothing stored" "$(count)" "$n"

# --- the form without JavaScript, no cookie ---
form() {	# form DATA [curl args] -> status; body $WORK/body
	local d=$1; shift
	curl -s -D "$WORK/h" -o "$WORK/body" -w '%{http_code}' --data "$d" "$@" "$base/subscribe"
}
code=$(form "email=nojs.reader%40example.com&return_to=$pub%2Fnews%2Fflood" -H "Origin: $pub" -H "Sec-Fetch-Site: cross-site")
expect_eq "form from a listed origin, no cookie: 200" "$code" 200
expect_contains "lands on the thanks page" "$(cat "$WORK/body")" "Thanks for signing up to the Breaking News email"
expect_contains "with a link back to the article" "$(cat "$WORK/body")" "<a href=\"$pub/news/flood\">Back to the article</a>"
code=$(form "email=referer.only%40example.com" -H "Referer: $pub/news/storm")
expect_eq "no Origin: the Referer's origin is checked: 200" "$code" 200
expect_eq "and the Referer is the source" \
	"$(sqlite3 "$db" "select distinct c.source from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='referer.only@example.com'")" "embed: $pub/news/storm"
code=$(form "email=evil.return%40example.com&return_to=https%3A%2F%2Fevil.example%2F" -H "Origin: $pub")
case "$(cat "$WORK/body")" in *evil.example*) fail "a return_to on another origin is ignored" ;; *) ok "a return_to on another origin is ignored" ;; esac
code=$(form "email=bad" -H "Origin: $pub")
expect_eq "bad address from the form: 422" "$code" 422
expect_contains "the error on our page, a link back" "$(cat "$WORK/body")" "Back to the article"
n=$(count)
expect_eq "form from another origin: 403" "$(form "email=evil.form%40example.com" -H "Origin: https://evil.example")" 403
expect_eq "form with another site's Referer: 403" "$(form "email=evil.ref%40example.com" -H "Referer: https://evil.example/page")" 403
expect_eq "form from a listed origin but Sec-Fetch-Site same-origin: 403" \
	"$(form "email=mixed.form%40example.com" -H "Origin: $pub" -H "Sec-Fetch-Site: same-origin")" 403
expect_eq "form with no Origin, no Referer and no cookie: 403" "$(form "email=bare%40example.com")" 403
expect_eq "refused forms: nothing stored" "$(count)" "$n"
expect_eq "honeypot in the form: thanks" "$(form "email=bot2%40example.com&website=x" -H "Origin: $pub")" 200
expect_eq "honeypot in the form: nothing stored" "$(count)" "$n"

# --- the cap on confirmations holds for embedded signups (2 per mailbox here) ---
before=$(mails)
for tag in a b c d; do
	api "$pub" '{"email":"capped+'$tag'@example.com"}' >/dev/null
done
sleep 1
expect_eq "embedded signups: at most 2 confirmations to one mailbox" "$(( $(mails) - before ))" 2

# --- newsflash's own page: one CSRF cookie per browser ---
jar="$WORK/jar"
p1=$(curl -s -c "$jar" -b "$jar" "$base/")
t1=$(echo "$p1" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
curl -s -D "$WORK/h" -c "$jar" -b "$jar" -o "$WORK/p2" "$base/"
t2=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/p2")
expect_eq "a second page keeps the token" "$t2" "$t1"
case "$(cat "$WORK/h")" in *Set-Cookie*) fail "a second page sets no new cookie" ;; *) ok "a second page sets no new cookie" ;; esac
code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' --data "csrf=$t1&email=two.tabs%40example.com" -H "Origin: $base" "$base/subscribe")
expect_eq "the first page's form still posts" "$code" 200
curl -s -D "$WORK/h" -b "nf_csrf=forged" -o "$WORK/p3" "$base/"
expect_contains "a forged cookie is replaced" "$(cat "$WORK/h")" "Set-Cookie: nf_csrf="

# --- the script's Mustache against mustache.js ---
if [ -f /usr/share/nodejs/mustache/mustache.js ] && command -v node >/dev/null; then
	while read -r line; do
		case "$line" in ok\ *) ok "${line#ok }" ;; FAIL\ *) fail "${line#FAIL }" ;; esac
	done < <(node "$SRC/tests/browser/embed-mustache.cjs" "$WORK/embed.js" 2>&1)
else
	skip "embed.js Mustache against mustache.js" "node or Debian's node-mustache missing (scripts/deps)"
fi
serve_stop
finish
