// Find the macOS kernel in a physical image: its banner, the symbol table made from it, the KASLR
// slide and the page-table root; hand back a VirtualSpace validated by reading the banner back.
//
// x86_64 follows Volatility 3's MacIntelStacker: a banner hit at physical P gives
//   shift = P − (sym(version) − 0xffffff8000000000)
// accepted when version_major/version_minor read at their symbols (same shift) equal the banner's
// numbers and the shift is page aligned; then the DTB is the u32 read through a temporary space rooted
// at BootPML4 (phys = sym(BootPML4) − base + shift) at VA sym(IdlePML4) + shift. macOS 15 zeroes
// BootPML4 and may slide static data virtually apart from its physical load, so the virtual slide is
// also taken from lowGlo.lgVersion (a slid pointer to `version`) and the DTB also from IdlePML4 read
// physically, kernel_pmap_store.pm_cr3 and lowGlo → kdp_jtag_coredump.kernel_pmap_pml4 (fields read by
// name: the ISF's types, else the built-in ones of kernel-layouts.ts).
//
// arm64 (no public tool does this): the kernel image is physically contiguous and statically mapped
// with VA = PA − gPhysBase + gVirtBase. From the banner's physical address P, any kernel global X lies
// at P + (sym(X) − sym(version)); reading gVirtBase and gPhysBase there gives the slid VA of `version`
// (P − gPhysBase + gVirtBase) and so slide = that − sym(version) (vm_kernel_slide as a fallback).
// The TTBR1 root is cpu_ttep (the kernel's translation-table physical address), or
// kernel_pmap_store.ttep. The space is tried with T1SZ 17 (macOS) then 25.
//
// Either way the result is accepted only when the banner reads back at sym(version) + slide through
// the final space.
//
// Banners are found fast when an ISF is given (x86_64: the banner can only sit at
// sym(version) − base + k × 2 MiB for shifts below 1 GiB: at most 512 small reads per ISF, for up to 16
// ISFs), else by one streaming pass over every
// physical range (bounded memory) that also records page-aligned lowGlo "Catfish " pages.
import { CancelledError, DiscoveryError, NotPresentError, TruncatedImageError } from '../errors';
import type { PhysicalImage, PhysRange } from '../image/types';
import { IsfSymbolTable, parseIsfText } from '../symbols/isf';
import { indexSymbols, loadTable, matchEntries, noSymbolsError, type IsfEntry } from '../symbols/pack';
import type { SymbolTable } from '../symbols/types';
import { Arm64Space } from '../translate/arm64';
import type { Arch, VirtualSpace } from '../translate/types';
import { X86_64Space } from '../translate/x86_64';
import { JTAG_COREDUMP_SIGNATURE, LOWGLO_SIGNATURE, kernelFallbackTypes } from './kernel-layouts';
import type { KObject } from './kobject';
import { KernelTypes } from './ktypes';
import { BANNER_PREFIX, parseBanner, type DarwinVersion } from './version';

export const X86_KERNEL_BASE = 0xffffff8000000000n;
const TWO_MIB = 0x200000;
/** fast path: shifts probed (k × 2 MiB up to this), and the most ISFs probed before scanning instead */
const FAST_PATH_SPAN = 1024 * 1024 * 1024;
const FAST_PATH_MAX_ISFS = 16;
const CATFISH = Buffer.from(LOWGLO_SIGNATURE, 'latin1');
const BANNER_RE = /^Darwin Kernel Version \d{1,3}\.\d{1,3}\.\d{1,3}: [^\x00]+$/;
const SCAN_CHUNK = 4 * 1024 * 1024;
const SCAN_OVERLAP = 512;
const MAX_HITS = 256;

export interface BannerHit {
  /** physical address of the banner's first byte */
  offset: number;
  banner: string;
}

export interface ScanResult {
  banners: BannerHit[];
  /** physical addresses of page-aligned lowGlo ("Catfish " + 8 NUL) pages */
  catfish: number[];
  bytesScanned: number;
  /** ranges cut short by a truncated file, etc. */
  notes: string[];
  /** true when onBanner ended the scan before the end of the image */
  stoppedEarly?: boolean;
}

