#!/usr/bin/env bash
# The newsroom over HTTP with curl: editor accounts (newsflash editor), the
# sign-in (Argon2id hashes, failures, growing delays per name and per
# address answered 429 with Retry-After, no difference between a wrong name
# and a wrong password), the session cookie's attributes (HttpOnly,
# SameSite=Strict, Path, Secure under https), CSRF and Origin refusals on
# every form, the preview (the same bytes as the test email), validation
# messages, publishing after confirmation (once, however often the button
# is pressed), the live progress stream, the kill switch, the history, the
# audience chart, the per-page Content-Security-Policy, and a clean stop
# with event streams open.
source tests/lib.sh
source tests/lib/serve.sh

port=$(free_port)
base="http://127.0.0.1:$port"
db="$WORK/app/newsflash.db"
mkdir -p "$WORK/app"
jar="$WORK/jar"

# ---- accounts ----
"$NF" db migrate --db "sqlite:$db" >/dev/null
printf 'correct horse battery staple\n' | "$NF" editor add Jane --email jane@news.example --db "sqlite:$db" >"$WORK/out" 2>&1
expect_eq "editor add" "$(cat "$WORK/out")" "editor jane added, test alerts to jane@news.example"
printf 'another long password\n' | "$NF" editor add bob --db "sqlite:$db" >/dev/null 2>&1
check "a second editor, without an address" test $? -eq 0
printf 'too short\n' | "$NF" editor add carol --db "sqlite:$db" >/dev/null 2>"$WORK/err"
expect_eq "a short password is refused (exit 2)" "$?" 2
expect_contains "the refusal says why" "$(cat "$WORK/err")" "a password of 12 to 1024 characters is needed"
printf 'correct horse battery staple\n' | "$NF" editor add jane --db "sqlite:$db" >/dev/null 2>"$WORK/err"
expect_contains "a taken name is refused" "$(cat "$WORK/err")" "an editor named 'jane' exists"
printf 'correct horse battery staple\n' | "$NF" editor add "jane doe" --db "sqlite:$db" >/dev/null 2>&1
check "a name with a space is refused" test $? -ne 0
expect_eq "only an Argon2id hash is stored" \
	"$(sqlite3 "$db" "select count(*) from editors where password_hash like '\$argon2id\$v=19\$m=19456,t=2,p=1\$%' and password_hash not like '%horse%'")" 2
expect_contains "editor list" "$("$NF" editor list --db "sqlite:$db")" "jane@news.example"

/usr/bin/python3 -c '
for i in range(5): print("reader%d@example.net" % i)' >"$WORK/readers.csv"
"$NF" subscribers import "$WORK/readers.csv" --list breaking-news --consent-source "newsroom test" --db "sqlite:$db" >/dev/null 2>&1
# --signin-delay 5: the first wait after failures is 5 s, so that no check below
# depends on how fast a loaded machine answers two requests
serve_start "$port" --publication "The Daily Example" --from "Breaking News <alerts@news.example>" \
	--signin-delay 5 || { fail "serve starts"; finish; }

