// The walk's pieces (plan / read / decode) and what it does with damaged or inconsistent kernels:
// consistency failures, missing symbols, bad slot metadata, the demo and scale images.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverKernel } from '../../core/darwin/discover';
import { openImage } from '../../core/image';
import { lz4EncodeBlock, wkdmCompress } from '../../core/codecs';
import {
  decodeContext,
  planCompressor,
  readSegmentBuffer,
  summarize,
  summarizeWalk,
  tallySlot,
  walkCompressor,
} from '../../core/darwin/compressor';
import { checkConsistency } from '../../core/darwin/consistency';
import { fallbackUserTypes } from '../../core/darwin/layouts';
import { createScratch, decodeSegmentSlots, type SlotMeta } from '../../core/darwin/slot-decode';
import { parseSvTable } from '../../core/darwin/svtable';
import type { SlotRecord } from '../../core/darwin/types';
import { DiscoveryError } from '../../core/errors';
import type { SymbolTable } from '../../core/symbols/types';
import { buildCompressor, heapPage, randomPage, sha256, sparsePage, textPage, type CompressorTruth } from '../../core/synth/compressor';
import { createSynthKernel, type SynthKernelBuilder } from '../../core/synth/kernel';
import {
  DEMO_SECRET,
  buildDemoImage,
  buildScaleImage,
  buildScenario,
  openSynthImage,
  saveSynthImage,
  scenarioDef,
  scenarioSpec,
  type OpenedImage,
} from '../../core/synth/scenarios';

function hide(t: SymbolTable, names: string[]): SymbolTable {
  return {
    source: t.source,
    banner: t.banner,
    baseTypes: t.baseTypes,
    userTypes: t.userTypes,
    enums: t.enums,
    symbolAddress: (n) => (names.includes(n) ? undefined : t.symbolAddress(n)),
    hasSymbol: (n) => !names.includes(n) && t.hasSymbol(n),
    symbolNames: () => [...t.symbolNames()].filter((n) => !names.includes(n)),
  };
}

function buildPatched(name: string, patch: (k: SynthKernelBuilder, t: CompressorTruth) => void): { o: OpenedImage; truth: CompressorTruth } {
  const def = scenarioDef(name);
  const kernel = createSynthKernel({ arch: def.arch, banner: def.banner, seed: def.xnu[0] });
  const truth = buildCompressor(kernel, scenarioSpec(def));
  patch(kernel, truth);
  return { o: openSynthImage(kernel.finish()), truth };
}

const walkOpened = (o: OpenedImage) => walkCompressor(o.space, o.symbols, o.version, { slide: o.slide });

