#!/usr/bin/env bash
# The newsroom by keyboard and on a phone, in Debian's headless Chromium
# (tests/browser/newsroom-a11y.mjs): an editor goes from sign-in to a sent
# alert with the keyboard alone (the key presses are printed), then every
# newsroom page is checked by axe-core at 390 and 1280 px, for horizontal
# scrolling at 360 px, and for the skip link, the focus after a failed
# submit, the live headline counter, the phone's chart and the alerts table
# as cards. Screenshots land in build/screenshots.
source tests/lib.sh
source tests/lib/serve.sh

if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ] ||
	[ ! -d tests/browser/node_modules/axe-core ]; then
	skip "browser newsroom a11y" "chromium, playwright-core or axe-core missing (scripts/deps installs them)"
	finish
fi
port=$(free_port)
db="sqlite:$WORK/app/newsflash.db"
shots="${BUILD:-build}/screenshots"
mkdir -p "$shots" "$WORK/app"
/usr/bin/python3 -c '
for i in range(40): print("reader%02d@example.net" % i)' >"$WORK/readers.csv"
"$NF" db migrate --db "$db" >/dev/null
"$NF" subscribers import "$WORK/readers.csv" --list breaking-news --consent-source "a11y test" --db "$db" >/dev/null 2>&1
"$NF" lists create politics --db "$db" >/dev/null 2>&1
check "readers and a topic list" test "$(sqlite3 "$WORK/app/newsflash.db" 'select count(*) from lists')" -eq 2
password="tide tables at Newhaven"
printf '%s\n' "$password" | "$NF" editor add jane --email jane@news.example --db "$db" >/dev/null
serve_start "$port" --publication "The Daily Example" --from "Breaking News <alerts@news.example>" ||
	{ fail "serve starts"; finish; }
while read -r line; do
	case "$line" in
	ok\ *) ok "${line#ok }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	keys\ *) echo "key presses from sign-in to sent: ${line#keys }" ;;
	*) echo "$line" ;;
	esac
done < <(cd tests/browser && timeout 300 node newsroom-a11y.mjs "http://127.0.0.1:$port" "$OLDPWD/$shots" jane "$password" 2>&1)
for i in $(seq 1 50); do [ "$(sqlite3 "$WORK/app/newsflash.db" "select state from alerts where id = 1")" = done ] && break; sleep 0.1; done
expect_eq "the alert sent by keyboard reached the 40" "$(sqlite3 "$WORK/app/newsflash.db" 'select state, total from alerts where id = 1')" "done|40"
serve_stop
expect_eq "serve stops cleanly" "$SERVE_STATUS" 0
finish
