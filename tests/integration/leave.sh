#!/usr/bin/env bash
# Leaving and privacy end to end: RFC 8058 one-click with curl in both body
# encodings, GET never unsubscribing, idempotence, tampered tokens, the
# preference centre and its ledger rows, returned mail (the DSN/ARF/mailto
# samples of tests/data/inbound, filled in with the tokens of mail the
# service really sent) through `newsflash inbound process` and POST
# /api/inbound, the data export against every table, erasure leaving no
# byte of the address in the database, its WAL or the log, and the purge
# of unconfirmed signups.
source tests/lib.sh
source tests/lib/serve.sh

SRC=${NEWSFLASH_SRC:-$PWD}
SAMPLES=$SRC/tests/data/inbound
port=$(free_port)
base="http://127.0.0.1:$port"
db="$WORK/app/newsflash.db"
jar="$WORK/cookies"
returns="$WORK/returns"
mkdir -p "$WORK/app" "$returns/new" "$returns/cur" "$returns/tmp"
q() { sqlite3 "$db" "$1"; }
# writes through the sqlite3 shell zero what they free too, as the service's do
qw() { sqlite3 "$db" "PRAGMA secure_delete=ON; $1" >/dev/null; }
sid() { q "select id from subscribers where email='$1'"; }
status() { q "select status from subscribers where email='$1'"; }
ledger() { q "select count(*) from consent_events where subscriber_id=$(sid "$1")"; }

# ---- subscribers, and one alert to all of them ----
people="oc1 oc2 getter hard soft arf arfred mailto api cli"
{ echo email,name,marketing; for p in $people; do echo "$p@example.org,,yes"; done; } >"$WORK/people.csv"
"$NF" db migrate --db "sqlite:$db" >/dev/null
"$NF" subscribers import "$WORK/people.csv" --list breaking-news --consent-source "test import" --db "sqlite:$db" >/dev/null
printf 'email\ntopicfan@example.org\n' >"$WORK/topic.csv"
"$NF" subscribers import "$WORK/topic.csv" --list politics --consent-source "test import" --db "sqlite:$db" >/dev/null
printf 'email\npend@example.org\nrecent@example.org\n' >"$WORK/pending.csv"
"$NF" subscribers import "$WORK/pending.csv" --list breaking-news --pending --consent-source "test import" --db "sqlite:$db" >/dev/null
# pend@ signed up eight days ago and never confirmed: serve's purge forgets it at start
old=$(( $(date +%s) - 8 * 86400 ))
qw "update subscribers set created_at=$old where email='pend@example.org'"

serve_start "$port" --from "Breaking News <alerts@news.example>" --publication "The Daily Example" \
	--purge-interval 1 || { fail "serve starts"; finish; }
cat >"$WORK/story.json" <<'EOF'
{"headline": "Harbour bridge closed after ship strikes pier", "standfirst": "Engineers inspect the damage",
 "body_html": "<p>A cargo ship struck a pier of the harbour bridge.</p>", "url": "https://news.example/bridge",
 "published_at": "2026-06-18T09:14:00Z", "breaking": true}
EOF
"$NF" publish "$WORK/story.json" --breaking --db "sqlite:$db" >/dev/null
# 10 alerts, and the confirmation serve owes the recent pending import
for i in $(seq 1 50); do [ "$(outbox_files | wc -l)" -ge 11 ] && break; sleep 0.2; done
expect_eq "one alert per confirmed subscriber" "$(grep -L '^To: recent@example.org' $(outbox_files) | wc -l)" 10
expect_eq "the recent pending import got its confirmation, the old one none" \
	"$(grep -l '^To: recent@example.org' $(outbox_files) | wc -l) $(grep -l '^To: pend@example.org' $(outbox_files) | wc -l)" "1 0"
msg_for() { grep -l "^To: $1" $(outbox_files) | head -1; }
link_of() { mail_header "$(msg_for "$1")" List-Unsubscribe | grep -o "$base/u/[A-Za-z0-9_-]*" | head -1; }
token_of() { local l; l=$(link_of "$1"); echo "${l##*/}"; }

expect_eq "serve purged the signup unconfirmed for 8 days" "$(q "select count(*) from subscribers where email='pend@example.org'")" 0
expect_eq "the purged row is kept erased" "$(q "select count(*) from subscribers where status='erased'")" 1
expect_eq "a recent pending signup stays" "$(status recent@example.org)" pending
expect_eq "purging adds no suppression" "$(q "select count(*) from suppressions")" 0

