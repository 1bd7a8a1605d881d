#!/usr/bin/env bash
# newsflash smtp send against Postfix's smtp-sink: pipelining, persistent
# connections, and the exact outcome of each message when the sink injects
# 4xx (-r), 5xx (-f), 421 (-Q) or a silent disconnect (-q) on a command.
source tests/lib.sh
source tests/lib/smtp.sh

[ -x /usr/sbin/smtp-sink ] || { skip "smtp-sink" "Postfix's smtp-sink is not installed"; finish; }

msg=$WORK/msg.eml
printf 'From: alerts@example.com\r\nTo: reader@example.com\r\nSubject: Breaking\r\n\r\n.a line starting with a dot\r\nbody\r\n' >"$msg"

# send PORT [options...]: the outcome lines; exit status in $rc
send() {
	local port=$1
	shift
	out=$("$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --from alerts@example.com \
		--to reader@example.com --timeout 2 "$@" "$msg" 2>"$WORK/stderr")
	rc=$?
}

# ---- everything accepted ----
port=$(free_port)
chmod 711 "$WORK"
mkdir -m 777 "$WORK/dump"
smtp_sink_start "$port" -d "$WORK/dump/%M." || fail "smtp-sink starts"
send "$port"
expect_eq "one message: accepted" "$out" "accepted"
expect_eq "one message: exit 0" "$rc" 0

send "$port" --count 300 --connections 4 --max-per-conn 25
expect_eq "300 messages on 4 connections: all accepted" "$(echo "$out" | sort | uniq -c | tr -s ' ')" " 300 accepted"
expect_eq "300 messages: exit 0" "$rc" 0
sleep 0.3
dumped=$(find "$WORK/dump" -type f | wc -l)
expect_eq "smtp-sink received 301 messages" "$dumped" 301
one=$(find "$WORK/dump" -type f | head -n 1)
expect_contains "the dot-stuffed line arrives as written" "$(cat "$one")" ".a line starting with a dot"
expect_contains "MAIL FROM as given" "$(cat "$one")" "X-Mail-Args: <alerts@example.com>"

out=$("$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --from a@example.com \
	--to one@example.com --to two@example.com --to three@example.com "$msg" 2>/dev/null)
expect_eq "three recipients: each accepted" "$out" "accepted
  one@example.com: accepted
  two@example.com: accepted
  three@example.com: accepted"

out=$("$NF" smtp send --transport "smtp://user:secret@127.0.0.1:$port?tls=none" \
	--from a@example.com --to b@example.com "$msg" 2>/dev/null)
expect_eq "AUTH PLAIN with credentials (tls=none said so)" "$out" "accepted"

out=$(cat "$msg" | "$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --from a@example.com \
	--to b@example.com - 2>/dev/null)
expect_eq "message from stdin" "$out" "accepted"

out=$("$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --from a@example.com \
	--to b@example.com --count 50 --threaded --summary "$msg" 2>/dev/null)
expect_eq "the pool on its own thread" "$out" "50 accepted, 0 temporary, 0 permanent"

# ---- smtp:// means STARTTLS unless told otherwise; smtp-sink has none ----
out=$("$NF" smtp send --transport "smtp://127.0.0.1:$port" --retries 0 --from a@example.com \
	--to b@example.com "$msg" 2>/dev/null)
expect_eq "no STARTTLS offered: nothing sent in clear" "$out" \
	"temporary 0 127.0.0.1:$port does not offer STARTTLS (use tls=none to send in clear)"

# ---- faults on chosen commands ----
fault() {	# fault NAME WANT SINK-OPTIONS... (PORT in WANT: the sink's port)
	local name=$1 want=$2 p
	shift 2
	p=$(free_port)
	smtp_sink_start "$p" "$@" || { fail "$name: smtp-sink starts"; return; }
	send "$p" --retries 1
	expect_eq "$name" "$out" "${want//PORT/$p}"
	expect_eq "$name: exit 1" "$rc" 1
}
fault "4xx to RCPT (-r RCPT): temporary" "temporary 450 4.3.0 Error: command failed" -r RCPT
fault "5xx to MAIL (-f MAIL): permanent" "permanent 500 5.3.0 Error: command failed" -f MAIL
fault "4xx to DATA (-r DATA): temporary" "temporary 450 4.3.0 Error: command failed" -r DATA
fault "5xx at end of data (-f .): permanent" "permanent 500 5.3.0 Error: command failed" -f .
fault "421 to RCPT (-Q RCPT): retried, then temporary" "temporary 421 4.0.0 Server closing connection" -Q RCPT
fault "421 greeting (-Q CONNECT): temporary" "temporary 421 4.0.0 Server closing connection" -Q CONNECT
fault "disconnect after the dot (-q .): never counted as sent" \
	"temporary 0 lost connection to 127.0.0.1:PORT while waiting for reply to end of data" -q .
fault "disconnect on MAIL (-q MAIL)" \
	"temporary 0 lost connection to 127.0.0.1:PORT while waiting for reply to MAIL FROM" -q MAIL
fault "a sink that answers late (-w 4): timeout" \
	"temporary 0 timeout waiting for reply to MAIL FROM from 127.0.0.1:PORT" -w 4

# 4xx on RCPT for every message of a batch: each one reported, none lost
p=$(free_port)
smtp_sink_start "$p" -r RCPT
send "$p" --count 20 --connections 3
expect_eq "20 messages, RCPT refused: 20 temporary" "$(echo "$out" | sort | uniq -c | tr -s ' ')" \
	" 20 temporary 450 4.3.0 Error: command failed"

# ---- relays that are not there ----
dead=$(free_port)
send "$dead" --retries 0
expect_eq "connection refused: temporary" "$out" "temporary 0 connect to 127.0.0.1:$dead: Connection refused"
out=$("$NF" smtp send --transport "smtp://127.0.0.1:$dead?tls=none,smtp://127.0.0.1:$port?tls=none" \
	--count 10 --connections 2 --summary --from a@example.com --to b@example.com "$msg" 2>/dev/null)
expect_eq "failover: the relay that answers takes them all" "$out" "10 accepted, 0 temporary, 0 permanent"
out=$("$NF" smtp send --transport "smtp://127.0.0.1:$dead?tls=none smtp://127.0.0.1:$port?tls=none&weight=0" \
	--count 10 --summary --from a@example.com --to b@example.com "$msg" 2>/dev/null)
expect_eq "a backup relay (weight=0) takes over" "$out" "10 accepted, 0 temporary, 0 permanent"

# ---- the command line ----
"$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --to b@example.com "$msg" >/dev/null 2>&1
expect_eq "no --from: exit 2" "$?" 2
"$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --from a@example.com "$msg" >/dev/null 2>&1
expect_eq "no --to: exit 2" "$?" 2
"$NF" smtp send --transport "ftp://x" --from a@example.com --to b@example.com "$msg" >/dev/null 2>&1
expect_eq "unknown transport: exit 2" "$?" 2
err=$("$NF" smtp send --transport "smtp://u:hunter2@h:99999" --from a --to b "$msg" 2>&1 >/dev/null)
expect_eq "bad port: exit 2" "$?" 2
case "$err" in *hunter2*) fail "the password stays out of error messages" ;; *) ok "the password stays out of error messages" ;; esac
"$NF" smtp send --transport "smtp://127.0.0.1:$port?tls=none" --from a@example.com \
	--to "b@example.com>
RCPT TO:<c@example.com" "$msg" >/dev/null 2>&1
expect_eq "a recipient smuggling a command: exit 2" "$?" 2
"$NF" smtp send --from a@example.com --to b@example.com "$WORK/missing.eml" >/dev/null 2>&1
expect_eq "missing message file: exit 2" "$?" 2
"$NF" smtp frobnicate >/dev/null 2>&1
expect_eq "unknown smtp subcommand: exit 2" "$?" 2
finish
