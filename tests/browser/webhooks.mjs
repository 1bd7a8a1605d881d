// tests/browser/webhooks.mjs - a webhook receiver for the tests: every delivery verified
//
// usage: node webhooks.mjs STATE_DIR
// Listens on 127.0.0.1 (a free port, written to STATE_DIR/port). A POST to
// /NAME is one endpoint's delivery: it is verified with the Standard
// Webhooks reference consumer (npm's standardwebhooks) against the secret in
// STATE_DIR/NAME.secret, then answered as STATE_DIR/NAME.mode says:
//   up (or no file)  200
//   down             503
//   slow             200 after 8 s (past the sender's 5 s timeout); logged
//                    as it arrives with the status "slow"
// Each request appends one line to STATE_DIR/NAME.log:
//   STATUS VERIFIED WEBHOOK-ID TYPE DATA-JSON
// where VERIFIED is "ok" or "BADSIG:why" (a bad signature is answered 400).
// A delivery of an id still in flight to the same endpoint (two senders at
// once) adds a line whose STATUS is "concurrent".
import { createServer } from 'node:http';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

const dir = process.argv[2];
const read = (name, dflt) => {
	const p = join(dir, name);
	return existsSync(p) ? readFileSync(p, 'utf8').trim() : dflt;
};

const inFlight = new Set();	// NAME ID of requests not yet answered or closed
const server = createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const name = req.url.replace(/^\/+/, '').replace(/[^A-Za-z0-9_-]/g, '_') || 'root';
		const body = Buffer.concat(chunks).toString('utf8');
		let verified = 'ok';
		let event = { type: '-', data: {} };
		try {
			event = new Webhook(read(`${name}.secret`, '')).verify(body, req.headers);
		} catch (e) {
			verified = `BADSIG:${String(e.message || e).replace(/\s+/g, '_')}`;
		}
		const mode = read(`${name}.mode`, 'up');
		const status = verified !== 'ok' ? 400 : mode === 'down' ? 503 : 200;
		const answer = () => {
			appendFileSync(join(dir, `${name}.log`), `${status} ${verified} ${req.headers['webhook-id']} ` +
				`${event.type} ${JSON.stringify(event.data)}\n`);
			res.writeHead(status, { 'Content-Type': 'text/plain' });
			res.end(status === 200 ? 'ok\n' : 'not now\n');
		};
		const key = `${name} ${req.headers['webhook-id']}`;
		if (inFlight.has(key))
			appendFileSync(join(dir, `${name}.log`), `concurrent ${verified} ${req.headers['webhook-id']} -\n`);
		inFlight.add(key);
		res.on('close', () => inFlight.delete(key));
		if (mode === 'slow' && verified === 'ok') {
			appendFileSync(join(dir, `${name}.log`), `slow ${verified} ${req.headers['webhook-id']} ` +
				`${event.type} ${JSON.stringify(event.data)}\n`);
			setTimeout(() => { if (!res.destroyed) answer(); }, 8000);
		}
		else
			answer();
	});
});
server.listen(0, '127.0.0.1', () => writeFileSync(join(dir, 'port'), String(server.address().port)));
