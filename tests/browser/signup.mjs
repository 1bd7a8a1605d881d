// tests/browser/signup.mjs - the signup box as a reader uses it, in headless Chromium
//
// usage: node signup.mjs BASE_URL OUTBOX_DIR SHOTS_DIR
// Opens the page, submits a bad address and sees the validation message,
// submits a good one and sees the thanks text, finds the confirmation email
// in the Maildir, opens its link, confirms with the button. Prints one
// "ok NAME" or "FAIL NAME: why" line per step and saves a screenshot of
// each page in SHOTS_DIR. The caller checks the database afterwards.
import { chromium } from 'playwright-core';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [base, outbox, shots] = process.argv.slice(2);
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));

// the confirmation link from the newest message's text part (quoted-printable undone)
function confirmLink() {
	const dir = join(outbox, 'new');
	const files = readdirSync(dir).map((f) => join(dir, f))
		.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
	if (files.length === 0) return null;
	const raw = readFileSync(files[files.length - 1], 'latin1')
		.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
	const m = raw.match(/https?:\/\/[^\s"<>]*\/confirm\/[A-Za-z0-9_-]+/);
	return m ? m[0] : null;
}

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
	await page.goto(base + '/');
	await page.screenshot({ path: join(shots, 'signup.png'), fullPage: true });
	const heading = await page.textContent('h1');
	expect('heading', heading.includes('For free real time breaking news alerts sent straight to your inbox'), heading);
	expect('marketing box unticked', !(await page.isChecked('#marketing')), 'ticked by default');
	expect('email field is labelled', (await page.getAttribute('label[for=email]', 'class')) !== null, 'no label');

	await page.fill('#email', 'not an address');
	await page.click('button[type=submit]');
	await page.waitForLoadState();
	await page.screenshot({ path: join(shots, 'signup-error.png'), fullPage: true });
	const errors = await page.textContent('#signup-errors');
	expect('bad address message', errors.includes('Please enter a valid email address'), errors);

	await page.fill('#email', 'browser.reader@example.com');
	await page.check('#marketing');
	await page.click('button[type=submit]');
	await page.waitForLoadState();
	await page.screenshot({ path: join(shots, 'thanks.png'), fullPage: true });
	const thanks = await page.textContent('main');
	expect('thanks text', thanks.includes('Thanks for signing up to the Breaking News email'), thanks);

	let link = null;
	for (let i = 0; i < 50 && !link; i++) {
		link = confirmLink();
		if (!link) await new Promise((r) => setTimeout(r, 100));
	}
	expect('confirmation email in the outbox', link !== null, 'no link found');
	if (link) {
		await page.goto(link);
		await page.screenshot({ path: join(shots, 'confirm.png'), fullPage: true });
		await page.click('button[type=submit]');
		await page.waitForLoadState();
		await page.screenshot({ path: join(shots, 'confirmed.png'), fullPage: true });
		const done = await page.textContent('main');
		expect('confirmed page', done.includes('You are subscribed'), done);
	}
} catch (e) {
	fail('browser run', e.message);
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
