#!/usr/bin/python3
# tests/lib/dkim_verify.py - verify every DKIM-Signature of a message with dkimpy
#
# usage: dkim_verify.py MESSAGE NAME=RECORD...
#   NAME    the DNS name, e.g. sel._domainkey.example.com
#   RECORD  its TXT value, e.g. "v=DKIM1; k=ed25519; p=..."
# Key lookups go to these records only (dkimpy's dnsfunc hook), never to DNS.
# Prints one line per signature: "a=ALGORITHM s=SELECTOR pass|fail", and
# exits 0 only when there is at least one signature and all of them pass.
# Run with Debian's /usr/bin/python3 (python3-dkim, python3-nacl for Ed25519).
import re
import sys

import dkim

def main():
    msg = open(sys.argv[1], 'rb').read()
    records = {}
    for arg in sys.argv[2:]:
        name, _, value = arg.partition('=')
        records[name.rstrip('.').lower()] = value.encode()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name.rstrip('.').lower())

    d = dkim.DKIM(msg)
    sigs = [v for (k, v) in d.headers if k.lower() == b'dkim-signature']
    ok = len(sigs) > 0
    for i, sig in enumerate(sigs):
        tags = dict(re.findall(rb'\s*([a-z]+)\s*=\s*([^;]*)', re.sub(rb'\s+', b'', sig.replace(b';', b'; '))))
        why = ''
        try:
            good = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            good, why = False, ' (%s)' % e
        print('a=%s s=%s %s%s' % (tags.get(b'a', b'?').decode(), tags.get(b's', b'?').decode(),
                                  'pass' if good else 'fail', why))
        ok = ok and good
    sys.exit(0 if ok else 1)

main()
