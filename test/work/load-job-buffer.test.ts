// Segment buffers read into a thread's reusable buffer (core/work/jobs.ts loadJobBuffer): the last
// page is read whole, but an image that ends inside that page loses none of the bytes before its end,
// and a buffer reused for a shorter segment shows nothing of the one before.
import { describe, expect, it } from 'vitest';
import { loadJobBuffer, packJob, threadScratch, unpackJob, type Job, type SegmentJob } from '../../core/work/jobs';
import { NotPresentError } from '../../core/errors';
import type { VirtualSpace } from '../../core/translate/types';

const PS = 4096;
const BASE = 0xffffff8000100000n;

/** a flat space over `mem`, whose bytes from `end` on are absent (an image cut there) */
function space(mem: Uint8Array, end: number, reads: number[]): VirtualSpace {
  const readInto = (va: bigint, out: Uint8Array, off: number, len: number): void => {
    const at = Number(va - BASE);
    reads.push(len);
    if (at + len > end) throw new NotPresentError('virtual', BASE + BigInt(Math.max(at, end)), 'is past the end of the image');
    out.set(mem.subarray(at, at + len), off);
  };
  return {
    arch: 'x86_64', pageSize: PS, dtb: 0,
    translate: (va) => Number(va - BASE), tryTranslate: (va) => Number(va - BASE),
    readInto,
    read: (va, len) => { const o = new Uint8Array(len); readInto(va, o, 0, len); return o; },
    readU32: () => 0, readU64: () => 0n,
  };
}

const job = (length: number): SegmentJob => ({
  ctx: { segment: 1, state: 'C_ON_AGE_Q', pageSize: PS, dictPreset: 0, arch: 'x86_64' },
  slots: [{ slot: 0, offset: 0, size: 16, codec: 0 }, { slot: 1, offset: length - 16, size: 16, codec: 0 }],
  read: { spec: { imagePath: 'x', arch: 'x86_64', dtb: 0 }, va: '0x' + BASE.toString(16), length },
});

describe('loadJobBuffer into the thread’s buffer', () => {
  const mem = new Uint8Array(4 * PS).map((_, i) => (i * 7 + 3) & 255);

  it('reads the last page whole (no read shorter than a page), and the job sees exactly its bytes', () => {
    const reads: number[] = [];
    const j = job(2 * PS + 100);
    expect(loadJobBuffer(j, space(mem, mem.length, reads), 'thread')).toEqual([]);
    expect(reads).toEqual([3 * PS]);
    expect(j.bytes!.length).toBe(2 * PS + 100);
    expect(Buffer.from(j.bytes!).equals(Buffer.from(mem.subarray(0, 2 * PS + 100)))).toBe(true);
    expect(j.holes).toBeUndefined();
  });

  it('an image cut inside the last page: the bytes before the cut are read, nothing is a hole', () => {
    const reads: number[] = [];
    const j = job(2 * PS + 100);
    expect(loadJobBuffer(j, space(mem, 2 * PS + 200, reads), 'thread')).toEqual([]);
    expect(Buffer.from(j.bytes!).equals(Buffer.from(mem.subarray(0, 2 * PS + 100)))).toBe(true);
    expect(j.holes).toBeUndefined();
  });

  it('an image cut before the buffer’s end: the page is a hole cut at the buffer’s end, named once', () => {
    const reads: number[] = [];
    const j = job(2 * PS + 100);
    const problems = loadJobBuffer(j, space(mem, 2 * PS, reads), 'thread');
    expect(j.holes).toEqual([{ from: 2 * PS, to: 2 * PS + 100, error: `virtual address 0x${(BASE + 2n * BigInt(PS)).toString(16)} is past the end of the image` }]);
    expect(problems).toEqual([`buffer page 0x${(BASE + 2n * BigInt(PS)).toString(16)} (offset 0x2000) is not present in the image: 1 slot(s) touching it are unreadable`]);
    expect(Buffer.from(j.bytes!.subarray(0, 2 * PS)).equals(Buffer.from(mem.subarray(0, 2 * PS)))).toBe(true);
    expect(j.bytes!.subarray(2 * PS).every((b) => b === 0)).toBe(true);
  });

  it('the reused buffer is this thread’s, and a job that keeps its bytes gets shared memory of its own', () => {
    const a = job(PS);
    loadJobBuffer(a, space(mem, mem.length, []), 'thread');
    expect(a.bytes!.buffer).toBe(threadScratch(PS).buffer);
    const k = { ...job(PS + 10), keep: true };
    loadJobBuffer(k, space(mem, mem.length, []), 'thread');
    expect(k.bytes!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(k.bytes!.length).toBe(PS + 10);
  });
});

describe('jobs posted to a worker', () => {
  it('cross with their slot list packed, and unpack to the same slots in the same order', () => {
    const slots = [
      { slot: 7, offset: 0, size: 4096, codec: 0 as const },
      { slot: 3, offset: 4096, size: 4, codec: 0 as const },
      { slot: 1023, offset: 4100, size: 1900, codec: 1 as const },
    ];
    const j: Job = { ...job(PS), slots, task: 'records' };
    const posted = structuredClone(packJob(j));
    expect(posted.packedSlots).toEqual(new Int32Array([7, 0, 4096, 0, 3, 4096, 4, 0, 1023, 4100, 1900, 1]));
    expect((posted as SegmentJob).slots).toEqual([]);
    unpackJob(posted);
    expect(posted).toEqual(j);
    // a job without slots goes as it is
    const values: Job = { task: 'values', queryKey: 'k', query: { strings: ['x'] }, values: ['0x1'], pageSize: PS };
    expect(packJob(values)).toBe(values);
  });
});