export interface DiscoverProgress {
  phase: string;
  done: number;
  total: number;
  message?: string;
}

export interface DiscoverOptions {
  signal?: AbortSignal;
  onProgress?: (p: DiscoverProgress) => void;
  /** skip the ISF-guided fast path and always scan the whole image */
  fullScan?: boolean;
}

export interface ScanOptions extends DiscoverOptions {
  /** called for each banner as the scan finds it; returning true ends the scan there */
  onBanner?: (hit: BannerHit) => boolean | Promise<boolean>;
}

export interface DiscoveredKernel {
  banner: string;
  /** physical address of the banner that was used */
  bannerOffset: number;
  symbolTable: SymbolTable;
  symbolsSource: string;
  arch: Arch;
  /** KASLR slide of kernel virtual addresses (slid VA = ISF address + slide) */
  slide: bigint;
  /** x86_64: physical shift of the kernel image (equals slide before macOS 15); arm64: kernel phys − gPhysBase */
  physicalShift: number;
  /** physical address of the top-level page table */
  dtb: number;
  space: VirtualSpace;
  version: DarwinVersion;
  /** how slide and table root were obtained */
  method: string;
  /** distinct banners seen while searching */
  bannersFound: string[];
  /** arm64: T1SZ used */
  t1sz?: number;
}

/** the name the façade (core/case.ts) uses */
export type KernelDiscovery = DiscoveredKernel;

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** bytes at a physical address, or null when any of them is absent */
function physRead(image: PhysicalImage, phys: number, length: number): Uint8Array | null {
  if (!Number.isSafeInteger(phys) || phys < 0 || !image.isPresent(phys, length)) return null;
  try {
    return image.read(phys, length);
  } catch (e) {
    if (e instanceof NotPresentError || e instanceof TruncatedImageError) return null;
    throw e;
  }
}

