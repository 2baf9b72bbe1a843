// A case opened for one segment (`unfold page`) reports the whole case's compressor problems and
// consistency table from its census (core/darwin/census.ts): the same lines, in the same order, as the
// metadata summary of the whole plan, on every layout family, on damaged images and with sealed
// (swapped-out or encrypted) segments, whichever segment is asked for.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../core/case';
import { SCENARIO_NAMES, buildDemoImage, buildScenario, saveSynthImage } from '../../core/synth/scenarios';
import { buildSwapScenario, writeSwapFiles } from '../../core/synth/swap';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-census-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** what the census gave against the whole metadata summary; how many problems and failed checks there were */
async function compare(imagePath: string, isfPath: string, swap?: string[]): Promise<{ problems: number; failed: number; rejected: number }> {
  const o = { symbols: isfPath, threads: 0, ...(swap ? { swap } : {}) };
  const whole = await openCase(imagePath, { ...o, decode: 'never', kinds: false, processes: false });
  try {
    const segs = whole.segments().map((s) => s.index);
    // the first, a middle and the last segment, a rejected entry, and one the table does not have
    const rejected = whole.plan.header.ignored.map((e) => e.index).slice(0, 1);
    for (const segment of [segs[0] ?? 0, segs[Math.floor(segs.length / 2)] ?? 0, segs[segs.length - 1] ?? 0, ...rejected, 1_000_000]) {
      const one = await openCase(imagePath, { ...o, segment });
      try {
        expect(one.info.compressor.problems, `segment ${segment}`).toEqual(whole.info.compressor.problems);
        expect(one.info.compressor.consistency, `segment ${segment}`).toEqual(whole.info.compressor.consistency);
        expect(one.segmentCount()).toBe(segs.length);
        expect(one.segments().map((s) => s.index)).toEqual(segs.includes(segment) ? [segment] : []);
      } finally {
        await one.close();
      }
    }
    return { problems: whole.info.compressor.problems.length, failed: whole.info.compressor.consistency.checks.filter((c) => !c.ok).length, rejected: rejected.length };
  } finally {
    await whole.close();
  }
}

describe('the census of a case opened for one segment', () => {
  it('equals the metadata summary on every layout family', async () => {
    let problems = 0;
    let failed = 0;
    let rejected = 0;
    for (const name of SCENARIO_NAMES) {
      const s = buildScenario(name);
      const p = await saveSynthImage(s.image, dir, name);
      const r = await compare(p.imagePath, p.isfPath);
      problems += r.problems;
      failed += r.failed;
      rejected += r.rejected;
      rmSync(p.imagePath);
    }
    // the scenarios hold rejected entries, absent buffer pages and counters that disagree
    expect(problems).toBeGreaterThan(SCENARIO_NAMES.length);
    expect(failed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);

  it('equals it on a truncated image (unreadable segments and buffer pages)', async () => {
    const demo = buildDemoImage();
    const p = await saveSynthImage(demo.image, dir, 'demo');
    const cut = path.join(dir, 'cut.raw');
    copyFileSync(p.imagePath, cut);
    truncateSync(cut, 52 * 1048576);
    const r = await compare(cut, p.isfPath);
    expect(r.failed).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('equals it with swapped-out and encrypted segments, with and without their swap files', async () => {
    const s = buildSwapScenario('swap-14-arm64');
    const p = await saveSynthImage(s.image, dir, 'swap');
    const vm = path.join(dir, 'vm');
    mkdirSync(vm);
    await writeSwapFiles(s.files, s.fileBytes, vm);
    await compare(p.imagePath, p.isfPath);
    await compare(p.imagePath, p.isfPath, [vm]);
  }, 60_000);
});
