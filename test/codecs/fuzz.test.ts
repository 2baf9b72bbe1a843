// Damaged input: thousands of mutated and truncated vectors. The decoders must either produce a page
// or throw CodecError — no other exception, no hang — and must never write outside the page they
// were given (the page is a view into a larger buffer whose guard bytes are checked).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../core/errors';
import { lz4DecodeBlock } from '../../core/codecs/lz4';
import { decodePage } from '../../core/codecs/page';
import { wkdmDecompress } from '../../core/codecs/wkdm';
import { dictPresetOf, manifest, vectorFile, type VectorCase } from './vectors';

const GUARD = 64;
const GUARD_BYTE = 0xc3;

interface Mutation {
  kind: 'flip' | 'set' | 'header' | 'truncate' | 'extend' | 'mzvOffset' | 'splice';
  pos: number;
  value: number;
  count: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'header', 'truncate', 'extend', 'mzvOffset', 'splice'),
  pos: fc.nat(),
  value: fc.integer({ min: 0, max: 0xffffffff }),
  count: fc.integer({ min: 1, max: 8 }),
});

function mutate(src: Uint8Array, m: Mutation): Uint8Array {
  const n = src.length;
  switch (m.kind) {
    case 'flip': {
      const b = src.slice();
      for (let i = 0; i < m.count && n > 0; i++) {
        const bit = (m.pos + i * 7919 + m.value * i) % (n * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
      }
      return b;
    }
    case 'set': {
      const b = src.slice();
      for (let i = 0; i < m.count && n > 0; i++) b[(m.pos + i * 104729) % n] = (m.value >>> (i * 4)) & 255;
      return b;
    }
    case 'header': {
      // one of the three header words replaced: small nudges and wild values alike
      const b = src.length >= 12 ? src.slice() : new Uint8Array(12);
      b.set(src.subarray(0, Math.min(12, src.length)));
      const dv = new DataView(b.buffer);
      const word = m.pos % 3;
      const old = dv.getUint32(word * 4, true);
      const choices = [old + m.count, old - m.count, m.value, m.value & 0xffff, 67, 259, 0x4321, n >> 2, (n >> 2) + 1];
      dv.setUint32(word * 4, choices[m.value % choices.length]! >>> 0, true);
      return b;
    }
    case 'truncate':
      return src.slice(0, n === 0 ? 0 : m.pos % n);
    case 'extend': {
      const b = new Uint8Array(n + m.count);
      b.set(src);
      for (let i = n; i < b.length; i++) b[i] = (m.value >>> ((i - n) * 3)) & 255;
      return b;
    }
    case 'mzvOffset': {
      // an MZV record's offset replaced (only meaningful for MZV streams, harmless otherwise)
      const b = src.slice();
      if (n >= 10) {
        const rec = 4 + 6 * (m.pos % Math.floor((n - 4) / 6 || 1));
        if (rec + 6 <= n) new DataView(b.buffer).setUint16(rec + 4, m.value & 0xffff, true);
      }
      return b;
    }
    case 'splice': {
      // a window of the stream duplicated elsewhere (areas shifted against the header)
      const b = src.slice();
      if (n > 16) {
        const from = m.pos % n;
        const to = (m.pos >>> 3) % n;
        b.copyWithin(to, from, Math.min(n, from + m.count * 16));
      }
      return b;
    }
  }
}

function guarded(size: number): { buf: Uint8Array; page: Uint8Array } {
  const buf = new Uint8Array(size + 2 * GUARD).fill(GUARD_BYTE);
  return { buf, page: buf.subarray(GUARD, GUARD + size) };
}

function guardsIntact(buf: Uint8Array, size: number): boolean {
  for (let i = 0; i < GUARD; i++) if (buf[i] !== GUARD_BYTE || buf[GUARD + size + i] !== GUARD_BYTE) return false;
  return true;
}

// Plain checks in the hot loops (thousands of runs): vitest's expect is too slow to call there.
function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

/** Runs the decoder; returns 'ok' or 'error', rethrows anything that is not a CodecError. */
function outcome(run: () => void): 'ok' | 'error' {
  try {
    run();
    return 'ok';
  } catch (e) {
    if (e instanceof CodecError) {
      check(e.code === 'CORRUPT_STREAM' && e.area.length > 0 && e.offset >= 0 && e.message.length > 0, `malformed CodecError: ${e.message}`);
      return 'error';
    }
    throw e;
  }
}

const allBytes = (b: Uint8Array, v: number): boolean => {
  for (let i = 0; i < b.length; i++) if (b[i] !== v) return false;
  return true;
};

const wkdmStreams: VectorCase[] = manifest.filter((c) => c.codec === 'wkdm' && c.compressed !== null);
const lz4Blocks: VectorCase[] = manifest.filter((c) => c.codec === 'lz4' && c.compressed !== null);

describe('WKdm decoder on damaged streams', () => {
  it('returns a page or throws CodecError, and stays inside its page', () => {
    const tally = { ok: 0, error: 0 };
    // one guarded buffer per page size, reused: a run that wrote outside its page fails the next check
    const g = { 4096: guarded(4096), 16384: guarded(16384) };
    fc.assert(
      fc.property(fc.nat(), mutationArb, fc.boolean(), (pick, m, unaligned) => {
        const c = wkdmStreams[pick % wkdmStreams.length]!;
        let stream = mutate(vectorFile(c.compressed!), m);
        if (unaligned) {
          const b = new Uint8Array(stream.length + 1);
          b.set(stream, 1);
          stream = b.subarray(1);
        }
        const { buf, page } = g[c.pageSize];
        const preset = dictPresetOf(c);
        tally[outcome(() => wkdmDecompress(stream, page, { pageSize: c.pageSize, dictPreset: preset }))]++;
        check(guardsIntact(buf, c.pageSize), 'guard bytes overwritten');
        // the same bytes read as the other page size and with MZV forced on
        const other = c.pageSize === 4096 ? 16384 : 4096;
        const g2 = g[other];
        outcome(() => wkdmDecompress(stream, g2.page, { pageSize: other, dictPreset: preset, allowMzv: true }));
        check(guardsIntact(g2.buf, other), 'guard bytes overwritten');
      }),
      { numRuns: 3000 },
    );
    // the mutations must exercise both outcomes
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.error).toBeGreaterThan(100);
  });

  it('rejects every truncation of a standard stream before its declared end', () => {
    const cases = wkdmStreams.filter((c) => !c.corrupt && c.category === 'real-file').slice(0, 8);
    for (const c of cases) {
      const s = vectorFile(c.compressed!);
      if (s[0] === 0x21 && s[1] === 0x43) continue;
      for (let len = 0; len < s.length; len += 5) {
        const { buf, page } = guarded(c.pageSize);
        const r = outcome(() => wkdmDecompress(s.subarray(0, len), page, { pageSize: c.pageSize, dictPreset: dictPresetOf(c) }));
        check(r === 'error', `${c.name} truncated to ${len} bytes decoded without error`);
        check(guardsIntact(buf, c.pageSize), 'guard bytes overwritten');
        check(allBytes(page, GUARD_BYTE), 'a failed decode wrote to the page');
      }
    }
  });

  it('random bytes as a stream never escape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.constantFrom(4096, 16384), fc.constantFrom(0, 1), (bytes, size, preset) => {
        const { buf, page } = guarded(size);
        outcome(() => wkdmDecompress(bytes, page, { pageSize: size as 4096 | 16384, dictPreset: preset as 0 | 1 }));
        check(guardsIntact(buf, size), 'guard bytes overwritten');
      }),
      { numRuns: 500 },
    );
  });
});

