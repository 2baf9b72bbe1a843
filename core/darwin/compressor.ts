// The VM compressor walk (darwin-compressor §8): c_segments table → validated segments → slots →
// pages. Split in three so decoding can run in worker threads:
//   planCompressor   reads every kernel structure (globals, table, c_segments, slot arrays, sv table)
//                    and decides per slot what to do: all the I/O except segment buffers;
//   readSegmentBuffer reads one segment's buffer, stopping at the first page the image lacks;
//   decodeSegmentSlots (slot-decode.ts) turns buffer bytes into pages, pure.
// walkCompressor composes them on one thread; the worker pool calls the same pieces.
//
// Structures are read by type and field name from the symbol table's user types when it has them,
// else from the family's built-in layout (layouts.ts) — the same ISF shapes either way. Bitfields
// are read generically from offset*8 + bit_position, whichever form the ISF uses.
import { DiscoveryError, UnfoldError } from '../errors';
import {
  compileField,
  compileField64,
  resolveField,
  type FieldReader,
  type FieldReader64,
  type ResolvedField,
} from '../symbols/struct';
import type { SymbolTable, UserType } from '../symbols/types';
import type { VirtualSpace } from '../translate/types';
import { checkConsistency, type ConsistencySegment } from './consistency';
import { detectFamily, type VersionInput } from './family';
import {
  C_IS_EMPTY,
  C_IS_FREE,
  C_ON_BAD_Q,
  C_ON_SWAPIO_Q,
  C_ON_SWAPOUT_Q,
  C_ON_SWAPPEDOUT_Q,
  C_ON_SWAPPEDOUTSPARSE_Q,
  F1_QUEUE_FLAGS,
  F1_SLOT_ARRAY_SIZE,
  FALLBACK_BASE_TYPES,
  SV_ENTRY,
  SV_HASH_SIZE,
  SWAP_DEVICE_SHIFT,
  SWAP_SLOT_MASK,
  familyConstants,
  fallbackUserTypes,
  isKernelPointer,
  stateName as cStateName,
  type DarwinArch,
} from './layouts';
import { createScratch, decodeSegmentSlots, type SlotMeta } from './slot-decode';
import { readSvTable } from './svtable';
import type {
  CompressorSummary,
  Consistency,
  Family,
  SegmentSummary,
  SlotKind,
  SlotRecord,
  SvEntry,
  SwapLocation,
} from './types';

export type { SlotMeta } from './slot-decode';

const hex = (v: bigint | number) => '0x' + v.toString(16);

// =============================================================================================
// Field reading: one reader (core/symbols/struct.ts) over ISF types or the built-in ones

type Tables = Pick<SymbolTable, 'baseTypes' | 'userTypes' | 'enums'>;

/** one struct's accessors, compiled on first use; reads from a DataView at a struct base offset */
export class StructLayout {
  private readonly n32 = new Map<string, FieldReader>();
  private readonly n64 = new Map<string, FieldReader64>();
  private readonly tables: Tables;
  constructor(
    readonly name: string,
    readonly type: UserType,
    readonly source: 'isf' | 'built-in',
    tables: Tables,
  ) {
    this.tables = { ...tables, userTypes: { ...tables.userTypes, [name]: type } };
  }
  get size(): number {
    return this.type.size;
  }
  has(field: string): boolean {
    return field in this.type.fields;
  }
  resolve(field: string): ResolvedField {
    try {
      return resolveField(this.tables, this.name, field);
    } catch (err) {
      throw new UnfoldError('LAYOUT', `${this.source} type ${this.name}: ${(err as Error).message}`, { type: this.name, field });
    }
  }
  offsetOf(field: string): number {
    const def = this.type.fields[field];
    return def ? def.offset : this.resolve(field).offset;
  }
  /** an integer or bitfield of ≤ 32 bits (wider ones go through big()) */
  num(dv: DataView, base: number, field: string): number {
    let r = this.n32.get(field);
    if (!r) {
      const f = this.resolve(field);
      if ((f.scalar === 'bitfield' && f.bitLength! > 32) || (f.scalar !== 'bitfield' && f.size > 4)) {
        const r64 = this.compile64(field);
        r = (v, b) => Number(r64(v, b));
      } else {
        r = compileField(this.tables, this.name, field);
      }
      this.n32.set(field, r);
    }
    return r(dv, base);
  }
  /** like num(), or `dflt` when the layout lacks the field */
  opt(dv: DataView, base: number, field: string, dflt: number | null = null): number | null {
    return this.has(field) ? this.num(dv, base, field) : dflt;
  }
  big(dv: DataView, base: number, field: string): bigint {
    return this.compile64(field)(dv, base);
  }
  private compile64(field: string): FieldReader64 {
    let r = this.n64.get(field);
    if (!r) {
      const def = this.type.fields[field];
      const k = def?.type.kind;
      if (def && (k === 'union' || k === 'struct' || k === 'class')) {
        // a union such as c_store (often an anonymous type the ISF names oddly or leaves out):
        // its 8-byte members start at the union's own offset
        const off = def.offset;
        r = (v, b) => v.getBigUint64(b + off, true);
      } else {
        this.resolve(field);
        r = compileField64(this.tables, this.name, field);
      }
      this.n64.set(field, r);
    }
    return r;
  }
}

/**
 * Compiled reader of a ≤32-bit field that lies in the first 64 bits of a struct, from the two
 * little-endian words lo/hi (the hot path: c_slot, once per slot).
 */