# req [curl options] URL: the status in $code, the headers in $WORK/h, the body in $WORK/b
req() {
	code=$(curl -s -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@")
}
header() { grep -i "^$1:" "$WORK/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
field() { sed -n "s/.*name=\"$1\" value=\"\\([^\"]*\\)\".*/\\1/p" "$WORK/b" | head -1; }
signin_form() {	# a fresh sign-in page into the jar; its token in $scsrf
	req -c "$jar" -b "$jar" "$base/newsroom/signin"
	scsrf=$(field csrf)
}
signin() {	# signin NAME PASSWORD [curl options]
	local name=$1 pw=$2; shift 2
	signin_form
	req -c "$jar" -b "$jar" --data-urlencode "csrf=$scsrf" --data-urlencode "name=$name" \
		--data-urlencode "password=$pw" "$@" "$base/newsroom/signin"
}

# ---- signed out ----
req "$base/newsroom"
expect_eq "signed out: 303" "$code" 303
expect_eq "to the sign-in page" "$(header Location)" "/newsroom/signin"
req "$base/newsroom/compose"
expect_eq "every page wants a session" "$code:$(header Location)" "303:/newsroom/signin"
signin_form
expect_eq "sign-in page" "$code" 200
expect_contains "sign-in form" "$(cat "$WORK/b")" 'autocomplete="current-password"'
expect_contains "newsroom pages allow only their nonce's script" "$(header Content-Security-Policy)" "script-src 'nonce-"
nonce1=$(header Content-Security-Policy | sed -n "s/.*'nonce-\\([^']*\\)'.*/\\1/p")
signin_form
nonce2=$(header Content-Security-Policy | sed -n "s/.*'nonce-\\([^']*\\)'.*/\\1/p")
check "a fresh nonce each time" test -n "$nonce1" -a "$nonce1" != "$nonce2"
req "$base/"
case "$(header Content-Security-Policy)" in
*script-src*|*nonce*) fail "other pages keep scripts off" "$(header Content-Security-Policy)" ;;
"default-src 'none';"*) ok "other pages keep scripts off" ;;
*) fail "other pages keep scripts off" "$(header Content-Security-Policy)" ;;
esac

# ---- CSRF and Origin on the sign-in ----
signin_form
req -c "$jar" -b "$jar" --data "name=jane&password=correct+horse+battery+staple" "$base/newsroom/signin"
expect_eq "sign-in without its token: 403" "$code" 403
req -b "$jar" --data "csrf=$scsrf&name=jane&password=correct+horse+battery+staple" -H "Origin: https://evil.example" "$base/newsroom/signin"
expect_eq "sign-in from another site: 403" "$code" 403
check "no session from refused sign-ins" test "$(sqlite3 "$db" 'select count(*) from editor_sessions')" = 0

# ---- failures and growing delays ----
signin jane "wrong password one"
expect_eq "wrong password: 401" "$code" 401
wrong_known=$(grep -o 'The name or password is not right[^<]*' "$WORK/b")
signin nobody "wrong password one"
expect_eq "unknown name: 401 too" "$code" 401
expect_eq "the same words for a wrong name and a wrong password" \
	"$(grep -o 'The name or password is not right[^<]*' "$WORK/b")" "$wrong_known"
signin jane "wrong password two"
signin jane "wrong password three"
expect_eq "third failure: 401 with Retry-After" "$code $(header Retry-After)" "401 6"
expect_contains "the page says when to try again" "$(cat "$WORK/b")" 'You can try again in <strong id="wait">6</strong> seconds'
signin jane "correct horse battery staple"
expect_eq "too early, even with the right password: 429" "$code" 429
check "429 says Retry-After" test -n "$(header Retry-After)"
check "no cookie while waiting" test -z "$(grep -i 'set-cookie: nf_session' "$WORK/h")"
expect_eq "the editor's failures are counted in the database" "$(sqlite3 "$db" "select failed_signins from editors where name='jane'")" 3
sleep 6.1
asked=$(date +%s)
signin jane "wrong password four"
expect_eq "after the wait a try is heard: 401" "$code" 401
expect_eq "the next wait is twice as long" "$(header Retry-After)" 11
signin jane "correct horse battery staple"
expect_eq "and is enforced: 429" "$code" 429
r=$(header Retry-After)
# the wait counts from the fourth failure: a slow machine (each sign-in
# hashes a password) has used up some of it by now
waited=$(($(date +%s) - asked))
check "Retry-After counts down ($r after ${waited} s)" test "$r" -ge $((10 - waited)) -a "$r" -le 11
signin nobody "wrong password two"
signin nobody "wrong password three"
expect_eq "an unknown name is delayed alike" "$code $(header Retry-After)" "401 6"
signin nobody "wrong password four"
expect_eq "an unknown name must wait alike: 429" "$code" 429
printf 'correct horse battery staple\n' | "$NF" editor passwd jane --db "sqlite:$db" >/dev/null
expect_eq "editor passwd clears the failures" "$(sqlite3 "$db" "select failed_signins from editors where name='jane'")" 0

