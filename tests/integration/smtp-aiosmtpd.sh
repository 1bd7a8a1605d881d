#!/usr/bin/env bash
# newsflash smtp send against Python's aiosmtpd (tests/lib/smtpd.py): STARTTLS
# with a certificate made here, implicit TLS, AUTH, answers per recipient,
# a relay that stalls and one that drops the connection in the middle of
# DATA. Each case checks the exact outcome of every message, and what the
# relay stored.
source tests/lib.sh
source tests/lib/smtp.sh

/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || { skip "aiosmtpd" "python3-aiosmtpd is not installed"; finish; }

msg=$WORK/msg.eml
printf 'From: alerts@example.com\r\nSubject: Breaking\r\n\r\n.leading dot\r\n..two dots\r\ncaf\xc3\xa9\r\n.\r\nend\r\n' >"$msg"
mkdir -p "$WORK/tls"
smtp_make_cert "$WORK/tls" || fail "openssl makes a certificate"
cert=$WORK/tls/cert.pem key=$WORK/tls/key.pem

# send URL [options...] : outcome lines in $out, exit status in $rc
send() {
	local url=$1
	shift
	out=$("$NF" smtp send --transport "$url" --from alerts@example.com --timeout 3 "$@" "$msg" \
		2>"$WORK/stderr")
	rc=$?
}

# ---- STARTTLS, required, with AUTH over it ----
tls_port=$(free_port)
smtpd_start "$tls_port" "$WORK/spool-tls" --starttls "$cert" "$key" --require-tls --auth news:s3cret \
	--pipelining || fail "aiosmtpd with STARTTLS starts"
send "smtp://news:s3cret@127.0.0.1:$tls_port" --ca "$cert" --to reader@example.com
expect_eq "STARTTLS + AUTH: accepted" "$out" "accepted"
expect_eq "STARTTLS + AUTH: exit 0" "$rc" 0
if cmp -s "$msg" "$WORK/spool-tls/1.eml"; then ok "the relay stored the message byte for byte (dots undone)"
else fail "the relay stored the message byte for byte (dots undone)"; fi
# SIZE= counts the bytes sent: three lines start with a dot and get another
expect_contains "BODY=8BITMIME and SIZE sent for an 8-bit message" "$(cat "$WORK/spool-tls/log")" \
	"accepted 1 alerts@example.com reader@example.com SIZE=$(( $(wc -c <"$msg") + 3 )) BODY=8BITMIME"

send "smtp://news:s3cret@127.0.0.1:$tls_port" --to reader@example.com --retries 0
expect_eq "a self-signed certificate is refused by default" "$out" \
	"temporary 0 TLS handshake with 127.0.0.1 failed: certificate verify failed (self-signed certificate)"
send "smtp://news:s3cret@127.0.0.1:$tls_port?verify=0" --to reader@example.com
expect_eq "verify=0 accepts it" "$out" "accepted"
send "smtp://news:wrong@127.0.0.1:$tls_port" --ca "$cert" --to reader@example.com --retries 0
expect_eq "wrong password: temporary, the relay's words" "$out" \
	"temporary 535 5.7.8 Authentication credentials invalid"
send "smtp://news:s3cret@localhost:$tls_port?ca=$cert" --to reader@example.com
expect_eq "the certificate's DNS name, CA from the URL" "$out" "accepted"

send "smtp://news:s3cret@127.0.0.1:$tls_port" --ca "$cert" --to "j$(printf '\xc3\xb6')rg@example.com"
expect_eq "a UTF-8 recipient (SMTPUTF8)" "$out" "accepted"
expect_contains "SMTPUTF8 on MAIL" "$(tail -n 1 "$WORK/spool-tls/log")" "SMTPUTF8"

# ---- implicit TLS: smtps:// ----
tls2=$(free_port)
smtpd_start "$tls2" "$WORK/spool-smtps" --implicit-tls "$cert" "$key" || fail "aiosmtpd with TLS starts"
send "smtps://127.0.0.1:$tls2" --ca "$cert" --to reader@example.com --count 3
expect_eq "smtps://: three accepted" "$out" "accepted
accepted
accepted"

# ---- answers per recipient and per message ----
port=$(free_port)
smtpd_start "$port" "$WORK/spool" --pipelining || fail "aiosmtpd starts"
url="smtp://127.0.0.1:$port?tls=none"
send "$url" --to ok@example.com --to rcpt451@example.com --to rcpt550@example.com
expect_eq "per recipient: accepted, 451, 550" "$out" "temporary 451 4.7.1 <rcpt451@example.com>: try again later
  ok@example.com: accepted
  rcpt451@example.com: temporary 451 4.7.1 <rcpt451@example.com>: try again later
  rcpt550@example.com: permanent 550 5.1.1 <rcpt550@example.com>: no such user"
