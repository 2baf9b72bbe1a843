// The whole stack on every layout family: a saved image file → container → kernel discovery →
// compressor plan → decode (inline and on worker threads) gives exactly the builder's truth.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SCENARIO_NAMES, buildScenario, saveSynthImage } from '../../core/synth/scenarios';
import { openCase } from '../../core/case';

const dir = mkdtempSync(path.join(tmpdir(), 'unfold-families-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openCase on every family scenario', () => {
  SCENARIO_NAMES.forEach((name, i) => {
    // a few scenarios go through the worker pool, the rest decode inline (same code, faster tests)
    const threads = i % 4 === 0 ? 2 : 0;
    it(`${name} (${threads ? 'worker threads' : 'inline'})`, async () => {
      const s = buildScenario(name);
      const { imagePath, isfPath } = await saveSynthImage(s.image, dir, name);
      const c = await openCase(imagePath, { symbols: isfPath, threads });
      try {
        const { compressor, kernel } = c.info;
        expect(kernel.arch).toBe(s.truth.arch);
        expect(compressor.family).toBe(s.truth.family);
        expect(compressor.pageSize).toBe(s.truth.pageSize);
        expect(compressor.slots).toEqual(s.truth.counts.byKind);
        expect(compressor.segments).toEqual(s.truth.counts.byState);
        expect(compressor.singleValue).toEqual(s.truth.sv);
        // the walk decodes without hashing: every outcome but the hash, and no hash taken yet
        const walked = [...c.allSlots()];
        expect(walked.map((r) => [r.segment, r.slot, r.kind, r.state, r.offset, r.compressedSize, r.value ?? null])).toEqual(
          s.truth.slots.map((t) => [t.segment, t.slot, t.kind, t.state, t.offset, t.compressedSize, t.value ?? null]),
        );
        expect(walked.filter((r) => r.sha256 !== undefined)).toEqual([]);
        // asked for, every decoded page's hash is the true one
        const got = [...c.allSlots({ hashes: true })].map((r) => [r.segment, r.slot, r.kind, r.state, r.offset, r.compressedSize, r.sha256 ?? null, r.value ?? null]);
        const want = s.truth.slots.map((t) => [t.segment, t.slot, t.kind, t.state, t.offset, t.compressedSize, t.sha256 ?? null, t.value ?? null]);
        expect(got).toEqual(want);
        for (const t of s.truth.slots.filter((x) => x.error)) {
          const r = c.slots(t.segment).find((x) => x.slot === t.slot)!;
          for (const part of t.error!) expect(r.error).toContain(part);
        }
        // a decoded page read back through page() has the true hash
        const one = s.truth.slots.find((t) => t.sha256 && t.page);
        if (one) {
          const p = c.page(one.segment, one.slot);
          expect(Buffer.from(p.page!).equals(Buffer.from(one.page!))).toBe(true);
          expect(p.compressed!.length).toBe(one.compressedSize);
        }
      } finally {
        await c.close();
      }
    });
  });
});

describe('search over single-value slots', () => {
  it('a 4-byte single-value slot is searched once, as the page it stands for', async () => {
    const s = buildScenario('F4-x86_64');
    const t = s.truth.slots.find((x) => x.kind === 'single')!;
    const value = Number(t.value);
    const { imagePath, isfPath } = await saveSynthImage(s.image, dir, 'single-search');
    const c = await openCase(imagePath, { symbols: isfPath, threads: 0 });
    try {
      const needle = [0, 1, 2, 3].map((i) => ((value >>> (8 * i)) & 255).toString(16).padStart(2, '0')).join(' ');
      const hits: { segment: number; slot: number; offset: number }[] = [];
      await c.search({ hex: [needle] }, { onHit: (h) => hits.push(h) });
      const keys = hits.map((h) => `${h.segment}/${h.slot}/${h.offset}`);
      expect(new Set(keys).size).toBe(keys.length);
      const page = Buffer.alloc(s.truth.pageSize);
      for (let o = 0; o < page.length; o += 4) page.writeUInt32LE(value >>> 0, o);
      const want: number[] = [];
      for (let o = 0; o + 4 <= page.length; o++) if (page.readUInt32LE(o) === value >>> 0) want.push(o);
      expect(hits.filter((h) => h.segment === t.segment && h.slot === t.slot).map((h) => h.offset)).toEqual(want);
    } finally {
      await c.close();
    }
  });
});
