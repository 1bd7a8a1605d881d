#!/usr/bin/python3
"""tests/lib/smtpd.py - a relay with behaviours on demand, for newsflash's tests (aiosmtpd)

Run with Debian's /usr/bin/python3 (python3-aiosmtpd). Listens on 127.0.0.1.
What it does with a message is chosen by the local part of each recipient
(or of the sender), so one server covers many cases:

  mail550*    MAIL refused: 550 5.7.1
  rcpt451*    RCPT answered 451 4.7.1            rcpt550*  RCPT answered 550 5.1.1
  data451*    end of data answered 451 4.3.0     data554*  end of data answered 554 5.7.1
  stall*      no answer to the end of data (the client must time out)
  dropdata*   the connection is closed in the middle of the message, every time
  dropfirst*  ... only the first time that recipient is seen, accepted after
  tempfirst*  end of data answered 451 4.3.0 the first time, accepted after
  anything else is accepted

Every accepted message is written to SPOOL/N.eml (the content as received,
dot-stuffing undone), and SPOOL/log gets one line per event:
  ehlo HOST | accepted N FROM TO,TO MAIL-OPTIONS | dropped TO
Faults for the whole relay, whatever the recipient (tests/fault):
  --delay SECONDS         every reply to MAIL, RCPT and the end of data comes
                          that late (a slow relay)
  --tempfail-while FILE   while FILE exists, every end of data is answered
                          451 4.3.0 (a storm of 4xx; remove FILE to recover)
  --drop-mid-data N       the first N times a recipient's message comes, the
                          connection is closed in the middle of its DATA
  --drop-after-data N     the first N times a recipient's message comes, it is
                          taken (written, logged "accepted") and the connection
                          is closed before the 250: the client cannot know
  --throttle-while FILE   while FILE exists, MAIL is answered 421 4.7.28 (Gmail's
                          "unusual rate"): a server asking its sender to slow down
  --host ADDR             listen on ADDR rather than 127.0.0.1 (an MX per 127.0.0.x)
Options: --starttls CERT KEY (offered; --require-tls makes it required),
--implicit-tls CERT KEY (smtps), --auth USER:PASS (AUTH PLAIN/LOGIN, over
TLS only when TLS is configured), --pipelining (announce RFC 2920).
"""
import argparse
import asyncio
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Relay:
    def __init__(self, spool, pipelining, faults=None):
        self.spool = spool
        self.pipelining = pipelining
        self.count = 0
        self.seen = {}
        self.faults = faults
        self.attempts = {}
        os.makedirs(spool, exist_ok=True)

    def log(self, line):
        with open(os.path.join(self.spool, 'log'), 'a') as f:
            f.write(line + '\n')

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.log('ehlo ' + hostname)
        if self.pipelining:
            responses.insert(1, '250-PIPELINING')
        return responses

    async def slow(self):
        if self.faults and self.faults.delay:
            await asyncio.sleep(self.faults.delay)

    def attempt(self, rcpts):
        """count one more attempt for each recipient; the lowest count"""
        n = []
        for r in rcpts:
            self.attempts[r] = self.attempts.get(r, 0) + 1
            n.append(self.attempts[r])
        return min(n) if n else 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self.slow()
        if self.faults and self.faults.throttle_while and os.path.exists(self.faults.throttle_while):
            self.log('throttled ' + address)
            return '421 4.7.28 Our system has detected an unusual rate of unsolicited mail'
        if address.split('@')[0].startswith('mail550'):
            return '550 5.7.1 <%s>: sender refused' % address
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return '250 2.1.0 OK'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self.slow()
        local = address.split('@')[0]
        if local.startswith('rcpt451'):
            return '451 4.7.1 <%s>: try again later' % address
        if local.startswith('rcpt550'):
            return '550 5.1.1 <%s>: no such user' % address
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    def drop(self, rcpts):
        """should the connection be dropped in the middle of this message?"""
        for r in rcpts:
            local = r.split('@')[0]
            self.seen[r] = self.seen.get(r, 0) + 1
            if local.startswith('dropdata') or (local.startswith('dropfirst') and self.seen[r] == 1):
                self.log('dropped ' + r)
                return True
        return False

    def store(self, envelope):
        self.count += 1
        with open(os.path.join(self.spool, '%d.eml' % self.count), 'wb') as f:
            f.write(envelope.original_content)
        self.log('accepted %d %s %s %s' % (self.count, envelope.mail_from or '<>',
                                            ','.join(envelope.rcpt_tos),
                                            ' '.join(envelope.mail_options) or '-'))

    async def handle_DATA(self, server, session, envelope):
        await self.slow()
        if self.faults and self.faults.tempfail_while and os.path.exists(self.faults.tempfail_while):
            self.log('deferred ' + ','.join(envelope.rcpt_tos))
            return '451 4.3.0 storm: try again later'
        locals_ = [r.split('@')[0] for r in envelope.rcpt_tos]
        if any(l.startswith('stall') for l in locals_):
            await asyncio.sleep(3600)
        if any(l.startswith('data451') for l in locals_):
            return '451 4.3.0 try again later'
        for r in envelope.rcpt_tos:
            if r.split('@')[0].startswith('tempfirst'):
                self.tempfirst = getattr(self, 'tempfirst', {})
                self.tempfirst[r] = self.tempfirst.get(r, 0) + 1
                if self.tempfirst[r] == 1:
                    self.log('deferred ' + r)
                    return '451 4.3.0 try again later'
        if any(l.startswith('data554') for l in locals_):
            return '554 5.7.1 message refused'
        self.store(envelope)
        return '250 2.0.0 OK: queued as %d' % self.count


