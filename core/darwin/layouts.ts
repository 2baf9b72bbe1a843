// The one data module of built-in compressor layouts, used when the symbol table (ISF) lacks the
// compressor's types. Everything is expressed in the ISF's own shapes (UserType / TypeRef), so the
// same field reader serves a real ISF and these fallbacks, and no offset lives anywhere else.
//
// Sources: docs/compressor.md §3–§8 ([P] = read from Volatility 2 profiles made from Apple KDKs,
// [H] = derived from the xnu headers of the tag). F1–F4 c_segment offsets are [P] (F4 bitfields from
// HighSierra_10.13_17A264c); F5–F9 are [H]. `struct swapfile` is identical in every xnu tag read
// (2422 → 8020: swp_queue, swp_path, …, swp_index @0x3c).

import type { BaseType, TypeRef, UserType } from '../symbols/types';
import type { CSlotVariant } from './pointers';
import type { Family } from './types';

export type DarwinArch = 'x86_64' | 'arm64';

export const FAMILIES: readonly Family[] = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9'];

/** macOS releases and xnu tags per family (for reasons and the UI) */
export const FAMILY_RANGES: Readonly<Record<Family, { macos: string; xnu: string }>> = {
  F1: { macos: '10.9–10.10', xnu: '2422, 2782' },
  F2: { macos: '10.11', xnu: '3247/3248' },
  F3: { macos: '10.12', xnu: '3789' },
  F4: { macos: '10.13–10.15.3', xnu: '4570, 4903, 6153.11–6153.81' },
  F5: { macos: '10.15.4–10.15.7', xnu: '6153.101+' },
  F6: { macos: '11.0–11.3', xnu: '7195.41–7195.101' },
  F7: { macos: '11.4–12.1', xnu: '7195.121+, 8019.41/.61' },
  F8: { macos: '12.2–12.3', xnu: '8019.80, 8020.101' },
  F9: { macos: '12.4–15.x', xnu: '8020.121+, 8792, 8796, 10002, 10063, 11215, 11417' },
};

/**
 * First xnu version [major, minor] of each family; a version belongs to the last family whose start
 * it reaches. Only the first two parts matter (12.6 ships 8020.140.49, lower than 12.5.1's 8020.141.5).
 */
export const FAMILY_START: ReadonlyArray<readonly [Family, number, number]> = [
  ['F1', 0, 0],
  ['F2', 3247, 0],
  ['F3', 3789, 0],
  ['F4', 4570, 0],
  ['F5', 6153, 101],
  ['F6', 7195, 0],
  ['F7', 7195, 121],
  ['F8', 8019, 80],
  ['F9', 8020, 121],
];

/** arm64 macOS segments shrink from 256 KiB to 64 KiB in xnu-8020.140.41 (12.5) */
export const ARM64_SMALL_SEGMENTS_FROM: readonly [number, number] = [8020, 140];

// ---------------------------------------------------------------------------------------------
// Base types the fallback layouts name (an ISF brings its own; these fill the gaps).

export const FALLBACK_BASE_TYPES: Readonly<Record<string, BaseType>> = {
  char: { size: 1, signed: true, kind: 'char', endian: 'little' },
  bool: { size: 1, signed: false, kind: 'bool', endian: 'little' },
  'unsigned char': { size: 1, signed: false, kind: 'char', endian: 'little' },
  short: { size: 2, signed: true, kind: 'int', endian: 'little' },
  'unsigned short': { size: 2, signed: false, kind: 'int', endian: 'little' },
  int: { size: 4, signed: true, kind: 'int', endian: 'little' },
  'unsigned int': { size: 4, signed: false, kind: 'int', endian: 'little' },
  long: { size: 8, signed: true, kind: 'int', endian: 'little' },
  'unsigned long': { size: 8, signed: false, kind: 'int', endian: 'little' },
  'long long': { size: 8, signed: true, kind: 'int', endian: 'little' },
  'unsigned long long': { size: 8, signed: false, kind: 'int', endian: 'little' },
  pointer: { size: 8, signed: false, kind: 'int', endian: 'little' },
};

// ---------------------------------------------------------------------------------------------
// Small builders so the tables below read like the struct definitions.

