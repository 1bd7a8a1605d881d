#!/usr/bin/env bash
# configuration end to end: the file (--config, NEWSFLASH_CONFIG), the
# environment and flags, in that order of strength, seen through a running
# serve; list keys repeated in the file; config check reporting every
# problem at once; --log-format json from the file; the access log, which
# never shows a token or a key.
source tests/lib.sh
source tests/lib/serve.sh
TEMPLATES=${NEWSFLASH_TEMPLATES:-$NEWSFLASH_SRC/templates}
# scripts/check sets NEWSFLASH_TEMPLATES; here the environment is under test
unset NEWSFLASH_CONFIG NEWSFLASH_PUBLICATION NEWSFLASH_LISTEN NEWSFLASH_TEMPLATES
cd "$WORK" || exit 1
mkdir -p app

publication() {	# the publication named on the signup page at port $1
	curl -s "http://127.0.0.1:$1/privacy" | grep -o 'Publication[A-Za-z]*' | head -n 1
}
start() {	# start PORT ARGS...: serve, log in $WORK/s.log
	local port=$1; shift
	"$NF" serve --db "sqlite:$WORK/app/nf.db" --transport "maildir:$WORK/app/outbox" \
		--secret-file "$WORK/app/secret" --templates "$TEMPLATES" "$@" >"$WORK/s.log" 2>&1 &
	SPID=$!
	cleanup_add "kill $SPID"
	wait_port "$port" 10
}
stop() { kill -TERM "$SPID"; wait "$SPID"; }

# ---- precedence: flag > environment > file > default ----
p1=$(free_port); p2=$(free_port)
cat >nf.conf <<CONF
# the service's settings
listen = 127.0.0.1:$p1
publication = PublicationFromFile
log-format = json
CONF
start "$p1" --config nf.conf
expect_eq "file: listen and publication from the file" "$(publication "$p1")" "PublicationFromFile"
check "file: log-format json from the file" /usr/bin/python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines and all(json.loads(l)["ts"] for l in lines)' "$WORK/s.log"
stop
NEWSFLASH_PUBLICATION=PublicationFromEnv start "$p1" --config nf.conf
expect_eq "environment beats the file" "$(publication "$p1")" "PublicationFromEnv"
stop
NEWSFLASH_PUBLICATION=PublicationFromEnv start "$p2" --config nf.conf --publication PublicationFromFlag \
	--listen "127.0.0.1:$p2"
expect_eq "flag beats the environment (and the file's listen)" "$(publication "$p2")" "PublicationFromFlag"
stop
NEWSFLASH_CONFIG=$WORK/nf.conf start "$p1"
expect_eq "NEWSFLASH_CONFIG names the file" "$(publication "$p1")" "PublicationFromFile"
stop
sed -i 's/^publication = .*/publication = "  PublicationQuoted  "/' nf.conf
start "$p1" --config nf.conf
expect_eq "quoted value" "$(publication "$p1")" "PublicationQuoted"
stop

# ---- serve refuses a key it does not know, naming the line ----
printf 'listen = 127.0.0.1:%s\npublicaton = typo\n' "$p1" >typo.conf
out=$("$NF" serve --config typo.conf 2>&1); rc=$?
expect_eq "serve refuses an unknown key (exit 2)" "$rc" 2
expect_contains "serve names the file and line" "$out" "typo.conf:2: unknown key 'publicaton'"
expect_contains "another command skips keys it lacks" \
	"$("$NF" subscribers count --db "sqlite:$WORK/app/nf.db" --config typo.conf 2>&1)" "0"

# ---- list keys repeat in the file; a flag replaces the file's list ----
"$NF" dkim keygen --domain example.com --selector rsa1 --out rsa.pem >/dev/null
"$NF" dkim keygen --domain example.com --selector ed1 --algorithm ed25519 --out ed.pem >/dev/null
cat >keys.conf <<CONF
dkim-key = $WORK/rsa.pem
dkim-domain = example.com
dkim-selector = rsa1
dkim-key = $WORK/ed.pem
dkim-domain = example.com
dkim-selector = ed1
secret-file = $WORK/app/secret
CONF
echo '{"headline":"Config test","url":"https://example.com/a","body_text":"x"}' >story.json
compose() { "$NF" message compose --article story.json --to a@example.org --templates "$TEMPLATES" "$@" 2>&1; }
expect_eq "two keys from the file: two signatures" "$(compose --config keys.conf | grep -c '^DKIM-Signature:')" 2
expect_eq "a flag's list replaces the file's" "$(compose --config keys.conf --dkim-key "$WORK/rsa.pem" \
	--dkim-domain example.com --dkim-selector rsa1 | grep -c '^DKIM-Signature:')" 1

