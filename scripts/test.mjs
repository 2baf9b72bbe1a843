#!/usr/bin/env node
// `npm test`: type check, unit and integration tests (Vitest), then the renderer build and the
// end-to-end tests in Chromium (Playwright). Each step's failure fails the whole run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const steps = [
  ['type check', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
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
