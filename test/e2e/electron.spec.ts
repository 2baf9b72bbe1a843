// The desktop app itself, where an Electron binary exists: it starts, shows the demo case, and its
// renderer has no Node and only the bridge. Elsewhere (as on machines without the binary) it is skipped
// and says so.
import { test, expect, _electron as electron } from '@playwright/test';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();

test('Electron: launches on the demo case with a locked-down renderer', async () => {
  if (binary === null) console.log('skipped: no Electron binary on this machine');
  test.skip(binary === null, 'skipped: no Electron binary on this machine');
  test.skip(!existsSync('out/main/index.js'), 'skipped: run `npx electron-vite build` first');
  const app = await electron.launch({ executablePath: binary!, args: ['.'] });
  try {
    const win = await app.firstWindow();
    await expect(win.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
    const exposed = await win.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      bridge: typeof (window as { unfold?: unknown }).unfold,
    }));
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', bridge: 'object' });
    // navigation away from the app is blocked
    await win.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await win.waitForTimeout(500);
    expect(win.url()).toMatch(/^file:.*renderer\/index\.html$/);
  } finally {
    await app.close();
  }
});