# ---- signing in ----
signin JANE "correct horse battery staple" -A "curl-newsroom/1"
expect_eq "right password: 303 to the dashboard" "$code:$(header Location)" "303:/newsroom"
cookie=$(grep -i '^set-cookie: nf_session=' "$WORK/h" | tr -d '\r')
expect_contains "session cookie is HttpOnly" "$cookie" "; HttpOnly"
expect_contains "session cookie is SameSite=Strict" "$cookie" "; SameSite=Strict"
expect_contains "session cookie is only for the newsroom" "$cookie" "; Path=/newsroom"
expect_contains "session cookie expires" "$cookie" "; Max-Age=43200"
case "$cookie" in *Secure*) fail "no Secure over plain http" ;; *) ok "no Secure over plain http" ;; esac
token=$(echo "$cookie" | sed -n 's/^[^=]*=\([^;]*\);.*/\1/p')
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
expect_eq "the store keeps only the digest of the session id" \
	"$(sqlite3 "$db" "select count(*) from editor_sessions where id_hash = '$hash' and id_hash <> '$token'")" 1
expect_eq "session remembers the client" "$(sqlite3 "$db" "select ip || ' ' || user_agent from editor_sessions")" "127.0.0.1 curl-newsroom/1"
expect_eq "a good sign-in clears the failures" "$(sqlite3 "$db" "select failed_signins from editors where name='jane'")" 0
req -b "$jar" "$base/newsroom"
expect_eq "dashboard" "$code" 200
expect_contains "dashboard counts the audience" "$(cat "$WORK/b")" '<div class="value" id="stat-confirmed">5</div>'
expect_contains "dashboard chart is inline SVG" "$(cat "$WORK/b")" '<svg xmlns="http://www.w3.org/2000/svg" class="chart"'
check "the page fetches nothing from elsewhere" test -z "$(grep -Eo '(src|href)="https?://[^"]*' "$WORK/b" | grep -v "127.0.0.1:$port")"
csrf=$(field csrf)
check "signed-in pages carry the session's token" test -n "$csrf" -a "$csrf" != "$scsrf"
req -b "$jar" "$base/newsroom/signin"
expect_eq "signed in, the sign-in page sends to the dashboard" "$code:$(header Location)" "303:/newsroom"

# ---- compose: CSRF, Origin, validation ----
story=(--data-urlencode "headline=Floods close the M4 & the A48"
	--data-urlencode "standfirst=Drivers are told to avoid the area"
	--data-urlencode $'body=Water is a metre deep at junction 32.\r\nPolice closed it at 6am.\r\n\r\nA <script>alert(1)</script> tag stays text.'
	--data-urlencode "byline=A. Reporter" --data-urlencode "url=https://news.example/floods"
	--data-urlencode "image_url=https://img.example/m4.jpg" --data-urlencode "image_caption=The M4 at junction 32"
	--data-urlencode "image_credit=PA" --data-urlencode "topics=Weather, travel")