class RelaySMTP(SMTP):
    """aiosmtpd's SMTP, plus a way to drop the connection in the middle of DATA"""

    async def smtp_DATA(self, arg):
        h = self.event_handler
        f = h.faults
        if self.envelope.rcpt_tos and f and (f.drop_mid_data or f.drop_after_data):
            n = h.attempt(self.envelope.rcpt_tos)
            if n <= f.drop_mid_data:
                h.log('dropped ' + ','.join(self.envelope.rcpt_tos))
                await self.push('354 End data with <CR><LF>.<CR><LF>')
                await self._reader.readuntil(b'\r\n')
                self.transport.close()
                return
            if n <= f.drop_after_data:
                # read the whole message, keep it, and vanish before the 250
                await self.push('354 End data with <CR><LF>.<CR><LF>')
                lines = []
                while True:
                    line = await self._reader.readuntil(b'\r\n')
                    if line == b'.\r\n':
                        break
                    lines.append(line[1:] if line.startswith(b'.') else line)
                self.envelope.original_content = b''.join(lines)
                h.store(self.envelope)
                h.log('vanished ' + ','.join(self.envelope.rcpt_tos))
                self.transport.close()
                return
        if self.envelope.rcpt_tos and h.drop(self.envelope.rcpt_tos):
            await self.push('354 End data with <CR><LF>.<CR><LF>')
            await self._reader.readuntil(b'\r\n')   # a line of the message, then gone
            self.transport.close()
            return
        return await super().smtp_DATA(arg)


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--spool', required=True)
    ap.add_argument('--starttls', nargs=2, metavar=('CERT', 'KEY'))
    ap.add_argument('--require-tls', action='store_true')
    ap.add_argument('--implicit-tls', nargs=2, metavar=('CERT', 'KEY'))
    ap.add_argument('--auth', metavar='USER:PASS')
    ap.add_argument('--pipelining', action='store_true')
    ap.add_argument('--delay', type=float, default=0)
    ap.add_argument('--tempfail-while', metavar='FILE')
    ap.add_argument('--drop-mid-data', type=int, default=0, metavar='N')
    ap.add_argument('--drop-after-data', type=int, default=0, metavar='N')
    ap.add_argument('--throttle-while', metavar='FILE')
    ap.add_argument('--host', default='127.0.0.1')
    a = ap.parse_args()

    relay = Relay(a.spool, a.pipelining, a)
    kwargs = dict(hostname='relay.test', enable_SMTPUTF8=True, decode_data=False)
    if a.starttls:
        kwargs['tls_context'] = tls_context(*a.starttls)
        kwargs['require_starttls'] = a.require_tls
    if a.auth:
        user, password = a.auth.split(':', 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login.decode() == user
                  and data.password.decode() == password)
            return AuthResult(success=ok, handled=False)
        kwargs['authenticator'] = authenticator
        kwargs['auth_required'] = True
        kwargs['auth_require_tls'] = bool(a.starttls or a.implicit_tls)
    ssl_ctx = tls_context(*a.implicit_tls) if a.implicit_tls else None

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: RelaySMTP(relay, loop=loop, **kwargs), host=a.host, port=a.port, ssl=ssl_ctx))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print('listening on %s:%d' % (a.host, a.port), flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
