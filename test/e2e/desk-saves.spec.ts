// The desk's saves and lists (issue 14 leftovers), clicked through in Chromium against browser mode:
// the Strings view's narrowed list saved to a file that holds exactly the listed strings.
import { test, expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import { STRINGS_LIMITS, type StringHit } from '../../core/api';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';

const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);

let demo: { imagePath: string; symbolsPath: string };
let core: Case;

test.beforeAll(async () => {
  demo = await ensureDemoCase();
  core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
});
test.afterAll(async () => {
  await core?.close();
});

async function openDemo(page: Page): Promise<void> {
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.goto(E2E_URL);
  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
}

/** RFC 4180 as the app writes it: quoted fields, doubled quotes, CRLF rows */
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

const key = (s: { segment: number; slot: number; offset: number; encoding: string }) => `${s.segment}/${s.slot}/${s.offset}/${s.encoding}`;
const byPlace = (a: string[], b: string[]) => (a.join('\0') < b.join('\0') ? -1 : 1);

test('strings: the narrowed list is saved as CSV and JSON holding exactly the listed strings, with the hash the view shows', async ({ page }) => {
  const all: StringHit[] = [];
  await core.strings(STRINGS_LIMITS.defaultMin, { ascii: true, utf16: true, onString: (s) => all.push(s) });
  expect(all.length).toBeGreaterThan(2);
  // a filter that keeps some strings and drops others, typed in the other case to show the match ignores case
  let filter = '';
  let expected: StringHit[] = [];
  for (const s of all) {
    const f = s.text.slice(0, 4);
    const kept = all.filter((x) => x.text.toLowerCase().includes(f.toLowerCase()));
    if (f.length === 4 && /[a-z]/i.test(f) && kept.length < all.length) {
      filter = f === f.toUpperCase() ? f.toLowerCase() : f.toUpperCase();
      expected = kept;
      break;
    }
  }
  expect(filter).not.toBe('');
  expect(expected.length).toBeGreaterThan(0);

  await openDemo(page);
  await page.getByTestId('nav-strings').click();
  await expect(page.getByTestId('save-strings')).toBeDisabled();
  await page.getByTestId('strings-run').click();
  await expect(page.getByTestId('strings-summary')).toContainText('pages', { timeout: 90_000 });
  await expect(page.getByTestId('strings-count')).toHaveText(fmt(all.length));
  await page.getByTestId('strings-filter').fill(filter);
  await expect(page.getByTestId('strings-count')).toHaveText(fmt(expected.length));
  await expect(page.getByTestId('strings-total')).toHaveText(fmt(all.length));

  const out = path.join(E2E_TMP, `strings-${Date.now()}`, 'strings.csv');
  mkdirSync(path.dirname(out), { recursive: true });
  await page.getByTestId('save-strings').click();
  await page.getByTestId('save-strings-out').fill(out);
  await page.getByTestId('save-strings-run').click();
  await expect(page.getByTestId('save-strings-result')).toBeVisible();
  const raw = readFileSync(out);
  await expect(page.getByTestId('save-strings-path')).toHaveText(out);
  await expect(page.getByTestId('save-strings-sha256')).toHaveText(createHash('sha256').update(raw).digest('hex'));
  await expect(page.getByTestId('save-strings-bytes')).toContainText(`${fmt(raw.length)} bytes`);
  await expect(page.getByTestId('save-strings-bytes')).toContainText(`${fmt(expected.length)} strings`);
  const rows = parseCsv(raw.toString('utf8'));
  expect(rows[0]).toEqual(['segment', 'slot', 'offset', 'encoding', 'text']);
  // a cell that a spreadsheet would run as a formula carries a leading apostrophe
  const cell = (t: string) => (/^[=+\-@\t\r]/.test(t) ? `'${t}` : t);
  const want = expected.map((s) => [String(s.segment), String(s.slot), String(s.offset), s.encoding, cell(s.text)]);
  expect(rows.slice(1).sort(byPlace)).toEqual(want.sort(byPlace));

  // the same name again is refused and the file stays as it was
  await page.getByTestId('save-strings-run').click();
  await expect(page.getByTestId('error-title')).toHaveText('A file of that name already exists');
  expect(readFileSync(out).equals(raw)).toBe(true);

  // as JSON: the same strings, texts as they are, with the filter that narrowed them
  const json = out.replace(/\.csv$/, '.json');
  await page.getByTestId('save-strings-out').fill(json);
  await page.getByTestId('save-strings-run').click();
  await expect(page.getByTestId('save-strings-path')).toHaveText(json);
  const jraw = readFileSync(json);
  await expect(page.getByTestId('save-strings-sha256')).toHaveText(createHash('sha256').update(jraw).digest('hex'));
  const doc = JSON.parse(jraw.toString('utf8')) as { filter: string; strings: (StringHit & { owners: unknown[] })[] };
  expect(doc.filter).toBe(filter);
  const got = new Map(doc.strings.map((s) => [key(s), s.text]));
  expect(got.size).toBe(expected.length);
  for (const s of expected) expect(got.get(key(s))).toBe(s.text);
});