req -b "$jar" "${story[@]}" "$base/newsroom/preview"
expect_eq "preview without the token: 403" "$code" 403
expect_contains "and says why" "$(cat "$WORK/b")" "This form has expired or did not come from the newsroom"
req -b "$jar" --data-urlencode "csrf=$scsrf" "${story[@]}" "$base/newsroom/preview"
expect_eq "a sign-in page's token is not a session's: 403" "$code" 403
req -b "$jar" --data-urlencode "csrf=$csrf" -H "Origin: https://evil.example" "${story[@]}" "$base/newsroom/preview"
expect_eq "preview from another site: 403" "$code" 403
req --data-urlencode "csrf=$csrf" "${story[@]}" "$base/newsroom/preview"
expect_eq "a token without its session: 403" "$code" 403
bobjar="$WORK/bob"
cp "$jar" "$WORK/jane"
jar=$bobjar signin bob "another long password"
req -b "$bobjar" "$base/newsroom/compose"
bobcsrf=$(field csrf)
expect_contains "compose: no topic list yet, and how to make one" "$(cat "$WORK/b")" "No topic list exists yet"
"$NF" lists create politics --db "sqlite:$db" >/dev/null 2>&1
req -b "$bobjar" "$base/newsroom/compose"
expect_contains "compose: the topics readers can follow, with their readers" "$(cat "$WORK/b")" '<input type="checkbox" name="topic" value="politics"> <span class="topic-name">politics</span> <span class="count">0 readers</span>'
"$NF" lists create weather --db "sqlite:$db" >/dev/null 2>&1
"$NF" lists create travel --db "sqlite:$db" >/dev/null 2>&1
check "compose: breaking-news is not offered as a topic" test "$(grep -c 'value="breaking-news"' "$WORK/b")" -eq 0
req -b "$WORK/jane" --data-urlencode "csrf=$bobcsrf" "${story[@]}" "$base/newsroom/preview"
expect_eq "another editor's token: 403" "$code" 403
req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "headline=" --data-urlencode "standfirst=kept" "$base/newsroom/preview"
expect_eq "no headline: 422" "$code" 422
expect_contains "no headline: the message" "$(cat "$WORK/b")" "Headline is required"
expect_contains "what was typed is kept" "$(cat "$WORK/b")" ">kept</textarea>"
req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode $'headline=Line one\r\nBcc: x@evil.example' "$base/newsroom/preview"
expect_contains "a line break in the headline (the Subject) is refused" "$(cat "$WORK/b")" "Headline must be one line without control characters"
req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "headline=H" --data-urlencode "image_url=ftp://img.example/x.jpg" "$base/newsroom/preview"
expect_contains "an image address must be http(s)" "$(cat "$WORK/b")" "Image address must be an absolute http or https URL"
req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "headline=H" --data-urlencode "image_caption=A caption" "$base/newsroom/preview"
expect_contains "a caption needs a picture" "$(cat "$WORK/b")" "Image address is needed for a caption or credit"
req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "headline=H" --data-urlencode "topics=bad_topic!" "$base/newsroom/preview"
expect_contains "topics are checked" "$(cat "$WORK/b")" "Topics each topic must be lower-case letters, digits and hyphens"
head -c 600000 /dev/zero | tr '\0' 'a' >"$WORK/big"
req -b "$jar" --data-binary @"$WORK/big" "$base/newsroom/preview"
expect_eq "a body over 512 KiB: 413" "$code" 413

# ---- preview: the email as it is sent ----
req -b "$jar" --data-urlencode "csrf=$csrf" "${story[@]}" "$base/newsroom/preview"
expect_eq "preview: 200" "$code" 200
page=$(cat "$WORK/b")
expect_contains "the HTML part in a sandboxed frame" "$page" '<iframe class="email" id="html-part" sandbox="allow-same-origin" srcdoc="'
expect_contains "the frame holds the email's markup" "$page" '&lt;h1 style='
expect_contains "the headline in the email, escaped" "$page" 'Floods close the M4 &amp;amp; the A48'
expect_contains "markup typed in the story stays text" "$page" '&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;'
srcdoc=$(/usr/bin/python3 -c '
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
print(html.unescape(re.search(r"srcdoc=\"([^\"]*)\"", page).group(1)))' "$WORK/b")
case "$srcdoc" in *'<script'*) fail "no live script reaches the email" ;; *'&lt;script&gt;alert(1)'*) ok "no live script reaches the email" ;; *) fail "no live script reaches the email" "text gone" ;; esac
expect_contains "paragraphs and line breaks" "$page" 'junction 32.&lt;br&gt;'
expect_contains "the picture and its credit" "$page" 'Photograph: PA'
expect_contains "the text part" "$page" "Unsubscribe: $base/u/"
expect_contains "the subject" "$page" '<strong>Floods close the M4 &amp; the A48</strong>'
expect_contains "the draft travels in the form" "$page" 'name="headline" value="Floods close the M4 &amp; the A48"'
/usr/bin/python3 - "$WORK/b" >"$WORK/preview.txt" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<pre class="text" id="text-part">(.*?)</pre>', page, re.S)
sys.stdout.write(html.unescape(m.group(1)) if m else '')
PY

