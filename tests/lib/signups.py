#!/usr/bin/python3
"""tests/lib/signups.py - many signups at once, each answer recorded

  signups.py BASE PREFIX COUNT [CONCURRENCY]

POSTs {"email": "PREFIX-N@example.com"} to BASE/api/subscribe for N in
1..COUNT from CONCURRENCY threads (8), each on its own keep-alive
connection, and prints one line per signup: "ADDRESS STATUS MILLISECONDS"
(status 0 when the connection failed). Addresses named PREFIX-bad-N are
sent too when PREFIX contains "mixed": every fifth signup (tests that one
bad row does not fail its batch).
"""
import http.client
import sys
import threading
import time
import urllib.parse

base, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
workers = int(sys.argv[4]) if len(sys.argv) > 4 else 8
url = urllib.parse.urlparse(base)
lock = threading.Lock()
todo = list(range(1, count + 1))
out = []


def address(n):
    if "mixed" in prefix and n % 5 == 0:
        return "%s-bad-%d@example.com" % (prefix, n)
    return "%s-%d@example.com" % (prefix, n)


def worker():
    conn = None
    while True:
        with lock:
            if not todo:
                break
            n = todo.pop(0)
        addr = address(n)
        body = '{"email": "%s"}' % addr
        start = time.monotonic()
        status = 0
        for _ in range(2):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                conn.request("POST", "/api/subscribe", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                break
            except (OSError, http.client.HTTPException):
                conn = None
                if status == 0 and time.monotonic() - start > 1:
                    break
        ms = (time.monotonic() - start) * 1000
        with lock:
            out.append("%s %d %.1f" % (addr, status, ms))


threads = [threading.Thread(target=worker) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.stdout.write("\n".join(out) + ("\n" if out else ""))
