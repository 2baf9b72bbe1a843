// The examiner's desk (issue 14), clicked through in Chromium against browser mode: errors that say
// exactly what is wrong and only the advice that applies, the hex view's keyboard and copy, its layout
// at 1024×768, tables moved with the keyboard, and a reload that comes back to the same view.
import { test, expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import type { SlotRecord } from '../../core/darwin/types';
import { E2E_ORIGIN, E2E_TMP, E2E_TOKEN, E2E_URL } from './env';

const SHOTS = path.join('test-results', 'desk');
const hexOf = (b: Uint8Array, sep = ' ') => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(sep);
const textOf = (b: Uint8Array) => Array.from(b, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');

let demo: { imagePath: string; symbolsPath: string };
let core: Case;

test.beforeAll(async () => {
  demo = await ensureDemoCase();
  core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  mkdirSync(SHOTS, { recursive: true });
});
test.afterAll(async () => {
  await core?.close();
});

async function start(page: Page): Promise<void> {
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.goto(E2E_URL);
  await expect(page.getByTestId('open-form')).toBeVisible();
}

async function openDemo(page: Page): Promise<void> {
  await start(page);
  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
}

/** a decoded wkdm/lz4 slot whose page has printable text in its first bytes (to check copies as text) */
function decodedSlot(): SlotRecord {
  for (const s of core.segments()) {
    for (const r of core.slots(s.index, { hashes: true })) if (r.sha256 && (r.kind === 'wkdm' || r.kind === 'lz4')) return r;
  }
  throw new Error('the demo case has no decoded wkdm/lz4 slot');
}

async function showSlot(page: Page, r: SlotRecord): Promise<void> {
  await page.getByTestId('nav-slots').click();
  await page.getByTestId('segment-jump').fill(String(r.segment));
  await page.getByTestId('segment-jump').press('Enter');
  await expect(page.getByTestId('current-segment')).toHaveText(String(r.segment));
  await page.locator(`[data-testid=slot-row][data-slot="${r.slot}"]`).click();
  await expect(page.getByTestId('current-slot')).toHaveText(String(r.slot));
}

async function searchFor(page: Page, field: 'search-regexes' | 'search-hex' | 'search-yara', text: string): Promise<void> {
  await page.getByTestId('nav-search').click();
  for (const f of ['search-strings', 'search-regexes', 'search-hex', 'search-yara'] as const) await page.getByTestId(f).fill('');
  await page.getByTestId(field).fill(text);
  await page.getByTestId('search-run').click();
}

const errorIn = (page: Page, view: string) => page.getByTestId(view).getByTestId('error');

test('a bad pattern is named with its position and the engine’s reason; no advice that does not apply', async ({ page }) => {
  await openDemo(page);

  await searchFor(page, 'search-regexes', 'ab(unclosed');
  let err = errorIn(page, 'view-search');
  await expect(err).toHaveAttribute('data-code', 'BAD_QUERY');
  await expect(err.getByTestId('error-title')).toHaveText('The search pattern is not valid');
  await expect(err.getByTestId('error-what')).toHaveText('The regex pattern /ab(unclosed/ cannot be used: Unterminated group (at character 3).');
  await expect(err.getByTestId('error-advice')).toHaveText('What to do: Correct this pattern and search again.');
  await expect(err.getByTestId('error-recovered')).toHaveText('Nothing was searched; no page was read.');
  await expect(err).not.toContainText('technical details');
  await expect(err).not.toContainText('Hits found before the stop');
  await page.screenshot({ path: path.join(SHOTS, 'error-regex-1440.png') });

  await searchFor(page, 'search-hex', 'zz 00');
  err = errorIn(page, 'view-search');
  await expect(err.getByTestId('error-what')).toHaveText('The hex pattern "zz 00" cannot be used: byte 1 is "zz", which is not two hex digits or "??".');
  await expect(err.getByTestId('error-advice')).toHaveText('What to do: Correct this pattern and search again.');

  await searchFor(page, 'search-yara', 'rule x { strings: $a = "abc" condition: $a and }');
  err = errorIn(page, 'view-search');
  await expect(err).toHaveAttribute('data-code', 'BAD_QUERY', { timeout: 60_000 });
  await expect(err.getByTestId('error-what')).toHaveText(/^The YARA rules rules 1 \(typed in the app\) cannot be used: syntax error \(at line 1, column 48\)\.$/);
  await expect(err.getByTestId('error-excerpt')).toContainText('expecting expression');
  await expect(err.getByTestId('error-excerpt')).toContainText('1 | rule x { strings: $a = "abc" condition: $a and }');
  await expect(err.getByTestId('error-advice')).toHaveText('What to do: Correct the rule at the line and column shown and search again.');
  await expect(err).not.toContainText('Hits found before the stop');
  await page.screenshot({ path: path.join(SHOTS, 'error-yara-1440.png') });
});

test('a segment that does not exist is named, with the count the case has', async ({ page }) => {
  await openDemo(page);
  const n = core.segments().length;
  await page.getByTestId('nav-slots').click();
  await page.getByTestId('segment-jump').fill('99');
  await page.getByTestId('segment-jump').press('Enter');
  const err = errorIn(page, 'view-slots');
  await expect(err).toHaveAttribute('data-code', 'NOT_FOUND');
  await expect(err.getByTestId('error-what')).toHaveText(`There is no segment 99: the case has ${n} segments.`);
  await expect(err.getByTestId('error-advice')).toHaveText('What to do: Choose a segment and slot listed in the Segments view.');
  await expect(err).not.toContainText('Check the path');
});

test('an empty file says it is empty; an ISF whose addresses do not fit says so; the form shows the ISF in use', async ({ page }) => {
  await start(page);
  const empty = path.join(E2E_TMP, 'desk', 'empty.raw');
  mkdirSync(path.dirname(empty), { recursive: true });
  writeFileSync(empty, '');
  await page.getByTestId('image-path').fill(empty);
  await page.getByTestId('symbols-path').fill('');
  await page.getByTestId('open-button').click();
  let err = page.getByTestId('error');
  await expect(err).toHaveAttribute('data-code', 'IMAGE_FORMAT', { timeout: 60_000 });
  await expect(err.getByTestId('error-what')).toHaveText(`${empty} is empty (0 bytes): there is no memory in it to read.`);
  await expect(err).not.toContainText('does not look like any supported container');
  await page.getByRole('button', { name: 'Dismiss' }).click();

  // the demo ISF with one address moved: the banner matches, the addresses do not
  const bad = path.join(E2E_TMP, 'desk', 'shifted.isf.json');
  const isf = readFileSync(demo.symbolsPath, 'utf8');
  const shifted = isf.replace(/("version_major":\{"address":)(\d+)/, (_m, a: string, n: string) => a + String(BigInt(n) + 8n));
  expect(shifted).not.toBe(isf);
  writeFileSync(bad, shifted);
  await page.getByTestId('image-path').fill(demo.imagePath);
  await page.getByTestId('symbols-path').fill(bad);
  await page.getByTestId('open-button').click();
  err = page.getByTestId('error');
  await expect(err).toHaveAttribute('data-code', 'BAD_SYMBOLS', { timeout: 90_000 });
  await expect(err.getByTestId('error-what')).toHaveText(
    `The symbol table ${bad} names this kernel's banner, but its addresses do not fit the image, so the KASLR slide and page-table root could not be validated.`,
  );
  await expect(err).not.toContainText('not an ISF');
  await page.screenshot({ path: path.join(SHOTS, 'error-isf-1440.png') });
  await page.getByRole('button', { name: 'Dismiss' }).click();

  // opened with the right ISF, the Open form shows that ISF, not a remembered folder
  await page.getByTestId('symbols-path').fill(demo.symbolsPath);
  await page.getByTestId('open-button').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
  await page.goto(E2E_URL); // a reload adopts the open case
  await expect(page.getByTestId('view-overview')).toBeVisible();
  await page.getByRole('button', { name: 'Open…' }).click();
  await expect(page.getByTestId('symbols-path')).toHaveValue(demo.symbolsPath);
  await expect(page.getByTestId('image-path')).toHaveValue(demo.imagePath);
  // remembered as a recent case, with the ISF it was opened with (the failed opens are not)
  const recent = page.getByTestId('recent-case');
  await expect(recent.first()).toHaveText(`${demo.imagePath} · ${path.basename(demo.symbolsPath)}`);
  await expect(page.getByTestId('recent-cases')).not.toContainText('empty.raw');
  await page.screenshot({ path: path.join(SHOTS, 'open-form-1440.png') });
});

test('hex view: arrows move the cursor, shift selects, Ctrl+C copies hex, text or UTF-16; go to offset', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: E2E_ORIGIN });
  await openDemo(page);
  const r = decodedSlot();
  const bytes = core.page(r.segment, r.slot).page!;
  await showSlot(page, r);
  const hex = page.getByTestId('page-hex');
  const perRow = Number(await hex.getAttribute('data-per-row'));
  expect(perRow).toBe(16);

  await hex.locator('[data-testid=hex-bytes] [data-i="0"]').click();
  await expect(page.getByTestId('page-hex-selection')).toHaveText('0x0–0x0 · 1 byte');
  const body = page.getByTestId('page-hex-body');
  await expect(body).toBeFocused();
  for (let i = 0; i < 3; i++) await body.press('ArrowRight');
  await body.press('ArrowDown');
  await expect(page.getByTestId('page-hex-selection')).toHaveText(`0x${(3 + perRow).toString(16)}–0x${(3 + perRow).toString(16)} · 1 byte`);
  for (let i = 0; i < 5; i++) await body.press('Shift+ArrowRight');
  const start = 3 + perRow;
  const sel = bytes.subarray(start, start + 6);
  await expect(page.getByTestId('page-hex-selection')).toHaveText(`0x${start.toString(16)}–0x${(start + 5).toString(16)} · 6 bytes`);

  await body.press('Control+c');
  await expect(page.getByTestId('page-hex-note')).toHaveText('copied 6 bytes as hex');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(hexOf(sel));

  await page.getByTestId('page-hex-copy-form').selectOption('text');
  await body.focus();
  await body.press('Control+c');
  await expect(page.getByTestId('page-hex-note')).toHaveText('copied 6 bytes as text');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(textOf(sel));

  await page.getByTestId('page-hex-copy-form').selectOption('utf16');
  await body.focus();
  await body.press('Meta+c');
  await expect(page.getByTestId('page-hex-note')).toHaveText('copied 6 bytes as UTF-16 text');
  const u16 = Array.from({ length: 3 }, (_, i) => sel[2 * i]! | (sel[2 * i + 1]! << 8))
    .map((u) => (u < 0x20 && u !== 9 && u !== 10 && u !== 13 ? '.' : String.fromCharCode(u)))
    .join('');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(u16);

  // G jumps to the go-to field; Enter there goes to the offset and gives the keys back to the bytes
  await body.press('g');
  await expect(page.getByTestId('page-hex-goto')).toBeFocused();
  await page.getByTestId('page-hex-goto').fill('0xff0');
  await page.getByTestId('page-hex-goto').press('Enter');
  await expect(page.getByTestId('page-hex-selection')).toHaveText('0xff0–0xff0 · 1 byte');
  await expect(body).toBeFocused();
  await body.press('End');
  await expect(page.getByTestId('page-hex-selection')).toHaveText('0xfff–0xfff · 1 byte');
  await body.press('ArrowDown'); // the last row: the cursor stays on the last byte
  await expect(page.getByTestId('page-hex-selection')).toHaveText('0xfff–0xfff · 1 byte');
  await expect(hex.locator('[data-testid=hex-row][data-offset="4080"]')).toBeVisible();
  await page.screenshot({ path: path.join(SHOTS, 'hex-keyboard-1440.png') });
});