const base = (name: string): TypeRef => ({ kind: 'base', name });
const U8 = base('unsigned char');
const BOOL = base('bool');
const U16 = base('unsigned short');
const I32 = base('int');
const U32 = base('unsigned int');
const U64 = base('unsigned long long');
const ULONG = base('unsigned long');
const struct = (name: string): TypeRef => ({ kind: 'struct', name });
const union = (name: string): TypeRef => ({ kind: 'union', name });
const ptr = (subtype: TypeRef): TypeRef => ({ kind: 'pointer', subtype });
const VOIDP = ptr(base('void'));
const bits = (pos: number, len: number, over: TypeRef = U32): TypeRef => ({
  kind: 'bitfield',
  bit_position: pos,
  bit_length: len,
  type: over,
});
const f = (offset: number, type: TypeRef) => ({ offset, type });

function ut(size: number, fields: UserType['fields'], kind: UserType['kind'] = 'struct'): UserType {
  return { kind, size, fields };
}

const SLOT_ARRAY = (n: number): TypeRef => ({ kind: 'array', count: n, subtype: struct('c_slot') });
const COMMON_HEAD = {
  c_lock: f(0x00, struct('_lck_mtx_')),
  c_age_list: f(0x10, struct('queue_entry')),
  c_list: f(0x20, struct('queue_entry')),
};

// ---------------------------------------------------------------------------------------------
// struct c_segment per family (x86_64; arm64 is identical for F6–F9 with CONFIG_FREEZE off).

const C_SEGMENT_F1 = ut(0x90, {
  ...COMMON_HEAD,
  c_generation_id: f(0x30, U64),
  c_bytes_used: f(0x38, I32),
  c_bytes_unused: f(0x3c, I32),
  c_mysegno: f(0x40, bits(0, 19)),
  c_filling: f(0x40, bits(19, 1)),
  c_busy: f(0x40, bits(20, 1)),
  c_busy_swapping: f(0x40, bits(21, 1)),
  c_wanted: f(0x40, bits(22, 1)),
  c_must_free: f(0x40, bits(23, 1)),
  c_ondisk: f(0x40, bits(24, 1)),
  c_was_swapped_in: f(0x40, bits(25, 1)),
  c_on_minorcompact_q: f(0x40, bits(26, 1)),
  c_on_age_q: f(0x40, bits(27, 1)),
  c_on_swappedin_q: f(0x40, bits(28, 1)),
  c_on_swapout_q: f(0x40, bits(29, 1)),
  c_on_swappedout_q: f(0x40, bits(30, 1)),
  c_on_swappedout_sparse_q: f(0x40, bits(31, 1)),
  c_firstemptyslot: f(0x44, U16),
  c_nextslot: f(0x46, U16),
  c_nextoffset: f(0x48, U32),
  c_populated_offset: f(0x4c, U32),
  c_creation_ts: f(0x50, U32),
  c_swappedin_ts: f(0x54, U32),
  c_store: f(0x58, union('c_store')),
  c_slots: f(0x60, { kind: 'array', count: 6, subtype: ptr(struct('c_slot')) }),
});

const C_SEGMENT_F2 = ut(0x70, {
  ...COMMON_HEAD,
  c_generation_id: f(0x30, U64),
  c_bytes_used: f(0x38, I32),
  c_bytes_unused: f(0x3c, I32),
  c_mysegno: f(0x40, bits(0, 19)),
  c_busy: f(0x40, bits(19, 1)),
  c_busy_swapping: f(0x40, bits(20, 1)),
  c_wanted: f(0x40, bits(21, 1)),
  c_on_minorcompact_q: f(0x40, bits(22, 1)),
  c_state: f(0x40, bits(23, 4)),
  c_overage_swap: f(0x40, bits(27, 1)),
  c_reserved: f(0x40, bits(28, 4)),
  c_firstemptyslot: f(0x44, U16),
  c_nextslot: f(0x46, U16),
  c_nextoffset: f(0x48, U32),
  c_populated_offset: f(0x4c, U32),
  c_creation_ts: f(0x50, U32),
  c_swappedin_ts: f(0x54, U32),
  c_store: f(0x58, union('c_store')),
  c_slot_var_array_len: f(0x60, I32),
  c_slot_var_array: f(0x68, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x70, SLOT_ARRAY(0)),
});

