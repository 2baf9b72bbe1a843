// Issue 9 item 2: a segment buffer is virtually contiguous but physically scattered, so a page the
// image lacks must lose only the slots that touch it. Damage a buffer in the middle (a physical page
// removed from the image; the scenario's own cleared page-table entry) and by a truncation that cuts
// some of its pages: every slot's outcome is exact — intact slots decode to the builder's SHA-256,
// touched slots are corrupt with an error naming the page (virtual and physical address).
import { describe, expect, it } from 'vitest';
import { decodeContext, planCompressor, readSegmentBuffer, walkCompressor, type SegmentPlan } from '../../core/darwin/compressor';
import { decodeSegmentSlots } from '../../core/darwin/slot-decode';
import type { SlotRecord } from '../../core/darwin/types';
import { TruncatedImageError } from '../../core/errors';
import type { PhysicalImage } from '../../core/image/types';
import { SparseMemoryImpl } from '../../core/synth/memory';
import { buildScenario, openSynthImage, scenarioDef, scenarioSpec, type BuiltScenario } from '../../core/synth/scenarios';
import { buildCompressor, type SlotTruth } from '../../core/synth/compressor';
import { createSynthKernel, memoryImage } from '../../core/synth/kernel';
import { createSpace } from '../../core/translate';
import type { VirtualSpace } from '../../core/translate/types';

const PS = 4096;
const hex = (v: bigint | number) => '0x' + v.toString(16);

/** the sparse memory without the 4 KiB pages at `drop` */
function withoutPages(mem: SparseMemoryImpl, drop: number[]): SparseMemoryImpl {
  const gone = new Set(drop);
  const chunks: Array<{ start: number; data: Uint8Array }> = [];
  for (const c of mem.chunks) {
    let runStart = -1;
    for (let off = 0; off <= c.data.length; off += PS) {
      const keep = off < c.data.length && !gone.has(c.start + off);
      if (keep && runStart < 0) runStart = off;
      if (!keep && runStart >= 0) {
        chunks.push({ start: c.start + runStart, data: c.data.slice(runStart, off) });
        runStart = -1;
      }
    }
  }
  return new SparseMemoryImpl(mem.size, chunks);
}

/**
 * an image whose headers promise every range but whose file ends at physical `cut` (a LiME/ELF image
 * cut short): the ranges stay declared, reads reaching past the cut fail with TruncatedImageError
 */
function truncatedAt(img: PhysicalImage, cut: number): PhysicalImage {
  const t: PhysicalImage = {
    ...img,
    path: 'truncated.raw',
    readInto(phys, out, outOffset, length) {
      if (phys + length > cut) throw new TruncatedImageError(Math.max(phys, cut), Math.max(phys, cut), cut, 'truncated.raw');
      img.readInto(phys, out, outOffset, length);
    },
    read(phys, length) {
      const out = new Uint8Array(length);
      t.readInto(phys, out, 0, length);
      return out;
    },
    isPresent: (phys, length = 1) => img.isPresent(phys, length),
  };
  return t;
}

