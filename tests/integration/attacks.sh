#!/usr/bin/env bash
# Attacks against newsflash serve, each a case: CR/LF header injection
# through every form and article field (the composed messages are checked),
# template injection (never evaluated), SQL injection (stored as text, the
# schema intact), oversized bodies, headers and URLs (413/431/414, the
# server stays up), path traversal, and confirmation tokens that are
# tampered, expired, replayed, made for another purpose or another person.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/fault.sh

mkdir -p "$WORK/app"
DB="$WORK/app/newsflash.db"
fault_audience "$DB" 1 victim
KEY=$(fault_key "sqlite:$DB")
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" --publication "The Daily Example" --signup-rate 0 --batch 10 --shards 1 ||
	{ fail "serve starts"; finish; }
tables_before=$(sqlite3 "$DB" .tables | tr -s ' \n' ' ')

# clean_headers FILE: no injected header field in the message's header section
clean_headers() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
raw = open(sys.argv[1], 'rb').read()
head = raw.split(b'\r\n\r\n', 1)[0] if b'\r\n\r\n' in raw else raw.split(b'\n\n', 1)[0]
for line in head.replace(b'\r\n', b'\n').split(b'\n'):
    name = line.split(b':', 1)[0].strip().lower()
    if name in (b'bcc', b'x-injected') or line.lower().startswith((b'bcc', b'x-injected')):
        sys.exit('injected: %r' % line)
    if b'\r' in line:
        sys.exit('bare CR in a header line: %r' % line)
PY
}
api_signup() {	# api_signup JSON -> HTTP status
	curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' --data "$1" "$BASE/api/subscribe"
}
article() {	# article FIELD VALUE(JSON) -> "CODE ALERT-ID"
	/usr/bin/python3 - "$1" "$2" examples/limousine.json >"$WORK/article.json" <<'PY'
import json, sys
field, value, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
a = json.load(open(path))
if field.startswith('images.'):
    a['images'][0][field.split('.')[1]] = value
elif field == 'topics':
    a['topics'] = [value]
else:
    a[field] = value
print(json.dumps(a))
PY
	local code
	code=$(curl -s -o "$WORK/pub" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
		-H 'Content-Type: application/json' --data @"$WORK/article.json" "$BASE/api/articles")
	echo "$code $(_json_field alert_id <"$WORK/pub")"
}

# ---- 1. CR/LF header injection through the signup fields
page=$(curl -s -c "$WORK/jar" "$BASE/")
csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
inj='%0d%0aBcc:%20evil@attacker.example%0d%0aX-Injected:%201'
for field in email marketing typo_ok website csrf; do
	data="csrf=$csrf&email=crlf-$field@example.com"
	case $field in
	email) data="csrf=$csrf&email=crlf-email@example.com$inj" ;;
	csrf) data="csrf=$csrf$inj&email=crlf-csrf@example.com" ;;
	*) data="$data&$field=x$inj" ;;
	esac
	code=$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" --data "$data" "$BASE/subscribe")
	case "$code" in 200|403|422) ok "form field $field with CR/LF answered $code" ;; *) fail "form field $field with CR/LF" "answered $code" ;; esac
done
for payload in '"a@example.com\r\nBcc: evil@attacker.example"' '"a@example.com\nX-Injected: 1"' \
	'"a@example.com\u2028X-Injected: 1"' '"a@example.com\rX-Injected: 1"'; do
	expect_eq "JSON email $payload refused" "$(api_signup "{\"email\":$payload}")" 422
done
code=$(curl -s -o /dev/null -w '%{http_code}' -A $'ua\r\nX-Injected: 1' -H 'Content-Type: application/json' \
	--data '{"email":"ua-crlf@example.com"}' "$BASE/api/subscribe")
check "a CR/LF in User-Agent never reaches the server as a header (curl refuses or the server answers: $code)" test -n "$code"

# ---- 2. CR/LF through every article field: 422, or a clean message
for field in headline standfirst byline url body_text body_html images.caption images.credit images.url topics; do
	for payload in '"Text\r\nBcc: evil@attacker.example\r\nX-Injected: 1"' '"Text\nX-Injected: 1"' '"Text\rX-Injected: 1"'; do
		read -r code alert <<<"$(article "$field" "$payload")"
		case "$code" in
		422) ok "article $field with $payload refused (422)" ;;
		201) if fault_wait_alert "$BASE" "$KEY" "$alert" 30; then ok "article $field with $payload sent"; else fail "article $field alert"; fi ;;
		*) fail "article $field with $payload" "answered $code" ;;
		esac
	done
done
sleep 1
bad=0 n=0
for f in $(outbox_files); do
	n=$((n + 1))
	out=$(clean_headers "$f" 2>&1) || { bad=$((bad + 1)); echo "  $f: $out"; }