test('tables: arrows move between rows, Enter opens', async ({ page }) => {
  await openDemo(page);
  const segs = core.segments();
  await page.getByTestId('nav-segments').click();
  const first = page.locator('[data-testid=segment-row]').first();
  await first.click();
  await expect(page.getByTestId('view-slots')).toBeVisible();
  const firstIndex = Number(await page.getByTestId('current-segment').textContent());
  await page.getByTestId('nav-segments').click();
  const rowWrap = page.locator('[data-row-index="0"]').first();
  await rowWrap.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('[data-row-index="2"]')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(page.locator('[data-row-index="1"]')).toBeFocused();
  const second = await page.locator('[data-row-index="1"] [data-testid=segment-row]').getAttribute('data-segment');
  expect(second).not.toBe(String(firstIndex));
  expect(segs.some((s) => String(s.index) === second)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('current-segment')).toHaveText(second!);

  // the slot list too: Enter opens the focused slot's page
  const slots = core.slots(Number(second));
  const slotRow = page.getByTestId('view-slots').locator('[data-row-index="0"]');
  await slotRow.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('current-slot')).toHaveText(String(slots[1]!.slot));
});

test('at 1024×768 the page shows whole rows: the ASCII and UTF-16 columns are fully visible', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await openDemo(page);
  const r = decodedSlot();
  await showSlot(page, r);
  const hex = page.getByTestId('page-hex');
  const box = (await hex.boundingBox())!;
  const perRow = Number(await hex.getAttribute('data-per-row'));
  expect(perRow).toBeGreaterThanOrEqual(8);
  const row = hex.locator('[data-testid=hex-row][data-offset="0"]');
  for (const col of ['hex-bytes', 'hex-ascii', 'hex-utf16']) {
    const b = (await row.getByTestId(col).boundingBox())!;
    expect(b.width, col).toBeGreaterThan(0);
    expect(b.x, col).toBeGreaterThanOrEqual(box.x);
    expect(b.x + b.width, col).toBeLessThanOrEqual(box.x + box.width);
  }
  // every byte of the row is in its columns: perRow hex cells, perRow ASCII cells, perRow/2 UTF-16 characters
  await expect(row.locator('[data-testid=hex-ascii] [data-i]')).toHaveCount(perRow);
  expect(((await row.getByTestId('hex-utf16').textContent()) ?? '').length).toBe(perRow / 2);
  // the stored bytes sit under the page, not beside it
  const raw = (await page.getByTestId('raw-hex').boundingBox())!;
  expect(raw.y).toBeGreaterThan(box.y + box.height - 1);
  await page.screenshot({ path: path.join(SHOTS, 'slots-1024.png') });

  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(hex).toHaveAttribute('data-per-row', '16');
  const row16 = hex.locator('[data-testid=hex-row][data-offset="0"]');
  const b16 = (await row16.getByTestId('hex-utf16').boundingBox())!;
  const box16 = (await hex.boundingBox())!;
  expect(b16.x + b16.width).toBeLessThanOrEqual(box16.x + box16.width);
  await page.screenshot({ path: path.join(SHOTS, 'slots-1280.png') });
});

