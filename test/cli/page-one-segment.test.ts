// `unfold page` plans only the segment it prints (issue 14): its bytes, errors and exit statuses
// are those of a whole walk's page, on a sound image and on a truncated one, and the problems and
// failed consistency checks it prints are the whole case's (issue 9 item 3), from its census of the
// other segments: the lines the metadata summary gives, in its order.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, copyFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { openImage } from '../../core/image/detect';
import { discoverKernel } from '../../core/darwin/discover';
import { planCompressor } from '../../core/darwin/compressor';
import { planOneSegment } from '../../core/darwin/compressor-plan';
import { censusCompressor } from '../../core/darwin/census';
import { buildDemoImage, saveSynthImage, type DemoImage } from '../../core/synth/scenarios';
import { buildSwapScenario, writeSwapFiles } from '../../core/synth/swap';
import { mkdirSync } from 'node:fs';
import { runCliBytes as run } from './run-in-process';

let dir: string;
let image: string;
let cut: string;
let isf: string;
let demo: DemoImage;
let whole: Case;
let wholeCut: Case;
/** the metadata summaries (no process walk, as page has none) */
let meta: Case;
let metaCut: Case;


beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-page1-'));
  demo = buildDemoImage();
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
  cut = path.join(dir, 'cut.raw');
  copyFileSync(image, cut);
  truncateSync(cut, 52 * 1048576);
  whole = await openCase(image, { symbols: isf, threads: 0 });
  wholeCut = await openCase(cut, { symbols: isf, threads: 0 });
  meta = await openCase(image, { symbols: isf, threads: 0, decode: 'never', kinds: false, processes: false });
  metaCut = await openCase(cut, { symbols: isf, threads: 0, decode: 'never', kinds: false, processes: false });
});

