#!/usr/bin/env bash
# Topic alerts end to end through `newsflash serve` and its Maildir outbox,
# on SQLite and (TOPICS_DB=pg, run by tests/integration/topics_pg.sh) on
# PostgreSQL. Subscribers follow breaking-news and topic lists, some several
# at once; one follows a topic from the preference centre. A breaking story
# with topics reaches breaking-news and the topics' followers, a story that
# is not breaking reaches its topics' followers only, and each person gets
# exactly one message per alert (the To: headers of the Maildir); nobody
# pending, unsubscribed, bounced, suppressed or following an unrelated topic
# gets one. Stories whose topics nobody follows make no alert. Then kill -9
# in the middle of a multi-list alert and a restart: everyone in the
# audience served, repeats within the bound with the same Message-ID, and
# nobody outside it mailed.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/db.sh

db_choose "${TOPICS_DB:-sqlite}" "topic alerts"
mkdir -p "$WORK/app"
outbox="$WORK/app/outbox"

# imp LIST PREFIX N [--pending]: N people PREFIX1..N@example.com on LIST
imp() {
	local list=$1 prefix=$2 n=$3 i
	shift 3
	for i in $(seq 1 "$n"); do echo "$prefix$i@example.com"; done >"$WORK/imp.csv"
	"$NF" subscribers import "$WORK/imp.csv" --list "$list" --consent-source "test fixture" --db "$dburl" "$@" >/dev/null 2>&1
}
# join LIST PREFIX: everyone whose address starts with PREFIX also follows LIST
join() {
	q "insert into memberships (list_id, subscriber_id) select l.id, s.id from lists l, subscribers s
	   where l.name = '$1' and s.email like '$2%' on conflict do nothing"
}
# emails PREFIX N: PREFIX1..N@example.com, one a line
emails() { local i; for i in $(seq 1 "$2"); do echo "$1$i@example.com"; done; }
# received SUBJECT: the To: of every message with that Subject, sorted (repeats kept)
received() {
	/usr/bin/python3 - "$outbox" "$1" <<'PY' | sort
import email, email.policy, os, sys
new = os.path.join(sys.argv[1], 'new')
for name in os.listdir(new) if os.path.isdir(new) else []:
    with open(os.path.join(new, name), 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    if str(m.get('Subject', '')) == sys.argv[2]:
        print(str(m['To']))
PY
}
json_field() { /usr/bin/python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else (" ".join(v) if isinstance(v, list) else v))' "$1"; }

# ---- the lists, from the CLI ----
for l in royal-family cars politics weather; do
	expect_contains "lists create $l" "$("$NF" lists create "$l" --db "$dburl")" "list $l created"
done
expect_contains "lists create again changes nothing" "$("$NF" lists create cars --db "$dburl")" "list cars exists"
"$NF" lists create "Royal Family" --db "$dburl" >/dev/null 2>"$WORK/err"
expect_contains "a name that is no list name is refused, with the slug a topic would name" "$(cat "$WORK/err")" "names the list royal-family"

# ---- the audience ----
imp breaking-news bn 12		# breaking-news only
imp royal-family ro 8		# royal-family only
imp cars car 6			# cars only
imp politics pol 5		# an unrelated topic only
imp breaking-news bnro 4; join royal-family bnro	# breaking-news and royal-family
imp breaking-news all 3; join royal-family all; join cars all	# all three, and politics
join politics all
imp royal-family roca 3; join cars roca	# royal-family and cars
imp royal-family pend 2 --pending	# not confirmed
imp weather wpend 2 --pending		# weather: only unconfirmed followers
imp royal-family gone 2; join breaking-news gone
q "update subscribers set status = 'unsubscribed' where email = 'gone1@example.com'"
q "update subscribers set status = 'bounced' where email = 'gone2@example.com'"
imp royal-family supp 1; join cars supp; join breaking-news supp
q "insert into suppressions (email_key, reason, at) values ('supp1@example.com', 'complaint', 1700000000)"
lists=$("$NF" lists --db "$dburl")
expect_eq "lists shows members and confirmed" "$(echo "$lists" | awk '$2 == "royal-family" {print $3, $4}')" "23 19"
expect_eq "lists shows an unconfirmed-only list" "$(echo "$lists" | awk '$2 == "weather" {print $3, $4}')" "2 0"

key=$("$NF" apikey create newsroom --db "$dburl")
port=$(free_port); base="http://127.0.0.1:$port"
serve_start "$port" --db "$dburl" --shards 3 --batch 4 || { fail "serve starts"; finish; }
publish() {	# publish FILE -> the API's answer
	curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data @"$1" "$base/api/articles"
}
alert_json() { curl -s -H "Authorization: Bearer $key" "$base/api/alerts/$1"; }
wait_alert() {	# wait_alert ID SECONDS
	local i
	for i in $(seq 1 $(($2 * 5))); do
		[ "$(alert_json "$1" | json_field state)" = done ] && return 0
		sleep 0.2
	done
	return 1
}
story() {	# story FILE HEADLINE BREAKING TOPICS-JSON
	printf '{"headline":"%s","body_html":"<p>%s.</p>","url":"https://news.example/%s","topics":%s,"breaking":%s}\n' \
		"$2" "$2" "${1##*/}" "$4" "$3" >"$1"
}

# ---- a breaking story with topics: breaking-news, royal-family and cars ----
H1="Royal wedding date announced"
story "$WORK/s1.json" "$H1" true '["royal-family","cars","gardening"]'
a1=$(publish "$WORK/s1.json" | json_field alert_id)
check "breaking story: 201 with alert_id" test -n "$a1"
check "breaking topic alert done" wait_alert "$a1" 30
want1=$( { emails bn 12; emails ro 8; emails car 6; emails bnro 4; emails all 3; emails roca 3; } | sort)
got1=$(received "$H1")
expect_eq "breaking: each intended person exactly once ($(echo "$want1" | wc -l))" "$got1" "$want1"
a=$(alert_json "$a1")
expect_eq "breaking: total counts each person once" "$(echo "$a" | json_field total)" 36
expect_eq "breaking: GET /api/alerts/ID names the lists" "$(echo "$a" | json_field lists)" "breaking-news royal-family cars"
expect_eq "subscribers export --alert: the same people" \
	"$("$NF" subscribers export --alert "$a1" --db "$dburl" | tail -n +2 | cut -d, -f1 | sort)" "$want1"
for who in pol1 pend1 gone1 gone2 supp1 wpend1; do
	expect_eq "breaking: not mailed: $who" "$(echo "$got1" | grep -c "^$who@")" 0
done

# ---- bn1 follows royal-family from the preference centre of that alert's message ----
msg=$(grep -l '^To: bn1@example.com' "$outbox"/new/* | head -1)
url=$(mail_header "$msg" List-Unsubscribe | grep -o 'http[^>]*/u/[^>]*' | head -1)
tok=${url##*/}
jar="$WORK/jar"
curl -s -c "$jar" -o "$WORK/page" "$base/preferences/$tok"
expect_contains "the preference centre offers the topic lists" "$(cat "$WORK/page")" 'value="royal-family"'
expect_contains "the preference centre offers cars" "$(cat "$WORK/page")" 'value="cars"'
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
code=$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' --data "csrf=$csrf&action=save&list=breaking-news&list=royal-family" "$base/preferences/$tok")
expect_eq "asking to follow royal-family from the preference centre: 200" "$code" 200
# joining a list needs the link mailed to the address, not the alert's token alone
manage=
for i in $(seq 1 50); do
	for m in $(grep -l '^To: bn1@example.com' "$outbox"/new/*); do
		l=$(mail_text "$m" | grep -o 'http[^ ]*/manage/[A-Za-z0-9_-]*' | head -1)
		[ -n "$l" ] && manage=$l
	done
	[ -n "$manage" ] && break
	sleep 0.1
done
check "a manage link was mailed to bn1@" test -n "$manage"
curl -s -b "$jar" -o "$WORK/page" "$manage"
code=$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' --data "csrf=$csrf&action=save&list=breaking-news&list=royal-family" "$manage")
expect_eq "following royal-family from the mailed link: 200" "$code" 200

# ---- not breaking, followed topic: a topic alert to royal-family's followers only, from the CLI ----
H2="Palace opens its gardens to the public"
story "$WORK/s2.json" "$H2" false '["royal-family"]'
out=$("$NF" publish "$WORK/s2.json" --db "$dburl")
a2=$(echo "$out" | sed -n 's/.* alert \([0-9]*\).*/\1/p')
check "topic story: newsflash publish prints the alert ($out)" test -n "$a2"
check "topic alert done" wait_alert "$a2" 30
want2=$( { echo bn1@example.com; emails ro 8; emails bnro 4; emails all 3; emails roca 3; } | sort)
got2=$(received "$H2")
expect_eq "topic alert: each follower exactly once, breaking-news alone not ($(echo "$want2" | wc -l))" "$got2" "$want2"
expect_eq "topic alert: lists" "$(alert_json "$a2" | json_field lists)" "royal-family"
expect_eq "topic alert: not mailed: breaking-news only, cars only" "$(echo "$got2" | grep -c -e '^bn2@' -e '^car1@')" 0

# ---- not breaking, and nobody confirmed follows: no alert ----
for t in '["gardening"]' '["weather"]' '["breaking-news"]' '[]'; do
	story "$WORK/s3.json" "Nobody follows these topics" false "$t"
	ans=$(publish "$WORK/s3.json")
	check "topics $t: 201 without alert_id ($ans)" sh -c "echo '$ans' | grep -q '\"id\"' && ! echo '$ans' | grep -q alert_id"
done
al=$("$NF" alerts --db "$dburl")
expect_contains "newsflash alerts shows a breaking alert's lists" "$al" "breaking-news royal-family cars"
expect_eq "newsflash alerts lists only the two alerts" "$(echo "$al" | tail -n +2 | wc -l)" 2
serve_stop
expect_eq "SIGTERM exits 0" "$SERVE_STATUS" 0

# ---- kill -9 in the middle of a multi-list alert, and a restart ----
rm -rf "$outbox"
KB=600 KR=400 KBOTH=300 KP=100
imp breaking-news kb "$KB"
imp royal-family kr "$KR"
imp breaking-news kboth "$KBOTH"; join royal-family kboth
imp politics kp "$KP"
audience=$(q "select count(*) from subscribers s where s.status = 'confirmed'
	and exists (select 1 from memberships m join lists l on l.id = m.list_id
	 where m.subscriber_id = s.id and l.name in ('breaking-news', 'royal-family'))
	and not exists (select 1 from suppressions x where x.email_key = s.email_key)")
serve_start "$port" --db "$dburl" --batch 100 --shards 4 --lease 3 || { fail "serve starts (kill -9)"; finish; }
H4="State visit ends with a limousine as a gift"
story "$WORK/s4.json" "$H4" true '["royal-family"]'
a4=$(publish "$WORK/s4.json" | json_field alert_id)
expect_eq "multi-list alert: total is the distinct audience" "$(alert_json "$a4" | json_field total)" "$audience"
for i in $(seq 1 300); do [ "$(ls "$outbox/new" 2>/dev/null | wc -l)" -ge 300 ] && break; sleep 0.02; done
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
at_kill=$(ls "$outbox/new" | wc -l)
check "killed mid-alert ($at_kill of $audience written)" test "$at_kill" -lt "$audience"
[ "$DB_KIND" = sqlite ] && check "database intact after kill -9" test "$(q 'pragma integrity_check')" = ok
serve_start "$port" --db "$dburl" --batch 100 --shards 4 --lease 3 || { fail "serve restarts"; finish; }
check "multi-list alert completes after restart" wait_alert "$a4" 120
got4=$(received "$H4")
want4=$(q "select s.email from subscribers s where s.status = 'confirmed'
	and exists (select 1 from memberships m join lists l on l.id = m.list_id
	 where m.subscriber_id = s.id and l.name in ('breaking-news', 'royal-family'))
	and not exists (select 1 from suppressions x where x.email_key = s.email_key)" | sort)
expect_eq "after kill -9: every person in the audience served" "$(echo "$got4" | sort -u)" "$want4"
expect_eq "after kill -9: nobody outside it (politics only, pending, unsubscribed, suppressed)" \
	"$(echo "$got4" | grep -c -e '^kp' -e '^pol' -e '^pend' -e '^gone' -e '^supp' -e '^wpend')" 0
read -r served total mismatched <<<"$(maildir_repeats "$outbox")"
dups=$((total - audience))
bound=$((100 * 2 * 4))
check "repeats ($dups) within the bound (batch x batches in flight x shards = $bound)" test "$dups" -le "$bound"
expect_eq "a repeated message carries the same Message-ID" "$mismatched" 0
echo "measured: $dups messages repeated after kill -9 at $at_kill of $audience (bound $bound)"
expect_eq "alert sent count: the audience, repeats aside" "$(alert_json "$a4" | json_field sent)" "$audience"
serve_stop
finish
