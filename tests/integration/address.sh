#!/usr/bin/env bash
# newsflash address check: output format, exit codes, hints, SMTPUTF8, and
# --check-mx against a real dnsmasq serving a local zone on 127.0.0.1
source tests/lib.sh
source tests/lib/dnsmasq.sh
TAB=$'\t'

# -- format and exit codes
out=$("$NF" address check user@Example.COM); rc=$?
expect_eq "valid address exits 0" "$rc" 0
expect_eq "valid line is valid<TAB>normalised" "$out" "valid${TAB}user@example.com"

out=$("$NF" address check 'john@example'); rc=$?
expect_eq "invalid address exits 1" "$rc" 1
expect_eq "invalid line is invalid<TAB>code<TAB>message" "$out" \
	"invalid${TAB}domain_no_tld${TAB}The domain after the @ is incomplete: it needs an ending such as .com."

out=$("$NF" address check good@example.com 'bad@@example.com' other@example.org); rc=$?
expect_eq "one invalid among valid exits 1" "$rc" 1
expect_eq "one line per address, in order" "$(echo "$out" | cut -f1 | tr '\n' ' ')" "valid invalid valid "
expect_eq "each line names its address or code" "$(echo "$out" | cut -f2 | tr '\n' ' ')" \
	"good@example.com multiple_at other@example.org "

out=$("$NF" address check 'bücher@bücher.example'); rc=$?
expect_eq "UTF-8 local part without --smtputf8 is invalid" "$(echo "$out" | cut -f2)" "local_utf8"
out=$("$NF" address check --smtputf8 'bücher@bücher.example'); rc=$?
expect_eq "--smtputf8 accepts it, domain in A-labels" "$out" "valid${TAB}bücher@xn--bcher-kva.example"
out=$(NEWSFLASH_SMTPUTF8=1 "$NF" address check 'bücher@example.com'); rc=$?
expect_eq "NEWSFLASH_SMTPUTF8 in the environment works too" "$rc" 0

out=$("$NF" address check $'a@example.com\r\nRCPT TO:<x@evil.example>'); rc=$?
expect_eq "CRLF injection is control_char" "$(echo "$out" | cut -f2)" "control_char"
expect_eq "an injected line never reaches the output" "$(echo "$out" | wc -l)" 1
out=$("$NF" address check '<a@b.co>' 'a@b.co, d@e.co' 'Ann <a@b.co>'); rc=$?
expect_eq "brackets, lists, display names" "$(echo "$out" | cut -f2 | tr '\n' ' ')" \
	"angle_bracket list display_name "

# -- hints
out=$("$NF" address check john@gmial.com); rc=$?
expect_eq "a hint keeps the address valid" "$rc" 0
expect_eq "hint is a further suggest= field" "$out" "valid${TAB}john@gmial.com${TAB}suggest=john@gmail.com"
out=$("$NF" address check Jane@hotmial.com jane@yaho.com jane@gmail.com)
expect_eq "hints for several providers, none for the real one" "$out" \
"valid${TAB}Jane@hotmial.com${TAB}suggest=Jane@hotmail.com
valid${TAB}jane@yaho.com${TAB}suggest=jane@yahoo.com
valid${TAB}jane@gmail.com"
out=$("$NF" address check john@gmail)
expect_contains "an invalid address may carry a hint" "$out" "${TAB}domain_no_tld${TAB}"
expect_contains "... as the last field" "$out" ".com.${TAB}suggest=john@gmail.com"

# -- usage errors exit 2
"$NF" address >/dev/null 2>&1; expect_eq "no subcommand exits 2" "$?" 2
"$NF" address frob a@b.co >/dev/null 2>&1; expect_eq "unknown subcommand exits 2" "$?" 2
err=$("$NF" address check 2>&1 >/dev/null); rc=$?
expect_eq "no address exits 2" "$rc" 2
expect_contains "no address says so" "$err" "at least one ADDRESS"
"$NF" address check --bogus a@b.co >/dev/null 2>&1; expect_eq "unknown option exits 2" "$?" 2
err=$("$NF" address check --check-mx --dns-server localhost:53 a@b.co 2>&1 >/dev/null); rc=$?
expect_eq "bad --dns-server exits 2" "$rc" 2
expect_contains "bad --dns-server says why" "$err" "IPv4[:PORT]"
out=$("$NF" address --help); rc=$?
expect_eq "--help exits 0" "$rc" 0
expect_contains "--help shows the options" "$out" "--check-mx"
out=$("$NF" address check -- -dash@example.com); rc=$?
expect_eq "-- lets an address start with a dash" "$out" "valid${TAB}-dash@example.com"
out=$("$NF" --help)
expect_contains "address is in the command list" "$out" "address"

