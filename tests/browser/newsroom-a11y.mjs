// tests/browser/newsroom-a11y.mjs - the newsroom by keyboard and on a phone, in headless Chromium
//
// usage: node newsroom-a11y.mjs BASE_URL SHOTS_DIR EDITOR PASSWORD [keys-only]
// First an editor goes from the sign-in page to a sent alert with the
// keyboard alone, and the keys pressed to move and act (Tab, Enter: what
// was typed into fields is not counted) are printed as "keys N". With
// keys-only that is all (it measures any build). Then every newsroom page
// is checked at 390 and 1280 px with axe-core (no violation), at 360 px for
// horizontal scrolling (scrollWidth <= the viewport), and: the skip link,
// the focus on the error summary after a failed submit, the live headline
// counter, the phone's chart drawn at its own size with day labels apart,
// the navigation in one row and the alerts table as cards. Prints one
// "ok NAME" or "FAIL NAME: why" line per check and saves screenshots in
// SHOTS_DIR (newsroom-a11y-*.png).
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [base, shots, editor, password, mode] = process.argv.slice(2);
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));
const TAB_MAX = 80;
const PHONE = 360;

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// ---- sign-in to sent, by keyboard ----
let keys = 0;
async function press(page, key) {
	keys++;
	await page.keyboard.press(key);
}
const focusedMatches = (page, selector) => page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
// Tab until selector has the focus; through the skip link first when the page has one
async function reach(page, selector) {
	if (await focusedMatches(page, selector))
		return;
	if (await page.locator('a.skip').count()) {
		await press(page, 'Tab');
		if (await focusedMatches(page, 'a.skip'))
			await press(page, 'Enter');
	}
	for (let i = 0; i < TAB_MAX && !(await focusedMatches(page, selector)); i++)
		await press(page, 'Tab');
	if (!(await focusedMatches(page, selector)))
		throw new Error(`${selector} never took the focus`);
}
async function submitAndWait(page, key) {
	await Promise.all([page.waitForNavigation(), press(page, key)]);
}

try {
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const page = await context.newPage();
	await page.goto(base + '/newsroom/signin');
	await reach(page, '#name');
	await page.keyboard.type(editor);
	await reach(page, '#password');
	await page.keyboard.type(password);
	await submitAndWait(page, 'Enter');
	await reach(page, 'a[href="/newsroom/compose"].btn');
	await submitAndWait(page, 'Enter');
	await reach(page, '#headline');
	await page.keyboard.type('Bridge closed after crash on the A1');
	await submitAndWait(page, 'Enter');	// the form's first button: Preview
	await reach(page, '#publish');
	await submitAndWait(page, 'Enter');
	await reach(page, '#confirm-publish');
	await submitAndWait(page, 'Enter');
	expect('by keyboard: the alert is published', /\/newsroom\/alerts\/\d+$/.test(page.url()), page.url());
	console.log(`keys ${keys}`);
	await context.close();
} catch (e) {
	fail('by keyboard from sign-in to sent', e.message);
}
if (mode === 'keys-only') {
	await browser.close();
	process.exit(failed ? 1 : 0);
}

