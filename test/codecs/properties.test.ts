// Compress then decompress is the identity, for both encoder generations and both page sizes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyStream, decodePage } from '../../core/codecs/page';
import { singleValueOf, wkdmCompress, wkdmDecompress } from '../../core/codecs/wkdm';
import { lz4DecodeBlock, lz4EncodeBlock } from '../../core/codecs/lz4';
import { makePage, PAGE_KINDS } from './pages';

const VARIANTS = ['xnu-2422', 'xnu-3247'] as const;
const SIZES = [4096, 16384] as const;

const pageArb = fc.record({
  kind: fc.constantFrom(...PAGE_KINDS),
  seed: fc.integer(),
  size: fc.constantFrom(...SIZES),
});

describe('WKdm compress → decompress', () => {
  for (const variant of VARIANTS) {
    it(`is the identity for ${variant} on structured and random pages`, () => {
      const out = new Uint8Array(16384 + 4096);
      const back = new Uint8Array(16384);
      const seen = { stream: 0, mzv: 0, single: 0, abort: 0 };
      fc.assert(
        fc.property(pageArb, ({ kind, seed, size }) => {
          const page = makePage(kind, seed, size);
          const r = wkdmCompress(page, out, { pageSize: size, variant });
          const sv = singleValueOf(page);
          if (r > 0) {
            expect(r).toBeLessThanOrEqual(size - 4);
            const stream = out.subarray(0, r);
            const preset = variant === 'xnu-2422' ? 1 : 0;
            const p = back.subarray(0, size);
            wkdmDecompress(stream, p, { pageSize: size, dictPreset: preset });
            expect(Buffer.from(p).equals(Buffer.from(page))).toBe(true);
            // the walker's path: classify, then decode by kind
            const cls = classifyStream(stream, size, preset);
            if (cls === 'mzv') seen.mzv++;
            else seen.stream++;
            p.fill(0xee);
            decodePage(cls, stream, p, { pageSize: size, dictPreset: preset });
            expect(Buffer.from(p).equals(Buffer.from(page))).toBe(true);
            if (variant === 'xnu-3247') expect(sv).toBeNull();
          } else if (r === 0) {
            seen.single++;
            expect(variant).toBe('xnu-3247');
            expect(sv).not.toBeNull();
          } else {
            seen.abort++;
            expect(r).toBe(-1);
            if (variant === 'xnu-3247') expect(sv).toBeNull();
          }
        }),
        { numRuns: 400 },
      );
      expect(seen.stream).toBeGreaterThan(0);
      expect(seen.abort).toBeGreaterThan(0);
      if (variant === 'xnu-3247') {
        expect(seen.single).toBeGreaterThan(0);
        expect(seen.mzv).toBeGreaterThan(0);
      }
    });
  }

  it('returns 0 for every single-value page (xnu-3247), and never for xnu-2422', () => {
    const out = new Uint8Array(20480);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...SIZES), (v, size) => {
        const page = new Uint8Array(size);
        new DataView(page.buffer).setUint32(0, v, true);
        for (let o = 4; o < size; o += 4) page.copyWithin(o, 0, 4);
        expect(singleValueOf(page)).toBe(v);
        expect(wkdmCompress(page, out, { pageSize: size, variant: 'xnu-3247' })).toBe(0);
        const r = wkdmCompress(page, out, { pageSize: size, variant: 'xnu-2422' });
        expect(r).toBeGreaterThan(0);
        const back = new Uint8Array(size);
        wkdmDecompress(out.subarray(0, r), back, { pageSize: size, dictPreset: 1 });
        expect(Buffer.from(back).equals(Buffer.from(page))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('honours a smaller budget: a stream is returned only if it fits', () => {
    const out = new Uint8Array(20480);
    fc.assert(
      fc.property(pageArb, fc.integer({ min: 0, max: 16384 }), fc.constantFrom(...VARIANTS), ({ kind, seed, size }, b, variant) => {
        const page = makePage(kind, seed, size);
        const budget = b % size;
        const free = wkdmCompress(page, out, { pageSize: size, variant, budget: size * 2 });
        const freeWord0 = out[0]! | (out[1]! << 8) | (out[2]! << 16) | (out[3]! << 24);
        const r = wkdmCompress(page, out, { pageSize: size, variant, budget });
        if (r > 0) {
          expect(r).toBeLessThanOrEqual(budget);
          expect(r).toBe(free);
        }
        // a standard stream that fits is returned as is; an MZV stream may not be, because Apple's
        // compressor checks the budget while writing the standard stream, before it picks MZV
        const isMzv = free > 0 && freeWord0 === 0x4321;
        if (free > 0 && !isMzv && free + 4 <= budget) expect(r).toBe(free);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LZ4 encode → decode', () => {
  it('is the identity on pages and odd lengths', () => {
    const out = new Uint8Array(40000);
    fc.assert(
      fc.property(pageArb, fc.integer({ min: 0, max: 16384 }), ({ kind, seed, size }, len) => {
        const data = makePage(kind, seed, size).subarray(0, Math.min(len, size));
        const n = lz4EncodeBlock(data, out);
        expect(n).toBeGreaterThan(0);
        const back = new Uint8Array(data.length);
        lz4DecodeBlock(out.subarray(0, n), back);
        expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('returns 0 when the block does not fit the output', () => {
    const page = makePage('random', 7, 4096);
    expect(lz4EncodeBlock(page, new Uint8Array(4096))).toBe(0);
    const zero = new Uint8Array(4096);
    const out = new Uint8Array(64);
    const n = lz4EncodeBlock(zero, out);
    expect(n).toBeGreaterThan(0);
    expect(lz4EncodeBlock(zero, new Uint8Array(n - 1))).toBe(0);
  });

  it('encodes the empty input as one empty token', () => {
    const out = new Uint8Array(4);
    expect(lz4EncodeBlock(new Uint8Array(0), out)).toBe(1);
    expect(out[0]).toBe(0);
    lz4DecodeBlock(out.subarray(0, 1), new Uint8Array(0));
  });
});
