// The compressor's globals, layouts and c_segments table (docs/compressor.md §9): what every walk of
// the compressor reads before it plans any segment. Structures by type and field name from the ISF
// when it has the compressor's types, else from the family's built-in layout (layouts.ts).
import { DiscoveryError, UnfoldError } from '../errors';
import type { SymbolTable } from '../symbols/types';
import { holeIn, holeRuns, readPresent, type PresentRead } from '../translate/present';
import type { VirtualSpace } from '../translate/types';
import { detectFamily, type VersionInput } from './family';
import { KernelContext, attempt } from './kernel';
import { C_IS_FREE, familyConstants, fallbackUserTypes, type DarwinArch } from './layouts';
import { KObject } from './kobject';
import type { CompressorHeader, PlanOptions } from './plan-types';
import { slotBits, type SegmentPlanContext } from './segment-plan';

const hex = (v: bigint | number) => '0x' + v.toString(16);

const REQUIRED_SEG = ['c_mysegno', 'c_nextslot', 'c_nextoffset', 'c_populated_offset', 'c_store', 'c_bytes_used'];

function missingFields(fields: Record<string, unknown> | undefined, names: string[]): string[] {
  if (!fields) return names;
  return names.filter((n) => !(n in fields));
}

/** the context the walk reads through: the ISF's compressor types, or the built-in family layout over them */
function compressorContext(
  space: VirtualSpace,
  symbols: SymbolTable,
  version: VersionInput,
  opts: PlanOptions,
  problems: string[],
): { ctx: KernelContext; layoutSource: 'isf' | 'built-in'; familyReason: string; xnu: number[] | null } {
  const isfSeg = symbols.userTypes['c_segment'];
  const isfSlot = symbols.userTypes['c_slot'];
  let layoutSource: 'isf' | 'built-in' = !opts.forceBuiltIn && isfSeg && isfSlot ? 'isf' : 'built-in';
  if (layoutSource === 'isf') {
    const miss = [
      ...missingFields(isfSeg?.fields, REQUIRED_SEG),
      ...(isfSeg && !('c_slots' in isfSeg.fields) && !('c_slot_fixed_array' in isfSeg.fields) ? ['c_slot_fixed_array'] : []),
      ...missingFields(isfSlot?.fields, ['c_offset', 'c_size']).map((n) => `c_slot.${n}`),
    ];
    if (miss.length > 0) {
      problems.push(`ISF compressor types lack ${miss.join(', ')}; using the built-in layout`);
      layoutSource = 'built-in';
    }
  }
  const decision = detectFamily(version, symbols, layoutSource);
  if (decision.conflicts.length > 0) problems.push(...decision.conflicts.map((c) => `family: ${c}`));
  const base = { space, symbols, slide: opts.slide ?? 0n, version, family: decision.family };
  let ctx = new KernelContext(base);
  // built-in: the family's layouts win over whatever compressor types the ISF has
  if (layoutSource === 'built-in') ctx = new KernelContext({ ...base, overrideTypes: fallbackUserTypes(decision.family, space.arch as DarwinArch, ctx.slotVariant) });
  return { ctx, layoutSource, familyReason: decision.reason, xnu: decision.xnu };
}

/** what reading the compressor's globals and its c_segments table gives, before any segment is planned */
export interface CompressorTable {
  ctx: KernelContext;
  header: CompressorHeader;
  sctx: SegmentPlanContext;
  /** problems of the globals, the layouts and the table's absent pages (a planner copies them before adding its own) */
  problems: string[];
  available: number;
  singleValue: boolean;
  /**
   * What table entry i holds (nothing is read beyond its c_segment). `read` reads the c_segment
   * instead of the kernel context (the census's pagedReader); an absent byte is left to the context,
   * so the entry and its words are the same either way.
   */
  entry(i: number, read?: (va: bigint, length: number) => PresentRead): TableEntry;
}

export type TableEntry =
  | { kind: 'absent' }
  | { kind: 'free' }
  | { kind: 'ignored'; value: string; reason: string; problem?: string }
  | { kind: 'segment'; seg: KObject };

/**
 * The compressor's globals, layouts and c_segments table (the table's absent pages become
 * problems): all a walk needs before it plans any segment. Throws as planCompressor does.
 */