describe('consistency checks', () => {
  it('10.13+: one segment with c_slots_used off by one, and c_segment_pages_compressed off by one', () => {
    const b = buildScenario('F4-x86_64', { inconsistent: true });
    const res = walkOpened(b.open());
    const c = res.summary.consistency;
    expect(c.ok).toBe(false);
    const live = b.truth.slots.length;
    const svPages = b.truth.sv.reduce((a, e) => a + e.refCount, 0);
    const byName = Object.fromEntries(c.checks.map((x) => [x.name, x]));
    expect(byName['live slots vs c_slots_used']).toMatchObject({ expected: live + 1, found: live, ok: false });
    expect(byName['live slots vs c_slots_used']!.note).toMatch(/^1 segment\(s\) disagree with c_slots_used: segment 1: \d+ live, c_slots_used \d+$/);
    expect(byName['live slot bytes vs c_bytes_used']!.ok).toBe(true);
    expect(byName['pages vs c_segment_pages_compressed']).toMatchObject({ expected: live + svPages + 1, found: live + svPages, ok: false });
    expect(byName['segment 1: live slots vs c_slots_used']).toMatchObject({ ok: false });
    expect(c.checks).toHaveLength(4);
  });

  it('10.11: c_bytes_used off by 4 (no c_slots_used before 10.13)', () => {
    const b = buildScenario('F2-x86_64', { inconsistent: true });
    const c = walkOpened(b.open()).summary.consistency;
    expect(c.ok).toBe(false);
    expect(c.checks.map((x) => x.name)).toEqual([
      'live slot bytes vs c_bytes_used',
      'pages vs c_segment_pages_compressed',
      'segment 1: live slot bytes vs c_bytes_used',
    ]);
    const bytes = c.checks[0]!;
    expect(bytes.expected - bytes.found).toBe(4);
    expect(c.checks[2]).toMatchObject({ expected: bytes.expected - (bytes.found - c.checks[2]!.found), ok: false });
  });

  it('pure function: expected vs found per check', () => {
    const c = checkConsistency({
      hasSlotsUsed: true,
      pagesCompressed: 10,
      segments: [
        { index: 3, slotsUsed: 2, bytesUsed: 100, liveSlots: 2, roundedBytes: 100 },
        { index: 5, slotsUsed: 5, bytesUsed: 40, liveSlots: 5, roundedBytes: 40 },
      ],
      sv: [{ index: 0, value: '0x00000000', refCount: 3 }],
    });
    expect(c).toEqual({
      ok: true,
      checks: [
        { name: 'live slots vs c_slots_used', expected: 7, found: 7, ok: true },
        { name: 'live slot bytes vs c_bytes_used', expected: 140, found: 140, ok: true },
        { name: 'pages vs c_segment_pages_compressed', expected: 10, found: 10, ok: true, note: '7 live slots + 3 single-value pages in the sv table' },
      ],
    });
  });
});