/** physical addresses of the x86_64 tables (PML4 … PT) a VA's walk reads, from the builder's memory */
function tableFrames(b: BuiltScenario, va: bigint): number[] {
  const mem = b.image.memory;
  const out: number[] = [];
  let table = b.image.dtb;
  for (const shift of [39n, 30n, 21n]) {
    out.push(table);
    const e = new DataView(mem.read(table + Number((va >> shift) & 0x1ffn) * 8, 8).buffer).getBigUint64(0, true);
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  out.push(table);
  return out;
}

/** the resident segment with the most decodable slots over at least four buffer pages */
function busiestSegment(b: BuiltScenario, space: VirtualSpace): SegmentPlan {
  const o = b.open();
  const plan = planCompressor(space, o.symbols, o.version, { slide: o.slide });
  const segs = plan.segments.filter((s) => s.bufferVa !== null && s.readLength >= 4 * PS && s.summary.problems.length === 0);
  segs.sort((x, y) => y.slots.length - x.slots.length);
  expect(segs.length).toBeGreaterThan(0);
  return segs[0]!;
}

function decodeAll(space: VirtualSpace, b: BuiltScenario, segIndex: number): { recs: SlotRecord[]; seg: SegmentPlan } {
  const o = b.open();
  const plan = planCompressor(space, o.symbols, o.version, { slide: o.slide });
  const seg = plan.segments.find((s) => s.summary.index === segIndex)!;
  const buf = readSegmentBuffer(space, seg);
  const recs: SlotRecord[] = [...seg.undecoded];
  decodeSegmentSlots(buf.bytes, buf.holes, seg.slots, decodeContext(plan, seg), (r) => recs.push(r));
  recs.sort((x, y) => x.slot - y.slot);
  return { recs, seg };
}

/** each slot of the segment: the truth's outcome, or corrupt naming the first lost page it touches */
function checkOutcomes(recs: SlotRecord[], truth: SlotTruth[], bufferVa: bigint, lost: Set<number>, reason: (page: number) => RegExp): { intact: number; touched: number } {
  expect(recs.map((r) => r.slot)).toEqual(truth.map((t) => t.slot));
  let intact = 0;
  let touched = 0;
  recs.forEach((r, i) => {
    const t = truth[i]!;
    const what = `${t.name} (slot ${t.slot}, offset ${hex(t.offset)}+${t.compressedSize})`;
    const first = Math.floor(t.offset / PS);
    const last = Math.floor((t.offset + t.compressedSize - 1) / PS);
    let hit = -1;
    for (let p = first; p <= last; p++) if (lost.has(p)) {
      hit = p;
      break;
    }
    if (hit < 0 || t.kind === 'swapped' || t.kind === 'encrypted?') {
      expect(r.kind, what).toBe(t.kind);
      expect(r.sha256, what).toBe(t.sha256);
      if (t.sha256) intact++;
      return;
    }
    touched++;
    expect(r.kind, what).toBe('corrupt');
    expect(r.sha256, what).toBeUndefined();
    const va = bufferVa + BigInt(hit * PS);
    expect(r.error, what).toMatch(
      new RegExp(`^segment ${t.segment} slot ${t.slot} at buffer offset ${hex(t.offset)}: buffer page at ${hex(va)} \\(offset ${hex(hit * PS)}\\) is not present in the image \\(`),
    );
    expect(r.error, what).toMatch(reason(hit));
  });
  return { intact, touched };
}

describe('segment buffers with pages missing (issue 9 item 2)', () => {
  const b = buildScenario('F4-x86_64');
  const intact = b.open();
  const segPlan = busiestSegment(b, intact.space);
  const segIndex = segPlan.summary.index;
  const bufferVa = segPlan.bufferVa!;
  const pages = Math.ceil(segPlan.readLength / PS);
  const frames = Array.from({ length: pages }, (_, p) => intact.space.translate(bufferVa + BigInt(p * PS)));
  const truth = b.truth.slots.filter((t) => t.segment === segIndex);

  it('the chosen segment has slots on every page and decodes whole when nothing is missing', () => {
    expect(pages).toBeGreaterThanOrEqual(4);
    const { recs } = decodeAll(intact.space, b, segIndex);
    const r = checkOutcomes(recs, truth, bufferVa, new Set(), () => /never/);
    expect(r.touched).toBe(0);
    expect(r.intact).toBe(truth.filter((t) => t.sha256).length);
  });

  it('a physical page absent from the image, mid-buffer: only slots touching it are lost, the error names both addresses', () => {
    const lostPage = 1;
    const mem = withoutPages(b.image.memory as SparseMemoryImpl, [frames[lostPage]!]);
    const space = createSpace(b.image.arch, memoryImage(mem), b.image.dtb);
    const { recs, seg } = decodeAll(space, b, segIndex);
    const r = checkOutcomes(recs, truth, bufferVa, new Set([lostPage]), () => new RegExp(`virtual address ${hex(bufferVa + BigInt(PS))} .*physical (0x)?${frames[lostPage]!.toString(16)}\\b`));
    expect(r.touched).toBeGreaterThan(0);
    // slots on the pages after the hole still decode
    expect(truth.some((t) => t.offset >= 2 * PS && t.sha256 !== undefined)).toBe(true);
    expect(r.intact).toBe(truth.filter((t) => t.sha256).length - r.touched);
    expect(seg.summary.problems).toEqual([
      `buffer page ${hex(bufferVa + BigInt(PS))} (offset 0x1000) is not present in the image: ${r.touched} slot(s) touching it are unreadable`,
    ]);
    // the whole walk over the damaged image: this segment as above, every other slot as the truth says
    const o = b.open();
    const walk = walkCompressor(space, o.symbols, o.version, { slide: o.slide });
    const mine = walk.slots.filter((s) => s.segment === segIndex);
    expect(mine).toEqual(recs);
    const others = walk.slots.filter((s) => s.segment !== segIndex);
    const otherTruth = b.truth.slots.filter((t) => t.segment !== segIndex);
    expect(others.map((s) => [s.segment, s.slot, s.kind, s.sha256])).toEqual(otherTruth.map((t) => [t.segment, t.slot, t.kind, t.sha256]));
  });

  it('a truncated image cutting some buffer pages: every present page is read, the error names the truncation point', () => {
    // the F4 scenario again, with its page tables in the low 16 MiB (a truncation above them keeps the
    // translation and loses the data pages past the cut, as truncating a real raw image does)
    const def = scenarioDef('F4-x86_64');
    const kernel = createSynthKernel({ arch: def.arch, banner: def.banner, seed: def.xnu[0], tablesBelow: 16 << 20 });
    const lowTruth = buildCompressor(kernel, scenarioSpec(def));
    const lowImage = kernel.finish();
    const b: BuiltScenario = { def, image: lowImage, truth: lowTruth, open: () => openSynthImage(lowImage) };
    // a resident segment and a cut above every page table its buffer needs, at the frame of one of its
    // buffer pages, such that a page early in the buffer is lost while a later one survives
    const o = b.open();
    const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    let pick: { seg: SegmentPlan; frames: number[]; cut: number; lost: Set<number> } | null = null;
    for (const seg of plan.segments.filter((x) => x.bufferVa !== null && x.readLength > 2 * PS && x.summary.problems.length === 0)) {
      const n = Math.ceil(seg.readLength / PS);
      const fr = Array.from({ length: n }, (_, p) => o.space.tryTranslate(seg.bufferVa! + BigInt(p * PS)));
      if (fr.includes(-1)) continue; // the scenario's own missing page: not this test's damage
      const tables = Math.max(...fr.flatMap((_, p) => tableFrames(b, seg.bufferVa! + BigInt(p * PS))));
      for (const c of [...fr].sort((x, y) => x - y)) {
        if (c <= tables) continue;
        const l = new Set(fr.map((f, p) => (f >= c ? p : -1)).filter((p) => p >= 0));
        const firstLost = Math.min(...l);
        if (l.size < n && [...Array(n).keys()].some((p) => p > firstLost && !l.has(p))) {
          pick = { seg, frames: fr, cut: c, lost: l };
          break;
        }
      }
      if (pick) break;
    }
    expect(pick).not.toBeNull();
    const { cut, lost } = pick!;
    const tSeg = pick!.seg;
    const tVa = tSeg.bufferVa!;
    const tPages = pick!.frames.length;
    const tFrames = pick!.frames;
    const tTruth = b.truth.slots.filter((t) => t.segment === tSeg.summary.index);
    const space = createSpace(b.image.arch, truncatedAt(memoryImage(b.image.memory), cut), b.image.dtb);
    const buf = readSegmentBuffer(space, { ...tSeg, summary: { ...tSeg.summary, problems: [] } });
    expect(buf.holes.map((h) => h.from / PS)).toEqual([...lost].sort((x, y) => x - y));
    for (let p = 0; p < tPages; p++) {
      if (lost.has(p)) continue;
      const n = Math.min(PS, tSeg.readLength - p * PS);
      expect(Buffer.compare(buf.bytes.subarray(p * PS, p * PS + n), o.space.read(tVa + BigInt(p * PS), n)), `page ${p}`).toBe(0);
    }
    const { recs } = decodeAll(space, b, tSeg.summary.index);
    const r = checkOutcomes(recs, tTruth, tVa, lost, (p) => new RegExp(`\\(image truncated\\.raw is truncated: physical address ${hex(tFrames[p]!)} maps to file offset`));
    expect(r.touched).toBeGreaterThan(0);
    expect(r.intact).toBeGreaterThan(0);
  });

  it("the scenario's cleared page-table entry (page 1 of another segment) loses only the slots on that page", () => {
    const missingSeg = b.truth.byName['missing-page-0']!.segment;
    const segTruth = b.truth.slots.filter((t) => t.segment === missingSeg);
    const { recs, seg } = decodeAll(intact.space, b, missingSeg);
    const r = checkOutcomes(recs, segTruth, seg.bufferVa!, new Set([1]), () => new RegExp(`virtual address ${hex(seg.bufferVa! + BigInt(PS))} is not mapped`));
    expect(r.touched).toBeGreaterThan(0);
    expect(segTruth.some((t) => t.offset >= 2 * PS && t.sha256 !== undefined)).toBe(true);
  });
});
