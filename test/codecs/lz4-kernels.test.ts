// The two LZ4 decode kernels (WebAssembly, asm.js fallback) against a plain byte-at-a-time reference
// decoder, on blocks built sequence by sequence so that the cases the wide copies special-case are
// hit on purpose: matches overlapping their own output at offsets 1–16, long literal runs (past the
// 16- and 32-byte vector copies, into memory.copy), literal runs at the block's end, and length
// fields whose extension bytes are 255 runs. Damaged blocks must fail alike in both kernels.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lz4DecodeBlock, lz4Kernel } from '../../core/codecs/lz4';
import { CodecError } from '../../core/errors';

type Kernel = 'wasm' | 'asm.js';
const KERNELS: Kernel[] = ['wasm', 'asm.js'];

interface Seq {
  lit: Uint8Array;
  off: number;
  ml: number;
}

function writeLen(out: number[], v: number): void {
  v -= 15;
  while (v >= 255) {
    out.push(255);
    v -= 255;
  }
  out.push(v);
}

/** Serialises sequences (offsets already valid) and a final literal run into a block. */
function buildBlock(seqs: Seq[], last: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const s of seqs) {
    const l = s.lit.length;
    const m = s.ml - 4;
    out.push(((l < 15 ? l : 15) << 4) | (m < 15 ? m : 15));
    if (l >= 15) writeLen(out, l);
    out.push(...s.lit);
    out.push(s.off & 255, s.off >>> 8);
    if (m >= 15) writeLen(out, m);
  }
  out.push((last.length < 15 ? last.length : 15) << 4);
  if (last.length >= 15) writeLen(out, last.length);
  out.push(...last);
  return Uint8Array.from(out);
}

/** The format's definition, one byte at a time: what every kernel must produce. */
function referenceDecode(seqs: Seq[], last: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const s of seqs) {
    out.push(...s.lit);
    for (let i = 0; i < s.ml; i++) out.push(out[out.length - s.off]!);
  }
  out.push(...last);
  return Uint8Array.from(out);
}

// lengths that sit on the copy strategies' edges and on the 15 / 15 + 255k length encodings
const litLen = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.constantFrom(14, 15, 16, 17, 31, 32, 33, 269, 270, 271, 524, 525, 526),
  fc.integer({ min: 0, max: 1200 }),
);
const matchLen = fc.oneof(
  fc.integer({ min: 4, max: 40 }),
  fc.constantFrom(18, 19, 20, 63, 64, 65, 273, 274, 275, 528, 529, 530),
  fc.integer({ min: 4, max: 2000 }),
);
const offset = fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 70 }), fc.integer({ min: 1, max: 65535 }));
const rawSeq = fc.record({ litLen, seed: fc.nat(), ml: matchLen, off: offset });

/** Turns drawn sequences into a valid block: literal bytes from a seed, offsets folded into range. */
function realise(raw: { litLen: number; seed: number; ml: number; off: number }[], lastLen: number, lastSeed: number): { seqs: Seq[]; last: Uint8Array } {
  const bytes = (n: number, seed: number): Uint8Array => {
    const b = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 7 ? x >>> 24 : 0; // some zero bytes, so runs repeat zero as kernel pages do
    }
    return b;
  };
  const seqs: Seq[] = [];
  let produced = 0;
  for (const r of raw) {
    const litN = produced === 0 && r.litLen === 0 ? 1 : r.litLen;
    const avail = produced + litN;
    const off = r.off <= avail ? r.off : 1 + (r.off % avail);
    seqs.push({ lit: bytes(litN, r.seed), off, ml: r.ml });
    produced = avail + r.ml;
  }
  return { seqs, last: bytes(lastLen, lastSeed) };
}

function decodeWith(kernel: Kernel, block: Uint8Array, size: number): Uint8Array | CodecError {
  const page = new Uint8Array(size).fill(0xa5);
  try {
    lz4DecodeBlock(block, page, kernel);
    return page;
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    if (page.some((v) => v !== 0xa5)) throw new Error(`${kernel}: a failed decode wrote to the page`);
    return e;
  }
}