export function readCompressorTable(space: VirtualSpace, symbols: SymbolTable, version: VersionInput, opts: PlanOptions): CompressorTable {
  const arch: DarwinArch = space.arch;
  const problems: string[] = [];
  for (const need of ['c_segments', 'c_segments_available']) {
    if (!symbols.hasSymbol(need)) {
      throw new DiscoveryError('NO_COMPRESSOR', `the symbol table (${symbols.source}) has no ${need}: no VM compressor to walk`, { symbol: need });
    }
  }
  const { ctx, layoutSource, familyReason, xnu } = compressorContext(space, symbols, version, opts, problems);
  const family = ctx.family;
  const k = familyConstants(family, arch, xnu ?? undefined);

  /** a global's value, or null when absent; unreadable ones become problems */
  const global = <T>(name: string, read: (va: bigint) => T): T | null => {
    const va = ctx.tryGlobal(name);
    if (va === null) return null;
    const v = attempt(() => read(va));
    if (v instanceof UnfoldError) {
      problems.push(`global ${name} at ${hex(va)}: ${v.message}`);
      return null;
    }
    return v;
  };
  const u32 = (name: string) => global(name, (va) => ctx.readU32(va));
  const u64 = (name: string) => global(name, (va) => ctx.readU64(va));

  // ---- layouts
  const hasState = ctx.hasField('c_segment', 'c_state');
  const segnoSize = ctx.hasField('c_segu', 'c_segno') ? ctx.field('c_segu', 'c_segno').size : k.segnoSize;
  const slotSource = ctx.typeSource('c_slot') ?? 'built-in';
  const slotStride = ctx.sizeOf('c_slot') > 0 ? ctx.sizeOf('c_slot') : 8;
  const bitsOf = (field: string) => {
    const f = ctx.field('c_slot', field);
    return slotBits(f.bitStart ?? f.offset * 8, f.bitLength ?? f.size * 8);
  };
  const accOffset = bitsOf('c_offset');
  const accSize = bitsOf('c_size');
  const accCodec = ctx.hasField('c_slot', 'c_codec') ? bitsOf('c_codec') : null;
  const accPacked = ctx.hasField('c_slot', 'c_packed_ptr') ? bitsOf('c_packed_ptr') : null;
  if (!accOffset || !accSize) {
    throw new UnfoldError('LAYOUT', `c_slot (${slotSource}) has c_offset/c_size outside the first 96 bits; cannot read slots`);
  }
  const packing = attempt(() => ctx.packing('c_slot'));
  if (packing instanceof UnfoldError) throw packing;

  // ---- globals
  const tableVa = u64('c_segments');
  let available = u32('c_segments_available');
  if (tableVa === null || available === null) {
    throw new DiscoveryError('NO_COMPRESSOR', `the compressor globals c_segments / c_segments_available are not readable (${problems.join('; ')})`);
  }
  const segmentCount = u32('c_segment_count') ?? 0;
  const pagesCompressed = u32('c_segment_pages_compressed') ?? 0;
  const segmentsLimit = u32('c_segments_limit');
  const busyRaw = u32('c_segments_busy');
  const freeHead = u32('c_free_segno_head');
  const mode = u32('vm_compressor_mode');
  const codecRaw = u32('vm_compressor_current_codec');
  const buffers = k.hasBufferRegion ? u64('c_buffers') : null;
  let fixedLen = k.fixedArrayLen;
  if (ctx.hasField('c_segment', 'c_slot_fixed_array')) {
    const fl = u32('c_seg_fixed_array_len');
    if (fl === null) {
      problems.push(`c_seg_fixed_array_len not readable; assuming ${fixedLen} (computed for ${family} ${arch})`);
    } else if (fl > 1024) {
      problems.push(`c_seg_fixed_array_len reads ${fl}, beyond 1024; assuming ${fixedLen}`);
    } else fixedLen = fl;
  }
  let bufSize = k.bufSize;
  let allocSize = k.allocSize;
  const bs = u32('c_seg_bufsize');
  if (bs !== null && bs > 0 && bs <= 64 * 1024 * 1024 && bs % 4 === 0) bufSize = bs;
  const as = u32('c_seg_allocsize');
  if (as !== null && as >= bufSize && as <= 64 * 1024 * 1024) allocSize = as;
  else if (bs !== null && as === null) allocSize = arch === 'arm64' ? bufSize + k.pageSize : bufSize;

  if (!ctx.isKernelPointer(tableVa)) {
    throw new DiscoveryError('NO_COMPRESSOR', `c_segments holds ${hex(tableVa)}, not a kernel pointer`, { value: hex(tableVa) });
  }
  const tableCap = Math.min(segmentsLimit && segmentsLimit > 0 ? Math.max(segmentsLimit, 1) : 1 << 22, 1 << 22);
  if (available > tableCap) {
    problems.push(`c_segments_available is ${available}, above the table capacity ${tableCap}; walking ${tableCap}`);
    available = tableCap;
  }

  const header: CompressorHeader = {
    family,
    familyReason,
    layoutSource,
    arch,
    pageSize: k.pageSize,
    dictPreset: k.dictPreset,
    xnu: xnu ? xnu.join('.') : null,
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
    slotVariant: ctx.slotVariant,
    slotPacking: { ...packing.params, base: hex(packing.params.base), source: packing.source },
  };
  if (header.segmentsBusy) problems.push('c_segments_busy is set: the table was growing when the image was taken');
  problems.push(...ctx.notes.filter((n) => !n.startsWith('family: ')));

  const sctx: SegmentPlanContext = {
    k: ctx,
    pageSize: k.pageSize,
    slotStride,
    slotOffset: accOffset,
    slotSize: accSize,
    slotCodec: accCodec,
    slotPacked: accPacked,
    fixedLen,
    maxSlots: k.maxSlots,
    allocSize,
    bufSize,
    buffers,
    hasState,
  };

  // ---- the table
  const table = readPresent(space, tableVa, available * 8);
  for (const run of holeRuns(table.holes)) {
    const a = Math.ceil(run.from / 8);
    const b = Math.ceil(run.to / 8);
    problems.push(`c_segments entries ${a}–${b - 1} at ${hex(tableVa + BigInt(run.from))} are not present in the image`);
  }
  const tdv = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.byteLength);
  const segSize = ctx.sizeOf('c_segment');
  const entry = (i: number, read?: (va: bigint, length: number) => PresentRead): TableEntry => {
    if (table.holes.length > 0 && holeIn(table.holes, i * 8, i * 8 + 8) !== null) return { kind: 'absent' };
    const v = tdv.getBigUint64(i * 8, true);
    // a free entry holds the next free index (c_segno); up to 10.11 only its low 4 bytes are
    // written, so the upper half may still be a stale 0xffffff80 from the pointer it replaced
    const low = Number(v & 0xffff_ffffn);
    const high = Number(v >> 32n);
    const freeLink =
      segnoSize === 4
        ? (low < available || low === 0xffff_ffff) && (high === 0 || ctx.isKernelPointer(v))
        : v < BigInt(available) || v === 0xffff_ffffn || v === 0xffff_ffff_ffff_ffffn;
    if (!ctx.isKernelPointer(v)) {
      if (freeLink || v === 0n) return { kind: 'free' };
      return { kind: 'ignored', value: hex(v), reason: 'neither a free-list link nor a kernel pointer', problem: `c_segments[${i}] = ${hex(v)}: neither a free-list link nor a kernel pointer` };
    }
    const got = read?.(v, segSize);
    const seg = got !== undefined && got.holes.length === 0 ? new KObject(ctx.types, 'c_segment', v, got.bytes) : ctx.tryObject('c_segment', v);
    if (seg instanceof UnfoldError) {
      if (freeLink) return { kind: 'free' };
      return { kind: 'ignored', value: hex(v), reason: `c_segment not readable: ${seg.message}`, problem: `c_segments[${i}] → ${hex(v)}: c_segment not readable (${seg.message})` };
    }
    const mysegno = seg.num('c_mysegno');
    if (mysegno !== i) {
      if (freeLink) return { kind: 'free' };
      return { kind: 'ignored', value: hex(v), reason: `c_mysegno is ${mysegno}, not ${i}`, problem: `c_segments[${i}] → ${hex(v)}: c_mysegno is ${mysegno}, not ${i}; not a segment` };
    }
    if (hasState && seg.num('c_state') === C_IS_FREE) return { kind: 'ignored', value: hex(v), reason: 'C_IS_FREE (being freed)' };
    return { kind: 'segment', seg };
  };
  return { ctx, header, sctx, problems, available, singleValue: k.singleValue, entry };
}
