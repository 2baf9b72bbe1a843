// Browser mode's token in a real browser: after the page loads, the address bar no longer shows it, no
// cookie exists, a reload (whose address has no token) still reaches the API, the event stream works
// without the token in any URL, and a fresh tab without the token is refused.
import { test, expect } from '@playwright/test';
import { E2E_ORIGIN, E2E_TOKEN, E2E_URL } from './env';

test('the token leaves the address bar, never becomes a cookie, and survives a reload of the tab', async ({ page, context }) => {
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  const r = await page.request.post('/api/closeCase', { headers: { 'x-unfold-token': E2E_TOKEN, 'Content-Type': 'application/json' }, data: [] });
  expect(r.status()).toBe(200);
  await page.goto(E2E_URL);
  await expect(page.getByTestId('open-form')).toBeVisible();
  await expect.poll(() => page.url()).toBe(`${E2E_ORIGIN}/`);
  expect(await context.cookies()).toEqual([]);
  expect(await page.evaluate(() => document.cookie)).toBe('');

  // the only URL that ever carried the token is the one typed in; API calls and the stream did not
  expect(requested.filter((u) => u.includes(E2E_TOKEN))).toEqual([E2E_URL]);
  expect(requested).toContain(`${E2E_ORIGIN}/api/events`);

  // reload: the address has no token, the tab still has it; opening the demo streams progress events
  await page.reload();
  await expect(page.getByTestId('open-form')).toBeVisible();
  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
  // the view may sit in the hash (#/overview); the token never does
  expect(page.url().split('#')[0]).toBe(`${E2E_ORIGIN}/`);
  expect(page.url()).not.toContain('token');
  expect(await context.cookies()).toEqual([]);
});

test('a tab opened without the token is refused by the API, and says how to get in', async ({ browser }) => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${E2E_ORIGIN}/`);
    await expect(page.getByTestId('error')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'FORBIDDEN');
    const api = await page.request.post('/api/environment', { headers: { 'Content-Type': 'application/json' }, data: [] });
    expect(api.status()).toBe(403);
  } finally {
    await ctx.close();
  }
});
