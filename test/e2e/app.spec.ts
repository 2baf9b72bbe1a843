// What an examiner does, clicked through in Chromium against browser mode, with every figure on screen
// checked against what core's façade computes for the same demo image in this test process.
import { test, expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import type { SlotRecord } from '../../core/darwin/types';
import { HIT_COLUMNS, STRINGS_LIMITS, type StringHit } from '../../core/api';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';

const SECRET = 'UNFOLD-DEMO-SECRET';
const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

let demo: { imagePath: string; symbolsPath: string };
let core: Case;

test.beforeAll(async () => {
  demo = await ensureDemoCase();
  core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
});
test.afterAll(async () => {
  await core?.close();
});

/** a fresh page with no case open on the server */
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

/** a segment and slot whose page decoded (sha256 present) from a stored stream */
function decodedSlot(): SlotRecord {
  for (const s of core.segments()) {
    for (const r of core.slots(s.index, { hashes: true })) if (r.sha256 && (r.kind === 'wkdm' || r.kind === 'lz4')) return r;
  }
  throw new Error('the demo case has no decoded wkdm/lz4 slot');
}

async function showSegment(page: Page, index: number): Promise<void> {
  await page.getByTestId('nav-segments').click();
  await page.getByTestId('segment-filter').fill(String(index));
  await page.locator(`[data-testid=segment-row][data-segment="${index}"]`).click();
  await expect(page.getByTestId('current-segment')).toHaveText(String(index));
}

test('open the demo case: the overview shows core’s counts', async ({ page }) => {
  await openDemo(page);
  const comp = core.info.compressor;
  const segTotal = Object.values(comp.segments).reduce((a, b) => a + b, 0);
  const slotTotal = Object.values(comp.slots).reduce((a, b) => a + (b ?? 0), 0);
  expect(segTotal).toBe(core.segments().length);
  await expect(page.getByTestId('tile-segments')).toContainText(fmt(segTotal));
  await expect(page.getByTestId('tile-slots')).toContainText(fmt(slotTotal));
  for (const [state, n] of Object.entries(comp.segments)) {
    await expect(page.getByTestId(`state-${state}`).getByTestId('count')).toHaveText(fmt(n));
  }
  for (const [kind, n] of Object.entries(comp.slots)) {
    if (n) await expect(page.getByTestId(`kind-${kind}`).getByTestId('count')).toHaveText(fmt(n));
  }
  await expect(page.getByTestId('family')).toContainText(comp.family);
  await expect(page.getByTestId('kaslr')).toHaveText(core.info.kernel.kaslrSlide);
  await expect(page.getByTestId('macos')).toContainText(core.info.kernel.macos);
  await expect(page.getByTestId('banner')).toHaveText(core.info.kernel.banner);
  await expect(page.getByTestId('case-title')).toContainText(path.basename(demo.imagePath));
});

test('segments table lists every segment; a slot’s page shows its exact bytes', async ({ page }) => {
  await openDemo(page);
  await page.getByTestId('nav-segments').click();
  const n = core.segments().length;
  await expect(page.getByTestId('segment-count')).toHaveText(`${fmt(n)} of ${fmt(n)} segments`);

  const rec = decodedSlot();
  await showSegment(page, rec.segment);
  await expect(page.getByTestId('slot-row').first()).toHaveAttribute('data-slot', String(core.slots(rec.segment)[0]!.slot));
  await page.locator(`[data-testid=slot-row][data-slot="${rec.slot}"]`).click();
  await expect(page.getByTestId('current-slot')).toHaveText(String(rec.slot));

  const { page: bytes, compressed } = core.page(rec.segment, rec.slot);
  expect(bytes).not.toBeNull();
  expect(createHash('sha256').update(bytes!).digest('hex')).toBe(rec.sha256);
  const hex = page.getByTestId('page-hex');
  await expect(hex.locator('[data-testid=hex-row][data-offset="0"] [data-testid=hex-bytes]')).toHaveText(hexOf(bytes!.subarray(0, 16)));
  await expect(hex.locator('[data-testid=hex-row][data-offset="16"] [data-testid=hex-bytes]')).toHaveText(hexOf(bytes!.subarray(16, 32)));

  // go to an offset deep in the page: that row is scrolled into view and the byte selected
  const off = bytes!.length - 16;
  await page.getByTestId('page-hex-goto').fill(`0x${off.toString(16)}`);
  await page.getByTestId('page-hex-goto').press('Enter');
  await expect(hex.locator(`[data-testid=hex-row][data-offset="${off}"] [data-testid=hex-bytes]`)).toHaveText(hexOf(bytes!.subarray(off, off + 16)));
  await expect(page.getByTestId('page-hex-selection')).toHaveText(`0x${off.toString(16)}–0x${off.toString(16)} · 1 byte`);

  // the stored (compressed) bytes beside it
  expect(compressed).not.toBeNull();
  // the stored-bytes pane shows as many bytes a row as it has room for (data-per-row says how many)
  const perRow = Number(await page.getByTestId('raw-hex').getAttribute('data-per-row'));
  expect([4, 8, 16]).toContain(perRow);
  await expect(page.locator('[data-testid=raw-hex] [data-testid=hex-row][data-offset="0"] [data-testid=hex-bytes]')).toHaveText(hexOf(compressed!.subarray(0, perRow)));
});

test('search a planted string: hits stream in, and a click opens the page at the hit', async ({ page }) => {
  const expected: { segment: number; slot: number; offset: number }[] = [];
  await core.search({ strings: [SECRET] }, { onHit: (h) => expected.push({ segment: h.segment, slot: h.slot, offset: h.offset }) });
  expect(expected.length).toBeGreaterThan(0);

  await openDemo(page);
  await page.getByTestId('nav-search').click();
  await page.getByTestId('search-strings').fill(SECRET);
  await page.getByTestId('search-run').click();
  await expect(page.getByTestId('search-summary')).toContainText('pages');
  await expect(page.getByTestId('hit-count')).toHaveText(fmt(expected.length));

  const first = expected.find((h) => h.segment >= 0)!;
  await page.getByTestId('hit-row').first().click();
  await expect(page.getByTestId('view-slots')).toBeVisible();
  await expect(page.getByTestId('current-segment')).toHaveText(String(first.segment));
  await expect(page.getByTestId('current-slot')).toHaveText(String(first.slot));
  // the hit's bytes are highlighted and read as the secret in the ASCII column
  await expect(page.locator('[data-testid=page-hex] [data-testid=hex-ascii] .hit')).toHaveCount(SECRET.length);
  const text = await page.locator('[data-testid=page-hex] [data-testid=hex-ascii] .hit').allTextContents();
  expect(text.join('')).toBe(SECRET);
  await expect(page.getByTestId('page-hex-selection')).toContainText(`0x${first.offset.toString(16)}–`);
});

test('strings: extract with a minimum and a filter, see the planted strings, open one in the hex view', async ({ page }) => {
  const expected: StringHit[] = [];
  await core.strings(8, { onString: (x) => x.text.toLowerCase().includes('unfold-demo') && expected.push(x) });
  // the demo builder plants the secret in ASCII and in UTF-16LE
  expect(expected.some((x) => x.encoding === 'ascii' && x.text.includes(SECRET))).toBe(true);
  expect(expected.some((x) => x.encoding === 'utf16le' && x.text.includes(`${SECRET}-wide-`))).toBe(true);

  await openDemo(page);
  await page.getByTestId('nav-strings').click();
  await expect(page.getByTestId('strings-min')).toHaveValue(String(STRINGS_LIMITS.defaultMin));
  await page.getByTestId('strings-min').fill('8');
  await page.getByTestId('strings-filter').fill('unfold-DEMO');
  await page.getByTestId('strings-run').click();
  await expect(page.getByTestId('strings-summary')).toContainText('pages');
  await expect(page.getByTestId('strings-count')).toHaveText(fmt(expected.length));
  const rows = page.getByTestId('string-row');
  await expect(rows).toHaveCount(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const x = expected[i]!;
    const row = rows.nth(i);
    await expect(row).toHaveAttribute('data-segment', String(x.segment));
    await expect(row).toHaveAttribute('data-slot', String(x.slot));
    await expect(row).toContainText(`0x${x.offset.toString(16)}`);
    await expect(row).toContainText(x.encoding === 'ascii' ? 'ASCII' : 'UTF-16LE');
    await expect(row.getByTestId('string-text')).toHaveText(x.text.length > 160 ? x.text.slice(0, 160) + '…' : x.text);
  }

  // a UTF-16LE string opens its page with the string's bytes selected
  const wide = expected.findIndex((x) => x.encoding === 'utf16le');
  const w = expected[wide]!;
  await rows.nth(wide).click();
  await expect(page.getByTestId('view-slots')).toBeVisible();
  await expect(page.getByTestId('current-segment')).toHaveText(String(w.segment));
  await expect(page.getByTestId('current-slot')).toHaveText(String(w.slot));
  const end = w.offset + w.text.length * 2 - 1;
  await expect(page.getByTestId('page-hex-selection')).toHaveText(`0x${w.offset.toString(16)}–0x${end.toString(16)} · ${fmt(w.text.length * 2)} bytes`);
  const { page: bytes } = core.page(w.segment, w.slot);
  const rowStart = w.offset - (w.offset % 16);
  await expect(page.locator(`[data-testid=page-hex] [data-testid=hex-row][data-offset="${rowStart}"] [data-testid=hex-bytes]`)).toHaveText(hexOf(bytes!.subarray(rowStart, rowStart + 16)));

  // back to the list: it is still there; an ASCII one opens at its offset too
  await page.getByTestId('nav-strings').click();
  const narrow = expected.findIndex((x) => x.encoding === 'ascii');
  const a = expected[narrow]!;
  await rows.nth(narrow).click();
  await expect(page.getByTestId('current-segment')).toHaveText(String(a.segment));
  await expect(page.getByTestId('current-slot')).toHaveText(String(a.slot));
  await expect(page.getByTestId('page-hex-selection')).toContainText(`0x${a.offset.toString(16)}–0x${(a.offset + a.text.length - 1).toString(16)}`);
});

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

test('save hits: the CSV on disk holds exactly core’s hits, its hash is shown, and nothing is overwritten unasked', async ({ page }) => {
  const expected: string[][] = [];
  await core.search({ strings: [SECRET] }, { onHit: (h) => expected.push(HIT_COLUMNS.map((k) => String(h[k]))) });
  expect(expected.length).toBeGreaterThan(0);

  await openDemo(page);
  await page.getByTestId('nav-search').click();
  await expect(page.getByTestId('save-hits')).toBeDisabled();
  await page.getByTestId('search-strings').fill(SECRET);
  await page.getByTestId('search-run').click();
  await expect(page.getByTestId('search-summary')).toContainText('pages');
  await expect(page.getByTestId('hit-count')).toHaveText(fmt(expected.length));

  const out = path.join(E2E_TMP, `hits-${Date.now()}`, 'hits.csv');
  mkdirSync(path.dirname(out), { recursive: true });
  await page.getByTestId('save-hits').click();
  await page.getByTestId('save-hits-out').fill(out);
  await page.getByTestId('save-hits-run').click();
  await expect(page.getByTestId('save-hits-result')).toBeVisible();

  const raw = readFileSync(out);
  await expect(page.getByTestId('save-hits-path')).toHaveText(out);
  await expect(page.getByTestId('save-hits-sha256')).toHaveText(createHash('sha256').update(raw).digest('hex'));
  await expect(page.getByTestId('save-hits-bytes')).toContainText(`${fmt(raw.length)} bytes`);
  const rows = parseCsv(raw.toString('utf8'));
  expect(rows[0]).toEqual([...HIT_COLUMNS]);
  expect(rows.slice(1)).toEqual(expected);

  // saving again to the same name is refused in words and leaves the file as it was
  await page.getByTestId('save-hits-run').click();
  await expect(page.getByTestId('error-title')).toHaveText('A file of that name already exists');
  expect(readFileSync(out).equals(raw)).toBe(true);

  // as JSON beside it: the same rows, by key
  const json = out.replace(/\.csv$/, '.json');
  await page.getByTestId('save-hits-out').fill(json);
  await page.getByTestId('save-hits-run').click();
  await expect(page.getByTestId('save-hits-path')).toHaveText(json);
  const doc = JSON.parse(readFileSync(json, 'utf8')) as { hits: Record<string, unknown>[] };
  expect(doc.hits.map((h) => HIT_COLUMNS.map((k) => String(h[k])))).toEqual(expected);

  // with "replace" ticked the CSV may be overwritten
  await page.getByTestId('save-hits-out').fill(out);
  await page.getByTestId('save-hits-overwrite').check();
  await page.getByTestId('save-hits-run').click();
  await expect(page.getByTestId('save-hits-sha256')).toHaveText(createHash('sha256').update(raw).digest('hex'));
});

test('export: the summary’s manifest hash is the SHA-256 of manifest.json on disk', async ({ page }) => {
  const out = path.join(E2E_TMP, `export-${Date.now()}`);
  await openDemo(page);
  await page.getByTestId('nav-export').click();
  await page.getByTestId('layout-slots').check();
  await page.getByTestId('export-out').fill(out);
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-summary')).toBeVisible({ timeout: 90_000 });

  const manifestPath = path.join(out, 'manifest.json');
  expect(existsSync(manifestPath)).toBe(true);
  const raw = readFileSync(manifestPath);
  const sha = createHash('sha256').update(raw).digest('hex');
  await expect(page.getByTestId('manifest-sha256')).toHaveText(sha);
  const manifest = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  const decoded = core.segments().reduce((n, s) => n + core.slots(s.index, { hashes: true }).filter((r) => r.sha256).length, 0);
  await expect(page.getByTestId('export-exported')).toHaveText(fmt(decoded));
  expect(JSON.stringify(manifest)).toContain(createHash('sha256').update(readFileSync(demo.imagePath)).digest('hex'));

  // one exported page, byte for byte
  const rec = decodedSlot();
  const file = path.join(out, `segment${rec.segment}`, `slot${rec.slot}.dmp`);
  expect(statSync(file).size).toBe(core.info.compressor.pageSize);
  expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(rec.sha256);

  // a second export to the same folder is refused, in words, and touches nothing
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('error')).toBeVisible();
  await expect(page.getByTestId('error-title')).toHaveText('The export folder already holds files');
  expect(createHash('sha256').update(readFileSync(manifestPath)).digest('hex')).toBe(sha);
});