function wordAccessor(f: ResolvedField): ((lo: number, hi: number) => number) | null {
  const pos = f.bitStart ?? f.offset * 8;
  const len = f.bitLength ?? f.size * 8;
  if (len > 32 || pos + len > 64) return null;
  const mask = len === 32 ? 0xffffffff : (1 << len) - 1;
  if (pos + len <= 32) return (lo) => ((lo >>> pos) & mask) >>> 0;
  if (pos >= 32) return (_lo, hi) => ((hi >>> (pos - 32)) & mask) >>> 0;
  return (lo, hi) => (((lo >>> pos) | (hi << (32 - pos))) & mask) >>> 0;
}

// =============================================================================================
// Plan types

export interface PlanOptions {
  /** KASLR slide added to every symbol address (default 0) */
  slide?: bigint;
  /** ignore the ISF's compressor types and use the built-in layout of the detected family */
  forceBuiltIn?: boolean;
  /** follow swf_global_queue to name swap files (default true) */
  resolveSwapPaths?: boolean;
}

export interface CompressorHeader {
  family: Family;
  familyReason: string;
  layoutSource: 'isf' | 'built-in';
  arch: DarwinArch;
  pageSize: number;
  dictPreset: 0 | 1;
  /** "4570.71.2", or null when the version was not known */
  xnu: string | null;
  bufSize: number;
  allocSize: number;
  fixedArrayLen: number;
  segmentsAvailable: number;
  segmentCount: number;
  pagesCompressed: number;
  segmentsLimit: number | null;
  segmentsBusy: boolean | null;
  freeSegnoHead: number | null;
  compressorMode: number | null;
  currentCodec: number | null;
  /** c_segments (hex VA of the table) */
  table: string;
  /** c_buffers (hex) on 10.11+ */
  buffers: string | null;
  swapFiles: Array<{ index: number; path: string }>;
  /** table entries that are free-list links (or stale pointers left in them) */
  freeEntries: number;
  /** entries that point at something that is not a live segment (C_IS_FREE, wrong c_mysegno, unreadable) */
  ignored: Array<{ index: number; value: string; reason: string }>;
}

export interface SegmentPlan {
  /** counts by kind are filled as records arrive (tallySlot); the rest is final */
  summary: SegmentSummary;
  bufferVa: bigint | null;
  /** bytes of the buffer to read: min(c_nextoffset, c_populated_offset) × 4, within the segment size */
  readLength: number;
  /** live slots to decode */
  slots: SlotMeta[];
  /** live slots already final: swapped, encrypted?, corrupt by their metadata */
  undecoded: SlotRecord[];
  /** live slots by metadata (c_size != 0, or unreadable metadata) */
  liveSlots: number;
  /** Σ live slot sizes rounded up to 4 (compare with c_bytes_used) */
  roundedBytes: number;
  /** swapped-out or encrypted-in-place segments: every live slot's metadata, for decoding once decrypted */
  sealedSlots?: SlotMeta[];
}

export interface CompressorPlan {
  header: CompressorHeader;
  segments: SegmentPlan[];
  sv: SvEntry[];
  problems: string[];
}

// =============================================================================================
// Reading helpers

function tryRead(space: VirtualSpace, va: bigint, length: number): Uint8Array | UnfoldError {
  try {
    return space.read(va, length);
  } catch (err) {
    if (err instanceof UnfoldError) return err;
    throw err;
  }
}

function dvOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** bytes [va, va+length) read page by page: absent pages stay zero and are listed */
function readPaged(space: VirtualSpace, va: bigint, length: number): { bytes: Uint8Array; missing: Array<[number, number]> } {
  const bytes = new Uint8Array(length);
  const missing: Array<[number, number]> = [];
  try {
    space.readInto(va, bytes, 0, length);
    return { bytes, missing };
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
  }
  const ps = space.pageSize;
  const first = Number(va % BigInt(ps));
  let pos = 0;
  while (pos < length) {
    const n = Math.min(length - pos, pos === 0 ? ps - first : ps);
    try {
      space.readInto(va + BigInt(pos), bytes, pos, n);
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      const last = missing[missing.length - 1];
      if (last && last[1] === pos) last[1] = pos + n;
      else missing.push([pos, pos + n]);
    }
    pos += n;
  }
  return { bytes, missing };
}

// =============================================================================================
// The plan

interface Ctx {
  space: VirtualSpace;
  arch: DarwinArch;
  pageSize: number;
  family: Family;
  seg: StructLayout;
  slot: StructLayout;
  slotStride: number;
  slotOffset: (lo: number, hi: number) => number;
  slotSize: (lo: number, hi: number) => number;
  slotCodec: ((lo: number, hi: number) => number) | null;
  fixedLen: number;
  maxSlots: number;
  allocSize: number;
  bufSize: number;
  buffers: bigint | null;
  hasState: boolean;
  problems: string[];
}

const REQUIRED_SEG = ['c_mysegno', 'c_nextslot', 'c_nextoffset', 'c_populated_offset', 'c_store', 'c_bytes_used'];

function missingFields(t: UserType | undefined, names: string[]): string[] {
  if (!t) return names;
  return names.filter((n) => !(n in t.fields));
}

/**
 * Read every compressor structure and decide, per live slot, what the walk does with it. Throws
 * DiscoveryError('NO_COMPRESSOR') when the symbols lack the compressor or its table is unreadable;
 * everything else that is wrong becomes a problem text or a corrupt slot.
 */
