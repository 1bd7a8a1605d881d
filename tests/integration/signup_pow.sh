#!/usr/bin/env bash
# serve --signup-pow BITS over HTTP with curl, the puzzle solved here with
# Python's hashlib: the option (flag, environment, file, the upper bound),
# GET /api/subscribe/challenge (JSON, CORS for listed origins only), and
# POST /api/subscribe and /subscribe refusing a missing solution, a wrong
# counter, a bad MAC, an expired or too easy challenge and a replay, each
# with its message and nothing stored or mailed; a right solution stored and
# its confirmation mailed; the signup page's script and policy; and with the
# option off, everything as before.
source tests/lib.sh
source tests/lib/serve.sh
SRC=${NEWSFLASH_SRC:-$PWD}

pub="http://pub.example:8000"
bits=14
db="$WORK/app/newsflash.db"
count() { sqlite3 "$db" "select count(*) from subscribers"; }
mails() { ls "$WORK/app/outbox/new" 2>/dev/null | wc -l; }
# pow solve CHALLENGE BITS | pow solves CHALLENGE COUNTER BITS | pow forge SECRET-FILE BITS ISSUED | pow field FILE NAME
pow() {
	/usr/bin/python3 - "$@" <<'PY'
import base64, hashlib, hmac, json, os, struct, sys
cmd = sys.argv[1]
if cmd == 'solve':
    ch, bits = sys.argv[2].encode(), int(sys.argv[3])
    n = 0
    while True:
        d = int.from_bytes(hashlib.sha256(ch + str(n).encode()).digest(), 'big')
        if d >> (256 - bits) == 0:
            print(n); break
        n += 1
elif cmd == 'solves':
    d = int.from_bytes(hashlib.sha256((sys.argv[2] + sys.argv[3]).encode()).digest(), 'big')
    print('yes' if d >> (256 - int(sys.argv[4])) == 0 else 'no')
elif cmd == 'forge':	# a challenge made as the server makes one, with its secret
    key = open(sys.argv[2], 'rb').read()
    head = bytes([1, int(sys.argv[3])]) + struct.pack('>q', int(sys.argv[4])) + os.urandom(16)
    mac = hmac.new(key, b'newsflash/signup-pow/1\0' + head, hashlib.sha256).digest()
    print(base64.urlsafe_b64encode(head + mac).decode().rstrip('='))
elif cmd == 'field':
    v = json.load(open(sys.argv[2]))
    for k in sys.argv[3].split('.'):
        v = v.get(k) if isinstance(v, dict) else None
    print('' if v is None else v)
PY
}

# --- the option ---
"$NF" serve --signup-pow 23 --db "sqlite:$WORK/x.db" >"$WORK/bad.out" 2>&1
expect_eq "--signup-pow above 22 is refused with exit 2" "$?" 2
expect_contains "and says why" "$(cat "$WORK/bad.out")" "--signup-pow: BITS must be 0 (off) to 22"
"$NF" serve --signup-pow 29 --db "sqlite:$WORK/x.db" >/dev/null 2>&1
expect_eq "--signup-pow 29 is refused too" "$?" 2
"$NF" serve --signup-pow -1 --db "sqlite:$WORK/x.db" >/dev/null 2>&1
expect_eq "--signup-pow below 0 is refused" "$?" 2
check "nothing was created on refusal" test ! -e "$WORK/x.db"
out=$(NEWSFLASH_SIGNUP_POW=40 "$NF" config check --db "sqlite:$WORK/c.db" --transport "maildir:$WORK/mx" \
	--secret-file "$WORK/secret" --templates "$SRC/templates" 2>&1)
expect_contains "NEWSFLASH_SIGNUP_POW is read and checked" "$out" "--signup-pow: BITS must be 0 (off) to 22"
printf 'signup-pow = 20\n' >"$WORK/nf.conf"
out=$("$NF" config check --config "$WORK/nf.conf" --db "sqlite:$WORK/c.db" --transport "maildir:$WORK/mx" \
	--secret-file "$WORK/secret" --templates "$SRC/templates" 2>&1)
expect_eq "signup-pow in the config file is good" "$(grep -v '^warning:' <<<"$out")" "ok: $WORK/nf.conf"

port=$(free_port)
base="http://127.0.0.1:$port"
serve_start "$port" --signup-rate 1000 --signup-pow "$bits" --embed-origin "$pub" || { fail "serve starts"; finish; }

# --- the challenge ---
code=$(curl -s -D "$WORK/h" -o "$WORK/ch" -w '%{http_code}' -H "Origin: $pub" -H "Sec-Fetch-Site: cross-site" \
	"$base/api/subscribe/challenge")
