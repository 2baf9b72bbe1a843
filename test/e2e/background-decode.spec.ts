// The background pass the app runs after the overview appears (decode 'background'): its progress panel
// shows the pages done of the exact number core will decode, with elapsed time and, when the sender has
// one, an estimate of the time left; it goes away when the pass is done, and the overview's counts are
// then core's own for the same image (computed in this test process by a full walk).
//
// Deterministic without any timing: an init script sits between the page and its event stream and holds
// back every event of the background pass. The test lets the pass finish in core, checks that the app has
// shown nothing of it yet, then hands the app the pass's own progress events one step at a time, and only
// then its end. The app sees a pass as slow as the test wants, whatever the host's speed.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildScaleImage, saveSynthImage } from '../../core/synth/scenarios';
import { openCase } from '../../core/case';
import { slotStats } from '../../core/darwin/histogram';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';
import { gateLog, installDecodeGate, release, type DecodeEvent } from './decode-gate';

const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);


let image: string;
let isf: string;
/** what core's own full walk of the image says */
let want: { liveSlots: number; segments: number; kinds: Record<string, number>; decodedPages: number; toDecode: number };

test.beforeAll(async () => {
  const dir = path.join(E2E_TMP, 'background');
  mkdirSync(dir, { recursive: true });
  // some 180 segments: the pass reports progress many times before it ends
  const built = buildScaleImage({ pages: 20_000, seed: 7 });
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(built.image, dir, 'scale'));
  const core = await openCase(image, { symbols: isf, threads: 0 });
  try {
    const segs = core.segments();
    const liveSlots = segs.reduce((n, s) => n + s.liveSlots, 0);
    const stats = slotStats(core.allSlots(), core.info.compressor.pageSize);
    want = {
      liveSlots,
      segments: segs.length,
      kinds: { ...core.info.compressor.slots } as Record<string, number>,
      decodedPages: stats.decodedPages,
      // every segment is resident: the pass decodes every live slot
      toDecode: liveSlots,
    };
  } finally {
    await core.close();
  }
  expect(want.liveSlots).toBe(20_000);
  expect(want.decodedPages).toBe(20_000);
  expect(want.segments).toBeGreaterThan(100);
});

test('the background pass: progress of the exact page count, with time; then done, and the overview is core’s', async ({ page }) => {
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.addInitScript(installDecodeGate);
  await page.goto(E2E_URL);
  await page.getByTestId('image-path').fill(image);
  await page.getByTestId('symbols-path').fill(isf);
  await page.getByTestId('open-button').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });

  // the pass ends in core; the app has been told nothing of it yet
  await page.waitForFunction(() => (window as unknown as { __decodeGate: { log: Array<{ type: string }> } }).__decodeGate.log.some((e) => e.type === 'done'), null, { timeout: 120_000 });
  const panel = page.getByTestId('background-decode');
  await expect(panel).toHaveCount(0);
  const log = await gateLog(page);
  const progress = log.filter((e) => e.type === 'progress');
  expect(log.at(-1)!.type).toBe('done');
  expect(log.filter((e) => e.type !== 'progress')).toHaveLength(1);
  // at least one: the pass reports its first segment at once (later reports are throttled to 4 a second,
  // so a fast host may send no other before the end)
  expect(progress.length).toBeGreaterThan(0);
  // every report counts pages of the same total, core's live slots, and never goes back
  for (const [i, e] of progress.entries()) {
    expect(e.phase).toBe('background');
    expect(e.total).toBe(want.toDecode);
    expect(e.done!).toBeLessThanOrEqual(want.toDecode);
    if (i > 0) expect(e.done!).toBeGreaterThanOrEqual(progress[i - 1]!.done!);
  }
  // the first report comes while the pass runs: not every page is done
  expect(progress[0]!.done!).toBeLessThan(want.toDecode);

  // the pass as the app sees it, one report at a time
  const shows = async (e: DecodeEvent) => {
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('progress-count')).toHaveText(`${fmt(e.done!)} / ${fmt(want.toDecode)} pages`);
    const time = panel.getByTestId('progress-time');
    await expect(time).toContainText('elapsed');
    // the estimate is shown exactly when the pass gave one
    if (e.etaSeconds === null || e.etaSeconds === undefined) await expect(time).not.toContainText('left');
    else await expect(time).toContainText(/about .+ left/);
  };
  expect(await release(page, 1)).toBe(1);
  await shows(progress[0]!);
  // then each later report in turn, as the app would have got them
  for (const e of progress.slice(1)) {
    expect(await release(page, 1)).toBe(1);
    await shows(e);
  }
  await expect(panel).toContainText('Decompressing pages');

  // the end: the panel goes, and the overview holds what core's full walk found
  expect(await release(page, 1)).toBe(1);
  await expect(panel).toHaveCount(0);
  await expect(page.getByTestId('tile-slots').locator('.tv')).toHaveText(fmt(want.liveSlots));
  await expect(page.getByTestId('tile-segments').locator('.tv')).toHaveText(fmt(want.segments));
  const kinds = Object.entries(want.kinds).filter(([, n]) => n > 0);
  expect(kinds.length).toBeGreaterThan(1);
  for (const [kind, n] of kinds) await expect(page.getByTestId(`kind-${kind}`).getByTestId('count')).toHaveText(fmt(n));
  await expect(page.locator('tr', { hasText: 'Pages decoded' })).toContainText(`${fmt(want.decodedPages)} of ${fmt(want.liveSlots)}`);
});

test('an export whose folder would go in a folder that does not exist: refused, and nothing is said to be removed', async ({ page }) => {
  await page.goto(E2E_URL);
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
  await page.getByTestId('nav-export').click();
  const parent = path.join(E2E_TMP, 'no-such-folder');
  await page.getByTestId('export-out').fill(path.join(parent, 'out'));
  await page.getByTestId('export-run').click();
  const err = page.getByTestId('error');
  await expect(err.getByTestId('error-title')).toHaveText('The export folder cannot be made there');
  await expect(err.getByTestId('error-what')).toHaveText(`The folder ${parent} does not exist, so the export folder cannot be made in it.`);
  await expect(err.getByTestId('error-recovered')).toHaveText('Nothing was written.');
});
