// Builds the renderer alone (browser mode needs nothing else) when out/renderer is missing or older than
// its sources. Used by `npm start` without Electron and by the end-to-end test server.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newest(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

export function rendererIsStale(repoRoot: string): boolean {
  const index = path.join(repoRoot, 'out', 'renderer', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = [path.join(repoRoot, 'renderer'), path.join(repoRoot, 'core', 'api.ts'), path.join(repoRoot, 'core', 'darwin', 'types.ts')];
  return sources.some((s) => existsSync(s) && newest(s) > built);
}

/** builds out/renderer if needed; returns true when it built */
export async function ensureRenderer(repoRoot: string, log: (s: string) => void = () => {}): Promise<boolean> {
  if (!rendererIsStale(repoRoot)) return false;
  log('building the renderer (out/renderer)…');
  const [{ build }, { rendererConfig }] = await Promise.all([import('vite'), import('../electron.vite.config')]);
  await build({ ...rendererConfig, configFile: false, logLevel: 'warn' });
  return true;
}
