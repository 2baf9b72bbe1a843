// The one data module of kernel-pointer facts per xnu version and architecture: how wide kernel
// virtual addresses are (for stripping pointer-authentication bits), and how packed pointers are
// packed (vm_page / vm_object links, the c_slot back-pointer), with the pure functions that apply them.
//
// Packing (xnu osfmk/mach/vm_param.h, vm_unpack_pointer): a scheme is base-relative when
// bits + shift fit the kernel's significant pointer bits; then pointer = (packed << shift) + base and
// 0 stays NULL. Otherwise the packed value is sign-extended from its top bit and shifted. From 7195
// (macOS 11) the kernel keeps the parameters it uses in globals of type vm_packing_params_t
// (`vm_page_packing_params`, `c_slot_packing_params`): the context prefers them to these defaults.
//
// vm_page pointers (10.12+): bit 31 set means "index into the vm_pages array" instead of a pointer.
// The c_slot back-pointer: 36 bits (x86_64) / 33 bits (arm64), shift 2, base-relative, except on
// Apple M1-family kernels (H13 cores: T8101, T8103, T6000) of xnu 7195–8792, whose 12-byte c_slot
// stores the pointer unpacked in 47 bits (sign-extended).

import type { Arch as DarwinArch } from '../translate/types';

export interface PackingParams {
  base: bigint;
  bits: number;
  shift: number;
  baseRelative: boolean;
}

/** what a packed value points at, for messages and the default table */
export type PackedKind = 'vm_page' | 'vm_object' | 'c_slot';

/** the global of type vm_packing_params_t that describes each kind (7195+) */
export const PACKING_GLOBALS: Readonly<Record<PackedKind, string>> = {
  vm_page: 'vm_page_packing_params',
  // objects use the vm_page scheme (VM_OBJECT_PACK calls VM_PACK_POINTER with VM_PAGE_PACKED_PTR)
  vm_object: 'vm_page_packing_params',
  c_slot: 'c_slot_packing_params',
};

/** VM_PAGE_PACKED_FROM_ARRAY: a packed vm_page value with this bit set is an index into vm_pages */
export const VM_PAGE_FROM_ARRAY = 0x8000_0000;

/** VM_MIN_KERNEL_AND_KEXT_ADDRESS / KERNEL_PMAP_HEAP_RANGE_START defaults (x86_64 they are equal) */
export const X86_64_PACKING_BASE = 0xffff_ff7f_8000_0000n;
/** arm64 macOS (large-memory configuration): VM_MIN_KERNEL_ADDRESS; the globals override it */
export const ARM64_PACKING_BASE = 0xffff_fe00_0000_0000n;

/** VM_KERNEL_POINTER_SIGNIFICANT_BITS: decides base-relative vs sign-extended packing */
export const KERNEL_POINTER_SIGNIFICANT_BITS: Readonly<Record<DarwinArch, number>> = { x86_64: 39, arm64: 41 };

/** bits of a kernel virtual address (arm64 macOS: T1SZ 17 → 47; x86_64: 48-bit canonical) */
export const KERNEL_VA_BITS: Readonly<Record<DarwinArch, number>> = { x86_64: 48, arm64: 47 };

/** SoCs built on H13 cores (pexpert/arm64/H13.h): the 12-byte popcount c_slot in xnu 7195–8792 */
export const H13_SOCS: readonly string[] = ['T8101', 'T8103', 'T6000'];
/** [first, last] xnu major versions whose H13 kernels use the popcount c_slot (8796 = 13.3 drops it) */
export const POPCOUNT_SLOT_XNU: readonly [number, number] = [7195, 8792];

/** xnu versions (major) where the vm_page links became 32-bit packed values (10.12) */
export const PACKED_PAGES_FROM_XNU = 3789;

export type CSlotVariant = 'x86_64' | 'arm64' | 'arm64-popcount';

/** the c_slot bit layout a kernel uses, from architecture, SoC and xnu version */
export function cSlotVariant(arch: DarwinArch, xnu: readonly number[] | null, soc: string | null): CSlotVariant {
  if (arch === 'x86_64') return 'x86_64';
  const major = xnu?.[0];
  if (soc !== null && H13_SOCS.includes(soc) && major !== undefined && major >= POPCOUNT_SLOT_XNU[0] && major <= POPCOUNT_SLOT_XNU[1]) {
    return 'arm64-popcount';
  }
  return 'arm64';
}

function relative(arch: DarwinArch, base: bigint, bits: number, shift: number): PackingParams {
  return { base, bits, shift, baseRelative: bits + shift <= KERNEL_POINTER_SIGNIFICANT_BITS[arch] };
}

/**
 * The built-in packing parameters of a kind, for when the kernel's own global is absent or unreadable.
 * `null` when the kind is not packed in that version (vm_page links before 10.12 are full pointers).
 */
export function defaultPacking(kind: PackedKind, arch: DarwinArch, variant: CSlotVariant, xnuMajor: number | null): PackingParams | null {
  const base = arch === 'x86_64' ? X86_64_PACKING_BASE : ARM64_PACKING_BASE;
  if (kind === 'c_slot') {
    if (variant === 'arm64-popcount') return { base, bits: 47, shift: 0, baseRelative: false };
    return relative(arch, base, arch === 'x86_64' ? 36 : 33, 2);
  }
  if (xnuMajor !== null && xnuMajor < PACKED_PAGES_FROM_XNU) return null;
  return relative(arch, base, 31, 6);
}

const MASK64 = (1n << 64n) - 1n;

/** vm_unpack_pointer: a packed value to a kernel VA (0 stays 0) */
export function unpackPointer(packed: bigint, p: PackingParams): bigint {
  if (packed === 0n) return 0n;
  if (p.baseRelative) return ((packed << BigInt(p.shift)) + p.base) & MASK64;
  const bits = BigInt(p.bits);
  const v = packed & ((1n << bits) - 1n);
  const signed = v >> (bits - 1n) === 1n ? v - (1n << bits) : v;
  return (signed << BigInt(p.shift)) & MASK64;
}

/** vm_pack_pointer, the inverse (for builders and round-trip checks) */
export function packPointer(ptr: bigint, p: PackingParams): bigint {
  if (p.baseRelative) return ptr === 0n ? 0n : (ptr - p.base) >> BigInt(p.shift);
  return (ptr >> BigInt(p.shift)) & ((1n << BigInt(p.bits)) - 1n);
}

/**
 * Strip pointer-authentication bits (arm64e): a pointer whose bit 55 is set is a kernel (TTBR1)
 * pointer and gets every bit above the VA width forced to 1; otherwise those bits are cleared.
 * x86_64 pointers are returned unchanged.
 */
export function stripPointer(arch: DarwinArch, v: bigint, vaBits: number = KERNEL_VA_BITS[arch]): bigint {
  if (arch !== 'arm64' || v === 0n) return v;
  const low = (1n << BigInt(vaBits)) - 1n;
  return (v >> 55n) & 1n ? (v | (MASK64 ^ low)) & MASK64 : v & low;
}
