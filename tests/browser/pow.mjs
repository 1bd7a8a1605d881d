// tests/browser/pow.mjs - signups with serve --signup-pow, in headless Chromium
//
// usage: node pow.mjs NF_BASE PUB_PORT SNIPPET [measure BITS...]
// Serves a publisher's article on http://127.0.0.1:PUB_PORT (listed with
// --embed-origin) with SNIPPET pasted; newsflash is NF_BASE. Signs up from
// the article's box (the script is told to solve, solves, posts again) and
// from newsflash's own page (the solution goes into the form), and without
// JavaScript on newsflash's page (refused, the page says why). Prints "ok
// NAME" or "FAIL NAME: why" per step. With "measure", instead times
// window.newsflashSolve on newsflash's own page for each BITS (31 challenges
// up to 12 bits, 11 up to 16, 5 above: the work per challenge is geometric) and prints "solve BITS MEDIAN_MS MIN_MS MAX_MS HASHES_PER_S".
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const [nf, pubPort, snippetFile, mode, ...measureBits] = process.argv.slice(2);
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));

const snippet = readFileSync(snippetFile, 'utf8');
const server = createServer((req, res) => {
	if (req.url.split('?')[0] !== '/news/flood.html') { res.writeHead(404); res.end(); return; }
	res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
	res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flood</title></head>
<body><article><h1>River bursts its banks</h1>${snippet}</article></body></html>`);
});
await new Promise((r) => server.listen(Number(pubPort), '0.0.0.0', r));
const pub = `http://127.0.0.1:${pubPort}`;
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
try {
	if (mode === 'measure') {
		const page = await browser.newPage();
		await page.goto(nf + '/');
		await page.waitForFunction(() => typeof window.newsflashSolve === 'function', null, { timeout: 10000 });
		for (const bits of measureBits.map(Number)) {
			const runs = await page.evaluate(async (bits) => {
				const out = [];
				for (let i = 0; i < (bits <= 12 ? 31 : bits <= 16 ? 11 : 5); i++) {
					const r = await fetch('/api/subscribe/challenge').then((x) => x.json());
					const t = performance.now();
					const s = await window.newsflashSolve({ challenge: r.challenge, bits });
					out.push([performance.now() - t, Number(s.counter) + 1]);
				}
				return out;
			}, bits);
			const ms = runs.map((r) => r[0]), hashes = runs.reduce((a, r) => a + r[1], 0);
			console.log(`solve ${bits} ${median(ms).toFixed(0)} ${Math.min(...ms).toFixed(0)} ` +
				`${Math.max(...ms).toFixed(0)} ${Math.round(hashes / (ms.reduce((a, b) => a + b, 0) / 1000))}`);
		}
	} else {
		// the article's box: asked for a proof of work, solves it, posts again
		const ctx = await browser.newContext();
		const page = await ctx.newPage();
		const posts = [];
		page.on('response', (r) => { if (r.url().endsWith('/api/subscribe') && r.request().method() === 'POST') posts.push(r.status()); });
		await page.goto(pub + '/news/flood.html');
		await page.waitForFunction(() => typeof window.newsflashSolve === 'function', null, { timeout: 10000 });
		await page.fill('#nf-email', 'pow.embedded@example.com');
		await page.click('.nf-signup button[type=submit]');
		await page.waitForFunction(() => document.querySelector('.nf-thanks').textContent.length > 0 ||
			document.querySelector('#nf-signup-errors').textContent.length > 0, null, { timeout: 60000 });
		const thanks = await page.textContent('.nf-thanks');
		expect('box: thanks after solving the puzzle', thanks.includes('Thanks for signing up'),
			thanks + ' / ' + await page.textContent('#nf-signup-errors'));
		expect('box: asked (422), then accepted (200)', posts.join(',') === '422,200', posts.join(','));
		await ctx.close();

		// newsflash's own page: the solution goes into the form, which posts as usual
		const own = await browser.newContext();
		const p = await own.newPage();
		const errs = [];
		p.on('console', (m) => { if (m.type() === 'error' && /policy|integrity|refused/i.test(m.text())) errs.push(m.text()); });
		await p.goto(nf + '/');
		await p.waitForFunction(() => typeof window.newsflashSolve === 'function', null, { timeout: 10000 });
		expect('own page: the script runs under its policy', errs.length === 0, errs.join(' | '));
		await p.fill('#email', 'pow.own@example.com');
		await Promise.all([p.waitForURL(nf + '/subscribe', { timeout: 60000 }), p.click('button[type=submit]')]);
		const h1 = await p.textContent('h1');
		expect('own page: thanks after solving the puzzle', h1.includes('Thanks for signing up'), h1);
		await own.close();

		// own page without JavaScript: told why, nothing stored (the caller checks)
		const nojs = await browser.newContext({ javaScriptEnabled: false });
		const q = await nojs.newPage();
		await q.goto(nf + '/');
		await q.fill('#email', 'pow.nojs@example.com');
		await Promise.all([q.waitForURL(nf + '/subscribe'), q.click('button[type=submit]')]);
		const why = await q.textContent('#signup-errors');
		expect('no JavaScript: the page says JavaScript is needed', why.includes('Please turn on JavaScript'), why);
		await nojs.close();
	}
} catch (e) {
	fail('browser run', e.message.split('\n')[0]);
} finally {
	await browser.close();
	server.close();
}
process.exit(failed ? 1 : 0);
