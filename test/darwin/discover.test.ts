import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xz } from '@napi-rs/lzma';
import { discoverKernel, findBanners } from '../../core/darwin/discover';
import { DiscoveryError } from '../../core/errors';
import { openImage } from '../../core/image';
import { parseIsfText } from '../../core/symbols/isf';
import { isfToJson } from '../../core/synth/isf';
import { createSynthKernel, memoryImage, sampleBanner, X86_PHYSMAP_BASE, type SynthKernelExtras, type SynthKernelImage } from '../../core/synth/kernel';
import { writeAff4, writeElf, writeLime, writeMachO, writeRaw } from '../../core/synth/containers';
import { SparseMemoryBuilder } from '../../core/synth/memory';

const B17 = sampleBanner(17);
const B24 = sampleBanner(24);
const B22ARM = sampleBanner(22, 'T8103');
const MARKER = Buffer.from('compressor heap marker');

function x86(extras: SynthKernelExtras & { banner?: string; seed?: number; slide?: bigint } = {}) {
  const k = createSynthKernel({ arch: 'x86_64', banner: extras.banner ?? B17, seed: extras.seed ?? 11, ...extras });
  const heap = k.alloc(3 * 4096 + 100, 4096);
  k.write(heap + 4096n - 10n, MARKER); // straddles two scattered pages
  return { k, heap };
}

async function expectError(p: Promise<unknown>): Promise<DiscoveryError> {
  try {
    await p;
  } catch (e) {
    return e as DiscoveryError;
  }
  throw new Error('expected discovery to fail');
}

const table = (img: SynthKernelImage) => parseIsfText(isfToJson(img.isf), 'synthetic.json');

describe('x86_64 discovery (Volatility 3 method)', () => {
  const { k, heap } = x86();
  // a second copy of the banner below the kernel (as kernel logs and kernelcache copies are)
  k.write(X86_PHYSMAP_BASE + 0x300000n, Buffer.from(B17 + '\0', 'latin1'));
  const img = k.finish();
  const image = memoryImage(img.memory, 'mem.raw');

  it('golden: banner, slide, table root, translated bytes (ISF fast path)', async () => {
    const d = await discoverKernel(image, table(img));
    expect(d.banner).toBe(B17);
    expect(d.bannerOffset).toBe(0x1d00000);
    expect(d.arch).toBe('x86_64');
    expect(d.slide).toBe(0x1a00000n);
    expect(d.physicalShift).toBe(0x1a00000);
    expect(d.dtb).toBe(0x20bd000);
    expect(img.slide).toBe(d.slide);
    expect(img.dtb).toBe(d.dtb);
    expect(d.method).toMatch(/BootPML4 → IdlePML4 \(Volatility 3\)/);
    expect(d.version.major).toBe(17);
    expect(d.version.macos).toBe('10.13');
    expect(d.symbolsSource).toBe('synthetic.json');
    expect(Buffer.from(d.space.read(heap + 4096n - 10n, MARKER.length))).toEqual(MARKER);
  });

  it('the full scan finds both copies and still picks the kernel\'s own', async () => {
    const d = await discoverKernel(image, table(img), { fullScan: true });
    expect(d.bannerOffset).toBe(0x1d00000);
    expect(d.slide).toBe(0x1a00000n);
    expect(d.dtb).toBe(0x20bd000);
    expect(d.bannersFound).toEqual([B17]);
    const f = await findBanners(image);
    expect(f.banners.map((b) => b.offset)).toEqual([0x300000, 0x1d00000]);
    expect(f.distinct).toEqual([B17]);
    expect(f.catfish).toHaveLength(1); // lowGlo, page aligned, inside the kernel image
    expect(f.catfish[0]! % 4096).toBe(0);
  });

  it('without symbols: NO_SYMBOLS listing the banner found', async () => {
    const e = await expectError(discoverKernel(image));
    expect(e).toBeInstanceOf(DiscoveryError);
    expect(e.code).toBe('NO_SYMBOLS');
    expect(e.details['bannersFound']).toEqual([B17]);
    expect(e.message).toContain(`found in mem.raw:\n  ${B17}`);
  });

  it('an ISF for another kernel: NO_SYMBOLS naming the banner found and the ISF banner', async () => {
    const other = x86({ banner: sampleBanner(19), seed: 2 }).k.finish();
    const e = await expectError(discoverKernel(image, table(other)));
    expect(e.code).toBe('NO_SYMBOLS');
    expect(e.message).toContain(B17);
    expect(e.details['closest']).toEqual([sampleBanner(19)]);
  });

  it('an ISF with the right banner but wrong addresses: BAD_SYMBOLS saying why', async () => {
    const bad = structuredClone(img.isf);
    bad.symbols['version_major']!.address += 8n;
    const e = await expectError(discoverKernel(image, parseIsfText(isfToJson(bad), 'bad.json')));
    expect(e.code).toBe('BAD_SYMBOLS');
    expect(e.message).toContain('bad.json names this kernel\'s banner, but its addresses do not fit the image');
    expect(e.message).toMatch(/version_major\/version_minor at the implied addresses read 0\.7, not 17\.7/);
  });
});

