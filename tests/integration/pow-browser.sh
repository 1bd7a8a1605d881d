#!/usr/bin/env bash
# serve --signup-pow in real Chromium (tests/browser/pow.mjs): a signup from
# the box on a publisher's article (http://127.0.0.1:PORT1, listed with
# --embed-origin) and from newsflash's own page (http://localhost:PORT2)
# each solve the puzzle and are stored and mailed; newsflash's page without
# JavaScript is refused and stores nothing.
source tests/lib.sh
source tests/lib/serve.sh
SRC=${NEWSFLASH_SRC:-$PWD}

if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
	skip "browser pow" "chromium or playwright-core missing (scripts/deps installs them)"
	finish
fi
pport=$(free_port)
port=$(free_port)
while [ "$port" = "$pport" ]; do port=$(free_port); done
pub="http://127.0.0.1:$pport"
serve_start "$port" --base-url "http://localhost:$port" --signup-pow 16 --embed-origin "$pub" ||
	{ fail "serve starts"; finish; }
"$NF" embed snippet --base-url "http://localhost:$port" --templates "$SRC/templates" >"$WORK/snippet.html"
while read -r line; do
	case "$line" in
	ok\ *) ok "${line#ok }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done < <(cd tests/browser && timeout 180 node pow.mjs "http://localhost:$port" "$pport" "$WORK/snippet.html" 2>&1)

db="$WORK/app/newsflash.db"
for who in pow.embedded pow.own; do
	expect_eq "$who: stored" "$(sqlite3 "$db" "select status from subscribers where email='$who@example.com'")" pending
	for i in $(seq 1 50); do grep -lq "$who@example.com" "$WORK/app/outbox/new/"* 2>/dev/null && break; sleep 0.1; done
	check "$who: confirmation mailed" grep -lq "$who@example.com" "$WORK/app/outbox/new/"*
done
expect_eq "without JavaScript: nothing stored" \
	"$(sqlite3 "$db" "select count(*) from subscribers where email='pow.nojs@example.com'")" 0
serve_stop
finish
