import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { NotPresentError } from '../../core/errors';
import { Arm64Space, stripKernelPac } from '../../core/translate/arm64';
import { createSpace } from '../../core/translate';
import { ARM_KERNEL_LINK, ARM_KERNEL_PHYS_OFFSET, ARM_PHYS_BASE, ARM_PHYSMAP_BASE, createSynthKernel, memoryImage, sampleBanner } from '../../core/synth/kernel';
import { SparseMemoryBuilder } from '../../core/synth/memory';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('arm64 16 KiB granule, T1SZ 17 (synthetic macOS kernel)', () => {
  const k = createSynthKernel({ arch: 'arm64', banner: sampleBanner(22, 'T8103'), seed: 5 });
  const buf = k.alloc(256 * 1024, 16384);
  const pattern = new Uint8Array(256 * 1024);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 13 + (i >>> 14)) & 0xff;
  k.write(buf, pattern);
  const img = k.finish();
  const image = memoryImage(img.memory);
  const space = new Arm64Space(image, img.dtb, 17);

  it('uses 16 KiB pages and the builder\'s TTBR1 root', () => {
    expect(space.pageSize).toBe(16384);
    expect(space.dtb).toBe(img.dtb);
    expect(img.t1sz).toBe(17);
    expect(createSpace('arm64', image, img.dtb).arch).toBe('arm64');
  });

  it('maps the kernel image linearly at gPhysBase + 0x800000', () => {
    const base = ARM_KERNEL_LINK + img.slide;
    expect(space.translate(base)).toBe(ARM_PHYS_BASE + ARM_KERNEL_PHYS_OFFSET);
    expect(space.translate(base + 0x123457n)).toBe(ARM_PHYS_BASE + ARM_KERNEL_PHYS_OFFSET + 0x123457);
  });

  it('reads a 256 KiB buffer of scattered 16 KiB pages across every boundary', () => {
    expect(sha(space.read(buf, pattern.length))).toBe(sha(pattern));
    expect([...space.read(buf + 16384n - 5n, 10)]).toEqual([...pattern.subarray(16379, 16389)]);
    for (let off = 0n; off < 256n * 1024n; off += 16384n) expect(space.translate(buf + off + 99n)).toBe(k.vaToPhys(buf + off + 99n));
  });

  it('translates through a 32 MiB L2 block', () => {
    expect(space.translate(ARM_PHYSMAP_BASE + BigInt(img.dtb - ARM_PHYS_BASE) + 8n)).toBe(img.dtb + 8);
    const p = k.vaToPhys(buf + 16384n);
    expect([...space.read(ARM_PHYSMAP_BASE + BigInt(p - ARM_PHYS_BASE), 4)]).toEqual([...pattern.subarray(16384, 16388)]);
  });

  it('names unmapped and out-of-range addresses', () => {
    expect(() => space.translate(0xfffffe0fff000000n)).toThrow(NotPresentError);
    expect(() => space.translate(0x0000000100000000n)).toThrow(/outside the kernel address space/);
    expect(space.tryTranslate(0xffff7fffffffc000n)).toBe(-1); // below the 47-bit TTBR1 region
  });

  it('strips pointer-authentication bits', () => {
    expect(stripKernelPac(0x8f1a7e0007004123n)).toBe(0xfffffe0007004123n);
  });
});

describe('arm64 T1SZ 25 (39-bit, 8-entry L1 root), hand-made tables', () => {
  const mem = new SparseMemoryBuilder(0x200000);
  const d = (phys: number, bits: number, hi = 0n): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(phys) | BigInt(bits) | hi, true);
    return b;
  };
  const va = 0xffffffc000000000n; // va48 0xffc0_0000_0000 → L1 index 4
  for (const t of [0x10000, 0x14000, 0x18000, 0x20000]) mem.write(t, new Uint8Array(16384));
  mem.write(0x10000 + 4 * 8, d(0x14000, 3));
  mem.write(0x14000 + 0 * 8, d(0x18000, 3));
  mem.write(0x18000 + 0 * 8, d(0x20000, 0x403, 3n << 53n)); // page, AF, PXN|UXN
  mem.write(0x18000 + 1 * 8, d(0x1fc000, 0x401)); // bit 1 clear at L3: invalid
  mem.write(0x14000 + 1 * 8, d(0x0, 0x401)); // L2 block onto physical 0 (32 MiB), mostly absent
  mem.write(0x10000 + 5 * 8, d(0x0, 0x401)); // an L1 block: not valid with a 16 KiB granule
  mem.write(0x20000 + 0x3ffe, Buffer.from('AB'));
  mem.write(0x10000 + 0x100, Buffer.from('block'));
  const image = memoryImage(mem.finish());
  const space = new Arm64Space(image, 0x10000, 25);

  it('walks L1 → L2 → L3', () => {
    expect(space.translate(va + 0x3ffen)).toBe(0x23ffe);
    expect(Buffer.from(space.read(va + 0x3ffen, 2)).toString()).toBe('AB');
  });

  it('walks an L2 block', () => {
    expect(space.translate(va + 0x2000000n + 0x10100n)).toBe(0x10100);
    expect(Buffer.from(space.read(va + 0x2000000n + 0x10100n, 5)).toString()).toBe('block');
  });

  it('refuses L3 entries without the page bit and L1 blocks', () => {
    expect(() => space.translate(va + 0x4000n)).toThrow(/L3 entry not valid/);
    expect(() => space.translate(0xffffffd000000000n)).toThrow(/L1 entry not valid/);
  });

  it('crossing from a mapped page into an invalid one names the boundary', () => {
    let err: NotPresentError | undefined;
    try {
      space.read(va + 0x3ffen, 4);
    } catch (e) {
      err = e as NotPresentError;
    }
    expect(err?.address).toBe(va + 0x4000n);
  });

  it('addresses below the 39-bit region are outside TTBR1', () => {
    expect(space.tryTranslate(0xffffff7fffffc000n)).toBe(-1);
    expect(space.tryTranslate(0xfffffe0007004000n)).toBe(-1);
  });
});