describe('plan / read / decode pieces', () => {
  it('the plan holds the header, compact slot lists, final undecoded records and the sv table', () => {
    const b = buildScenario('F8-x86_64');
    const o = b.open();
    const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    const h = plan.header;
    expect(h).toMatchObject({
      family: 'F8',
      layoutSource: 'isf',
      arch: 'x86_64',
      pageSize: 4096,
      dictPreset: 0,
      xnu: '8019.80.24',
      bufSize: 256 * 1024,
      allocSize: 256 * 1024,
      fixedArrayLen: 65,
      segmentsAvailable: b.truth.segmentsAvailable,
      segmentCount: b.truth.segmentCount,
      compressorMode: 4,
      currentCodec: 3,
      segmentsBusy: false,
    });
    expect(h.swapFiles).toEqual([
      { index: 1, path: '/System/Volumes/VM/swapfile0' },
      { index: 2, path: '/System/Volumes/VM/swapfile1' },
    ]);
    // free links are counted, C_IS_FREE and the wrong c_mysegno are listed with their reason
    expect(h.freeEntries).toBe(b.truth.notSegments.length - 2);
    expect(h.ignored.map((x) => x.reason).sort()).toEqual(['C_IS_FREE (being freed)', expect.stringMatching(/^c_mysegno is \d+, not \d+$/)].sort());
    expect(plan.sv).toEqual(b.truth.sv);
    // slot metadata: plain numbers, every live slot in exactly one of slots / undecoded
    let n = 0;
    for (const seg of plan.segments) {
      for (const s of seg.slots) {
        expect(Object.keys(s).sort()).toEqual(['codec', 'offset', 'size', 'slot']);
        expect(s.offset + s.size).toBeLessThanOrEqual(seg.readLength);
      }
      n += seg.slots.length + seg.undecoded.length;
      expect(seg.liveSlots).toBe(seg.slots.length + seg.undecoded.length);
    }
    expect(n).toBe(b.truth.slots.length);
  });

  it('readSegmentBuffer reads past an absent page: only that page is a hole, named by address', () => {
    const b = buildScenario('F5-x86_64');
    const o = b.open();
    const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    const missingSeg = b.truth.byName['missing-page-0']!.segment;
    const seg = plan.segments.find((s) => s.summary.index === missingSeg)!;
    const buf = readSegmentBuffer(o.space, seg);
    const holeVa = BigInt(seg.summary.buffer!) + 4096n;
    expect(buf.holes).toHaveLength(1);
    expect(buf.holes[0]!.from).toBe(4096);
    expect(buf.holes[0]!.to).toBe(8192);
    expect(buf.holes[0]!.error).toMatch(new RegExp(`^virtual address 0x${holeVa.toString(16)} is not mapped`));
    expect(buf.bytes.length).toBe(seg.readLength);
    expect(buf.bytes.subarray(4096, 8192).every((x) => x === 0)).toBe(true);
    // the pages after the hole are read
    expect(seg.readLength).toBeGreaterThan(8192);
    expect(Buffer.compare(buf.bytes.subarray(8192), o.space.read(holeVa + 4096n, seg.readLength - 8192))).toBe(0);
    const lost = b.truth.slots.filter((t) => t.segment === missingSeg && t.kind === 'corrupt').length;
    const kept = b.truth.slots.filter((t) => t.segment === missingSeg && t.kind !== 'corrupt').length;
    expect(lost).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(1);
    expect(seg.summary.problems).toEqual([`buffer page 0x${holeVa.toString(16)} (offset 0x1000) is not present in the image: ${lost} slot(s) touching it are unreadable`]);
    const other = plan.segments.find((s) => s.summary.resident && s.summary.index !== missingSeg)!;
    expect(readSegmentBuffer(o.space, other).holes).toEqual([]);
  });

  it('plan → read → decode → tally → summarize gives exactly what walkCompressor gives', () => {
    const b = buildScenario('F7-arm64');
    const o = b.open();
    const whole = walkOpened(o);
    const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    const all: SlotRecord[] = [];
    // decode in reverse segment order (as a pool might finish them), then sort
    for (const seg of [...plan.segments].reverse()) {
      const recs = [...seg.undecoded];
      const buf = readSegmentBuffer(o.space, seg);
      decodeSegmentSlots(buf.bytes, buf.holes, seg.slots, decodeContext(plan, seg), (r) => recs.push(r));
      for (const r of recs) tallySlot(seg.summary, r);
      all.push(...recs);
    }
    all.sort((a, b2) => a.segment - b2.segment || a.slot - b2.slot);
    expect(all).toEqual(whole.slots);
    expect(summarize(plan)).toEqual(whole.summary);
    // the pool's composition: records by segment → summaries (idempotent)
    const bySeg = new Map<number, SlotRecord[]>();
    for (const r of all) bySeg.set(r.segment, [...(bySeg.get(r.segment) ?? []), r]);
    summarizeWalk(plan, bySeg);
    const again = summarizeWalk(plan, bySeg);
    expect(again.compressor).toEqual(whole.summary);
    expect(again.segments).toEqual(whole.segments);
  });
});

