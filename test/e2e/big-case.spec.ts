// A big case as an examiner uses it, on an image built here (60,000 pages in some 550 segments): the
// overview comes from the metadata while the background pass is still running, with core's exact counts;
// the segments table holds every segment but renders only the rows in view, and scrolls to the last
// one; that segment's slots open, and a slot opened while the app shows the pass running gives exactly
// core's bytes; Strings with "Containing" lists core's strings. Then the pass ends and the overview
// still holds core's counts.
//
// No timing: the background pass's events are held back in the page (decode-gate.ts) and handed over by
// the test, so the app shows the pass running for as long as the test needs, on any host.
//
// On the demo case, the pass's panel says which live slots it does not decode and why (two slots of a
// swapped-out segment whose swap file was not given).
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildScaleImage, saveSynthImage } from '../../core/synth/scenarios';
import { openCase } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import type { StringHit } from '../../core/search/types';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';
import { gateLog, installDecodeGate, release } from './decode-gate';

const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

const PAGES = 60_000;
let image: string;
let isf: string;
let want: {
  segments: number;
  liveSlots: number;
  kinds: Array<[string, number]>;
  last: { index: number; slots: number[] };
  slot: number;
  bytes: Uint8Array;
  filter: string;
  strings: StringHit[];
};

test.beforeAll(async () => {
  test.setTimeout(300_000);
  const dir = path.join(E2E_TMP, 'big-case');
  mkdirSync(dir, { recursive: true });
  const built = buildScaleImage({ pages: PAGES, seed: 23 });
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(built.image, dir, 'big'));
  const core = await openCase(image, { symbols: isf, threads: 0 });
  try {
    const segs = core.segments();
    const last = segs.at(-1)!;
    const slots = core.slots(last.index).map((r) => r.slot);
    // a slot in the middle of the last segment, one that decodes
    const decodable = slots.filter((s) => core.page(last.index, s).page !== null);
    const rec = { slot: decodable[Math.floor(decodable.length / 2)]! };
    const bytes = core.page(last.index, rec.slot).page!;
    // a filter taken from the image's own strings: a word of the first page that has one
    const first: StringHit[] = [];
    await core.strings(4, { maxStrings: 50, onString: (s) => first.push(s) });
    const filter = first.map((s) => s.text.match(/[A-Za-z]{5,}/)?.[0]).find((w): w is string => !!w)!.slice(0, 5).toLowerCase();
    const strings: StringHit[] = [];
    await core.strings(4, { filter, onString: (s) => strings.push(s) });
    want = {
      segments: segs.length,
      liveSlots: segs.reduce((n, s) => n + s.liveSlots, 0),
      kinds: Object.entries(core.info.compressor.slots).filter(([, n]) => (n ?? 0) > 0) as Array<[string, number]>,
      last: { index: last.index, slots },
      slot: rec.slot,
      bytes,
      filter,
      strings,
    };
  } finally {
    await core.close();
  }
  expect(want.liveSlots).toBe(PAGES);
  expect(want.segments).toBeGreaterThan(400);
  expect(want.bytes.length).toBeGreaterThan(0);
  expect(want.strings.length).toBeGreaterThan(0);
});

async function openWithHeldPass(page: Page, imagePath: string, symbolsPath: string): Promise<void> {
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.addInitScript(installDecodeGate);
  await page.goto(E2E_URL);
  await page.getByTestId('image-path').fill(imagePath);
  await page.getByTestId('symbols-path').fill(symbolsPath);
  await page.getByTestId('open-button').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 120_000 });
  // the pass's first report reaches the app: from here on the app shows it running
  await page.waitForFunction(() => (window as unknown as { __decodeGate: { log: Array<{ type: string }> } }).__decodeGate.log.length > 0, null, { timeout: 60_000 });
  expect((await gateLog(page))[0]!.type).toBe('progress');
  expect(await release(page, 1)).toBe(1);
  await expect(page.getByTestId('background-decode')).toBeVisible();
}

/** hands the app every held event of the pass, up to its end */
async function finishPass(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __decodeGate: { log: Array<{ type: string }> } }).__decodeGate.log.some((e) => e.type === 'done'), null, { timeout: 120_000 });
  await release(page, 1_000_000);
  await expect(page.getByTestId('background-decode')).toHaveCount(0);
}

