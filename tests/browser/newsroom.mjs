// tests/browser/newsroom.mjs - the newsroom as an editor uses it, in headless Chromium
//
// usage: node newsroom.mjs BASE_URL SHOTS_DIR EDITOR PASSWORD SINK_PID
// Signs in (after one wrong password), writes a story (first without a
// headline), previews the email (HTML in the sandboxed frame, the text part),
// sends a test to the editor, publishes after the confirmation step and
// follows the alert live until 100%. To see the progress arrive by
// Server-Sent Events rather than be there already, the SMTP sink (SINK_PID)
// is paused with SIGSTOP while publishing and resumed once the live page
// shows the alert waiting. Prints one "ok NAME" or "FAIL NAME: why" line per
// step and saves a screenshot of each page in SHOTS_DIR (newsroom-*.png).
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [base, shots, editor, password, sinkPid] = process.argv.slice(2);
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));
const shot = (page, name) => page.screenshot({ path: join(shots, `newsroom-${name}.png`), fullPage: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const story = {
	headline: 'Storm Ciarán: flights grounded as 100mph winds hit the coast',
	standfirst: 'Airports on the south coast have stopped all departures until at least 6pm; rail services are suspended.',
	body: 'The Met Office has issued a red warning for wind across the south coast, the highest level, meaning a danger to life.\n\n'
		+ 'Gatwick and Southampton airports said no flights would leave before 6pm. Network Rail closed lines south of London.\n\n'
		+ 'Residents were told to stay indoors & away from sea fronts.',
	byline: 'Jane Doe, transport correspondent',
	url: 'https://news.example/2026/11/29/storm-ciaran-flights-grounded',
	image_url: 'https://img.example/storm-ciaran.jpg',
	image_caption: 'Waves break over the harbour wall at Newhaven',
	image_credit: 'Reuters',
	topics: 'weather, travel',
};

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const violations = [];
try {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	// the story's picture lives on no real host: answer it here, as a CDN would
	await context.route('https://img.example/**', (route) => route.fulfill({
		status: 200, contentType: 'image/svg+xml',
		body: '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">'
			+ '<stop offset="0" stop-color="#3d4f63"/><stop offset="1" stop-color="#8fa7b8"/></linearGradient></defs>'
			+ '<rect width="1200" height="675" fill="url(#g)"/><path d="M0 470 Q150 380 300 470 T600 470 T900 470 T1200 470 V675 H0Z" fill="#e8eef2"/></svg>',
	}));
	const page = await context.newPage();
	page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text()); });

	// ---- sign in ----
	await page.goto(base + '/newsroom');
	expect('signed out: sent to the sign-in page', page.url().endsWith('/newsroom/signin'), page.url());
	await shot(page, 'signin');
	await page.fill('#name', editor);
	await page.fill('#password', 'not the password');
	await page.click('button[type=submit]');
	await page.waitForLoadState();
	const err = await page.textContent('#signin-error');
	expect('wrong password refused', err.includes('The name or password is not right'), err);
	await shot(page, 'signin-error');
	await page.fill('#password', password);
	await page.click('button[type=submit]');
	await page.waitForURL(base + '/newsroom');
	expect('signed in: the dashboard', (await page.textContent('h1')).includes('Dashboard'), await page.textContent('h1'));
	expect('dashboard counts the audience', (await page.textContent('#stat-confirmed')).trim() === '1,000',
		await page.textContent('#stat-confirmed'));
	expect('dashboard draws the audience chart', await page.locator('.chart .wide svg polyline').count() === 3, 'no chart');
	await shot(page, 'dashboard');

	// ---- compose ----
	await page.click('.nr-nav >> text=Write an alert');
	await page.waitForURL(base + '/newsroom/compose');
	await page.fill('#standfirst', story.standfirst);
	await page.click('#preview');
	await page.waitForLoadState();
	const errs = await page.textContent('#compose-errors');
	expect('a story without a headline is refused', errs.includes('Headline is required'), errs);
	expect('what was typed is kept', (await page.inputValue('#standfirst')) === story.standfirst, 'standfirst lost');
	await shot(page, 'compose-errors');
	for (const [field, value] of Object.entries(story))
		await page.fill('#' + field, value);
	await shot(page, 'compose');
	await page.click('#preview');
	await page.waitForURL(base + '/newsroom/preview');

	// ---- preview ----
	const frame = page.frameLocator('#html-part');
	const h1 = await frame.locator('h1').textContent();
	expect('preview: the HTML email has the headline', h1.includes(story.headline), h1);
	const escaped = await frame.locator('body').innerText();
	expect('preview: the body is text, escaped', escaped.includes('stay indoors & away from sea fronts'), 'body missing');
	expect('preview: the unsubscribe link is there',
		await frame.locator('a', { hasText: 'Unsubscribe from breaking news alerts' }).count() === 1, 'no link');
	await page.waitForFunction(() => {
		const img = document.getElementById('html-part').contentDocument.querySelector('img');
		return img && img.complete;
	});
	expect('preview: the picture loads', await frame.locator('img').evaluate((i) => i.naturalWidth > 0), 'no picture');
	expect('preview: the frame fits the email', await page.evaluate(() => {
		const f = document.getElementById('html-part');
		return Math.abs(f.getBoundingClientRect().height - f.contentDocument.documentElement.scrollHeight) < 8;
	}), 'not sized');
	const text = await page.textContent('#text-part');
	expect('preview: the plain text part', text.includes(story.headline) && text.includes('Unsubscribe: '), text.slice(0, 200));
	expect('preview: subject', (await page.textContent('#subject')).includes(story.headline), 'subject');
	const sandbox = await page.getAttribute('#html-part', 'sandbox');
	expect('preview: the frame is sandboxed, without scripts', sandbox === 'allow-same-origin', `sandbox="${sandbox}"`);
	await shot(page, 'preview');
	await page.click('#send-test');
	await page.waitForLoadState();
	const notice = await page.textContent('#notice');
	expect('test sent to the editor', notice.includes('was sent to jane@news.example'), notice);
	await shot(page, 'preview-test');

	// ---- publish: confirm first ----
	await page.click('#publish');
	await page.waitForURL(base + '/newsroom/publish');
	const recipients = (await page.textContent('#recipients')).trim();
	expect('confirmation names the audience', recipients === '1,000', recipients);
	await shot(page, 'publish-confirm');
	process.kill(Number(sinkPid), 'SIGSTOP');	// hold the relay: the page must see the alert move
	await page.click('#confirm-publish');
	await page.waitForURL(/\/newsroom\/alerts\/\d+$/);
	await page.evaluate(() => { window.sameDocument = true; });
	const startPercent = (await page.textContent('#percent')).trim();
	expect('live page opens before the alert is sent', startPercent !== '100', startPercent);
	await shot(page, 'alert-waiting');
	await sleep(1500);
	process.kill(Number(sinkPid), 'SIGCONT');
	let seen = new Set([startPercent]);
	for (let i = 0; i < 300; i++) {
		const p = (await page.textContent('#percent')).trim();
		seen.add(p);
		if (p === '100' && (await page.textContent('#state')).trim() === 'Sent') break;
		await sleep(100);
	}
	expect('progress reaches 100% live', (await page.textContent('#percent')).trim() === '100', [...seen].join(','));
	expect('state becomes Sent', (await page.textContent('#state')).trim() === 'Sent', await page.textContent('#state'));
	expect('sent 1,000 of 1,000', (await page.textContent('#sent')).trim() === '1,000'
		&& (await page.textContent('#total')).trim() === '1,000', await page.textContent('#sent'));
	expect('updated by events, not by reloading', await page.evaluate(() => window.sameDocument === true), 'reloaded');
	await page.waitForFunction(() => document.getElementById('live-note')?.textContent === 'finished', null, { timeout: 5000 })
		.then(() => ok('the stream said it finished'), (e) => fail('the stream said it finished', e.message));
	expect('kill switch gone once sent', await page.locator('#kill').isHidden(), 'still shown');
	await sleep(800);	// the bar's transition
	await shot(page, 'alert-done');

	// ---- history and audience ----
	await page.click('.nr-nav >> text=Alerts');
	await page.waitForURL(base + '/newsroom/alerts');
	const row = await page.textContent('#history tbody tr');
	expect('history lists the alert', row.includes(story.headline) && row.includes('1,000 of 1,000'), row);
	await shot(page, 'alerts');
	await page.click('.nr-nav >> text=Audience');
	await page.waitForURL(base + '/newsroom/audience');
	expect('audience chart', await page.locator('#chart .wide svg').count() === 1, 'no svg');
	expect('audience counts the import as signups', (await page.textContent('#signups')).trim() === '1,000',
		await page.textContent('#signups'));
	await shot(page, 'audience');

	await page.click('#signout');
	await page.waitForURL(base + '/newsroom/signin');
	await page.goto(base + '/newsroom');
	expect('signed out for good', page.url().endsWith('/newsroom/signin'), page.url());
	expect('no Content-Security-Policy violations', violations.length === 0, violations.join(' | '));
} catch (e) {
	fail('browser run', e.message);
	try { process.kill(Number(sinkPid), 'SIGCONT'); } catch { /* gone */ }
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
