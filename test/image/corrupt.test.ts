// Damaged files end in a typed Unfold error (or open and read with typed errors), never in a
// crash from an out-of-bounds read, a stray exception type, or a hang.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnfoldError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeAff4, writeElf, writeLime, writeMachO, writeVmware } from '../../core/synth/containers';
import { SparseMemoryBuilder } from '../../core/synth/memory';
import { rmDir, tmpDir } from './helpers';

// a small memory so each mutated file is cheap to open and read whole
function smallMemory() {
  const b = new SparseMemoryBuilder(0x200000);
  for (const p of [0x0, 0x1000, 0x5000, 0x100000, 0x101000, 0x1ff000]) {
    const page = b.page(p);
    for (let i = 0; i < 4096; i++) page[i] = (i * 7 + (p >>> 12)) & 0xff;
  }
  return b.finish();
}

let seed = 12345;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};

let dir = '';
beforeAll(() => {
  dir = tmpDir('corrupt');
});
afterAll(() => rmDir(dir));

async function openAndReadAll(file: string): Promise<string> {
  let img;
  try {
    img = await openImage(file);
  } catch (e) {
    if (e instanceof UnfoldError) return 'refused';
    throw e;
  }
  try {
    for (const r of img.ranges.slice(0, 64)) {
      const len = Math.min(r.length, 0x10000);
      try {
        img.read(r.start, len);
      } catch (e) {
        if (!(e instanceof UnfoldError)) throw e;
      }
    }
    return 'opened';
  } finally {
    img.close();
  }
}

describe('mutated containers never crash', () => {
  const mem = smallMemory();
  const makers: Array<[string, (f: string) => void, number]> = [
    ['lime', (f) => writeLime(mem, f), 256],
    ['elf', (f) => writeElf(mem, f), 512],
    ['macho', (f) => writeMachO(mem, f), 600],
    ['aff4', (f) => void writeAff4(mem, f, { compression: 'snappy', chunkSize: 8192, chunksPerSegment: 2, zip64: true }), 0],
    [
      'vmware',
      (f) => {
        const d = path.dirname(f);
        writeVmware(mem, d, { regions: true, name: path.basename(f, '.vmem') });
      },
      0,
    ],
  ];
  for (const [name, make, headerBytes] of makers) {
    it(`${name}: random byte flips and cuts`, async () => {
      const sub = path.join(dir, name);
      fs.mkdirSync(sub);
      const good = path.join(sub, 'good.vmem');
      make(good);
      // for VMware the metadata is what gets damaged; for AFF4 the bytes near the end (central directory, turtle, map)
      const target = name === 'vmware' ? good.replace(/\.vmem$/, '.vmss') : good;
      const orig = fs.readFileSync(target);
      const outcomes = new Set<string>();
      for (let i = 0; i < Number(process.env.FUZZ_N ?? 40); i++) {
        const b = Buffer.from(orig);
        const span = headerBytes || b.length;
        const from = name === 'aff4' ? Math.max(0, b.length - 2048) : 0;
        for (let k = 0; k < 1 + rnd(4); k++) b[from + rnd(Math.min(span, b.length - from))] = rnd(256);
        const cut = i % 5 === 4 ? rnd(b.length) : b.length;
        fs.writeFileSync(target, b.subarray(0, cut));
        outcomes.add(await openAndReadAll(name === 'vmware' ? good : target));
      }
      fs.writeFileSync(target, orig);
      expect(await openAndReadAll(name === 'vmware' ? good : target)).toBe('opened');
      expect(outcomes.size).toBeGreaterThan(0);
    });
  }
});
