#!/usr/bin/env node
// `npm test`: type checks (Node side with tsc, renderer with vue-tsc so the .vue files are checked too),
// unit and integration tests (Vitest), then the renderer build and the end-to-end tests in Chromium
// (Playwright). Each step's failure fails the whole run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** @type {[name: string, cmd: string, args: string[]][]} */
const steps = [
  ['type check (core, main, preload, tests, scripts)', 'npx', ['tsc', '--noEmit', '--composite', 'false', '-p', 'tsconfig.node.json']],
  ['type check (renderer, .vue included)', 'npx', ['vue-tsc', '--noEmit', '--composite', 'false', '-p', 'tsconfig.web.json']],
  ['unit and integration tests', 'npx', ['vitest', 'run']],
  ['build (electron-vite)', 'npx', ['electron-vite', 'build']],
  ['end-to-end tests (Chromium)', 'npx', ['playwright', 'test']],
];

for (const [name, cmd, args] of steps) {
  if (name.startsWith('end-to-end') && !existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) {
    console.error(`\n✗ ${name}: /usr/bin/chromium is missing (install it with: apt-get install -y chromium)`);
    process.exit(1);
  }
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${r.status ?? r.signal}) after ${secs}s`);
    process.exit(r.status || 1);
  }
  console.log(`✓ ${name} (${secs}s)`);
}
