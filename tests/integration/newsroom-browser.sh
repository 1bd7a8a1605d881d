#!/usr/bin/env bash
# The newsroom in a real browser: Debian's headless Chromium driven by
# playwright-core (tests/browser/newsroom.mjs) signs in, writes a story,
# previews it, sends a test, publishes it to 1,000 confirmed subscribers
# through Postfix's smtp-sink and follows the progress to 100% by
# Server-Sent Events. Screenshots of each page land in build/screenshots.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh

if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
	skip "browser newsroom" "chromium or playwright-core missing (scripts/deps installs them)"
	finish
fi
if [ ! -x /usr/sbin/smtp-sink ]; then
	skip "browser newsroom" "Postfix's smtp-sink is missing (scripts/deps installs postfix)"
	finish
fi
port=$(free_port) sink=$(free_port)
db="sqlite:$WORK/app/newsflash.db"
shots="${BUILD:-build}/screenshots"
mkdir -p "$shots" "$WORK/app" "$WORK/dump"
chmod o+x "$WORK"	# smtp-sink writes its dump as nobody
chown nobody "$WORK/dump"
smtp_sink_start "$sink" -d "$WORK/dump/%M." || { fail "smtp-sink starts"; finish; }

/usr/bin/python3 -c '
for i in range(1000): print("reader%04d@example.net" % i)' >"$WORK/readers.csv"
"$NF" db migrate --db "$db" >/dev/null
expect_eq "1,000 subscribers imported, confirmed" \
	"$("$NF" subscribers import "$WORK/readers.csv" --list breaking-news --consent-source "browser test" --db "$db" 2>&1)" \
	"imported 1000, added 0, skipped 0, duplicates 0"
"$NF" lists create weather --db "$db" >/dev/null && "$NF" lists create travel --db "$db" >/dev/null
check "the story's topic lists made" test $? -eq 0
password="tide tables at Newhaven"
printf '%s\n' "$password" | "$NF" editor add jane --email jane@news.example --db "$db" >/dev/null
check "editor added" test $? -eq 0

serve_start "$port" --publication "The Daily Example" --from "Breaking News <alerts@news.example>" \
	--transport "smtp://127.0.0.1:$sink?tls=none" || { fail "serve starts"; finish; }
while read -r line; do
	case "$line" in
	ok\ *) ok "${line#ok }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	esac
done < <(cd tests/browser && timeout 180 node newsroom.mjs "http://127.0.0.1:$port" "$OLDPWD/$shots" jane "$password" "$SMTP_SINK_PID" 2>&1)
kill -CONT "$SMTP_SINK_PID" 2>/dev/null

sqlite="$WORK/app/newsflash.db"
expect_eq "one alert, done, 1,000 of 1,000 sent" \
	"$(sqlite3 "$sqlite" "select a.state, a.total, (select sum(sent) from alert_shards where alert_id = a.id) from alerts a")" \
	"done|1000|1000"
for i in $(seq 1 50); do [ "$(ls "$WORK/dump" | wc -l)" -ge 1001 ] && break; sleep 0.1; done
expect_eq "smtp-sink took the 1,000 alerts and the test" "$(ls "$WORK/dump" | wc -l)" 1001
expect_eq "the test went to the editor" "$(grep -l '^To: jane@news.example' "$WORK/dump"/* 2>/dev/null | wc -l)" 1
for s in signin signin-error dashboard compose-errors compose preview preview-test publish-confirm alert-waiting alert-done alerts audience; do
	[ -s "$shots/newsroom-$s.png" ] || fail "screenshot $s saved"
done
ok "screenshots saved"
serve_stop
expect_eq "serve stops cleanly with streams open earlier" "$SERVE_STATUS" 0
finish
