#!/usr/bin/env bash
# mail-quality: what filters and phones make of the mail we send. The alert
# (composed by the engine's own path, `message compose`) and the signup
# confirmation (mailed by a real serve into its Maildir) are:
#  - scored by stock SpamAssassin rules (Debian's spamassassin, -L: local
#    tests only, no network) and must stay at 0.5 or under (today 0.0);
#  - marked as automatic (RFC 3834 Auto-Submitted, X-Auto-Response-Suppress)
#    with a List-Help;
#  - shown in headless Chromium at 320 px, where nothing may be wider than
#    the screen, and under forced dark mode, where the button must keep its
#    background (tests/browser/mail.mjs); both carry the masthead.
# And an article carrying known XSS vectors, published through the API,
# reaches a subscriber's Maildir with none of them.
# No digest or correction mail exists yet; when they do, score them here too.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/mail.sh

D=tests/data/mail
SA_MAX=0.5
cp "$D/secret" "$WORK/secret" && chmod 600 "$WORK/secret"
"$NF" dkim keygen --domain news.example --selector r1 --out "$WORK/rsa.pem" >"$WORK/rsa.txt"
KEY=(--dkim-key "$WORK/rsa.pem" --dkim-domain news.example --dkim-selector r1)

# part FILE html|plain: the decoded part
part() {
	/usr/bin/python3 -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_type() == "text/" + sys.argv[2]:
        sys.stdout.write(p.get_payload(decode=True).decode())
' "$1" "$2"
}
headers() { sed '/^\r$/q' "$1" | tr -d '\r'; }

# -- the alert, and a signup's confirmation from a real serve
"$NF" message compose --secret-file "$WORK/secret" --base-url https://news.example \
	--from "The Daily Example <breaking@news.example>" --publication "The Daily Example" \
	--article "$D/basic.json" --to reader@example.org "${KEY[@]}" >"$WORK/alert.eml"
expect_eq "alert composed" "$?" 0
mkdir -p "$WORK/app"
db="sqlite:$WORK/app/newsflash.db"
echo "fan@example.org" >"$WORK/subs.csv"
"$NF" db migrate --db "$db" >/dev/null
"$NF" subscribers import "$WORK/subs.csv" --list breaking-news --consent-source "test fixture" --db "$db" >/dev/null 2>&1
key=$("$NF" apikey create newsroom --db "$db")
port=$(free_port)
serve_start "$port" --signup-rate 0 --base-url https://news.example --publication "The Daily Example" \
	--from "The Daily Example <alerts@news.example>" "${KEY[@]}" || { fail "serve starts"; finish; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"email":"reader@example.org"}' "http://127.0.0.1:$port/api/subscribe")
expect_eq "signup answered 200" "$code" 200
for _ in $(seq 1 100); do [ -n "$(outbox_files | head -1)" ] && break; sleep 0.1; done
confirm=$(outbox_files | head -1)
if [ -z "$confirm" ]; then fail "a confirmation was mailed"; finish; fi
cp "$confirm" "$WORK/confirm.eml"

# -- an article with known XSS vectors through the API: the subscriber's mail holds none
cat >"$WORK/xss.json" <<'JSON'
{"headline": "Markup test", "url": "https://news.example/x", "published_at": "2026-11-29T03:00:00Z",
 "breaking": true,
 "body_html": "<p>Kept <b>bold</b> and <a href=\"https://news.example/more\">a link</a>.</p><script>alert(1)</script><a href=\"java&#9;script:alert(2)\">js</a><form action=\"https://evil.example/\"><input name=\"pw\"></form><base href=\"https://evil.example/\"><img src=\"https://tracker.example/p.gif\" width=\"1\"><p onclick=\"alert(3)\" style=\"x:expression(alert(4))\">styled</p><svg onload=\"alert(5)\"></svg><math><mtext><table><mglyph><style><img src=x onerror=alert(6)>"}