/** F4–F8 share the head up to c_populated_offset; the tail differs per family */
const F4_HEAD = {
  ...COMMON_HEAD,
  c_mysegno: f(0x30, bits(0, 20)),
  c_busy: f(0x30, bits(20, 1)),
  c_busy_swapping: f(0x30, bits(21, 1)),
  c_wanted: f(0x30, bits(22, 1)),
  c_on_minorcompact_q: f(0x30, bits(23, 1)),
  c_state: f(0x30, bits(24, 4)),
  c_overage_swap: f(0x30, bits(28, 1)),
  c_reserved: f(0x30, bits(29, 3)),
  c_creation_ts: f(0x34, U32),
  c_generation_id: f(0x38, U64),
  c_bytes_used: f(0x40, I32),
  c_bytes_unused: f(0x44, I32),
  c_slots_used: f(0x48, U32),
  c_firstemptyslot: f(0x4c, U16),
  c_nextslot: f(0x4e, U16),
  c_nextoffset: f(0x50, U32),
  c_populated_offset: f(0x54, U32),
};

const C_SEGMENT_F4 = ut(0x78, {
  ...F4_HEAD,
  c_swappedin_ts: f(0x58, U32),
  c_store: f(0x60, union('c_store')),
  c_slot_var_array_len: f(0x68, I32),
  c_slot_var_array: f(0x70, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x78, SLOT_ARRAY(0)),
});

const C_SEGMENT_F5 = ut(0x80, {
  ...F4_HEAD,
  c_swappedin_ts: f(0x58, U32),
  c_store: f(0x60, union('c_store')),
  c_busy_for_thread: f(0x68, VOIDP),
  c_slot_var_array_len: f(0x70, I32),
  c_slot_var_array: f(0x78, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x80, SLOT_ARRAY(0)),
});

const C_SEGMENT_F6 = ut(0x78, {
  ...F4_HEAD,
  c_store: f(0x58, union('c_store')),
  c_busy_for_thread: f(0x60, VOIDP),
  c_swappedin_ts: f(0x68, U32),
  c_slot_var_array_len: f(0x6c, I32),
  c_slot_var_array: f(0x70, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x78, SLOT_ARRAY(0)),
});

const C_SEGMENT_F7 = ut(0x80, {
  ...F4_HEAD,
  c_store: f(0x58, union('c_store')),
  c_busy_for_thread: f(0x60, VOIDP),
  c_agedin_ts: f(0x68, U32),
  c_swappedin_ts: f(0x6c, U32),
  c_slot_var_array_len: f(0x70, I32),
  c_slot_var_array: f(0x78, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x80, SLOT_ARRAY(0)),
});

const C_SEGMENT_F8 = ut(0x80, {
  ...F4_HEAD,
  c_store: f(0x58, union('c_store')),
  c_busy_for_thread: f(0x60, VOIDP),
  c_agedin_ts: f(0x68, U32),
  c_swappedin_ts: f(0x6c, U32),
  c_swappedin: f(0x70, BOOL),
  c_slot_var_array_len: f(0x74, I32),
  c_slot_var_array: f(0x78, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x80, SLOT_ARRAY(0)),
});

const C_SEGMENT_F9 = ut(0x88, {
  ...COMMON_HEAD,
  c_mysegno: f(0x30, U32),
  c_creation_ts: f(0x34, U32),
  c_generation_id: f(0x38, U64),
  c_bytes_used: f(0x40, I32),
  c_bytes_unused: f(0x44, I32),
  c_slots_used: f(0x48, U32),
  c_firstemptyslot: f(0x4c, U16),
  c_nextslot: f(0x4e, U16),
  c_nextoffset: f(0x50, U32),
  c_populated_offset: f(0x54, U32),
  c_store: f(0x58, union('c_store')),
  c_busy_for_thread: f(0x60, VOIDP),
  c_agedin_ts: f(0x68, U32),
  c_swappedin_ts: f(0x6c, U32),
  c_swappedin: f(0x70, BOOL),
  c_busy: f(0x74, bits(0, 1)),
  c_busy_swapping: f(0x74, bits(1, 1)),
  c_wanted: f(0x74, bits(2, 1)),
  c_on_minorcompact_q: f(0x74, bits(3, 1)),
  c_state: f(0x74, bits(4, 4)),
  c_overage_swap: f(0x74, bits(8, 1)),
  c_has_donated_pages: f(0x74, bits(9, 1)),
  c_reserved: f(0x74, bits(10, 22)),
  c_slot_var_array_len: f(0x78, I32),
  c_slot_var_array: f(0x80, ptr(struct('c_slot'))),
  c_slot_fixed_array: f(0x88, SLOT_ARRAY(0)),
});