test('a big case: counts, a long segments table, a late segment’s slot and strings while the pass runs', async ({ page }) => {
  test.setTimeout(240_000);
  await openWithHeldPass(page, image, isf);
  const panel = page.getByTestId('background-decode');
  await expect(panel.getByTestId('progress-count')).toContainText(`/ ${fmt(want.liveSlots)} pages`);
  // every live slot is in a resident segment: the pass decodes them all, and says nothing more
  await expect(panel.getByTestId('progress-note')).toHaveCount(0);
  await expect(page.getByTestId('tile-segments').locator('.tv')).toHaveText(fmt(want.segments));
  await expect(page.getByTestId('tile-slots').locator('.tv')).toHaveText(fmt(want.liveSlots));
  for (const [kind, n] of want.kinds) await expect(page.getByTestId(`kind-${kind}`).getByTestId('count')).toHaveText(fmt(n));
  // the size histogram needs every page decoded: it says so instead of drawing an empty chart
  await expect(page.getByTestId('histogram-wait')).toHaveText('Shown once every page is decoded.');

  // the segments table: all of them counted, only those in view in the page
  await page.getByTestId('nav-segments').click();
  await expect(page.getByTestId('segment-count')).toHaveText(`${fmt(want.segments)} of ${fmt(want.segments)} segments`);
  await expect(page.getByTestId('segment-row').first()).toHaveAttribute('data-segment', '0');
  const rendered = await page.getByTestId('segment-row').count();
  expect(rendered).toBeGreaterThan(10);
  expect(rendered).toBeLessThan(100);
  // End from the first row: the last segment comes into view and takes the focus
  await page.locator('[data-row-index="0"]').first().focus();
  await page.keyboard.press('End');
  const lastRow = page.locator(`[data-testid=segment-row][data-segment="${want.last.index}"]`);
  await expect(lastRow).toBeVisible();
  await expect(page.locator(`[data-row-index="${want.segments - 1}"]`)).toBeFocused();
  await expect(page.locator('[data-testid=segment-row][data-segment="0"]')).toHaveCount(0);

  // its slots, then one slot's page: core's bytes, while the app still shows the pass running
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('view-slots')).toBeVisible();
  await expect(page.getByTestId('current-segment')).toHaveText(String(want.last.index));
  await expect(page.getByTestId('slot-row').first()).toHaveAttribute('data-slot', String(want.last.slots[0]));
  await page.locator(`[data-testid=slot-row][data-slot="${want.slot}"]`).click();
  await expect(page.getByTestId('current-slot')).toHaveText(String(want.slot));
  const hex = page.getByTestId('page-hex');
  await expect(hex.locator('[data-testid=hex-row][data-offset="0"] [data-testid=hex-bytes]')).toHaveText(hexOf(want.bytes.subarray(0, 16)));
  await expect(hex.locator('[data-testid=hex-row][data-offset="16"] [data-testid=hex-bytes]')).toHaveText(hexOf(want.bytes.subarray(16, 32)));
  const off = want.bytes.length - 16;
  await page.getByTestId('page-hex-goto').fill(`0x${off.toString(16)}`);
  await page.getByTestId('page-hex-goto').press('Enter');
  await expect(hex.locator(`[data-testid=hex-row][data-offset="${off}"] [data-testid=hex-bytes]`)).toHaveText(hexOf(want.bytes.subarray(off)));

  // Strings containing a word of the image: core's list, in core's order
  await page.getByTestId('nav-strings').click();
  await page.getByTestId('strings-filter').fill(want.filter);
  await page.getByTestId('strings-run').click();
  await expect(page.getByTestId('strings-count')).toHaveText(fmt(want.strings.length), { timeout: 120_000 });
  await expect(page.getByTestId('strings-cancel')).toBeDisabled();
  const firstRow = page.getByTestId('string-row').first();
  await expect(firstRow.getByTestId('string-text')).toHaveText(want.strings[0]!.text);

  // the pass ends: the overview keeps core's counts
  // away from the overview, the top bar names the pass (the one report released so far) and leads back to it
  const first = (await gateLog(page))[0]!;
  await expect(page.getByTestId('background-decode')).toHaveCount(0);
  await expect(page.getByTestId('decoding-badge')).toHaveText(`Decoding pages · ${Math.floor((first.done! / first.total!) * 100)} %`);
  await page.getByTestId('decoding-badge').click();
  await expect(page.getByTestId('decoding-badge')).toHaveCount(0);
  await expect(panel).toBeVisible();
  await finishPass(page);
  await expect(page.getByTestId('tile-slots').locator('.tv')).toHaveText(fmt(want.liveSlots));
  await expect(page.locator('tr', { hasText: 'Pages decoded' })).toContainText(`${fmt(want.liveSlots)} of ${fmt(want.liveSlots)}`);
  await expect(page.getByTestId('histogram-wait')).toHaveCount(0);
});

test('the demo case: the pass names the live slots it does not decode, and why', async ({ page }) => {
  const demo = await ensureDemoCase();
  const core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0, decode: 'background' });
  let total: number;
  let live: number;
  let swapped: number;
  try {
    total = core.decodeStatus().pagesTotal;
    live = Object.values(core.info.compressor.slots).reduce((a, b) => a + (b ?? 0), 0);
    swapped = core.info.compressor.slots.swapped ?? 0;
  } finally {
    await core.close();
  }
  // the demo holds one swapped-out segment of two slots, and its swap file is not given
  expect([total, live, swapped]).toEqual([294, 296, 2]);
  await openWithHeldPass(page, demo.imagePath, demo.symbolsPath);
  const panel = page.getByTestId('background-decode');
  await expect(panel.getByTestId('progress-count')).toContainText('/ 294 pages');
  await expect(panel.getByTestId('progress-note')).toHaveText('294 decodable of 296 live slots; 2 in a swapped-out segment need its swap file (see Swapped out).');
  await finishPass(page);
});