export function planCompressor(
  space: VirtualSpace,
  symbols: SymbolTable,
  version: VersionInput,
  opts: PlanOptions = {},
): CompressorPlan {
  const slide = opts.slide ?? 0n;
  const arch: DarwinArch = space.arch;
  const problems: string[] = [];
  const sym = (name: string): bigint | undefined => {
    const a = symbols.symbolAddress(name);
    return a === undefined ? undefined : a + slide;
  };
  const readU32 = (name: string): number | null => {
    const va = sym(name);
    if (va === undefined) return null;
    try {
      return space.readU32(va);
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      problems.push(`global ${name} at ${hex(va)}: ${err.message}`);
      return null;
    }
  };
  const readU64 = (name: string): bigint | null => {
    const va = sym(name);
    if (va === undefined) return null;
    try {
      return space.readU64(va);
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      problems.push(`global ${name} at ${hex(va)}: ${err.message}`);
      return null;
    }
  };

  for (const need of ['c_segments', 'c_segments_available']) {
    if (!symbols.hasSymbol(need)) {
      throw new DiscoveryError('NO_COMPRESSOR', `the symbol table (${symbols.source}) has no ${need}: no VM compressor to walk`, {
        symbol: need,
      });
    }
  }

  // ---- layouts and family
  const isfSeg = symbols.userTypes['c_segment'];
  const isfSlot = symbols.userTypes['c_slot'];
  let layoutSource: 'isf' | 'built-in' = !opts.forceBuiltIn && isfSeg && isfSlot ? 'isf' : 'built-in';
  if (layoutSource === 'isf') {
    const miss = [
      ...missingFields(isfSeg, REQUIRED_SEG),
      ...(isfSeg && !('c_slots' in isfSeg.fields) && !('c_slot_fixed_array' in isfSeg.fields) ? ['c_slot_fixed_array'] : []),
      ...missingFields(isfSlot, ['c_offset', 'c_size']).map((n) => `c_slot.${n}`),
    ];
    if (miss.length > 0) {
      problems.push(`ISF compressor types lack ${miss.join(', ')}; using the built-in layout`);
      layoutSource = 'built-in';
    }
  }
  const decision = detectFamily(version, symbols, layoutSource);
  const family = decision.family;
  if (decision.conflicts.length > 0) problems.push(...decision.conflicts.map((c) => `family: ${c}`));
  const k = familyConstants(family, arch, decision.xnu ?? undefined);
  const fallback = fallbackUserTypes(family, arch);
  const lookup: Tables = {
    baseTypes: { ...FALLBACK_BASE_TYPES, ...symbols.baseTypes },
    userTypes: layoutSource === 'isf' ? { ...fallback, ...symbols.userTypes } : { ...symbols.userTypes, ...fallback },
    enums: symbols.enums,
  };
  const typeFor = (name: string): [UserType, 'isf' | 'built-in'] => {
    const isf = layoutSource === 'isf' ? symbols.userTypes[name] : undefined;
    return isf ? [isf, 'isf'] : [fallback[name]!, 'built-in'];
  };
  const [segT, segSrc] = typeFor('c_segment');
  const [slotT, slotSrc] = typeFor('c_slot');
  const [seguT, seguSrc] = typeFor('c_segu');
  const seg = new StructLayout('c_segment', segT, segSrc, lookup);
  const slot = new StructLayout('c_slot', slotT, slotSrc, lookup);
  const segu = new StructLayout('c_segu', seguT, seguSrc, lookup);
  const hasState = seg.has('c_state');
  const segnoSize = segu.has('c_segno') ? segu.resolve('c_segno').size : k.segnoSize;
  const slotStride = slot.size > 0 ? slot.size : 8;
  const accOffset = wordAccessor(slot.resolve('c_offset'));
  const accSize = wordAccessor(slot.resolve('c_size'));
  const accCodec = slot.has('c_codec') ? wordAccessor(slot.resolve('c_codec')) : null;
  if (!accOffset || !accSize) {
    throw new UnfoldError('LAYOUT', `c_slot (${slot.source}) has c_offset/c_size outside the first 64 bits; cannot read slots`);
  }

  // ---- globals
  const tableVa = readU64('c_segments');
  let available = readU32('c_segments_available');
  if (tableVa === null || available === null) {
    throw new DiscoveryError('NO_COMPRESSOR', `the compressor globals c_segments / c_segments_available are not readable (${problems.join('; ')})`);
  }
  const segmentCount = readU32('c_segment_count') ?? 0;
  const pagesCompressed = readU32('c_segment_pages_compressed') ?? 0;
  const segmentsLimit = readU32('c_segments_limit');
  const busyRaw = readU32('c_segments_busy');
  const freeHead = readU32('c_free_segno_head');
  const mode = readU32('vm_compressor_mode');
  const codecRaw = readU32('vm_compressor_current_codec');
  const buffers = k.hasBufferRegion ? readU64('c_buffers') : null;
  let fixedLen = k.fixedArrayLen;
  if (seg.has('c_slot_fixed_array')) {
    const fl = readU32('c_seg_fixed_array_len');
    if (fl === null) {
      problems.push(`c_seg_fixed_array_len not readable; assuming ${fixedLen} (computed for ${family} ${arch})`);
    } else if (fl > 1024) {
      problems.push(`c_seg_fixed_array_len reads ${fl}, beyond 1024; assuming ${fixedLen}`);
    } else fixedLen = fl;
  }
  let bufSize = k.bufSize;
  let allocSize = k.allocSize;
  const bs = readU32('c_seg_bufsize');
  if (bs !== null && bs > 0 && bs <= 64 * 1024 * 1024 && bs % 4 === 0) bufSize = bs;
  const as = readU32('c_seg_allocsize');
  if (as !== null && as >= bufSize && as <= 64 * 1024 * 1024) allocSize = as;
  else if (bs !== null && as === null) allocSize = arch === 'arm64' ? bufSize + k.pageSize : bufSize;

  if (!isKernelPointer(arch, tableVa)) {
    throw new DiscoveryError('NO_COMPRESSOR', `c_segments holds ${hex(tableVa)}, not a kernel pointer`, { value: hex(tableVa) });
  }
  const tableCap = Math.min(segmentsLimit && segmentsLimit > 0 ? Math.max(segmentsLimit, 1) : 1 << 22, 1 << 22);
  if (available > tableCap) {
    problems.push(`c_segments_available is ${available}, above the table capacity ${tableCap}; walking ${tableCap}`);
    available = tableCap;
  }

  const header: CompressorHeader = {
    family,
    familyReason: decision.reason,
    layoutSource,
    arch,
    pageSize: k.pageSize,
    dictPreset: k.dictPreset,
    xnu: decision.xnu ? decision.xnu.join('.') : null,
    bufSize,
    allocSize,
    fixedArrayLen: fixedLen,
    segmentsAvailable: available,
    segmentCount,
    pagesCompressed,
    segmentsLimit,
    segmentsBusy: busyRaw === null ? null : busyRaw !== 0,
    freeSegnoHead: freeHead,
    compressorMode: mode,
    currentCodec: codecRaw,
    table: hex(tableVa),
    buffers: buffers === null ? null : hex(buffers),
    swapFiles: [],
    freeEntries: 0,
    ignored: [],
  };
  if (header.segmentsBusy) problems.push('c_segments_busy is set: the table was growing when the image was taken');

  const ctx: Ctx = {
    space,
    arch,
    pageSize: k.pageSize,
    family,
    seg,
    slot,
    slotStride,
    slotOffset: accOffset,
    slotSize: accSize,
    slotCodec: accCodec,
    fixedLen,
    maxSlots: k.maxSlots,
    allocSize,
    bufSize,
    buffers,
    hasState,
    problems,
  };

  // ---- the table
  const table = readPaged(space, tableVa, available * 8);
  for (const [a, b] of table.missing) {
    problems.push(`c_segments entries ${a / 8}–${b / 8 - 1} at ${hex(tableVa + BigInt(a))} are not present in the image`);
  }
  const tdv = dvOf(table.bytes);
  const missingEntry = (i: number) => table.missing.some(([a, b]) => i * 8 >= a && i * 8 < b);
  const segments: SegmentPlan[] = [];
  for (let i = 0; i < available; i++) {
    if (missingEntry(i)) continue;
    const v = tdv.getBigUint64(i * 8, true);
    // a free entry holds the next free index (c_segno); up to 10.11 only its low 4 bytes are
    // written, so the upper half may still be a stale 0xffffff80 from the pointer it replaced
    const low = Number(v & 0xffff_ffffn);
    const high = Number(v >> 32n);
    const freeLink =
      segnoSize === 4
        ? (low < available || low === 0xffff_ffff) && (high === 0 || isKernelPointer(arch, v))
        : v < BigInt(available) || v === 0xffff_ffffn || v === 0xffff_ffff_ffff_ffffn;
    if (!isKernelPointer(arch, v)) {
      if (freeLink || v === 0n) header.freeEntries++;
      else {
        header.ignored.push({ index: i, value: hex(v), reason: 'neither a free-list link nor a kernel pointer' });
        problems.push(`c_segments[${i}] = ${hex(v)}: neither a free-list link nor a kernel pointer`);
      }
      continue;
    }
    const raw = tryRead(space, v, seg.size);
    if (raw instanceof UnfoldError) {
      if (freeLink) header.freeEntries++;
      else {
        header.ignored.push({ index: i, value: hex(v), reason: `c_segment not readable: ${raw.message}` });
        problems.push(`c_segments[${i}] → ${hex(v)}: c_segment not readable (${raw.message})`);
      }
      continue;
    }
    const sdv = dvOf(raw);
    const mysegno = seg.num(sdv, 0, 'c_mysegno');
    if (mysegno !== i) {
      if (freeLink) header.freeEntries++;
      else {
        header.ignored.push({ index: i, value: hex(v), reason: `c_mysegno is ${mysegno}, not ${i}` });
        problems.push(`c_segments[${i}] → ${hex(v)}: c_mysegno is ${mysegno}, not ${i}; not a segment`);
      }
      continue;
    }
    if (hasState && seg.num(sdv, 0, 'c_state') === C_IS_FREE) {
      header.ignored.push({ index: i, value: hex(v), reason: 'C_IS_FREE (being freed)' });
      continue;
    }
    segments.push(planSegment(ctx, i, v, sdv));
  }

  // ---- swap file names
  if (opts.resolveSwapPaths !== false && segments.some((s) => s.summary.swap)) {
    const qva = sym('swf_global_queue');
    if (qva !== undefined) {
      const files = readSwapFiles(space, qva, typeFor('swapfile')[0], lookup, arch);
      header.swapFiles = files.files;
      if (files.problem) problems.push(files.problem);
      for (const s of segments) {
        const sw = s.summary.swap;
        if (!sw) continue;
        const f = files.files.find((x) => x.index === sw.fileIndex);
        if (f) sw.path = f.path;
      }
    }
  }

  // ---- single-value table
  let sv: SvEntry[] = [];
  if (k.singleValue) {
    const svVa = sym('c_segment_sv_hash_table');
    if (svVa === undefined) problems.push('no c_segment_sv_hash_table symbol: single-value pages not listed');
    else {
      const entrySize = symbols.userTypes['c_sv_hash_entry']?.size || SV_ENTRY.size;
      const r = readSvTable(space, svVa, entrySize, SV_HASH_SIZE);
      sv = r.entries;
      if (r.problem) problems.push(r.problem);
    }
  }

  return { header, segments, sv, problems };
}

