#!/usr/bin/env bash
# The web front's plumbing against a client that lies or lingers: the
# client address behind proxies (the right-most X-Forwarded-For value over
# all its lines, or the Nth with --trusted-proxies N; never a value that is
# not an address), IPv6 clients counted by their /64 (signup bucket,
# sign-in throttle), a newsroom account that an attacker elsewhere cannot
# lock its editor out of, a body refused on its Content-Length before it is
# read and one that takes too long cut off, and errors in the form the
# client reads (the error page for a browser, JSON under /api/, else text).
source tests/lib.sh
source tests/lib/serve.sh

port=$(free_port)
base="http://127.0.0.1:$port"
db="$WORK/app/newsflash.db"
mkdir -p "$WORK/app"
"$NF" db migrate --db "sqlite:$db" >/dev/null
printf 'correct horse battery staple\n' | "$NF" editor add jane --db "sqlite:$db" >/dev/null 2>&1
serve_start "$port" --publication "The Daily Example" --trust-proxy --signup-rate 1 \
	--body-timeout 2 --signin-delay 30 || { fail "serve starts"; finish; }

# client_of PATH: the client the access log gave the request for PATH
client_of() { sed -n "s|.*event=http.request .*path=$1 .*client=\\([^ ]*\\).*|\\1|p" "$WORK/serve.log" | tail -1; }
logged() {	# wait until the access log has PATH
	local i
	for i in $(seq 1 50); do grep -q "path=$1 " "$WORK/serve.log" && return 0; sleep 0.1; done
}

# ---- X-Forwarded-For
curl -s -o /dev/null -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Forwarded-For: 203.0.113.9' "$base/xff-two-lines"
logged /xff-two-lines
expect_eq "two X-Forwarded-For lines: the proxy's (last) value, not the client's first line" \
	"$(client_of /xff-two-lines)" 203.0.113.9
curl -s -o /dev/null -H 'X-Forwarded-For: 6.6.6.6, 198.51.100.4' "$base/xff-one-line"
logged /xff-one-line
expect_eq "one line: its right-most value" "$(client_of /xff-one-line)" 198.51.100.4
curl -s -o /dev/null -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Forwarded-For: not-an-address' "$base/xff-junk"
logged /xff-junk
expect_eq "a right-most value that is not an address: the peer" "$(client_of /xff-junk)" 127.0.0.1

# ---- IPv6 clients by /64: 40 signups from one /64 (a burst of 20, then one a
# second however slow the machine), then one from the next /64
codes=""
for i in $(seq 1 40); do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: 2001:db8:1:2:$i::1" \
		-H 'Content-Type: application/json' --data "{\"email\":\"v6-$i@example.com\"}" "$base/api/subscribe")"
done
limited=$(echo "$codes" | tr ' ' '\n' | grep -c '^429$')
check "one /64 shares a signup bucket: the burst of 20 then 429 ($limited of 40 refused)" test "$limited" -ge 5
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 2001:db8:1:3::1' \
	-H 'Content-Type: application/json' --data '{"email":"v6-next@example.com"}' "$base/api/subscribe")
check "the next /64 is another client ($code)" test "$code" != 429

# ---- the newsroom's sign-in
jar="$WORK/jar"
signin() {	# signin CLIENT NAME PASSWORD -> status in $code, Retry-After in $retry
	local page csrf
	page=$(curl -s -c "$jar" -b "$jar" -H "X-Forwarded-For: $1" "$base/newsroom/signin")
	csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	code=$(curl -s -D "$WORK/h" -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "X-Forwarded-For: $1" \
		--data-urlencode "csrf=$csrf" --data-urlencode "name=$2" --data-urlencode "password=$3" "$base/newsroom/signin")
	retry=$(grep -i '^retry-after:' "$WORK/h" | tr -d '\r' | cut -d' ' -f2)
}
for i in 1 2 3; do signin "2001:db8:66:1::$i" jane "wrong guess number $i"; done
signin "2001:db8:66:1::99" jane "wrong guess number 4"
expect_eq "three failures from one /64 hold its fourth address too: 429" "$code" 429
for i in 1 2 3 4 5 6; do rm -f "$jar"; signin "198.51.100.$((10 + i))" jane "attack from elsewhere $i"; done
expect_eq "the account's budget is spent ($(sqlite3 "$db" "select failed_signins from editors where name='jane'") failures)" \
	"$(sqlite3 "$db" "select failed_signins >= 9 from editors where name='jane'")" 1
