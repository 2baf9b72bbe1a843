#!/usr/bin/env node
// After `npm install`: fetch Electron's binary with Electron's own installer (node_modules/electron/
// install.js, which honours ELECTRON_MIRROR, ELECTRON_SKIP_BINARY_DOWNLOAD and the other switches of
// @electron/get). The project denies that script in package.json's `allowScripts`, so npm never runs
// it itself: where the download host cannot be reached the install must still succeed, and the app
// then runs in browser mode. Whatever happens is said in one line; nothing here can fail the install.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const installer = path.join(root, 'node_modules', 'electron', 'install.js');

function binaryPath() {
  try {
    const p = createRequire(path.join(root, 'package.json'))('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** @param {unknown} text */
function oneLine(text) {
  const lines = String(text).split('\n').map((l) => l.trim()).filter(Boolean);
  // the first line naming an error is the reason; the stack under it is noise to a new user
  const reason = lines.find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT|403|404|checksum/i.test(l)) ?? lines[0] ?? 'no output';
  return reason.replace(/^\w*Error:\s*/, '').slice(0, 200);
}

if (!existsSync(installer)) {
  // --omit=dev or a production install: the app is not wanted here, the CLI is
  process.exit(0);
}
if (binaryPath()) process.exit(0);
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('unfold: Electron binary not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD is set); `npm start` will use browser mode.');
  process.exit(0);
}
const version = JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const r = spawnSync(process.execPath, [installer], {
  cwd: path.dirname(installer),
  encoding: 'utf8',
  timeout: Number(process.env.UNFOLD_ELECTRON_TIMEOUT_MS ?? 300_000),
});
if (r.status === 0 && binaryPath()) {
  console.log(`unfold: Electron ${version} binary installed; \`npm start\` opens the desktop app.`);
} else {
  const why = r.error ? r.error.message : oneLine(`${r.stderr}\n${r.stdout}`);
  console.log(`unfold: Electron ${version} binary not available (${why}); \`npm start\` will use browser mode. Retry later with: npm run get-electron`);
}
