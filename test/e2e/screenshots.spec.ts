// Pictures of each view at 1440×900 for the README (docs/screenshots/*.png). They change tracked files,
// so they are taken only when asked: UNFOLD_SCREENSHOTS=1 npx playwright test screenshots
import { test, expect, type Page } from '@playwright/test';
import { copyFileSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import { E2E_TMP, E2E_TOKEN, E2E_URL } from './env';

const OUT = path.resolve('docs/screenshots');
const enabled = process.env.UNFOLD_SCREENSHOTS === '1';

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(OUT, `${name}.png`) });

test('screenshots of every view', async ({ page }) => {
  test.skip(!enabled, 'set UNFOLD_SCREENSHOTS=1 to refresh docs/screenshots');
  test.setTimeout(300_000);
  mkdirSync(OUT, { recursive: true });
  const demo = await ensureDemoCase();
  const core: Case = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  try {
    await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
    await page.goto(E2E_URL);
    await page.getByTestId('image-path').fill(demo.imagePath);
    await page.getByTestId('symbols-path').fill(demo.symbolsPath);
    await shot(page, 'open');
    await page.getByTestId('open-demo').click();
    await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
    await page.waitForTimeout(300);
    await shot(page, 'overview');

    await page.getByTestId('nav-segments').click();
    await shot(page, 'segments');

    // the first segment with a planted secret, opened from a search hit (highlighted in the hex view)
    await page.getByTestId('nav-search').click();
    await page.getByTestId('search-strings').fill('UNFOLD-DEMO-SECRET');
    await page.getByTestId('search-regexes').fill('password=[A-Z-]+');
    await page.getByTestId('search-hex').fill('55 4e 46 4f 4c 44 ?? 44 45 4d 4f');
    await page.getByTestId('search-utf16').check();
    await page.getByTestId('search-run').click();
    await expect(page.getByTestId('search-summary')).toContainText('pages');
    await shot(page, 'search');
    await page.getByTestId('hit-row').first().click();
    await expect(page.getByTestId('view-slots')).toBeVisible();
    await page.waitForTimeout(300);
    await shot(page, 'slots');

    // every string of 8 characters or more, ASCII and UTF-16LE
    await page.getByTestId('nav-strings').click();
    await page.getByTestId('strings-min').fill('8');
    await page.getByTestId('strings-run').click();
    await expect(page.getByTestId('strings-summary')).toContainText('pages');
    await page.waitForTimeout(300);
    await shot(page, 'strings');

    await page.getByTestId('nav-single').click();
    await shot(page, 'single-value');
    await page.getByTestId('nav-swapped').click();
    await shot(page, 'swapped');

    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-out').fill(path.join(E2E_TMP, `shots-export-${Date.now()}`));
    await page.getByTestId('export-run').click();
    await expect(page.getByTestId('export-summary')).toBeVisible({ timeout: 90_000 });
    await shot(page, 'export');

    // a copy of the demo image cut in half: the error names the cause (a cut-short file)
    const cut = path.join(E2E_TMP, 'shots', 'evidence-copy.raw');
    mkdirSync(path.dirname(cut), { recursive: true });
    copyFileSync(demo.imagePath, cut);
    truncateSync(cut, Math.floor(statSync(demo.imagePath).size / 2));
    await page.getByRole('button', { name: 'Open…' }).click();
    await page.getByTestId('image-path').fill(cut);
    await page.getByTestId('open-button').click();
    await expect(page.getByTestId('error')).toBeVisible({ timeout: 60_000 });
    await page.getByTestId('error').locator('summary').click();
    await shot(page, 'error');
  } finally {
    await core.close();
  }
});