function physU32(image: PhysicalImage, phys: number): number | null {
  const b = physRead(image, phys, 4);
  return b === null ? null : new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

function physU64(image: PhysicalImage, phys: number): bigint | null {
  const b = physRead(image, phys, 8);
  return b === null ? null : new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** the struct `typeName` read at a physical address (kernel VA `va`), fields by name; null when absent */
function physObject(image: PhysicalImage, types: KernelTypes, typeName: string, phys: number, va: bigint): KObject | null {
  const b = physRead(image, phys, types.sizeOf(typeName));
  return b === null ? null : types.view(typeName, va, b);
}

/** the banner text starting at `at` in `buf`, if a complete NUL-terminated banner is there */
function bannerAt(buf: Buffer, at: number, limit: number): string | null {
  const end = buf.indexOf(0, at);
  if (end < 0 || end > limit || end - at > 512) return null;
  const text = buf.toString('latin1', at, end);
  return BANNER_RE.test(text) ? text : null;
}

/**
 * One streaming pass over every physical range: "Darwin Kernel Version N.N.N: …\0" banners and
 * page-aligned lowGlo signatures. Memory stays at one 4 MiB buffer whatever the image size.
 */
export async function scanImage(image: PhysicalImage, opts: ScanOptions = {}): Promise<ScanResult> {
  const banners: BannerHit[] = [];
  const catfish: number[] = [];
  const notes: string[] = [];
  const buf = Buffer.alloc(SCAN_CHUNK + SCAN_OVERLAP);
  const total = image.ranges.reduce((s, r) => s + r.length, 0);
  let done = 0;
  let lastYield = Date.now();
  // holes of a sparse file read as zeros and hold no banner: only data is scanned, and the holes count
  // as done, so a 1 TiB file with a few GiB of data takes seconds (progress stays exact)
  const data = image.dataRanges?.();
  const areas = data ? dataAreas(image.ranges, data) : image.ranges;
  if (data) {
    const holes = total - areas.reduce((s, r) => s + r.length, 0);
    if (holes > 0) notes.push(`sparse file: ${holes} bytes of holes (read as zeros) were not scanned`);
    done += holes;
  }
  for (const r of areas) {
    const end = r.start + r.length;
    for (let pos = r.start; pos < end; pos += SCAN_CHUNK) {
      checkAbort(opts.signal);
      const want = Math.min(SCAN_CHUNK + SCAN_OVERLAP, end - pos);
      let got = want;
      try {
        image.readInto(pos, buf, 0, want);
      } catch (e) {
        if (!(e instanceof TruncatedImageError || e instanceof NotPresentError)) throw e;
        // read what is there, note where the evidence stops, go on with the next range
        const stop = e instanceof TruncatedImageError ? e.physical : Number(e.address);
        got = Math.max(0, stop - pos);
        if (got > 0) image.readInto(pos, buf, 0, got);
        notes.push(e.message);
      }
      const own = Math.min(SCAN_CHUNK, got); // hits starting in the overlap belong to the next chunk
      let at = buf.indexOf(BANNER_PREFIX, 0, 'latin1');
      while (at >= 0 && at < own) {
        const text = bannerAt(buf, at, got);
        if (text !== null && banners.length < MAX_HITS) {
          const hit = { offset: pos + at, banner: text };
          banners.push(hit);
          if (opts.onBanner && (await opts.onBanner(hit))) {
            opts.onProgress?.({ phase: 'scan', done: total, total, message: 'kernel found' });
            return { banners, catfish, bytesScanned: done, notes, stoppedEarly: true };
          }
        }
        at = buf.indexOf(BANNER_PREFIX, at + 1, 'latin1');
      }
      // lowGlo is page aligned: test only page starts ('Catf' little-endian first)
      for (let p = (4096 - (pos % 4096)) % 4096; p + 16 <= got && p < own; p += 4096) {
        if (buf.readUInt32LE(p) === 0x66746143 && buf.compare(CATFISH, 0, 16, p, p + 16) === 0) catfish.push(pos + p);
      }
      done += Math.min(SCAN_CHUNK, end - pos);
      if (got < want) {
        done += end - pos - Math.min(SCAN_CHUNK, end - pos);
        break;
      }
      if (Date.now() - lastYield > 100) {
        opts.onProgress?.({ phase: 'scan', done, total, message: 'searching for the kernel banner' });
        await new Promise((res) => setImmediate(res));
        lastYield = Date.now();
      }
    }
  }
  opts.onProgress?.({ phase: 'scan', done: total, total, message: 'searching for the kernel banner' });
  return { banners, catfish, bytesScanned: done, notes };
}

/**
 * The parts of `ranges` to scan when only `data` can hold non-zero bytes: each data run widened to
 * whole 4 KiB pages (lowGlo is page aligned) plus one banner's length after it (a banner ending at a
 * hole is terminated by the hole's zero), clipped to its range and merged.
 */
function dataAreas(ranges: readonly PhysRange[], data: readonly PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const r of ranges) {
    const rEnd = r.start + r.length;
    for (const d of data) {
      const a = Math.max(r.start, Math.floor(d.start / 4096) * 4096);
      const b = Math.min(rEnd, Math.ceil((d.start + d.length) / 4096) * 4096 + 4096);
      if (b <= a) continue;
      const last = out[out.length - 1];
      if (last && a <= last.start + last.length) last.length = Math.max(last.length, b - last.start);
      else out.push({ start: a, length: b - a });
    }
  }
  return out;
}

/** distinct banner texts, most frequent first (the kernel's own copy plus kernelcache/log copies) */
export function distinctBanners(hits: readonly BannerHit[]): string[] {
  const count = new Map<string, number>();
  for (const h of hits) count.set(h.banner, (count.get(h.banner) ?? 0) + 1);
  return [...count.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([b]) => b);
}

interface Attempt {
  ok: true;
  slide: bigint;
  physicalShift: number;
  dtb: number;
  space: VirtualSpace;
  method: string;
  t1sz?: number;
}
interface Failure {
  ok: false;
  reason: string;
}

function bannerBytes(banner: string): Uint8Array {
  return Buffer.from(banner + '\0', 'latin1');
}

function readsBack(space: VirtualSpace, va: bigint, expect: Uint8Array): boolean {
  const got = new Uint8Array(expect.length);
  try {
    space.readInto(va, got, 0, expect.length);
  } catch {
    return false;
  }
  return Buffer.compare(got, expect) === 0;
}

function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}