function f1StateName(seg: StructLayout, dv: DataView): string {
  for (const [flag, name] of F1_QUEUE_FLAGS) {
    if (seg.has(flag) && seg.num(dv, 0, flag)) return name;
  }
  if (seg.has('c_ondisk') && seg.num(dv, 0, 'c_ondisk')) return 'C_ONDISK';
  return 'C_NO_QUEUE';
}

function slotRecord(
  segment: number,
  slot: number,
  state: string,
  kind: SlotKind,
  offset: number,
  size: number,
  error?: string,
): SlotRecord {
  const r: SlotRecord = { segment, slot, state, kind, offset, compressedSize: size };
  if (error !== undefined) r.error = `segment ${segment} slot ${slot} at buffer offset ${hex(offset)}: ${error}`;
  return r;
}

type Disposition =
  | { mode: 'decode' }
  | { mode: 'swapped' }
  | { mode: 'encrypted' }
  | { mode: 'nodata'; why: string };

function planSegment(ctx: Ctx, index: number, segVa: bigint, dv: DataView): SegmentPlan {
  const { seg, pageSize } = ctx;
  const problems: string[] = [];
  const state = ctx.hasState ? seg.num(dv, 0, 'c_state') : null;
  const busy = seg.has('c_busy') ? seg.num(dv, 0, 'c_busy') !== 0 : false;
  const busySwapping = seg.has('c_busy_swapping') ? seg.num(dv, 0, 'c_busy_swapping') !== 0 : false;
  const store = seg.big(dv, 0, 'c_store');
  const name = state === null ? f1StateName(seg, dv) : cStateName(state);

  let disp: Disposition;
  if (state === null) {
    // 10.9–10.10: resident iff not on disk and a buffer exists (compacted segments on the
    // swapped-out queues are still resident while c_ondisk is 0)
    const ondisk = seg.opt(dv, 0, 'c_ondisk', 0) !== 0;
    if (ondisk) disp = { mode: 'swapped' };
    else if (store === 0n) disp = { mode: 'nodata', why: 'segment has no buffer (c_store.c_buffer is NULL)' };
    else if (busySwapping) disp = { mode: 'encrypted' };
    else disp = { mode: 'decode' };
  } else if (state === C_ON_SWAPPEDOUT_Q || state === C_ON_SWAPPEDOUTSPARSE_Q) {
    disp = { mode: 'swapped' };
  } else if (state === C_ON_SWAPOUT_Q || state === C_ON_SWAPIO_Q) {
    disp = busySwapping ? { mode: 'encrypted' } : { mode: 'decode' };
  } else if (state === C_ON_BAD_Q) {
    disp = { mode: 'nodata', why: 'segment is on C_ON_BAD_Q (swap-in failed): its data is lost' };
  } else if (state === C_IS_EMPTY) {
    disp = { mode: 'nodata', why: 'segment is C_IS_EMPTY: no data' };
  } else if (state >= 2 && state <= 8) {
    disp = { mode: 'decode' };
  } else {
    disp = { mode: 'nodata', why: `segment has unknown c_state ${state}` };
  }

  let bufferVa: bigint | null = null;
  let swap: SwapLocation | null = null;
  if (disp.mode === 'swapped') {
    swap = {
      handle: hex(store),
      fileIndex: Number(store >> SWAP_DEVICE_SHIFT),
      offset: Number(store & SWAP_SLOT_MASK),
    };
  } else if (disp.mode === 'decode' || disp.mode === 'encrypted') {
    if (store === 0n) {
      disp = { mode: 'nodata', why: 'segment has no buffer (c_store.c_buffer is NULL)' };
    } else if (!isKernelPointer(ctx.arch, store)) {
      disp = { mode: 'nodata', why: `c_store.c_buffer ${hex(store)} is not a kernel pointer` };
    } else {
      bufferVa = store;
      if (ctx.buffers !== null) {
        const expected = ctx.buffers + BigInt(index) * BigInt(ctx.allocSize);
        if (expected !== store) {
          problems.push(`c_store.c_buffer is ${hex(store)}, expected c_buffers + ${index} × ${hex(ctx.allocSize)} = ${hex(expected)}`);
        }
      }
    }
  }

  const nextOffsetW = seg.num(dv, 0, 'c_nextoffset');
  const populatedW = seg.num(dv, 0, 'c_populated_offset');
  const limit = Math.max(ctx.allocSize, ctx.bufSize);
  let readLength = Math.min(nextOffsetW, populatedW) * 4;
  if (nextOffsetW > populatedW && disp.mode === 'decode') {
    problems.push(`c_nextoffset (${hex(nextOffsetW * 4)} bytes) is past c_populated_offset (${hex(populatedW * 4)} bytes)`);
  }
  if (readLength > limit) {
    problems.push(`buffer extent ${hex(readLength)} exceeds the segment size ${hex(limit)}; reading ${hex(limit)}`);
    readLength = limit;
  }
  if (disp.mode !== 'decode') readLength = 0;

  // ---- slot metadata
  let nextSlot = seg.num(dv, 0, 'c_nextslot');
  if (nextSlot > ctx.maxSlots) {
    problems.push(`c_nextslot is ${nextSlot}, above the ${ctx.maxSlots} slots a segment can hold; listing ${ctx.maxSlots}`);
    nextSlot = ctx.maxSlots;
  }
  const { words, errors } = readSlotWords(ctx, segVa, dv, nextSlot, problems);

  const slots: SlotMeta[] = [];
  const sealedSlots: SlotMeta[] = [];
  const undecoded: SlotRecord[] = [];
  let live = 0;
  let rounded = 0;
  let compressedBytes = 0;
  const nextBytes = nextOffsetW * 4;
  const populatedBytes = populatedW * 4;
  for (let s = 0; s < nextSlot; s++) {
    const err = errors.get(s);
    if (err !== undefined) {
      live++;
      undecoded.push({ segment: index, slot: s, state: name, kind: 'corrupt', offset: 0, compressedSize: 0, error: `segment ${index} slot ${s}: ${err}` });
      continue;
    }
    const lo = words[2 * s]!;
    const hi = words[2 * s + 1]!;
    const packed = ctx.slotSize(lo, hi);
    if (packed === 0) continue; // freed slot
    const size = packed === pageSize - 1 ? pageSize : packed;
    const offset = ctx.slotOffset(lo, hi) * 4;
    const codec = (ctx.slotCodec ? ctx.slotCodec(lo, hi) : 0) as 0 | 1;
    live++;
    rounded += (size + 3) & ~3;
    compressedBytes += size;
    if (disp.mode !== 'decode') {
      if (disp.mode === 'swapped' || disp.mode === 'encrypted') sealedSlots.push({ slot: s, offset, size, codec });
      undecoded.push(
        disp.mode === 'swapped'
          ? slotRecord(index, s, name, 'swapped', offset, size)
          : disp.mode === 'encrypted'
            ? slotRecord(index, s, name, 'encrypted?', offset, size)
            : slotRecord(index, s, name, 'corrupt', offset, size, disp.why),
      );
      continue;
    }
    const end = offset + size;
    if (size > pageSize) {
      undecoded.push(slotRecord(index, s, name, 'corrupt', offset, size, `c_size ${size} is larger than the ${pageSize}-byte page`));
    } else if (end > nextBytes) {
      undecoded.push(slotRecord(index, s, name, 'corrupt', offset, size, `slot ends at ${hex(end)}, past c_nextoffset (${hex(nextBytes)} bytes)`));
    } else if (end > populatedBytes) {
      undecoded.push(
        slotRecord(index, s, name, 'corrupt', offset, size, `slot ends at ${hex(end)}, past c_populated_offset (${hex(populatedBytes)} bytes)`),
      );
    } else if (end > readLength) {
      undecoded.push(slotRecord(index, s, name, 'corrupt', offset, size, `slot ends at ${hex(end)}, past the ${hex(readLength)}-byte segment buffer`));
    } else slots.push({ slot: s, offset, size, codec });
  }

  const summary: SegmentSummary = {
    index,
    address: hex(segVa),
    state,
    stateName: name,
    resident: disp.mode === 'decode',
    busy,
    busySwapping,
    possiblyEncrypted: disp.mode === 'encrypted',
    nextSlot: seg.num(dv, 0, 'c_nextslot'),
    firstEmptySlot: seg.opt(dv, 0, 'c_firstemptyslot', 0)!,
    slotsUsed: seg.opt(dv, 0, 'c_slots_used'),
    bytesUsed: seg.num(dv, 0, 'c_bytes_used'),
    bytesUnused: seg.opt(dv, 0, 'c_bytes_unused', 0)!,
    nextOffset: nextBytes,
    populatedOffset: populatedBytes,
    creationTs: seg.opt(dv, 0, 'c_creation_ts', 0)!,
    swappedInTs: seg.opt(dv, 0, 'c_swappedin_ts'),
    agedInTs: seg.opt(dv, 0, 'c_agedin_ts'),
    generationId: seg.has('c_generation_id') ? hex(seg.big(dv, 0, 'c_generation_id')) : null,
    buffer: bufferVa === null ? null : hex(bufferVa),
    swap,
    liveSlots: live,
    kinds: {},
    compressedBytes,
    uncompressedBytes: live * pageSize,
    problems,
  };
  return {
    summary,
    bufferVa,
    readLength,
    slots,
    undecoded,
    liveSlots: live,
    roundedBytes: rounded,
    ...(disp.mode === 'swapped' || disp.mode === 'encrypted' ? { sealedSlots } : {}),
  };
}

