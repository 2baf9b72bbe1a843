// The overview's figures: a 64-bin histogram of stored compressed sizes and the slot counts.
import { describe, expect, it } from 'vitest';
import { slotStats } from '../../core/darwin/histogram';
import type { SlotRecord } from '../../core/darwin/types';

const rec = (kind: SlotRecord['kind'], compressedSize: number, sha256?: string): SlotRecord => ({
  segment: 0, slot: 0, state: 'C_ON_AGE_Q', kind, offset: 0, compressedSize, ...(sha256 ? { sha256 } : {}),
});

describe('slotStats', () => {
  it('bins stored streams by size, the last bin taking the rest, and counts decoded and corrupt slots', () => {
    // a page counts as decoded by its kind, hashed or not (the walk decodes without hashing)
    const s = slotStats(
      [rec('wkdm', 0, 'a'), rec('wkdm', 63), rec('lz4', 64, 'c'), rec('mzv', 4095, 'd'), rec('raw', 4096), rec('single', 4), rec('swapped', 900), { ...rec('corrupt', 100), error: 'x' }],
      4096,
    );
    const counts = new Array<number>(64).fill(0);
    counts[0] = 2;
    counts[1] = 1;
    counts[63] = 2;
    expect(s).toEqual({ pageSize: 4096, sizeHistogram: { binWidth: 64, counts }, liveSlots: 8, decodedPages: 6, corruptSlots: 1 });
  });

  it('uses 256-byte bins for 16 KiB pages', () => {
    expect(slotStats([rec('lz4', 300)], 16384).sizeHistogram.counts[1]).toBe(1);
  });
});