function versionNumbersMatch(
  image: PhysicalImage,
  table: SymbolTable,
  physOf: (sym: bigint) => number,
  v: DarwinVersion,
): string | null {
  const maj = table.symbolAddress('version_major');
  const min = table.symbolAddress('version_minor');
  if (maj === undefined || min === undefined) return null; // cannot check; the read-back decides
  const a = physU32(image, physOf(maj));
  const b = physU32(image, physOf(min));
  if (a !== v.major || b !== v.minor) {
    return `version_major/version_minor at the implied addresses read ${a ?? 'absent'}.${b ?? 'absent'}, not ${v.major}.${v.minor}`;
  }
  return null;
}

/** x86_64: Volatility 3's find_aslr + BootPML4→IdlePML4, with the macOS 15 fallbacks */
function tryX86(image: PhysicalImage, table: SymbolTable, hit: BannerHit, v: DarwinVersion): Attempt | Failure {
  const vsym = table.symbolAddress('version');
  if (vsym === undefined) return { ok: false, reason: 'the ISF has no `version` symbol' };
  if (vsym < X86_KERNEL_BASE) return { ok: false, reason: `version symbol ${hex(vsym)} is not an x86_64 kernel address` };
  const shift = hit.offset - Number(vsym - X86_KERNEL_BASE);
  if (shift % 4096 !== 0) return { ok: false, reason: `banner at ${hex(hit.offset)} implies a shift ${hex(shift)} that is not page aligned` };
  const physOf = (sym: bigint): number => Number(sym - X86_KERNEL_BASE) + shift;
  const mismatch = versionNumbersMatch(image, table, physOf, v);
  if (mismatch !== null) return { ok: false, reason: `banner at ${hex(hit.offset)}: ${mismatch} (a copy of the banner, not the kernel's own)` };

  // virtual slide: the physical shift (Volatility 3), or lowGlo.lgVersion − sym(version) when they differ
  const slides: Array<{ slide: bigint; how: string }> = [{ slide: BigInt(shift), how: 'slide = physical shift' }];
  const types = new KernelTypes(table, 'x86_64', kernelFallbackTypes('x86_64'));
  const lowGlo = table.symbolAddress('lowGlo');
  let lowGloObj: KObject | null = null;
  if (lowGlo !== undefined) {
    const lg = physObject(image, types, 'lowglo', physOf(lowGlo), lowGlo);
    if (lg !== null && Buffer.compare(Buffer.concat([lg.raw('lgVerCode'), lg.raw('lgZero')]), CATFISH) === 0) {
      lowGloObj = lg;
      const lgVersion = lg.u64('lgVersion');
      const s = lgVersion - vsym;
      if (lgVersion >= X86_KERNEL_BASE && s !== BigInt(shift) && s % 4096n === 0n) slides.push({ slide: s, how: 'slide from lowGlo.lgVersion' });
    }
  }

  const dtbs: Array<{ dtb: number; how: string }> = [];
  const addDtb = (d: bigint | number | null, how: string): void => {
    if (d === null) return;
    const n = Number(BigInt(d) & 0x000ffffffffff000n);
    if (n !== 0 && BigInt(d) % 4096n === 0n && !dtbs.some((x) => x.dtb === n)) dtbs.push({ dtb: n, how });
  };
  const boot = table.symbolAddress('BootPML4');
  const idle = table.symbolAddress('IdlePML4');
  if (boot !== undefined && idle !== undefined) {
    const bootPhys = physOf(boot);
    const page = physRead(image, bootPhys, 4096);
    if (page !== null && page.some((x) => x !== 0)) {
      const tmp = new X86_64Space(image, bootPhys);
      for (const s of slides) {
        try {
          addDtb(tmp.readU32(idle + s.slide), 'BootPML4 → IdlePML4 (Volatility 3)');
        } catch {
          /* not mapped through BootPML4: next candidate */
        }
      }
    }
  }
  if (idle !== undefined) addDtb(physU64(image, physOf(idle)), 'IdlePML4 read physically');
  const kps = table.symbolAddress('kernel_pmap_store');
  if (kps !== undefined) {
    addDtb(physU64(image, physOf(kps) + types.field('pmap', 'pm_cr3').offset), 'kernel_pmap_store.pm_cr3');
  }
  let jtag = table.symbolAddress('kdp_jtag_coredump');
  let jtagPhys = jtag !== undefined ? physOf(jtag) : -1;
  if (jtag === undefined && lowGloObj !== null) {
    const p = lowGloObj.u64('lgKdpJtagCoredumpAddr');
    if (p >= X86_KERNEL_BASE) {
      jtag = p;
      jtagPhys = Number(p - X86_KERNEL_BASE) + shift; // a slid pointer; correct when slides agree
    }
  }
  if (jtagPhys >= 0 && jtag !== undefined) {
    const j = physObject(image, types, '_kdp_jtag_coredump_t', jtagPhys, jtag);
    if (j !== null && j.u64('signature') === JTAG_COREDUMP_SIGNATURE) addDtb(j.u64('kernel_pmap_pml4'), 'kdp_jtag_coredump.kernel_pmap_pml4');
  }
  if (dtbs.length === 0) {
    return { ok: false, reason: `banner at ${hex(hit.offset)} (shift ${hex(shift)}): no page-table root found (BootPML4, IdlePML4, kernel_pmap_store, kdp_jtag_coredump all empty or absent)` };
  }
  const expect = bannerBytes(hit.banner);
  for (const d of dtbs) {
    const space = new X86_64Space(image, d.dtb);
    for (const s of slides) {
      if (readsBack(space, vsym + s.slide, expect)) {
        return {
          ok: true,
          slide: s.slide,
          physicalShift: shift,
          dtb: d.dtb,
          space,
          method: `x86_64: banner at physical ${hex(hit.offset)}, shift ${hex(shift)} checked by version_major/minor; ${s.how}; DTB ${hex(d.dtb)} from ${d.how}; banner read back at the slid version symbol`,
        };
      }
    }
  }
  return {
    ok: false,
    reason: `banner at ${hex(hit.offset)} (shift ${hex(shift)}): the banner does not read back at version ${hex(vsym)} + slide through any candidate DTB (${dtbs.map((d) => `${hex(d.dtb)} from ${d.how}${image.isPresent(d.dtb, 4096) ? '' : ', not in the image'}`).join('; ')})`,
  };
}

