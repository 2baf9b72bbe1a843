// Swap files added to an open case in browser mode: the case reopens with them, the swapped-out view
// names each file with its SHA-256 and what was read from it, and a page that only exists in a swap
// file shows with its true hash (from the builder's inputs) and where it came from.
import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { saveSynthImage } from '../../core/synth/scenarios';
import { buildSwapScenario, writeSwapFiles, type SwapScenario } from '../../core/synth/swap';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';

let s: SwapScenario;
let image: string;
let isf: string;
let vm: string;

test.beforeAll(async () => {
  s = buildSwapScenario('swap-10.14');
  const dir = path.join(E2E_TMP, 'swap');
  vm = path.join(dir, 'vm');
  mkdirSync(vm, { recursive: true });
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(s.image, dir, 'swap-image'));
  await writeSwapFiles(s.files, s.fileBytes, vm);
});

test('add swap files to an open case: swapped-out pages decode with their true hashes', async ({ page }) => {
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.goto(E2E_URL);
  await page.getByTestId('image-path').fill(image);
  await page.getByTestId('symbols-path').fill(isf);
  await page.getByTestId('open-button').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });

  await page.getByTestId('nav-swapped').click();
  await expect(page.getByTestId('swapped-row')).toHaveCount(6);
  await expect(page.getByTestId('swapped-decoded')).toHaveCount(1); // only the buffer decrypted in RAM
  await page.getByTestId('swap-paths').fill(vm);
  await page.getByTestId('swap-add').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });

  await page.getByTestId('nav-swapped').click();
  const rows = page.getByTestId('swap-file-row');
  await expect(rows).toHaveCount(2);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  await expect(rows.nth(0)).toContainText(path.join(vm, 'swapfile0'));
  await expect(rows.nth(0)).toContainText(sha(s.fileBytes.get(1)!));
  await expect(rows.nth(1)).toContainText(sha(s.fileBytes.get(2)!));
  // segments 1, 2 and 4 read from swap, 6 decrypted in RAM; 3 (unverifiable) and 5 (file not given) stay
  await expect(page.getByTestId('swapped-decoded')).toHaveCount(4);
  await expect(page.getByTestId('swap-problems')).toContainText('swap file /private/var/vm/swapfile2 (index 3) was not given');

  const t = s.truth.byName['swap-heap']!;
  await page.getByTestId('nav-segments').click();
  await page.getByTestId('segment-filter').fill(String(t.segment));
  await page.locator(`[data-testid=segment-row][data-segment="${t.segment}"]`).click();
  await expect(page.getByTestId('current-segment')).toHaveText(String(t.segment));
  await page.locator(`[data-testid=slot-row][data-slot="${t.slot}"]`).click();
  await expect(page.getByTestId('current-slot')).toHaveText(String(t.slot));
  await expect(page.locator('.page-head .sha')).toContainText(t.sealedSha256!);
  await expect(page.getByTestId('page-source')).toHaveText(`from ${path.join(vm, 'swapfile0')} @ 0x${s.truth.segments.find((x) => x.index === t.segment)!.swap!.offset.toString(16)}`);
});