# ---- a test to the editor, through the engine's priority lane ----
before=$(outbox_files | wc -l)
req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "test_to=jane@news.example" "${story[@]}" "$base/newsroom/test"
expect_eq "test: 200" "$code" 200
expect_contains "test: the notice" "$(cat "$WORK/b")" "A test, its subject starting [TEST], was sent to jane@news.example"
case "$(cat "$WORK/b")" in *"<dd>0.0 KB"*) fail "test: the page still gives the size" ;; *) ok "test: the page still gives the size" ;; esac
for i in $(seq 1 50); do [ "$(outbox_files | wc -l)" -gt "$before" ] && break; sleep 0.1; done
msg=$(outbox_files | tail -1)
expect_eq "the test went to the editor" "$(mail_header "$msg" To)" "jane@news.example"
expect_eq "with the headline as subject, marked a test" "$(mail_header "$msg" Subject)" "[TEST] Floods close the M4 & the A48"
mail_text "$msg" | tr -d '\r' >"$WORK/test.txt"
if diff <(grep -v ' UTC$' "$WORK/preview.txt") <(grep -v ' UTC$' "$WORK/test.txt") >"$WORK/diff"; then
	ok "the preview's text is the test email's, byte for byte"
else
	fail "the preview's text is the test email's, byte for byte" "$(head -5 "$WORK/diff")"
fi
req -b "$bobjar" --data-urlencode "csrf=$bobcsrf" "${story[@]}" "$base/newsroom/preview"
expect_contains "an editor without an address is offered no desk address" "$(cat "$WORK/b")" 'name="test_to" value=""'
req -b "$bobjar" --data-urlencode "csrf=$bobcsrf" "${story[@]}" "$base/newsroom/test"
expect_eq "and a test to nobody: 422" "$code" 422
expect_contains "saying why" "$(cat "$WORK/b")" "Please give at least one desk address for the test"

# ---- publish: a confirmation, then once only ----
req -b "$jar" --data-urlencode "csrf=$csrf" "${story[@]}" "$base/newsroom/publish"
expect_eq "publish asks first: 200" "$code" 200
expect_contains "naming the audience" "$(cat "$WORK/b")" '<strong id="recipients">5</strong> confirmed subscribers'
expect_eq "nothing published yet" "$(sqlite3 "$db" 'select count(*) from alerts')" 0
ptoken=$(field publish_token)
req -b "$jar" --data-urlencode "csrf=$csrf" --data "confirm=yes" --data "publish_token=$ptoken" -H "Origin: https://evil.example" "${story[@]}" "$base/newsroom/publish"
expect_eq "a confirmation from another site: 403" "$code" 403
req -b "$jar" --data-urlencode "csrf=$csrf" --data "confirm=yes" --data "publish_token=$ptoken" "${story[@]}" "$base/newsroom/publish"
expect_eq "confirmed: 303 to the alert" "$code:$(header Location)" "303:/newsroom/alerts/1"
req -b "$jar" --data-urlencode "csrf=$csrf" --data "confirm=yes" --data "publish_token=$ptoken" "${story[@]}" "$base/newsroom/publish"
expect_eq "pressed again: the same alert" "$code:$(header Location)" "303:/newsroom/alerts/1"
expect_eq "one alert, one article, breaking" "$(sqlite3 "$db" 'select count(*), (select count(*) from articles where breaking = 1) from alerts')" "1|1"
expect_eq "the article as written" "$(sqlite3 "$db" "select headline || '|' || topics || '|' || byline from articles")" \
	'Floods close the M4 & the A48|["weather","travel"]|A. Reporter'
for i in $(seq 1 50); do [ "$(sqlite3 "$db" 'select state from alerts where id = 1')" = done ] && break; sleep 0.1; done
expect_eq "the alert was sent to the 5" "$(sqlite3 "$db" 'select state, total from alerts where id = 1')" "done|5"

