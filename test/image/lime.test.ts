import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError, TruncatedImageError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeLime } from '../../core/synth/containers';
import { RUNS, buildTestMemory, checkSparseImage, expectNotPresent, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('lime');
});
afterAll(() => rmDir(dir));

function headerOffset(i: number): number {
  let off = 0;
  for (let k = 0; k < i; k++) off += 32 + RUNS[k].length;
  return off;
}

describe('LiME', () => {
  it('segments give the physical ranges', async () => {
    const f = path.join(dir, 'mem.lime');
    writeLime(mem, f);
    const img = await openImage(f);
    try {
      expect(img.format).toBe('lime');
      checkSparseImage(img, mem);
    } finally {
      img.close();
    }
  });

  it('a LiME file cut inside a segment reports the physical address and file offset', async () => {
    const f = path.join(dir, 'cut.lime');
    writeLime(mem, f);
    const cutAt = headerOffset(1) + 32 + 0x2000; // inside the run at 0x100000
    fs.truncateSync(f, cutAt);
    const img = await openImage(f);
    try {
      expect(img.ranges).toEqual([RUNS[0], RUNS[1]]);
      expect(img.notes).toContain(`truncated: physical 0x102000 maps to file offset 0x${cutAt.toString(16)}, file ends at 0x${cutAt.toString(16)}`);
      let err: unknown;
      try {
        img.read(0x101ff8, 16);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TruncatedImageError);
      expect((err as TruncatedImageError).physical).toBe(0x102000);
      expect((err as TruncatedImageError).fileOffset).toBe(cutAt);
      expectNotPresent(() => img.read(0x300000, 1), 0x300000);
    } finally {
      img.close();
    }
  });

  it('a LiME file cut inside a header keeps the segments before it', async () => {
    const f = path.join(dir, 'cuthdr.lime');
    writeLime(mem, f);
    const cutAt = headerOffset(2) + 10;
    fs.truncateSync(f, cutAt);
    const img = await openImage(f);
    try {
      expect(img.ranges).toEqual([RUNS[0], RUNS[1]]);
      expect(img.notes.join('\n')).toContain(`the file ends at 0x${cutAt.toString(16)} inside LiME header 2`);
    } finally {
      img.close();
    }
  });

  it('corrupt LiME headers are ImageFormatErrors naming the field', async () => {
    const good = path.join(dir, 'good.lime');
    writeLime(mem, good);
    const bad = path.join(dir, 'bad.lime');
    const b = fs.readFileSync(good);
    const h1 = headerOffset(1);
    const c1 = Buffer.from(b);
    c1.writeUInt32LE(0x12345678, h1);
    fs.writeFileSync(bad, c1);
    await expect(openImage(bad)).rejects.toThrow(/LiME header 1 at file offset 0x10020: magic is 0x12345678/);
    const c2 = Buffer.from(b);
    c2.writeUInt32LE(2, 4);
    fs.writeFileSync(bad, c2);
    await expect(openImage(bad)).rejects.toThrow(/version is 2, expected 1/);
    const c3 = Buffer.from(b);
    c3.writeBigUInt64LE(0n, h1 + 8); // start below the previous end
    c3.writeBigUInt64LE(BigInt(RUNS[1].length - 1), h1 + 16);
    fs.writeFileSync(bad, c3);
    const e = await openImage(bad).catch((x) => x);
    expect(e).toBeInstanceOf(ImageFormatError);
    expect(e.message).toMatch(/start 0x0 is not above the previous segment's end 0xffff/);
  });
});
