#!/usr/bin/env node
// CI's first-run check: `npm start`, exactly as the README says, must serve the demo case. Starts it,
// waits for the address it prints, opens that address in Debian's Chromium and waits until the
// overview of the demo case is on screen, then stops the server. Exit 0 only if all of that happened.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const TIMEOUT_MS = Number(process.env.UNFOLD_CHECK_START_TIMEOUT_MS ?? 600_000);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const child = spawn('npm', ['start'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let out = '';
const seen = new Promise((resolve, reject) => {
  /** @param {Buffer} d */
  const onData = (d) => {
    out += d.toString();
    process.stdout.write(d);
    const m = /started browser mode at (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
    if (m) resolve(m[1]);
    if (/opens the desktop app|Building the app/.test(out)) resolve(null);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', (d) => process.stderr.write(d));
  child.on('exit', (code) => reject(new Error(`npm start exited (${code}) before serving anything`)));
  setTimeout(() => reject(new Error(`npm start printed no address within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref();
});

function stop() {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

let code = 1;
try {
  const url = await seen;
  if (url === null) {
    console.log('check-start: an Electron binary exists, so npm start opened the desktop app; the Electron e2e test checks it.');
    code = 0;
  } else {
    if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing (apt-get install -y chromium)`);
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.getByTestId('view-overview').waitFor({ timeout: 180_000 });
      const title = (await page.getByTestId('case-title').textContent()) ?? '';
      if (!/demo-macos14/.test(title)) throw new Error(`the overview shows "${title.trim()}", not the demo case`);
      console.log(`check-start: npm start served the demo case at ${url.replace(/token=[^&]+/, 'token=…')} (title: ${title.trim()})`);
      code = 0;
    } finally {
      await browser.close();
    }
  }
} catch (e) {
  console.error(`check-start: FAILED: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  stop();
}
process.exit(code);