expect_eq "per recipient: exit 1" "$rc" 1
expect_contains "only the accepted recipient got it" "$(tail -n 1 "$WORK/spool/log")" \
	"alerts@example.com ok@example.com "

send "$url" --to rcpt550@example.com
expect_eq "the only recipient refused: permanent" "$out" \
	"permanent 550 5.1.1 <rcpt550@example.com>: no such user"
send "$url" --to data451@example.com
expect_eq "451 at the end of data: temporary" "$out" "temporary 451 4.3.0 try again later"
send "$url" --to data554@example.com
expect_eq "554 at the end of data: permanent" "$out" "permanent 554 5.7.1 message refused"
out=$("$NF" smtp send --transport "$url" --from mail550@example.com --to r@example.com "$msg" 2>/dev/null)
expect_eq "sender refused: permanent" "$out" "permanent 550 5.7.1 <mail550@example.com>: sender refused"

# ---- a relay that stalls, one that drops the connection mid-DATA ----
before=$(smtp_log_count "$WORK/spool" accepted)
send "$url" --to stall@example.com --timeout 1 --retries 0
expect_eq "no answer to the end of data: temporary after the timeout" "$out" \
	"temporary 0 timeout waiting for reply to end of data from 127.0.0.1:$port"

send "$url" --to dropfirst@example.com --retries 1
expect_eq "dropped mid-DATA once: retried on a new connection, accepted" "$out" "accepted"
expect_eq "dropped mid-DATA once: stored exactly once" \
	"$(grep -c ' dropfirst@example.com ' "$WORK/spool/log")" 1

send "$url" --to dropdata@example.com --retries 2
case "$out" in
"temporary 0 lost connection to 127.0.0.1:$port"*) ok "dropped mid-DATA every time: temporary" ;;
*) fail "dropped mid-DATA every time: temporary" "got [$out]" ;;
esac
expect_eq "dropped mid-DATA every time: tried on 3 connections" "$(grep -c '^dropped dropdata@' "$WORK/spool/log")" 3
# a message larger than the socket buffers: the relay is gone while it is
# being written, which must cost the message a retry, not the process its life
big=$WORK/big.eml
{ printf 'Subject: big\r\n\r\n'; head -c 3000000 /dev/zero | tr '\0' 'a' | fold -w 76 | sed 's/$/\r/'; } >"$big"
for u in "$url" "smtp://news:s3cret@127.0.0.1:$tls_port?ca=$cert"; do
	out=$("$NF" smtp send --transport "$u" --from a@example.com --to dropdata-big@example.com \
		--retries 1 --timeout 5 "$big" 2>/dev/null)
	rc=$?
	case "$u" in smtp://news*) what="TLS" ;; *) what="plain" ;; esac
	expect_eq "relay gone while a 3 MB message is written ($what): exit 1, not a signal" "$rc" 1
	case "$out" in
	"temporary 0 "*) ok "relay gone while a 3 MB message is written ($what): temporary" ;;
	*) fail "relay gone while a 3 MB message is written ($what): temporary" "got [$out]" ;;
	esac
done

expect_eq "nothing stored for the stalled or dropped ones" \
	"$(( $(smtp_log_count "$WORK/spool" accepted) - before ))" 1

# ---- many messages, several connections, mixed outcomes, in order ----
out=$("$NF" smtp send --transport "$url" --from a@example.com --to ok@example.com --to rcpt550@example.com \
	--count 40 --connections 4 --max-per-conn 7 "$msg" 2>/dev/null)
expect_eq "40 messages, each with one refused recipient" "$(echo "$out" | sort | uniq -c | tr -s ' ')" \
" 40 ok@example.com: accepted
 40 rcpt550@example.com: permanent 550 5.1.1 <rcpt550@example.com>: no such user
 40 permanent 550 5.1.1 <rcpt550@example.com>: no such user"

# ---- weights: 3 connections to one relay for 1 to the other ----
a=$(free_port)
smtpd_start "$a" "$WORK/spool-a" --pipelining
b=$(free_port)
smtpd_start "$b" "$WORK/spool-b" --pipelining
out=$("$NF" smtp send --transport "smtp://127.0.0.1:$a?tls=none&weight=3,smtp://127.0.0.1:$b?tls=none&weight=1" \
	--from a@example.com --to r@example.com --count 40 --connections 4 --max-per-conn 0 --summary "$msg" 2>/dev/null)
expect_eq "weighted relays: all accepted" "$out" "40 accepted, 0 temporary, 0 permanent"
expect_eq "weight 3: three connections" "$(smtp_log_count "$WORK/spool-a" ehlo)" 3
expect_eq "weight 1: one connection" "$(smtp_log_count "$WORK/spool-b" ehlo)" 1
finish