expect_eq "challenge: 200" "$code" 200
expect_eq "challenge: BITS" "$(pow field "$WORK/ch" bits)" "$bits"
ch=$(pow field "$WORK/ch" challenge)
expect_eq "challenge: 78 characters" "${#ch}" 78
now=$(date +%s)
exp=$(pow field "$WORK/ch" expires)
check "challenge: expires in about five minutes" test "$exp" -ge $((now + 290)) -a "$exp" -le $((now + 310))
expect_contains "challenge: CORS for a listed origin" "$(cat "$WORK/h")" "Access-Control-Allow-Origin: $pub"
expect_contains "challenge: not cached" "$(cat "$WORK/h")" "Cache-Control: no-store"
code=$(curl -s -D "$WORK/h" -o /dev/null -w '%{http_code}' -H "Origin: https://evil.example" "$base/api/subscribe/challenge")
expect_eq "challenge for another origin: 403" "$code" 403
case "$(cat "$WORK/h")" in *Access-Control-Allow-Origin*) fail "challenge: no CORS for another origin" ;; *) ok "challenge: no CORS for another origin" ;; esac
check "two challenges differ" test "$(curl -s "$base/api/subscribe/challenge")" != "$(curl -s "$base/api/subscribe/challenge")"

# --- POST /api/subscribe refusals: nothing stored, nothing mailed ---
api() {	# api JSON -> status; body $WORK/body, headers $WORK/h
	curl -s -D "$WORK/h" -o "$WORK/body" -w '%{http_code}' -H "Origin: $pub" -H "Content-Type: application/json" \
		--data "$1" "$base/api/subscribe"
}
fresh() { curl -s "$base/api/subscribe/challenge" >"$WORK/ch"; pow field "$WORK/ch" challenge; }
body() { printf '{"email":"%s","pow":{"challenge":"%s","counter":"%s"}}' "$1" "$2" "$3"; }
n=$(count); m=$(mails)
expect_eq "no solution: 422" "$(api '{"email":"nosolution@example.com"}')" 422
expect_eq "no solution: code" "$(pow field "$WORK/body" code)" pow_required
expect_contains "no solution: the box's verifyErrors" "$(cat "$WORK/body")" '"verifyErrors":[{"message":"Please turn on JavaScript to sign up'
check "no solution: a challenge to solve comes with it" test "$(pow field "$WORK/body" pow.bits)" = "$bits" -a \
	-n "$(pow field "$WORK/body" pow.challenge)"
expect_contains "no solution: readable by the box (ACAO)" "$(cat "$WORK/h")" "Access-Control-Allow-Origin: $pub"
ch=$(fresh); good=$(pow solve "$ch" "$bits")
wrong=$((good + 1))
while [ "$(pow solves "$ch" "$wrong" "$bits")" = yes ]; do wrong=$((wrong + 1)); done
expect_eq "wrong counter: 422" "$(api "$(body wrong.counter@example.com "$ch" "$wrong")")" 422
expect_eq "wrong counter: code" "$(pow field "$WORK/body" code)" pow_wrong
expect_eq "wrong counter: its message" "$(pow field "$WORK/body" error)" "The sign-up puzzle was not solved. Please try again"
bad="${ch:0:70}$( [ "${ch:70:1}" = A ] && echo B || echo A )${ch:71}"
expect_eq "bad MAC: 403" "$(api "$(body bad.mac@example.com "$bad" "$good")")" 403
expect_eq "bad MAC: code" "$(pow field "$WORK/body" code)" pow_invalid
forged=$(python3 -c "import os,base64; print(base64.urlsafe_b64encode(b'\x01\x0e'+os.urandom(56)).decode().rstrip('='))")
expect_eq "made-up challenge: 403" "$(api "$(body forged@example.com "$forged" "$(pow solve "$forged" "$bits")")")" 403
old=$(pow forge "$WORK/app/secret" "$bits" $(( $(date +%s) - 301 )))
expect_eq "expired (signed 301 s ago): 422" "$(api "$(body expired@example.com "$old" "$(pow solve "$old" "$bits")")")" 422
expect_eq "expired: code" "$(pow field "$WORK/body" code)" pow_expired
expect_eq "expired: its message" "$(pow field "$WORK/body" error)" "The sign-up puzzle expired. Please try again"
easy=$(pow forge "$WORK/app/secret" 2 "$(date +%s)")
expect_eq "a challenge easier than BITS: 422" "$(api "$(body easy@example.com "$easy" "$(pow solve "$easy" 2)")")" 422
future=$(pow forge "$WORK/app/secret" "$bits" $(( $(date +%s) + 600 )))
expect_eq "a challenge from the future: 403" "$(api "$(body future@example.com "$future" "$(pow solve "$future" "$bits")")")" 403
expect_eq "non-digit counter: 403" "$(api "$(body digits@example.com "$ch" "12a")")" 403
expect_eq "pow not an object: 400" "$(api '{"email":"shape@example.com","pow":"x"}')" 400
expect_eq "refusals: nothing stored" "$(count)" "$n"
sleep 0.5
expect_eq "refusals: nothing mailed" "$(mails)" "$m"

