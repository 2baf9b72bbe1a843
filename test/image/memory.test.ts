import { describe, expect, it } from 'vitest';
import { SparseMemoryBuilder, SparseMemoryImpl } from '../../core/synth/memory';

describe('SparseMemoryBuilder', () => {
  it('creates zeroed pages on first touch and merges consecutive pages into runs', () => {
    const b = new SparseMemoryBuilder(0x100000);
    expect(b.page(0x5123).length).toBe(4096);
    expect(b.page(0x5000).every((v) => v === 0)).toBe(true);
    b.page(0x5000)[7] = 0x77; // the page is live: writes into it are kept
    b.write(0x6ffe, new Uint8Array([1, 2, 3, 4])); // crosses 0x6000 → 0x7000
    b.write(0x20000, new Uint8Array([9]));
    expect(b.has(0x7000)).toBe(true);
    expect(b.has(0x8000)).toBe(false);
    expect([...b.read(0x6ffe, 4)]).toEqual([1, 2, 3, 4]);
    const m = b.finish();
    expect(m.size).toBe(0x100000);
    expect(m.chunks.map((c) => [c.start, c.data.length])).toEqual([
      [0x5000, 0x3000],
      [0x20000, 0x1000],
    ]);
    expect(m.read(0x5007, 1)[0]).toBe(0x77);
    expect([...m.read(0x6ffe, 4)]).toEqual([1, 2, 3, 4]);
    // holes read as zeros; isPresent tells them apart
    expect([...m.read(0x7ffe, 4)]).toEqual([0, 0, 0, 0]);
    expect(m.isPresent(0x5000, 0x3000)).toBe(true);
    expect(m.isPresent(0x7fff, 2)).toBe(false);
    expect(m.presentBytes).toBe(0x4000);
  });

  it('refuses addresses outside the machine and bad chunk lists', () => {
    const b = new SparseMemoryBuilder(0x10000);
    expect(() => b.write(0xffff, new Uint8Array(2))).toThrow(RangeError);
    expect(() => b.page(0x10000)).toThrow(RangeError);
    expect(() => new SparseMemoryBuilder(1000)).toThrow(RangeError);
    expect(() => new SparseMemoryImpl(0x10000, [{ start: 0x800, data: new Uint8Array(4096) }])).toThrow(/page-aligned/);
    expect(
      () =>
        new SparseMemoryImpl(0x10000, [
          { start: 0x0, data: new Uint8Array(0x2000) },
          { start: 0x1000, data: new Uint8Array(0x1000) },
        ]),
    ).toThrow(/overlap/);
  });
});