# ---- following it ----
req -b "$jar" "$base/newsroom/alerts/1"
expect_eq "alert page" "$code" 200
expect_contains "alert page: progress" "$(cat "$WORK/b")" '<span data-p="percent" id="percent">100</span>'
expect_contains "alert page: the stream it listens to" "$(cat "$WORK/b")" 'data-events="/newsroom/alerts/1/events"'
expect_contains "alert page: its script carries the nonce" "$(cat "$WORK/b")" "<script nonce=\"$(header Content-Security-Policy | sed -n "s/.*'nonce-\\([^']*\\)'.*/\\1/p")\">"
timeout 10 curl -s -N -D "$WORK/sh" -b "$jar" "$base/newsroom/alerts/1/events" >"$WORK/events"
expect_eq "a finished alert's stream ends by itself" "$?" 0
expect_contains "event stream type" "$(grep -i '^content-type' "$WORK/sh")" "text/event-stream"
expect_contains "the stream says how to reconnect" "$(cat "$WORK/events")" "retry: 3000"
expect_contains "a progress event" "$(cat "$WORK/events")" 'event: progress'
expect_contains "with the figures" "$(grep '^data: ' "$WORK/events")" '"percent":100'
req "$base/newsroom/alerts/1/events"
expect_eq "no stream without a session" "$code" 403
req -b "$jar" "$base/newsroom/alerts/99"
expect_eq "no such alert: 404" "$code" 404
req -b "$jar" --data "csrf=nonsense" "$base/newsroom/alerts/1/cancel"
expect_eq "the kill switch needs the token: 403" "$code" 403
req -b "$jar" --data-urlencode "csrf=$csrf" "$base/newsroom/alerts/1/cancel"
expect_eq "stopping a finished alert changes nothing" "$code:$(sqlite3 "$db" 'select state from alerts where id = 1')" "303:done"