JSON
code=$(curl -s -o "$WORK/pub.out" -w '%{http_code}' -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data @"$WORK/xss.json" "http://127.0.0.1:$port/api/articles")
check "the article is published ($code)" test "${code:0:1}" = 2
for _ in $(seq 1 100); do
	xm=$(grep -l '^To: fan@example.org' $(outbox_files) 2>/dev/null | head -1)
	[ -n "$xm" ] && break
	sleep 0.1
done
serve_stop
if [ -z "$xm" ]; then
	fail "the alert reached the subscriber"
else
	body=$(part "$xm" html | sed -n '/<main/,/<\/main>/p')
	expect_contains "sanitised alert: the story's markup is kept" "$body" \
		'<p>Kept <b>bold</b> and <a href="https://news.example/more">a link</a>.</p>'
	for bad in '<script' 'javascript:' 'java' '<form' '<input' '<base' 'tracker.example' 'onclick' \
		'expression(' '<svg' '<math' 'onerror' 'alert('; do
		check "sanitised alert: no ${bad}" bash -c '! grep -qiF -- "$1" <<<"$2"' _ "$bad" "$body"
	done
fi

# -- headers: automatic mail, with help
for m in alert confirm; do
	h=$(headers "$WORK/$m.eml")$'\n'	# $() drops the last field's newline
	expect_contains "$m: Auto-Submitted" "$h" $'\nAuto-Submitted: auto-generated\n'
	expect_contains "$m: X-Auto-Response-Suppress" "$h" $'\nX-Auto-Response-Suppress: All\n'
	expect_contains "$m: List-Help" "$h" $'\nList-Help: <https://news.example/privacy>\n'
	html=$(part "$WORK/$m.eml" html)
	expect_contains "$m: the masthead links to the site" "$html" '<a href="https://news.example" class="nh"'
	part "$WORK/$m.eml" html >"$WORK/$m.html"
done
mail_verify "$WORK/confirm.eml" "$(mail_record "$WORK/rsa.txt")" >/dev/null
expect_eq "confirm: dkimpy passes it" "$?" 0
alert_text=$(part "$WORK/alert.eml" plain)
expect_contains "alert: one photo credit prefix" "$alert_text" "(Photograph: A. Snapper)"
expect_contains "alert: one photo credit prefix in the HTML" "$(cat "$WORK/alert.html")" "Photograph: A. Snapper</span>"

# -- SpamAssassin, stock rules, offline
if ! command -v spamassassin >/dev/null; then
	fail "spamassassin" "not installed (scripts/deps installs it)"
else
	mkdir -p "$WORK/sa-home"
	for m in alert confirm; do
		report=$(HOME="$WORK/sa-home" spamassassin -L -t <"$WORK/$m.eml" 2>/dev/null)
		score=$(sed -n 's/^Content analysis details: *(\(-\{0,1\}[0-9.]*\) points.*/\1/p' <<<"$report")
		rules=$(sed -n '/^---- /,$p' <<<"$report" | awk '$1 != "0.0" && $1 != "-0.0" && $1 ~ /^-?[0-9]/ {print $1, $2}' | tr '\n' ' ')
		if [ -n "$score" ] && [ "$(echo "$score <= $SA_MAX" | bc)" = 1 ]; then
			ok "spamassassin: $m scores $score (at most $SA_MAX)${rules:+: $rules}"
		else
			fail "spamassassin: $m scores ${score:-?} (at most $SA_MAX)" "${rules:-no report}"
		fi
	done
fi

# -- Chromium: 320 px, forced dark
if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
	fail "browser checks" "chromium or playwright-core missing (scripts/deps installs them)"
else
	shots="${BUILD:-build}/screenshots"
	mkdir -p "$shots"
	while read -r line; do
		case "$line" in
		ok\ *) ok "${line#ok }" ;;
		FAIL\ *) fail "${line#FAIL }" ;;
		*) fail "mail.mjs" "$line" ;;
		esac
	done < <(cd tests/browser && timeout 120 node mail.mjs "$OLDPWD/$shots" \
		alert="$WORK/alert.html" confirm="$WORK/confirm.html" 2>&1)
fi
finish