# ---- config check: every problem at once, with lines ----
printf 'not a database at all, not even close, padding padding padding' >garbage.db
cat >bad.conf <<CONF
listen = 127.0.0.1:99999
# a comment
workers = many
lisen = 127.0.0.1:1
dkim-key = $WORK/missing.pem
dkim-domain = example.com
dkim-selector = s
templates = $WORK/no-templates
db = sqlite:$WORK/garbage.db
transport = smtp://relay.example:notaport
log-format = xml
trust-proxy = perhaps
CONF
out=$("$NF" config check --config bad.conf 2>/dev/null); rc=$?
expect_eq "config check: exit 1 on problems" "$rc" 1
for want in "bad.conf:3: invalid value \"many\" for workers" "bad.conf:4: unknown key 'lisen'" \
	"bad.conf:12: invalid value \"perhaps\" for trust-proxy" "--listen: expected HOST:PORT" \
	"--dkim-key: cannot use $WORK/missing.pem" "--templates: cannot read the folder" \
	"--db: " "--transport: " "--log-format: must be text or json" "9 problems" \
	"bad.conf:1: --listen" "bad.conf:5: --dkim-key" "bad.conf:8: --templates" "bad.conf:9: --db" \
	"bad.conf:10: --transport" "bad.conf:11: --log-format"; do
	expect_contains "config check reports: $want" "$out" "$want"
done
expect_contains "config check: the database problem says why" "$(grep -- '--db' <<<"$out")" "not a database"
out=$("$NF" config check --db "postgresql://nobody@127.0.0.1:$(free_port)/x" --templates "$TEMPLATES" \
	--secret-file "$WORK/app/secret" 2>/dev/null); rc=$?
