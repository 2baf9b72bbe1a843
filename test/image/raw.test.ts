import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError, TruncatedImageError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeRaw } from '../../core/synth/containers';
import { SparseMemoryImpl } from '../../core/synth/memory';
import { MEM_SIZE, buildTestMemory, checkLinearImage, expectNotPresent, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('raw');
});
afterAll(() => rmDir(dir));

describe('raw images', () => {
  it('padded raw: one range up to the machine size, holes read as zeros', async () => {
    const big = new SparseMemoryImpl(0x1000000, [...mem.chunks]);
    const f = path.join(dir, 'padded.raw');
    writeRaw(big, f, { padded: true });
    expect(fs.statSync(f).size).toBe(0x1000000);
    const img = await openImage(f);
    try {
      expect(img.format).toBe('raw');
      expect(img.path).toBe(f);
      expect(img.files).toEqual([f]);
      checkLinearImage(img, big, 0x1000000);
      expect(img.notes.some((n) => n.startsWith('truncated'))).toBe(false);
    } finally {
      img.close();
    }
  });

  it('unpadded raw ends with the last present page', async () => {
    const big = new SparseMemoryImpl(0x1000000, [...mem.chunks]);
    const f = path.join(dir, 'unpadded.mem');
    writeRaw(big, f, { padded: false });
    expect(fs.statSync(f).size).toBe(MEM_SIZE);
    const img = await openImage(f);
    try {
      checkLinearImage(img, big, MEM_SIZE);
    } finally {
      img.close();
    }
  });

  it('a raw file cut inside a page opens, says where it ends, and throws TruncatedImageError there', async () => {
    const f = path.join(dir, 'cut.raw');
    writeRaw(mem, f, { padded: true });
    fs.truncateSync(f, 0x500123);
    const img = await openImage(f);
    try {
      expect(img.ranges).toEqual([{ start: 0, length: 0x501000 }]);
      expect(img.notes).toContain('truncated: physical 0x500123 maps to file offset 0x500123, file ends at 0x500123');
      expect(Buffer.from(img.read(0x500000, 0x123)).equals(Buffer.from(mem.read(0x500000, 0x123)))).toBe(true);
      let err: unknown;
      try {
        img.read(0x500100, 0x100);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TruncatedImageError);
      const t = err as TruncatedImageError;
      expect(t.physical).toBe(0x500123);
      expect(t.fileOffset).toBe(0x500123);
      expect(t.fileSize).toBe(0x500123);
      expect(t.message).toContain('0x500123');
      expectNotPresent(() => img.read(0x501000, 1), 0x501000);
    } finally {
      img.close();
    }
  });

  it('refuses bad arguments without touching the output buffer', async () => {
    const f = path.join(dir, 'args.raw');
    writeRaw(mem, f, { padded: true });
    const img = await openImage(f);
    try {
      const out = new Uint8Array(8);
      expect(() => img.readInto(0, out, 4, 8)).toThrow(RangeError);
      expect(() => img.readInto(-1, out, 0, 1)).toThrow(RangeError);
      expect(() => img.readInto(0.5, out, 0, 1)).toThrow(RangeError);
      expect([...out]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(img.read(0, 0).length).toBe(0);
    } finally {
      img.close();
    }
    expect(() => img.read(0, 1)).toThrow(/closed/);
  });

  it('refuses an empty file and a file too small to be memory', async () => {
    const e = path.join(dir, 'empty.raw');
    fs.writeFileSync(e, '');
    await expect(openImage(e)).rejects.toBeInstanceOf(ImageFormatError);
    const s = path.join(dir, 'small.raw');
    fs.writeFileSync(s, new Uint8Array(5000).fill(1));
    await expect(openImage(s)).rejects.toThrow(/too small/);
  });
});