const C_SEGMENT: Readonly<Record<Family, UserType>> = {
  F1: C_SEGMENT_F1,
  F2: C_SEGMENT_F2,
  F3: C_SEGMENT_F2,
  F4: C_SEGMENT_F4,
  F5: C_SEGMENT_F5,
  F6: C_SEGMENT_F6,
  F7: C_SEGMENT_F7,
  F8: C_SEGMENT_F8,
  F9: C_SEGMENT_F9,
};

// struct c_slot: one little-endian u64 of bitfields.
const C_SLOT_X86_64 = ut(8, {
  c_offset: f(0, bits(0, 16, U64)),
  c_size: f(0, bits(16, 12, U64)),
  c_packed_ptr: f(0, bits(28, 36, U64)),
});
/** arm64: c_size widened to 14 bits for 16 KiB pages, c_codec (0 WKdm, 1 LZ4) at bit 30 */
const C_SLOT_ARM64 = ut(8, {
  c_offset: f(0, bits(0, 16, U64)),
  c_size: f(0, bits(16, 14, U64)),
  c_codec: f(0, bits(30, 1, U64)),
  c_packed_ptr: f(0, bits(31, 33, U64)),
});

/**
 * arm64 M1-family (H13) kernels of xnu 7195–8792: a packed 12-byte c_slot whose back-pointer is
 * stored whole in 47 bits after an 18-bit inline popcount (docs/compressor.md §5.1).
 */
const C_SLOT_ARM64_POPCOUNT = ut(12, {
  c_offset: f(0, bits(0, 16, U64)),
  c_size: f(0, bits(16, 14, U64)),
  c_codec: f(0, bits(30, 1, U64)),
  c_inline_popcount: f(0, bits(31, 18, U64)),
  c_packed_ptr: f(0, bits(49, 47, U64)),
});

const C_SLOT: Readonly<Record<CSlotVariant, UserType>> = {
  x86_64: C_SLOT_X86_64,
  arm64: C_SLOT_ARM64,
  'arm64-popcount': C_SLOT_ARM64_POPCOUNT,
};

/** union c_segu: a c_segment pointer, or the index of the next free entry (u32 up to 10.11) */
const C_SEGU_U32 = ut(8, { c_seg: f(0, ptr(struct('c_segment'))), c_segno: f(0, U32) }, 'union');
const C_SEGU_ULONG = ut(8, { c_seg: f(0, ptr(struct('c_segment'))), c_segno: f(0, ULONG) }, 'union');

const C_STORE = ut(8, { c_buffer: f(0, ptr(I32)), c_swap_handle: f(0, U64) }, 'union');

const C_SV_HE = ut(8, { c_sv_he_ref: f(0, U32), c_sv_he_data: f(4, U32) });
const C_SV_HE_UN = ut(8, { c_sv_he: f(0, struct('c_sv_he')), c_sv_he_record: f(0, U64) }, 'union');
const C_SV_HASH_ENTRY = ut(8, { c_sv_he_un: f(0, union('c_sv_he_un')) });

const SWAPFILE = ut(0x60, {
  swp_queue: f(0x00, struct('queue_entry')),
  swp_path: f(0x10, ptr(base('char'))),
  swp_vp: f(0x18, VOIDP),
  swp_size: f(0x20, U64),
  swp_bitmap: f(0x28, ptr(U8)),
  swp_pathlen: f(0x30, U32),
  swp_nsegs: f(0x34, U32),
  swp_nseginuse: f(0x38, U32),
  swp_index: f(0x3c, U32),
  swp_flags: f(0x40, U32),
  swp_free_hint: f(0x44, U32),
  swp_io_count: f(0x48, U32),
  swp_csegs: f(0x50, ptr(VOIDP)),
});