done
check "every composed message ($n) has no injected header" test "$bad" -eq 0 -a "$n" -gt 0
expect_eq "nothing was sent to the attacker" "$(grep -l 'attacker.example' $(outbox_files) 2>/dev/null | xargs -r grep -l '^Delivered-To:.*attacker' | wc -l)" 0

# ---- 3. template injection: outside text is data, never a template
read -r code alert <<<"$(article headline '"Breaking {{publication}} {{#x}}y{{/x}} {{{body_html}}} {{> layout}} {{=<% %>=}}"')"
expect_eq "a headline full of Mustache tags is accepted" "$code" 201
fault_wait_alert "$BASE" "$KEY" "$alert" 30
msg=$(grep -l 'Breaking' $(outbox_files) | tail -1)
subject=$(mail_header "$msg" Subject)
expect_eq "Subject keeps the tags as typed" "$subject" "Breaking {{publication}} {{#x}}y{{/x}} {{{body_html}}} {{> layout}} {{=<% %>=}}"
expect_contains "the text part keeps them as typed" "$(mail_text "$msg")" "Breaking {{publication}} {{#x}}y{{/x}}"
code=$(api_signup '{"email":"{{publication}}@example.com"}')
expect_eq "an address made of a tag is a valid address" "$code" 200
sleep 1
conf=$(grep -l '^To: {{publication}}@example.com' $(outbox_files) | head -1)
check "its confirmation mail is addressed to it as typed" test -n "$conf"
check "its confirmation mail never says the publication in its place" test -z "$(grep -l '^To: The Daily Example' $(outbox_files))"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -b "$WORK/jar" --data "csrf=$csrf&email=%7B%7Bpublication%7D%7D%3Cscript%3E" "$BASE/subscribe")
expect_eq "a bad address echoed back is refused" "$code" 422
expect_contains "and shown as typed, HTML-escaped" "$(cat "$WORK/body")" "{{publication}}&lt;script&gt;"

# ---- 4. SQL injection: stored as text, the schema intact
code=$(api_signup '{"email":"\"a'"'"'; DROP TABLE subscribers; --\"@example.com"}')
expect_eq "SQL in a quoted local part: refused as an address we cannot mail (it was stored, then 503)" "$code" 422
expect_contains "and says why" "$(cat "$WORK/body")" '"code":"unsupported"'
expect_eq "nothing stored for it" "$(sqlite3 "$DB" "select count(*) from subscribers where email like '%DROP TABLE%'")" 0
expect_eq "o'neil is an address like any other" "$(api_signup "{\"email\":\"o'neil@example.com\"}")" 200
expect_eq "stored exactly" "$(sqlite3 "$DB" "select count(*) from subscribers where email = 'o''neil@example.com'")" 1
code=$(curl -s -o /dev/null -w '%{http_code}' -A "'); DROP TABLE consent_events; --" -H 'Content-Type: application/json' \
	--data '{"email":"agent@example.com"}' "$BASE/api/subscribe")
expect_eq "SQL in User-Agent: signup answered" "$code" 200
expect_eq "SQL in User-Agent: kept as text in the ledger" \
	"$(sqlite3 "$DB" "select count(*) from consent_events where user_agent = '''); DROP TABLE consent_events; --'")" 1
read -r code alert <<<"$(article headline "\"Robert'); DROP TABLE articles; --\"")"
expect_eq "SQL in a headline is published as text" "$code" 201
expect_eq "stored exactly" "$(sqlite3 "$DB" "select count(*) from articles where headline = 'Robert''); DROP TABLE articles; --'")" 1
expect_eq "SQL in the API key is 401" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ' OR '1'='1" "$BASE/api/alerts/1")" 401
expect_eq "SQL in an alert id is 404" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$BASE/api/alerts/1%20OR%201=1")" 404
expect_eq "SQL in a token is 400" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/confirm/'%20OR%201=1--")" 400
expect_eq "every table is still there" "$(sqlite3 "$DB" .tables | tr -s ' \n' ' ')" "$tables_before"

# ---- 5. oversized bodies, headers and URLs
big() { head -c "$1" /dev/zero | tr '\0' a; }
big 17000 >"$WORK/17k"; big 1100000 >"$WORK/1m"
expect_eq "a 17 KB form body is 413" "$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" --data-binary @"$WORK/17k" "$BASE/subscribe")" 413
expect_eq "a 1.1 MB JSON signup is 413" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$WORK/1m" "$BASE/api/subscribe")" 413
expect_eq "a 1.1 MB article is 413" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data-binary @"$WORK/1m" "$BASE/api/articles")" 413
expect_eq "a chunked 1.1 MB body is 413" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @"$WORK/1m" "$BASE/api/subscribe")" 413
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(big 40000)" "$BASE/")
check "a 40 KB header is refused ($code)" test "$code" = 431 -o "$code" = 413
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/$(big 40000)")
check "a 40 KB URL is refused ($code)" test "$code" = 414 -o "$code" = 431 -o "$code" = 413
hdrs=(); for i in $(seq 1 300); do hdrs+=(-H "X-H$i: $(big 100)"); done
code=$(curl -s -o /dev/null -w '%{http_code}' "${hdrs[@]}" "$BASE/")
check "300 headers of 100 bytes are refused ($code)" test "$code" = 431 -o "$code" = 413
check "the server is still up after the oversized requests" curl -sf -o /dev/null "$BASE/healthz"

# ---- 6. path traversal: nothing outside the routes is ever served
echo "root:x:0:0" >"$WORK/app/canary"
for path in '/../../../etc/passwd' '/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2f..%2fetc%2fpasswd' \
	'/templates/../../etc/passwd' '/confirm/../../etc/passwd' '/confirm/..%2f..%2fsecret' \
	'//etc/passwd' '/%2e%2e%5c%2e%2e%5cetc%5cpasswd' '/static/../secret' '/privacy/../../app/canary' \
	'/.%00./etc/passwd' '/templates/signup.html.mustache' '/secret' '/newsflash.db' \
	'/newsroom/../../etc/passwd' '/newsroom/alerts/..%2f..%2fsecret' '/privacy/export/..%2f..%2fcanary'; do
	code=$(curl -s --path-as-is -o "$WORK/body" -w '%{http_code}' "$BASE$path")
	if grep -q 'root:' "$WORK/body" || grep -q 'SQLite format' "$WORK/body" || grep -q '{{' "$WORK/body"; then
		fail "path $path" "served a file"
	else
		# 4xx, or the newsroom's redirect to its sign-in page
		case "$code" in 4* | 303) ok "path $path answered $code" ;; *) fail "path $path" "answered $code" ;; esac
	fi
done

# ---- 7. confirmation tokens: tampered, expired, replayed, another purpose, another person
expect_eq "two people sign up" "$(api_signup '{"email":"alice@example.com"}')$(api_signup '{"email":"bob@example.com"}')" 200200
sleep 1
link=$(mail_text "$(grep -l '^To: alice@example.com' $(outbox_files) | head -1)" | grep -o "$BASE/confirm/[A-Za-z0-9_-]*" | head -1)
token=${link##*/}
check "alice's confirmation link is in her mail" test -n "$token"
alice=$(sqlite3 "$DB" "select id from subscribers where email='alice@example.com'")
bob=$(sqlite3 "$DB" "select id from subscribers where email='bob@example.com'")
# craft TOKEN-ID PURPOSE EXPIRY [SALT-OF-ID]: a token made with the server's own secret
craft() {
	/usr/bin/python3 - "$WORK/app/secret" "$1" "$2" "$3" "$(sqlite3 "$DB" "select token_salt from subscribers where id=${4:-$1}")" <<'PY'
import base64, hashlib, hmac, struct, sys
secret = open(sys.argv[1], 'rb').read()
sid, purpose, exp, salt = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
head = struct.pack('>QQ', sid, exp)
mac = hmac.new(secret, purpose.encode() + b'\0' + head + salt.encode(), hashlib.sha256).digest()
print(base64.urlsafe_b64encode(b'\x01' + head + mac).decode().rstrip('='))
PY
}
confirm() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$BASE/confirm/$1"; }
status() { sqlite3 "$DB" "select status from subscribers where id=$1"; }
tampered=$(echo "$token" | /usr/bin/python3 -c 'import sys; t=sys.stdin.read().strip(); i=len(t)//2; print(t[:i] + ("A" if t[i] != "A" else "B") + t[i+1:])')
expect_eq "a tampered token is refused" "$(confirm "$tampered")" 400
expect_eq "alice is still pending" "$(status "$alice")" pending
bobs_id=$(/usr/bin/python3 - "$token" "$bob" <<'PY'
import base64, struct, sys
t, bob = sys.argv[1], int(sys.argv[2])
raw = bytearray(base64.urlsafe_b64decode(t + '=' * (-len(t) % 4)))
raw[1:9] = struct.pack('>Q', bob)
print(base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('='))
PY
)
expect_eq "alice's token with bob's id is refused" "$(confirm "$bobs_id")" 400
expect_eq "bob is still pending" "$(status "$bob")" pending
expect_eq "a token for bob's id made with alice's salt is refused" "$(confirm "$(craft "$bob" confirm 0 "$alice")")" 400
expect_eq "an unsubscribe token does not confirm" "$(confirm "$(craft "$alice" unsubscribe 0)")" 400
expect_eq "an expired token is refused" "$(confirm "$(craft "$alice" confirm $(( $(date +%s) - 60 )))")" 400
expect_contains "and says so" "$(cat "$WORK/body")" "not valid or has expired"
expect_eq "alice is still pending after all that" "$(status "$alice")" pending
expect_eq "a token crafted with the server's secret works (the crafting is right)" "$(confirm "$(craft "$bob" confirm $(( $(date +%s) + 600 )))")" 200
expect_eq "bob is confirmed" "$(status "$bob")" confirmed
expect_eq "alice's real link confirms her" "$(confirm "$token")" 200
rows=$(sqlite3 "$DB" "select count(*) from consent_events where subscriber_id=$alice")
expect_eq "replayed: the same link again is still 200" "$(confirm "$token")" 200
expect_eq "replayed: no second ledger row" "$(sqlite3 "$DB" "select count(*) from consent_events where subscriber_id=$alice")" "$rows"
sqlite3 "$DB" "update subscribers set status='unsubscribed' where id=$alice"
expect_eq "replayed after leaving: refused" "$(confirm "$token")" 400
expect_eq "alice stays unsubscribed" "$(status "$alice")" unsubscribed
old=$(craft "$bob" confirm 0)
sqlite3 "$DB" "update subscribers set token_salt='rotated' where id=$bob"
expect_eq "a rotated salt revokes bob's old tokens" "$(confirm "$old")" 400

# ---- 8. leaving and privacy links: another person's, another purpose's, expired, replayed
post() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$BASE$1"; }
expect_eq "carol signs up" "$(api_signup '{"email":"carol@example.com"}')" 200
carol=$(sqlite3 "$DB" "select id from subscribers where email='carol@example.com'")
sqlite3 "$DB" "update subscribers set status='confirmed' where id=$carol"
reswap() {	# reswap TOKEN ID: the same token bytes naming another subscriber
	/usr/bin/python3 - "$1" "$2" <<'PY'
import base64, struct, sys
t, other = sys.argv[1], int(sys.argv[2])
raw = bytearray(base64.urlsafe_b64decode(t + '=' * (-len(t) % 4)))
raw[1:9] = struct.pack('>Q', other)
print(base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('='))
PY
}
bob_unsub=$(craft "$bob" unsubscribe 0)
expect_eq "bob's unsubscribe link naming carol is refused" "$(post "/u/$(reswap "$bob_unsub" "$carol")")" 400
expect_eq "carol's unsubscribe link made with bob's salt is refused" "$(post "/u/$(craft "$carol" unsubscribe 0 "$bob")")" 400
expect_eq "carol is still confirmed" "$(status "$carol")" confirmed
expect_eq "bob's link naming carol cannot erase her" "$(post "/privacy/erase/$(reswap "$bob_unsub" "$carol")")" 400
expect_eq "carol is still there" "$(sqlite3 "$DB" "select count(*) from subscribers where id=$carol and email='carol@example.com'")" 1
expect_eq "an unsubscribe link is not an export link" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/privacy/export/$(craft "$carol" unsubscribe 0)")" 400
expect_eq "an expired export link is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/privacy/export/$(craft "$carol" export $(( $(date +%s) - 60 )))")" 400
expect_eq "an export token made with the secret and salt but no mailed link is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/privacy/export/$(craft "$carol" export $(( $(date +%s) + 600 )))")" 400
expect_eq "so is such an erase token" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/privacy/erase/$(craft "$carol" erase $(( $(date +%s) + 600 )))")" 400
expect_eq "and such a manage token" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/manage/$(craft "$carol" manage $(( $(date +%s) + 600 )))")" 400
expect_eq "a confirm link does not unsubscribe" "$(post "/u/$(craft "$carol" confirm 0)")" 400
expect_eq "carol is still confirmed after all that" "$(status "$carol")" confirmed
carol_unsub=$(craft "$carol" unsubscribe 0)
expect_eq "carol's own one-click unsubscribe works" "$(curl -s -o /dev/null -w '%{http_code}' --data 'List-Unsubscribe=One-Click' "$BASE/u/$carol_unsub")" 200
expect_eq "carol has left" "$(status "$carol")" unsubscribed
rows=$(sqlite3 "$DB" "select count(*) from consent_events where subscriber_id=$carol")
expect_eq "replayed: the same one-click again is 200" "$(curl -s -o /dev/null -w '%{http_code}' --data 'List-Unsubscribe=One-Click' "$BASE/u/$carol_unsub")" 200
expect_eq "replayed: no second ledger row" "$(sqlite3 "$DB" "select count(*) from consent_events where subscriber_id=$carol")" "$rows"
check "the server is still up" curl -sf -o /dev/null "$BASE/healthz"
serve_stop
expect_eq "serve exits 0" "$SERVE_STATUS" 0
[ -n "${FAULT_DEBUG:-}" ] && cp -r "$WORK" /tmp/fault-debug
finish
