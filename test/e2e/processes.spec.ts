// Processes in the app, clicked through in Chromium against browser mode and checked against what
// core's façade computes for the same demo image in this test process: the process list, a region's
// page states, a search hit's owner and its bytes in the process's address space, a slot's owners, and
// a process dump whose manifest hash on disk is what the UI shows. With UNFOLD_SCREENSHOTS=1 it also
// takes the README's pictures of the new views at 1440×900 and 1024×768.
import { test, expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import type { SearchHit } from '../../core/api';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';

const SECRET = 'UNFOLD-DEMO-SECRET';
const SAFARI = 412;
const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);
const STATES = ['resident', 'compressed', 'single', 'swapped', 'absent'] as const;

let core: Case;

test.beforeAll(async () => {
  const demo = await ensureDemoCase();
  core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
});
test.afterAll(async () => {
  await core?.close();
});

async function openDemo(page: Page): Promise<void> {
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.goto(E2E_URL);
  await expect(page.getByTestId('open-form')).toBeVisible();
  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
}

test('the processes list equals core’s, sorted and filtered', async ({ page }) => {
  const procs = core.processes();
  expect(procs.length).toBeGreaterThan(1);
  await openDemo(page);
  await page.getByTestId('nav-processes').click();
  await expect(page.getByTestId('process-row')).toHaveCount(procs.length);
  await expect(page.getByTestId('process-count')).toHaveText(`${fmt(procs.length)} of ${fmt(procs.length)} processes`);
  for (const p of procs) {
    const row = page.locator(`[data-testid=process-row][data-pid="${p.pid}"]`);
    await expect(row.getByTestId('ppid')).toHaveText(String(p.ppid));
    await expect(row.getByTestId('name')).toContainText(p.name);
    await expect(row.getByTestId('regions')).toHaveText(fmt(p.regions));
    for (const s of STATES) await expect(row.getByTestId(`pages-${s}`)).toHaveText(fmt(p.pages[s]));
    const total = STATES.reduce((n, s) => n + p.pages[s], 0);
    const share = total === 0 ? 0 : (p.pages.compressed + p.pages.single) / total;
    await expect(row.getByTestId('share')).toHaveText(`${(share * 100).toFixed(1)} %`);
  }
  // default order: most compressed pages first
  const byCompressed = [...procs].sort((a, b) => b.pages.compressed - a.pages.compressed || a.pid - b.pid).map((p) => String(p.pid));
  await expect(page.locator('[data-testid=process-row] [data-testid=pid]')).toHaveText(byCompressed);
  await page.getByTestId('sort-pid').click();
  await expect(page.locator('[data-testid=process-row] [data-testid=pid]')).toHaveText([...procs].sort((a, b) => a.pid - b.pid).map((p) => String(p.pid)));
  await page.getByTestId('process-filter').fill('safari');
  await expect(page.getByTestId('process-row')).toHaveCount(procs.filter((p) => p.name.toLowerCase().includes('safari')).length);
  await expect(page.locator(`[data-testid=process-row][data-pid="${SAFARI}"]`)).toBeVisible();

  // the overview's pages by owner: the top process and the unowned count are core's
  await page.getByTestId('nav-overview').click();
  const top = [...procs].filter((p) => p.pages.compressed + p.pages.single > 0).sort((a, b) => b.pages.compressed + b.pages.single - (a.pages.compressed + a.pages.single) || a.pid - b.pid);
  await expect(page.getByTestId('owner-row')).toHaveCount(Math.min(8, top.length));
  await expect(page.getByTestId('owner-row').first()).toHaveAttribute('data-pid', String(top[0]!.pid));
  await expect(page.getByTestId('owner-row').first().getByTestId('owner-compressed')).toHaveText(fmt(top[0]!.pages.compressed));
  await expect(page.getByTestId('unowned-slots')).toHaveText(fmt(core.info.processes!.unownedSlots!));
});