# -- --check-mx against dnsmasq
if ! dnsmasq_start \
	--mx-host=mail.test,mx1.mail.test,10 --host-record=mx1.mail.test,192.0.2.25 \
	--mx-host=xn--bcher-kva.test,mx1.mail.test,10 \
	--dns-rr=nullmx.test,15,000000 \
	--host-record=aonly.test,192.0.2.10 \
	--host-record=v6only.test,2001:db8::10 \
	--txt-record=nomail.test,"no mail here"; then
	skip "check-mx" "dnsmasq did not start: $(cat "$WORK/dnsmasq.out" 2>/dev/null)"
	finish
fi
DNS="127.0.0.1:$DNS_PORT"
mx() { "$NF" address check --check-mx --dns-server "$DNS" "$@"; }

out=$(mx a@mail.test); rc=$?
expect_eq "MX record: valid" "$out$rc" "valid${TAB}a@mail.test0"
out=$(mx a@bücher.test); rc=$?
expect_eq "MX looked up under the A-label" "$out$rc" "valid${TAB}a@xn--bcher-kva.test0"
out=$(mx a@nullmx.test); rc=$?
expect_eq "null MX (RFC 7505): invalid" "$(echo "$out" | cut -f2)$rc" "domain_null_mx1"
out=$(mx a@aonly.test); rc=$?
expect_eq "no MX, an A record: valid (implicit MX)" "$out$rc" "valid${TAB}a@aonly.test0"
out=$(mx a@v6only.test); rc=$?
expect_eq "no MX, an AAAA record: valid" "$out$rc" "valid${TAB}a@v6only.test0"
out=$(mx a@nomail.test); rc=$?
expect_eq "name exists, no MX/A/AAAA: invalid" "$(echo "$out" | cut -f2)$rc" "domain_no_mail1"
out=$(mx a@nothere.test); rc=$?
expect_eq "nonexistent domain: invalid" "$(echo "$out" | cut -f2)$rc" "domain_not_found1"
out=$(mx a@mail.test b@nullmx.test); rc=$?
expect_eq "mixed batch exits 1" "$rc" 1
check "the queries went to dnsmasq" grep -q 'query\[MX\] nullmx.test' "$WORK/dnsmasq.log"
check "A fallback asked only after MX" grep -q 'query\[A\] aonly.test' "$WORK/dnsmasq.log"
out=$("$NF" address check --dns-server "$DNS" a@unasked.test); rc=$?
expect_eq "without --check-mx DNS is not asked" "$out$rc" "valid${TAB}a@unasked.test0"
check "... and dnsmasq saw no query for it" bash -c "! grep -q unasked.test '$WORK/dnsmasq.log'"
out=$(NEWSFLASH_CHECK_MX=1 NEWSFLASH_DNS_SERVER="$DNS" "$NF" address check a@nullmx.test)
expect_eq "check-mx and dns-server from the environment" "$(echo "$out" | cut -f2)" "domain_null_mx"

# a server that never answers: the address stays valid, with a warning
SILENT_PORT=$(free_port)
/usr/bin/python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(120)' "$SILENT_PORT" &
cleanup_add "kill $!"
sleep 0.3
err=$(timeout 30 "$NF" address check --check-mx --dns-server "127.0.0.1:$SILENT_PORT" \
	--dns-timeout 1 a@mail.test 2>&1 >"$WORK/silent.out"); rc=$?
expect_eq "DNS timeout: valid, exit 0 (fails open)" "$(cat "$WORK/silent.out")$rc" "valid${TAB}a@mail.test0"
expect_contains "DNS timeout: warning on stderr" "$err" "no answer from DNS"
finish
