#!/usr/bin/env bash
# mail: DKIM keys from the CLI, composed alerts checked by an independent
# verifier (dkimpy, Debian's python3-dkim, with its key lookup pointed at
# the test records), golden messages, and malformed input refused.
source tests/lib.sh
source tests/lib/mail.sh

D=tests/data/mail
cp "$D/secret" "$WORK/secret" && chmod 600 "$WORK/secret"

# -- keygen: 0600 key files, a TXT record per key, no overwriting
"$NF" dkim keygen --domain news.example --selector r1 --out "$WORK/rsa.pem" >"$WORK/rsa.txt"
expect_eq "keygen rsa exits 0" "$?" 0
expect_eq "keygen key is mode 0600" "$(stat -c %a "$WORK/rsa.pem")" 600
expect_contains "keygen prints the rsa record: absolute name, TTL" "$(cat "$WORK/rsa.txt")" 'r1._domainkey.news.example. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIBIjAN'
# the zone-file line and the DNS-panel pair say the same: strings of at most
# 255 bytes joined give the panel's value, under the same name without the dot
check "keygen: the zone line's strings (<= 255 bytes) join into the panel's value, same name" \
	/usr/bin/python3 - "$WORK/rsa.txt" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split('\n')
zone = [l for l in lines if ' IN TXT ' in l]
name = [l[6:] for l in lines if l.startswith('name: ')]
value = [l[7:] for l in lines if l.startswith('value: ')]
assert len(zone) == 1 and len(name) == 1 and len(value) == 1, lines
m = re.fullmatch(r'([a-z0-9._-]+)\. (\d+) IN TXT((?: "[^"]*")+)', zone[0])
assert m, zone[0]
parts = re.findall(r'"([^"]*)"', m.group(3))
assert len(parts) >= 2 and all(len(p) <= 255 for p in parts), [len(p) for p in parts]
assert m.group(1) == name[0] == 'r1._domainkey.news.example', (m.group(1), name)
assert ''.join(parts) == value[0] and ' ' not in value[0].split('p=')[1], value
assert all(l.startswith(';') or l.startswith(('name: ', 'value: ')) or l in zone or l == '' for l in lines), lines
PY
"$NF" dkim keygen --domain news.example --selector e1 --algorithm ed25519 --out "$WORK/ed.pem" >"$WORK/ed.txt"
expect_eq "keygen ed25519 exits 0" "$?" 0
expect_contains "keygen prints the ed25519 record" "$(cat "$WORK/ed.txt")" 'e1._domainkey.news.example. 3600 IN TXT "v=DKIM1; k=ed25519; p='
expect_contains "keygen prints the ed25519 value for a DNS panel" "$(cat "$WORK/ed.txt")" $'name: e1._domainkey.news.example\nvalue: v=DKIM1; k=ed25519; p='
"$NF" dkim keygen --domain news.example --selector e1 --algorithm ed25519 --out "$WORK/ed.pem" >/dev/null 2>&1
expect_eq "keygen never overwrites a key" "$?" 2
"$NF" dkim keygen --domain news.example --selector x --algorithm dsa --out "$WORK/x.pem" >/dev/null 2>&1
expect_eq "keygen refuses an unknown algorithm" "$?" 2
"$NF" dkim keygen --domain 'bad;domain' --selector x --out "$WORK/y.pem" >/dev/null 2>&1
expect_eq "keygen refuses a bad domain" "$?" 2
check "keygen left no file on a refused domain" test ! -e "$WORK/y.pem"

RSA=(--dkim-key "$WORK/rsa.pem" --dkim-domain news.example --dkim-selector r1)
ED=(--dkim-key "$WORK/ed.pem" --dkim-domain news.example --dkim-selector e1)
RECS=("$(mail_record "$WORK/rsa.txt")" "$(mail_record "$WORK/ed.txt")")
compose() {
	"$NF" message compose --templates "$D/templates" --secret-file "$WORK/secret" \
		--base-url https://news.example --from "Newsflash Desk <breaking@news.example>" "$@"
}

