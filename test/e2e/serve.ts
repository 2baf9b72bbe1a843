// The browser-mode server the end-to-end tests drive (started by playwright.config.ts): builds the
// renderer if it is missing or stale, builds the demo case ahead (so opening it in the UI is quick),
// and serves on the fixed port with the known token until Playwright stops it.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureRenderer } from '../../main/renderer-build';
import { repoRoot, startBrowserMode } from '../../main/browser-main';
import { ensureDemoCase } from '../../core/demo';
import { E2E_PORT, E2E_TMP, E2E_TOKEN } from './env';

rmSync(E2E_TMP, { recursive: true, force: true });
mkdirSync(E2E_TMP, { recursive: true });
await ensureRenderer(repoRoot, (s) => console.log(s));
await ensureDemoCase();
const server = await startBrowserMode({ port: E2E_PORT, token: E2E_TOKEN, settingsFile: path.join(E2E_TMP, 'settings.json') });
console.log(`e2e server ready at ${server.url}`);
const stop = () => void server.close().finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