describe('LZ4 decode kernels', () => {
  it('the WebAssembly kernel is the one in use on this platform', () => {
    expect(lz4Kernel()).toBe('wasm');
  });

  it('match the reference decoder on built blocks (overlapping offsets 1–16, long runs, end literals, 255-run lengths)', () => {
    fc.assert(
      fc.property(fc.array(rawSeq, { maxLength: 24 }), litLen, fc.nat(), (raw, lastLen, lastSeed) => {
        const { seqs, last } = realise(raw, lastLen, lastSeed);
        const block = buildBlock(seqs, last);
        const want = referenceDecode(seqs, last);
        for (const k of KERNELS) {
          const got = decodeWith(k, block, want.length);
          if (got instanceof CodecError) throw new Error(`${k}: ${got.message}`);
          expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('decode every offset 1–16 with every match length 4–80 after a short literal run', () => {
    for (let off = 1; off <= 16; off++) {
      for (let ml = 4; ml <= 80; ml++) {
        const lit = Uint8Array.from({ length: off + 3 }, (_, i) => 0x41 + i);
        const seqs = [{ lit, off, ml }];
        const last = Uint8Array.of(1, 2, 3, 4, 5);
        const block = buildBlock(seqs, last);
        const want = referenceDecode(seqs, last);
        for (const k of KERNELS) {
          const got = decodeWith(k, block, want.length);
          expect(got instanceof CodecError ? got.message : Buffer.from(got).toString('hex')).toBe(Buffer.from(want).toString('hex'));
        }
      }
    }
  });

  it('decode a block whose output is larger than the first heap (the WebAssembly memory grows)', () => {
    const lit = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
    const seqs: Seq[] = [{ lit, off: 300, ml: 150_000 }, { lit: Uint8Array.of(9), off: 65535, ml: 70_000 }];
    const last = Uint8Array.from({ length: 100 }, (_, i) => i);
    const block = buildBlock(seqs, last);
    const want = referenceDecode(seqs, last);
    expect(want.length).toBe(220_401);
    for (const k of KERNELS) {
      const got = decodeWith(k, block, want.length);
      if (got instanceof CodecError) throw new Error(`${k}: ${got.message}`);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }
    // and a small block still decodes after the growth
    const small = buildBlock([{ lit: Uint8Array.of(5, 6), off: 2, ml: 9 }], Uint8Array.of(7));
    for (const k of KERNELS) expect(Buffer.from(decodeWith(k, small, 12) as Uint8Array).toString('hex')).toBe('050605060506050605060507');
  });

  it('fail alike on damaged blocks: same area, byte offset and message, output untouched', () => {
    const tally = { runs: 0, errors: 0 };
    fc.assert(
      fc.property(
        fc.array(rawSeq, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 40 }),
        fc.nat(),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -3, max: 3 }),
        fc.oneof(fc.constant(0), fc.integer({ min: -20, max: 20 })),
        (raw, lastLen, lastSeed, edits, cut, sizeDelta) => {
          tally.runs++;
          const { seqs, last } = realise(raw, lastLen, lastSeed);
          const good = buildBlock(seqs, last);
          const size = Math.max(0, referenceDecode(seqs, last).length + sizeDelta);
          const bad = good.slice(0, Math.max(0, good.length + (cut < 0 ? cut : 0)));
          for (const e of edits) if (bad.length) bad[e.at % bad.length] = e.value;
          const [a, b] = KERNELS.map((k) => decodeWith(k, bad, size));
          if (a instanceof CodecError || b instanceof CodecError) {
            expect(a).toBeInstanceOf(CodecError);
            expect(b).toBeInstanceOf(CodecError);
            const [ea, eb] = [a as CodecError, b as CodecError];
            expect([ea.area, ea.offset, ea.message]).toEqual([eb.area, eb.offset, eb.message]);
            tally.errors++;
          } else {
            expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
          }
        },
      ),
      { numRuns: 800 },
    );
    expect(tally.errors).toBeGreaterThan(200);
    expect(tally.runs - tally.errors).toBeGreaterThan(40);
  });
});