expect_contains "config check: an unreachable PostgreSQL" "$out" "--db: postgresql: connect"
printf 'x' >short-secret
out=$("$NF" config check --secret-file short-secret --templates "$TEMPLATES" --db "sqlite:$WORK/app/nf.db" 2>/dev/null)
expect_contains "config check: an unusable secret" "$out" "--secret-file: short-secret holds fewer than 16 bytes"
out=$("$NF" config check --config keys.conf --templates "$TEMPLATES" --db "sqlite:$WORK/app/nf.db" \
	--transport "smtp://127.0.0.1:25?tls=none" --from "Desk <alerts@example.com>" \
	--base-url https://news.example.com 2>&1); rc=$?
expect_eq "config check: a good configuration is ok, exit 0" "$rc $out" "0 ok: keys.conf"
# warnings: what works but hurts delivery; the exit status stays 0
good=(--config keys.conf --templates "$TEMPLATES" --db "sqlite:$WORK/app/nf.db" --transport "smtp://127.0.0.1:25?tls=none")
out=$("$NF" config check "${good[@]}" --from "Desk <alerts@news.example.com>" --base-url https://news.example.com 2>&1); rc=$?
expect_eq "config check: From in a subdomain of d= is aligned (relaxed)" "$rc $out" "0 ok: keys.conf"
out=$("$NF" config check "${good[@]}" --from "Desk <alerts@mail.example.com>" --base-url https://example.com \
	--dkim-key "$WORK/rsa.pem" --dkim-domain news.example.com --dkim-selector rsa1 2>&1); rc=$?
expect_eq "config check: sibling subdomains share the organizational domain" "$rc $out" "0 ok: keys.conf"
out=$("$NF" config check "${good[@]}" --from "Desk <alerts@other.example>" --base-url https://news.example.com 2>&1); rc=$?
expect_eq "config check: a misaligned From is a warning, not a problem (exit 0)" "$rc" 0
expect_contains "config check: warns that DMARC fails" "$out" \
	"warning: --from: its domain other.example is not aligned with any --dkim-domain"
out=$("$NF" config check "${good[@]}" --from "Desk <alerts@example.co.uk>" --base-url https://news.example.com \
	--dkim-key "$WORK/rsa.pem" --dkim-domain other.co.uk --dkim-selector rsa1 2>&1)
expect_contains "config check: a public suffix is no organization (co.uk)" "$out" \
	"warning: --from: its domain example.co.uk is not aligned"
out=$("$NF" config check "${good[@]}" --from "Desk <alerts@example.com>" --base-url http://news.example.com 2>&1); rc=$?
expect_eq "config check: an http base URL is a warning (exit 0)" "$rc" 0
expect_contains "config check: warns that http loses one-click" "$out" \
	"warning: --base-url: is http: mail clients offer one-click unsubscribe (RFC 8058) only for an https link"
# what would never reach a reader: warnings, each with its line in the file;
# a trailing comment after a blank is no part of the value
cat >local.conf <<CONF
transport = maildir:$WORK/app/outbox   # the outbox
from = "Desk <alerts@localhost>"   # the default
base-url = http://127.0.0.1:8080
workers = 2 # two engine threads
CONF
out=$("$NF" config check --config local.conf --templates "$TEMPLATES" --db "sqlite:$WORK/app/nf.db" 2>&1); rc=$?
expect_eq "config check: nothing leaving the machine is a warning (exit 0)" "$rc" 0
for want in "warning: local.conf:1: --transport: is a Maildir: no mail leaves this machine" \
	"warning: local.conf:2: --from: is at localhost" \
	"warning: local.conf:3: --base-url: is on this machine (loopback)" \
	"warning: local.conf:3: --base-url: is http" "ok: local.conf"; do
	expect_contains "config check warns: $want" "$out" "$want"
done
out=$("$NF" config check --config local.conf --templates "$TEMPLATES" --db "sqlite:$WORK/app/nf.db" \
	--base-url https://localhost 2>&1)
expect_contains "config check: https://localhost is loopback too" "$out" "warning: --base-url: is on this machine"
out=$("$NF" config check --templates "$TEMPLATES" --db "sqlite:$WORK/app/nf.db" --transport "smtp://127.0.0.1:25?tls=none" \
	--from "Desk <alerts@news.example.com>" 2>&1)
expect_contains "config check: an unset base URL is a warning" "$out" "warning: --base-url: not set"
before=$(ls "$WORK/app")
"$NF" config check --db "sqlite:$WORK/new/x.db" --secret-file "$WORK/new/secret" >/dev/null 2>&1
expect_eq "config check creates nothing" "$(ls "$WORK/app"; test -e "$WORK/new" && echo created)" "$before"

# ---- the access log: one line a request, no token, no key ----
port=$(free_port)
start "$port" --listen "127.0.0.1:$port" --log-format json --templates "$TEMPLATES"
key=$("$NF" apikey create newsroom --db "sqlite:$WORK/app/nf.db")
token="c2VjcmV0LXRva2VuLXRoYXQtbXVzdC1ub3QtYmUtbG9nZ2Vk"
curl -s -o /dev/null "http://127.0.0.1:$port/confirm/$token?utm=$token"
curl -s -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/alerts/999"
curl -s -o /dev/null "http://127.0.0.1:$port/healthz"
curl -s -o /dev/null -X DELETE "http://127.0.0.1:$port/healthz"
sleep 0.3
stop
log=$(cat "$WORK/s.log")
check "access log: neither the token nor the API key appears" bash -c '! grep -qF -e "$1" -e "$2" "$3"' _ "$token" "$key" "$WORK/s.log"
check "access log: one JSON line per request, fields as documented" /usr/bin/python3 - "$WORK/s.log" <<'PY'
import json, sys
reqs = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "http.request"]
want = [("GET", "/confirm/{token}"), ("GET", "/api/alerts/999", "404"), ("GET", "/healthz", "200"),
        ("DELETE", "/healthz", "405")]
got = [(e["method"], e["path"], e["status"]) for e in reqs]
assert len(reqs) == 4, got
for w, e in zip(want, reqs):
    assert (e["method"], e["path"]) == w[:2], (w, e)
    if len(w) > 2:
        assert e["status"] == w[2], (w, e)
    assert int(e["bytes"]) >= 0 and float(e["ms"]) >= 0 and e["client"] == "127.0.0.1", e
PY
finish