describe('x86_64 macOS 15 fallbacks (BootPML4 zeroed, physical and virtual slides apart)', () => {
  const build = (extra: SynthKernelExtras = {}) => {
    const { k, heap } = x86({ banner: B24, seed: 9, slide: 0x1e00000n, physicalSlide: 0xe00000n, ...extra });
    return { img: k.finish(), heap };
  };

  it('slide from lowGlo.lgVersion, DTB from IdlePML4 read physically', async () => {
    const { img, heap } = build();
    const d = await discoverKernel(memoryImage(img.memory), table(img));
    expect(d.slide).toBe(0x1e00000n);
    expect(d.physicalShift).toBe(0xe00000);
    expect(d.dtb).toBe(0xcb7000);
    expect(d.bannerOffset).toBe(0x1100000);
    expect(d.method).toMatch(/slide from lowGlo\.lgVersion; DTB 0xcb7000 from IdlePML4 read physically/);
    expect(d.version.macos).toBe('15');
    expect(Buffer.from(d.space.read(heap + 4086n, MARKER.length))).toEqual(MARKER);
  });

  it('kernel_pmap_store.pm_cr3 when IdlePML4 is empty', async () => {
    const { img } = build({ zeroGlobals: ['IdlePML4'] });
    const d = await discoverKernel(memoryImage(img.memory), table(img));
    expect(d.dtb).toBe(img.dtb);
    expect(d.method).toMatch(/from kernel_pmap_store\.pm_cr3/);
  });

  it('lowGlo → kdp_jtag_coredump when the pmap is empty too (debug boot-arg)', async () => {
    const { img } = build({ zeroGlobals: ['IdlePML4', 'kernel_pmap_store'], jtagCoredump: true });
    const d = await discoverKernel(memoryImage(img.memory), table(img));
    expect(d.dtb).toBe(img.dtb);
    expect(d.method).toMatch(/from kdp_jtag_coredump\.kernel_pmap_pml4/);
  });

  it('nothing left: BAD_SYMBOLS explains that no table root was found', async () => {
    const { img } = build({ zeroGlobals: ['IdlePML4', 'kernel_pmap_store'] });
    const e = await expectError(discoverKernel(memoryImage(img.memory), table(img)));
    expect(e.code).toBe('BAD_SYMBOLS');
    expect(e.message).toMatch(/no page-table root found/);
  });
});

describe('arm64 discovery (gVirtBase/gPhysBase + cpu_ttep, 16 KiB granule)', () => {
  const build = (extra: SynthKernelExtras = {}) => {
    const k = createSynthKernel({ arch: 'arm64', banner: B22ARM, seed: 5, ...extra });
    const heap = k.alloc(40000, 16384);
    k.write(heap + 16384n - 4n, MARKER);
    return { img: k.finish(), heap };
  };

  it('golden: banner, slide, TTBR1 root, T1SZ and translated bytes', async () => {
    const { img, heap } = build();
    const d = await discoverKernel(memoryImage(img.memory), table(img));
    expect(d.arch).toBe('arm64');
    expect(d.banner).toBe(B22ARM);
    expect(d.bannerOffset).toBe(0x2900000);
    expect(d.slide).toBe(0x1c6c000n);
    expect(d.dtb).toBe(0x4c24000);
    expect(d.t1sz).toBe(17);
    expect(d.space.pageSize).toBe(16384);
    expect(d.physicalShift).toBe(0x900000);
    expect(d.version.soc).toBe('T8103');
    expect(d.method).toMatch(/slide from gVirtBase 0xfffffe0008470000 \/ gPhysBase 0x2000000; TTBR1 root 0x4c24000 from cpu_ttep/);
    expect(Buffer.from(d.space.read(heap + 16380n, MARKER.length))).toEqual(MARKER);
    const full = await discoverKernel(memoryImage(img.memory), table(img), { fullScan: true });
    expect([full.slide, full.dtb]).toEqual([d.slide, d.dtb]);
  });

  it('kernel_pmap_store.ttep when cpu_ttep is empty; vm_kernel_slide when gVirtBase is', async () => {
    const { img } = build({ zeroGlobals: ['cpu_ttep', 'gVirtBase'] });
    const d = await discoverKernel(memoryImage(img.memory), table(img));
    expect(d.slide).toBe(0x1c6c000n);
    expect(d.dtb).toBe(img.dtb);
    expect(d.method).toMatch(/slide from vm_kernel_slide; TTBR1 root 0x[0-9a-f]+ from kernel_pmap_store\.ttep/);
  });
});

