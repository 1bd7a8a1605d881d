#!/usr/bin/env bash
# The newsroom's audience and safety rules over HTTP with curl, on SQLite and
# (when a server can be started) PostgreSQL: the preview names the lists an
# alert goes to and the exact number of readers; topics are chosen from the
# lists, with their readers, and a typed topic that is no list is an error
# (the field kept); the API accepts such tags and names them in
# "unfollowed_topics"; the dashboard, the preview and the confirmation give
# the same figures, and readers imported as confirmed count as
# confirmations; a test's subject starts with [TEST], it goes to the desk
# addresses typed (each checked) and its form is apart from Publish; a
# headline past the length the templates are made for is warned about; every
# page has a skip link to main#main.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/pg.sh

# req [curl options] URL: the status in $code, the headers in $WORK/h, the body in $WORK/b
req() {
	code=$(curl -s -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@")
}
field() { sed -n "s/.*name=\"$1\" value=\"\\([^\"]*\\)\".*/\\1/p" "$WORK/b" | head -1; }
# text NAME: the text inside the element with id NAME on the last page, tags dropped
text() {
	/usr/bin/python3 - "$WORK/b" "$1" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<(\w+)[^>]*\bid="%s"[^>]*>(.*?)</\1>' % re.escape(sys.argv[2]), page, re.S)
print(html.unescape(re.sub(r'<[^>]+>', '', m.group(2))).strip() if m else '')
PY
}
# form_of ID: the ids of the buttons inside the <form> with that id
form_buttons() {
	/usr/bin/python3 - "$WORK/b" "$1" <<'PY'
import re, sys
page = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<form[^>]*\bid="%s"[^>]*>(.*?)</form>' % re.escape(sys.argv[2]), page, re.S)
print(' '.join(re.findall(r'<button[^>]*\bid="([^"]+)"', m.group(1))) if m else '')
PY
}

# scenario NAME DBURL: the whole run against one database
scenario() {
	local b=$1 dburl=$2 port jar="$WORK/jar-$1" csrf scsrf key
	port=$(free_port)
	base="http://127.0.0.1:$port"
	rm -rf "$WORK/app"
	mkdir -p "$WORK/app"
	/usr/bin/python3 -c '
for i in range(6): print("reader%d@example.net" % i)' >"$WORK/breaking.csv"
	/usr/bin/python3 -c '
for i in range(3): print("politics%d@example.net" % i)' >"$WORK/politics.csv"
	"$NF" db migrate --db "$dburl" >/dev/null
	"$NF" subscribers import "$WORK/breaking.csv" --list breaking-news --consent-source "crm" --db "$dburl" >/dev/null 2>&1
	"$NF" lists create politics --db "$dburl" >/dev/null 2>&1
	"$NF" lists create weather --db "$dburl" >/dev/null 2>&1
	"$NF" subscribers import "$WORK/politics.csv" --list politics --consent-source "crm" --db "$dburl" >/dev/null 2>&1
	"$NF" subscribers import "$WORK/politics.csv" --list breaking-news --pending --consent-source "x" --db "$dburl" >/dev/null 2>&1
	printf 'correct horse battery staple\n' | "$NF" editor add jane --email jane@news.example --db "$dburl" >/dev/null 2>&1
	key=$("$NF" apikey create cms --db "$dburl")
	serve_start "$port" --db "$dburl" --publication "The Daily Example" --from "Breaking News <alerts@news.example>" \
		|| { fail "$b: serve starts"; return; }
	req -c "$jar" -b "$jar" "$base/newsroom/signin"
	scsrf=$(field csrf)
	req -c "$jar" -b "$jar" --data-urlencode "csrf=$scsrf" --data "name=jane" \
		--data-urlencode "password=correct horse battery staple" "$base/newsroom/signin"
	expect_eq "$b: signed in" "$code" 303

	# ---- one source for the figures ----
	req -b "$jar" "$base/newsroom"
	csrf=$(field csrf)
	expect_eq "$b: dashboard: readers on any list, each once" "$(text stat-confirmed)" 9
	expect_eq "$b: dashboard: the readers of every breaking alert" "$(text stat-breaking)" 6
	expect_contains "$b: dashboard: imported confirmed readers confirmed their address" "$(cat "$WORK/b")" \
		'<div class="note">9 confirmed their address</div>'
	for p in "" /compose /alerts /audience; do
		req -b "$jar" "$base/newsroom$p"
		case "$(cat "$WORK/b")" in
		*'<a class="skip" href="#main">Skip to the content</a>'*'<main id="main">'*) ok "$b: /newsroom$p: a skip link to the content" ;;
		*) fail "$b: /newsroom$p: a skip link to the content" ;;
		esac
	done

	# ---- topics: chosen from the lists, with their readers ----
	req -b "$jar" "$base/newsroom/compose"
	expect_contains "$b: compose: politics to tick, with its readers" "$(cat "$WORK/b")" \
		'<input type="checkbox" name="topic" value="politics"> <span class="topic-name">politics</span> <span class="count">3 readers</span>'
	expect_contains "$b: compose: a list nobody follows yet is offered too" "$(cat "$WORK/b")" \
		'value="weather"> <span class="topic-name">weather</span> <span class="count">0 readers</span>'
	expect_contains "$b: compose: the headline's counter and its limit" "$(cat "$WORK/b")" \
		'<span id="headline-chars">0</span> of 90 characters'
	story=(--data-urlencode "csrf=$csrf" --data-urlencode "headline=Polls close in the county election"
		--data-urlencode "body=Counting starts at ten.")
	req -b "$jar" "${story[@]}" --data "topic=politics" --data-urlencode "topics=Politcs" "$base/newsroom/preview"
	expect_eq "$b: a typed topic that is no list: 422" "$code" 422
	expect_contains "$b: saying which" "$(cat "$WORK/b")" "Topics: no list is called politcs."
	expect_contains "$b: the typed topic is kept to correct" "$(cat "$WORK/b")" 'name="topics" value="politcs"'
	expect_contains "$b: the ticked list stays ticked" "$(cat "$WORK/b")" 'value="politics" checked>'
	expect_contains "$b: the error summary takes the focus" "$(cat "$WORK/b")" 'id="compose-errors" tabindex="-1" autofocus'
	expect_contains "$b: and links to the field" "$(cat "$WORK/b")" '<a href="#topics">Topics: no list is called politcs.'
	req -b "$jar" "${story[@]}" --data-urlencode "topics=politcs" --data "confirm=yes" --data "publish_token=aaaaaaaaaaaaaaaaaaaa" "$base/newsroom/publish"
	expect_eq "$b: nor can it be published" "$code:$(sqlite_or_pg "$dburl" 'select count(*) from articles')" "422:0"

	# ---- the audience before the button ----
	req -b "$jar" "${story[@]}" --data "topic=politics" "$base/newsroom/preview"
	expect_eq "$b: preview" "$code" 200
	expect_eq "$b: preview: the exact number of readers" "$(text audience-readers)" "9 readers"
	expect_eq "$b: preview: the lists, each with its readers" "$(echo $(text audience-lists))" \
		"breaking-news 6 readers politics 3 readers"
	expect_contains "$b: preview: the button says it too" "$(text publish)" "Publish to 9 readers"
	req -b "$jar" "${story[@]}" "$base/newsroom/preview"
	expect_eq "$b: preview without topics: the dashboard's breaking figure" "$(text audience-readers)" "6 readers"
	req -b "$jar" "${story[@]}" --data "topic=politics" "$base/newsroom/publish"
	expect_eq "$b: the confirmation: the same number" "$(text recipients)" 9
	expect_eq "$b: the confirmation: the same lists" "$(echo $(text audience-lists))" \
		"breaking-news 6 readers politics 3 readers"

	# ---- headline length ----
	long=$(printf 'Élection: %.0s' $(seq 1 12))
	req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "headline=$long" "$base/newsroom/preview"
	expect_eq "$b: a long headline still previews" "$code" 200
	expect_contains "$b: with a warning in characters, not bytes" "$(text headline-long)" \
		"The headline has 120 characters; alerts are designed for up to 90."
	req -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "headline=$long" "$base/newsroom/compose"
	expect_contains "$b: the compose page counts it too" "$(cat "$WORK/b")" \
		'<span id="headline-chars">120</span> of 90 characters: too long'
	req -b "$jar" "${story[@]}" "$base/newsroom/preview"
	check "$b: a headline that fits: no warning" test -z "$(text headline-long)"

	# ---- tests that cannot be mistaken ----
	req -b "$jar" "${story[@]}" "$base/newsroom/preview"
	expect_eq "$b: the test has a form of its own" "$(form_buttons test-form)" "send-test"
	expect_eq "$b: Publish is in another" "$(form_buttons actions)" "edit publish"
	expect_contains "$b: the test button looks different" "$(cat "$WORK/b")" 'class="btn test" id="send-test"'
	expect_contains "$b: the desk address field starts with the editor's" "$(cat "$WORK/b")" 'name="test_to" value="jane@news.example"'
	before=$(outbox_files | wc -l)
	req -b "$jar" "${story[@]}" --data-urlencode "test_to=desk@news.example, not an address" "$base/newsroom/test"
	expect_eq "$b: a bad desk address: 422" "$code" 422
	expect_contains "$b: saying which" "$(text problem)" '"not" is not an email address'
	expect_contains "$b: the addresses kept" "$(cat "$WORK/b")" 'name="test_to" value="desk@news.example, not an address"'
	expect_eq "$b: nothing was sent" "$(outbox_files | wc -l)" "$before"
	req -b "$jar" "${story[@]}" --data-urlencode "test_to=desk@news.example; Chief@News.example desk@news.example" "$base/newsroom/test"
	expect_eq "$b: a test to two desks: 200" "$code" 200
	expect_eq "$b: the notice names them" "$(text notice)" \
		"A test, its subject starting [TEST], was sent to desk@news.example, Chief@news.example. It should arrive within a minute"
	for i in $(seq 1 50); do [ "$(outbox_files | wc -l)" -ge $((before + 2)) ] && break; sleep 0.1; done
	expect_eq "$b: two messages, one each" "$(for f in $(outbox_files | tail -n +$((before + 1))); do mail_header "$f" To; echo; done | sort | tr '\n' ' ')" \
		"Chief@news.example desk@news.example "
	expect_eq "$b: each subject starts with [TEST]" "$(for f in $(outbox_files | tail -n +$((before + 1))); do mail_header "$f" Subject; echo; done | sort -u)" \
		"[TEST] Polls close in the county election"
	req -b "$jar" "${story[@]}" --data-urlencode "test_to=$(printf 'd%d@news.example,' $(seq 1 11))" "$base/newsroom/test"
	expect_eq "$b: at most 10 desks" "$code:$(text problem)" "422:A test goes to at most 10 desk addresses"
	expect_eq "$b: no alert from all that" "$(sqlite_or_pg "$dburl" 'select count(*) from alerts')" 0

	# ---- the API accepts tags nobody follows, and says so ----
	req -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data '{"headline":"Budget vote tonight","topics":["politcs","politics","weather","sport"],"breaking":true}' "$base/api/articles"
	expect_eq "$b: API: published all the same" "$code" 201
	expect_eq "$b: API: the topics that reach nobody" \
		"$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["unfollowed_topics"])' "$WORK/b")" \
		"['politcs', 'weather', 'sport']"
	req -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data '{"headline":"Budget passed","topics":["politics"],"breaking":true}' "$base/api/articles"
	expect_eq "$b: API: none when every topic has readers" \
		"$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["unfollowed_topics"])' "$WORK/b")" "[]"
	serve_stop
	expect_eq "$b: serve stops cleanly" "$SERVE_STATUS" 0
}

sqlite_or_pg() {
	case "$1" in
	sqlite:*) sqlite3 "${1#sqlite:}" "$2" ;;
	*) psql -Atc "$2" "$1" ;;
	esac
}

scenario sqlite "sqlite:$WORK/sqlite.db"
if pg_start; then
	psql -q "$PG_URL" -c "CREATE DATABASE room" >/dev/null
	scenario pg "${PG_URL%/*}/room"
else
	skip "pg: the same on PostgreSQL" "no server: $PG_WHY"
fi
finish
