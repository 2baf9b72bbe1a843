import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { NotPresentError } from '../../core/errors';
import { X86_64Space } from '../../core/translate/x86_64';
import { pagedReader, readPresent } from '../../core/translate/present';
import { createSynthKernel, memoryImage, sampleBanner, X86_HEAP_BASE, X86_KERNEL_LINK, X86_PHYSMAP_BASE } from '../../core/synth/kernel';
import { SparseMemoryBuilder } from '../../core/synth/memory';

function thrown(f: () => unknown): NotPresentError {
  try {
    f();
  } catch (e) {
    return e as NotPresentError;
  }
  throw new Error('expected an error');
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function build() {
  const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(19), seed: 11 });
  // 256 KiB heap buffer with a recognisable pattern: every 4 KiB page lands on a scattered frame
  const buf = k.alloc(256 * 1024, 4096);
  const pattern = new Uint8Array(256 * 1024);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + (i >>> 12)) & 0xff;
  k.write(buf, pattern);
  const g = k.global('marker', 64, 16);
  k.write(g, Buffer.from('kernel-image global via a 2 MiB page'));
  const img = k.finish();
  return { k, img, buf, pattern, g, image: memoryImage(img.memory) };
}

describe('x86_64 4-level translation', () => {
  const { k, img, buf, pattern, g, image } = build();
  const space = new X86_64Space(image, img.dtb);

  it('has the builder\'s table root and page size', () => {
    expect(space.dtb).toBe(img.dtb);
    expect(space.pageSize).toBe(4096);
    expect(space.arch).toBe('x86_64');
  });

  it('translates 4 KiB heap pages to the scattered frames the builder chose', () => {
    let scattered = 0;
    for (let off = 0n; off < 256n * 1024n; off += 4096n) {
      const p = space.translate(buf + off + 123n);
      expect(p).toBe(k.vaToPhys(buf + off + 123n));
      if (off > 0n && p !== space.translate(buf + off - 4096n) + 4096) scattered++;
    }
    expect(scattered).toBeGreaterThan(50); // physically non-contiguous
  });

  it('reads a 256 KiB buffer across 64 page boundaries byte-exactly', () => {
    const got = space.read(buf, pattern.length);
    expect(sha(got)).toBe(sha(pattern));
    // an unaligned read straddling one boundary
    const cross = space.read(buf + 4096n - 3n, 7);
    expect([...cross]).toEqual([...pattern.subarray(4093, 4100)]);
    // page by page into one buffer
    const out = new Uint8Array(pattern.length);
    for (let off = 0; off < pattern.length; off += 4096) space.readInto(buf + BigInt(off), out, off, 4096);
    expect(sha(out)).toBe(sha(pattern));
  });

  it('translates kernel-image addresses through 2 MiB pages (PAT bit masked)', () => {
    const kernelBase = X86_KERNEL_LINK + img.slide;
    expect(space.translate(kernelBase)).toBe(0x200000 + Number(img.slide));
    // the second 2 MiB page carries the PAT bit (bit 12) in its entry
    expect(space.translate(kernelBase + 0x200000n + 0x1234n)).toBe(0x400000 + Number(img.slide) + 0x1234);
    expect(Buffer.from(space.read(g, 36)).toString('latin1')).toBe('kernel-image global via a 2 MiB page');
  });

  it('translates through a 1 GiB page (physmap onto physical 0)', () => {
    expect(space.translate(X86_PHYSMAP_BASE + BigInt(img.dtb) + 0x123n)).toBe(img.dtb + 0x123);
    const p = k.vaToPhys(buf);
    expect([...space.read(X86_PHYSMAP_BASE + BigInt(p), 16)]).toEqual([...pattern.subarray(0, 16)]);
  });

  it('reads u32/u64 little-endian across a page boundary', () => {
    const va = buf + 4096n - 4n;
    const bytes = pattern.subarray(4092, 4100);
    expect(space.readU64(va)).toBe(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(space.readU32(va + 2n)).toBe(new DataView(bytes.buffer, bytes.byteOffset).getUint32(2, true));
  });

  it('names the first missing virtual address when a read runs into an unmapped page', () => {
    const end = X86_HEAP_BASE + 0x30000000n; // far beyond the heap cursor: not mapped
    expect(space.tryTranslate(end)).toBe(-1);
    expect(() => space.translate(end)).toThrowError(NotPresentError);
    const e1 = thrown(() => space.read(end, 16));
    expect(e1).toBeInstanceOf(NotPresentError);
    expect(e1.space).toBe('virtual');
    expect(e1.address).toBe(end);
    expect(e1.message).toMatch(/not mapped/);
    // a read that starts mapped and runs past the last heap page names the first unmapped byte
    const last = buf + 256n * 1024n;
    expect(k.vaToPhys(last)).toBe(-1);
    const e2 = thrown(() => space.read(last - 8n, 16));
    expect(e2.address).toBe(last);
  });

  it('keeps translations and failure messages right when granules share a TLB slot', () => {
    // granules 4096 apart (16 MiB) share a slot of the direct-mapped TLB; alternate among a heap
    // page, the kernel image, an unmapped address and the physmap, twice, against a fresh space
    const unmapped = X86_HEAP_BASE + 0x30000000n;
    const vas = [buf + 5n * 4096n + 9n, X86_KERNEL_LINK + 0x1234n, unmapped, buf + 5n * 4096n + 9n + 4096n * 4096n, X86_PHYSMAP_BASE + 0x5000n];
    const fresh = new X86_64Space(image, img.dtb);
    const expected = vas.map((va) => fresh.tryTranslate(va));
    expect(expected[0]).toBe(k.vaToPhys(vas[0]!));
    expect(expected[2]).toBe(-1);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < vas.length; i++) expect(space.tryTranslate(vas[i]!)).toBe(expected[i]);
      expect(thrown(() => space.translate(unmapped)).message).toBe(thrown(() => fresh.translate(unmapped)).message);
    }
    expect(thrown(() => space.translate(unmapped)).message).toMatch(/not mapped/);
  });

  it('granuleBases gives what tryTranslate gives, granule by granule: 4 KiB, 2 MiB and 1 GiB pages, unmapped, non-canonical', () => {
    const fresh = new X86_64Space(image, img.dtb);
    const starts: Array<[bigint, number]> = [
      [buf - 40n * 4096n + 7n, 200], // the heap buffer, from before it to past it, across PT boundaries
      [X86_KERNEL_LINK + img.slide - 0x1000n, 1100], // into and across 2 MiB pages
      [X86_PHYSMAP_BASE + 0x3ff00000n, 600], // the end of one 1 GiB page into the next
      [0x00007fffffffe000n, 8], // across the top of the lower canonical half
    ];
    let mapped = 0;
    let unmapped = 0;
    for (const [va, n] of starts) {
      const out = new Float64Array(n);
      fresh.granuleBases(va, n, out);
      for (let i = 0; i < n; i++) {
        const t = space.tryTranslate(va - (va % 4096n) + BigInt(i * 4096));
        expect(out[i], `${va.toString(16)} + ${i} granules`).toBe(t);
        if (t < 0) unmapped++;
        else mapped++;
      }
    }
    expect(mapped).toBeGreaterThan(1000);
    expect(unmapped).toBeGreaterThan(10);
    // a walk after runs still names what is missing
    expect(() => fresh.translate(0x8000000000000000n)).toThrow(/outside the kernel address space/);
  });

  it('rejects non-canonical addresses', () => {
    expect(space.tryTranslate(0x0000900000000000n)).toBe(-1);
    expect(() => space.translate(0x8000000000000000n)).toThrow(/outside the kernel address space/);
  });
});

