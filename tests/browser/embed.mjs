// tests/browser/embed.mjs - the signup box pasted into a publisher's article, in headless Chromium
//
// usage: node embed.mjs NF_BASE BROKEN_BASE PUB_PORT SNIPPET BROKEN_SNIPPET SHOTS_DIR
// Serves a publisher's article on http://127.0.0.1:PUB_PORT (listed with
// --embed-origin) with SNIPPET pasted as `newsflash embed snippet` printed
// it, and the same article on http://127.0.0.3:PUB_PORT (not listed);
// newsflash is NF_BASE (http://localhost:PORT: another site), and
// BROKEN_BASE a newsflash that answers every signup with a server error.
// Third-party cookies are blocked. Prints "ok NAME" or "FAIL NAME: why"
// per step; the caller checks the database and the Maildir afterwards.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [nf, broken, pubPort, snippetFile, brokenFile, shots] = process.argv.slice(2);
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));

// the publisher's CMS: an article with the box pasted in; it fills return_to with the article's URL
const article = (snippet, url) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>River bursts its banks - The Daily Example</title></head><body>
<article><h1>River bursts its banks as storm brings a month's rain in a day</h1>
<p>Hundreds of homes were evacuated overnight.</p>
${snippet.replace('name="return_to" value=""', `name="return_to" value="${url}"`)}
</article></body></html>`;
const snippets = { '/news/flood.html': readFileSync(snippetFile, 'utf8'),
	'/news/broken.html': readFileSync(brokenFile, 'utf8') };
const cookiesSeen = [];
const server = createServer((req, res) => {
	const path = req.url.split('?')[0];
	if (req.headers.cookie) cookiesSeen.push(req.headers.cookie);
	if (path === '/favicon.ico') { res.writeHead(204); res.end(); return; }
	if (!snippets[path]) { res.writeHead(404); res.end('not found'); return; }
	res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
	res.end(article(snippets[path], `http://${req.headers.host}${path}`));
});
await new Promise((r) => server.listen(Number(pubPort), '0.0.0.0', r));
const pub = `http://127.0.0.1:${pubPort}`, evil = `http://127.0.0.3:${pubPort}`;

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync',
		// third-party cookies blocked, as browsers increasingly do
		'--test-third-party-cookie-phaseout', '--enable-features=ThirdPartyStoragePartitioning'],
});
const box = async (page, url, email) => {
	await page.goto(url);
	await page.waitForFunction(() => typeof window.newsflashRender === 'function', null, { timeout: 10000 });
	await page.fill('#nf-email', email);
	await page.click('.nf-signup button[type=submit]');
};
try {
	const ctx = await browser.newContext({ viewport: { width: 1024, height: 900 } });
	const page = await ctx.newPage();
	const failedScripts = [], scripts = [];
	page.on('console', (m) => { if (m.type() === 'error' && /integrity|embed/i.test(m.text())) failedScripts.push(m.text()); });
	page.on('response', (r) => { if (r.url().includes('/embed/')) scripts.push(r.status()); });

	// sign up: the thanks text in the box, the page never left
	await box(page, pub + '/news/flood.html', 'embedded.reader@example.com');
	await page.check('#nf-marketing').catch(() => {});
	await page.waitForFunction(() => document.querySelector('.nf-thanks').textContent.length > 0, null, { timeout: 10000 });
	const thanks = await page.textContent('.nf-thanks');
	expect('thanks shown in the box', thanks.includes('Thanks for signing up to the Breaking News email'), thanks);
	expect('the reader stays on the article', page.url() === pub + '/news/flood.html', page.url());
	expect('the script loaded with its integrity value', failedScripts.length === 0 && scripts.length > 0 &&
		scripts.every((st) => st === 200), failedScripts.join(' | ') + ' statuses ' + scripts.join(','));
	await page.screenshot({ path: join(shots, 'embed-thanks.png'), fullPage: true });
	const nfCookies = (await ctx.cookies(nf)).map((c) => c.name);
	expect('no cookie of newsflash in the publisher page', nfCookies.length === 0, nfCookies.join(','));

	// a bad address: the seed's template renders the message
	await box(page, pub + '/news/flood.html', 'not an address');
	await page.waitForFunction(() => document.querySelector('#nf-signup-errors').textContent.length > 0, null, { timeout: 10000 });
	let errors = await page.textContent('#nf-signup-errors');
	expect('bad address: the template shows the message', errors === ' Please enter a valid email address  ', JSON.stringify(errors));
	expect('bad address: the field is marked invalid', (await page.getAttribute('#nf-email', 'aria-invalid')) === 'true', 'no aria-invalid');
	await page.screenshot({ path: join(shots, 'embed-error.png'), fullPage: true });

	// the server failing: the template's inverted section
	await box(page, pub + '/news/broken.html', 'broken.reader@example.com');
	await page.waitForFunction(() => document.querySelector('#nf-signup-errors').textContent.length > 0, null, { timeout: 10000 });
	errors = await page.textContent('#nf-signup-errors');
	expect('server failing: the inverted section', errors === '  Something went wrong. Please try again later ', JSON.stringify(errors));

	// an origin not on the list: the browser is refused (no CORS), the box says so
	await box(page, evil + '/news/flood.html', 'evil.reader@example.com');
	await page.waitForFunction(() => document.querySelector('#nf-signup-errors').textContent.length > 0, null, { timeout: 10000 });
	errors = await page.textContent('#nf-signup-errors');
	expect('unlisted origin: refused, the box shows the apology', errors.includes('Something went wrong'), JSON.stringify(errors));
	await ctx.close();

	// JavaScript disabled: the plain form lands on newsflash's thanks page with a link back
	const nojs = await browser.newContext({ javaScriptEnabled: false });
	const p2 = await nojs.newPage();
	await p2.goto(pub + '/news/flood.html');
	await p2.fill('#nf-email', 'nojs.reader@example.com');
	await Promise.all([p2.waitForURL(nf + '/subscribe'), p2.click('.nf-signup button[type=submit]')]);
	const h1 = await p2.textContent('h1');
	expect('no JavaScript: newsflash\'s thanks page', h1.includes('Thanks for signing up to the Breaking News email'), h1);
	const back = await p2.getAttribute('text=Back to the article', 'href').catch(() => null);
	expect('no JavaScript: a link back to the article', back === pub + '/news/flood.html', back);
	await p2.screenshot({ path: join(shots, 'embed-nojs-thanks.png'), fullPage: true });
	await Promise.all([p2.waitForURL(pub + '/news/flood.html'), p2.click('text=Back to the article')]);
	ok('no JavaScript: the link goes back');
	await nojs.close();

	// newsflash's own page in two tabs: both forms post
	const own = await browser.newContext();
	const t1 = await own.newPage(), t2 = await own.newPage();
	await t1.goto(nf + '/');
	await t2.goto(nf + '/');
	for (const [tab, who] of [[t1, 'tab.one@example.com'], [t2, 'tab.two@example.com']]) {
		await tab.fill('#email', who);
		await tab.click('button[type=submit]');
		await tab.waitForLoadState();
		const h = await tab.textContent('h1');
		expect(`own page, ${who === 'tab.one@example.com' ? 'first' : 'second'} tab posts`, h.includes('Thanks for signing up'), h);
	}
	await t1.goBack();
	await t1.fill('#email', 'tab.back@example.com');
	await t1.click('button[type=submit]');
	await t1.waitForLoadState();
	expect('own page after the back button posts', (await t1.textContent('h1')).includes('Thanks for signing up'), await t1.textContent('h1'));
	await own.close();
	expect('the publisher never saw a cookie', cookiesSeen.length === 0, cookiesSeen.join(' | '));
} catch (e) {
	fail('browser run', e.message.split('\n')[0]);
} finally {
	await browser.close();
	server.close();
}
process.exit(failed ? 1 : 0);
