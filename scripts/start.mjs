#!/usr/bin/env node
// `npm start [image] [--symbols <isf>] [--port N]`: the desktop app where an Electron binary exists
// (built, then launched on the image or the demo case); otherwise browser mode on 127.0.0.1 with a
// fresh token, its URL printed, serving until interrupted.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/** @param {string} name */
function option(name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}
const symbols = option('--symbols');
const port = option('--port');
const image = args.find((a) => !a.startsWith('-'));

function electronBinary() {
  try {
    const p = createRequire(import.meta.url)('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null; // the npm package is there but its binary was never downloaded
  }
}

const electron = electronBinary();
if (electron) {
  console.log('Building the app (electron-vite build)…');
  const b = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
  const child = spawn(electron, ['.', ...(image ? [path.resolve(image)] : [])], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { ensureRenderer } = await import('../main/renderer-build.ts');
  const { startBrowserMode } = await import('../main/browser-main.ts');
  await ensureRenderer(root, (s) => console.log(s));
  const startup = image ? { imagePath: path.resolve(image), ...(symbols ? { symbolsPath: path.resolve(symbols) } : {}) } : 'demo';
  const server = await startBrowserMode({ port: port ? Number(port) : undefined, startup });
  console.log(`\nNo Electron binary on this machine: started browser mode at ${server.url}`);
  console.log('Open that URL in a browser on this machine: the page keeps the token for its tab and takes it out of the address bar (a new tab needs the URL again). Ctrl+C stops the server.\n');
  const stop = () => {
    server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