test('single values: each entry lists the processes that map its pages, as core finds them', async ({ page }) => {
  const table = core.info.compressor.singleValue;
  expect(table.length).toBeGreaterThan(0);
  const owned = table.filter((e) => core.svOwners(e.index).length > 0);
  expect(owned.length).toBeGreaterThan(0);
  const names = new Map(core.processes().map((p) => [p.pid, p.name]));

  await openDemo(page);
  await page.getByTestId('nav-single').click();
  for (const e of table) {
    const want = core.svOwners(e.index);
    const row = page.locator(`[data-testid=sv-row][data-entry="${e.index}"]`);
    if (want.length === 0) {
      await expect(row.getByTestId('sv-owner-none')).toHaveText('no process maps these pages');
      continue;
    }
    const shown = want.slice(0, 3);
    await expect(row.getByTestId('sv-owner')).toHaveText(shown.map((o) => `${o.pid} ${names.get(o.pid)} @ ${o.va}`));
    if (want.length > 3) {
      await expect(row.getByTestId('sv-owner-more')).toHaveText(`and ${want.length - 3} more`);
      await expect(row.getByTestId('sv-owner-more')).toHaveAttribute('title', want.map((o) => `${o.pid} ${names.get(o.pid)} @ ${o.va}`).join('\n'));
    } else {
      await expect(row.getByTestId('sv-owner-more')).toHaveCount(0);
    }
  }
});

test('export: the pages of the current search hits, exactly those pages, and the manifest names the selection', async ({ page }) => {
  const SECRET = 'UNFOLD-DEMO-SECRET';
  const hits: { segment: number; slot: number }[] = [];
  await core.search({ strings: [SECRET] }, { onHit: (h) => hits.push({ segment: h.segment, slot: h.slot }) });
  const want = [...new Map(hits.filter((h) => h.segment >= 0).map((h) => [`${h.segment}:${h.slot}`, h])).values()].sort((a, b) => a.segment - b.segment || a.slot - b.slot);
  expect(want.length).toBeGreaterThan(0);

  await openDemo(page);
  await page.getByTestId('nav-export').click();
  await expect(page.getByTestId('scope-hits')).toBeDisabled();
  await expect(page.getByTestId('scope-slot')).toBeDisabled();
  await page.getByTestId('nav-search').click();
  await page.getByTestId('search-strings').fill(SECRET);
  await page.getByTestId('search-run').click();
  await expect(page.getByTestId('hit-count')).toHaveText(fmt(hits.length));
  await page.getByTestId('nav-export').click();
  await page.getByTestId('scope-hits').check();
  await expect(page.getByTestId('scope-hits-label')).toContainText(`${fmt(want.length)} page`);
  await page.getByTestId('layout-slots').check();
  const out = path.join(E2E_TMP, `export-hits-${Date.now()}`);
  await page.getByTestId('export-out').fill(out);
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-summary')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('export-exported')).toHaveText(fmt(want.length));

  const raw = readFileSync(path.join(out, 'manifest.json'));
  await expect(page.getByTestId('manifest-sha256')).toHaveText(createHash('sha256').update(raw).digest('hex'));
  const m = JSON.parse(raw.toString('utf8')) as { selection: { label: string; slots: unknown[] }; files: { path: string; sha256: string }[] };
  expect(m.selection).toEqual({ label: `pages of the ${hits.length} hits of the last search`, slots: want });
  const dumps = m.files.filter((f) => f.path.endsWith('.dmp'));
  expect(dumps.map((f) => f.path)).toEqual(want.map((w) => `segment${w.segment}/slot${w.slot}.dmp`));
  for (const w of want) {
    const bytes = readFileSync(path.join(out, `segment${w.segment}`, `slot${w.slot}.dmp`));
    expect(Buffer.from(core.page(w.segment, w.slot).page!).equals(bytes)).toBe(true);
  }
  const segs = [...new Set(want.map((w) => `segment${w.segment}`))].sort();
  expect(readdirSync(out).filter((f) => f.startsWith('segment')).sort()).toEqual(segs);
});