test('a region’s page states equal core’s; a page opens at its virtual address with its source', async ({ page }) => {
  const regions = core.maps(SAFARI);
  const region = regions.find((r) => r.pages.compressed > 0 && r.pages.resident + r.pages.absent + r.pages.single > 0) ?? regions.find((r) => r.pages.compressed > 0)!;
  const want = core.regionPages(SAFARI, BigInt(region.start)).pages;
  await openDemo(page);
  await page.getByTestId('nav-processes').click();
  await page.locator(`[data-testid=process-row][data-pid="${SAFARI}"]`).dblclick();
  await expect(page.getByTestId('view-memory')).toBeVisible();
  await expect(page.getByTestId('memory-pid')).toHaveText(String(SAFARI));
  await expect(page.getByTestId('region-row')).toHaveCount(regions.length);
  // each region's bar carries core's counts
  const bar = page.locator(`[data-testid=region-row][data-start="${region.start}"] [data-testid=state-bar] [data-state]`);
  const shown = Object.fromEntries(await Promise.all((await bar.all()).map(async (s) => [await s.getAttribute('data-state'), Number(await s.getAttribute('data-count'))])));
  expect(shown).toEqual(Object.fromEntries(STATES.filter((s) => region.pages[s] > 0).map((s) => [s, region.pages[s]])));

  await page.locator(`[data-testid=region-row][data-start="${region.start}"]`).click();
  await expect(page.getByTestId('region-page')).toHaveCount(want.length);
  const states = await page.getByTestId('region-page').evaluateAll((els) => els.map((e) => [e.getAttribute('data-va'), e.getAttribute('data-state')]));
  expect(states).toEqual(want.map((p) => [p.va, p.state]));

  // a compressed page: the hex view shows its bytes (core's, decompressed) under a line naming its slot
  const comp = want.find((p) => p.state === 'compressed')!;
  await page.locator(`[data-testid=region-page][data-va="${comp.va}"]`).click();
  const line = page.locator(`[data-testid=vhex-page][data-va="${comp.va}"]`);
  await expect(line).toHaveAttribute('data-state', 'compressed');
  await expect(line.getByTestId('vhex-source')).toHaveText(`compressed · segment ${comp.segment} slot ${comp.slot}`);
  const bytes = core.readVirtual(SAFARI, BigInt(comp.va), 16).bytes;
  const first = page.locator(`[data-testid=vhex-row][data-va="${comp.va}"] [data-testid=vhex-bytes] .b`);
  await expect(first).toHaveText(Buffer.from(bytes).toString('hex').match(/../g)!);
  // an absent page in the window shows as absent, not as zeros
  const absent = want.find((p) => p.state === 'absent');
  if (absent) {
    await page.locator(`[data-testid=region-page][data-va="${absent.va}"]`).click();
    const cells = page.locator(`[data-testid=vhex-row][data-va="${absent.va}"] [data-testid=vhex-bytes] .b`);
    await expect(cells).toHaveText(Array(16).fill('··'));
  }
  // the slot link opens that slot
  await line.getByTestId('vhex-slot-link').click();
  await expect(page.getByTestId('view-slots')).toBeVisible();
  await expect(page.getByTestId('current-segment')).toHaveText(String(comp.segment));
  await expect(page.getByTestId('current-slot')).toHaveText(String(comp.slot));
  // and the slot's details name its owners, core's
  const owners = core.slotOwners(comp.segment!, comp.slot!);
  expect(owners.length).toBeGreaterThan(0);
  await expect(page.getByTestId('page-owner')).toHaveText(owners.map((o) => `${o.pid} ${core.processes().find((p) => p.pid === o.pid)!.name} @ ${o.va}`));
});

