import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, blockCache, chunkCache, FileSource, imageCacheStats, setImageCacheLimits } from '../../core/image/cache';
import { openImage } from '../../core/image/detect';
import { writeAff4, writeRaw } from '../../core/synth/containers';
import { buildTestMemory, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('cache');
});
afterAll(() => {
  setImageCacheLimits(32 * 1024 * 1024, 16 * 1024 * 1024);
  rmDir(dir);
});

describe('bounded caches', () => {
  it('the block cache never holds more than its limit, and reads stay exact', async () => {
    const f = path.join(dir, 'm.raw');
    writeRaw(mem, f, { padded: true });
    setImageCacheLimits(4 * BLOCK_SIZE, 4 * 16384);
    const img = await openImage(f);
    const ref = fs.readFileSync(f);
    try {
      // many small scattered reads (the page-walker pattern)
      for (let i = 0; i < 2000; i++) {
        const a = (i * 0x9e3779b1) % (ref.length - 16);
        expect(Buffer.from(img.read(a, 16)).equals(ref.subarray(a, a + 16))).toBe(true);
        expect(blockCache.size).toBeLessThanOrEqual(4 * BLOCK_SIZE);
      }
      // one large read goes around the cache
      const before = blockCache.size;
      expect(Buffer.from(img.read(0x100000, 0x200000)).equals(ref.subarray(0x100000, 0x300000))).toBe(true);
      expect(blockCache.size).toBeLessThanOrEqual(Math.max(before, 4 * BLOCK_SIZE));
      // consecutive small reads hit the same cached block
      const hits = imageCacheStats().blockHits;
      for (let a = 0x300000; a < 0x300000 + BLOCK_SIZE; a += 16) img.read(a, 16);
      expect(imageCacheStats().blockHits - hits).toBeGreaterThanOrEqual(BLOCK_SIZE / 16 - 1);
    } finally {
      img.close();
    }
  });

  it('closing an image drops its blocks', async () => {
    setImageCacheLimits(32 * 1024 * 1024, 16 * 1024 * 1024);
    const f = path.join(dir, 'c.raw');
    writeRaw(mem, f, { padded: true });
    const src = new FileSource(f);
    const out = new Uint8Array(100);
    expect(src.readAt(0x10, out, 0, 100)).toBe(100);
    expect(src.readAt(mem.size - 10, out, 0, 100)).toBe(10);
    expect(blockCache.count).toBeGreaterThan(0);
    const n = blockCache.count;
    src.close();
    expect(blockCache.count).toBeLessThan(n);
    expect(() => src.readAt(0, out, 0, 1)).toThrow(/closed/);
  });

  it('the AFF4 chunk cache stays under its limit while reading every chunk', async () => {
    const f = path.join(dir, 'c.aff4');
    writeAff4(mem, f, { compression: 'zlib', chunkSize: 16384, chunksPerSegment: 8 });
    setImageCacheLimits(4 * BLOCK_SIZE, 3 * 16384);
    const img = await openImage(f);
    try {
      for (const r of img.ranges) {
        for (let p = r.start; p < r.start + r.length; p += 0x1000) {
          expect(Buffer.from(img.read(p, 0x1000)).equals(Buffer.from(mem.read(p, 0x1000)))).toBe(true);
          expect(chunkCache.size).toBeLessThanOrEqual(3 * 16384);
        }
      }
    } finally {
      img.close();
    }
  });
});
