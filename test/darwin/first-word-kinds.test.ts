// The overview's kinds (issue 14): kindsFromFirstWords reads only the first word of the slots whose
// kind hangs on it, in physical order, and must give exactly what counting every whole buffer
// gives (kindsFromBuffer over readSegmentBuffer), on every layout family (LZ4 codec bits, the
// 10.9–10.10 dictionary preset, 16 KiB pages) and on an image that lacks buffer pages, whether the
// words are read a window at a time or one by one.
import { describe, expect, it } from 'vitest';
import { TruncatedImageError } from '../../core/errors';
import { planCompressor, readSegmentBuffer } from '../../core/darwin/compressor';
import { bufferHoles, kindsFromBuffer, kindsFromFirstWords } from '../../core/darwin/metadata-summary';
import { SCENARIO_NAMES, buildScenario } from '../../core/synth/scenarios';
import { memoryImage } from '../../core/synth/kernel';
import { SparseMemoryImpl } from '../../core/synth/memory';
import { createSpace } from '../../core/translate';
import type { PhysicalImage } from '../../core/image/types';
import { fromIsfObject } from '../../core/symbols/isf';
import { parseBanner } from '../../core/darwin/version';

/** the memory without the 4 KiB physical pages in `drop` */
function dropPages(mem: SparseMemoryImpl, drop: Set<number>): SparseMemoryImpl {
  const chunks: Array<{ start: number; data: Uint8Array }> = [];
  for (const c of mem.chunks) {
    let runStart = -1;
    for (let off = 0; off <= c.data.length; off += 4096) {
      const keep = off < c.data.length && !drop.has(c.start + off);
      if (keep && runStart < 0) runStart = off;
      if (!keep && runStart >= 0) {
        chunks.push({ start: c.start + runStart, data: c.data.slice(runStart, off) });
        runStart = -1;
      }
    }
  }
  return new SparseMemoryImpl(mem.size, chunks);
}

async function compare(image: PhysicalImage, name: string, s: ReturnType<typeof buildScenario>): Promise<number> {
  const space = createSpace(s.image.arch, image, s.image.dtb);
  const symbols = fromIsfObject(s.image.isf, 'synthetic ISF');
  const version = parseBanner(s.image.banner)!;
  const plan = planCompressor(space, symbols, version, { slide: s.image.slide });
  const resident = plan.segments.filter((g) => g.bufferVa !== null && g.slots.length > 0) as Array<(typeof plan.segments)[0] & { bufferVa: bigint }>;
  expect(resident.length, name).toBeGreaterThan(0);
  const { pageSize, dictPreset } = plan.header;
  const want = resident.map((g) => {
    const buf = readSegmentBuffer(space, g);
    return { ...kindsFromBuffer(buf.bytes, buf.holes, g.slots, pageSize, dictPreset), holes: buf.holes.map((h) => [h.from, h.to]) };
  });
  for (const reads of [{}, { dense: 0 }, { dense: Infinity, window: 1 << 30 }, { window: 4096 }]) {
    const got = await kindsFromFirstWords(space, image, resident, pageSize, dictPreset, undefined, reads);
    expect(got.map((g) => ({ counts: g.counts, unreadable: g.unreadable, holes: g.holes.map((h) => [h.from, h.to]) })), `${name} ${JSON.stringify(reads)}`).toEqual(want);
  }
  return want.reduce((n, w) => n + w.unreadable, 0);
}

