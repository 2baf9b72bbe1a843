import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError, TruncatedImageError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeElf } from '../../core/synth/containers';
import { RUNS, buildTestMemory, checkSparseImage, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('elf');
});
afterAll(() => rmDir(dir));

/** file offset of run i's data in a writeElf file */
function dataOffset(bits: 64 | 32, i: number): number {
  let off = (bits === 64 ? 64 + 56 * RUNS.length : 52 + 32 * RUNS.length);
  for (let k = 0; k < i; k++) off += RUNS[k].length;
  return off;
}

async function expectFormatError(file: string, field: RegExp): Promise<ImageFormatError> {
  let err: unknown;
  try {
    (await openImage(file)).close();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ImageFormatError);
  expect((err as Error).message).toMatch(field);
  return err as ImageFormatError;
}

function patch(src: string, dst: string, at: number, bytes: number[]): void {
  const b = fs.readFileSync(src);
  b.set(bytes, at);
  fs.writeFileSync(dst, b);
}

describe('ELF cores', () => {
  for (const bits of [64, 32] as const) {
    it(`ELF${bits}: PT_LOAD segments give the physical ranges`, async () => {
      const f = path.join(dir, `core${bits}.elf`);
      writeElf(mem, f, { bits });
      const img = await openImage(f);
      try {
        expect(img.format).toBe('elf');
        checkSparseImage(img, mem);
        expect(img.notes[0]).toBe(`ELF${bits} core, ${RUNS.length} program headers`);
      } finally {
        img.close();
      }
    });
  }

  it('e_phnum = PN_XNUM takes the program header count from section header 0', async () => {
    const f = path.join(dir, 'xnum.elf');
    writeElf(mem, f);
    const b = fs.readFileSync(f);
    const sh = Buffer.alloc(64);
    sh.writeUInt32LE(RUNS.length, 44); // sh_info
    const c = Buffer.concat([b, sh]);
    c.writeBigUInt64LE(BigInt(b.length), 40); // e_shoff
    c.writeUInt16LE(1, 60); // e_shnum
    c.writeUInt16LE(0xffff, 56); // e_phnum = PN_XNUM
    fs.writeFileSync(f, c);
    const img = await openImage(f);
    try {
      checkSparseImage(img, mem);
    } finally {
      img.close();
    }
  });

  it('a truncated ELF opens, notes where it ends and throws TruncatedImageError with both addresses', async () => {
    const f = path.join(dir, 'cut.elf');
    writeElf(mem, f);
    const cutAt = dataOffset(64, 3) + 0x12345; // inside the run at 0x400000
    fs.truncateSync(f, cutAt);
    const img = await openImage(f);
    try {
      expect(img.ranges).toEqual(RUNS);
      expect(img.notes).toContain(`truncated: physical 0x412345 maps to file offset 0x${cutAt.toString(16)}, file ends at 0x${cutAt.toString(16)}`);
      expect(img.notes).toContain('truncated: 1 more segment(s) lie wholly or partly past the end of the file');
      expect(Buffer.from(img.read(0x400000, 0x12345)).equals(Buffer.from(mem.read(0x400000, 0x12345)))).toBe(true);
      let err: unknown;
      try {
        img.read(0x412000, 0x1000);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TruncatedImageError);
      expect((err as TruncatedImageError).physical).toBe(0x412345);
      expect((err as TruncatedImageError).fileOffset).toBe(cutAt);
      // the last run lies wholly past the end: its first byte is reported
      let err2: unknown;
      try {
        img.read(0x7ff010, 4);
      } catch (e) {
        err2 = e;
      }
      expect(err2).toBeInstanceOf(TruncatedImageError);
      expect((err2 as TruncatedImageError).physical).toBe(0x7ff010);
      expect((err2 as TruncatedImageError).fileOffset).toBe(dataOffset(64, 4) + 0x10);
    } finally {
      img.close();
    }
  });

  it('corrupt ELF headers are ImageFormatErrors naming the field', async () => {
    const good = path.join(dir, 'good.elf');
    writeElf(mem, good);
    const bad = path.join(dir, 'bad.elf');
    patch(good, bad, 4, [9]);
    await expectFormatError(bad, /e_ident\[EI_CLASS\] is 9/);
    patch(good, bad, 5, [0]);
    await expectFormatError(bad, /EI_DATA/);
    patch(good, bad, 54, [55, 0]);
    await expectFormatError(bad, /e_phentsize is 55/);
    patch(good, bad, 32, [0, 0, 0, 0x10, 0, 0, 0, 0]); // e_phoff 0x10000000
    await expectFormatError(bad, /e_phoff 0x10000000 .* past the end of the file/);
    patch(good, bad, 56, [0, 0]);
    await expectFormatError(bad, /e_phnum is 0/);
    patch(good, bad, 16, [2, 0]);
    await expectFormatError(bad, /e_type is ET_EXEC/);
    // a header cut short
    fs.writeFileSync(bad, fs.readFileSync(good).subarray(0, 40));
    await expectFormatError(bad, /cut short/);
    // no PT_LOAD at all: every program header made PT_NOTE
    const b = fs.readFileSync(good);
    for (let i = 0; i < RUNS.length; i++) b.writeUInt32LE(4, 64 + i * 56);
    fs.writeFileSync(bad, b);
    await expectFormatError(bad, /no PT_LOAD/);
  });
});