# --- a right solution, then its replay ---
expect_eq "right solution: 200" "$(api "$(body solved@example.com "$ch" "$good")")" 200
expect_contains "right solution: thanks" "$(cat "$WORK/body")" "Thanks for signing up to the Breaking News email"
expect_eq "right solution: stored" "$(sqlite3 "$db" "select count(*) from subscribers where email='solved@example.com'")" 1
for i in $(seq 1 50); do [ "$(mails)" -gt "$m" ] && break; sleep 0.1; done
expect_eq "right solution: confirmation mailed" "$(mails)" $((m + 1))
grep -l "solved@example.com" "$WORK/app/outbox/new/"* >/dev/null 2>&1
check "the confirmation is to that address" test $? -eq 0
n=$(count)
expect_eq "replayed solution: 403" "$(api "$(body replayed@example.com "$ch" "$good")")" 403
expect_eq "replayed: code" "$(pow field "$WORK/body" code)" pow_replayed
expect_eq "replayed: its message" "$(pow field "$WORK/body" error)" "That sign-up puzzle was used already. Please try again"
expect_eq "replayed: nothing stored" "$(count)" "$n"
ch2=$(fresh)
wrong2=$(( $(pow solve "$ch2" "$bits") + 1 ))
while [ "$(pow solves "$ch2" "$wrong2" "$bits")" = yes ]; do wrong2=$((wrong2 + 1)); done
api "$(body retry@example.com "$ch2" "$wrong2")" >/dev/null
expect_eq "a wrong counter does not use up the challenge" \
	"$(api "$(body retry@example.com "$ch2" "$(pow solve "$ch2" "$bits")")")" 200

# --- POST /subscribe: the form, with and without a solution ---
jar="$WORK/jar"
page=$(curl -s -D "$WORK/h" -c "$jar" -b "$jar" "$base/")
csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
expect_contains "signup page: the form asks for a solution" "$page" 'data-newsflash-pow="/api/subscribe/challenge"'
expect_contains "signup page: loads the script with its integrity value" "$page" 'integrity="sha256-'
expect_contains "signup page: says JavaScript is needed when it is off" "$page" "<noscript>"
expect_contains "signup page: its policy lets the script run and fetch" "$(cat "$WORK/h")" "script-src 'self'; connect-src 'self'"
n=$(count); m=$(mails)
post() { curl -s -o "$WORK/body" -w '%{http_code}' -b "$jar" -H "Origin: $base" --data "$1" "$base/subscribe"; }
expect_eq "form without JavaScript (no solution): 422" "$(post "csrf=$csrf&email=nojs%40example.com")" 422
expect_contains "form without JavaScript: the page says why" "$(cat "$WORK/body")" "Please turn on JavaScript to sign up"
expect_contains "form without JavaScript: the address is kept" "$(cat "$WORK/body")" 'value="nojs@example.com"'
ch=$(fresh)
expect_eq "form, wrong counter: 422" \
	"$(post "csrf=$csrf&email=formwrong%40example.com&pow_challenge=$ch&pow_counter=$(( $(pow solve "$ch" "$bits") + 1 ))")" 422
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --data "email=embednojs%40example.com&return_to=$pub%2Fstory" \
	-H "Origin: $pub" -H "Sec-Fetch-Site: cross-site" "$base/subscribe")
expect_eq "the pasted box without JavaScript: 422" "$code" 422
expect_contains "and our page says why, with a link back" "$(cat "$WORK/body")" "Back to the article"
expect_eq "form refusals: nothing stored" "$(count)" "$n"
expect_eq "form, right solution: 200" \
	"$(post "csrf=$csrf&email=formsolved%40example.com&pow_challenge=$ch&pow_counter=$(pow solve "$ch" "$bits")")" 200
expect_contains "form, right solution: thanks" "$(cat "$WORK/body")" "Thanks for signing up"
expect_eq "form, right solution: stored" "$(count)" $((n + 1))
expect_eq "form, the same solution again: 403" \
	"$(post "csrf=$csrf&email=formagain%40example.com&pow_challenge=$ch&pow_counter=$(pow solve "$ch" "$bits")")" 403
expect_eq "form replay: nothing stored" "$(count)" $((n + 1))
grep -q 'signup.pow_refused' "$WORK/serve.log"
check "refusals are logged (why, no secret)" test $? -eq 0
serve_stop

# --- off: as before ---
port=$(free_port)
base="http://127.0.0.1:$port"
serve_start "$port" --signup-rate 1000 --embed-origin "$pub" || { fail "serve starts without pow"; finish; }
expect_eq "off: the challenge endpoint says none is asked" "$(curl -s "$base/api/subscribe/challenge")" '{"bits":0}'
n=$(count)
expect_eq "off: a signup without a solution: 200" "$(api '{"email":"off.api@example.com"}')" 200
expect_eq "off: stored" "$(count)" $((n + 1))
page=$(curl -s -D "$WORK/h" "$base/")
case "$page" in *"<script"*|*pow_challenge*) fail "off: no script on the signup page" ;; *) ok "off: no script on the signup page" ;; esac
expect_contains "off: the page's usual policy" "$(cat "$WORK/h")" "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'"
serve_stop
finish
