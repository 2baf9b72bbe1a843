// The kernel context: everything a reader of kernel objects needs in one place — the kernel's
// address space, its symbol table with the built-in fallback types, the KASLR slide, architecture,
// darwin/xnu version and compressor layout family — and the reads every walker shares: slid globals,
// typed objects, pointers with PAC bits stripped, packed pointers unpacked by version.
//
// Types: the ISF's own types win; built-in layouts (core/darwin/layouts.ts and any a caller adds)
// fill the gaps, so a type is found by the same name either way. `overrideTypes` lets a caller
// prefer a built-in layout over the ISF's (the compressor's --built-in option).
//
// Errors: a symbol, type or field the table lacks is MissingSymbolError (naming it); memory the image
// lacks is NotPresentError (naming the address). `attempt()` turns either into a value to report.
import { MissingSymbolError, UnfoldError } from '../errors';
import type { ResolvedField } from '../symbols/struct';
import type { SymbolTable, UserType } from '../symbols/types';
import type { VirtualSpace } from '../translate/types';
import type { DiscoveredKernel } from './discover';
import { detectFamily, parseXnuVersion, type VersionInput } from './family';
import { kernelFallbackTypes } from './kernel-layouts';
import { KObject } from './kobject';
import { KernelTypes } from './ktypes';
import { fallbackUserTypes, isKernelPointer, type DarwinArch } from './layouts';
import {
  KERNEL_VA_BITS,
  PACKING_GLOBALS,
  VM_PAGE_FROM_ARRAY,
  cSlotVariant,
  defaultPacking,
  unpackPointer,
  type CSlotVariant,
  type PackedKind,
  type PackingParams,
} from './pointers';
import type { Family } from './types';
import { parseBanner, type DarwinVersion } from './version';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export interface KernelContextOptions {
  space: VirtualSpace;
  symbols: SymbolTable;
  /** KASLR slide added to every symbol address (default 0) */
  slide?: bigint;
  /** banner, parsed version, or xnu version text; the ISF's banner when absent */
  version?: VersionInput;
  /** the compressor family, when the caller already decided it */
  family?: Family;
  /** extra built-in types that fill gaps in the ISF (e.g. a walker's fallback layouts) */
  fallbackTypes?: Record<string, UserType>;
  /** built-in types that win over the ISF's */
  overrideTypes?: Record<string, UserType>;
}

/** vm_packing_params_t as the kernel declares it (xnu 7195+), for ISFs that lack the type */
const VM_PACKING_PARAMS: UserType = {
  kind: 'struct',
  size: 16,
  fields: {
    vmpp_base: { offset: 0, type: { kind: 'base', name: 'unsigned long' } },
    vmpp_bits: { offset: 8, type: { kind: 'base', name: 'unsigned char' } },
    vmpp_shift: { offset: 9, type: { kind: 'base', name: 'unsigned char' } },
    vmpp_base_relative: { offset: 10, type: { kind: 'base', name: 'bool' } },
  },
};

export interface PackingInfo {
  params: PackingParams;
  /** "global c_slot_packing_params" or "built-in (…)" */
  source: string;
}

/** run a read; an UnfoldError (absent memory, missing symbol) comes back as the value */
export function attempt<T>(fn: () => T): T | UnfoldError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UnfoldError) return err;
    throw err;
  }
}

export class KernelContext {
  readonly space: VirtualSpace;
  readonly symbols: SymbolTable;
  readonly slide: bigint;
  readonly arch: DarwinArch;
  readonly pageSize: number;
  /** parsed banner, when one was given or the ISF has one */
  readonly darwin: DarwinVersion | null;
  /** xnu version parts ([4570, 71, 2]) or null */
  readonly xnu: number[] | null;
  /** arm64 SoC from the banner ("T8103") or null */
  readonly soc: string | null;
  readonly family: Family;
  readonly familyReason: string;
  /** bits of a kernel VA (pointer-authentication bits sit above them) */
  readonly vaBits: number;
  /** the ISF's types with the built-in layouts, field lookups cached */
  readonly types: KernelTypes;
  /** how packing parameters and other per-version choices were made (for reports) */
  readonly notes: string[] = [];

