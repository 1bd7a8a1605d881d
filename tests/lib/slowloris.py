#!/usr/bin/python3
"""tests/lib/slowloris.py - hold many idle HTTP connections open, slowly

usage: slowloris.py PORT SECONDS SRC:COUNT [SRC:COUNT ...]

Opens COUNT connections to 127.0.0.1:PORT from each loopback source address
SRC (127.0.0.2, ...), sends the start of a request and then one more header
line every 5 s, never finishing it: a slowloris. After 2 s it prints
"held SRC N" (connections the server kept open) per source, then keeps them
for SECONDS in all and closes them. Bounded in count and time; loopback only.
"""
import select
import socket
import sys
import time


def main():
    port, secs = int(sys.argv[1]), float(sys.argv[2])
    conns = {}
    for spec in sys.argv[3:]:
        src, count = spec.split(':')
        if not src.startswith('127.'):
            sys.exit('loopback sources only')
        conns[src] = []
        for _ in range(int(count)):
            s = socket.socket()
            s.bind((src, 0))
            s.setblocking(False)
            try:
                s.connect(('127.0.0.1', port))
            except BlockingIOError:
                pass
            conns[src].append(s)
    time.sleep(0.5)
    for socks in conns.values():
        for s in socks:
            try:
                s.send(b'POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            except OSError:
                pass
    start = time.time()
    reported = False
    while time.time() - start < secs:
        time.sleep(min(5, secs))
        for src, socks in conns.items():
            alive = []
            for s in socks:
                p = select.poll()
                p.register(s, select.POLLIN)
                try:
                    if p.poll(0) and not s.recv(4096, socket.MSG_PEEK):
                        raise OSError('closed')
                    s.send(b'X-Slow: 1\r\n')
                    alive.append(s)
                except OSError:
                    s.close()
            conns[src] = alive
        if not reported:
            for src, socks in conns.items():
                print('held %s %d' % (src, len(socks)), flush=True)
            reported = True
    for socks in conns.values():
        for s in socks:
            s.close()
    print('done', flush=True)


if __name__ == '__main__':
    main()