test('a truncated image gives a clear error, and the open case stays open', async ({ page }) => {
  const cut = path.join(E2E_TMP, 'truncated', path.basename(demo.imagePath));
  rmSync(path.dirname(cut), { recursive: true, force: true });
  mkdirSync(path.dirname(cut), { recursive: true });
  copyFileSync(demo.imagePath, cut);
  truncateSync(cut, Math.floor(statSync(demo.imagePath).size / 2));
  let code = 'opened';
  try {
    const c = await openCase(cut, { symbols: demo.symbolsPath, threads: 0 });
    await c.close();
  } catch (e) {
    code = (e as { code: string }).code;
  }
  expect(code).not.toBe('opened');

  await openDemo(page);
  await page.getByTestId('case-title').waitFor();
  await page.getByRole('button', { name: 'Open…' }).click();
  await page.getByTestId('image-path').fill(cut);
  await page.getByTestId('symbols-path').fill(demo.symbolsPath);
  await page.getByTestId('open-button').click();
  const err = page.getByTestId('error');
  await expect(err).toBeVisible({ timeout: 60_000 });
  await expect(err).toHaveAttribute('data-code', code);
  // whatever failed first (no kernel, symbols that no longer fit), the person is told the file is cut short
  await expect(page.getByTestId('error-title')).toHaveText('The image file is cut short');
  await expect(err).toContainText(`The file ends after`);
  await expect(err).toContainText('the case that was open before is still open');
  await expect(page.getByTestId('case-title')).toContainText(path.basename(demo.imagePath));
});
