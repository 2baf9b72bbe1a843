// End-to-end tests: Debian's Chromium (never a downloaded browser) driving browser mode, which
// test/e2e/serve.ts starts on a fixed port with a known token. One worker: the server holds one open
// case, and the specs walk through it in order.
import { defineConfig } from '@playwright/test';
import { E2E_ORIGIN, E2E_URL } from './test/e2e/env';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: E2E_ORIGIN,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'dark',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    },
  },
  webServer: {
    command: 'node bin/run-ts.mjs test/e2e/serve.ts',
    url: E2E_URL,
    reuseExistingServer: false,
    timeout: 300_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