/**
 * The raw little-endian words (lo, hi) of slots 0..n−1, and for slots whose metadata could not be
 * read, why. F1: six 64-entry arrays behind c_slots[]; 10.11+: the inline fixed array, then the
 * separately allocated variable array.
 */
function readSlotWords(
  ctx: Ctx,
  segVa: bigint,
  dv: DataView,
  n: number,
  problems: string[],
): { words: Uint32Array; errors: Map<number, string> } {
  const { seg, slotStride, space, arch } = ctx;
  const words = new Uint32Array(2 * n);
  const errors = new Map<number, string>();
  const take = (first: number, count: number, va: bigint, what: string) => {
    if (count <= 0) return;
    const { bytes, missing } = readPaged(space, va, count * slotStride);
    const bdv = dvOf(bytes);
    for (let j = 0; j < count; j++) {
      const o = j * slotStride;
      const gone = missing.find(([a, b]) => o < b && o + 8 > a);
      if (gone) {
        errors.set(first + j, `slot metadata (${what} at ${hex(va + BigInt(o))}) is not present in the image`);
        continue;
      }
      words[2 * (first + j)] = bdv.getUint32(o, true);
      words[2 * (first + j) + 1] = bdv.getUint32(o + 4, true);
    }
    if (missing.length > 0) problems.push(`${what} at ${hex(va)} is partly missing from the image`);
  };
  const fail = (first: number, count: number, why: string) => {
    for (let j = 0; j < count; j++) errors.set(first + j, why);
  };

  if (seg.has('c_slots')) {
    const base = seg.offsetOf('c_slots');
    for (let a = 0; a * F1_SLOT_ARRAY_SIZE < n; a++) {
      const first = a * F1_SLOT_ARRAY_SIZE;
      const count = Math.min(F1_SLOT_ARRAY_SIZE, n - first);
      if (base + a * 8 + 8 > dv.byteLength) {
        fail(first, count, `c_slots[${a}] lies outside the c_segment`);
        continue;
      }
      const p = dv.getBigUint64(base + a * 8, true);
      if (!isKernelPointer(arch, p)) {
        fail(first, count, `c_slots[${a}] = ${hex(p)} is not a kernel pointer`);
        problems.push(`c_slots[${a}] = ${hex(p)} is not a kernel pointer (slots ${first}–${first + count - 1})`);
        continue;
      }
      take(first, count, p, `c_slots[${a}]`);
    }
    return { words, errors };
  }

  const fixedCount = Math.min(n, ctx.fixedLen);
  take(0, fixedCount, segVa + BigInt(seg.offsetOf('c_slot_fixed_array')), 'c_slot_fixed_array');
  const rest = n - fixedCount;
  if (rest > 0) {
    const varLen = seg.num(dv, 0, 'c_slot_var_array_len');
    const varPtr = seg.big(dv, 0, 'c_slot_var_array');
    if (!isKernelPointer(arch, varPtr)) {
      fail(fixedCount, rest, `c_slot_var_array = ${hex(varPtr)} is not a kernel pointer`);
      problems.push(`c_slot_var_array = ${hex(varPtr)} is not a kernel pointer (slots ${fixedCount}–${n - 1})`);
    } else {
      const usable = Math.max(0, Math.min(rest, varLen));
      if (usable < rest) {
        problems.push(`c_nextslot ${n} needs ${rest} variable slots but c_slot_var_array_len is ${varLen}`);
        fail(fixedCount + usable, rest - usable, `slot is beyond c_slot_var_array_len (${varLen})`);
      }
      take(fixedCount, usable, varPtr, 'c_slot_var_array');
    }
  }
  return { words, errors };
}