test('a search hit shows its owner; the jump to its virtual address shows the planted bytes', async ({ page }) => {
  const hits: SearchHit[] = [];
  await core.search({ strings: [SECRET] }, { onHit: (h) => hits.push(h) });
  const first = hits.find((h) => h.segment >= 0)!;
  const owner = first.owners![0]!;
  expect(owner.pid).toBe(SAFARI);
  const va = BigInt(owner.va) + BigInt(first.offset);
  expect(Buffer.from(core.readVirtual(SAFARI, va, SECRET.length).bytes).toString('latin1')).toBe(SECRET);

  await openDemo(page);
  await page.getByTestId('nav-search').click();
  await page.getByTestId('search-strings').fill(SECRET);
  await page.getByTestId('search-run').click();
  await expect(page.getByTestId('search-summary')).toContainText('pages');
  await expect(page.getByTestId('hit-count')).toHaveText(fmt(hits.length));
  const row = page.getByTestId('hit-row').first();
  await expect(row.getByTestId('hit-owner')).toHaveText(first.owners!.map((o) => `${o.pid} ${core.processes().find((p) => p.pid === o.pid)!.name}`).join(', '));
  await row.getByTestId('hit-in-process').click();
  await expect(page.getByTestId('view-memory')).toBeVisible();
  await expect(page.getByTestId('memory-pid')).toHaveText(String(SAFARI));
  const lit = page.locator('[data-testid=vhex-ascii] .hit');
  await expect(lit).toHaveCount(SECRET.length);
  expect((await lit.allTextContents()).join('')).toBe(SECRET);
  const litHex = await page.locator('[data-testid=vhex-bytes] .hit').allTextContents();
  expect(litHex.join('')).toBe(Buffer.from(SECRET).toString('hex'));
  // the hit's row starts at the hit's address rounded down to 16
  const rowVa = '0x' + (va - (va % 16n)).toString(16);
  await expect(page.locator(`[data-testid=vhex-row][data-va="${rowVa}"] [data-testid=vhex-ascii] .hit`).first()).toBeVisible();
  // the map shows the region the address lies in
  const region = core.maps(SAFARI).find((r) => BigInt(r.start) <= va && va < BigInt(r.end))!;
  await expect(page.locator(`[data-testid=region-row][data-start="${region.start}"]`)).toHaveClass(/active/);

  // one address space across page boundaries: the window holds the pages around the hit, and moves by pages
  const ps = BigInt(core.processes().find((p) => p.pid === SAFARI)!.pageSize);
  const from = va - (va % ps) - 4n * ps;
  const to = from + 8n * ps;
  await expect(page.getByTestId('vhex-range')).toHaveText(`pid ${SAFARI} · 0x${from.toString(16)} – 0x${to.toString(16)}`);
  await page.getByTestId('vhex-later').click();
  const later = from + 4n * ps;
  await expect(page.getByTestId('vhex-range')).toHaveText(`pid ${SAFARI} · 0x${later.toString(16)} – 0x${(later + 8n * ps).toString(16)}`);
  // every page line the view shows states what core says of that page, and its first row shows core's bytes (or absent)
  const lines = page.getByTestId('vhex-page');
  await expect(lines.first()).toBeVisible();
  for (const l of await lines.all()) {
    const lva = BigInt((await l.getAttribute('data-va'))!);
    const r = core.readVirtual(SAFARI, lva, 16);
    expect(await l.getAttribute('data-state')).toBe(r.pages[0]!.state);
    const cells = await page.locator(`[data-testid=vhex-row][data-va="0x${lva.toString(16)}"] [data-testid=vhex-bytes] .b`).allTextContents();
    if (cells.length === 0) continue; // the page's line is in view but its rows are not
    expect(cells.join(' ')).toBe(r.missing.length ? Array(16).fill('··').join(' ') : Buffer.from(r.bytes).toString('hex').match(/../g)!.join(' '));
  }
});

test('a string shows its owners and opens in its process at its bytes', async ({ page }) => {
  const want: { segment: number; slot: number; offset: number; text: string }[] = [];
  await core.strings(8, { filter: SECRET, ascii: true, utf16: false, onString: (x) => want.push(x) });
  expect(want.length).toBeGreaterThan(0);
  await openDemo(page);
  await page.getByTestId('nav-strings').click();
  await page.getByTestId('strings-min').fill('8');
  await page.getByTestId('strings-utf16').uncheck();
  await page.getByTestId('strings-filter').fill(SECRET);
  await page.getByTestId('strings-run').click();
  await expect(page.getByTestId('strings-count')).toHaveText(fmt(want.length));
  const names = new Map(core.processes().map((p) => [p.pid, p.name]));
  await expect(page.getByTestId('string-owner')).toHaveText(want.map((w) => core.slotOwners(w.segment, w.slot).map((o) => `${o.pid} ${names.get(o.pid)}`).join(', ') || '—'));
  const i = want.findIndex((w) => core.slotOwners(w.segment, w.slot).length > 0);
  expect(i).toBeGreaterThanOrEqual(0);
  await page.getByTestId('string-row').nth(i).getByTestId('string-in-process').click();
  await expect(page.getByTestId('view-memory')).toBeVisible();
  // the window arrives after the view shows: wait for its highlight before reading it
  await expect(page.locator('[data-testid=vhex-ascii] .hit')).toHaveCount(want[i]!.text.length);
  expect((await page.locator('[data-testid=vhex-ascii] .hit').allTextContents()).join('')).toBe(want[i]!.text);
});

