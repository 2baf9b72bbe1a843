// Closing a case while its background pass is running (the examiner closes the case, or the app
// quits) must end the pass quietly: every job the pass sent to the threads settles, nothing is left
// as an unhandled rejection, and close() resolves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCase } from '../../core/case';
import { buildScaleImage, saveSynthImage } from '../../core/synth/scenarios';

let dir = '';
let image = '';
let isf = '';
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-bgclose-'));
  // many small segments, so the pass sends several segments per message to the threads
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(buildScaleImage({ pages: 20_000 }).image, dir, 'scale'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('close during the background pass', () => {
  it('settles every job of the pass: no unhandled rejection, the pass says cancelled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (let round = 0; round < 3; round++) {
        const c = await openCase(image, { symbols: isf, decode: 'background', threads: 2 });
        const states: string[] = [];
        const ended = c.decoded().then((s) => states.push(s.state));
        await c.close();
        await ended;
        expect(states).toEqual(['cancelled']);
      }
      // an unhandled rejection is reported after the microtask queue drains
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 120_000);
});
