#!/usr/bin/env bash
# The signup box pasted into a publisher's article, in real Chromium
# (tests/browser/embed.mjs): a publisher on http://127.0.0.1:PORT1 (listed
# with --embed-origin) and on http://127.0.0.3:PORT1 (not listed),
# newsflash on http://localhost:PORT2, third-party cookies blocked; a second
# newsflash without its engine answers every double opt-in signup 503 (the
# server failing). Then the database and the Maildir are checked.
source tests/lib.sh
source tests/lib/serve.sh
SRC=${NEWSFLASH_SRC:-$PWD}

if [ ! -x /usr/bin/chromium ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
	skip "browser embed" "chromium or playwright-core missing (scripts/deps installs them)"
	finish
fi
pport=$(free_port)
port=$(free_port)
bport=$(free_port)
while [ "$port" = "$pport" ] || [ "$bport" = "$pport" ] || [ "$bport" = "$port" ]; do
	port=$(free_port); bport=$(free_port)
done
pub="http://127.0.0.1:$pport"
shots="${BUILD:-build}/screenshots"
mkdir -p "$shots"
serve_start "$port" --base-url "http://localhost:$port" --publication "The Daily Example" \
	--embed-origin "$pub" || { fail "serve starts"; finish; }
mkdir -p "$WORK/broken"
"$NF" serve --listen "127.0.0.1:$bport" --base-url "http://localhost:$bport" --no-engine \
	--db "sqlite:$WORK/broken/nf.db" --transport "maildir:$WORK/broken/outbox" \
	--secret-file "$WORK/broken/secret" --templates "$SRC/templates" --embed-origin "$pub" \
	>"$WORK/broken.log" 2>&1 &
cleanup_add "kill $!"
wait_port "$bport" 10
"$NF" embed snippet --base-url "http://localhost:$port" --publication "The Daily Example" \
	--templates "$SRC/templates" >"$WORK/snippet.html"
"$NF" embed snippet --base-url "http://localhost:$bport" --publication "The Daily Example" \
	--templates "$SRC/templates" >"$WORK/broken.html"
while read -r line; do
	case "$line" in
	ok\ *) ok "${line#ok }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done < <(cd tests/browser && timeout 180 node embed.mjs "http://localhost:$port" "http://localhost:$bport" \
	"$pport" "$WORK/snippet.html" "$WORK/broken.html" "$OLDPWD/$shots" 2>&1)

db="$WORK/app/newsflash.db"
q() { sqlite3 "$db" "$1"; }
expect_eq "embedded signup stored, pending" "$(q "select status from subscribers where email='embedded.reader@example.com'")" pending
expect_eq "its consent row names the article" \
	"$(q "select distinct c.source from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='embedded.reader@example.com'")" \
	"embed: $pub/news/flood.html"
expect_eq "with IP and user agent" \
	"$(q "select count(*) from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='embedded.reader@example.com' and c.ip='127.0.0.1' and c.user_agent like '%Chrome%' and length(c.wording_hash)=64")" 1
for i in $(seq 1 50); do grep -lq "embedded.reader@example.com" "$WORK/app/outbox/new/"* 2>/dev/null && break; sleep 0.1; done
check "the confirmation is mailed" grep -lq "embedded.reader@example.com" "$WORK/app/outbox/new/"*
expect_eq "the bad address stored nothing" "$(q "select count(*) from subscribers where email like 'not%'")" 0
expect_eq "the failing server stored nothing" "$(sqlite3 "$WORK/broken/nf.db" "select count(*) from subscribers")" 0
expect_eq "the unlisted origin stored nothing" "$(q "select count(*) from subscribers where email='evil.reader@example.com'")" 0
expect_eq "no JavaScript: stored with the article as source" \
	"$(q "select distinct c.source from consent_events c join subscribers s on s.id=c.subscriber_id where s.email='nojs.reader@example.com'")" \
	"embed: $pub/news/flood.html"
expect_eq "both tabs and the back button signed up" \
	"$(q "select count(*) from subscribers where email in ('tab.one@example.com','tab.two@example.com','tab.back@example.com')")" 3
check "screenshots saved" test -s "$shots/embed-thanks.png"
serve_stop
finish