test('dumping a process: the manifest’s SHA-256 on disk is what the UI shows', async ({ page }) => {
  const out = path.join(E2E_TMP, `procdump-${Date.now()}`);
  await openDemo(page);
  await page.getByTestId('nav-processes').click();
  await page.locator(`[data-testid=process-row][data-pid="${SAFARI}"]`).click();
  await page.getByTestId('procdump-out').fill(out);
  await page.getByTestId('procdump-run').click();
  await expect(page.getByTestId('procdump-result')).toBeVisible({ timeout: 60_000 });
  const shown = (await page.getByTestId('procdump-sha256').textContent())!.trim();
  expect(shown).toMatch(/^[0-9a-f]{64}$/);
  const manifest = readFileSync(path.join(out, 'manifest.json'));
  expect(createHash('sha256').update(manifest).digest('hex')).toBe(shown);
  const m = JSON.parse(manifest.toString('utf8')) as { process: { pid: number; name: string }; files: { path: string; sha256: string; bytes: number }[] };
  expect(m.process.pid).toBe(SAFARI);
  expect(m.files.map((f) => f.path).sort()).toEqual(core.maps(SAFARI).map((r) => `pid.${SAFARI}.vma.${r.start}-${r.end}.dmp`).sort());
  for (const f of m.files) expect(createHash('sha256').update(readFileSync(path.join(out, f.path))).digest('hex')).toBe(f.sha256);
  expect(readdirSync(out).sort()).toEqual([...m.files.map((f) => f.path), 'manifest.json'].sort());
  // the same folder again is refused, and the dump on disk is left as it was
  await page.getByTestId('procdump-run').click();
  await expect(page.getByTestId('procdump-form').locator('xpath=..').getByText(/exists|already/i).first()).toBeVisible();
  expect(createHash('sha256').update(readFileSync(path.join(out, 'manifest.json'))).digest('hex')).toBe(shown);
});

test('screenshots of the process views at 1440×900 and 1024×768', async ({ page }) => {
  test.skip(process.env.UNFOLD_SCREENSHOTS !== '1', 'set UNFOLD_SCREENSHOTS=1 to refresh docs/screenshots');
  const dir = path.resolve('docs/screenshots');
  mkdirSync(dir, { recursive: true });
  const hits: SearchHit[] = [];
  await core.search({ strings: [SECRET] }, { onHit: (h) => hits.push(h) });
  await openDemo(page);
  for (const [w, h] of [
    [1440, 900],
    [1024, 768],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    const suffix = w === 1440 ? '' : `-${w}`;
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('pages-by-owner').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(dir, `overview-owners${suffix}.png`) });
    await page.getByTestId('nav-processes').click();
    await page.locator(`[data-testid=process-row][data-pid="${SAFARI}"]`).click();
    await page.getByTestId('procdump-out').fill(path.join(E2E_TMP, `shot-dump-${w}`));
    await page.getByTestId('procdump-run').click();
    await expect(page.getByTestId('procdump-result')).toBeVisible({ timeout: 60_000 });
    await page.screenshot({ path: path.join(dir, `processes${suffix}.png`) });
    await page.getByTestId('nav-search').click();
    await page.getByTestId('search-strings').fill(SECRET);
    await page.getByTestId('search-run').click();
    await expect(page.getByTestId('hit-count')).toHaveText(fmt(hits.length));
    await page.getByTestId('hit-in-process').first().click();
    await expect(page.getByTestId('view-memory')).toBeVisible();
    await expect(page.getByTestId('region-page').first()).toBeVisible();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(dir, `process-memory${suffix}.png`) });
    expect(existsSync(path.join(dir, `process-memory${suffix}.png`))).toBe(true);
    // the slot under the hit, with its owners
    await page.getByTestId('nav-search').click();
    await page.getByTestId('hit-row').first().click();
    await expect(page.getByTestId('view-slots')).toBeVisible();
    await expect(page.getByTestId('page-owner').first()).toBeVisible();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(dir, `slot-owners${suffix}.png`) });
  }
});