# -- dkimpy verifies rsa-sha256, ed25519-sha256, and both on one message
for article in basic utf8 cjk long; do
	for keys in rsa ed both; do
		case $keys in
		rsa) k=("${RSA[@]}") ;; ed) k=("${ED[@]}") ;; both) k=("${RSA[@]}" "${ED[@]}") ;;
		esac
		compose --article "$D/$article.json" --to reader@example.org "${k[@]}" >"$WORK/m.eml"
		out=$(mail_verify "$WORK/m.eml" "${RECS[@]}"); rc=$?
		n=$(grep -c pass <<<"$out")
		want=1; [ $keys = both ] && want=2
		if [ $rc -eq 0 ] && [ "$n" -eq $want ]; then ok "dkimpy: $article $keys"; else fail "dkimpy: $article $keys" "$out"; fi
	done
done

# -- the operator's templates (templates/) too
for article in basic cjk; do
	"$NF" message compose --secret-file "$WORK/secret" --base-url https://news.example \
		--from "Newsflash Desk <breaking@news.example>" --article "$D/$article.json" \
		--to "o'brien+alerts@example.org" "${RSA[@]}" "${ED[@]}" >"$WORK/m.eml"
	out=$(mail_verify "$WORK/m.eml" "${RECS[@]}"); rc=$?
	if [ $rc -eq 0 ] && [ "$(grep -c pass <<<"$out")" -eq 2 ]; then ok "dkimpy: $article, project templates"; else fail "dkimpy: $article, project templates" "$out"; fi