const QUEUE_ENTRY = ut(0x10, { next: f(0, ptr(struct('queue_entry'))), prev: f(8, ptr(struct('queue_entry'))) });

/**
 * The user types the walk reads, for one family and architecture, in ISF shape. `slot` picks the
 * c_slot layout (default: the 8-byte one of the architecture; see pointers.ts cSlotVariant).
 */
export function fallbackUserTypes(family: Family, arch: DarwinArch, slot?: CSlotVariant): Record<string, UserType> {
  const early = family === 'F1' || family === 'F2';
  return {
    c_segment: C_SEGMENT[family],
    c_slot: C_SLOT[slot ?? (arch === 'arm64' ? 'arm64' : 'x86_64')],
    c_segu: early ? C_SEGU_U32 : C_SEGU_ULONG,
    c_store: C_STORE,
    ...(family === 'F1' ? {} : { c_sv_hash_entry: C_SV_HASH_ENTRY, c_sv_he_un: C_SV_HE_UN, c_sv_he: C_SV_HE }),
    swapfile: SWAPFILE,
    queue_entry: QUEUE_ENTRY,
  };
}

// ---------------------------------------------------------------------------------------------
// Constants per family and architecture.

export const KiB = 1024;

/** c_state values (10.11+) */
export const C_STATE_NAMES: readonly string[] = [
  'C_IS_EMPTY',
  'C_IS_FREE',
  'C_IS_FILLING',
  'C_ON_AGE_Q',
  'C_ON_SWAPOUT_Q',
  'C_ON_SWAPPEDOUT_Q',
  'C_ON_SWAPPEDOUTSPARSE_Q',
  'C_ON_SWAPPEDIN_Q',
  'C_ON_MAJORCOMPACT_Q',
  'C_ON_BAD_Q',
  'C_ON_SWAPIO_Q',
];
export const C_IS_EMPTY = 0;
export const C_IS_FREE = 1;
export const C_IS_FILLING = 2;
export const C_ON_AGE_Q = 3;
export const C_ON_SWAPOUT_Q = 4;
export const C_ON_SWAPPEDOUT_Q = 5;
export const C_ON_SWAPPEDOUTSPARSE_Q = 6;
export const C_ON_SWAPPEDIN_Q = 7;
export const C_ON_MAJORCOMPACT_Q = 8;
export const C_ON_BAD_Q = 9;
export const C_ON_SWAPIO_Q = 10;

export function stateName(state: number): string {
  return C_STATE_NAMES[state] ?? `C_STATE_${state}`;
}

/** swap handle = (file index << 33) | byte offset */
export const SWAP_DEVICE_SHIFT = 33n;
export const SWAP_SLOT_MASK = 0x1_ffff_ffffn;

/** c_segment_sv_hash_table: C_SV_HASH_SIZE entries of {he_ref u32 @0, he_data u32 @4} */
export const SV_HASH_SIZE = 1024;
export const SV_ENTRY = { size: 8, refOffset: 0, dataOffset: 4 } as const;

/** F1: six lazily allocated 64-entry slot arrays */
export const F1_SLOT_ARRAYS = 6;
export const F1_SLOT_ARRAY_SIZE = 64;
/** 10.11+: C_SLOT_MAX_INDEX */
export const SLOT_MAX_INDEX = 1024;
export const WKDM_MZV_MAGIC = 0x4321;

export interface FamilyConstants {
  family: Family;
  arch: DarwinArch;
  pageSize: number;
  /** initial WKdm dictionary value: 1 for 10.9–10.10, 0 from 10.11 */
  dictPreset: 0 | 1;
  /** C_SEG_BUFSIZE (12+: runtime global c_seg_bufsize overrides) */
  bufSize: number;
  /** C_SEG_ALLOCSIZE: the stride of the c_buffers region (12+: c_seg_allocsize overrides) */
  allocSize: number;
  /** computed c_seg_fixed_array_len, only a fallback when the global cannot be read */
  fixedArrayLen: number;
  /** largest number of slots a segment may hand out */
  maxSlots: number;
  /** width of c_segu.c_segno in bytes */
  segnoSize: 4 | 8;
  /** single-value pages (sv table, 4-byte slots) and MZV streams exist */
  singleValue: boolean;
  /** c_state field (else F1 flag bits) */
  hasState: boolean;
  /** c_slots_used exists (F4+) */
  hasSlotsUsed: boolean;
  /** one contiguous c_buffers region */
  hasBufferRegion: boolean;
  /** c_codec bit in c_slot */
  hasCodecBit: boolean;
  /** folder the kernel names its swap files in (for display only; the walk reads swp_path) */
  swapDir: string;
}

