// Synthetic VM compressors inside synthetic kernels: the c_segments table, c_segment structs in a
// family's layout, slot arrays, segment buffers, the single-value table, swap files and globals —
// and the ground truth (kind, SHA-256 of the source page, expected error) computed from the inputs.
//
// Payloads come only from the project's own compressors (wkdmCompress, bit-exact with Apple's code
// on the shared vectors; lz4EncodeBlock), stored the way xnu decides: WKdm first (10.11+: 0 → single
// value, −1 → raw page), on arm64 hybrid mode LZ4 when WKdm fails or is ≥ 12 KiB on 16 KiB pages.
import { createHash } from 'node:crypto';
import { decodePage, lz4EncodeBlock, wkdmCompress } from '../codecs';
import { fallbackUserTypes } from '../darwin/layouts';
import type { Family, SlotKind, SvEntry } from '../darwin/types';
import type { TypeRef, UserType } from '../symbols/types';
import { standardBaseTypes } from './isf';
import type { SynthKernel } from './types';

// =============================================================================================
// Pages with realistic content (deterministic per seed)

export function rand(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you ' +
  'were her all she there would their we him been has when who will more no if out so said what up its about into ' +
  'than them can only other new some could time these two may then do first any my now such like our over man me ' +
  'memory kernel segment compressor page slot buffer process thread vnode mount socket file descriptor'
).split(' ');

/** English-like ASCII lines */
export function textPage(seed: number, size: number): Uint8Array {
  const r = rand(seed);
  const out = new Uint8Array(size);
  let o = 0;
  let col = 0;
  while (o < size) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    for (let i = 0; i < w.length && o < size; i++) out[o++] = w.charCodeAt(i);
    col += w.length + 1;
    if (o < size) out[o++] = col > 72 ? 10 : 32;
    if (col > 72) col = 0;
  }
  return out;
}

/** the same kind of text in UTF-16LE */
export function utf16Page(seed: number, size: number): Uint8Array {
  const ascii = textPage(seed, size / 2);
  const out = new Uint8Array(size);
  for (let i = 0; i < ascii.length; i++) out[2 * i] = ascii[i]!;
  return out;
}

/** a page of kernel pointers, small integers and zeros (a pointer table, a vm_map entry array) */
export function pointerPage(seed: number, size: number, arch: 'x86_64' | 'arm64' = 'x86_64'): Uint8Array {
  const r = rand(seed);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const hi = arch === 'arm64' ? 0xfffffe10 : 0xffffff80;
  const regions = [0x1234_0000, 0x4560_0000, 0x0a00_0000, 0x2f80_0000].map((b) => b + Math.floor(r() * 0x100) * 0x1000);
  for (let o = 0; o < size; o += 8) {
    const x = r();
    if (x < 0.55) {
      const base = regions[Math.floor(r() * regions.length)]!;
      dv.setUint32(o, (base + Math.floor(r() * 0x4000) * 16) >>> 0, true);
      dv.setUint32(o + 4, hi, true);
    } else if (x < 0.8) {
      dv.setUint32(o, Math.floor(r() * 300), true);
    }
  }
  return out;
}

/** heap-like: small objects with headers, pointers, counters and short strings */
export function heapPage(seed: number, size: number): Uint8Array {
  const r = rand(seed);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  while (o + 64 <= size) {
    dv.setUint32(o, 0x0000_0001 + Math.floor(r() * 4), true); // refcount
    dv.setUint32(o + 4, 0x4f424a00 | Math.floor(r() * 8), true); // type tag
    dv.setUint32(o + 8, (0x7f80_0000 + Math.floor(r() * 0x10000) * 16) >>> 0, true);
    dv.setUint32(o + 12, 0x0000_7ff8, true);
    dv.setUint32(o + 16, Math.floor(r() * 4096), true);
    const name = WORDS[Math.floor(r() * WORDS.length)]!;
    for (let i = 0; i < name.length && i < 24; i++) out[o + 24 + i] = name.charCodeAt(i);
    o += 48 + 16 * Math.floor(r() * 3);
  }
  return out;
}

/** mostly zero with `words` non-zero words (10.11+ stores these as MZV) */
export function sparsePage(seed: number, size: number, words: number): Uint8Array {
  const r = rand(seed);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  for (let k = 0; k < words; k++) {
    const at = Math.floor(r() * (size / 4)) * 4;
    dv.setUint32(at, (Math.floor(r() * 0xffffffff) | 1) >>> 0, true);
  }
  return out;
}

/** incompressible */
export function randomPage(seed: number, size: number): Uint8Array {
  const r = rand(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = Math.floor(r() * 4294967296);
    out[i] = v;
    out[i + 1] = v >>> 8;
    out[i + 2] = v >>> 16;
    out[i + 3] = v >>> 24;
  }
  return out;
}

