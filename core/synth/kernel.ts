// Synthetic macOS kernels in synthetic physical memory, with real page tables, for tests and benches.
//
// x86_64 (4 KiB granule, IA-32e 4-level paging; everything under PML4[511] = 0xffffff80_00000000):
//   kernel image  link 0xffffff80_00200000 + slide, 4 MiB mapped with 2 MiB pages at physical
//                 0x200000 + physicalSlide (Volatility 3's "phys = VA − 0xffffff8000000000 + shift")
//   heap          0xffffff80_40000000 (1 GiB), 4 KiB pages scattered over physical memory
//   reserve       0xffffff80_80000000 … 0xffffff90_00000000, backed page by page on request
//   physmap       0xffffffa0_00000000: one 1 GiB page onto physical 0
//   globals       version (+ version_major/minor/revision), osversion, lowGlo ("Catfish ", page
//                 aligned), BootPML4 (a page holding a copy of the PML4, zeroed from darwin 24 on like
//                 macOS 15), IdlePML4 (u64 = physical PML4, below 4 GiB), kernel_pmap_store (pm_cr3 at
//                 +0x40), kdp_jtag_coredump (filled only with the debug boot-arg option)
// arm64 (16 KiB granule, TTBR1 with T1SZ = 17: 47-bit VAs, L1 46:36, L2 35:25, L3 24:14):
//   DRAM          from gPhysBase = 0x2000000 (the first 32 MiB of the physical space are a hole)
//   kernel image  link 0xfffffe00_07004000 + slide, 4 MiB of L3 pages, physically contiguous at
//                 gPhysBase + 0x800000; gVirtBase = slid kernel base − 0x800000 (xnu's static
//                 phystokv relation VA = PA − gPhysBase + gVirtBase)
//   heap          0xfffffe10_00000000; reserve 0xfffffe20_00000000 …; physmap 0xfffffe30_00000000 as
//                 32 MiB L2 blocks onto all of DRAM from gPhysBase
//   globals       version (+ major/minor), gVirtBase, gPhysBase, gPhysSize, cpu_ttep (= TTBR1 root),
//                 kernel_pmap → kernel_pmap_store (struct pmap: tte @0, ttep @8), vm_kernel_slide
// Deterministic for a given seed.
import type { PhysicalImage, PhysRange } from '../image/types';
import { NotPresentError } from '../errors';
import type { UserType } from '../symbols/types';
import { bannerConstantData, emptyIsf } from './isf';
import { SparseMemoryBuilder, SparseMemoryImpl } from './memory';
import type { IsfJson, SparseMemory, SynthImage, SynthKernel, SynthKernelOptions } from './types';

const P4K = 4096;
const MASK64 = (1n << 64n) - 1n;
const MASK48 = (1n << 48n) - 1n;

export const X86_KERNEL_BASE = 0xffffff8000000000n;
export const X86_KERNEL_LINK = 0xffffff8000200000n;
export const X86_HEAP_BASE = 0xffffff8040000000n;
export const X86_RESERVE_BASE = 0xffffff8080000000n;
export const X86_RESERVE_END = 0xffffff9000000000n;
export const X86_PHYSMAP_BASE = 0xffffffa000000000n;
export const ARM_KERNEL_LINK = 0xfffffe0007004000n;
export const ARM_HEAP_BASE = 0xfffffe1000000000n;
export const ARM_RESERVE_BASE = 0xfffffe2000000000n;
export const ARM_RESERVE_END = 0xfffffe3000000000n;
export const ARM_PHYSMAP_BASE = 0xfffffe3000000000n;
/** arm64: zone memory within 32 GiB of 0xfffffe00_00000000, so c_slot back-pointers (33 bits, shift 2) reach it */
export const ARM_ZONE_BASE = 0xfffffe0400000000n;
const ARM_ZONE_SIZE = 1n << 30n;
export const ARM_PHYS_BASE = 0x2000000;
export const ARM_KERNEL_PHYS_OFFSET = 0x800000;
export const ARM_T1SZ = 17;
const ARM_BLOCK = 32 * 1024 * 1024;
const KERNEL_IMAGE_SIZE = 4 * 1024 * 1024;
const KERNEL_DATA_START = 1024 * 1024; // text below, globals above
const HEAP_SIZE = 1n << 30n;

export const DEFAULT_SLIDE_X86 = 0x1a00000n;
export const DEFAULT_SLIDE_ARM = 0x1c6c000n;