# ---- history and audience, from the ledger ----
# reader2 leaves with the alert's own one-click link (RFC 8058)
for f in $(outbox_files); do [ "$(mail_header "$f" To)" = reader2@example.net ] && alert2=$f; done
url=$(mail_header "$alert2" List-Unsubscribe | grep -o "$base/u/[A-Za-z0-9_-]*" | head -1)
req -H 'Content-Type: application/x-www-form-urlencoded' --data 'List-Unsubscribe=One-Click' "$url"
expect_eq "a reader leaves with the alert's one-click link" "$code:$(sqlite3 "$db" "select status from subscribers where email = 'reader2@example.net'")" "200:unsubscribed"
req -b "$jar" "$base/newsroom/alerts"
expect_eq "history" "$code" 200
row=$(/usr/bin/python3 -c '
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
row = re.search(r"<tbody>(.*?)</tr>", page, re.S).group(1)
print(" | ".join(c.strip() for c in re.findall(r"<td class=\"num[^\"]*\"[^>]*>(.*?)</td>", row, re.S)))' "$WORK/b")
expect_eq "history: time to last message, failures, bounces, unsubscribes" "${row#* | }" "0 | 0 | 1"
expect_contains "history: the headline links to the alert" "$(cat "$WORK/b")" '<a href="/newsroom/alerts/1">Floods close the M4 &amp; the A48</a>'
req -b "$jar" "$base/newsroom/audience?days=7"
expect_eq "audience" "$code" 200
expect_contains "audience: the chart describes the week" "$(cat "$WORK/b")" "Per day: 5 signups, 5 confirmations and 1 unsubscribes in all."
expect_contains "audience: 7 days chosen" "$(cat "$WORK/b")" '<a href="/newsroom/audience?days=7" aria-current="true">'
expect_eq "audience: a row per day" "$(grep -c '<tr><th scope="row">' "$WORK/b")" 7

# ---- sessions end ----
req -b "$jar" --data "csrf=" "$base/newsroom/signout"
expect_eq "sign-out needs the token" "$code" 403
req -b "$jar" --data-urlencode "csrf=$csrf" "$base/newsroom/signout"
expect_eq "sign-out: 303 to the sign-in page" "$code:$(header Location)" "303:/newsroom/signin"
expect_contains "sign-out drops the cookie" "$(grep -i '^set-cookie: nf_session=' "$WORK/h")" "nf_session=; Path=/newsroom; Max-Age=0"
req -b "$WORK/jane" "$base/newsroom"
expect_eq "the old cookie opens nothing" "$code" 303
sqlite3 "$db" "update editor_sessions set expires_at = 1"
req -b "$bobjar" "$base/newsroom"
expect_eq "an expired session opens nothing" "$code:$(header Location)" "303:/newsroom/signin"
serve_stop
expect_eq "serve stops cleanly" "$SERVE_STATUS" 0

# ---- under https, without an engine: Secure cookies, the kill switch, limits ----
port=$(free_port)
base="http://127.0.0.1:$port"
rm -f "$jar"
serve_start "$port" --base-url https://news.example --no-engine --signin-delay 5 || { fail "serve (https, no engine) starts"; finish; }
req "$base/newsroom/signin"
scsrf=$(field csrf)
expect_contains "the sign-in token's cookie is Secure under https" "$(header Set-Cookie)" "; Secure"
req -H "Cookie: nf_csrf=$scsrf" --data-urlencode "csrf=$scsrf" --data "name=jane" \
	--data-urlencode "password=correct horse battery staple" "$base/newsroom/signin"
cookie=$(grep -i '^set-cookie: nf_session=' "$WORK/h" | tr -d '\r')
expect_contains "the session cookie is Secure under https" "$cookie" "; HttpOnly; SameSite=Strict; Secure"
token=$(echo "$cookie" | sed -n 's/^[^=]*=\([^;]*\);.*/\1/p')
ck="Cookie: nf_session=$token"
req -H "$ck" "$base/newsroom/compose"
csrf=$(field csrf)
req -H "$ck" --data-urlencode "csrf=$csrf" "${story[@]}" "$base/newsroom/test"
expect_eq "no engine here: the test cannot go (503)" "$code" 503
expect_contains "and the page says so" "$(cat "$WORK/b")" "Mail cannot be sent from here right now"
req -H "$ck" --data-urlencode "csrf=$csrf" "${story[@]}" "$base/newsroom/publish"
ptoken=$(field publish_token)
req -H "$ck" --data-urlencode "csrf=$csrf" --data "confirm=yes" --data "publish_token=$ptoken" "${story[@]}" "$base/newsroom/publish"
expect_eq "published, to be sent by a worker" "$code:$(header Location)" "303:/newsroom/alerts/2"
expect_eq "it waits in the queue" "$(sqlite3 "$db" 'select state from alerts where id = 2')" queued

# a queued alert's streams stay open: the 65th is turned away, HTTP still answers
pids=()
for i in $(seq 1 64); do
	curl -s -N -H "$ck" -o "$WORK/stream$i" "$base/newsroom/alerts/2/events" &
	pids+=($!)
done
for i in $(seq 1 100); do
	n=$(grep -l 'event: progress' "$WORK"/stream* 2>/dev/null | wc -l)
	[ "$n" -ge 64 ] && break
	sleep 0.1
done
expect_eq "64 live streams" "$n" 64
req -H "$ck" "$base/newsroom/alerts/2/events"
expect_eq "the 65th: 503 with Retry-After" "$code $(header Retry-After)" "503 5"
req "$base/healthz"
expect_eq "the server still answers" "$code" 200
req -H "$ck" "$base/newsroom/alerts/2"
expect_contains "Stop sending asks first: a link to the confirmation step" "$(cat "$WORK/b")" 'href="/newsroom/alerts/2/stop"'
check "and no one-click stop form" test "$(grep -c 'action="/newsroom/alerts/2/cancel"' "$WORK/b")" -eq 0
req -H "$ck" "$base/newsroom/alerts/2/stop"
expect_eq "the confirmation step" "$code" 200
expect_contains "it asks" "$(cat "$WORK/b")" 'Yes, stop sending'
expect_contains "it says how many were reached" "$(cat "$WORK/b")" '<span data-p="sent" id="confirm-sent">0</span> of 4 subscribers have been reached so far'
expect_contains "it posts to the kill switch" "$(cat "$WORK/b")" 'action="/newsroom/alerts/2/cancel"'
req -H "$ck" --data-urlencode "csrf=$csrf" "$base/newsroom/alerts/2/cancel"
expect_eq "kill switch: 303 back to the alert" "$code:$(header Location)" "303:/newsroom/alerts/2"
expect_eq "the alert is cancelled" "$(sqlite3 "$db" 'select state from alerts where id = 2')" cancelled
for i in $(seq 1 40); do
	alive=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -eq 0 ] && break
	sleep 0.1