/** arm64: gVirtBase/gPhysBase next to the banner give the slide; cpu_ttep / kernel_pmap_store.ttep the root */
function tryArm64(image: PhysicalImage, table: SymbolTable, hit: BannerHit, v: DarwinVersion): Attempt | Failure {
  const vsym = table.symbolAddress('version');
  if (vsym === undefined) return { ok: false, reason: 'the ISF has no `version` symbol' };
  const rel = (sym: bigint): number => hit.offset + Number(sym - vsym);
  const mismatch = versionNumbersMatch(image, table, rel, v);
  if (mismatch !== null) return { ok: false, reason: `banner at ${hex(hit.offset)}: ${mismatch} (a copy of the banner, not the kernel's own)` };

  const sym = (n: string): number | null => {
    const a = table.symbolAddress(n);
    return a === undefined ? null : rel(a);
  };
  const slides: Array<{ slide: bigint; how: string }> = [];
  const gvb = sym('gVirtBase');
  const gpb = sym('gPhysBase');
  let gVirtBase: bigint | null = null;
  let gPhysBase: bigint | null = null;
  if (gvb !== null && gpb !== null) {
    gVirtBase = physU64(image, gvb);
    gPhysBase = physU64(image, gpb);
    if (gVirtBase !== null && gPhysBase !== null && gVirtBase >> 47n === 0x1ffffn) {
      const s = BigInt(hit.offset) - gPhysBase + gVirtBase - vsym;
      if (s % 0x4000n === 0n) slides.push({ slide: s, how: `slide from gVirtBase ${hex(gVirtBase)} / gPhysBase ${hex(gPhysBase)}` });
    }
  }
  const vks = sym('vm_kernel_slide');
  if (vks !== null) {
    const s = physU64(image, vks);
    if (s !== null && s % 0x4000n === 0n && !slides.some((x) => x.slide === s)) slides.push({ slide: s, how: 'slide from vm_kernel_slide' });
  }
  if (slides.length === 0) return { ok: false, reason: `banner at ${hex(hit.offset)}: gVirtBase/gPhysBase/vm_kernel_slide unreadable or implausible` };

  const roots: Array<{ root: number; how: string }> = [];
  const addRoot = (r: bigint | null, how: string): void => {
    if (r === null || r === 0n || r % 0x4000n !== 0n || r >= 1n << 48n) return;
    if (!roots.some((x) => x.root === Number(r))) roots.push({ root: Number(r), how });
  };
  const ttep = sym('cpu_ttep');
  if (ttep !== null) addRoot(physU64(image, ttep), 'cpu_ttep');
  const ttepOff = new KernelTypes(table, 'arm64', kernelFallbackTypes('arm64')).field('pmap', 'ttep').offset;
  const kps = sym('kernel_pmap_store');
  if (kps !== null) addRoot(physU64(image, kps + ttepOff), 'kernel_pmap_store.ttep');
  const kp = sym('kernel_pmap');
  if (kp !== null && gVirtBase !== null && gPhysBase !== null) {
    const ptr = physU64(image, kp);
    if (ptr !== null && ptr >= gVirtBase) addRoot(physU64(image, Number(ptr - gVirtBase + gPhysBase) + ttepOff), 'kernel_pmap → ttep');
  }
  if (roots.length === 0) return { ok: false, reason: `banner at ${hex(hit.offset)}: no TTBR1 root found (cpu_ttep, kernel_pmap_store.ttep empty or absent)` };

  const expect = bannerBytes(hit.banner);
  for (const t1sz of [17, 25]) {
    for (const r of roots) {
      const space = new Arm64Space(image, r.root, t1sz);
      for (const s of slides) {
        if (readsBack(space, vsym + s.slide, expect)) {
          return {
            ok: true,
            slide: s.slide,
            physicalShift: gPhysBase !== null ? hit.offset - Number(gPhysBase) : 0,
            dtb: r.root,
            space,
            t1sz,
            method: `arm64: banner at physical ${hex(hit.offset)}; ${s.how}; TTBR1 root ${hex(r.root)} from ${r.how}; 16 KiB granule, T1SZ ${t1sz}; banner read back at the slid version symbol`,
          };
        }
      }
    }
  }
  return {
    ok: false,
    reason: `banner at ${hex(hit.offset)}: the banner does not read back at version ${hex(vsym)} + slide (${slides.map((s) => hex(s.slide)).join(', ')}) through TTBR1 root ${roots.map((r) => `${hex(r.root)} from ${r.how}${image.isPresent(r.root, 16384) ? '' : ', not in the image'}`).join('; ')}`,
  };
}