describe('x86_64 tables or pages absent from the image', () => {
  // a hand-made hierarchy: PML4@0x1000, PDPT@0x2000, PD@0x3000, PT@0x4000; one entry points at a
  // table beyond the image, one at a page beyond it
  const mem = new SparseMemoryBuilder(0x100000);
  const e = (phys: number, flags = 3): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(phys) | BigInt(flags), true);
    return b;
  };
  mem.write(0x1000 + 0 * 8, e(0x2000));
  mem.write(0x2000 + 0 * 8, e(0x3000));
  mem.write(0x3000 + 0 * 8, e(0x4000));
  mem.write(0x3000 + 1 * 8, e(0x7f000000)); // PT not in the image
  mem.write(0x4000 + 5 * 8, e(0x8000));
  mem.write(0x4000 + 6 * 8, e(0x9000000)); // page not in the image
  mem.write(0x8000, Buffer.from('page eight'));
  const image = memoryImage(mem.finish());
  const space = new X86_64Space(image, 0x1000);

  it('translates the one good page', () => {
    expect(space.translate(0x5000n + 3n)).toBe(0x8003);
    expect(Buffer.from(space.read(0x5000n, 10)).toString()).toBe('page eight');
  });

  it('reports a page table outside the image with the table address', () => {
    expect(() => space.read(0x200000n, 4)).toThrow(/PT table at physical 0x7f000000 is not in the image/);
  });

  it('reports a leaf page outside the image', () => {
    expect(() => space.translate(0x6000n)).toThrow(/maps to a page at physical 0x9000000 that is not in the image/);
  });

  it('reports a non-present entry with the entry address', () => {
    expect(() => space.translate(0x7000n)).toThrow(/PT entry not valid at physical 0x4038/);
  });

  it('granuleBases over absent tables and pages gives -1 where tryTranslate does, and messages stay right', () => {
    const fresh = new X86_64Space(image, 0x1000);
    const out = new Float64Array(1024);
    fresh.granuleBases(0n, 1024, out);
    for (let i = 0; i < 1024; i++) expect(out[i], `granule ${i}`).toBe(space.tryTranslate(BigInt(i * 4096)));
    expect(out[5]).toBe(0x8000);
    expect(out.filter((b) => b >= 0).length).toBe(1);
    expect(() => fresh.translate(0x6000n)).toThrow(/maps to a page at physical 0x9000000 that is not in the image/);
    expect(() => fresh.translate(0x7000n)).toThrow(/PT entry not valid at physical 0x4038/);
  });

  it('pagedReader reads what readPresent reads: within a page, across pages, over absent ones', () => {
    const read = pagedReader(space, 4);
    for (const [va, n] of [
      [0x5000n, 10],
      [0x5000n + 4090n, 6],
      [0x5000n + 4090n, 20], // into the page whose frame is not in the image
      [0x4ff0n, 40], // from an unmapped page into the good one
      [0x5000n, 4096],
      [0x5000n + 3n, 7],
    ] as Array<[bigint, number]>) {
      const want = readPresent(space, va, n);
      const got = read(va, n);
      expect([...got.bytes], `${va.toString(16)}+${n}`).toEqual([...want.bytes]);
      expect(got.holes).toEqual(want.holes);
    }
    expect(read(0x5000n + 4090n, 20).holes.length).toBe(1);
  });

  it('a root outside the image fails every translation', () => {
    const s = new X86_64Space(image, 0x7000000);
    expect(s.tryTranslate(0x5000n)).toBe(-1);
    expect(() => s.translate(0x5000n)).toThrow(/PML4 table at physical 0x7000000 is not in the image/);
  });
});