  private readonly packings = new Map<PackedKind, PackingInfo>();
  private variant: CSlotVariant | null = null;

  constructor(opts: KernelContextOptions) {
    this.space = opts.space;
    this.symbols = opts.symbols;
    this.slide = opts.slide ?? 0n;
    this.arch = opts.space.arch;
    this.pageSize = opts.space.pageSize;
    const v = opts.version;
    this.darwin =
      v !== null && typeof v === 'object' && 'banner' in v && typeof v.major === 'number'
        ? (v as DarwinVersion)
        : typeof v === 'string'
          ? parseBanner(v)
          : opts.symbols.banner !== null
            ? parseBanner(opts.symbols.banner)
            : null;
    this.xnu = parseXnuVersion(v ?? null) ?? parseXnuVersion(opts.symbols.banner);
    this.soc = this.darwin?.soc ?? (opts.symbols.banner !== null ? (parseBanner(opts.symbols.banner)?.soc ?? null) : null);
    const decision = detectFamily(v ?? null, opts.symbols);
    this.family = opts.family ?? decision.family;
    this.familyReason = opts.family ? `family ${opts.family} given` : decision.reason;
    if (!opts.family) this.notes.push(...decision.conflicts.map((c) => `family: ${c}`));
    const t1sz = (opts.space as { t1sz?: unknown }).t1sz;
    this.vaBits = this.arch === 'arm64' && typeof t1sz === 'number' ? 64 - t1sz : KERNEL_VA_BITS[this.arch];

    const guess = this.slotVariantFromIsf() ?? cSlotVariant(this.arch, this.xnu, this.soc);
    const fallback: Record<string, UserType> = {
      vm_packing_params: VM_PACKING_PARAMS,
      ...kernelFallbackTypes(this.arch),
      ...fallbackUserTypes(this.family, this.arch, guess),
      ...(opts.fallbackTypes ?? {}),
    };
    this.types = new KernelTypes(opts.symbols, this.arch, fallback, opts.overrideTypes ?? {}, this.vaBits);
    // the kernel's c_slot_packing_params (readable only now that the types exist) may name the
    // 47-bit popcount slot where SoC and version could not; the built-in c_slot follows it
    const settled = this.slotVariant;
    if (settled !== guess && this.types.typeSource('c_slot') === 'built-in' && opts.overrideTypes?.['c_slot'] === undefined && opts.fallbackTypes?.['c_slot'] === undefined) {
      this.types.replaceBuiltIn('c_slot', fallbackUserTypes(this.family, this.arch, settled)['c_slot']!);
      this.notes.push(`c_slot_packing_params says ${settled} c_slot; built-in c_slot follows it`);
    }
  }

  // ------------------------------------------------------------------ symbols and types

  hasSymbol(name: string): boolean {
    return this.symbols.hasSymbol(name);
  }

  /** slid address of a kernel symbol; MissingSymbolError when the table lacks it */
  global(name: string): bigint {
    const a = this.symbols.symbolAddress(name);
    if (a === undefined) throw new MissingSymbolError('symbol', name, this.symbols.source);
    return a + this.slide;
  }

  /** slid address of a symbol, or null */
  tryGlobal(name: string): bigint | null {
    const a = this.symbols.symbolAddress(name);
    return a === undefined ? null : a + this.slide;
  }

  hasType(name: string): boolean {
    return this.types.hasType(name);
  }

  /** 'isf' when the symbol table brings the type, 'built-in' for a fallback layout, null when neither */
  typeSource(name: string): 'isf' | 'built-in' | null {
    return this.types.typeSource(name);
  }

  /** the types (of those named) that neither the ISF nor a built-in layout provides */
  missingTypes(names: readonly string[]): string[] {
    return this.types.missingTypes(names);
  }