function archOf(banner: string, table: SymbolTable): Arch {
  const v = parseBanner(banner);
  if (v?.arch === 'arm64') return 'arm64';
  if (v?.arch === 'x86_64') return 'x86_64';
  const vsym = table.symbolAddress('version');
  return vsym !== undefined && vsym >= X86_KERNEL_BASE ? 'x86_64' : 'arm64';
}

function attempt(image: PhysicalImage, table: SymbolTable, hit: BannerHit): Attempt | Failure {
  const v = parseBanner(hit.banner);
  if (v === null) return { ok: false, reason: `"${hit.banner}" is not a Darwin kernel banner` };
  return archOf(hit.banner, table) === 'arm64' ? tryArm64(image, table, hit, v) : tryX86(image, table, hit, v);
}

function result(table: SymbolTable, source: string, hit: BannerHit, a: Attempt, bannersFound: string[]): DiscoveredKernel {
  return {
    banner: hit.banner,
    bannerOffset: hit.offset,
    symbolTable: table,
    symbolsSource: source,
    arch: a.space.arch,
    slide: a.slide,
    physicalShift: a.physicalShift,
    dtb: a.dtb,
    space: a.space,
    version: parseBanner(hit.banner)!,
    method: a.method,
    bannersFound,
    ...(a.t1sz !== undefined ? { t1sz: a.t1sz } : {}),
  };
}

interface Candidate {
  entry: IsfEntry;
  table?: SymbolTable;
}

