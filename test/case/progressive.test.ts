// Progressive open (issue 14): the summary the metadata gives equals the one a whole walk gives, a
// page or a segment's slots asked for before the background pass reached it is decoded at once and
// hashes as the walk does, and the ETA settles instead of extrapolating from the start-up.
import { mkdtempSync, rmSync, copyFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase, type Case } from '../../core/case';
import { buildDemoImage, saveSynthImage, type DemoImage } from '../../core/synth/scenarios';
import { Eta } from '../../core/work/eta';

let demo: DemoImage;
let dir: string;
let image: string;
let isf: string;
let whole: Case;

beforeAll(async () => {
  demo = buildDemoImage();
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-progressive-'));
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
  whole = await openCase(image, { symbols: isf, threads: 0 });
});
afterAll(async () => {
  await whole?.close();
  rmSync(dir, { recursive: true, force: true });
});

const truthSha = (segment: number, slot: number) => demo.truth.slots.find((t) => t.segment === segment && t.slot === slot)?.sha256;

describe('the metadata summary', () => {
  for (const threads of [0, 2]) {
    it(`counts kinds, problems and consistency exactly as the walk does (threads ${threads})`, async () => {
      const c = await openCase(image, { symbols: isf, threads, decode: 'never' });
      try {
        expect(c.info.compressor.slots).toEqual(demo.truth.counts.byKind);
        expect(c.info.compressor.slots).toEqual(whole.info.compressor.slots);
        expect(c.info.compressor.consistency).toEqual(whole.info.compressor.consistency);
        expect(c.info.compressor.problems).toEqual(whole.info.compressor.problems);
        expect(c.segments().map((s) => [s.index, s.kinds])).toEqual(whole.segments().map((s) => [s.index, s.kinds]));
        expect(c.decodeStatus().state).toBe('none');
      } finally {
        await c.close();
      }
    });
  }

  it('on a truncated image counts the unreadable slots and reports the absent pages, with kinds or by translation alone', async () => {
    const cut = path.join(dir, 'cut.raw');
    copyFileSync(image, cut);
    truncateSync(cut, 52 * 1048576);
    const walked = await openCase(cut, { symbols: isf, threads: 0 });
    const a = await openCase(cut, { symbols: isf, threads: 0, decode: 'never' });
    const b = await openCase(cut, { symbols: isf, threads: 0, decode: 'never', kinds: false });
    try {
      const read = (c: Case) => c.info.compressor.consistency.checks.find((ch) => ch.name === 'live slots whose bytes could be read');
      expect(read(walked)!.ok).toBe(false);
      expect(read(a)).toEqual(read(walked));
      expect(read(b)).toEqual(read(walked));
      expect(a.info.compressor.problems).toEqual(walked.info.compressor.problems);
      expect(b.info.compressor.problems).toEqual(walked.info.compressor.problems);
      expect(a.info.compressor.consistency.ok).toBe(false);
    } finally {
      await Promise.all([walked.close(), a.close(), b.close()]);
    }
  });
});

describe('decoding on demand', () => {
  it('one page of a case opened without decoding hashes as the truth, and its record is the walk’s', async () => {
    const c = await openCase(image, { symbols: isf, threads: 0, decode: 'never', kinds: false });
    try {
      const t = demo.truth.slots.find((x) => x.kind === 'wkdm')!;
      const p = c.page(t.segment, t.slot);
      expect(p.record.sha256).toBe(t.sha256);
      expect(p.record).toEqual(whole.slots(t.segment, { hashes: true }).find((r) => r.slot === t.slot));
      expect(Buffer.from(p.page!)).toEqual(Buffer.from(whole.page(t.segment, t.slot).page!));
      expect(c.hasSlot(t.segment, t.slot)).toBe(true);
      expect(c.hasSlot(t.segment, 100000)).toBe(false);
      expect(() => c.page(t.segment, 100000)).toThrow(/has no live slot 100000/);
    } finally {
      await c.close();
    }
  });

  it('a segment’s slots asked for during the background pass are decoded at once; the pass then ends with the walk’s summary', async () => {
    const progress: number[] = [];
    const c = await openCase(image, { symbols: isf, threads: 2, decode: 'background', onDecodeProgress: (p) => progress.push(p.pagesDone) });
    try {
      const last = c.segments().filter((s) => s.resident && s.liveSlots > 0).pop()!;
      const early = c.slots(last.index);
      expect(early).toEqual(whole.slots(last.index));
      for (const r of early) if (r.sha256) expect(r.sha256).toBe(truthSha(r.segment, r.slot));
      const end = await c.decoded();
      expect(end.state).toBe('done');
      expect(end.pagesDone).toBe(end.pagesTotal);
      expect(progress[progress.length - 1]).toBe(end.pagesTotal);
      expect(c.info.compressor).toEqual(whole.info.compressor);
      expect([...c.allSlots()].map(({ sha256: _h, ...r }) => r)).toEqual([...whole.allSlots()].map(({ sha256: _h, ...r }) => r));
      expect([...c.allSlots({ hashes: true })]).toEqual([...whole.allSlots({ hashes: true })]);
    } finally {
      await c.close();
    }
  });

  it('closing during the background pass stops it', async () => {
    const c = await openCase(image, { symbols: isf, threads: 2, decode: 'background' });
    await c.close();
    expect(['cancelled', 'done']).toContain(c.decodeStatus().state);
  });
});

describe('Eta', () => {
  it('says nothing for the first two seconds, then ignores a slow start-up', () => {
    const e = new Eta(1000, 0);
    // a slow first second (threads starting), then 100 units a second
    e.update(10, 1000);
    expect(e.secondsLeft(1500)).toBeNull();
    for (let t = 2000, d = 110; t <= 5000; t += 500, d += 50) e.update(d, t);
    // at 5 s, 410 done at 100/s: 5.9 s left; the average since 0 would say 7.2 s
    expect(e.secondsLeft(5000)).toBeCloseTo(5.9, 1);
  });

  it('is 0 when done and null before anything is done', () => {
    const e = new Eta(10, 0);
    expect(e.secondsLeft(3000)).toBeNull();
    e.update(10, 4000);
    expect(e.secondsLeft(4000)).toBe(0);
  });
});
