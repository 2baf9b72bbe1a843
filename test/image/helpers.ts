// Shared fixtures for the container tests: one small sparse memory with holes, compressible,
// incompressible and zero pages, and checks that an opened image reads exactly that memory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { NotPresentError } from '../../core/errors';
import type { PhysicalImage, PhysRange } from '../../core/image/types';
import { SparseMemoryBuilder, type SparseMemoryImpl } from '../../core/synth/memory';

export const MEM_SIZE = 0x800000; // 8 MiB machine

/** present runs of the test memory (page-aligned), the rest are holes */
export const RUNS: PhysRange[] = [
  { start: 0x0, length: 0x10000 },
  { start: 0x100000, length: 0x80000 },
  { start: 0x300000, length: 0x1000 },
  { start: 0x400000, length: 0xa0000 },
  { start: 0x7ff000, length: 0x1000 },
];

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** The test memory: text pages, random pages and zero pages with marker bytes, in RUNS. */
export function buildTestMemory(): SparseMemoryImpl {
  const b = new SparseMemoryBuilder(MEM_SIZE);
  const rnd = xorshift(0x5eed);
  for (const r of RUNS) {
    for (let p = r.start; p < r.start + r.length; p += 4096) {
      const page = b.page(p);
      // a stretch of random pages makes whole AFF4 chunks incompressible (stored raw)
      const kind = p >= 0x47c000 && p < 0x490000 ? 1 : (p >>> 12) % 3;
      if (kind === 0) {
        const text = new TextEncoder().encode(`page ${p.toString(16).padStart(8, '0')} of the unfold container test; `);
        for (let i = 0; i < 4096; i++) page[i] = text[i % text.length];
      } else if (kind === 1) {
        for (let i = 0; i < 4096; i += 4) {
          const v = rnd();
          page[i] = v;
          page[i + 1] = v >>> 8;
          page[i + 2] = v >>> 16;
          page[i + 3] = v >>> 24;
        }
      } else {
        page[0] = 0xa5;
        page[4095] = 0x5a;
      }
    }
  }
  // known scattered markers, some straddling page boundaries inside runs
  b.write(0x0ffc, new TextEncoder().encode('CROSSES!'));
  b.write(0x17fffc, new Uint8Array([1, 2, 3, 4]));
  b.write(0x300800, new TextEncoder().encode('Darwin Kernel Version 99.0.0'));
  b.write(0x7ffff8, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe]));
  return b.finish();
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `unfold-${tag}-`));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function expectNotPresent(fn: () => unknown, address: number): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NotPresentError);
  expect((err as NotPresentError).address).toBe(BigInt(address));
  expect((err as NotPresentError).space).toBe('physical');
}

/**
 * Reads that every sparse container must answer exactly like the memory: each range whole, reads
 * crossing page/chunk boundaries, markers, and NotPresentError at the first absent byte.
 */
export function checkSparseImage(img: PhysicalImage, mem: SparseMemoryImpl): void {
  expect(img.ranges).toEqual(RUNS);
  for (const r of RUNS) {
    expect(Buffer.from(img.read(r.start, r.length)).equals(Buffer.from(mem.read(r.start, r.length)))).toBe(true);
  }
  // unaligned reads at many offsets inside the big runs
  for (const [a, n] of [
    [0x0ffc, 8],
    [0x17fffe, 2],
    [0x103ff0, 0x2020],
    [0x13fffd, 0x8007],
    [0x4007ff, 0x30001],
    [0x49ffff, 1],
    [0x300800, 28],
    [0x7ffff8, 8],
  ]) {
    expect(Buffer.from(img.read(a, n)).equals(Buffer.from(mem.read(a, n)))).toBe(true);
  }
  expect(new TextDecoder().decode(img.read(0x0ffc, 8))).toBe('CROSSES!');
  expect(new TextDecoder().decode(img.read(0x300800, 28))).toBe('Darwin Kernel Version 99.0.0');
  expect([...img.read(0x7ffffc, 4)]).toEqual([0xca, 0xfe, 0xba, 0xbe]);
  // readInto with an offset leaves the rest of the buffer alone
  const buf = new Uint8Array(16).fill(0xee);
  img.readInto(0x17fffc, buf, 4, 4);
  expect([...buf]).toEqual([0xee, 0xee, 0xee, 0xee, 1, 2, 3, 4, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
  // holes
  expectNotPresent(() => img.read(0x10000, 1), 0x10000);
  expectNotPresent(() => img.read(0xfff0, 0x20), 0x10000);
  expectNotPresent(() => img.read(0x17fff0, 0x20), 0x180000);
  expectNotPresent(() => img.read(0x200000, 0x1000), 0x200000);
  expectNotPresent(() => img.read(0x2ff000, 0x2000), 0x2ff000);
  expectNotPresent(() => img.read(0x7ffff0, 0x20), 0x800000);
  expect(img.isPresent(0x100000, 0x80000)).toBe(true);
  expect(img.isPresent(0x17ffff, 2)).toBe(false);
  expect(img.isPresent(0x200000)).toBe(false);
  expect(img.isPresent(0x7ff000, 0x1000)).toBe(true);
}

/** padded/linear images: one range [0, size) and holes read as zeros */
export function checkLinearImage(img: PhysicalImage, mem: SparseMemoryImpl, size: number): void {
  expect(img.ranges).toEqual([{ start: 0, length: size }]);
  const all = img.read(0, size);
  expect(Buffer.from(all).equals(Buffer.from(mem.read(0, size)))).toBe(true);
  expect(new TextDecoder().decode(img.read(0x300800, 28))).toBe('Darwin Kernel Version 99.0.0');
  expect([...img.read(0x200000, 4)]).toEqual([0, 0, 0, 0]);
  expectNotPresent(() => img.read(size - 4, 8), size);
  expectNotPresent(() => img.read(size, 1), size);
}