describe('decodeSegmentSlots (pure)', () => {
  const ctx = { segment: 7, state: 'C_ON_AGE_Q', pageSize: 4096, dictPreset: 0 as const, arch: 'x86_64' as const, bufferVa: '0xffffff8080000000' };

  it('decodes raw, single, MZV, WKdm and (arm64) LZ4 slots and hashes the pages', () => {
    const text = textPage(1, 4096);
    const heap = heapPage(2, 4096);
    const sparse = sparsePage(3, 4096, 4);
    const raw = randomPage(4, 4096);
    const w = new Uint8Array(4096);
    const wn = wkdmCompress(heap, w, { pageSize: 4096, variant: 'xnu-3247' });
    const m = new Uint8Array(4096);
    const mn = wkdmCompress(sparse, m, { pageSize: 4096, variant: 'xnu-3247' });
    const l = new Uint8Array(4096);
    const ln = lz4EncodeBlock(text, l);
    expect(wn).toBeGreaterThan(0);
    expect(mn).toBeGreaterThan(0);
    const parts = [raw, new Uint8Array([0xef, 0xbe, 0xad, 0xde]), m.subarray(0, mn), w.subarray(0, wn), l.subarray(0, ln)];
    const bytes = new Uint8Array(parts.reduce((a, p) => a + ((p.length + 3) & ~3), 0));
    const slots: SlotMeta[] = [];
    let off = 0;
    parts.forEach((p, i) => {
      bytes.set(p, off);
      slots.push({ slot: i, offset: off, size: p.length, codec: i === 4 ? 1 : 0 });
      off += (p.length + 3) & ~3;
    });
    const recs: SlotRecord[] = [];
    const pages: string[] = [];
    decodeSegmentSlots(bytes, undefined, slots, { ...ctx, arch: 'arm64' }, (r, page) => {
      recs.push(r);
      pages.push(page ? sha256(page) : '');
    }, createScratch(4096));
    const single = new Uint8Array(4096);
    for (let i = 0; i < 4096; i += 4) single.set([0xef, 0xbe, 0xad, 0xde], i);
    expect(recs.map((r) => r.kind)).toEqual(['raw', 'single', 'mzv', 'wkdm', 'lz4']);
    expect(recs.map((r) => r.sha256)).toEqual([raw, single, sparse, heap, text].map(sha256));
    expect(pages).toEqual(recs.map((r) => r.sha256));
    expect(recs[1]!.value).toBe('0xdeadbeef');
    expect(recs.every((r) => r.segment === 7 && r.state === 'C_ON_AGE_Q' && r.error === undefined)).toBe(true);
  });

  it('10.9–10.10 (preset 1): a 4-byte slot is not a single value; WKdm streams use dictionary preset 1', () => {
    const zero = new Uint8Array(4096);
    const w = new Uint8Array(4096);
    const n = wkdmCompress(zero, w, { pageSize: 4096, variant: 'xnu-2422' });
    expect(n).toBe(268);
    const bytes = new Uint8Array(268 + 4);
    bytes.set(w.subarray(0, n));
    bytes.set([1, 2, 3, 4], 268);
    const recs: SlotRecord[] = [];
    decodeSegmentSlots(bytes, undefined, [{ slot: 0, offset: 0, size: 268, codec: 0 }, { slot: 1, offset: 268, size: 4, codec: 0 }], { ...ctx, dictPreset: 1 }, (r) => recs.push(r));
    expect(recs[0]).toMatchObject({ kind: 'wkdm', sha256: sha256(zero) });
    expect(recs[1]!.kind).toBe('corrupt');
    expect(recs[1]!.error).toMatch(/^segment 7 slot 1 at buffer offset 0x10c: wkdm: /);
  });

  it('garbage and bytes missing from the image become corrupt records, never exceptions', () => {
    const bytes = new Uint8Array(8192);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 255;
    const slots: SlotMeta[] = [];
    for (let i = 0; i < 40; i++) slots.push({ slot: i, offset: i * 100, size: 5 + ((i * 37) % 600), codec: (i % 2) as 0 | 1 });
    slots.push({ slot: 40, offset: 4000, size: 1000, codec: 0 });
    const recs: Array<[SlotRecord, Uint8Array | null]> = [];
    decodeSegmentSlots(bytes, [{ from: 4096, to: 8192, error: 'test hole' }], slots, { ...ctx, arch: 'arm64' }, (r, p) => recs.push([r, p]));
    expect(recs).toHaveLength(41);
    for (const [r, p] of recs) {
      if (r.kind === 'corrupt') {
        expect(p).toBeNull();
        expect(r.sha256).toBeUndefined();
        expect(r.error).toMatch(new RegExp(`^segment 7 slot ${r.slot} at buffer offset 0x[0-9a-f]+: `));
      }
    }
    const last = recs[40]![0];
    expect(last.kind).toBe('corrupt');
    expect(last.error).toBe('segment 7 slot 40 at buffer offset 0xfa0: buffer page at 0xffffff8080001000 (offset 0x1000) is not present in the image (test hole)');
  });
});

