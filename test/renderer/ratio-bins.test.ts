// The ratio-per-segment chart's bars: one per segment up to the limit, then runs of segments with the
// run's byte ratio, a problem anywhere in the run marking its bar.
import { describe, expect, it } from 'vitest';
import { binLabel, ratioBins, type RatioSegment } from '../../renderer/src/util/ratio-bins';

const seg = (index: number, c: number, u: number, problems: string[] = []): RatioSegment => ({ index, compressedBytes: c, uncompressedBytes: u, problems });

describe('ratioBins', () => {
  it('one bar a segment up to the limit; empty segments are left out', () => {
    const bins = ratioBins([seg(0, 1000, 4096), seg(1, 0, 0), seg(2, 2048, 4096, ['x'])], 10);
    expect(bins).toEqual([
      { first: 0, last: 0, ratio: 24.41, problems: false },
      { first: 2, last: 2, ratio: 50, problems: true },
    ]);
    expect(bins.map(binLabel)).toEqual(['0', '2']);
  });
  it('past the limit, runs of consecutive segments with the ratio of their bytes', () => {
    const segs = Array.from({ length: 2500 }, (_, i) => seg(i, i % 3 === 0 ? 4096 : 1024, 4096, i === 1234 ? ['bad'] : []));
    const bins = ratioBins(segs, 1000);
    expect(bins).toHaveLength(834);
    expect(bins[0]).toEqual({ first: 0, last: 2, ratio: 50, problems: false });
    expect(bins.at(-1)).toEqual({ first: 2499, last: 2499, ratio: 100, problems: false });
    expect(bins.filter((b) => b.problems).map(binLabel)).toEqual(['1233–1235']);
    // every segment is in exactly one bar, in order
    expect(bins.reduce((n, b) => n + (b.last - b.first + 1), 0)).toBe(2500);
  });
  it('no segments, no bars', () => {
    expect(ratioBins([], 800)).toEqual([]);
  });
});