test('at 1440×900 the slot list shows its cells whole: offsets, ratios and outcomes are not cut', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await openDemo(page);
  const r = decodedSlot();
  await showSlot(page, r);
  const rows = page.locator('.slot-list .table-row');
  await expect(rows.first()).toBeVisible();
  // a cell whose text is wider than its column is clipped with an ellipsis: scrollWidth says so
  const cut = await page.evaluate(() =>
    [...document.querySelectorAll('.slot-list .table-row')].flatMap((row) =>
      [...row.children].filter((c) => (c as HTMLElement).scrollWidth > (c as HTMLElement).clientWidth).map((c) => (c as HTMLElement).textContent),
    ),
  );
  expect(cut).toEqual([]);
  expect(await rows.count()).toBeGreaterThan(10);
  await expect(page.locator('.slot-list .table-row', { hasText: '100 %' }).first()).toBeVisible();
});

test('a reload keeps the view, the segment and the slot', async ({ page }) => {
  await openDemo(page);
  const r = decodedSlot();
  await showSlot(page, r);
  await expect(page).toHaveURL(new RegExp(`#/slots/${r.segment}/${r.slot}$`));
  await page.reload();
  await expect(page.getByTestId('view-slots')).toBeVisible();
  await expect(page.getByTestId('current-segment')).toHaveText(String(r.segment));
  await expect(page.getByTestId('current-slot')).toHaveText(String(r.slot));

  await page.getByTestId('nav-search').click();
  await expect(page).toHaveURL(/#\/search$/);
  await page.reload();
  await expect(page.getByTestId('view-search')).toBeVisible();
});

test('strings: the filter narrows the extracted list at once and marks the match; the default minimum is the CLI’s', async ({ page }) => {
  const all: string[] = [];
  await core.strings(8, { onString: (x) => void all.push(x.text) });
  const containing = all.filter((t) => t.toLowerCase().includes('unfold-demo'));
  expect(containing.length).toBeGreaterThan(0);

  await openDemo(page);
  await page.getByTestId('nav-strings').click();
  await expect(page.getByTestId('strings-min')).toHaveValue('4');
  await page.getByTestId('strings-min').fill('8');
  await page.getByTestId('strings-run').click();
  await expect(page.getByTestId('strings-summary')).toContainText('pages');
  await expect(page.getByTestId('strings-count')).toHaveText(new Intl.NumberFormat('en-US').format(all.length));
  const summary = await page.getByTestId('strings-summary').textContent();

  await page.getByTestId('strings-filter').fill('UNFOLD-demo');
  // no new extraction: the same run's summary, the list narrowed to the strings that contain the text
  await expect(page.getByTestId('strings-count')).toHaveText(String(containing.length));
  await expect(page.getByTestId('strings-total')).toHaveText(new Intl.NumberFormat('en-US').format(all.length));
  await expect(page.getByTestId('strings-progress')).toHaveCount(0);
  expect((await page.getByTestId('strings-summary').textContent())!.replace(/^[\s\S]*? in /, '')).toBe(summary!.replace(/^[\s\S]*? in /, ''));
  const rows = page.getByTestId('string-row');
  await expect(rows).toHaveCount(containing.length);
  const marks = await rows.first().locator('mark').allTextContents();
  expect(marks.length).toBeGreaterThan(0);
  for (const m of marks) expect(m.toLowerCase()).toBe('unfold-demo');
  await page.screenshot({ path: path.join(SHOTS, 'strings-filter-1440.png') });

  await page.getByTestId('strings-filter').fill('');
  await expect(page.getByTestId('strings-count')).toHaveText(new Intl.NumberFormat('en-US').format(all.length));
});

test('export: the manifest holds the ISF’s SHA-256 and the case fields; the folder’s path can be copied', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: E2E_ORIGIN });
  await openDemo(page);
  const out = path.join(E2E_TMP, 'desk', 'export-case');
  mkdirSync(path.dirname(out), { recursive: true });
  await page.getByTestId('nav-export').click();
  await page.getByTestId('export-out').fill(out);
  await page.getByTestId('case-number').fill(' 2024-117 ');
  await page.getByTestId('case-examiner').fill('A. Examiner');
  await page.getByTestId('case-notes').fill('seized 3 Dec; line two');
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-summary')).toBeVisible({ timeout: 90_000 });
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  expect(manifest.symbols).toBe(demo.symbolsPath);
  expect(manifest.symbolsSha256).toBe(createHash('sha256').update(readFileSync(demo.symbolsPath)).digest('hex'));
  expect(manifest.case).toEqual({ caseNumber: '2024-117', examiner: 'A. Examiner', notes: 'seized 3 Dec; line two' });
  await expect(page.getByTestId('manifest-sha256')).toHaveText(createHash('sha256').update(readFileSync(path.join(out, 'manifest.json'))).digest('hex'));

  await expect(page.getByTestId('export-show')).toHaveText('Copy path');
  await page.getByTestId('export-show').click();
  await expect(page.getByTestId('export-shown')).toHaveText('path copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(out);
  await page.screenshot({ path: path.join(SHOTS, 'export-1440.png'), fullPage: true });
});

