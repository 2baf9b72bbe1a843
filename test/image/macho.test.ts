import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeMachO } from '../../core/synth/containers';
import { RUNS, buildTestMemory, checkSparseImage, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('macho');
});
afterAll(() => rmDir(dir));

async function formatError(file: string): Promise<Error> {
  const e = await openImage(file).then(
    (img) => {
      img.close();
      return null;
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ImageFormatError);
  return e as Error;
}

describe('Mach-O cores', () => {
  for (const bits of [64, 32] as const) {
    it(`${bits}-bit: segment commands give the physical ranges`, async () => {
      const f = path.join(dir, `core${bits}.macho`);
      writeMachO(mem, f, { bits });
      const img = await openImage(f);
      try {
        expect(img.format).toBe('macho');
        checkSparseImage(img, mem);
      } finally {
        img.close();
      }
    });
  }

  it('corrupt Mach-O headers are ImageFormatErrors naming the field', async () => {
    const good = path.join(dir, 'good.macho');
    writeMachO(mem, good);
    const b = fs.readFileSync(good);
    const bad = path.join(dir, 'bad.macho');
    const write = (edit: (c: Buffer) => void): void => {
      const c = Buffer.from(b);
      edit(c);
      fs.writeFileSync(bad, c);
    };
    write((c) => c.writeUInt32LE(0, 16));
    expect((await formatError(bad)).message).toMatch(/ncmds is 0/);
    write((c) => c.writeUInt32LE(0x7fffffff, 20));
    expect((await formatError(bad)).message).toMatch(/sizeofcmds is 2147483647: .* past the end of the file/);
    write((c) => c.writeUInt32LE(3, 32 + 72 + 4)); // cmdsize of command 1
    expect((await formatError(bad)).message).toMatch(/load command 1 cmdsize is 3/);
    write((c) => c.writeUInt32LE(2, 12)); // MH_EXECUTE
    expect((await formatError(bad)).message).toMatch(/filetype is MH_EXECUTE/);
    write((c) => c.writeBigUInt64LE(0xffffff8000200000n, 32 + 24)); // kernel virtual vmaddr
    expect((await formatError(bad)).message).toMatch(/segment 0 vmaddr is 0xffffff8000200000, a kernel virtual address/);
    write((c) => c.writeUInt32LE(RUNS.length + 1, 16)); // one command more than sizeofcmds holds
    expect((await formatError(bad)).message).toMatch(/sizeofcmds is \d+, too small|outside sizeofcmds/);
    fs.writeFileSync(bad, b.subarray(0, 20));
    expect((await formatError(bad)).message).toMatch(/cut short/);
  });
});