  hasField(typeName: string, field: string): boolean {
    return this.types.hasField(typeName, field);
  }

  sizeOf(typeName: string): number {
    return this.types.sizeOf(typeName);
  }

  field(typeName: string, field: string): ResolvedField {
    return this.types.field(typeName, field);
  }

  // ------------------------------------------------------------------ memory

  /** bytes at a kernel VA; NotPresentError names the first absent address */
  read(va: bigint, length: number): Uint8Array {
    return this.space.read(va, length);
  }

  readU32(va: bigint): number {
    return this.space.readU32(va);
  }

  readU64(va: bigint): bigint {
    return this.space.readU64(va);
  }

  /** a pointer stored at `va`, PAC bits stripped */
  readPointer(va: bigint): bigint {
    return this.strip(this.space.readU64(va));
  }

  /** a NUL-terminated string of at most `max` bytes at `va` (stops at the first absent page) */
  readCString(va: bigint, max = 1024): string {
    const ps = BigInt(this.pageSize);
    const parts: Uint8Array[] = [];
    let at = va;
    let left = max;
    while (left > 0) {
      const n = Math.min(left, Number(ps - (at % ps)));
      const chunk = this.space.read(at, n);
      const z = chunk.indexOf(0);
      if (z >= 0) {
        parts.push(chunk.subarray(0, z));
        break;
      }
      parts.push(chunk);
      at += BigInt(n);
      left -= n;
    }
    return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(parts));
  }

  /** the struct `typeName` at `address` (its whole size read at once) */
  object(typeName: string, address: bigint): KObject {
    const size = this.sizeOf(typeName);
    return new KObject(this.types, typeName, address, this.space.read(address, size));
  }

  /** object(), or the error (absent memory, unknown type) as a value */
  tryObject(typeName: string, address: bigint): KObject | UnfoldError {
    return attempt(() => this.object(typeName, address));
  }

  /** the global `name` read as struct `typeName` */
  globalObject(name: string, typeName: string): KObject {
    return this.object(typeName, this.global(name));
  }

  u32Global(name: string): number {
    return this.space.readU32(this.global(name));
  }

  u64Global(name: string): bigint {
    return this.space.readU64(this.global(name));
  }

  /** a pointer global's value, PAC bits stripped */
  pointerGlobal(name: string): bigint {
    return this.readPointer(this.global(name));
  }

  // ------------------------------------------------------------------ pointers

  strip(v: bigint): bigint {
    return this.types.strip(v);
  }

  isKernelPointer(v: bigint): boolean {
    return isKernelPointer(this.arch, v);
  }

  /** the c_slot layout: from the ISF's c_slot size, else the kernel's packing global, else SoC and version */
  get slotVariant(): CSlotVariant {
    if (this.variant !== null) return this.variant;
    let v = this.slotVariantFromIsf();
    if (v === null && this.arch === 'arm64') {
      const g = this.packingGlobal('c_slot');
      if (g !== null && !(g instanceof UnfoldError)) v = g.bits === 47 ? 'arm64-popcount' : 'arm64';
    }
    this.variant = v ?? cSlotVariant(this.arch, this.xnu, this.soc);
    return this.variant;
  }

  private slotVariantFromIsf(): CSlotVariant | null {
    const t = this.symbols.userTypes['c_slot'];
    if (t === undefined) return null;
    if (this.arch === 'x86_64') return 'x86_64';
    return t.size >= 12 ? 'arm64-popcount' : 'arm64';
  }

  /** the kernel's vm_packing_params_t global for a kind, null when absent, the error when unreadable */
  private packingGlobal(kind: PackedKind): PackingParams | null | UnfoldError {
    const name = PACKING_GLOBALS[kind];
    const va = this.tryGlobal(name);
    if (va === null) return null;
    return attempt(() => {
      const o = this.object('vm_packing_params', va);
      return { base: o.u64('vmpp_base'), bits: o.num('vmpp_bits'), shift: o.num('vmpp_shift'), baseRelative: o.bool('vmpp_base_relative') };
    });
  }

  /**
   * Packing parameters for a kind: the kernel's own global when present and sane (7195+), the
   * 10.12–10.15 globals for vm_page/vm_object, else the built-in values of this version.
   */
  packing(kind: PackedKind): PackingInfo {
    const cached = this.packings.get(kind);
    if (cached) return cached;
    let info: PackingInfo | null = null;
    const g = this.packingGlobal(kind);
    if (g instanceof UnfoldError) {
      this.notes.push(`${PACKING_GLOBALS[kind]} unreadable (${g.message}); using built-in packing`);
    } else if (g !== null) {
      if (g.bits >= 1 && g.bits <= 64 && g.shift < 16 && (!g.baseRelative || this.isKernelPointer(g.base) || g.base >= 0xffff_0000_0000_0000n)) {
        info = { params: g, source: `global ${PACKING_GLOBALS[kind]}` };
      } else {
        this.notes.push(`${PACKING_GLOBALS[kind]} holds implausible values (bits ${g.bits}, shift ${g.shift}, base ${hex(g.base)}); using built-in packing`);
      }
    }
    if (info === null && kind !== 'c_slot') info = this.legacyPagePacking();
    if (info === null) {
      const d = defaultPacking(kind, this.arch, this.slotVariant, this.xnu?.[0] ?? null);
      if (d === null) {
        throw new UnfoldError('NOT_PACKED', `${kind} pointers are not packed in xnu ${this.xnu?.join('.') ?? '(unknown)'}`, { kind });
      }
      info = { params: d, source: `built-in (${this.arch}${kind === 'c_slot' ? `, ${this.slotVariant} c_slot` : ''})` };
    }
    this.packings.set(kind, info);
    return info;
  }

  /** 10.12–10.15: vm_min_kernel_and_kext_address and vm_packed_pointer_shift */
  private legacyPagePacking(): PackingInfo | null {
    const baseVa = this.tryGlobal('vm_min_kernel_and_kext_address');
    const shiftVa = this.tryGlobal('vm_packed_pointer_shift');
    if (baseVa === null || shiftVa === null) return null;
    const r = attempt(() => ({ base: this.space.readU64(baseVa), shift: this.space.readU32(shiftVa) }));
    if (r instanceof UnfoldError || r.base < 0xffff_0000_0000_0000n || r.shift > 15) return null;
    return { params: { base: r.base, bits: 31, shift: r.shift, baseRelative: true }, source: 'globals vm_min_kernel_and_kext_address / vm_packed_pointer_shift' };
  }

  /** a packed pointer of `kind` to a kernel VA (0 stays 0) */
  unpack(kind: PackedKind, packed: bigint | number): bigint {
    return unpackPointer(BigInt(packed), this.packing(kind).params);
  }

  /**
   * A packed vm_page reference (10.12+ queue links, vmp_object's siblings): bit 31 set means an index
   * into the vm_pages array (element size = sizeof(vm_page) from the symbol table), else a packed pointer.
   */
  unpackPage(packed: number): bigint {
    if (packed === 0) return 0n;
    if (packed >= VM_PAGE_FROM_ARRAY) {
      const index = packed - VM_PAGE_FROM_ARRAY;
      return this.pointerGlobal('vm_pages') + BigInt(index) * BigInt(this.sizeOf('vm_page'));
    }
    return this.unpack('vm_page', packed);
  }
}

export function createKernelContext(opts: KernelContextOptions): KernelContext {
  return new KernelContext(opts);
}

/** the context of a kernel found by discoverKernel (core/darwin/discover.ts) */
export function contextOfKernel(k: Pick<DiscoveredKernel, 'space' | 'symbolTable' | 'slide' | 'version'>, opts: Partial<KernelContextOptions> = {}): KernelContext {
  return new KernelContext({ space: k.space, symbols: k.symbolTable, slide: k.slide, version: k.version, ...opts });
}