/** swap files on swf_global_queue: index → path (bounded; stops quietly at the first unreadable link) */
function readSwapFiles(
  space: VirtualSpace,
  headVa: bigint,
  swapfileType: UserType | undefined,
  lookup: Tables,
  arch: DarwinArch,
): { files: Array<{ index: number; path: string }>; problem?: string } {
  const files: Array<{ index: number; path: string }> = [];
  if (!swapfileType) return { files };
  const sf = new StructLayout('swapfile', swapfileType, 'built-in', lookup);
  if (!sf.has('swp_index') || !sf.has('swp_path')) return { files };
  const queueOff = sf.has('swp_queue') ? sf.offsetOf('swp_queue') : 0;
  try {
    let link = space.readU64(headVa);
    for (let guard = 0; guard < 256 && link !== headVa && isKernelPointer(arch, link); guard++) {
      const base = link - BigInt(queueOff);
      const bytes = space.read(base, sf.size);
      const dv = dvOf(bytes);
      const index = sf.num(dv, 0, 'swp_index');
      const pathPtr = sf.big(dv, 0, 'swp_path');
      const pathLen = sf.has('swp_pathlen') ? sf.num(dv, 0, 'swp_pathlen') : 0;
      if (isKernelPointer(arch, pathPtr)) {
        const n = pathLen > 0 && pathLen <= 1024 ? pathLen : 256;
        const raw = readPaged(space, pathPtr, n).bytes;
        let end = raw.indexOf(0);
        if (end < 0) end = raw.length;
        files.push({ index, path: new TextDecoder('utf-8', { fatal: false }).decode(raw.subarray(0, end)) });
      }
      link = dv.getBigUint64(queueOff, true);
    }
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
    return { files, problem: `swf_global_queue: ${err.message}` };
  }
  return { files };
}