describe('damaged kernel structures', () => {
  it('no c_segments symbol: a DiscoveryError NO_COMPRESSOR', () => {
    const o = buildScenario('F3-x86_64').open();
    expect(() => walkCompressor(o.space, hide(o.symbols, ['c_segments']), o.version, { slide: o.slide })).toThrow(DiscoveryError);
    try {
      walkCompressor(o.space, hide(o.symbols, ['c_segments_available']), o.version, { slide: o.slide });
    } catch (e) {
      expect((e as DiscoveryError).code).toBe('NO_COMPRESSOR');
      expect((e as Error).message).toContain('c_segments_available');
    }
  });

  it('c_seg_fixed_array_len missing: the computed length is assumed and said', () => {
    const b = buildScenario('F4-x86_64');
    const o = b.open();
    const res = walkCompressor(o.space, hide(o.symbols, ['c_seg_fixed_array_len']), o.version, { slide: o.slide });
    expect(res.summary.problems[0]).toBe('c_seg_fixed_array_len not readable; assuming 113 (computed for F4 x86_64)');
    expect(res.slots.filter((r) => r.sha256).length).toBe(b.truth.slots.filter((x) => x.sha256).length);
  });

  it('slot metadata past c_nextoffset, a bad variable-array pointer and an absurd c_nextslot', () => {
    const seg = fallbackUserTypes('F4', 'x86_64')['c_segment']!;
    const fixedOff = seg.fields['c_slot_fixed_array']!.offset;
    let manySeg = 0;
    let firstSeg = 0;
    const { o, truth } = buildPatched('F4-x86_64', (k, t) => {
      // slot 1 of the first segment: c_offset far beyond c_nextoffset (bits 0–15 of the slot word)
      firstSeg = t.byName['offset0-text']!.segment;
      const s0 = t.segments.find((s) => s.index === firstSeg)!;
      k.writeU16(s0.va + BigInt(fixedOff + 8), 0xfff0);
      // the many-slot segment: its variable array pointer replaced by garbage
      manySeg = t.byName['many-0']!.segment;
      const sm = t.segments.find((s) => s.index === manySeg)!;
      k.writeU64(sm.va + BigInt(seg.fields['c_slot_var_array']!.offset), 0x1234n);
      // the above-count segment: c_nextslot 5000
      const sa = t.segments.find((s) => s.index === t.byName['above-count-heap']!.segment)!;
      k.writeU16(sa.va + BigInt(seg.fields['c_nextslot']!.offset), 5000);
    });
    const res = walkOpened(o);
    const r1 = res.slots.find((r) => r.segment === firstSeg && r.slot === 1)!;
    expect(r1.kind).toBe('corrupt');
    expect(r1.error).toMatch(/^segment \d+ slot 1 at buffer offset 0x3ffc0: slot ends at 0x[0-9a-f]+, past c_nextoffset \(0x[0-9a-f]+ bytes\)$/);
    const varSlots = res.slots.filter((r) => r.segment === manySeg && r.slot >= 113);
    // all of slots 113..132 are listed: with the array unreadable, freed slots cannot be told apart
    expect(varSlots.map((r) => r.slot)).toEqual(Array.from({ length: 20 }, (_, i) => 113 + i));
    for (const r of varSlots) {
      expect(r.kind).toBe('corrupt');
      expect(r.error).toBe(`segment ${manySeg} slot ${r.slot}: c_slot_var_array = 0x1234 is not a kernel pointer`);
    }
    expect(res.summary.problems.some((p) => p.startsWith(`segment ${truth.byName['above-count-heap']!.segment}: c_nextslot is 5000, above the 1024 slots`))).toBe(true);
    // the rest of the walk is intact
    expect(res.slots.find((r) => r.segment === firstSeg && r.slot === 0)!.sha256).toBe(truth.byName['offset0-text']!.sha256);
    expect(res.summary.consistency.ok).toBe(false);
  });
});

