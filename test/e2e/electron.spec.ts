// The desktop app itself, where an Electron binary exists: launched through Playwright's Electron
// support (under a virtual X display on Linux when there is no display: Xvfb, which .ci/run installs),
// it opens the demo case, whose overview shows core's counts; its renderer comes from app://unfold, has
// no Node, only the bridge, cannot navigate away and gets no screen capture. Where there is no Electron
// binary (as on machines that could not download it), the test is skipped and says so.
import { test, expect, _electron as electron } from '@playwright/test';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openCase } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import { display } from './xvfb';

function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const built = existsSync('out/main/index.js') && existsSync('out/renderer/index.html');
const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);

test('Electron: the desktop app opens the demo case from app:// with a locked-down renderer', async () => {
  if (binary === null) console.log('electron.spec: SKIPPED: no Electron binary on this machine (npm run get-electron fetches it where the network allows)');
  test.skip(binary === null, 'no Electron binary on this machine');
  if (!built) console.log('electron.spec: SKIPPED: the app is not built (npx electron-vite build)');
  test.skip(!built, 'the app is not built: run `npx electron-vite build` first');
  const demo = await ensureDemoCase();
  const core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  const segments = core.segments().length;
  await core.close();

  const d = await display();
  if (typeof d === 'string') console.log(`electron.spec: SKIPPED: ${d}`);
  test.skip(typeof d === 'string', String(d));
  const screen = d as Exclude<typeof d, string>;

  // Chromium refuses its sandbox as root (CI containers); everything else runs as shipped
  const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  let app: Awaited<ReturnType<typeof electron.launch>> | null = null;
  try {
    app = await electron.launch({ executablePath: binary!, args: [...rootArgs, '.'], env: { ...process.env, ...screen.env } as Record<string, string> });
    const win = await app.firstWindow();
    await expect(win.getByTestId('view-overview')).toBeVisible({ timeout: 90_000 });
    await expect(win.getByTestId('case-title')).toContainText(path.basename(demo.imagePath));
    await expect(win.getByTestId('tile-segments')).toContainText(fmt(segments));
    expect(win.url()).toBe('app://unfold/index.html');

    const exposed = await win.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      bridge: typeof (window as { unfold?: unknown }).unfold,
      origin: location.origin,
    }));
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', bridge: 'object', origin: 'app://unfold' });
    // screen capture is refused by the session's handler
    const capture = await win.evaluate(async () => {
      try {
        await navigator.mediaDevices.getDisplayMedia({ video: true });
        return 'granted';
      } catch {
        return 'refused';
      }
    });
    expect(capture).toBe('refused');
    // navigation away from the app is blocked
    await win.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await win.waitForTimeout(500);
    expect(win.url()).toBe('app://unfold/index.html');
  } finally {
    await app?.close();
    screen.stop();
  }
});