# ---- RFC 8058 one-click ----
url=$(link_of oc1@example.org)
check "the alert's List-Unsubscribe carries the one-click link" test -n "$url"
expect_eq "List-Unsubscribe-Post" "$(mail_header "$(msg_for oc1@example.org)" List-Unsubscribe-Post)" "List-Unsubscribe=One-Click"
mailto=$(mail_header "$(msg_for oc1@example.org)" List-Unsubscribe | grep -o 'mailto:[^>]*')
local_part=${mailto#mailto:}; local_part=${local_part%@*}
check "the mailto local part fits RFC 5321's 64 octets (${#local_part})" test "${#local_part}" -le 64

code=$(curl -s -o "$WORK/body" -D "$WORK/hdrs" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' --data 'List-Unsubscribe=One-Click' -A "MailboxProvider/1.0" "$url")
expect_eq "one-click urlencoded: 200" "$code" 200
check "one-click: no redirect" sh -c "! grep -qi '^Location:' '$WORK/hdrs'"
check "one-click: a short body" test "$(wc -c <"$WORK/body")" -lt 200
expect_eq "one-click: unsubscribed at once" "$(status oc1@example.org)" unsubscribed
expect_eq "one-click: a ledger row with ip and agent" \
	"$(q "select purpose||' '||action||' '||source||' '||ip||' '||user_agent from consent_events where subscriber_id=$(sid oc1@example.org) order by id desc limit 1")" \
	"alerts withdrawn one-click 127.0.0.1 MailboxProvider/1.0"
rows=$(ledger oc1@example.org)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'List-Unsubscribe=One-Click' "$url")
expect_eq "one-click again: 200" "$code" 200
expect_eq "one-click again: no second ledger row" "$(ledger oc1@example.org)" "$rows"

url2=$(link_of oc2@example.org)
code=$(curl -s -v -o "$WORK/body" -w '%{http_code}' -F 'List-Unsubscribe=One-Click' "$url2" 2>"$WORK/trace")
expect_eq "one-click multipart/form-data: 200" "$code" 200
expect_contains "curl -F sent multipart/form-data" "$(cat "$WORK/trace")" "Content-Type: multipart/form-data; boundary="
expect_eq "one-click multipart: unsubscribed" "$(status oc2@example.org)" unsubscribed

# ---- GET never unsubscribes; bad tokens and bad bodies change nothing ----
gurl=$(link_of getter@example.org)
rows=$(ledger getter@example.org)
code=$(curl -s -c "$jar" -o "$WORK/page" -w '%{http_code}' "$gurl")
expect_eq "GET /u/TOKEN: 200" "$code" 200
expect_contains "the page has the Unsubscribe button" "$(cat "$WORK/page")" ">UNSUBSCRIBE</button>"
expect_contains "the button posts the one-click body" "$(cat "$WORK/page")" 'name="List-Unsubscribe" value="One-Click"'
expect_contains "the page has the preferences" "$(cat "$WORK/page")" "offers, events and updates from The Daily Example"
expect_contains "the page offers the topics" "$(cat "$WORK/page")" 'value="politics"'
curl -s -I "$gurl" >/dev/null
curl -s -o /dev/null "$base/preferences/${gurl##*/}"
expect_eq "GET and HEAD never unsubscribe" "$(status getter@example.org)" confirmed
expect_eq "GET writes no ledger row" "$(ledger getter@example.org)" "$rows"
bad="${gurl%?}"; case "${gurl: -1}" in A) bad="${bad}B" ;; *) bad="${bad}A" ;; esac
expect_eq "tampered token: POST 400" "$(curl -s -o /dev/null -w '%{http_code}' --data 'List-Unsubscribe=One-Click' "$bad")" 400
expect_eq "tampered token: GET 400" "$(curl -s -o /dev/null -w '%{http_code}' "$bad")" 400
expect_eq "a confirm token is no unsubscribe token" \
	"$(curl -s -o /dev/null -w '%{http_code}' --data 'List-Unsubscribe=One-Click' "$base/u/garbage")" 400
expect_eq "POST without the one-click body: 400" "$(curl -s -o /dev/null -w '%{http_code}' --data 'List-Unsubscribe=Yes' "$gurl")" 400
expect_eq "POST with no body: 400" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$gurl")" 400
expect_eq "nothing changed by refused posts" "$(status getter@example.org) $(ledger getter@example.org)" "confirmed $rows"