done
expect_eq "every stream ends once the alert is stopped" "$alive" 0
expect_contains "its last event says stopped" "$(cat "$WORK/stream1")" '"state":"cancelled"'
req -H "$ck" "$base/newsroom/alerts/2"
expect_contains "the page says Stopped" "$(cat "$WORK/b")" '>Stopped</span>'
expect_contains "a stopped alert offers to resume" "$(cat "$WORK/b")" 'action="/newsroom/alerts/2/resume"'
expect_contains "the page shows who stopped it" "$(cat "$WORK/b")" 'Stopped by <strong>jane</strong>'
req -H "$ck" --data "csrf=nonsense" "$base/newsroom/alerts/2/resume"
expect_eq "resume needs the token: 403" "$code" 403
req -H "$ck" --data-urlencode "csrf=$csrf" "$base/newsroom/alerts/2/resume"
expect_eq "resume: 303 back to the alert" "$code:$(header Location)" "303:/newsroom/alerts/2"
expect_eq "resumed: sending again" "$(sqlite3 "$db" 'select state from alerts where id = 2')" sending
req -H "$ck" --data-urlencode "csrf=$csrf" "$base/newsroom/alerts/2/resume"
expect_eq "resuming an alert that is not stopped: 409" "$code" 409
req -H "$ck" "$base/newsroom/alerts/2"
expect_contains "the page shows who resumed it" "$(cat "$WORK/b")" 'Resumed by <strong>jane</strong>'
req -H "$ck" --data-urlencode "csrf=$csrf" "$base/newsroom/alerts/2/cancel"
expect_eq "stopped again" "$(sqlite3 "$db" 'select state from alerts where id = 2')" cancelled

# streams left open at shutdown must not stop the server from stopping
req -H "$ck" --data-urlencode "csrf=$csrf" "${story[@]}" "$base/newsroom/publish"
ptoken=$(field publish_token)
req -H "$ck" --data-urlencode "csrf=$csrf" --data "confirm=yes" --data "publish_token=$ptoken" "${story[@]}" "$base/newsroom/publish"
curl -s -N -H "$ck" -o "$WORK/open" "$base/newsroom/alerts/3/events" &
open_pid=$!
for i in $(seq 1 50); do grep -qs 'event: progress' "$WORK/open" && break; sleep 0.1; done

# ten failures from one address, whatever the names, and it must wait too
for i in $(seq 1 10); do
	req -H "Cookie: nf_csrf=$scsrf" --data-urlencode "csrf=$scsrf" --data "name=guess$i" --data "password=nope" "$base/newsroom/signin"
done
expect_eq "tenth failure from one address: 401, wait" "$code $(header Retry-After)" "401 6"
req -H "Cookie: nf_csrf=$scsrf" --data-urlencode "csrf=$scsrf" --data "name=jane" \
	--data-urlencode "password=correct horse battery staple" "$base/newsroom/signin"
expect_eq "the address must wait, even for a real editor: 429" "$code" 429
serve_stop
expect_eq "serve stops with a stream open" "$SERVE_STATUS" 0
wait "$open_pid" 2>/dev/null
finish
