#!/usr/bin/env bash
# bench/latency.sh [ROUNDS] - from the publish answer to the first message at the relay
#
# Issue 9's real-time promise: publishing wakes the engine at once, and the
# first message reaches the relay within 100 ms of the publish request being
# answered. newsflash serve (SQLite, an SMTP relay on 127.0.0.1) gets ROUNDS
# breaking articles through POST /api/articles, one after another, each to
# a small audience; a relay (aiosmtpd, in the measuring process) notes the
# time of each alert's first MAIL FROM. Both clocks are the same process's
# time.monotonic(), so the figure is answer -> first MAIL, with nothing
# between but newsflash. The reference, in the same run: the round trip of
# GET /healthz on the same server. A value below zero is real: the message
# reached the relay before the client had finished reading the answer.
# Last line: first-message p50 A ms p90 B ms max C ms healthz p50 D ms
set -uo pipefail
ROUNDS=${1:-20}
NF=${NEWSFLASH_BIN:-$PWD/build/newsflash}
work=$(mktemp -d /tmp/newsflash-latency.XXXXXX)
trap '[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

db="sqlite:$work/newsflash.db"
printf 'reader%d@example.com\n' $(seq 1 20) >"$work/subs.csv"
"$NF" db migrate --db "$db" >/dev/null
"$NF" subscribers import "$work/subs.csv" --list breaking-news --consent-source bench --db "$db" >/dev/null 2>&1 ||
	{ echo "bench: import failed"; exit 1; }
key=$("$NF" apikey create bench --db "$db" 2>/dev/null | tail -n 1)
http=$(free_port) smtp=$(free_port)

/usr/bin/python3 - "$http" "$smtp" "$key" "$ROUNDS" "$PWD/examples/limousine.json" "$work/ready" \
	"$work/serve.started" <<'PY' &
import json, os, statistics, sys, threading, time, urllib.request
from aiosmtpd.controller import Controller

http, smtp, key, rounds, story, ready, started = sys.argv[1:8]
rounds = int(rounds)
first_mail = {}          # round -> time of its first MAIL FROM
current = [None]
lock = threading.Lock()

class Relay:
    async def handle_MAIL(self, server, session, envelope, address, options):
        with lock:
            if current[0] is not None and current[0] not in first_mail:
                first_mail[current[0]] = time.monotonic()
        envelope.mail_from = address
        return '250 OK'
    async def handle_DATA(self, server, session, envelope):
        return '250 OK'

ctl = Controller(Relay(), hostname='127.0.0.1', port=int(smtp))
ctl.start()
open(ready, 'w').close()
while not os.path.exists(started):
    time.sleep(0.02)
base = 'http://127.0.0.1:%s' % http
article = json.load(open(story))
article['breaking'] = True

def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=body,
                                 headers={'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b'{}')

def healthz():
    t = time.monotonic()
    urllib.request.urlopen(base + '/healthz', timeout=10).read()
    return time.monotonic() - t

ref = [healthz() for _ in range(50)]
lat = []
for i in range(rounds):
    with lock:
        current[0] = i
    article['headline'] = 'Latency round %d' % i
    answer = call('POST', '/api/articles', json.dumps(article).encode())
    answered = time.monotonic()
    while True:
        a = call('GET', '/api/alerts/%d' % answer['alert_id'])
        if a.get('state') == 'done':
            break
        time.sleep(0.01)
    with lock:
        current[0] = None
        lat.append(first_mail[i] - answered)
ctl.stop()
ms = sorted(x * 1000 for x in lat)
p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
print('  %d alerts of 20 messages each; answer -> first MAIL FROM, ms: %s' % (rounds, ' '.join('%.0f' % x for x in ms)))
print('first-message p50 %.1f ms p90 %.1f ms max %.1f ms healthz p50 %.2f ms' %
      (statistics.median(ms), p(0.9), ms[-1], statistics.median(ref) * 1000))
PY
bench=$!
for _ in $(seq 1 100); do [ -e "$work/ready" ] && break; sleep 0.05; done
"$NF" serve --listen "127.0.0.1:$http" --db "$db" --transport "smtp://127.0.0.1:$smtp?tls=none" \
	--templates "$PWD/templates" --secret-file "$work/secret" --log-level warn >"$work/serve.log" 2>&1 &
spid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
touch "$work/serve.started"
wait "$bench" || { echo "bench: the measuring client failed"; tail -5 "$work/serve.log"; exit 1; }