test('slot details: the physical address of the stored bytes, which hold exactly those bytes in the image', async ({ page }) => {
  await openDemo(page);
  const r = decodedSlot();
  const p = core.page(r.segment, r.slot);
  expect(p.storedAt?.physical).toMatch(/^0x[0-9a-f]+$/);
  // the demo image is raw (file offset = physical address): the stored bytes are there, byte for byte
  const phys = Number(p.storedAt!.physical);
  const first = Math.min(p.compressed!.length, 4096 - (phys % 4096));
  const inFile = Buffer.alloc(first);
  const fd = (await import('node:fs')).openSync(demo.imagePath, 'r');
  (await import('node:fs')).readSync(fd, inFile, 0, first, phys);
  (await import('node:fs')).closeSync(fd);
  expect(hexOf(inFile)).toBe(hexOf(p.compressed!.subarray(0, first)));
  await showSlot(page, r);
  await expect(page.getByTestId('stored-at')).toHaveText(`physical ${p.storedAt!.physical} · virtual ${p.storedAt!.virtual}`);
});

test('UTF-16 hits show their context as text; a single-value hit opens its table entry', async ({ page }) => {
  await openDemo(page);
  await page.getByTestId('nav-search').click();
  await page.getByTestId('search-strings').fill('UNFOLD-DEMO-SECRET-wide');
  await page.getByTestId('search-utf16').check();
  await page.getByTestId('search-run').click();
  await expect(page.getByTestId('search-summary')).toContainText('pages', { timeout: 60_000 });
  const ctx = page.getByTestId('hit-row').first().getByTestId('hit-context');
  await expect(ctx.locator('mark')).toHaveText('UNFOLD-DEMO-SECRET-wide');
  await expect(ctx).not.toContainText('U.N.F.O');

  // a value the single-value table holds, searched as its bytes: the sv-table hit comes last
  const sv = core.info.compressor.singleValue.find((e) => Number(e.value) !== 0)!;
  const le = [0, 8, 16, 24].map((s) => ((Number(sv.value) >>> s) & 0xff).toString(16).padStart(2, '0')).join(' ');
  await page.getByTestId('search-strings').fill('');
  await page.getByTestId('search-utf16').uncheck();
  await page.getByTestId('search-hex').fill(`${le} ${le}`);
  await page.getByTestId('search-run').click();
  await expect(page.getByTestId('search-summary')).toContainText('pages', { timeout: 60_000 });
  await page.getByTestId('view-search').locator('[data-row-index="0"]').focus();
  await page.keyboard.press('End');
  const last = page.getByTestId('view-search').locator('[data-row-index]:focus [data-testid=hit-row]');
  await expect(last).toHaveClass(/\bsv\b/);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('view-single')).toBeVisible();
  await expect(page.locator(`[data-testid=sv-row][data-entry="${sv.index}"]`)).toHaveClass(/active/);
});