rm -f "$jar"
signin 198.51.100.11 jane "correct horse battery staple"
expect_eq "a client that failed waits, even with the right password: 429" "$code" 429
rm -f "$jar"
signin 192.0.2.201 jane "one more wrong guess"
expect_eq "a fresh client's wrong password is heard (401)" "$code" 401
signin 192.0.2.201 jane "correct horse battery staple"
expect_eq "and then it waits: 429" "$code" 429
rm -f "$jar"
signin 192.0.2.200 jane "correct horse battery staple"
expect_eq "the editor, from a client with no failures, gets in: 303" "$code" 303

# ---- bodies
# raw_request SECONDS: send stdin's request (after a line --TRICKLE--, bytes sent one at a
# time) and print the answer's status code, or "closed" / "open", and the seconds it took
raw_request() {
	/usr/bin/python3 -c "$(cat <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
req = sys.stdin.buffer.read()
head, _, trickle = req.partition(b'\n--TRICKLE--\n')
s = socket.create_connection(('127.0.0.1', port))
s.sendall(head)
s.settimeout(0.2)
start, got, state = time.time(), b'', 'open'
while time.time() - start < secs:
    if trickle:
        try:
            s.sendall(trickle[:1]); trickle = trickle[1:]
        except OSError:
            pass
    try:
        d = s.recv(4096)
        if not d:
            state = 'closed'
            break
        got += d
        if b'\r\n' in got:
            break
    except socket.timeout:
        pass
    except OSError:
        state = 'closed'
        break
print('%s %.1f' % (got.split(b' ')[1].decode() if got.startswith(b'HTTP/') else state, time.time() - start))
PY
)" "$port" "$1"
}
out=$(printf 'POST /api/subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500000000\r\n\r\n' | raw_request 10)
check "a body announced over the cap: 413 at once, nothing read ($out)" test "${out%% *}" = 413 -a "${out#* }" \< 2.0
out=$(printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n\n--TRICKLE--\n%s' \
	"$(printf 'e%.0s' $(seq 1 200))" | raw_request 12)
code=${out%% *}; secs=${out#* }
case "$code" in 408|closed) cut=1 ;; *) cut=0 ;; esac
check "a body trickled in is cut off after --body-timeout 2 ($out)" test "$cut" = 1 -a "${secs%.*}" -le 5
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")
expect_eq "the server stays up" "$code" 200

# ---- errors
curl -s -D "$WORK/h" -o "$WORK/b" -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' "$base/no-such-page"
expect_contains "a browser's 404 is the error page" "$(grep -i '^content-type' "$WORK/h")" "text/html"
expect_contains "with the page's language" "$(cat "$WORK/b")" '<html lang="en">'
expect_contains "and a title" "$(cat "$WORK/b")" "<title>Page not found – The Daily Example</title>"
expect_eq "status 404" "$(head -1 "$WORK/h" | cut -d' ' -f2)" 404
curl -s -D "$WORK/h" -o "$WORK/b" "$base/no-such-page"
expect_eq "curl's 404 stays text" "$(grep -i '^content-type' "$WORK/h" | tr -d '\r')" "Content-Type: text/plain; charset=utf-8"
curl -s -D "$WORK/h" -o "$WORK/b" -H 'Accept: text/html' "$base/api/nope"
expect_eq "under /api/ the error is JSON" "$(cat "$WORK/b")" '{"error":"Not found"}'
curl -s -D "$WORK/h" -o "$WORK/b" -H 'Accept: text/html' -X DELETE "$base/newsroom/signin"
expect_contains "405 for a browser is the page too" "$(head -1 "$WORK/h") $(cat "$WORK/b")" "405"
expect_contains "405 page" "$(cat "$WORK/b")" "<title>Not allowed here"
curl -s -o "$WORK/b" -H 'Accept: text/html' -H 'Content-Length: 99999999' -X POST "$base/subscribe"
expect_contains "413 for a browser is the page" "$(cat "$WORK/b")" "<title>Too much at once"

serve_stop
expect_eq "serve stops cleanly" "$SERVE_STATUS" 0
finish