afterAll(async () => {
  await Promise.all([whole?.close(), wholeCut?.close(), meta?.close(), metaCut?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** what the page command printed before it planned one segment: the whole case's page and words */
function expected(c: Case, segment: number, slot: number, compressed: boolean): { out: Buffer; message: string | null } {
  const p = c.page(segment, slot);
  const bytes = compressed ? p.compressed : p.page;
  if (bytes) return { out: Buffer.from(bytes), message: null };
  const hint = p.record.kind === 'swapped' && !p.record.error ? ' (its segment is in a swap file: give it with --swap)' : '';
  return {
    out: Buffer.alloc(0),
    message: `unfold: segment ${segment} slot ${slot} (${p.record.kind}) has no ${compressed ? 'stored bytes in the image' : 'decoded page'}${p.record.error ? ': ' + p.record.error : hint}\n`,
  };
}

/** the stderr lines of a case's problems and failed checks, as every walking command prints them */
function caseLines(c: Case): string[] {
  const cons = c.info.compressor.consistency;
  return [
    ...c.info.compressor.problems.map((p) => `unfold: problem: ${p}`),
    ...cons.checks.filter((ch) => !ch.ok).map((ch) => `unfold: consistency: ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}`),
  ];
}

const reported = (err: string) => err.split('\n').filter((l) => l.startsWith('unfold: problem: ') || l.startsWith('unfold: consistency: '));

describe('unfold page on one segment', () => {
  it('prints, byte for byte, the page and stored bytes a whole walk gives, for a slot of every kind', async () => {
    const kinds = new Set<string>();
    const picks = demo.truth.slots.filter((t) => !kinds.has(t.kind) && (kinds.add(t.kind), true));
    expect(picks.map((t) => t.kind)).toEqual(expect.arrayContaining(['wkdm', 'raw', 'swapped']));
    for (const t of picks) {
      for (const compressed of [false, true]) {
        const r = await run(['page', image, '--symbols', isf, '--segment', String(t.segment), '--slot', String(t.slot), ...(compressed ? ['--compressed'] : [])]);
        const want = expected(whole, t.segment, t.slot, compressed);
        expect(r.out.equals(want.out), `${t.kind} ${t.segment}/${t.slot} compressed=${compressed}`).toBe(true);
        if (want.message === null) {
          expect(r.code).toBe(meta.info.compressor.consistency.ok ? 0 : 4);
        } else {
          expect(r.code).toBe(2);
          expect(r.err.includes(want.message)).toBe(true);
        }
        expect(reported(r.err)).toEqual(caseLines(meta));
      }
      if (t.sha256 && t.kind !== 'swapped') {
        const r = await run(['page', image, '--symbols', isf, '--segment', String(t.segment), '--slot', String(t.slot)]);
        expect(r.out.length).toBe(4096);
      }
    }
  });

  it('refuses a missing segment and a missing slot with the same words and status 2', async () => {
    const n = whole.segments().length;
    const noSeg = await run(['page', image, '--symbols', isf, '--segment', '99', '--slot', '0']);
    expect(noSeg.code).toBe(2);
    expect(noSeg.out.length).toBe(0);
    expect(noSeg.err.endsWith(`unfold: there is no segment 99 (the case has ${n} segments; see unfold segments)\n`)).toBe(true);
    const seg = whole.segments()[1]!.index;
    const noSlot = await run(['page', image, '--symbols', isf, '--segment', String(seg), '--slot', '7000']);
    expect(noSlot.code).toBe(2);
    expect(noSlot.err.endsWith(`unfold: segment ${seg} has no live slot 7000\n`)).toBe(true);
  });

  it('on a truncated image: the same bytes or refusal, the whole case’s problems and failed checks (exit 4 for a readable slot)', async () => {
    const damaged = wholeCut.segments().filter((s) => s.problems.some((p) => p.includes('is not present in the image')));
    expect(damaged.length).toBeGreaterThan(0);
    let refused = 0;
    let printed = 0;
    for (const s of damaged.slice(0, 3)) {
      const live = wholeCut.slots(s.index);
      // an unreadable slot, and a readable one when the segment still has one
      const picks = [live.find((r) => r.error?.includes('not present')), live.find((r) => r.sha256 !== undefined)].filter((r) => r !== undefined);
      for (const rec of picks) {
        const r = await run(['page', cut, '--symbols', isf, '--segment', String(s.index), '--slot', String(rec.slot)]);
        const want = expected(wholeCut, s.index, rec.slot, false);
        expect(r.out.equals(want.out)).toBe(true);
        const lines = r.err.split('\n');
        // the whole case's problems, then (after any refusal, as always) its failed checks
        expect(reported(r.err)).toEqual(caseLines(metaCut));
        expect(lines).toContain('unfold: consistency: live slots whose bytes could be read: expected 294, found 185 — 109 live slot(s) lie on buffer pages the image does not hold');
        if (want.message !== null) {
          refused++;
          expect(r.code).toBe(2);
          expect(lines).toContain(want.message.trimEnd());
        } else {
          printed++;
          expect(r.code).toBe(4);
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(printed + refused).toBeGreaterThan(1);
  });
});

describe('planOneSegment', () => {
  for (const which of ['sound', 'truncated'] as const) {
    it(`plans a segment exactly as the whole plan does and counts the same segments (${which} image)`, async () => {
      const img = await openImage(which === 'sound' ? image : cut);
      try {
        const k = await discoverKernel(img, isf);
        const all = planCompressor(k.space, k.symbolTable, k.version, { slide: k.slide });
        for (const seg of all.segments) {
          const one = planOneSegment(k.space, k.symbolTable, k.version, seg.summary.index, { slide: k.slide });
          expect(one.plan.segments).toEqual([seg]);
          expect(one.plan.header.table).toBe(all.header.table);
          // the plan's own problems (globals, table) are the whole plan's, minus other entries'
          for (const p of one.plan.problems) expect(all.problems).toContain(p);
        }
        const one = planOneSegment(k.space, k.symbolTable, k.version, 1_000_000, { slide: k.slide });
        expect(one.plan.segments).toEqual([]);
        expect(censusCompressor(one.table, img, () => ({ problems: [] })).segments).toBe(all.segments.length);
      } finally {
        img.close();
      }
    });
  }
});

describe('unfold page of a swapped-out segment', () => {
  it('with and without --swap: the whole walk\'s page or refusal, and that segment\'s problems', async () => {
    const s = buildSwapScenario('swap-14-arm64');
    const { imagePath, isfPath } = await saveSynthImage(s.image, dir, 'swap');
    const vm = path.join(dir, 'vm');
    mkdirSync(vm);
    await writeSwapFiles(s.files, s.fileBytes, vm);
    const sealed = [...new Set(s.truth.slots.filter((t) => t.kind === 'swapped' || t.sealedKind !== undefined).map((t) => t.segment))];
    expect(sealed.length).toBeGreaterThan(1);
    const counts: number[] = [];
    for (const swap of [[vm], []]) {
      const w = await openCase(imagePath, { symbols: isfPath, threads: 0, ...(swap.length ? { swap } : {}) });
      // the problems and checks of the whole case without decoding (a sealed segment that cannot be
      // checked is only found so by the walk's decoding)
      const before = await openCase(imagePath, { symbols: isfPath, threads: 0, decode: 'never', kinds: false, processes: false, ...(swap.length ? { swap } : {}) });
      let printed = 0;
      try {
        for (const segment of sealed) {
          for (const t of s.truth.slots.filter((x) => x.segment === segment).slice(0, 2)) {
            const r = await run(['page', imagePath, '--symbols', isfPath, '--segment', String(segment), '--slot', String(t.slot), ...swap.flatMap((f) => ['--swap', f])]);
            const want = expected(w, segment, t.slot, false);
            expect(r.out.equals(want.out), `segment ${segment} slot ${t.slot} swap ${swap.length}`).toBe(true);
            if (want.message === null) {
              printed++;
              expect(r.code).toBe(0);
            } else {
              expect(r.code).toBe(2);
              expect(r.err.split('\n')).toContain(want.message.trimEnd());
            }
            expect(reported(r.err)).toEqual(caseLines(before));
          }
        }
      } finally {
        await Promise.all([w.close(), before.close()]);
      }
      counts.push(printed);
    }
    // the swap files give pages that the image alone cannot (buffers encrypted in RAM decode either way)
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
  });
});
