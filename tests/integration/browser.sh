#!/usr/bin/env bash
# The signup flow in a real browser: Debian's headless Chromium driven by
# playwright-core (tests/browser). Screenshots land in build/screenshots.
source tests/lib.sh
source tests/lib/serve.sh

if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
	skip "browser signup" "chromium or playwright-core missing (scripts/deps installs them)"
	finish
fi
port=$(free_port)
shots="${BUILD:-build}/screenshots"
mkdir -p "$shots"
serve_start "$port" --publication "The Daily Example" || { fail "serve starts"; finish; }
while read -r line; do
	case "$line" in
	ok\ *) ok "${line#ok }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	esac
done < <(cd tests/browser && timeout 120 node signup.mjs "http://127.0.0.1:$port" "$WORK/app/outbox" "$OLDPWD/$shots" 2>&1)
expect_eq "subscriber confirmed in the database" \
	"$(sqlite3 "$WORK/app/newsflash.db" "select status from subscribers where email='browser.reader@example.com'")" confirmed
expect_eq "marketing consent recorded" \
	"$(sqlite3 "$WORK/app/newsflash.db" "select count(*) from consent_events where purpose='marketing' and action='given'")" 1
check "screenshots saved" test -s "$shots/confirmed.png"
serve_stop
finish