/** x86_64 fast path: the banner can only be at sym(version) − base + k × 2 MiB */
function* fastCandidates(image: PhysicalImage, entry: IsfEntry): Generator<BannerHit> {
  if (entry.banner === null || entry.versionAddress === null || entry.versionAddress < X86_KERNEL_BASE) return;
  if (parseBanner(entry.banner)?.arch === 'arm64') return;
  const expect = bannerBytes(entry.banner);
  const base = Number(entry.versionAddress - X86_KERNEL_BASE);
  const last = image.ranges.length > 0 ? image.ranges[image.ranges.length - 1]! : undefined;
  const top = last === undefined ? 0 : last.start + last.length;
  // lazily, so the first candidate that validates ends the search without touching the rest; x86_64
  // KASLR shifts stay well below 1 GiB, anything else is left to the full scan
  const end = Math.min(top, base + FAST_PATH_SPAN);
  for (let phys = base; phys + expect.length <= end; phys += TWO_MIB) {
    const got = physRead(image, phys, expect.length);
    if (got !== null && Buffer.compare(got, expect) === 0) yield { offset: phys, banner: entry.banner };
  }
}

/**
 * Find the kernel, pick its symbol table and compute slide and table root.
 * `symbols`: an ISF file, a folder of ISFs, or an already loaded table. Without symbols the image is
 * still scanned and DiscoveryError('NO_SYMBOLS') lists the banners found.
 */