describe('LZ4 decoder on damaged blocks', () => {
  it('returns a page or throws CodecError, and stays inside its page', () => {
    const tally = { ok: 0, error: 0 };
    fc.assert(
      fc.property(fc.nat(), mutationArb, fc.integer({ min: -64, max: 64 }), (pick, m, sizeDelta) => {
        const c = lz4Blocks[pick % lz4Blocks.length]!;
        const block = mutate(vectorFile(c.compressed!), m);
        const size = Math.max(0, c.pageSize + (sizeDelta % 3 === 0 ? sizeDelta : 0));
        const { buf, page } = guarded(size);
        const r = outcome(() => lz4DecodeBlock(block, page));
        tally[r]++;
        check(guardsIntact(buf, size), 'guard bytes overwritten');
        if (r === 'error') check(allBytes(page, GUARD_BYTE), 'a failed decode wrote to the page');
      }),
      { numRuns: 2000 },
    );
    expect(tally.ok).toBeGreaterThan(50);
    expect(tally.error).toBeGreaterThan(50);
  });

  it('names the fault of hand-made bad blocks', () => {
    const area = (block: number[], size: number): string => {
      try {
        lz4DecodeBlock(Uint8Array.from(block), new Uint8Array(size));
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
        return (e as CodecError).area;
      }
      return 'ok';
    };
    expect(area([], 4)).toBe('token');
    expect(area([0x40, 1, 2, 3, 4], 4)).toBe('ok');
    expect(area([0x40, 1, 2, 3], 4)).toBe('literals'); // literals past the block end
    expect(area([0x50, 1, 2, 3, 4, 5], 4)).toBe('literals'); // literals past the output end
    expect(area([0x40, 1, 2, 3, 4], 8)).toBe('end of block'); // output short
    expect(area([0xf0], 20)).toBe('literal length');
    expect(area([0x10, 7, 0x00, 0x00], 8)).toBe('match offset'); // offset 0
    expect(area([0x10, 7, 0x02, 0x00], 8)).toBe('match offset'); // before the output start
    expect(area([0x10, 7, 0x01], 8)).toBe('match offset'); // truncated offset
    expect(area([0x1f, 7, 0x01, 0x00], 40)).toBe('match length');
    expect(area([0x14, 7, 0x01, 0x00, 0x00], 8)).toBe('match'); // 8-byte match overflows
    expect(area([0x13, 7, 0x01, 0x00, 0x10, 9], 9)).toBe('ok'); // overlapping match then literal
  });
});

describe('decodePage on damaged slots', () => {
  it('raw and single slots of the wrong size throw CodecError', () => {
    const page = new Uint8Array(4096);
    expect(() => decodePage('raw', new Uint8Array(4095), page, { pageSize: 4096, dictPreset: 0 })).toThrow(CodecError);
    expect(() => decodePage('single', new Uint8Array(5), page, { pageSize: 4096, dictPreset: 0 })).toThrow(CodecError);
    expect(() => decodePage('mzv', new Uint8Array(12), page, { pageSize: 4096, dictPreset: 0 })).toThrow(CodecError);
  });
});