export function valuePage(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  for (let o = 4; o < size; o += 4) out.copyWithin(o, 0, 4);
  return out;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

// =============================================================================================
// How the kernel stores a page

export interface Stored {
  kind: 'wkdm' | 'mzv' | 'lz4' | 'raw' | 'single';
  bytes: Uint8Array;
  codec: 0 | 1;
}

/** xnu's choice for one page (c_compress_page): WKdm, then 0 → single value, −1 → raw; arm64 hybrid may pick LZ4 */
export function storePage(page: Uint8Array, opts: { pageSize: number; modern: boolean; arch: 'x86_64' | 'arm64' }): Stored {
  const pageSize = opts.pageSize as 4096 | 16384;
  const dst = new Uint8Array(pageSize);
  const r = wkdmCompress(page, dst, { pageSize, variant: opts.modern ? 'xnu-3247' : 'xnu-2422' });
  const lz4Threshold = pageSize === 16384 ? 12288 : 2048;
  if (opts.arch === 'arm64' && opts.modern && r !== 0 && (r < 0 || r >= lz4Threshold)) {
    const l = new Uint8Array(pageSize);
    const n = lz4EncodeBlock(page, l.subarray(0, pageSize - 4));
    if (n > 0 && (r < 0 || n < r)) return { kind: 'lz4', bytes: l.slice(0, n), codec: 1 };
  }
  if (r > 0) {
    const bytes = dst.slice(0, r);
    const mzv = opts.modern && bytes[0] === 0x21 && bytes[1] === 0x43 && bytes[2] === 0 && bytes[3] === 0;
    return { kind: mzv ? 'mzv' : 'wkdm', bytes, codec: 0 };
  }
  if (r === 0) return { kind: 'single', bytes: page.slice(0, 4), codec: 0 };
  return { kind: 'raw', bytes: page.slice(), codec: 0 };
}

// =============================================================================================
// Specs

export type SlotSpec =
  | { name: string; page: Uint8Array; /** assert the kernel's choice */ expect?: Stored['kind']; force?: 'lz4' | 'raw' }
  | { name: string; single: number }
  | { name: string; corrupt: 'wkdm-header' | 'lz4-offset' | 'mzv-offset'; seed?: number }
  | { name: string; freed: true };

export interface SegmentSpec {
  index: number;
  /** c_state (10.11+) */
  state?: number;
  /** 10.9–10.10 flag bits set (c_on_age_q, c_ondisk, …) and the state name the walker should derive */
  f1Flags?: string[];
  f1StateName?: string;
  busy?: boolean;
  busySwapping?: boolean;
  slots: SlotSpec[];
  /** swapped out: where (the c_store holds the handle) */
  swap?: { fileIndex: number; offset: number };
  /** buffer pages (index within the buffer, in VA pages) left out of the image */
  missingPages?: number[];
  /** make c_slots_used / c_bytes_used disagree */
  slotsUsedDelta?: number;
  bytesUsedDelta?: number;
  /** c_store.c_buffer = NULL (C_ON_BAD_Q) */
  noBuffer?: boolean;
  /**
   * contents made elsewhere (the scale image): buffer bytes up to c_nextoffset and the slot entries
   * (null = freed); called once while building, so the bytes can be dropped right after. No per-slot truth.
   */
  prebuilt?: () => { bytes: Uint8Array; slots: Array<{ offset: number; size: number; codec: 0 | 1 } | null> };
  creationTs?: number;
}

export type EntrySpec =
  | { index: number; kind: 'free' }
  /** 10.9–10.11: a free link whose upper half still holds 0xffffff80 from the old pointer */
  | { index: number; kind: 'stale' }
  /** points at a c_segment in C_IS_FREE */
  | { index: number; kind: 'is-free' }
  /** points at a c_segment whose c_mysegno is another index */
  | { index: number; kind: 'wrong-segno' };

export interface CompressorSpec {
  family: Family;
  /** xnu [major, minor] for constants that changed inside a family (arm64 12.5 segment size) */
  xnu: [number, number];
  /** write the compressor's user types into the ISF (else the walker must use its fallback) */
  isfTypes?: boolean;
  /** compressor types to leave out of the ISF even when isfTypes is set (e.g. the anonymous c_store union) */
  isfOmit?: string[];
  /** 'byte' writes bitfields at their containing byte as dwarf2json does (default), 'word' at the word */
  bitfieldForm?: 'byte' | 'word';
  segmentsLimit?: number;
  segments: SegmentSpec[];
  entries?: EntrySpec[];
  /** c_segments_available (default: one past the highest index used) */
  available?: number;
  /** c_segment_count (default: number of segments, i.e. possibly below the highest index) */
  segmentCount?: number;
  sv?: Array<{ value: number; refs: number }>;
  pagesCompressedDelta?: number;
  swapFiles?: Array<{ index: number; path: string }>;
  /** c_seg_fixed_array_len override (default: the family's computed value) */
  fixedArrayLen?: number;
  /**
   * How a buffer being swapped out is encrypted in place (core/synth/swap.ts): given the plaintext
   * round_page(c_populated_offset) bytes and the c_segment's address. Default: noise.
   */
  sealBuffer?: (plain: Uint8Array, segVa: bigint) => Uint8Array;
  /**
   * 'arm64-popcount': the 12-byte c_slot of M1 (H13) kernels, xnu 7195–8792, whose back-pointer is
   * stored unpacked in 47 bits (c_slot_packing_params then says 47 bits, shift 0, sign-extended)
   */
  slotVariant?: 'arm64-popcount';
}

export interface SlotTruth {
  name: string;
  segment: number;
  slot: number;
  state: string;
  kind: SlotKind;
  /** byte offset in the buffer */
  offset: number;
  compressedSize: number;
  /** SHA-256 of the source page, when the walker must decode it */
  sha256?: string;
  value?: string;
  /** substrings the error must contain (kind 'corrupt') */
  error?: string[];
  /** source page (for tests that look at bytes) */
  page?: Uint8Array;
  /** slots of swapped-out or encrypted segments: how the page is stored, and its SHA-256, once decrypted */
  sealedKind?: SlotKind;
  sealedSha256?: string;
}

export interface SegmentTruth {
  index: number;
  stateName: string;
  state: number | null;
  va: bigint;
  bufferVa: bigint | null;
  liveSlots: number;
  kinds: Partial<Record<SlotKind, number>>;
  swap?: { fileIndex: number; offset: number; path?: string };
  possiblyEncrypted: boolean;
  resident: boolean;
  /** swapped-out and encrypted segments: the plaintext buffer, round_page(c_populated_offset) bytes */
  plain?: Uint8Array;
}

export interface CompressorTruth {
  family: Family;
  arch: 'x86_64' | 'arm64';
  pageSize: number;
  dictPreset: 0 | 1;
  segmentsAvailable: number;
  segmentCount: number;
  pagesCompressed: number;
  /** every live slot, by segment then slot */
  slots: SlotTruth[];
  byName: Record<string, SlotTruth>;
  segments: SegmentTruth[];
  /** table entries the walker must not list (free links, stale, C_IS_FREE, wrong c_mysegno) */
  notSegments: number[];
  sv: SvEntry[];
  /** the consistency checks must all pass (no delta asked for) */
  consistent: boolean;
  counts: { byKind: Partial<Record<SlotKind, number>>; byState: Record<string, number> };
}

// =============================================================================================
// Layout writing

const BASE = standardBaseTypes();

function fieldSize(t: TypeRef): number {
  switch (t.kind) {
    case 'base':
      return BASE[t.name]?.size ?? 8;
    case 'pointer':
      return 8;
    case 'union':
    case 'struct':
      return 8; // only c_store (a pointer/u64 union) is written whole
    default:
      throw new Error(`synth compressor: cannot write a ${t.kind} field`);
  }
}

/** write `v` into field `name` of struct type `t` at `base` (bitfields at offset*8 + bit_position) */
export function setField(buf: Uint8Array, base: number, t: UserType, name: string, v: number | bigint): void {
  const f = t.fields[name];
  if (!f) throw new Error(`synth compressor: layout has no field ${name}`);
  if (f.type.kind === 'bitfield' && typeof v === 'number' && f.type.bit_length <= 32 && v >= 0 && v < 2 ** f.type.bit_length) {
    // number path (the scale image writes millions of these)
    const abs = f.offset * 8 + f.type.bit_position;
    for (let b = 0; b < f.type.bit_length; b++) {
      const bit = abs + b;
      const byte = base + (bit >> 3);
      const mask = 1 << (bit & 7);
      if (Math.floor(v / 2 ** b) % 2) buf[byte]! |= mask;
      else buf[byte]! &= ~mask;
    }
    return;
  }
  const value = BigInt.asUintN(64, BigInt(v));
  if (f.type.kind === 'bitfield') {
    const abs = f.offset * 8 + f.type.bit_position;
    const len = f.type.bit_length;
    if (value >> BigInt(len) !== 0n) throw new Error(`synth compressor: ${name} = ${v} does not fit ${len} bits`);
    for (let b = 0; b < len; b++) {
      const bit = abs + b;
      const byte = base + (bit >> 3);
      const mask = 1 << (bit & 7);
      if ((value >> BigInt(b)) & 1n) buf[byte]! |= mask;
      else buf[byte]! &= ~mask;
    }
    return;
  }
  const size = fieldSize(f.type);
  for (let i = 0; i < size; i++) buf[base + f.offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/**
 * A fast writer of c_offset / c_size / c_codec into a zeroed 8-byte c_slot (the scale image writes
 * hundreds of thousands): positions resolved once, the two 32-bit halves built with number ops.
 */
function slotWriter(t: UserType): (buf: Uint8Array, base: number, offsetWords: number, packedSize: number, codec: number) => void {
  const pos = (name: string): [number, number] | null => {
    const f = t.fields[name];
    if (!f) return null;
    if (f.type.kind !== 'bitfield') throw new Error(`synth: c_slot.${name} is not a bitfield`);
    return [f.offset * 8 + f.type.bit_position, f.type.bit_length];
  };
  const parts = [pos('c_offset')!, pos('c_size')!, pos('c_codec')];
  for (const p of parts) if (p && (p[1] > 32 || p[0] + p[1] > 64)) throw new Error('synth: c_slot field beyond 64 bits');
  return (buf, base, a, b, c) => {
    let lo = 0;
    let hi = 0;
    const vals = [a, b, c];
    for (let i = 0; i < 3; i++) {
      const p = parts[i];
      if (!p) continue;
      const v = vals[i]!;
      if (v >= 2 ** p[1]) throw new Error(`synth: c_slot value ${v} does not fit ${p[1]} bits`);
      const [at, len] = p;
      if (at + len <= 32) lo |= v << at;
      else if (at >= 32) hi |= v << (at - 32);
      else {
        lo |= v << at;
        hi |= v >>> (32 - at);
      }
    }
    for (let k = 0; k < 4; k++) {
      buf[base + k] = (lo >>> (8 * k)) & 255;
      buf[base + 4 + k] = (hi >>> (8 * k)) & 255;
    }
  };
}

/** the same type with every bitfield moved to its containing byte (dwarf2json's form for some fields) */
function byteFormBitfields(t: UserType): UserType {
  const fields: UserType['fields'] = {};
  for (const [n, f] of Object.entries(t.fields)) {
    if (f.type.kind === 'bitfield') {
      const bp = f.type.bit_position;
      fields[n] = { offset: f.offset + (bp >> 3), type: { ...f.type, bit_position: bp & 7 } };
    } else fields[n] = f;
  }
  return { ...t, fields };
}

const STATE_NAMES = [
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

/** per-family geometry the builder needs (docs/compressor.md §2, §5) */
export function geometry(family: Family, arch: 'x86_64' | 'arm64', xnu: [number, number]) {
  const pageSize = arch === 'arm64' ? 16384 : 4096;
  const rank = Number(family.slice(1));
  const small = arch === 'arm64' && (xnu[0] > 8020 || (xnu[0] === 8020 && xnu[1] >= 140));
  const bufSize = small ? 64 * 1024 : 256 * 1024;
  const allocSize = rank === 1 || arch === 'arm64' ? bufSize + pageSize : bufSize;
  const fixed =
    arch === 'arm64'
      ? small
        ? 4
        : 16
      : ({ 1: 0, 2: 114, 3: 114, 4: 113, 5: 112, 6: 66, 7: 65, 8: 65, 9: 64 } as Record<number, number>)[rank]!;
  return { pageSize, bufSize, allocSize, fixed, rank, modern: rank >= 2, hasRuntimeSize: xnu[0] >= 8019 };
}

// =============================================================================================
// The builder

export function corruptBytes(kind: 'wkdm-header' | 'lz4-offset' | 'mzv-offset', pageSize: number, seed: number, modern: boolean): Stored {
  switch (kind) {
    case 'wkdm-header': {
      const dst = new Uint8Array(pageSize);
      const n = wkdmCompress(heapPage(seed, pageSize), dst, { pageSize: pageSize as 4096, variant: modern ? 'xnu-3247' : 'xnu-2422' });
      if (n <= 0) throw new Error('synth: heap page did not compress');
      const b = dst.slice(0, n);
      // header word 0 (end of the full patterns) pointing back inside the tags area
      new DataView(b.buffer).setUint32(0, 5, true);
      return { kind: 'wkdm', bytes: b, codec: 0 };
    }
    case 'lz4-offset': {
      // one literal, then a match 0x0500 bytes back: before the start of the output
      const b = new Uint8Array([0x14, 0x41, 0x00, 0x05, 0x10, 0x42, 0x43, 0x44, 0x45]);
      return { kind: 'lz4', bytes: b, codec: 1 };
    }
    case 'mzv-offset': {
      const b = new Uint8Array(16);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, 0x4321, true);
      dv.setUint32(4, 0xdeadbeef, true);
      dv.setUint16(8, 16, true);
      dv.setUint32(10, 0x12345678, true);
      dv.setUint16(14, 0xfffe, true); // offset outside any page
      return { kind: 'mzv', bytes: b, codec: 0 };
    }
  }
}

interface PlacedSlot {
  /** absent for prebuilt slots */
  spec?: SlotSpec;
  /** null: freed slot */
  stored: Stored | null;
  offset: number;
  size: number;
  codec: 0 | 1;
  page?: Uint8Array;
}

/**
 * Write a compressor into `kernel` following `spec`; returns the truth a correct walker reproduces.
 * Call before kernel.finish().
 */
export function buildCompressor(kernel: SynthKernel, spec: CompressorSpec): CompressorTruth {
  return buildCompressorDetailed(kernel, spec).truth;
}

/** where one c_slot lives and the bytes (8, or 12 for the popcount slot) written there (for patching c_packed_ptr later) */
export interface SlotEntry {
  va: bigint;
  bytes: Uint8Array;
}

export interface BuiltCompressor {
  truth: CompressorTruth;
  /** c_slot type of the family (bit positions of c_packed_ptr) */
  slotType: UserType;
  /** every live slot with a name, keyed "segment:slot" */
  slotEntries: Map<string, SlotEntry>;
  /** live slot indexes of every segment, named or prebuilt (the scale image's have no names) */
  liveSlots: Map<number, number[]>;
  /** kernel VA of c_slot (segment, slot) */
  slotVa(segment: number, slot: number): bigint;
  /** set the back-pointer of a live slot to the slot mapping at `target` (packed by the version's rule) */
  setBackPointer(segment: number, slot: number, target: bigint): void;
}

/** c_slot.c_packed_ptr of a slot-mapping address: (target − base) >> 2, base per architecture (docs/compressor.md §5.1, docs/process-memory.md §6.3) */
export function packSlotPointer(arch: 'x86_64' | 'arm64', target: bigint, variant?: 'arm64-popcount'): bigint {
  // the M1 popcount c_slot stores the pointer itself, in 47 bits (sign-extended when read)
  if (variant === 'arm64-popcount') return target & ((1n << 47n) - 1n);
  const base = arch === 'arm64' ? C_SLOT_PACK_BASE_ARM64 : C_SLOT_PACK_BASE_X86_64;
  const bits = arch === 'arm64' ? 33n : 36n;
  const d = target - base;
  if (d < 0n || d % 4n !== 0n || d >> 2n >= 1n << bits) throw new Error(`synth: slot mapping 0x${target.toString(16)} cannot be packed into ${bits} bits`);
  return d >> 2n;
}

export const C_SLOT_PACK_BASE_X86_64 = 0xffffff7f80000000n;
export const C_SLOT_PACK_BASE_ARM64 = 0xfffffe0000000000n;

export function buildCompressorDetailed(kernel: SynthKernel, spec: CompressorSpec): BuiltCompressor {
  const arch = kernel.arch;
  const g = geometry(spec.family, arch, spec.xnu);
  const { pageSize, bufSize, allocSize } = g;
  const fixedLen = spec.fixedArrayLen ?? g.fixed;
  const types = fallbackUserTypes(spec.family, arch, spec.slotVariant);
  const segT = types['c_segment']!;
  const slotT = types['c_slot']!;
  /** bytes per c_slot: 8, or 12 for the popcount slot */
  const stride = slotT.size;
  const writeSlot = slotWriter(slotT);
  const f1 = g.rank === 1;
  const limit = spec.segmentsLimit ?? 64;
  const isf = spec.isfTypes ?? true;
  const form = spec.bitfieldForm ?? 'byte';
  if (isf) {
    for (const [name, t] of Object.entries(types)) {
      if (spec.isfOmit?.includes(name)) continue;
      kernel.addUserType(name, form === 'byte' ? byteFormBitfields(t) : t);
    }
  }

  // ---- globals
  const G = (name: string, size: number, align = 8) => kernel.global(name, size, align);
  const gSegments = G('c_segments', 8);
  const gAvailable = G('c_segments_available', 4, 4);
  const gCount = G('c_segment_count', 4, 4);
  const gPages = G('c_segment_pages_compressed', 4, 4);
  const gLimit = G('c_segments_limit', 4, 4);
  const gFreeHead = G('c_free_segno_head', 4, 4);
  const gBusy = G('c_segments_busy', 4, 4);
  const gMode = G('vm_compressor_mode', 4, 4);
  kernel.writeU32(gMode, 4);
  kernel.writeU32(gLimit, limit);
  const maxIndex = Math.max(
    ...spec.segments.map((s) => s.index),
    ...(spec.entries ?? []).map((e) => e.index),
    -1,
  );
  const available = spec.available ?? maxIndex + 1;
  if (available > limit) throw new Error('synth: c_segments_available above c_segments_limit');
  kernel.writeU32(gAvailable, available);
  kernel.writeU32(gBusy, 0);
  let buffers = 0n;
  let svVa = 0n;
  if (!f1) {
    const gBuffers = G('c_buffers', 8);
    buffers = kernel.reserve(allocSize * limit, pageSize);
    kernel.writeU64(gBuffers, buffers);
    const gFixed = G('c_seg_fixed_array_len', 4, 4);
    kernel.writeU32(gFixed, fixedLen);
    svVa = G('c_segment_sv_hash_table', 1024 * 8, 8);
  }
  if (g.rank >= 3) kernel.writeU32(G('vm_compressor_current_codec', 4, 4), arch === 'arm64' ? 2 : 3);
  if (g.rank >= 6) {
    const p = G('c_slot_packing_params', 16, 8);
    kernel.writeU64(p, arch === 'arm64' ? C_SLOT_PACK_BASE_ARM64 : C_SLOT_PACK_BASE_X86_64);
    kernel.write(p + 8n, spec.slotVariant === 'arm64-popcount' ? new Uint8Array([47, 0, 0]) : new Uint8Array([arch === 'arm64' ? 33 : 36, 2, 1]));
  }
  if (g.hasRuntimeSize) {
    kernel.writeU32(G('c_seg_bufsize', 4, 4), bufSize);
    kernel.writeU32(G('c_seg_allocsize', 4, 4), allocSize);
    kernel.writeU32(G('c_seg_max_pages', 4, 4), bufSize / pageSize);
    kernel.writeU32(G('c_seg_slot_var_array_min_len', 4, 4), bufSize / pageSize);
  }

  // ---- swap files
  const swapFiles = spec.swapFiles ?? [];
  if (swapFiles.length > 0) {
    const head = G('swf_global_queue', 16);
    const sfT = types['swapfile']!;
    const nodes = swapFiles.map(() => kernel.alloc(sfT.size, 16));
    swapFiles.forEach((f, i) => {
      const buf = new Uint8Array(sfT.size);
      const path = new TextEncoder().encode(f.path + '\0');
      const pva = kernel.alloc(path.length, 8);
      kernel.write(pva, path);
      const next = i + 1 < nodes.length ? nodes[i + 1]! : head;
      const prev = i > 0 ? nodes[i - 1]! : head;
      new DataView(buf.buffer).setBigUint64(0, next, true);
      new DataView(buf.buffer).setBigUint64(8, prev, true);
      setField(buf, 0, sfT, 'swp_path', pva);
      setField(buf, 0, sfT, 'swp_pathlen', path.length);
      setField(buf, 0, sfT, 'swp_index', f.index);
      setField(buf, 0, sfT, 'swp_size', 1024n * 1024n * 1024n);
      kernel.write(nodes[i]!, buf);
    });
    kernel.writeU64(head, nodes[0]!);
    kernel.writeU64(head + 8n, nodes[nodes.length - 1]!);
  }

  // ---- the table
  const table = kernel.alloc(limit * 8, 4096);
  kernel.writeU64(gSegments, table);
  const used = new Set<number>();
  const truthSlots: SlotTruth[] = [];
  const truthSegs: SegmentTruth[] = [];
  const notSegments: number[] = [];
  let pagesCompressed = 0;
  let consistent = !spec.pagesCompressedDelta;
  const segStructSize = segT.size + (f1 ? 0 : fixedLen * stride);
  const slotEntries = new Map<string, SlotEntry>();
  const liveSlots = new Map<number, number[]>();
  const liveFlags = new Map<number, Uint8Array>();
  /** where a segment's c_slots live: F1 sub-arrays of 64, else the fixed array then the variable one */
  const slotHome = new Map<number, { fixed: bigint; nFixed: number; varArr: bigint; f1: bigint[] }>();

  for (const s of spec.segments) {
    if (used.has(s.index)) throw new Error(`synth: table index ${s.index} used twice`);
    used.add(s.index);
    const segVa = kernel.alloc(segStructSize, 16);
    kernel.writeU64(table + BigInt(s.index) * 8n, segVa);
    const sbuf = new Uint8Array(segStructSize);
    const state = s.state ?? null;
    const stateName = f1 ? (s.f1StateName ?? 'C_NO_QUEUE') : STATE_NAMES[state ?? 0]!;
    const swapped = f1 ? (s.f1Flags ?? []).includes('c_ondisk') : state === 5 || state === 6;
    const encrypted =
      !swapped && !!s.busySwapping && (f1 ? true : state === 4 || state === 10);
    const nodata = !swapped && (!!s.noBuffer || (!f1 && (state === 9 || state === 0)));
    const resident = !swapped && !encrypted && !nodata;

    // place the slots in the buffer
    const placed: PlacedSlot[] = [];
    let cursor = 0;
    s.slots.forEach((sl, i) => {
      if ('freed' in sl) {
        placed.push({ spec: sl, stored: null, offset: 0, size: 0, codec: 0 });
        return;
      }
      let stored: Stored;
      let page: Uint8Array | undefined;
      if ('page' in sl) {
        page = sl.page;
        if (page.length !== pageSize) throw new Error(`synth: slot ${sl.name} page is ${page.length} bytes`);
        if (sl.force === 'raw') stored = { kind: 'raw', bytes: page.slice(), codec: 0 };
        else if (sl.force === 'lz4') {
          const l = new Uint8Array(pageSize);
          const n = lz4EncodeBlock(page, l);
          if (n <= 0 || n >= pageSize) throw new Error(`synth: slot ${sl.name} does not fit as LZ4`);
          stored = { kind: 'lz4', bytes: l.slice(0, n), codec: 1 };
        } else stored = storePage(page, { pageSize, modern: g.modern, arch });
        if (sl.expect && stored.kind !== sl.expect) {
          throw new Error(`synth: slot ${sl.name} is stored as ${stored.kind}, not ${sl.expect}`);
        }
        if (stored.kind === 'single' && !g.modern) throw new Error('synth: single values need 10.11+');
      } else if ('single' in sl) {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, sl.single >>> 0, true);
        stored = { kind: 'single', bytes: b, codec: 0 };
        page = valuePage(sl.single, pageSize);
      } else {
        stored = corruptBytes(sl.corrupt, pageSize, sl.seed ?? 7 + i, g.modern);
        let rejected = false;
        try {
          decodePage(stored.kind, stored.bytes, new Uint8Array(pageSize), { pageSize: pageSize as 4096, dictPreset: g.modern ? 0 : 1 });
        } catch {
          rejected = true;
        }
        if (!rejected) throw new Error(`synth: corrupt case ${sl.name} decodes`);
      }
      placed.push({ spec: sl, stored, offset: cursor, size: stored.bytes.length, codec: stored.codec, ...(page ? { page } : {}) });
      cursor += (stored.bytes.length + 3) & ~3;
    });
    let prebuiltBytes: Uint8Array | null = null;
    if (s.prebuilt) {
      if (s.slots.length > 0) throw new Error('synth: a segment has either slots or prebuilt contents');
      const pb = s.prebuilt();
      prebuiltBytes = pb.bytes;
      for (const e of pb.slots) {
        if (e === null) placed.push({ stored: null, offset: 0, size: 0, codec: 0 });
        else placed.push({ stored: null, offset: e.offset, size: e.size, codec: e.codec });
      }
      cursor = pb.bytes.length;
    }
    if (cursor > bufSize) throw new Error(`synth: segment ${s.index} holds ${cursor} bytes, more than ${bufSize}`);
    const nextOffset = cursor; // the last slot ends exactly at c_nextoffset
    const populated = Math.min(bufSize, Math.max(pageSize, Math.ceil(nextOffset / pageSize) * pageSize));

    // the buffer
    let bufferVa: bigint | null = null;
    let plainOf: Uint8Array | undefined;
    if (swapped) {
      // what was written to the swap file: the raw buffer, round_page(c_populated_offset × 4) bytes
      plainOf = new Uint8Array(populated);
      if (prebuiltBytes) plainOf.set(prebuiltBytes);
      for (const p of placed) if (p.stored) plainOf.set(p.stored.bytes, p.offset);
    }
    if (!swapped && !s.noBuffer) {
      bufferVa = f1 ? kernel.reserve(allocSize, pageSize) : buffers + BigInt(s.index) * BigInt(allocSize);
      const bytes = new Uint8Array(populated);
      if (prebuiltBytes) bytes.set(prebuiltBytes);
      for (const p of placed) if (p.stored) bytes.set(p.stored.bytes, p.offset);
      if (encrypted) {
        plainOf = bytes.slice();
        if (spec.sealBuffer) bytes.set(spec.sealBuffer(plainOf, segVa));
        else {
          // what a buffer encrypted in place looks like: noise over the whole populated range
          const r = rand(s.index * 977 + 13);
          for (let i = 0; i < bytes.length; i++) bytes[i] = (r() * 256) | 0;
        }
      }
      const missing = new Set(s.missingPages ?? []);
      for (let p = 0; p * pageSize < populated; p++) {
        if (missing.has(p)) continue;
        const va = bufferVa + BigInt(p * pageSize);
        kernel.back(va, pageSize);
        kernel.write(va, bytes.subarray(p * pageSize, (p + 1) * pageSize));
      }
    }
    // a slot is lost only when it touches a page the image lacks; its error names the first such page
    const missingSorted = [...(s.missingPages ?? [])].sort((a, b) => a - b);
    const firstMissingIn = (from: number, to: number): number | null => {
      for (const m of missingSorted) if (m * pageSize < to && (m + 1) * pageSize > from) return m * pageSize;
      return null;
    };

    // slot entries
    const slotBytes = new Uint8Array(placed.length * stride);
    let live = 0;
    let bytesUsed = 0;
    let firstEmpty = placed.length;
    placed.forEach((p, i) => {
      if (p.size === 0) {
        if (firstEmpty === placed.length) firstEmpty = i;
        return;
      }
      live++;
      const size = p.size;
      bytesUsed += (size + 3) & ~3;
      writeSlot(slotBytes, i * stride, p.offset / 4, size === pageSize ? pageSize - 1 : size, p.codec);
      if (p.spec) setField(slotBytes, i * stride, slotT, 'c_packed_ptr', 0x1234 + i);
    });
    const slotVa: bigint[] = [];
    const home = { fixed: 0n, nFixed: 0, varArr: 0n, f1: [] as bigint[] };
    slotHome.set(s.index, home);
    liveSlots.set(
      s.index,
      placed.flatMap((p, i) => (p.size > 0 ? [i] : [])),
    );
    liveFlags.set(s.index, Uint8Array.from(placed, (p) => (p.size > 0 ? 1 : 0)));
    if (f1) {
      for (let a = 0; a * 64 < placed.length; a++) {
        const n = Math.min(64, placed.length - a * 64);
        // sub-arrays are kalloc'd whole and not zeroed: fill the tail with garbage the walker must not read
        const arr = kernel.alloc(64 * 8, 16);
        const junk = new Uint8Array(64 * 8).fill(0xa5);
        junk.set(slotBytes.subarray(a * 64 * 8, (a * 64 + n) * 8));
        kernel.write(arr, junk);
        new DataView(sbuf.buffer).setBigUint64(segT.fields['c_slots']!.offset + a * 8, arr, true);
        home.f1.push(arr);
        if (s.prebuilt === undefined) for (let k = 0; k < n; k++) slotVa.push(arr + BigInt(k * 8));
      }
    } else {
      const nFixed = Math.min(fixedLen, placed.length);
      sbuf.set(slotBytes.subarray(0, nFixed * stride), segT.fields['c_slot_fixed_array']!.offset);
      home.fixed = segVa + BigInt(segT.fields['c_slot_fixed_array']!.offset);
      home.nFixed = nFixed;
      if (s.prebuilt === undefined) for (let k = 0; k < nFixed; k++) slotVa.push(segVa + BigInt(segT.fields['c_slot_fixed_array']!.offset + k * stride));
      const rest = placed.length - nFixed;
      if (rest > 0) {
        const varLen = Math.max(rest, bufSize / pageSize);
        const arr = kernel.alloc(varLen * stride, 16);
        kernel.write(arr, slotBytes.subarray(nFixed * stride));
        setField(sbuf, 0, segT, 'c_slot_var_array', arr);
        setField(sbuf, 0, segT, 'c_slot_var_array_len', varLen);
        home.varArr = arr;
        if (s.prebuilt === undefined) for (let k = 0; k < rest; k++) slotVa.push(arr + BigInt(k * stride));
      }
    }
    placed.forEach((p, i) => {
      if (p.size === 0 || !p.spec) return;
      slotEntries.set(`${s.index}:${i}`, { va: slotVa[i]!, bytes: slotBytes.slice(i * stride, i * stride + stride) });
    });

    // the c_segment
    setField(sbuf, 0, segT, 'c_mysegno', s.index);
    if (f1) {
      for (const flag of s.f1Flags ?? []) setField(sbuf, 0, segT, flag, 1);
    } else setField(sbuf, 0, segT, 'c_state', state ?? 0);
    if (s.busy) setField(sbuf, 0, segT, 'c_busy', 1);
    if (s.busySwapping) setField(sbuf, 0, segT, 'c_busy_swapping', 1);
    setField(sbuf, 0, segT, 'c_bytes_used', bytesUsed + (s.bytesUsedDelta ?? 0));
    setField(sbuf, 0, segT, 'c_bytes_unused', 0);
    if ('c_slots_used' in segT.fields) setField(sbuf, 0, segT, 'c_slots_used', live + (s.slotsUsedDelta ?? 0));
    if (s.slotsUsedDelta || s.bytesUsedDelta) consistent = false;
    setField(sbuf, 0, segT, 'c_firstemptyslot', firstEmpty);
    setField(sbuf, 0, segT, 'c_nextslot', placed.length);
    setField(sbuf, 0, segT, 'c_nextoffset', nextOffset / 4);
    // kept while swapped out: c_seg_swapin reads round_page(c_populated_offset × 4) bytes back
    setField(sbuf, 0, segT, 'c_populated_offset', populated / 4);
    setField(sbuf, 0, segT, 'c_creation_ts', s.creationTs ?? 1000 + s.index);
    setField(sbuf, 0, segT, 'c_generation_id', 0x10000 + s.index);
    let handle = 0n;
    if (swapped) {
      const sw = s.swap ?? { fileIndex: 1, offset: s.index * bufSize };
      handle = (BigInt(sw.fileIndex) << 33n) | BigInt(sw.offset);
      setField(sbuf, 0, segT, 'c_store', handle);
    } else setField(sbuf, 0, segT, 'c_store', bufferVa ?? 0n);
    kernel.write(segVa, sbuf);

    // truth
    const kinds: Partial<Record<SlotKind, number>> = {};
    placed.forEach((p, i) => {
      if (!p.stored || !p.spec) return;
      const size = p.stored.bytes.length;
      const t: SlotTruth = {
        name: p.spec.name,
        segment: s.index,
        slot: i,
        state: stateName,
        kind: 'corrupt',
        offset: p.offset,
        compressedSize: size,
      };
      if (p.page) t.page = p.page;
      if ((swapped || encrypted) && !('corrupt' in p.spec)) {
        t.sealedKind = p.stored.kind;
        t.sealedSha256 = sha256(p.page!);
      }
      if (swapped) t.kind = 'swapped';
      else if (encrypted) t.kind = 'encrypted?';
      else if (nodata) {
        t.kind = 'corrupt';
        t.error = [`segment ${s.index} slot ${i}`];
      } else if (firstMissingIn(p.offset, p.offset + size) !== null) {
        t.kind = 'corrupt';
        t.error = [`segment ${s.index} slot ${i}`, '0x' + (bufferVa! + BigInt(firstMissingIn(p.offset, p.offset + size)!)).toString(16) + ' '];
      } else if ('corrupt' in p.spec) {
        t.kind = 'corrupt';
        t.error = [`segment ${s.index} slot ${i} at buffer offset 0x${p.offset.toString(16)}`];
      } else {
        t.kind = p.stored.kind;
        t.sha256 = sha256(p.page!);
        if (p.stored.kind === 'single') {
          t.value = '0x' + new DataView(p.stored.bytes.buffer, p.stored.bytes.byteOffset).getUint32(0, true).toString(16).padStart(8, '0');
        }
      }
      kinds[t.kind] = (kinds[t.kind] ?? 0) + 1;
      truthSlots.push(t);
    });
    pagesCompressed += live;
    const segTruth: SegmentTruth = {
      index: s.index,
      stateName,
      state: f1 ? null : state,
      va: segVa,
      bufferVa: resident || encrypted ? bufferVa : null,
      liveSlots: live,
      kinds,
      possiblyEncrypted: encrypted,
      resident,
      ...(plainOf ? { plain: plainOf } : {}),
    };
    if (swapped) {
      const sw = s.swap ?? { fileIndex: 1, offset: s.index * bufSize };
      const path = swapFiles.find((f) => f.index === sw.fileIndex)?.path;
      segTruth.swap = { ...sw, ...(path ? { path } : {}) };
    }
    truthSegs.push(segTruth);
  }

  // ---- other table entries
  const freeIdx = [...(spec.entries ?? [])].filter((e) => e.kind === 'free' || e.kind === 'stale').map((e) => e.index);
  for (const e of spec.entries ?? []) {
    if (used.has(e.index)) throw new Error(`synth: table index ${e.index} used twice`);
    used.add(e.index);
    notSegments.push(e.index);
    const at = table + BigInt(e.index) * 8n;
    // free links chain to the next free index; the last one ends the list
    const nextFree = freeIdx.filter((i) => i > e.index)[0] ?? 0xffffffff;
    switch (e.kind) {
      case 'free':
        kernel.writeU64(at, BigInt(nextFree));
        break;
      case 'stale':
        if (g.rank > 2) throw new Error('synth: stale upper halves exist only with a 32-bit c_segno (10.9–10.11)');
        kernel.writeU64(at, (0xffffff80n << 32n) | BigInt(nextFree));
        break;
      case 'is-free':
      case 'wrong-segno': {
        if (e.kind === 'is-free' && f1) throw new Error('synth: C_IS_FREE needs 10.11+');
        const va = kernel.alloc(segStructSize, 16);
        const b = new Uint8Array(segStructSize);
        setField(b, 0, segT, 'c_mysegno', e.kind === 'is-free' ? e.index : (e.index + 1) % 1024);
        if (!f1) setField(b, 0, segT, 'c_state', e.kind === 'is-free' ? 1 : 3);
        kernel.write(va, b);
        kernel.writeU64(at, va);
        break;
      }
    }
  }
  kernel.writeU32(gFreeHead, freeIdx.length > 0 ? Math.min(...freeIdx) : 0xffffffff);
  for (let i = 0; i < available; i++) if (!used.has(i)) throw new Error(`synth: table entry ${i} not specified`);

  // ---- single-value table
  const sv: SvEntry[] = [];
  if (!f1) {
    const taken = new Set<number>();
    for (const e of spec.sv ?? []) {
      let idx = e.value & 1023;
      while (taken.has(idx)) idx = (idx + 1) & 1023;
      taken.add(idx);
      kernel.writeU32(svVa + BigInt(idx) * 8n, e.refs);
      kernel.writeU32(svVa + BigInt(idx) * 8n + 4n, e.value >>> 0);
      sv.push({ index: idx, value: '0x' + (e.value >>> 0).toString(16).padStart(8, '0'), refCount: e.refs });
      pagesCompressed += e.refs;
    }
    sv.sort((a, b) => a.index - b.index);
  } else if (spec.sv && spec.sv.length > 0) throw new Error('synth: no sv table before 10.11');

  const segmentCount = spec.segmentCount ?? spec.segments.length;
  kernel.writeU32(gCount, segmentCount);
  kernel.writeU32(gPages, pagesCompressed + (spec.pagesCompressedDelta ?? 0));

  truthSlots.sort((a, b) => a.segment - b.segment || a.slot - b.slot);
  truthSegs.sort((a, b) => a.index - b.index);
  const byName: Record<string, SlotTruth> = {};
  const byKind: Partial<Record<SlotKind, number>> = {};
  for (const t of truthSlots) {
    if (byName[t.name]) throw new Error(`synth: slot name ${t.name} used twice`);
    byName[t.name] = t;
    byKind[t.kind] = (byKind[t.kind] ?? 0) + 1;
  }
  const byState: Record<string, number> = {};
  for (const s of truthSegs) byState[s.stateName] = (byState[s.stateName] ?? 0) + 1;
  const truth: CompressorTruth = {
    family: spec.family,
    arch,
    pageSize,
    dictPreset: g.modern ? 0 : 1,
    segmentsAvailable: available,
    segmentCount,
    pagesCompressed: pagesCompressed + (spec.pagesCompressedDelta ?? 0),
    slots: truthSlots,
    byName,
    segments: truthSegs,
    notSegments: notSegments.sort((a, b) => a - b),
    sv,
    consistent,
    counts: { byKind, byState },
  };
  const slotVa = (segment: number, slot: number): bigint => {
    const h = slotHome.get(segment);
    if (!h) throw new Error(`synth: no segment ${segment}`);
    if (f1) return h.f1[slot >> 6]! + BigInt((slot & 63) * stride);
    return slot < h.nFixed ? h.fixed + BigInt(slot * stride) : h.varArr + BigInt((slot - h.nFixed) * stride);
  };
  // c_packed_ptr as a mask over the whole little-endian c_slot (one bigint operation instead of one per bit)
  const pf = slotT.fields['c_packed_ptr']!;
  if (pf.type.kind !== 'bitfield') throw new Error('synth: c_slot.c_packed_ptr is not a bitfield');
  const ppShift = BigInt(pf.offset * 8 + pf.type.bit_position);
  const ppMask = ((1n << BigInt(pf.type.bit_length)) - 1n) << ppShift;
  const patch = (bytes: Uint8Array, target: bigint): void => {
    let v = 0n;
    for (let i = stride - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    v = (v & ~ppMask) | (packSlotPointer(arch, target, spec.slotVariant) << ppShift);
    for (let i = 0; i < stride; i++) bytes[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  };
  const setBackPointer = (segment: number, slot: number, target: bigint): void => {
    const e = slotEntries.get(`${segment}:${slot}`);
    if (e) {
      patch(e.bytes, target);
      kernel.write(e.va, e.bytes);
      return;
    }
    const flags = liveFlags.get(segment);
    if (!flags || flags[slot] !== 1) throw new Error(`synth: no live c_slot ${segment}:${slot} to point back from`);
    const va = slotVa(segment, slot);
    const bytes = kernel.readVa(va, stride);
    patch(bytes, target);
    kernel.write(va, bytes);
  };
  return { truth, slotType: slotT, slotEntries, liveSlots, slotVa, setBackPointer };
}