// =============================================================================================
// Buffer reading

export interface SegmentBuffer {
  /** the buffer bytes read, `readLength` long (zero past missingFrom) */
  bytes: Uint8Array;
  /** byte offset of the first page the image lacks */
  missingFrom?: number;
  missingVa?: bigint;
}

/**
 * Read one segment's buffer up to plan.readLength, page by page in effect: the first page the image
 * lacks stops the read (and is noted in the segment's problems); the slots it affects come out
 * corrupt when decoded.
 */
export function readSegmentBuffer(space: VirtualSpace, plan: SegmentPlan, into?: Uint8Array): SegmentBuffer {
  const len = plan.readLength;
  // `into` lets a caller keep the buffer somewhere shareable (a SharedArrayBuffer kept across passes)
  const bytes = into && into.length === len ? into : new Uint8Array(len);
  if (plan.bufferVa === null || len === 0) return { bytes };
  const va = plan.bufferVa;
  try {
    space.readInto(va, bytes, 0, len);
    return { bytes };
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
  }
  const ps = space.pageSize;
  const first = Number(va % BigInt(ps));
  let pos = 0;
  while (pos < len) {
    const n = Math.min(len - pos, pos === 0 ? ps - first : ps);
    try {
      space.readInto(va + BigInt(pos), bytes, pos, n);
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      const missingVa = va + BigInt(pos);
      bytes.fill(0, pos);
      const affected = plan.slots.filter((s) => s.offset + s.size > pos).length;
      plan.summary.problems.push(
        `buffer page ${hex(missingVa)} (offset ${hex(pos)}) is not present in the image: ${affected} slot(s) from there on are unreadable`,
      );
      return { bytes, missingFrom: pos, missingVa };
    }
    pos += n;
  }
  return { bytes };
}