describe('kindsFromFirstWords', () => {
  for (const name of SCENARIO_NAMES) {
    it(`counts every kind as whole buffers do: ${name}`, async () => {
      const s = buildScenario(name);
      await compare(memoryImage(s.image.memory), name, s);
    });
  }

  it('granuleBases translates a run of granules as tryTranslate does, page by page (mapped, unmapped, absent)', () => {
    for (const name of ['F9-arm64', 'F4-x86_64']) {
      const s = buildScenario(name);
      const space = createSpace(s.image.arch, memoryImage(s.image.memory), s.image.dtb);
      const plan = planCompressor(space, fromIsfObject(s.image.isf, 'synthetic ISF'), parseBanner(s.image.banner)!, { slide: s.image.slide });
      let unmapped = 0;
      for (const g of plan.segments) {
        if (g.bufferVa === null) continue;
        // from a byte inside the first granule, and past the buffer's end into what may be unmapped
        const va = g.bufferVa + 100n;
        const n = Math.ceil(g.readLength / space.pageSize) + 64;
        const out = new Float64Array(n);
        space.granuleBases!(va, n, out);
        for (let i = 0; i < n; i++) {
          const t = space.tryTranslate(va - 100n + BigInt(i * space.pageSize));
          expect(out[i], `${name} segment ${g.summary.index} granule ${i}`).toBe(t);
          if (t < 0) unmapped++;
        }
      }
      expect(unmapped, name).toBeGreaterThan(0);
    }
  });

  it('counts the slots on absent buffer pages as unreadable, as whole buffers do', async () => {
    const s = buildScenario('F9-arm64');
    const whole = memoryImage(s.image.memory);
    const space = createSpace(s.image.arch, whole, s.image.dtb);
    const plan = planCompressor(space, fromIsfObject(s.image.isf, 'synthetic ISF'), parseBanner(s.image.banner)!, { slide: s.image.slide });
    // every third physical 4 KiB page of every resident buffer
    const drop = new Set<number>();
    for (const g of plan.segments) {
      if (g.bufferVa === null) continue;
      for (let o = 0; o < g.readLength; o += 4096 * 3) {
        const p = space.tryTranslate(g.bufferVa + BigInt(o));
        if (p >= 0) drop.add(p - (p % 4096));
      }
    }
    const mem = s.image.memory as SparseMemoryImpl;
    const unreadable = await compare(memoryImage(dropPages(mem, drop)), 'F9-arm64 with pages dropped', s);
    expect(unreadable).toBeGreaterThan(0);
  });
});

describe('a container that describes bytes its file cannot give (a truncated LiME or ELF file)', () => {
  for (const variant of ['pages without a needed word, the container says it is truncated', 'pages with a needed word, no note'] as const) {
    it(`counts kinds and finds the unreadable pages by reading the buffers, as the walk does (${variant})`, async () => {
      const noted = variant.startsWith('pages without');
      const s = buildScenario('F9-arm64');
      const inner = memoryImage(s.image.memory);
      const space0 = createSpace(s.image.arch, inner, s.image.dtb);
      const plan0 = planCompressor(space0, fromIsfObject(s.image.isf, 'synthetic ISF'), parseBanner(s.image.banner)!, { slide: s.image.slide });
      // buffer pages that hold no first word the kinds need read as past the end of the file, though
      // the header lists them: only reading whole buffers (or the container's note) can find them
      const ps = space0.pageSize;
      const pageOf = (va: bigint) => space0.tryTranslate(va - (va % BigInt(ps)));
      const needed = new Set<number>();
      for (const g of plan0.segments) {
        if (g.bufferVa === null) continue;
        for (const m of g.slots) if (m.size !== plan0.header.pageSize && m.codec !== 1 && m.size > 4) needed.add(pageOf(g.bufferVa + BigInt(m.offset)));
      }
      const gone = new Set<number>();
      for (const g of plan0.segments) {
        if (g.bufferVa === null) continue;
        for (let o = 0; o < g.readLength; o += ps) {
          const p = pageOf(g.bufferVa + BigInt(o));
          // the second variant: every other page holding a word the kinds read fails to read
          if (p >= 0 && (noted ? !needed.has(p) : needed.has(p) && (o / ps) % 2 === 1)) gone.add(p);
        }
      }
      expect(gone.size).toBeGreaterThan(0);
      const cut: PhysicalImage = {
        format: 'lime',
        path: 'cut.lime',
        files: ['cut.lime'],
        ranges: inner.ranges,
        notes: noted ? ['truncated: physical 0x0 maps to file offset 0x0, file ends at 0x0'] : [],
        isPresent: (phys, length) => inner.isPresent(phys, length),
        readInto: (phys, out, o, n) => {
          for (let p = phys - (phys % space0.pageSize); p < phys + n; p += space0.pageSize) {
            if (gone.has(p)) throw new TruncatedImageError(p, p, 0, 'cut.lime');
          }
          inner.readInto(phys, out, o, n);
        },
        read: (phys, n) => {
          const b = new Uint8Array(n);
          cut.readInto(phys, b, 0, n);
          return b;
        },
        close: () => {},
      };
      const unreadable = await compare(cut, `F9-arm64 cut short (${variant})`, s);
      expect(unreadable).toBeGreaterThan(0);
      if (!noted) return;
      // and where translation alone would say present (what page uses), the note makes it read
      const space = createSpace(s.image.arch, cut, s.image.dtb);
      for (const g of plan0.segments) {
        if (g.bufferVa === null || g.readLength === 0) continue;
        expect(bufferHoles(space, cut, g.bufferVa, g.readLength).map((h) => [h.from, h.to])).toEqual(readSegmentBuffer(space, g).holes.map((h) => [h.from, h.to]));
      }
    });
  }
});