# ---- the preference centre ----
tok=${gurl##*/}
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
prefs() { curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' -A "PrefsBrowser/2" --data "$1" "${@:2}" "$base/preferences/$tok"; }
expect_eq "preferences without CSRF: 403" "$(prefs "list=breaking-news&list=politics")" 403
expect_eq "preferences from another origin: 403" "$(prefs "csrf=$csrf&list=politics" -H "Origin: https://evil.example")" 403
expect_eq "refused preference posts write nothing" "$(ledger getter@example.org)" "$rows"
# emailed_link ADDRESS PATH: the newest link to BASE/PATH... in a mail to ADDRESS (waits for it)
emailed_link() {
	local i m l
	for i in $(seq 1 50); do
		for m in $(grep -l "^To: $1" $(outbox_files) | tac); do
			l=$(mail_text "$m" | grep -o "$base$2[A-Za-z0-9_-]*" | head -1)
			[ -n "$l" ] && { echo "$l"; return 0; }
		done
		sleep 0.1
	done
	return 1
}
mails_to() { grep -l "^To: $1" $(outbox_files) | wc -l; }
# the unsubscribe token lowers at once; raising is a link mailed to the address
before=$(mails_to getter@example.org)
expect_eq "save: 200" "$(prefs "csrf=$csrf&action=save&list=breaking-news&list=politics")" 200
expect_contains "save: says a link was mailed for the rest" "$(cat "$WORK/page")" "use the link we have emailed you"
expect_eq "the unsubscribe token does not join politics" "$(q "select count(*) from memberships m join lists l on l.id=m.list_id where l.name='politics' and m.subscriber_id=$(sid getter@example.org)")" 0
expect_eq "marketing withdrawn by unticking (one click, as it was given)" "$(q "select marketing from subscribers where email='getter@example.org'")" 0
manage=$(emailed_link getter@example.org /manage/)
check "a manage link was mailed to the address" test -n "$manage"
expect_eq "one mail for it" "$(mails_to getter@example.org)" "$((before + 1))"
prefs "csrf=$csrf&action=save&list=breaking-news&list=politics" >/dev/null
expect_eq "asking again at once mails nothing more" "$(mails_to getter@example.org)" "$((before + 1))"
rows=$(ledger getter@example.org)
code=$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' "$manage")
expect_eq "GET the manage link: the preference centre" "$code" 200
expect_eq "GET changes nothing" "$(ledger getter@example.org)" "$rows"
expect_contains "its form posts to the manage link" "$(cat "$WORK/page")" "action=\"/manage/"
mprefs() { curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' -A "PrefsBrowser/2" --data "$1" "${@:2}" "$manage"; }
expect_eq "manage without CSRF: 403" "$(mprefs "list=breaking-news&list=politics")" 403
expect_eq "manage: join politics, 200" "$(mprefs "csrf=$csrf&action=save&list=breaking-news&list=politics")" 200
expect_contains "manage: says so" "$(cat "$WORK/page")" "Your choices are saved."
expect_eq "joined politics" "$(q "select count(*) from memberships m join lists l on l.id=m.list_id where l.name='politics' and m.subscriber_id=$(sid getter@example.org)")" 1
expect_eq "ledger: the list joined, named, with ip, agent and wording" \
	"$(q "select c.action||' '||c.source||' '||c.ip||' '||c.user_agent||' '||substr(c.wording_version,1,12) from consent_events c join lists l on l.id=c.list_id where l.name='politics' and c.subscriber_id=$(sid getter@example.org)")" \
	"given manage-link 127.0.0.1 PrefsBrowser/2 preferences-"
expect_eq "ledger: marketing withdrawn" \
	"$(q "select count(*) from consent_events where purpose='marketing' and action='withdrawn' and source='preferences' and subscriber_id=$(sid getter@example.org)")" 1
expect_eq "the manage link works once" "$(mprefs "csrf=$csrf&action=save&list=breaking-news&list=politics&marketing=1")" 400
expect_eq "and the second use changed nothing" "$(q "select marketing from subscribers where email='getter@example.org'")" 0
rows=$(ledger getter@example.org)
prefs "csrf=$csrf&action=save&list=breaking-news&list=politics" >/dev/null
expect_eq "saving the same choices writes nothing" "$(ledger getter@example.org)" "$rows"
prefs "csrf=$csrf&action=save&list=politics" >/dev/null
expect_eq "breaking-news left with the unsubscribe token: one row" "$(ledger getter@example.org)" "$((rows + 1))"
expect_eq "still confirmed" "$(status getter@example.org)" confirmed
# someone who left comes back through a link mailed to them, never with the alert's token alone
tok1=$(token_of oc1@example.org)
curl -s -c "$jar" -o "$WORK/page" "$base/u/$tok1"
expect_contains "an unsubscribed person is offered to subscribe again" "$(cat "$WORK/page")" ">SUBSCRIBE AGAIN</button>"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
code=$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' --data "csrf=$csrf&action=resubscribe" "$base/preferences/$tok1")
expect_eq "subscribe again: 200" "$code" 200
expect_contains "subscribe again: a link is mailed" "$(cat "$WORK/page")" "We have emailed you a link"
expect_eq "the alert's token alone does not resubscribe" "$(status oc1@example.org)" unsubscribed
manage=$(emailed_link oc1@example.org /manage/)
check "the manage link came to oc1@" test -n "$manage"
curl -s -b "$jar" -o "$WORK/page" "$manage"
expect_contains "the manage page offers to subscribe again" "$(cat "$WORK/page")" ">SUBSCRIBE AGAIN</button>"
code=$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' --data "csrf=$csrf&action=resubscribe" "$manage")
expect_eq "subscribe again from the mailed link: 200" "$code" 200
expect_eq "subscribed again: confirmed, with given and confirmed rows from the mailed link" \
	"$(status oc1@example.org) $(q "select group_concat(action, ',') from (select action from consent_events where subscriber_id=$(sid oc1@example.org) and source='manage-link' order by id)")" \
	"confirmed given,confirmed"

# ---- returned mail: inbound process on a Maildir ----
# fill SAMPLE ADDRESS NAME [ID-SUFFIX]: a sample made about ADDRESS, with the tokens of the mail it got
fill() {
	local m verp mt lt
	m=$(msg_for "$2")
	verp=$(mail_header "$m" Return-Path | sed -n 's/.*bounce+\([0-9]*-[0-9a-f]*\)@.*/\1/p')
	mt=$(mail_header "$m" List-Unsubscribe | sed -n 's/.*unsubscribe+\([0-9]*-[0-9a-f]*\)@.*/\1/p')
	lt=$(token_of "$2")
	sed -e "s/12-0a1b2c3d4e5f60718293/$verp/g" -e "s/12-1e1f6da669205fcc890f/$mt/g" \
		-e "s/AQAAAAAAAAAMAAAAAAAAAACvK9vhqptuweKt4daU9B_HGoMdAmjpiRViET2KYq3Rvw/$lt/g" \
		-e "s/reader@example.org/$2/g" -E -e "s/^(Message-I[Dd]: <)/\1${4:-x}./" \
		"$SAMPLES/$1" >"$returns/new/$3"
}
fill postfix-hard.eml hard@example.org 1000.hard
fill postfix-soft.eml soft@example.org 1001.soft1 s1
fill postfix-soft.eml soft@example.org 1002.soft2 s2
fill postfix-delayed.eml soft@example.org 1003.delayed
fill arf-abuse.eml arf@example.org 1004.arf
fill arf-redacted.eml arfred@example.org 1005.arfred
fill mailto-unsubscribe.eml mailto@example.org 1006.mailto
fill vacation-reply.eml getter@example.org 1007.vacation
# a bounce about getter@ forged by someone who knows its id but not our secret
gid=$(sid getter@example.org)
sed -e "s/12-0a1b2c3d4e5f60718293/$gid-0a1b2c3d4e5f60718293/g" -e "s/12-1e1f6da669205fcc890f/$gid-1e1f6da669205fcc890f/g" \
	-e "s/reader@example.org/getter@example.org/g" -e "s/4VbQ2X0Zk9z9sWq@/forged.4VbQ2X0Zk9z9sWq@/" \
	"$SAMPLES/postfix-hard.eml" >"$returns/new/1008.forged"
for f in malformed-no-status-part.eml malformed-truncated.eml malformed-binary.eml; do cp "$SAMPLES/$f" "$returns/new/2000.$f"; done
# without the service's secret it refuses to run, and makes no secret of its own
out=$("$NF" inbound process "$returns" --db "sqlite:$db" --secret-file "$WORK/no-such-secret" 2>&1); rc=$?
expect_eq "inbound process without the secret file exits 2" "$rc" 2
expect_contains "and says why" "$out" "cannot read the service's secret"
check "no new secret was made" test ! -e "$WORK/no-such-secret"
expect_eq "nothing was read or marked" "$(ls "$returns/new" | wc -l) $(ls "$returns/cur" | wc -l) $(q "select count(*) from inbound_seen")" "12 0 0"
# with some other secret the genuine mailto is unverified: not marked, not moved
head -c 32 /dev/urandom >"$WORK/other-secret"; chmod 600 "$WORK/other-secret"
mkdir -p "$WORK/one/new" "$WORK/one/cur" "$WORK/one/tmp"
cp "$returns/new/1006.mailto" "$WORK/one/new/"
out=$("$NF" inbound process "$WORK/one" --db "sqlite:$db" --secret-file "$WORK/other-secret" 2>/dev/null)
expect_contains "a wrong secret: the mailto is unverified" "$out" "unsubscribed 0, ignored 0, unverified 1"
expect_eq "and left in new/, unrecorded" "$(ls "$WORK/one/new" | wc -l) $(q "select count(*) from inbound_seen")" "1 0"
expect_eq "mailto@ still subscribed" "$(status mailto@example.org)" confirmed
out=$("$NF" inbound process "$WORK/one" --db "sqlite:$db" --secret-file "$WORK/other-secret" 2>/dev/null)
expect_contains "run again: still unverified, never a duplicate" "$out" "unverified 1, skipped 0; duplicates 0"
out=$("$NF" inbound process "$WORK/one" --db "sqlite:$db" --secret-file "$WORK/app/secret" 2>/dev/null)
expect_contains "with the service's secret the request is not lost" "$out" "processed 1: suppressed 0, counted 0, reset 0, unsubscribed 1"
expect_eq "mailto@ unsubscribed" "$(status mailto@example.org)" unsubscribed
expect_eq "and the message moved to cur/" "$(ls "$WORK/one/new" | wc -l) $(ls "$WORK/one/cur" | wc -l)" "0 1"

out=$("$NF" inbound process "$returns" --db "sqlite:$db" --secret-file "$WORK/app/secret" 2>"$WORK/inbound.log"); rc=$?
expect_eq "inbound process exits 0" "$rc" 0
expect_eq "inbound process summary (the mailto was done above)" "$out" \
	"processed 11: suppressed 1, counted 2, reset 0, unsubscribed 2, ignored 2, unverified 1, skipped 3; duplicates 1, failed 0"
expect_eq "every message moved to cur/ but the forgery" "$(ls "$returns/new" | wc -l) $(ls "$returns/cur" | wc -l)" "1 11"
check "the forgery stays in new/" test -f "$returns/new/1008.forged"
rm -f "$returns/new/1008.forged"
check "moved as seen (:2,S)" test -f "$returns/cur/1000.hard:2,S"
expect_eq "hard bounce: bounced" "$(status hard@example.org)" bounced
expect_eq "hard bounce: suppressed by address" "$(q "select reason from suppressions where email_key='hard@example.org'")" bounce
expect_eq "hard bounce: ledger row" "$(q "select action||' '||source from consent_events where subscriber_id=$(sid hard@example.org) order by id desc limit 1")" "withdrawn bounce"
expect_eq "two soft bounces: counted, not yet suppressed" \
	"$(q "select status||' '||soft_bounces from subscribers where email='soft@example.org'")" "confirmed 2"
expect_eq "complaint: unsubscribed, marketing withdrawn" \
	"$(q "select status||' '||marketing from subscribers where email='arf@example.org'")" "unsubscribed 0"
expect_eq "complaint: suppressed" "$(q "select reason from suppressions where email_key='arf@example.org'")" complaint
expect_eq "redacted complaint found by its link token" "$(status arfred@example.org)" unsubscribed
expect_eq "mailto: unsubscribed, not suppressed" \
	"$(status mailto@example.org) $(q "select count(*) from suppressions where email_key='mailto@example.org'")" "unsubscribed 0"
expect_eq "mailto: ledger row" "$(q "select source from consent_events where subscriber_id=$(sid mailto@example.org) order by id desc limit 1")" mailto
expect_eq "forged bounce: nothing happens to getter@" \
	"$(status getter@example.org) $(q "select count(*) from suppressions where email_key='getter@example.org'")" "confirmed 0"
expect_contains "malformed mail is logged and skipped" "$(cat "$WORK/inbound.log")" 'kind=malformed verdict=none outcome=skipped'

out=$("$NF" inbound process "$returns" --db "sqlite:$db" --secret-file "$WORK/app/secret" 2>/dev/null)
expect_contains "run twice: nothing to do" "$out" "processed 0:"
cp "$returns/cur/1001.soft1:2,S" "$returns/new/1001.soft1"
cp "$returns/cur/1000.hard:2,S" "$returns/new/1000.hard"
out=$("$NF" inbound process "$returns" --db "sqlite:$db" --secret-file "$WORK/app/secret" 2>/dev/null)
expect_contains "a message put back is a duplicate" "$out" "processed 0: suppressed 0, counted 0, reset 0, unsubscribed 0, ignored 0, unverified 0, skipped 0; duplicates 2, failed 0"
expect_eq "and counts nothing twice" "$(q "select soft_bounces from subscribers where email='soft@example.org'")" 2
fill postfix-soft.eml soft@example.org 1009.soft3 s3
out=$("$NF" inbound process "$returns" --db "sqlite:$db" --secret-file "$WORK/app/secret" 2>/dev/null)
expect_contains "the third soft bounce in a row" "$out" "processed 1: suppressed 1"
expect_eq "three soft bounces: bounced and suppressed" \
	"$(status soft@example.org) $(q "select reason from suppressions where email_key='soft@example.org'")" "bounced soft-bounce"

# ---- POST /api/inbound ----
key=$("$NF" apikey create relay-webhook --db "sqlite:$db")
fill exchange-hard.eml api@example.org api.eml
api_in() { curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: message/rfc822' --data-binary "@$1" "${@:2}" "$base/api/inbound"; }
expect_eq "api inbound without a key: 401" "$(api_in "$returns/new/api.eml")" 401
expect_eq "api inbound with a wrong key: 401" "$(api_in "$returns/new/api.eml" -H "Authorization: Bearer nope")" 401
expect_eq "without a key nothing changes" "$(status api@example.org)" confirmed
expect_eq "api inbound with the key: 200" "$(api_in "$returns/new/api.eml" -H "Authorization: Bearer $key")" 200
expect_eq "api inbound says what it did" "$(cat "$WORK/body")" '{"kind":"dsn","outcome":"suppressed"}'
expect_eq "api inbound: an Exchange NDR (5.1.10) bounces" "$(status api@example.org)" bounced
api_in "$returns/new/api.eml" -H "Authorization: Bearer $key" >/dev/null
expect_eq "api inbound again: a duplicate" "$(cat "$WORK/body")" '{"kind":"dsn","outcome":"duplicate"}'
expect_eq "api inbound: bytes that are no message: 422" "$(api_in "$SAMPLES/malformed-binary.eml" -H "Authorization: Bearer $key")" 422
rm -f "$returns/new/api.eml"

# ---- export: every table's rows about the person ----
qw "insert into deliveries (alert_id, subscriber_id, kind, attempts, next_attempt_at, reply) values (1, $(sid hard@example.org), 'perm', 1, NULL, '550 5.1.1 <hard@example.org>: Recipient address rejected')"
htok=$(token_of hard@example.org)
curl -s -c "$jar" -o "$WORK/page" "$base/u/$htok"
check "the preference page links to no export" sh -c "! grep -q '/privacy/export/' '$WORK/page'"
expect_eq "export: an unsubscribe token is no export token" "$(curl -s -o /dev/null -w '%{http_code}' "$base/privacy/export/$htok")" 400
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
code=$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' --data "csrf=$csrf&action=export" "$base/preferences/$htok")
expect_eq "ask for the export: 200" "$code" 200
expect_contains "ask for the export: we have emailed you a link" "$(cat "$WORK/page")" "We have emailed you a link to download your data"
export_url=$(emailed_link hard@example.org /privacy/export/)
check "the export link was mailed to the address" test -n "$export_url"
code=$(curl -s -b "$jar" -c "$jar" -o "$WORK/page" -w '%{http_code}' "$export_url")
expect_eq "export link GET: a page with the button, 200" "$code" 200
expect_contains "export link GET: the button" "$(cat "$WORK/page")" ">DOWNLOAD MY DATA</button>"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
expect_eq "export without CSRF: 403" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$export_url")" 403
expect_eq "export: tampered link 400" "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' --data "csrf=$csrf" "${export_url%?}x")" 400
code=$(curl -s -b "$jar" -D "$WORK/hdrs" -o "$WORK/export.json" -w '%{http_code}' --data "csrf=$csrf" "$export_url")
expect_eq "export: 200" "$code" 200
expect_contains "export: a download" "$(cat "$WORK/hdrs")" "Content-Disposition: attachment"
expect_eq "export: the link works once" "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' --data "csrf=$csrf" "$export_url")" 400
expect_eq "export: and its page is gone too" "$(curl -s -o /dev/null -w '%{http_code}' "$export_url")" 400
"$NF" subscribers show HARD@example.org --db "sqlite:$db" >"$WORK/show.json"
expect_eq "subscribers show: 0" "$?" 0
cmp_json() {
	/usr/bin/python3 - "$db" "$1" hard@example.org <<'PY'
import json, sqlite3, sys
db, path, email = sys.argv[1:4]
doc = json.load(open(path))
c = sqlite3.connect(db)
sid, status, marketing = c.execute("select id, status, marketing from subscribers where email=?", (email,)).fetchone()
problems = []
def want(what, got, exp):
    if got != exp:
        problems.append("%s: %r != %r" % (what, got, exp))
s = doc["subscriber"]
want("subscriber", (s["id"], s["email"], s["status"], s["marketing"]), (sid, email, status, bool(marketing)))
want("memberships", sorted(doc["memberships"]),
     sorted(r[0] for r in c.execute("select l.name from memberships m join lists l on l.id=m.list_id where m.subscriber_id=?", (sid,))))
want("consent_events", [(e["id"], e["purpose"], e["action"], e["source"], e["ip"]) for e in doc["consent"]],
     [tuple(r) for r in c.execute("select id, purpose, action, source, ip from consent_events where subscriber_id=? order by id", (sid,))])
want("deliveries", [(d["alert_id"], d["kind"], d["reply"]) for d in doc["deliveries"]],
     [tuple(r) for r in c.execute("select alert_id, kind, reply from deliveries where subscriber_id=? order by alert_id", (sid,))])
sup = c.execute("select reason from suppressions where email_key=?", (email,)).fetchone()
want("suppressions", doc["suppression"] and doc["suppression"]["reason"], sup and sup[0])
want("every table has rows here", all([doc["memberships"], doc["consent"], doc["deliveries"], doc["suppression"]]), True)
print("; ".join(problems) if problems else "ok")
PY
}
expect_eq "web export holds every table's rows for the person" "$(cmp_json "$WORK/export.json")" ok
expect_eq "subscribers show holds the same" "$(cmp_json "$WORK/show.json")" ok
expect_eq "web export and show agree" \
	"$(/usr/bin/python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); [d.pop("exported_at") for d in (a,b)]; print(a==b)' "$WORK/export.json" "$WORK/show.json")" True

# ---- erasure: from a link mailed from the preference centre, and from the CLI ----
curl -s -b "$jar" -c "$jar" -o "$WORK/page" "$base/u/$htok"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
hid=$(sid hard@example.org)
expect_eq "the unsubscribe token cannot erase" "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' --data "csrf=$csrf&confirm=1&never_again=1" "$base/privacy/erase/$htok")" 400
expect_eq "ask for the erase link: 200" "$(curl -s -b "$jar" -o "$WORK/page" -w '%{http_code}' --data "csrf=$csrf&action=erase" "$base/preferences/$htok")" 200
expect_contains "ask for the erase link: mailed" "$(cat "$WORK/page")" "We have emailed you a link to erase your data"
erase_url=$(emailed_link hard@example.org /privacy/erase/)
check "the erase link was mailed" test -n "$erase_url"
code=$(curl -s -b "$jar" -c "$jar" -o "$WORK/page" -w '%{http_code}' "$erase_url")
expect_eq "erase link GET: the form, 200" "$code" 200
expect_contains "erase link GET: the button" "$(cat "$WORK/page")" ">ERASE MY DATA</button>"
expect_eq "GET erased nothing" "$(status hard@example.org)" bounced
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -1)
code=$(curl -s -b "$jar" -o "$WORK/body" -w '%{http_code}' --data "csrf=$csrf&never_again=1" "$erase_url")
expect_eq "erase without ticking 'I understand': 422" "$code" 422
expect_eq "erase without CSRF: 403" "$(curl -s -o /dev/null -w '%{http_code}' --data "confirm=1" "$erase_url")" 403
expect_eq "nothing erased yet" "$(status hard@example.org)" bounced
code=$(curl -s -b "$jar" -o "$WORK/body" -w '%{http_code}' --data "csrf=$csrf&confirm=1&never_again=1" "$erase_url")
expect_eq "erase from the mailed link: 200" "$code" 200
expect_contains "erase: says so" "$(cat "$WORK/body")" "Your data is erased"
expect_eq "the erase link works once" "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' --data "csrf=$csrf&confirm=1&never_again=1" "$erase_url")" 400
out=$("$NF" subscribers erase cli@example.org --db "sqlite:$db" 2>"$WORK/erase.log"); rc=$?
expect_eq "subscribers erase: 0" "$rc" 0
expect_contains "subscribers erase: says which row" "$out" "erased subscriber"
expect_eq "erased: no address, no memberships, no deliveries" \
	"$(q "select count(*) from subscribers where id=$hid and email is null and email_key is null and status='erased'") $(q "select count(*) from memberships where subscriber_id=$hid") $(q "select count(*) from deliveries where subscriber_id=$hid")" "1 0 0"
expect_eq "erased: the ledger keeps its rows without ip or agent" "$(q "select count(*) from consent_events where subscriber_id=$hid and (ip is not null or user_agent is not null)")" 0
expect_eq "erased: the erasure is recorded" "$(q "select source from consent_events where subscriber_id=$hid order by id desc limit 1")" "erasure: preference centre"
expect_eq "erased: a keyed hash on the suppression list, no address" \
	"$(q "select count(*) from suppressions where key_hash is not null") $(q "select count(*) from suppressions where email_key in ('hard@example.org','cli@example.org')")" "2 0"
expect_eq "erased: the old link is dead" "$(curl -s -o /dev/null -w '%{http_code}' "$base/u/$htok")" 400
expect_eq "erased: show finds nobody" "$("$NF" subscribers show hard@example.org --db "sqlite:$db" >/dev/null 2>&1; echo $?)" 1
printf 'email\nhard@example.org\n' >"$WORK/again.csv"
expect_contains "erased: an old CSV cannot bring the address back" \
	"$("$NF" subscribers import "$WORK/again.csv" --list breaking-news --consent-source old --db "sqlite:$db" 2>&1)" "imported 0"
# no byte of either address is left in the database, its log or the service's log
for a in hard@example.org cli@example.org; do
	expect_eq "no '$a' in the database file" "$(grep -c "$a" "$db")" 0
	expect_eq "no '$a' in the WAL" "$(cat "$db-wal" 2>/dev/null | grep -c "$a")" 0
done
check "the search does find what is there" test "$(cat "$db" "$db-wal" 2>/dev/null | grep -c getter@example.org)" -ge 1
expect_eq "no address in the service's log" "$(grep -c '@example.org' "$WORK/serve.log")" 0
expect_eq "no address in the inbound log" "$(grep -c '@example.org' "$WORK/inbound.log")" 0
expect_eq "no address in the erase command's log" "$(grep -c '@example.org' "$WORK/erase.log")" 0

serve_stop
expect_eq "SIGTERM exits 0" "$SERVE_STATUS" 0

# ---- purge from the command line (serve's own purge would be first while it runs) ----
printf 'email\nlate@example.org\n' >"$WORK/late.csv"
"$NF" subscribers import "$WORK/late.csv" --list breaking-news --pending --consent-source "test import" --db "sqlite:$db" >/dev/null
qw "update subscribers set created_at=$old, confirm_sent_at=$old where email='late@example.org'"
expect_eq "subscribers purge --older-than 30 leaves it" "$("$NF" subscribers purge --older-than 30 --db "sqlite:$db")" "purged 0"
expect_eq "subscribers purge forgets it" "$("$NF" subscribers purge --db "sqlite:$db")" "purged 1"
expect_eq "purged: no address left" "$(q "select count(*) from subscribers where email='late@example.org'") $(grep -c late@example.org "$db")" "0 0"

for a in hard@example.org cli@example.org pend@example.org late@example.org; do
	expect_eq "after stopping, no '$a' in the database" "$(grep -c "$a" "$db")" 0
done
finish
