// tests/browser/mail.mjs - our emails' HTML parts as a phone shows them, in headless Chromium
//
// usage: node mail.mjs SHOTS_DIR NAME=FILE...
// Each FILE is the decoded HTML part of a message we send. For each:
//  - at 320 px wide (the narrowest phone in use) nothing is wider than the
//    viewport: document scrollWidth <= 320;
//  - the call-to-action button (the first inline-block link) stands out
//    from what is around it and its text is readable on it (WCAG contrast
//    4.5:1), in light mode and under Chromium's forced dark mode with a
//    dark preference (the way some mail apps darken a message);
//  - it declares both colour schemes.
// Colours are read from screenshots (forced dark acts at paint time, not
// in computed styles), decoded by the browser itself through a canvas.
// Prints one "ok NAME" or "FAIL NAME: why" line per check.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [shots, ...files] = process.argv.slice(2);
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => console.log(`FAIL ${name}: ${why}`);
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

// the pixels of a PNG, decoded in a page: [width, height, RGBA array]
async function pixels(page, png) {
	return page.evaluate(async (b64) => {
		const img = new Image();
		img.src = 'data:image/png;base64,' + b64;
		await img.decode();
		const c = document.createElement('canvas');
		c.width = img.width;
		c.height = img.height;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		return [img.width, img.height, Array.from(g.getImageData(0, 0, img.width, img.height).data)];
	}, png.toString('base64'));
}

const lum = ([r, g, b]) => {
	const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
	return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const contrast = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
const hex = (c) => '#' + c.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');

// the button's background (inside its padding), what surrounds it, and its most contrasting text pixel
async function button(page, decoder, name, mode) {
	const a = await page.evaluateHandle(() => [...document.querySelectorAll('a')]
		.find((e) => getComputedStyle(e).display === 'inline-block'));
	if (a.asElement()) await a.asElement().scrollIntoViewIfNeeded();
	const box = a.asElement() && await a.asElement().boundingBox();
	if (!box) { fail(`${name} ${mode}: a button`, 'no inline-block link'); return; }
	const m = 6;
	const clip = { x: Math.max(0, box.x - m), y: Math.max(0, box.y - m), width: box.width + 2 * m, height: box.height + 2 * m };
	const png = await page.screenshot({ clip });
	const [w, , d] = await pixels(decoder, png);
	const at = (x, y) => d.slice((y * w + x) * 4, (y * w + x) * 4 + 4);
	const inside = at(m + 3, m + 3), outside = at(1, 1);
	let text = inside, best = 1;
	for (let y = m; y < m + Math.floor(box.height); y++)
		for (let x = m; x < m + Math.floor(box.width); x++) {
			const c = contrast(at(x, y), inside);
			if (c > best) { best = c; text = at(x, y); }
		}
	expect(`${name} ${mode}: the button stands out (${hex(inside)} on ${hex(outside)})`,
		contrast(inside, outside) >= 1.5, `contrast ${contrast(inside, outside).toFixed(2)}`);
	expect(`${name} ${mode}: the button's text is readable (${hex(text)} on ${hex(inside)})`,
		best >= 4.5, `contrast ${best.toFixed(2)}`);
}

const light = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
const dark = await chromium.launch({ executablePath: '/usr/bin/chromium',
	args: [...args, '--blink-settings=forceDarkModeEnabled=true'] });
try {
	const decoder = await (await light.newContext()).newPage();
	for (const arg of files) {
		const [name, file] = arg.split('=');
		const html = readFileSync(file, 'utf8');
		const narrow = await (await light.newContext({ viewport: { width: 320, height: 640 } })).newPage();
		await narrow.setContent(html, { waitUntil: 'load' });
		await narrow.screenshot({ path: join(shots, `${name}-320.png`), fullPage: true });
		const width = await narrow.evaluate(() => document.documentElement.scrollWidth);
		expect(`${name}: fits 320 px (scrollWidth ${width})`, width <= 320, `${width} px wide`);
		const scheme = await narrow.evaluate(() =>
			document.querySelector('meta[name=color-scheme]')?.getAttribute('content') ?? '');
		expect(`${name}: declares light and dark`, /light/.test(scheme) && /dark/.test(scheme), `"${scheme}"`);
		await button(narrow, decoder, name, 'light');
		const page = await (await dark.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' })).newPage();
		await page.setContent(html, { waitUntil: 'load' });
		await page.screenshot({ path: join(shots, `${name}-dark.png`), fullPage: true });
		await button(page, decoder, name, 'forced dark');
	}
} finally {
	await light.close();
	await dark.close();
}