export async function discoverKernel(
  image: PhysicalImage,
  symbols?: string | SymbolTable,
  opts: DiscoverOptions = {},
): Promise<DiscoveredKernel> {
  let candidates: Candidate[] = [];
  let packPath = '';
  // the text of a single ISF file read while indexing, so it is decompressed once
  const texts = new Map<string, string>();
  if (typeof symbols === 'string') {
    packPath = symbols;
    opts.onProgress?.({ phase: 'symbols', done: 0, total: 1, message: `indexing ${symbols}` });
    candidates = (await indexSymbols(symbols, { wanted: () => false, texts })).map((entry) => ({ entry }));
  } else if (symbols !== undefined) {
    packPath = symbols.source;
    const vsym = symbols.symbolAddress('version');
    candidates = [{ entry: { path: symbols.source, banner: symbols.banner, versionAddress: vsym ?? null }, table: symbols }];
  }
  const tables = new Map<string, SymbolTable>();
  // an ISF that cannot be used (bad types, damaged data) is passed over, so that a damaged file sorting
  // first never hides a good one with the same banner; if none is usable the first reason is the error
  const unusable = new Map<string, DiscoveryError>();
  const tableOf = async (c: Candidate): Promise<SymbolTable | null> => {
    if (c.table !== undefined) return c.table;
    if (unusable.has(c.entry.path)) return null;
    let t = tables.get(c.entry.path);
    if (t === undefined) {
      try {
        const text = texts.get(c.entry.path);
        texts.delete(c.entry.path);
        t = text !== undefined ? parseIsfText(text, c.entry.path) : await loadTable(c.entry.path);
      } catch (e) {
        if (!(e instanceof DiscoveryError)) throw e;
        unusable.set(c.entry.path, e);
        return null;
      }
      tables.set(c.entry.path, t);
    }
    return t;
  };
  const failures: string[] = [];

  // one ISF given: a file that cannot be used is reported at once, not after a scan of the whole image
  if (candidates.length === 1 && (await tableOf(candidates[0]!)) === null) throw unusable.get(candidates[0]!.entry.path)!;

  if (!opts.fullScan && candidates.length <= FAST_PATH_MAX_ISFS) {
    for (const c of candidates) {
      checkAbort(opts.signal);
      for (const hit of fastCandidates(image, c.entry)) {
        const table = await tableOf(c);
        if (!table) break;
        const a = attempt(image, table, hit);
        if (a.ok) return result(table, c.entry.path, hit, a, [hit.banner]);
        failures.push(`${c.entry.path}: ${a.reason}`);
      }
    }
  }

  // With symbols, each banner is tried the moment the scan meets it, and the first one that validates
  // ends the scan: on a 32 GB image the kernel usually sits in the first gigabytes.
  const byBanner = new Map<string, Candidate[]>();
  for (const c of candidates) if (c.entry.banner !== null) byBanner.set(c.entry.banner, [...(byBanner.get(c.entry.banner) ?? []), c]);
  let early: DiscoveredKernel | null = null;
  const scan = await scanImage(image, {
    ...opts,
    onBanner: async (hit) => {
      for (const c of byBanner.get(hit.banner) ?? []) {
        const table = await tableOf(c);
        if (!table) continue;
        const a = attempt(image, table, hit);
        if (!a.ok) {
          failures.push(`${c.entry.path}: ${a.reason}`);
          continue;
        }
        early = result(table, c.entry.path, hit, a, [hit.banner]);
        return true;
      }
      return false;
    },
  });
  if (early) return early;
  const found = distinctBanners(scan.banners);
  if (scan.banners.length === 0) {
    const mb = (scan.bytesScanned / 1048576).toFixed(1);
    throw new DiscoveryError(
      'NO_KERNEL',
      `No macOS kernel banner ("Darwin Kernel Version …") was found in ${image.path} (${mb} MiB in ${image.ranges.length} physical range(s) searched${scan.catfish.length > 0 ? `; ${scan.catfish.length} lowGlo page(s) were seen` : ''}). ` +
        `Check that this is a memory image of a Mac and that it is complete${scan.notes.length > 0 ? ` (${scan.notes[0]})` : ''}.`,
      { path: image.path, bytesScanned: scan.bytesScanned, catfish: scan.catfish.map((c) => hex(c)), notes: scan.notes },
    );
  }
  if (symbols === undefined) {
    throw new DiscoveryError(
      'NO_SYMBOLS',
      `No symbol table was given. Kernel banner(s) found in ${image.path}:\n${found.map((b) => `  ${b}`).join('\n')}\n` +
        `Pass the Volatility 3 ISF made from this kernel with --symbols <file-or-folder>.`,
      { bannersFound: found, banners: scan.banners.map((h) => ({ offset: hex(h.offset), banner: h.banner })), catfish: scan.catfish.map((c) => hex(c)) },
    );
  }

  const entries = candidates.map((c) => c.entry);
  let matched = matchEntries(entries, found).map((m) => ({ c: candidates.find((c) => c.entry === m.entry)!, banner: m.banner }));
  if (matched.length === 0 && candidates.length === 1 && candidates[0]!.entry.banner === null) {
    // a single ISF without a banner: let the slide/DTB validation judge it
    matched = found.map((banner) => ({ c: candidates[0]!, banner }));
  }
  if (matched.length === 0) throw noSymbolsError(packPath, entries, found);

  for (const m of matched) {
    const table = await tableOf(m.c);
    if (!table) continue;
    for (const hit of scan.banners) {
      if (hit.banner !== m.banner) continue;
      checkAbort(opts.signal);
      const a = attempt(image, table, hit);
      if (a.ok) return result(table, m.c.entry.path, hit, a, found);
      failures.push(`${m.c.entry.path}: ${a.reason}`);
    }
  }
  const uniq = [...new Set(failures)];
  // nothing but unusable files matched: the first one's reason names the file and the field
  if (uniq.length === 0 && unusable.size > 0) throw [...unusable.values()][0]!;
  throw new DiscoveryError(
    'BAD_SYMBOLS',
    `The symbol table ${matched[0]!.c.entry.path} names this kernel's banner, but its addresses do not fit the image, so the KASLR slide and page-table root could not be validated:\n` +
      uniq.slice(0, 8).map((f) => `  ${f}`).join('\n') +
      `\nThe ISF may come from a different build of the same version, or the image may be incomplete or damaged.` +
      (scan.notes.length + image.notes.length > 0 ? `\nImage notes: ${[...new Set([...scan.notes, ...image.notes])].slice(0, 4).join('; ')}` : ''),
    { source: matched[0]!.c.entry.path, addressesDoNotFit: true, failures: uniq, bannersFound: found, notes: [...scan.notes, ...image.notes] },
  );
}

/** the banners (and lowGlo pages) in an image, for reporting without symbols */
export async function findBanners(image: PhysicalImage, opts: DiscoverOptions = {}): Promise<ScanResult & { distinct: string[] }> {
  const scan = await scanImage(image, opts);
  return { ...scan, distinct: distinctBanners(scan.banners) };
}

export { IsfSymbolTable };
