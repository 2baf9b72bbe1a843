#!/usr/bin/env node
// The app on a big case, timed as an examiner uses it (numbers for notes and reports, never for tests):
// Open → overview, the background pass's reports and estimate against its actual end, then Segments,
// End to the last segment, its slots, one page's hex, Search for a literal, Strings "Containing",
// Processes, Export of one slot. Screenshots go to OUT (default /tmp/unfold-measure).
//
//   UNFOLD_E2E_PORT=47966 node bin/run-ts.mjs test/e2e/serve.ts &        # browser mode, test token
//   UNFOLD_E2E_PORT=47966 node scripts/measure-app.mjs IMAGE ISF [tag] [all|watch]
//
// `watch` only follows the background pass on the overview; `all` clicks through the views meanwhile.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
const [,, image, isf, tag = 'run', mode = 'all'] = process.argv;
const PORT = Number(process.env.UNFOLD_E2E_PORT || 47910);
const TOKEN = 'e2e-token-4f1c9a7b2d3e6f80'; // test/e2e/env.ts
const URL = `http://127.0.0.1:${PORT}/?token=${TOKEN}`;
const OUT = process.env.OUT || '/tmp/unfold-measure';
mkdirSync(OUT, { recursive: true });
if (!image || !isf) {
  console.error('usage: measure-app.mjs IMAGE ISF [tag] [all|watch]');
  process.exit(64);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
const T0 = Date.now();
const t = () => ((Date.now() - T0) / 1000).toFixed(2);
/** @param {...unknown} a */
const log = (...a) => console.log(`[${t()}]`, ...a);
/**
 * @param {string} name
 * @param {() => Promise<unknown>} f
 */
async function timed(name, f) { const a = Date.now(); try { const r = await f(); log(`${name}: ${((Date.now() - a) / 1000).toFixed(2)} s`); return r; } catch (e) { log(`${name}: FAILED after ${((Date.now() - a) / 1000).toFixed(2)} s: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`); } }
await page.request.post(`http://127.0.0.1:${PORT}/api/closeCase`, { headers: { 'x-unfold-token': TOKEN, 'Content-Type': 'application/json' }, data: [] });
await page.goto(URL);
await page.getByTestId('image-path').fill(image);
await page.getByTestId('symbols-path').fill(isf);
const openAt = Date.now();
await page.getByTestId('open-button').click();
// progress of the open
const openPoll = setInterval(async () => { try { const s = await page.getByTestId('open-progress').innerText({ timeout: 200 }); log('open:', s.replace(/\s+/g, ' ')); } catch {} }, 1000);
await page.getByTestId('view-overview').waitFor({ timeout: 300000 });
clearInterval(openPoll);
const ovAt = Date.now();
log(`OPEN → overview visible: ${((ovAt - openAt) / 1000).toFixed(2)} s`);
await page.screenshot({ path: `${OUT}/${tag}-overview-1440.png` });
// background pass
/** @type {Array<{ at: number; s: string; lag: number }>} */
const samples = [];
/** @type {number | null} */
let bgEnd = null;
const poll = setInterval(async () => {
  const a = Date.now();
  try {
    const vis = await page.getByTestId('background-decode').isVisible();
    const lag = Date.now() - a;
    if (!vis) { if (bgEnd === null && samples.length) { bgEnd = Date.now(); log('background panel gone'); } return; }
    const s = (await page.getByTestId('background-decode').innerText({ timeout: 500 })).replace(/\s+/g, ' ');
    samples.push({ at: (Date.now() - ovAt) / 1000, s, lag });
  } catch {}
}, 500);
if (mode === 'watch') {
  while (bgEnd === null && Date.now() - ovAt < 600000 && (samples.length || Date.now() - ovAt < 20000)) await new Promise((r) => setTimeout(r, 250));
} else {
  await new Promise((r) => setTimeout(r, +(process.env.WAIT||300)));
  await timed('nav Segments → rows', async () => { await page.getByTestId('nav-segments').click(); await page.getByTestId('segment-row').first().waitFor(); });
  log('segment count:', await page.getByTestId('segment-count').innerText(), ' DOM rows:', await page.getByTestId('segment-row').count());
  await page.screenshot({ path: `${OUT}/${tag}-segments-1440.png` });
  await timed('scroll segments to end', async () => { await page.locator('.vlist-row').first().focus(); await page.keyboard.press('End'); await page.waitForFunction(() => Number(document.activeElement?.querySelector('[data-segment]')?.getAttribute('data-segment')) > 100); });
  log('focused segment', await page.evaluate(() => document.activeElement?.querySelector('[data-segment]')?.getAttribute('data-segment')));
  await timed('open a late segment (slots list)', async () => { await page.keyboard.press('Enter'); await page.getByTestId('view-slots').waitFor(); await page.getByTestId('slot-row').first().waitFor(); });
  log('slot rows in DOM:', await page.getByTestId('slot-row').count());
  await timed('click a slot → hex', async () => { await page.getByTestId('slot-row').nth(3).click(); await page.getByTestId('hex-row').first().waitFor(); });
  await page.screenshot({ path: `${OUT}/${tag}-slots-1440.png` });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: `${OUT}/${tag}-slots-1024.png` });
  await page.setViewportSize({ width: 1440, height: 900 });
  await timed('search literal "http"', async () => {
    await page.getByTestId('nav-search').click(); await page.getByTestId('search-strings').fill('http'); await page.getByTestId('search-run').click();
    await page.getByTestId('search-summary').waitFor({ timeout: 300000 }); await page.waitForFunction(() => !document.querySelector('[data-testid="search-progress"]'), null, { timeout: 300000 });
  });
  log('search summary:', (await page.getByTestId('search-summary').innerText()).replace(/\s+/g, ' '));
  await page.screenshot({ path: `${OUT}/${tag}-search-1440.png` });
  await timed('strings with Containing http', async () => {
    await page.getByTestId('nav-strings').click(); await page.getByTestId('strings-filter').fill('http'); await page.getByTestId('strings-run').click();
    await page.getByTestId('strings-summary').waitFor({ timeout: 300000 }); await page.waitForFunction(() => !document.querySelector('[data-testid="strings-progress"]'), null, { timeout: 300000 });
  });
  log('strings summary:', (await page.getByTestId('strings-summary').innerText()).replace(/\s+/g, ' '));
  await page.screenshot({ path: `${OUT}/${tag}-strings-1440.png` });
  await timed('processes', async () => { await page.getByTestId('nav-processes').click(); await page.getByTestId('view-processes').waitFor(); await page.locator('[data-testid=process-row], [data-testid=processes-unavailable]').first().waitFor({ timeout: 30000 }); });
  const noProcs = await page.getByTestId('processes-unavailable').isVisible(); if (noProcs) log('processes:', (await page.getByTestId('processes-unavailable').innerText()).replace(/\s+/g,' '));
  await page.screenshot({ path: `${OUT}/${tag}-processes-1440.png` });
  if (!noProcs)
  await timed('memory map of first process', async () => { await page.getByTestId('process-row').first().click(); await page.getByTestId('open-memory-map').click(); await page.getByTestId('view-memory').waitFor(); await page.getByTestId('region-row').first().waitFor({ timeout: 30000 }); });
  await page.screenshot({ path: `${OUT}/${tag}-memory-1440.png` });
  await timed('export one slot', async () => {
    await page.getByTestId('nav-export').click(); await page.getByTestId('scope-slot').check();
    await page.getByTestId('export-out').fill(`${OUT}/export-${tag}-${Date.now()}`); await page.getByTestId('export-run').click();
    await page.getByTestId('export-summary').waitFor({ timeout: 300000 });
  });
  log('export:', (await page.getByTestId('export-summary').innerText()).replace(/\s+/g, ' ').slice(0, 300));
  await page.screenshot({ path: `${OUT}/${tag}-export-1440.png` });
  await timed('nav Overview', async () => { await page.getByTestId('nav-overview').click(); await page.getByTestId('view-overview').waitFor(); });
  while (bgEnd === null && Date.now() - ovAt < 600000 && (samples.length || Date.now() - ovAt < 20000)) await new Promise((r) => setTimeout(r, 250));
}
clearInterval(poll);
if (bgEnd !== null) log(`background pass ended ${((bgEnd - ovAt) / 1000).toFixed(1)} s after the overview`);
else log('the background pass was not seen on the overview (it ran while other views were open, or ended at once)');
for (const s of samples.filter((_, i) => i % 4 === 0 || i === samples.length - 1)) console.log(`  +${s.at.toFixed(1)}s (lag ${s.lag}ms) ${s.s}`);
if (samples.length) console.log('longest wait for the page to answer a poll (ms):', Math.max(...samples.map((s) => s.lag)));
await page.waitForTimeout(1500);
await page.screenshot({ path: `${OUT}/${tag}-overview-done-1440.png` });
await page.setViewportSize({ width: 1024, height: 768 });
await page.screenshot({ path: `${OUT}/${tag}-overview-done-1024.png` });
await browser.close();
