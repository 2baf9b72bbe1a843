// The demo case a new user sees on first start: a small synthetic Mac image (macOS 14, x86_64) made by
// the project's own test-image builder, with pages planted with "UNFOLD-DEMO-SECRET". Generated once
// into a cache folder and reused; the builder is deterministic, so every machine gets the same bytes.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { userCacheDir } from './cache-dir';
import { VERSION } from './version';

export interface DemoCase {
  imagePath: string;
  symbolsPath: string;
}

// Bumped whenever the builder's demo image changes, so a cached older demo is never shown.
export const DEMO_REVISION = 3;

export function demoDir(): string {
  return process.env.UNFOLD_DEMO_DIR ?? path.join(userCacheDir(), `demo-${VERSION}-r${DEMO_REVISION}`);
}

let building: Promise<DemoCase> | null = null;

export function ensureDemoCase(): Promise<DemoCase> {
  building ??= (async () => {
    const dir = demoDir();
    const imagePath = path.join(dir, 'demo-macos14.raw');
    const symbolsPath = path.join(dir, 'demo-macos14.isf.json');
    if (existsSync(imagePath) && existsSync(symbolsPath)) return { imagePath, symbolsPath };
    // build beside the final folder and rename, so a half-built demo is never picked up
    const tmp = `${dir}.partial-${process.pid}-${Date.now()}`;
    mkdirSync(tmp, { recursive: true });
    try {
      const { buildDemoImage, saveSynthImage } = await import('./synth/scenarios');
      const demo = buildDemoImage();
      await saveSynthImage(demo.image, tmp, 'demo-macos14');
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return { imagePath, symbolsPath };
  })().catch((e: unknown) => {
    building = null;
    throw e;
  });
  return building;
}