function familyIndex(f: Family): number {
  return FAMILIES.indexOf(f);
}

export function familyAtLeast(f: Family, min: Family): boolean {
  return familyIndex(f) >= familyIndex(min);
}

/**
 * Constants for a family. `xnu` ([major, minor]) only matters for arm64 F9, whose segment size
 * dropped to 64 KiB in 12.5; the runtime globals override these when the image has them.
 */
export function familyConstants(family: Family, arch: DarwinArch, xnu?: readonly number[]): FamilyConstants {
  const pageSize = arch === 'arm64' ? 16 * KiB : 4 * KiB;
  let bufSize = 256 * KiB;
  if (arch === 'arm64' && family === 'F9') {
    const small =
      !xnu ||
      xnu.length < 2 ||
      xnu[0]! > ARM64_SMALL_SEGMENTS_FROM[0] ||
      (xnu[0] === ARM64_SMALL_SEGMENTS_FROM[0] && xnu[1]! >= ARM64_SMALL_SEGMENTS_FROM[1]);
    if (small) bufSize = 64 * KiB;
  }
  const allocSize = family === 'F1' || arch === 'arm64' ? bufSize + pageSize : bufSize;
  const fixedArrayLen = defaultFixedArrayLen(family, arch, bufSize);
  return {
    family,
    arch,
    pageSize,
    dictPreset: family === 'F1' ? 1 : 0,
    bufSize,
    allocSize,
    fixedArrayLen,
    maxSlots: family === 'F1' ? F1_SLOT_ARRAYS * F1_SLOT_ARRAY_SIZE : SLOT_MAX_INDEX,
    segnoSize: family === 'F1' || family === 'F2' ? 4 : 8,
    singleValue: family !== 'F1',
    hasState: family !== 'F1',
    hasSlotsUsed: familyAtLeast(family, 'F4'),
    hasBufferRegion: family !== 'F1',
    hasCodecBit: arch === 'arm64',
    swapDir: familyAtLeast(family, 'F6')
      ? '/System/Volumes/VM'
      : familyAtLeast(family, 'F4')
        ? '/private/var/vm'
        : '/var/vm',
  };
}

/** docs/compressor.md §5.3: the computed values, for when c_seg_fixed_array_len is unreadable */
function defaultFixedArrayLen(family: Family, arch: DarwinArch, bufSize: number): number {
  if (arch === 'arm64') return bufSize >= 256 * KiB ? 16 : 4;
  switch (family) {
    case 'F1':
      return 0;
    case 'F2':
    case 'F3':
      return 114;
    case 'F4':
      return 113;
    case 'F5':
      return 112;
    case 'F6':
      return 66;
    case 'F7':
    case 'F8':
      return 65;
    case 'F9':
      return 64;
  }
}

/** kernel pointers: x86_64 kernel space starts at 0xffffff80_00000000; arm64 TTBR1 addresses have the top 16 bits set */
export function isKernelPointer(arch: DarwinArch, v: bigint): boolean {
  if (arch === 'x86_64') return v >= 0xffff_ff80_0000_0000n && v <= 0xffff_ffff_ffff_f000n;
  return v >= 0xffff_0000_0000_0000n && v <= 0xffff_ffff_ffff_f000n;
}

/** F1 state flags, in the priority the derived state name uses */
export const F1_QUEUE_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['c_on_swappedout_sparse_q', 'C_ON_SWAPPEDOUTSPARSE_Q'],
  ['c_on_swappedout_q', 'C_ON_SWAPPEDOUT_Q'],
  ['c_on_swapout_q', 'C_ON_SWAPOUT_Q'],
  ['c_on_swappedin_q', 'C_ON_SWAPPEDIN_Q'],
  ['c_on_age_q', 'C_ON_AGE_Q'],
  ['c_filling', 'C_IS_FILLING'],
  ['c_on_minorcompact_q', 'C_ON_MINORCOMPACT_Q'],
];