export interface SynthKernelExtras {
  /** x86_64: physical shift of the kernel image when it differs from the virtual slide (macOS 15) */
  physicalSlide?: bigint;
  /** x86_64: keep (copy) or zero the BootPML4 page; default zero from darwin 24 on */
  bootPml4?: 'copy' | 'zero';
  /** x86_64: fill kdp_jtag_coredump (the kernel does so only with the `debug` boot-arg) */
  jtagCoredump?: boolean;
  /** leave these globals zeroed, to exercise discovery fallbacks */
  zeroGlobals?: string[];
  /** x86_64: put every page-table frame below this physical address (so a truncation above it keeps them) */
  tablesBelow?: number;
}

export interface SynthKernelImage extends SynthImage {
  physicalSlide: bigint;
  /** unslid address of `version` */
  versionAddress: bigint;
  /** physical address of the banner (the `version` global) */
  bannerPhys: number;
  /** arm64 only */
  t1sz?: number;
  gPhysBase?: number;
  gVirtBase?: bigint;
}

/** mulberry32: small deterministic PRNG */
export function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseDarwin(banner: string): { major: number; minor: number; patch: number } {
  const m = /Darwin Kernel Version (\d+)\.(\d+)\.(\d+)/.exec(banner);
  if (m === null) throw new Error(`synth kernel: banner does not start with "Darwin Kernel Version N.N.N": ${banner}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** physical memory (test/synth/memory.ts builder) with the few helpers the page-table code needs */
class PageStore {
  private readonly b: SparseMemoryBuilder;
  constructor(readonly size: number) {
    this.b = new SparseMemoryBuilder(Math.max(P4K, Math.ceil(size / P4K) * P4K));
  }
  /** make [phys, phys+len) present (zero-filled) */
  touch(phys: number, len: number): void {
    for (let a = phys - (phys % P4K); a < phys + len; a += P4K) this.b.page(a);
  }
  write(phys: number, bytes: Uint8Array): void {
    this.b.write(phys, bytes);
  }
  read(phys: number, length: number): Uint8Array {
    return this.b.read(phys, length);
  }
  writeU64(phys: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v & MASK64, true);
    this.write(phys, b);
  }
  readU64(phys: number): bigint {
    return new DataView(this.read(phys, 8).buffer).getBigUint64(0, true);
  }
  toSparse(): SparseMemoryImpl {
    return this.b.finish();
  }
}

/**
 * A PhysicalImage straight over a SparseMemory (no container): chunks are the ranges, holes are absent.
 * For unit tests of translation and discovery without any file format in between.
 */
export function memoryImage(mem: SparseMemory, path = 'synthetic'): PhysicalImage {
  const ranges: PhysRange[] = [];
  for (const c of mem.chunks) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.start + last.length === c.start) last.length += c.data.length;
    else ranges.push({ start: c.start, length: c.data.length });
  }
  const starts = mem.chunks.map((c) => c.start);
  const find = (phys: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= phys) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  };
  const isPresent = (phys: number, length = 1): boolean => {
    let at = phys;
    const end = phys + length;
    while (at < end) {
      const i = find(at);
      if (i < 0) return false;
      const c = mem.chunks[i]!;
      if (at >= c.start + c.data.length) return false;
      at = c.start + c.data.length;
    }
    return true;
  };
  const img: PhysicalImage = {
    format: 'raw',
    path,
    files: [],
    ranges,
    notes: [],
    readInto(phys, out, outOffset, length) {
      let done = 0;
      while (done < length) {
        const at = phys + done;
        const i = find(at);
        const c = i >= 0 ? mem.chunks[i]! : undefined;
        if (c === undefined || at >= c.start + c.data.length) throw new NotPresentError('physical', at);
        const n = Math.min(length - done, c.start + c.data.length - at);
        out.set(c.data.subarray(at - c.start, at - c.start + n), outOffset + done);
        done += n;
      }
    },
    read(phys, length) {
      const out = new Uint8Array(length);
      img.readInto(phys, out, 0, length);
      return out;
    },
    isPresent,
    close() {},
  };
  return img;
}

abstract class KernelBuilder implements SynthKernel {
  abstract readonly arch: 'x86_64' | 'arm64';
  abstract readonly pageSize: number;
  readonly slide: bigint;
  readonly banner: string;
  readonly darwin: { major: number; minor: number; patch: number };
  protected mem: PageStore;
  protected readonly rand: () => number;
  protected readonly isf: IsfJson = emptyIsf();
  protected readonly extras: SynthKernelExtras;
  /** frame bitmap over [physBase, physBase + physSize) in pageSize units */
  protected frames!: Uint8Array;
  protected physBase = 0;
  protected readonly physSize: number;
  /** granule index (va48 / pageSize) → physical frame address, for heap/reserve pages */
  protected readonly mapped = new Map<number, number>();
  protected dataCursor = 0;
  protected heapCursor = 0n;
  protected reserveCursor = 0n;
  protected zoneCursor = ARM_ZONE_BASE;
  protected finished = false;

  constructor(opts: SynthKernelOptions & SynthKernelExtras, defaultSlide: bigint) {
    this.banner = opts.banner;
    this.darwin = parseDarwin(opts.banner);
    this.slide = opts.slide ?? defaultSlide;
    this.physSize = opts.physSize ?? 64 * 1024 * 1024;
    this.rand = rng(opts.seed ?? 1);
    this.extras = opts;
    this.mem = new PageStore(0); // replaced by subclasses once physBase is known
  }

  protected initMemory(physBase: number): void {
    this.physBase = physBase;
    this.mem = new PageStore(physBase + this.physSize);
    this.frames = new Uint8Array(Math.floor(this.physSize / this.pageSize));
  }

  protected markFrames(phys: number, len: number): void {
    const ps = this.pageSize;
    for (let f = Math.floor((phys - this.physBase) / ps); f * ps < phys - this.physBase + len; f++) {
      if (f < 0 || f >= this.frames.length) throw new Error(`synth: physical 0x${phys.toString(16)} (+${len}) outside memory`);
      this.frames[f] = 1;
    }
  }

  /** a random free frame (zero-filled, present); `below` limits its physical address */
  protected allocFrame(below = Infinity): number {
    const ps = this.pageSize;
    const n = Math.min(this.frames.length, Math.floor((below - this.physBase) / ps));
    for (let tries = 0; tries < 64; tries++) {
      const f = Math.floor(this.rand() * n);
      if (this.frames[f] === 0) return this.takeFrame(f);
    }
    const start = Math.floor(this.rand() * n);
    for (let k = 0; k < n; k++) {
      const f = (start + k) % n;
      if (this.frames[f] === 0) return this.takeFrame(f);
    }
    throw new Error('synth: out of physical memory');
  }

  private takeFrame(f: number): number {
    this.frames[f] = 1;
    const phys = this.physBase + f * this.pageSize;
    this.mem.touch(phys, this.pageSize);
    return phys;
  }

  /** slid VA of the kernel image's first byte */
  protected abstract get kernelBase(): bigint;
  /** physical address of a slid VA inside the kernel image */
  protected abstract kernelPhys(va: bigint): number;
  /** map one granule of VA to a physical frame in the page tables */
  protected abstract mapGranule(va: bigint, phys: number): void;
  protected abstract physmap(va: bigint): number;
  protected abstract get heapBase(): bigint;
  protected abstract get reserveBase(): bigint;
  protected abstract get reserveEnd(): bigint;
  protected abstract get physmapBase(): bigint;
  protected abstract get physmapSize(): bigint;
  protected abstract finishArch(): Partial<SynthKernelImage>;
  abstract get dtb(): number;

  protected inKernelImage(va: bigint): boolean {
    return va >= this.kernelBase && va < this.kernelBase + BigInt(KERNEL_IMAGE_SIZE);
  }

  /** physical address of `va` as the builder mapped it, or -1 */
  vaToPhys(va: bigint): number {
    if (this.inKernelImage(va)) return this.kernelPhys(va);
    if (va >= this.physmapBase && va < this.physmapBase + this.physmapSize) return this.physmap(va);
    const ps = BigInt(this.pageSize);
    const g = Number((va & MASK48) / ps);
    const f = this.mapped.get(g);
    return f === undefined ? -1 : f + Number(va % ps);
  }

  protected checkOpen(): void {
    if (this.finished) throw new Error('synth kernel already finished');
  }

  alloc(size: number, align = 16): bigint {
    this.checkOpen();
    const a = BigInt(Math.max(align, 1));
    const va = ((this.heapCursor + a - 1n) / a) * a;
    if (va + BigInt(size) > this.heapBase + HEAP_SIZE) throw new Error('synth: kernel heap exhausted');
    this.heapCursor = va + BigInt(size);
    this.back(va, size);
    return va;
  }

  /**
   * kernel memory reachable by every packed-pointer scheme of the version (c_slot back-pointers:
   * 33 bits << 2 on arm64): the heap on x86_64, a zone region near the kernel on arm64
   */
  allocZone(size: number, align = 16): bigint {
    this.checkOpen();
    if (this.arch === 'x86_64') return this.alloc(size, align);
    const a = BigInt(Math.max(align, 1));
    const va = ((this.zoneCursor + a - 1n) / a) * a;
    if (va + BigInt(size) > ARM_ZONE_BASE + ARM_ZONE_SIZE) throw new Error('synth: zone region exhausted');
    this.zoneCursor = va + BigInt(size);
    this.back(va, size);
    return va;
  }

  /** a free physical page (kernel page size), zero-filled and present; for user pages and user page tables */
  allocPhysPage(): number {
    this.checkOpen();
    return this.allocFrame();
  }

  writePhys(phys: number, bytes: Uint8Array): void {
    this.mem.write(phys, bytes);
  }

  readPhys(phys: number, length: number): Uint8Array {
    return this.mem.read(phys, length);
  }

  /** the machine's RAM: first physical address and size in bytes */
  physRange(): { base: number; size: number } {
    return { base: this.physBase, size: this.physSize };
  }

  /** kernel VA of a physical address through the physmap */
  physToKva(phys: number): bigint {
    return this.physmapBase + BigInt(phys - (this.arch === 'arm64' ? ARM_PHYS_BASE : 0));
  }

  reserve(size: number, align = this.pageSize): bigint {
    this.checkOpen();
    const a = BigInt(Math.max(align, this.pageSize));
    const va = ((this.reserveCursor + a - 1n) / a) * a;
    if (va + BigInt(size) > this.reserveEnd) throw new Error('synth: reserve region exhausted');
    this.reserveCursor = va + BigInt(size);
    return va;
  }

  back(va: bigint, size: number): void {
    this.checkOpen();
    if (size <= 0) return;
    const ps = BigInt(this.pageSize);
    for (let p = (va / ps) * ps; p < va + BigInt(size); p += ps) {
      if (this.inKernelImage(p)) continue;
      const g = Number((p & MASK48) / ps);
      if (this.mapped.has(g)) continue;
      const phys = this.allocFrame();
      this.mapped.set(g, phys);
      this.mapGranule(p, phys);
    }
  }

  global(name: string, size: number, align = 8): bigint {
    this.checkOpen();
    const start = Math.ceil(this.dataCursor / align) * align;
    if (start + size > KERNEL_IMAGE_SIZE) throw new Error(`synth: kernel image full placing global ${name}`);
    this.dataCursor = start + size;
    const va = this.kernelBase + BigInt(start);
    this.defineSymbol(name, va);
    return va;
  }

  defineSymbol(name: string, va: bigint): void {
    this.isf.symbols[name] = { address: va - this.slide };
  }

  addUserType(name: string, type: UserType): void {
    this.isf.user_types[name] = type;
  }

  write(va: bigint, bytes: Uint8Array): void {
    let done = 0;
    const ps = this.pageSize;
    while (done < bytes.length) {
      const at = va + BigInt(done);
      const phys = this.vaToPhys(at);
      if (phys < 0) throw new Error(`synth: write to unmapped VA 0x${at.toString(16)}`);
      const n = Math.min(ps - Number(at % BigInt(ps)), bytes.length - done);
      this.mem.write(phys, bytes.subarray(done, done + n));
      done += n;
    }
  }

  writeU16(va: bigint, v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.write(va, b);
  }

  writeU32(va: bigint, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(va, b);
  }

  writeU64(va: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v & MASK64, true);
    this.write(va, b);
  }

  /** read back through the builder's own mapping (page by page) */
  readVa(va: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const ps = this.pageSize;
    let done = 0;
    while (done < length) {
      const at = va + BigInt(done);
      const p = this.vaToPhys(at);
      if (p < 0) throw new Error(`synth: read of unmapped VA 0x${at.toString(16)}`);
      const n = Math.min(ps - Number(at % BigInt(ps)), length - done);
      out.set(this.mem.read(p, n), done);
      done += n;
    }
    return out;
  }

  /** slid VA of a defined symbol */
  symbolVa(name: string): bigint {
    return this.sym(name);
  }

  /** record the ISF type of a symbol (as dwarf2json does for variables) */
  setSymbolType(name: string, type: unknown): void {
    const s = this.isf.symbols[name];
    if (s === undefined) throw new Error(`synth: no symbol ${name}`);
    s.type = type;
  }

  hasUserType(name: string): boolean {
    return this.isf.user_types[name] !== undefined;
  }

  protected sym(name: string): bigint {
    const s = this.isf.symbols[name];
    if (s === undefined) throw new Error(`synth: no symbol ${name}`);
    return s.address + this.slide;
  }

  protected zeroed(name: string): boolean {
    return this.extras.zeroGlobals?.includes(name) ?? false;
  }

  /** globals every Darwin kernel has: the banner and its parsed numbers */
  protected commonGlobals(): void {
    // some "text" so the image is not all zeros
    const text = new Uint8Array(KERNEL_DATA_START);
    for (let i = 0; i < text.length; i++) text[i] = (this.rand() * 256) | 0;
    text.fill(0, 0, 64);
    this.write(this.kernelBase, text);
    this.dataCursor = KERNEL_DATA_START;

    const b = Buffer.from(this.banner + '\0', 'latin1');
    const v = this.global('version', b.length, 16);
    this.isf.symbols['version'] = {
      address: v - this.slide,
      type: { kind: 'array', count: b.length, subtype: { kind: 'base', name: 'char' } },
      constant_data: bannerConstantData(this.banner),
    };
    this.write(v, b);
    for (const [n, val] of [
      ['version_major', this.darwin.major],
      ['version_minor', this.darwin.minor],
      ['version_revision', this.darwin.patch],
    ] as const) {
      const g = this.global(n, 4, 4);
      this.isf.symbols[n]!.type = { kind: 'base', name: 'int' };
      if (!this.zeroed(n)) this.writeU32(g, val);
    }
  }

  finish(): SynthKernelImage {
    this.checkOpen();
    const arch = this.finishArch();
    this.finished = true;
    const versionAddress = this.isf.symbols['version']!.address;
    return {
      memory: this.mem.toSparse(),
      isf: this.isf,
      banner: this.banner,
      slide: this.slide,
      dtb: this.dtb,
      arch: this.arch,
      pageSize: this.pageSize,
      physicalSlide: this.slide,
      versionAddress,
      bannerPhys: this.kernelPhys(versionAddress + this.slide),
      ...arch,
    };
  }
}

class X86Kernel extends KernelBuilder {
  readonly arch = 'x86_64' as const;
  readonly pageSize = P4K;
  readonly physicalSlide: bigint;
  private pml4 = 0;
  private pdptKernel = 0;

  constructor(opts: SynthKernelOptions & SynthKernelExtras) {
    super(opts, DEFAULT_SLIDE_X86);
    this.physicalSlide = opts.physicalSlide ?? this.slide;
    if (this.slide % 0x200000n !== 0n || this.physicalSlide % 0x200000n !== 0n) throw new Error('synth x86_64: slide must be a multiple of 2 MiB');
    this.initMemory(0);
    this.heapCursor = X86_HEAP_BASE;
    this.reserveCursor = X86_RESERVE_BASE;
    const kphys = this.kernelPhys(this.kernelBase);
    if (kphys + KERNEL_IMAGE_SIZE > this.physSize) throw new Error('synth x86_64: slide puts the kernel beyond physical memory');
    this.markFrames(0, 0x200000); // low memory (BIOS/EFI) is never handed out
    this.markFrames(kphys, KERNEL_IMAGE_SIZE);
    this.mem.touch(kphys, KERNEL_IMAGE_SIZE);
    // the PML4 must lie below 4 GiB: Volatility 3 reads IdlePML4 as a u32
    this.pml4 = this.allocFrame(Math.min(2 ** 32, opts.tablesBelow ?? Infinity));
    this.pdptKernel = this.ensureTable(this.pml4, 511);
    // kernel image: 2 MiB pages (one with the PAT bit set, which a walker must mask out)
    const pd = this.ensureTable(this.pdptKernel, 0);
    for (let off = 0; off < KERNEL_IMAGE_SIZE; off += 0x200000) {
      const va = this.kernelBase + BigInt(off);
      const idx = Number((va >> 21n) & 0x1ffn);
      const flags = off === 0 ? 0x83 : 0x83 | 0x1000;
      this.setEntry(pd, idx, kphys + off, flags, off !== 0);
    }
    // physmap: one 1 GiB page onto physical 0
    this.setEntry(this.pdptKernel, Number((X86_PHYSMAP_BASE >> 30n) & 0x1ffn), 0, 0x83, true);
    this.commonGlobals();
    this.archGlobals();
  }

  protected get kernelBase(): bigint {
    return X86_KERNEL_LINK + this.slide;
  }
  protected get heapBase(): bigint {
    return X86_HEAP_BASE;
  }
  protected get reserveBase(): bigint {
    return X86_RESERVE_BASE;
  }
  protected get reserveEnd(): bigint {
    return X86_RESERVE_END;
  }
  protected get physmapBase(): bigint {
    return X86_PHYSMAP_BASE;
  }
  protected get physmapSize(): bigint {
    return 1n << 30n;
  }
  get dtb(): number {
    return this.pml4;
  }

  protected kernelPhys(va: bigint): number {
    return Number(va - this.kernelBase) + 0x200000 + Number(this.physicalSlide);
  }

  protected physmap(va: bigint): number {
    return Number(va - X86_PHYSMAP_BASE);
  }

  private setEntry(table: number, idx: number, phys: number, flags: number, nx = false): void {
    const v = BigInt(phys) | BigInt(flags) | (nx ? 1n << 63n : 0n);
    this.mem.writeU64(table + idx * 8, v);
  }

  private ensureTable(table: number, idx: number): number {
    const e = this.mem.readU64(table + idx * 8);
    if (e & 1n) return Number(e & 0x000ffffffffff000n);
    const t = this.allocFrame(this.extras.tablesBelow);
    this.setEntry(table, idx, t, 0x3);
    return t;
  }

  protected mapGranule(va: bigint, phys: number): void {
    const v = va & MASK48;
    const pdpt = this.ensureTable(this.pml4, Number((v >> 39n) & 0x1ffn));
    const pd = this.ensureTable(pdpt, Number((v >> 30n) & 0x1ffn));
    const pt = this.ensureTable(pd, Number((v >> 21n) & 0x1ffn));
    this.setEntry(pt, Number((v >> 12n) & 0x1ffn), phys, 0x3, true);
  }

  private archGlobals(): void {
    const osv = this.global('osversion', 48, 8);
    this.write(osv, Buffer.from(`${this.darwin.major}A${100 + this.darwin.minor}\0`, 'latin1'));
    const boot = this.global('BootPML4', P4K, P4K);
    this.isf.symbols['BootPML4']!.type = { kind: 'array', count: 512, subtype: { kind: 'base', name: 'unsigned long long' } };
    void boot;
    const idle = this.global('IdlePML4', 8, 8);
    this.isf.symbols['IdlePML4']!.type = { kind: 'pointer', subtype: { kind: 'base', name: 'unsigned long long' } };
    if (!this.zeroed('IdlePML4')) this.writeU64(idle, BigInt(this.pml4));
    this.addUserType('pmap', {
      kind: 'struct',
      size: 0x80,
      fields: {
        pmap_rwl: { offset: 0, type: { kind: 'array', count: 0x40, subtype: { kind: 'base', name: 'unsigned char' } } },
        pm_cr3: { offset: 0x40, type: { kind: 'base', name: 'unsigned long long' } },
        pm_ucr3: { offset: 0x48, type: { kind: 'base', name: 'unsigned long long' } },
        pm_pml4: { offset: 0x50, type: { kind: 'pointer', subtype: { kind: 'base', name: 'unsigned long long' } } },
        pm_upml4: { offset: 0x58, type: { kind: 'pointer', subtype: { kind: 'base', name: 'unsigned long long' } } },
      },
    });
    const kps = this.global('kernel_pmap_store', 0x80, 64);
    this.isf.symbols['kernel_pmap_store']!.type = { kind: 'struct', name: 'pmap' };
    if (!this.zeroed('kernel_pmap_store')) {
      this.writeU64(kps + 0x40n, BigInt(this.pml4));
      this.writeU64(kps + 0x50n, X86_PHYSMAP_BASE + BigInt(this.pml4));
    }
    const kp = this.global('kernel_pmap', 8, 8);
    this.writeU64(kp, kps);
    const jtag = this.global('kdp_jtag_coredump', 9 * 8, 8);
    if (this.extras.jtagCoredump) {
      this.writeU64(jtag, 0x434f524544554d50n);
      this.writeU64(jtag + 8n, 1n);
      this.writeU64(jtag + 0x10n, X86_HEAP_BASE);
      this.writeU64(jtag + 0x18n, X86_RESERVE_END);
      this.writeU64(jtag + 0x20n, BigInt(this.pml4));
      this.writeU64(jtag + 0x40n, X86_PHYSMAP_BASE);
    }
    const sl = this.global('vm_kernel_slide', 8, 8);
    this.writeU64(sl, this.slide);
    this.global('lowGlo', P4K, P4K);
  }

  protected finishArch(): Partial<SynthKernelImage> {
    // BootPML4: the booter's copy of the top table (identity-maps nothing else here); macOS 15 zeroes it
    const bootMode = this.extras.bootPml4 ?? (this.darwin.major >= 24 ? 'zero' : 'copy');
    if (bootMode === 'copy' && !this.zeroed('BootPML4')) {
      this.write(this.sym('BootPML4'), this.mem.read(this.pml4, P4K));
    }
    if (!this.zeroed('lowGlo')) {
      const lg = this.sym('lowGlo');
      this.write(lg, Buffer.from('Catfish ', 'latin1'));
      this.writeU64(lg + 0x10n, this.kernelBase);
      const newer = this.darwin.major >= 22;
      if (newer) {
        this.writeU64(lg + 0x18n, 0n);
        this.writeU64(lg + 0x20n, 1n);
      }
      this.writeU64(lg + 0x30n, this.sym('version'));
      if (newer) {
        if (this.isf.symbols['c_buffers'] !== undefined) this.writeU64(lg + 0x38n, this.sym('c_buffers'));
        if (this.isf.symbols['c_buffers_size'] !== undefined) this.writeU64(lg + 0x40n, this.sym('c_buffers_size'));
        this.writeU64(lg + 0x938n, this.sym('kdp_jtag_coredump'));
      }
      this.writeU64(lg + 0x920n, this.sym('osversion'));
    }
    return { physicalSlide: this.physicalSlide };
  }
}

class ArmKernel extends KernelBuilder {
  readonly arch = 'arm64' as const;
  readonly pageSize = 16384;
  private root = 0;
  private readonly kernPhys: number;

  constructor(opts: SynthKernelOptions & SynthKernelExtras) {
    super(opts, DEFAULT_SLIDE_ARM);
    if (this.slide % 0x4000n !== 0n) throw new Error('synth arm64: slide must be a multiple of 16 KiB');
    this.initMemory(ARM_PHYS_BASE);
    this.kernPhys = ARM_PHYS_BASE + ARM_KERNEL_PHYS_OFFSET;
    this.heapCursor = ARM_HEAP_BASE;
    this.reserveCursor = ARM_RESERVE_BASE;
    if (ARM_KERNEL_PHYS_OFFSET + KERNEL_IMAGE_SIZE > this.physSize) throw new Error('synth arm64: physical memory too small');
    this.markFrames(this.kernPhys, KERNEL_IMAGE_SIZE);
    this.mem.touch(this.kernPhys, KERNEL_IMAGE_SIZE);
    this.root = this.allocFrame();
    for (let off = 0; off < KERNEL_IMAGE_SIZE; off += this.pageSize) this.mapGranule(this.kernelBase + BigInt(off), this.kernPhys + off);
    // physmap: 32 MiB L2 blocks over all of DRAM from gPhysBase
    const l2 = this.ensureTable(this.root, this.index(ARM_PHYSMAP_BASE, 36));
    for (let off = 0; off < this.physSize; off += ARM_BLOCK) {
      this.setDesc(l2, this.index(ARM_PHYSMAP_BASE + BigInt(off), 25), ARM_PHYS_BASE + off, 0x1 | 0x400, true);
    }
    this.commonGlobals();
    this.archGlobals();
  }

  protected get kernelBase(): bigint {
    return ARM_KERNEL_LINK + this.slide;
  }
  protected get heapBase(): bigint {
    return ARM_HEAP_BASE;
  }
  protected get reserveBase(): bigint {
    return ARM_RESERVE_BASE;
  }
  protected get reserveEnd(): bigint {
    return ARM_RESERVE_END;
  }
  protected get physmapBase(): bigint {
    return ARM_PHYSMAP_BASE;
  }
  protected get physmapSize(): bigint {
    return BigInt(Math.ceil(this.physSize / ARM_BLOCK) * ARM_BLOCK);
  }
  get dtb(): number {
    return this.root;
  }
  get gVirtBase(): bigint {
    return this.kernelBase - BigInt(ARM_KERNEL_PHYS_OFFSET);
  }

  protected kernelPhys(va: bigint): number {
    return Number(va - this.kernelBase) + this.kernPhys;
  }

  protected physmap(va: bigint): number {
    return Number(va - ARM_PHYSMAP_BASE) + ARM_PHYS_BASE;
  }

  /** index into the table at the level whose lowest VA bit is `shift` (T1SZ = 17: 11 bits each) */
  private index(va: bigint, shift: number): number {
    return Number(((va & MASK48) >> BigInt(shift)) & 0x7ffn);
  }

  private setDesc(table: number, idx: number, phys: number, bits: number, xn = false): void {
    const v = BigInt(phys) | BigInt(bits) | (xn ? (1n << 53n) | (1n << 54n) : 0n);
    this.mem.writeU64(table + idx * 8, v);
  }

  private ensureTable(table: number, idx: number): number {
    const e = this.mem.readU64(table + idx * 8);
    if ((e & 3n) === 3n) return Number(e & 0x0000ffffffffc000n);
    const t = this.allocFrame();
    this.setDesc(table, idx, t, 0x3);
    return t;
  }

  protected mapGranule(va: bigint, phys: number): void {
    const l2 = this.ensureTable(this.root, this.index(va, 36));
    const l3 = this.ensureTable(l2, this.index(va, 25));
    // page descriptor: valid | page | AF, with PXN/UXN on data
    this.setDesc(l3, this.index(va, 14), phys, 0x3 | 0x400, !this.inKernelImage(va));
  }

  private archGlobals(): void {
    const u64 = (name: string, v: bigint): void => {
      const g = this.global(name, 8, 8);
      this.isf.symbols[name]!.type = { kind: 'base', name: 'unsigned long long' };
      if (!this.zeroed(name)) this.writeU64(g, v);
    };
    u64('gVirtBase', this.gVirtBase);
    u64('gPhysBase', BigInt(ARM_PHYS_BASE));
    u64('gPhysSize', BigInt(this.physSize));
    u64('cpu_ttep', BigInt(this.root));
    u64('vm_kernel_slide', this.slide);
    this.addUserType('pmap', {
      kind: 'struct',
      size: 0x40,
      fields: {
        tte: { offset: 0, type: { kind: 'pointer', subtype: { kind: 'base', name: 'unsigned long long' } } },
        ttep: { offset: 8, type: { kind: 'base', name: 'unsigned long long' } },
      },
    });
    const kps = this.global('kernel_pmap_store', 0x40, 64);
    this.isf.symbols['kernel_pmap_store']!.type = { kind: 'struct', name: 'pmap' };
    if (!this.zeroed('kernel_pmap_store')) {
      this.writeU64(kps, ARM_PHYSMAP_BASE + BigInt(this.root - ARM_PHYS_BASE));
      this.writeU64(kps + 8n, BigInt(this.root));
    }
    const kp = this.global('kernel_pmap', 8, 8);
    this.writeU64(kp, kps);
  }

  protected finishArch(): Partial<SynthKernelImage> {
    return { t1sz: ARM_T1SZ, gPhysBase: ARM_PHYS_BASE, gVirtBase: this.gVirtBase };
  }
}

export interface SynthKernelBuilder extends SynthKernel {
  readonly banner: string;
  readonly dtb: number;
  /** physical address of a VA as the builder mapped it, or -1 */
  vaToPhys(va: bigint): number;
  /** bytes at a VA through the builder's own mapping (independent of core/translate) */
  readVa(va: bigint, length: number): Uint8Array;
  /** see KernelBuilder.allocZone */
  allocZone(size: number, align?: number): bigint;
  allocPhysPage(): number;
  writePhys(phys: number, bytes: Uint8Array): void;
  readPhys(phys: number, length: number): Uint8Array;
  physToKva(phys: number): bigint;
  symbolVa(name: string): bigint;
  physRange(): { base: number; size: number };
  setSymbolType(name: string, type: unknown): void;
  hasUserType(name: string): boolean;
  finish(): SynthKernelImage;
}

export function createSynthKernel(opts: SynthKernelOptions & SynthKernelExtras): SynthKernelBuilder {
  return opts.arch === 'x86_64' ? new X86Kernel(opts) : new ArmKernel(opts);
}

/** a typical banner per darwin major (x86_64 unless `arm64` names a SoC) */
export function sampleBanner(darwinMajor: number, arm64Soc?: string): string {
  const samples: Record<number, string> = {
    13: 'Darwin Kernel Version 13.4.0: Mon Jan 11 18:17:34 PST 2016; root:xnu-2422.115.15~1',
    14: 'Darwin Kernel Version 14.5.0: Sun Sep 25 22:07:15 PDT 2016; root:xnu-2782.50.9~1',
    15: 'Darwin Kernel Version 15.6.0: Mon Aug 29 20:21:34 PDT 2016; root:xnu-3248.60.11~1',
    16: 'Darwin Kernel Version 16.7.0: Thu Jun 15 17:36:27 PDT 2017; root:xnu-3789.70.16~2',
    17: 'Darwin Kernel Version 17.7.0: Thu Jun 21 22:53:14 PDT 2018; root:xnu-4570.71.2~1',
    18: 'Darwin Kernel Version 18.7.0: Tue Aug 20 16:57:14 PDT 2019; root:xnu-4903.271.2~2',
    19: 'Darwin Kernel Version 19.6.0: Thu Jun 18 20:49:00 PDT 2020; root:xnu-6153.141.1~1',
    20: 'Darwin Kernel Version 20.6.0: Wed Jun 23 00:26:31 PDT 2021; root:xnu-7195.141.2~5',
    21: 'Darwin Kernel Version 21.6.0: Sat Jun 18 17:07:25 PDT 2022; root:xnu-8020.140.41~1',
    22: 'Darwin Kernel Version 22.6.0: Wed Jul  5 22:22:05 PDT 2023; root:xnu-8796.141.3~6',
    23: 'Darwin Kernel Version 23.6.0: Mon Jul 29 21:13:00 PDT 2024; root:xnu-10063.141.2~1',
    24: 'Darwin Kernel Version 24.5.0: Tue Apr 22 19:54:49 PDT 2025; root:xnu-11417.121.6~2',
  };
  const base = samples[darwinMajor];
  if (base === undefined) throw new Error(`no sample banner for darwin ${darwinMajor}`);
  return `${base}/${arm64Soc !== undefined ? `RELEASE_ARM64_${arm64Soc}` : 'RELEASE_X86_64'}`;
}