done
out=$(/usr/bin/python3 -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_maintype() == "text":
        print(p.get_content_type(), p.get_payload(decode=True).decode())
' "$WORK/m.eml")
expect_contains "project templates: address escaped in HTML" "$out" "o&#39;brien+alerts@example.org signed up"
expect_contains "project templates: unsubscribe link in the text" "$out" "Unsubscribe: https://news.example/u/"
expect_contains "project templates: unsubscribe link in the HTML" "$out" '<a href="https://news.example/u/'

# -- the verifier is not a rubber stamp: tampering fails it
compose --article "$D/basic.json" --to reader@example.org "${RSA[@]}" "${ED[@]}" >"$WORK/m.eml"
sed 's/^Subject: Harbour/Subject: Harb0ur/' "$WORK/m.eml" >"$WORK/t1.eml"
mail_verify "$WORK/t1.eml" "${RECS[@]}" >/dev/null; expect_eq "dkimpy fails an altered Subject" "$?" 1
sed 's/^To: reader@example.org/&\r\nFrom: Impostor <ceo@news.example>/' "$WORK/m.eml" >"$WORK/t2.eml"
mail_verify "$WORK/t2.eml" "${RECS[@]}" >/dev/null; expect_eq "dkimpy fails an added From (over-signed)" "$?" 1
sed 's/List-Unsubscribe=One-Click/List-Unsubscribe=Two-Clicks/' "$WORK/m.eml" >"$WORK/t3.eml"
mail_verify "$WORK/t3.eml" "${RECS[@]}" >/dev/null; expect_eq "dkimpy fails an altered List-Unsubscribe-Post" "$?" 1
sed 's/cargo ship/cargo boat/' "$WORK/m.eml" >"$WORK/t4.eml"
mail_verify "$WORK/t4.eml" "${RECS[@]}" >/dev/null; expect_eq "dkimpy fails an altered body" "$?" 1
# a second copy of a field put above ours (where a reader sees it first): every
# field a reader or a filter relies on is over-signed, so dkimpy fails each
for field in 'Subject: Your account is locked' 'To: victim@example.org' \
	'Date: Mon, 1 Jan 2024 00:00:00 +0000' 'Content-Type: text/html' \
	'List-Unsubscribe: <https://evil.example/u/x>' 'List-Unsubscribe-Post: List-Unsubscribe=One-Click' \
	'Message-ID: <forged@evil.example>' 'Feedback-ID: 1:evil:alert:newsflash' \
	'From: Impostor <ceo@news.example>' 'MIME-Version: 1.0' 'List-Id: <evil.news.example>' \
	'Auto-Submitted: no' 'List-Help: <https://evil.example/>' 'Reply-To: thief@evil.example' \
	'Cc: everyone@example.org' 'Sender: thief@evil.example'; do
	{ printf '%s\r\n' "$field"; cat "$WORK/m.eml"; } >"$WORK/t5.eml"
	mail_verify "$WORK/t5.eml" "${RECS[@]}" >/dev/null
	expect_eq "dkimpy fails a second ${field%%:*} above ours" "$?" 1
done
check "Feedback-ID is signed" grep -q 'feedback-id' <(tr -d '\r\n ' <"$WORK/m.eml" | grep -o 'h=[^;]*')
# and a sane check that the untampered message still passes with the longer h=
mail_verify "$WORK/m.eml" "${RECS[@]}" >/dev/null; expect_eq "dkimpy passes the message itself" "$?" 0
# RFC 3834 5 and List-Help: auto-replies stay quiet, readers find help
hdrs=$(sed '/^\r$/q' "$WORK/m.eml" | tr -d '\r')
expect_contains "alert: Auto-Submitted" "$hdrs" $'\nAuto-Submitted: auto-generated\n'
expect_contains "alert: X-Auto-Response-Suppress" "$hdrs" $'\nX-Auto-Response-Suppress: All\n'
expect_contains "alert: List-Help" "$hdrs" $'\nList-Help: <https://news.example/privacy>\n'

# -- golden messages: fixed date, secret, ids and keys give the same bytes every time
GOLD=(--date 2026-11-29T03:10:00Z --alert-id 42 --subscriber-id 7 --salt golden-salt
      --publication "The Daily Example"
      --dkim-key "$D/keys/rsa2048.pem" --dkim-domain news.example --dkim-selector rsa2026
      --dkim-key "$D/keys/ed25519.pem" --dkim-domain news.example --dkim-selector ed2026)
GOLD_RECS=("$(mail_record "$D/keys/rsa2048.txt")" "$(mail_record "$D/keys/ed25519.txt")")
for g in "$D"/golden/*.eml; do
	name=$(basename "$g" .eml)
	compose --article "$D/$name.json" --to reader@example.org "${GOLD[@]}" >"$WORK/g.eml" 2>/dev/null
	if [ -n "${NEWSFLASH_REGEN_GOLDEN:-}" ]; then cp "$WORK/g.eml" "$g"; fi
	if cmp -s "$WORK/g.eml" "$g"; then ok "golden $name"; else fail "golden $name" "$(diff <(tr -d '\r' <"$g") <(tr -d '\r' <"$WORK/g.eml") | head -20)"; fi
	mail_verify "$g" "${GOLD_RECS[@]}" >/dev/null; expect_eq "golden $name verifies" "$?" 0
done

# -- malformed input: refused with exit 2 and nothing on stdout
refused() {	# refused NAME ARGS...: exit 2, empty stdout
	local name=$1; shift
	local out rc
	out=$(compose "$@" 2>/dev/null); rc=$?
	if [ $rc -eq 2 ] && [ -z "$out" ]; then ok "$name"; else fail "$name" "exit $rc, ${#out} bytes"; fi
}
refused "CRLF in --to refused" --article "$D/basic.json" --to $'reader@example.org\r\nBcc: all@example.org'
refused "space in --to refused" --article "$D/basic.json" --to 'a b@example.org'
printf '{"headline":"Bad\\r\\nBcc: x@y","body_html":"<p>x</p>","url":"https://news.example/x","published_at":"2026-11-29T03:00:00Z"}' >"$WORK/bad.json"
refused "CRLF in a headline refused" --article "$WORK/bad.json" --to reader@example.org
refused "missing article refused" --article "$WORK/none.json" --to reader@example.org
refused "--from with LF refused" --article "$D/basic.json" --to reader@example.org --from $'Desk\n<x@news.example>'
refused "uneven --dkim options refused" --article "$D/basic.json" --to reader@example.org "${RSA[@]}" --dkim-key "$WORK/ed.pem"
printf 'not a key\n' >"$WORK/junk.pem"
refused "a non-key refused" --article "$D/basic.json" --to reader@example.org --dkim-key "$WORK/junk.pem" --dkim-domain news.example --dkim-selector x
openssl genrsa -out "$WORK/weak.pem" 512 2>/dev/null
refused "a 512-bit RSA key refused" --article "$D/basic.json" --to reader@example.org --dkim-key "$WORK/weak.pem" --dkim-domain news.example --dkim-selector x
refused "a bad --base-url refused" --article "$D/basic.json" --to reader@example.org --base-url 'javascript:alert(1)'
finish