describe('buffer address validation (10.11+)', () => {
  it('a resident c_store.c_buffer that is not c_buffers + index × allocsize is reported', () => {
    const seg = fallbackUserTypes('F6', 'x86_64')['c_segment']!;
    let idx = 0;
    let moved = 0n;
    const { o } = buildPatched('F6-x86_64', (k, t) => {
      const s = t.segments.find((x) => x.index === t.byName['above-count-heap']!.segment)!;
      idx = s.index;
      moved = s.bufferVa! + 0x100000n;
      k.writeU64(s.va + BigInt(seg.fields['c_store']!.offset), moved);
    });
    const res = walkOpened(o);
    const g = res.segments.find((x) => x.index === idx)!;
    expect(g.buffer).toBe('0x' + moved.toString(16));
    expect(g.problems[0]).toMatch(new RegExp(`^c_store.c_buffer is 0x${moved.toString(16)}, expected c_buffers \\+ ${idx} × 0x40000 = 0x[0-9a-f]+$`));
    expect(res.slots.filter((r) => r.segment === idx).every((r) => r.kind === 'corrupt')).toBe(true);
  });
});

describe('single-value table', () => {
  it('lists entries with a non-zero reference count only', () => {
    const b = new Uint8Array(1024 * 8);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 37, true);
    dv.setUint32(4, 0, true);
    dv.setUint32(8 * 1023, 2, true);
    dv.setUint32(8 * 1023 + 4, 0xfffffffe, true);
    dv.setUint32(8 * 500 + 4, 0x12345678, true); // value without references: not listed
    expect(parseSvTable(b)).toEqual([
      { index: 0, value: '0x00000000', refCount: 37 },
      { index: 1023, value: '0xfffffffe', refCount: 2 },
    ]);
  });
});

describe('end to end: image file → discovery → walk', () => {
  it('a saved raw image and ISF open through openImage and discoverKernel and walk to the truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unfold-walk-'));
    try {
      for (const [base, b] of [
        ['demo', buildDemoImage()],
        ['f6-arm64', buildScenario('F6-arm64')],
      ] as const) {
        const p = await saveSynthImage(b.image, dir, base);
        const image = await openImage(p.imagePath);
        try {
          const k = await discoverKernel(image, p.isfPath);
          const res = walkCompressor(k.space, k.symbolTable, k.version, { slide: k.slide });
          expect(res.slots.map((r) => [r.segment, r.slot, r.kind, r.sha256])).toEqual(
            b.truth.slots.map((x) => [x.segment, x.slot, x.kind, x.sha256]),
          );
        } finally {
          image.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('demo and scale images', () => {
  it('demo: the planted secrets are in the decoded pages where the builder put them', () => {
    const d = buildDemoImage();
    const o = d.open();
    const found: string[] = [];
    const res = walkCompressor(o.space, o.symbols, o.version, {
      slide: o.slide,
      onPage: (rec, page) => {
        const p = d.planted.find((x) => x.segment === rec.segment && x.slot === rec.slot);
        if (!p || !page) return;
        const bytes =
          p.encoding === 'ascii'
            ? Buffer.from(p.text, 'latin1')
            : Buffer.from(p.text, 'utf16le');
        expect(Buffer.from(page.subarray(p.pageOffset, p.pageOffset + bytes.length)).equals(bytes)).toBe(true);
        found.push(p.text);
      },
    });
    expect(found.sort()).toEqual(d.planted.map((p) => p.text).sort());
    expect(d.planted.filter((p) => p.encoding === 'utf16le')).toHaveLength(2);
    expect(d.planted.every((p) => p.text.includes(DEMO_SECRET))).toBe(true);
    expect(res.slots.length).toBe(d.truth.slots.length);
    expect(res.slots.length).toBeGreaterThan(250);
    expect(res.summary.consistency.ok).toBe(true);
  });

  it('scale: every page decodes, hashes differ, counters agree', () => {
    const s = buildScaleImage({ pages: 3000 });
    const res = walkOpened(s.open());
    expect(res.slots).toHaveLength(3000);
    expect(res.slots.every((r) => r.sha256 !== undefined)).toBe(true);
    expect(new Set(res.slots.map((r) => r.sha256)).size).toBe(3000);
    expect(res.summary.consistency.ok).toBe(true);
    expect(res.summary.compressedBytes).toBe(s.compressedBytes);
    expect(res.segments).toHaveLength(s.segments);
  });
});