// ---- every page at 360, 390 and 1280 ----
async function signIn(page) {
	await page.goto(base + '/newsroom/signin');
	await page.fill('#name', editor);
	await page.fill('#password', password);
	await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

// each page: how to get there from a signed-in session
const pages = {
	'sign-in': async (page) => { await page.goto(base + '/newsroom/signin'); },
	dashboard: async (page) => { await page.goto(base + '/newsroom'); },
	compose: async (page) => { await page.goto(base + '/newsroom/compose'); },
	'compose-errors': async (page) => {
		await page.goto(base + '/newsroom/compose');
		await page.fill('#topics', 'politcs');
		await Promise.all([page.waitForNavigation(), page.click('#preview')]);
	},
	preview: async (page) => {
		await page.goto(base + '/newsroom/compose');
		await page.fill('#headline', 'Storm warning: schools shut across the county as 90mph gusts are forecast for tonight and tomorrow');
		await page.fill('#body', 'The Met Office issued an amber warning.');
		await page.check('input[name=topic][value=politics]');
		await Promise.all([page.waitForNavigation(), page.click('#preview')]);
	},
	'preview-test-problem': async (page) => {
		await pages.preview(page);
		await page.fill('#test_to', 'desk@news.example, nope');
		await Promise.all([page.waitForNavigation(), page.click('#send-test')]);
	},
	confirm: async (page) => {
		await pages.preview(page);
		await Promise.all([page.waitForNavigation(), page.click('#publish')]);
	},
	alert: async (page) => {
		await page.goto(base + '/newsroom/alerts');
		await page.goto(base + (await page.getAttribute('#history tbody tr a', 'href')));
	},
	alerts: async (page) => { await page.goto(base + '/newsroom/alerts'); },
	audience: async (page) => { await page.goto(base + '/newsroom/audience'); },
};

try {
	for (const width of [390, 1280]) {
		const context = await browser.newContext({ viewport: { width, height: 860 }, bypassCSP: true });
		const page = await context.newPage();
		await signIn(page);
		for (const [name, go] of Object.entries(pages)) {
			if (name === 'sign-in')
				await context.clearCookies();
			await go(page);
			await page.addScriptTag({ path: axePath });
			// the email's frame is sandboxed without scripts: axe cannot enter it (its markup is the mail templates')
			const result = await page.evaluate(() => window.axe.run(document, { iframes: false, resultTypes: ['violations'] }));
			const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
			expect(`axe: ${name} at ${width} px: no violations (${result.passes.length} rules passed)`,
				found.length === 0 && result.passes.length > 20, found.join(' | ') || `${result.passes.length} rules passed`);
			await page.screenshot({ path: join(shots, `newsroom-a11y-${name}-${width}.png`), fullPage: true });
			if (name === 'sign-in')
				await signIn(page);
		}
		await context.close();
	}

	const context = await browser.newContext({ viewport: { width: PHONE, height: 740 }, isMobile: true, hasTouch: true });
	const page = await context.newPage();
	await signIn(page);
	for (const [name, go] of Object.entries(pages)) {
		if (name === 'sign-in')
			await context.clearCookies();
		await go(page);
		// a phone widens its layout viewport to the content: compare with the screen, not innerWidth
		const sw = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
		expect(`360 px: ${name}: no horizontal scrolling`, sw <= PHONE, `scrollWidth ${sw} > ${PHONE}`);
		if (name === 'sign-in')
			await signIn(page);
	}

	// the skip link: the first Tab shows it, Enter moves on to the content
	await page.goto(base + '/newsroom');
	await page.keyboard.press('Tab');
	const skip = await page.evaluate(() => {
		const a = document.activeElement, r = a.getBoundingClientRect();
		return { cls: a.className, visible: r.top >= 0 && r.bottom <= window.innerHeight && r.width > 0 };
	});
	expect('skip link: the first Tab focuses it, shown', skip.cls === 'skip' && skip.visible, JSON.stringify(skip));
	await page.keyboard.press('Enter');
	await page.keyboard.press('Tab');
	expect('skip link: the next Tab is inside the content',
		await page.evaluate(() => document.getElementById('main').contains(document.activeElement)), 'still in the header');

	// the navigation: one row, inside the screen
	const nav = await page.evaluate(() => [...document.querySelectorAll('.nr-nav a')].map((a) => {
		const r = a.getBoundingClientRect();
		return [Math.round(r.top), Math.round(r.left), Math.round(r.right)];
	}));
	expect('360 px: the navigation in one row', new Set(nav.map((n) => n[0])).size === 1 && nav.every((n) => n[1] >= 0 && n[2] <= 360),
		JSON.stringify(nav));

	// the phone's chart: drawn at its own width (text at its size), day labels apart
	const chart = await page.evaluate(() => {
		const svg = [...document.querySelectorAll('.chart svg')].find((s) => s.getBoundingClientRect().width > 0);
		const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
		const boxes = [...svg.querySelectorAll('text[text-anchor=middle]')].map((t) => t.getBoundingClientRect())
			.sort((a, b) => a.left - b.left);
		const overlap = boxes.some((b, i) => i > 0 && b.left < boxes[i - 1].right);
		return { id: svg.getAttribute('aria-labelledby'), scale, labels: boxes.length, overlap,
			font: 12 * scale };
	});
	expect('360 px: the phone chart is shown', chart.id.startsWith('chart-phone'), chart.id);
	expect('360 px: its text at 11 px or more', chart.font >= 11, `${chart.font.toFixed(1)} px`);
	expect('360 px: its day labels do not overlap', chart.labels >= 2 && !chart.overlap, JSON.stringify(chart));
	await page.screenshot({ path: join(shots, 'newsroom-a11y-dashboard-360.png'), fullPage: true });

	// the alerts table as cards: each figure labelled, no cell cut
	await page.goto(base + '/newsroom/alerts');
	const cells = await page.evaluate(() => [...document.querySelectorAll('#history tbody tr:first-child td')].map((td) => {
		const r = td.getBoundingClientRect();
		return { label: getComputedStyle(td, '::before').content, right: r.right };
	}));
	expect('360 px: the alerts table reflows, each figure with its label',
		cells.filter((c) => c.label.includes('Failures') || c.label.includes('Bounces')).length === 2 && cells.every((c) => c.right <= 360),
		JSON.stringify(cells));
	await page.screenshot({ path: join(shots, 'newsroom-a11y-alerts-360.png'), fullPage: true });

	// a failed submit: the focus goes to the error summary
	await page.goto(base + '/newsroom/compose');
	await page.fill('#headline', '');
	await Promise.all([page.waitForNavigation(), page.click('#preview')]);
	expect('a failed submit: the error summary has the focus',
		await page.evaluate(() => document.activeElement.id) === 'compose-errors', await page.evaluate(() => document.activeElement.id));
	await page.keyboard.press('Tab');
	expect('and its first link is the next stop', await page.evaluate(() => document.activeElement.getAttribute('href')) === '#headline',
		await page.evaluate(() => document.activeElement.outerHTML));

	// the headline counter, live
	await page.fill('#headline', 'x'.repeat(95));
	expect('counter: 95 characters, over the limit',
		(await page.textContent('#headline-chars')) === '95' && (await page.getAttribute('#headline-count', 'class')).includes('over'),
		await page.textContent('#headline-count'));
	await page.fill('#headline', 'Élection: résultats à 22 h');
	expect('counter: characters, not bytes, and no warning within the limit',
		(await page.textContent('#headline-chars')) === '26' && !(await page.getAttribute('#headline-count', 'class')).includes('over'),
		await page.textContent('#headline-count'));
	await context.close();
} catch (e) {
	fail('browser run', e.message);
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