describe('images in containers and bad images', () => {
  let dir = '';
  const { k, heap } = x86({ seed: 11 });
  const img = k.finish();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'unfold-discover-'));
    writeFileSync(join(dir, 'k17.json.xz'), await xz.compress(Buffer.from(isfToJson(img.isf))));
    writeFileSync(join(dir, 'k19.json'), isfToJson(x86({ banner: sampleBanner(19), seed: 3 }).k.finish().isf));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const writers: Array<[string, (f: string) => void]> = [
    ['raw', (f) => writeRaw(img.memory, f)],
    ['lime', (f) => writeLime(img.memory, f)],
    ['elf', (f) => writeElf(img.memory, f)],
    ['macho', (f) => writeMachO(img.memory, f)],
    ['aff4', (f) => writeAff4(img.memory, f, { compression: 'snappy', uuid: '8a2c5f4e-1b7d-4c3a-9e6f-0d1c2b3a4f5e' })],
  ];
  for (const [format, write] of writers) {
    it(`finds the kernel in ${format} with a symbol folder (xz ISF chosen by banner)`, async () => {
      const f = join(dir, `image.${format}`);
      write(f);
      const image = await openImage(f);
      try {
        expect(image.format).toBe(format);
        const d = await discoverKernel(image, dir);
        expect(d.symbolsSource).toBe(join(dir, 'k17.json.xz'));
        expect([d.banner, d.slide, d.dtb]).toEqual([B17, 0x1a00000n, 0x20bd000]);
        expect(Buffer.from(d.space.read(heap + 4086n, MARKER.length))).toEqual(MARKER);
      } finally {
        image.close();
      }
    });
  }

  it('a raw image cut before the kernel: NO_KERNEL', async () => {
    const f = join(dir, 'cut.raw');
    writeRaw(img.memory, f);
    truncateSync(f, 0x1000000);
    const image = await openImage(f);
    try {
      const e = await expectError(discoverKernel(image, dir));
      expect(e.code).toBe('NO_KERNEL');
      expect(e.message).toMatch(/No macOS kernel banner \("Darwin Kernel Version …"\) was found in .*cut\.raw \(16\.0 MiB in 1 physical range\(s\) searched/);
    } finally {
      image.close();
    }
  });

  it('a LiME image truncated inside the kernel: BAD_SYMBOLS naming the missing table root and the truncation', async () => {
    const f = join(dir, 'cut.lime');
    writeLime(img.memory, f);
    truncateSync(f, Math.floor(statSync(f).size / 3));
    const image = await openImage(f);
    try {
      const e = await expectError(discoverKernel(image, dir));
      expect(e.code).toBe('BAD_SYMBOLS');
      expect(e.message).toMatch(/DTB \(0x20bd000 from IdlePML4 read physically, not in the image\)/);
      expect(e.message).toMatch(/Image notes: .*truncated/);
    } finally {
      image.close();
    }
  });

  it('memory without any kernel: NO_KERNEL', async () => {
    const mem = new SparseMemoryBuilder(0x400000);
    mem.write(0x1000, Buffer.from('Darwin Kernel Version garbage\0'));
    const e = await expectError(discoverKernel(memoryImage(mem.finish()), dir));
    expect(e.code).toBe('NO_KERNEL');
  });

  it('cancels when asked', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(discoverKernel(memoryImage(img.memory), table(img), { fullScan: true, signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
