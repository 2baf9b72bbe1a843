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

describe('a pass the examiner waits for comes first', () => {
  it('while a search runs, the background pass hands back no new segment; it resumes and ends after', async () => {
    let c: Awaited<ReturnType<typeof openCase>> | null = null;
    let reportsDuring = 0;
    c = await openCase(image, {
      symbols: isf,
      decode: 'background',
      threads: 2,
      onDecodeProgress: () => {
        // a report while the search's pass over the segments runs
        if (c && c.foregroundRuns > 0) reportsDuring++;
      },
    });
    try {
      // open resolves with the overview, before the pass's threads have started: it is running
      const atStart = c.decodeStatus();
      expect(atStart.state).toBe('running');
      const r = await c.search({ strings: ['UNFOLD'], regexes: ['[A-Z]{6}-[0-9]+'] });
      expect(r.pagesScanned).toBe(20_000);
      // the segments already sent to the threads finish, but the pass hands none back (nor sends
      // more) while the search goes through the segments: no page is counted as decoded meanwhile
      expect(reportsDuring).toBe(0);
      const end = await c.decoded();
      expect(end.state).toBe('done');
      expect(end.pagesDone).toBe(end.pagesTotal);
      expect(c.foregroundRuns).toBe(0);
    } finally {
      await c!.close();
    }
  }, 120_000);
});