// =============================================================================================
// Composition

/** count one record into its segment's kinds */
export function tallySlot(summary: SegmentSummary, rec: SlotRecord): void {
  summary.kinds[rec.kind] = (summary.kinds[rec.kind] ?? 0) + 1;
}

/** the consistency checks from the plan alone (metadata, not decoding, decides them) */
export function planConsistency(plan: CompressorPlan): Consistency {
  const segs: ConsistencySegment[] = plan.segments.map((p) => ({
    index: p.summary.index,
    slotsUsed: p.summary.slotsUsed,
    bytesUsed: p.summary.bytesUsed,
    liveSlots: p.liveSlots,
    roundedBytes: p.roundedBytes,
  }));
  return checkConsistency({
    hasSlotsUsed: plan.segments.some((p) => p.summary.slotsUsed !== null),
    pagesCompressed: plan.header.pagesCompressed,
    segments: segs,
    sv: plan.sv,
  });
}

/** the compressor summary once every segment's kinds are tallied */
export function summarize(plan: CompressorPlan): CompressorSummary {
  const h = plan.header;
  const segments: Record<string, number> = {};
  const slots: Partial<Record<SlotKind, number>> = {};
  let compressedBytes = 0;
  let uncompressedBytes = 0;
  for (const p of plan.segments) {
    const s = p.summary;
    segments[s.stateName] = (segments[s.stateName] ?? 0) + 1;
    for (const [kind, n] of Object.entries(s.kinds) as Array<[SlotKind, number]>) slots[kind] = (slots[kind] ?? 0) + n;
    compressedBytes += s.compressedBytes;
    uncompressedBytes += s.uncompressedBytes;
  }
  const problems = [...plan.problems];
  for (const p of plan.segments) for (const pr of p.summary.problems) problems.push(`segment ${p.summary.index}: ${pr}`);
  return {
    family: h.family,
    layoutSource: h.layoutSource,
    familyReason: h.familyReason,
    pageSize: h.pageSize,
    dictPreset: h.dictPreset,
    segmentsAvailable: h.segmentsAvailable,
    segmentCount: h.segmentCount,
    pagesCompressed: h.pagesCompressed,
    segments,
    slots,
    singleValue: plan.sv,
    consistency: planConsistency(plan),
    compressedBytes,
    uncompressedBytes,
    problems,
  };
}

/**
 * Tally the records of every segment (by segment index, as decoded anywhere) into the plan's
 * summaries and summarize: the composition the worker-pool walk uses. Idempotent (kinds are reset).
 */
export function summarizeWalk(
  plan: CompressorPlan,
  bySegment: ReadonlyMap<number, readonly SlotRecord[]>,
): { segments: SegmentSummary[]; compressor: CompressorSummary } {
  for (const seg of plan.segments) {
    seg.summary.kinds = {};
    for (const r of bySegment.get(seg.summary.index) ?? []) tallySlot(seg.summary, r);
  }
  return { segments: plan.segments.map((s) => s.summary), compressor: summarize(plan) };
}

export interface WalkResult {
  summary: CompressorSummary;
  segments: SegmentSummary[];
  /** every live slot exactly once, by segment then slot */
  slots: SlotRecord[];
}

/** decode context for one planned segment */
export function decodeContext(plan: CompressorPlan, seg: SegmentPlan) {
  return {
    segment: seg.summary.index,
    state: seg.summary.stateName,
    pageSize: plan.header.pageSize,
    dictPreset: plan.header.dictPreset,
    arch: plan.header.arch,
    ...(seg.bufferVa !== null ? { bufferVa: hex(seg.bufferVa) } : {}),
  };
}

/**
 * The whole walk on one thread: plan, read each buffer, decode, tally. `onPage` (optional) sees
 * every decoded page (the buffer is reused: copy what you keep).
 */
export function walkCompressor(
  space: VirtualSpace,
  symbols: SymbolTable,
  version: VersionInput,
  opts: PlanOptions & { onPage?: (rec: SlotRecord, page: Uint8Array | null) => void } = {},
): WalkResult {
  const plan = planCompressor(space, symbols, version, opts);
  const scratch = createScratch(plan.header.pageSize);
  const all: SlotRecord[] = [];
  for (const seg of plan.segments) {
    const recs: SlotRecord[] = [...seg.undecoded];
    if (seg.slots.length > 0) {
      const buf = readSegmentBuffer(space, seg);
      decodeSegmentSlots(
        buf.bytes,
        buf.missingFrom,
        seg.slots,
        decodeContext(plan, seg),
        (rec, page) => {
          recs.push(rec);
          opts.onPage?.(rec, page);
        },
        scratch,
      );
    }
    recs.sort((a, b) => a.slot - b.slot);
    for (const r of recs) {
      tallySlot(seg.summary, r);
      all.push(r);
    }
  }
  return { summary: summarize(plan), segments: plan.segments.map((s) => s.summary), slots: all };
}
