// One c_segment → its plan: state and disposition (decode, swapped, possibly encrypted, no data),
// buffer extent, and every slot below c_nextslot read from the fixed/variable slot arrays (F1: the
// six lazily allocated arrays). The per-slot loop runs on compiled accessors over the raw slot words;
// the segment's own fields are read by name through the kernel-object layer.
import { readPresent, type PresentRead } from '../translate/present';
import type { KernelContext } from './kernel';
import type { KObject } from './kobject';
import {
  C_IS_EMPTY,
  C_ON_BAD_Q,
  C_ON_SWAPIO_Q,
  C_ON_SWAPOUT_Q,
  C_ON_SWAPPEDOUT_Q,
  C_ON_SWAPPEDOUTSPARSE_Q,
  F1_QUEUE_FLAGS,
  F1_SLOT_ARRAY_SIZE,
  SWAP_DEVICE_SHIFT,
  SWAP_SLOT_MASK,
  stateName as cStateName,
} from './layouts';
import type { SegmentPlan } from './plan-types';
import { isUnreadableSlotError } from './read-checks';
import type { SlotMeta } from './slot-decode';
import type { SegmentSummary, SlotKind, SlotRecord, SwapLocation } from './types';

const hex = (v: bigint | number) => '0x' + v.toString(16);

/** a compiled reader of a bitfield of ≤ 53 bits among the first three little-endian words of a c_slot */
export type SlotBits = (w0: number, w1: number, w2: number) => number;

/** what planSegment needs from the plan: the context and the compressor's constants, compiled once */
export interface SegmentPlanContext {
  k: KernelContext;
  pageSize: number;
  slotStride: number;
  slotOffset: SlotBits;
  slotSize: SlotBits;
  slotCodec: SlotBits | null;
  slotPacked: SlotBits | null;
  fixedLen: number;
  maxSlots: number;
  allocSize: number;
  bufSize: number;
  buffers: bigint | null;
  hasState: boolean;
  /** how slot arrays are read (default readPresent; the census reads whole pages, pagedReader) */
  read?: (va: bigint, length: number) => PresentRead;
}

/** compile a reader for bits [start, start+length) of the words w0 | w1 << 32 | w2 << 64 */
export function slotBits(start: number, length: number): SlotBits | null {
  if (length > 53 || start + length > 96) return null;
  const parts: Array<{ word: number; shift: number; mask: number; scale: number }> = [];
  for (let w = 0; w < 3; w++) {
    const lo = Math.max(start, 32 * w);
    const hi = Math.min(start + length, 32 * w + 32);
    if (lo >= hi) continue;
    const n = hi - lo;
    parts.push({ word: w, shift: lo - 32 * w, mask: n === 32 ? 0xffffffff : 2 ** n - 1, scale: 2 ** (lo - start) });
  }
  if (parts.length === 1) {
    const { word, shift, mask } = parts[0]!;
    if (word === 0) return (w0) => ((w0 >>> shift) & mask) >>> 0;
    if (word === 1) return (_w0, w1) => ((w1 >>> shift) & mask) >>> 0;
    return (_w0, _w1, w2) => ((w2 >>> shift) & mask) >>> 0;
  }
  if (parts.length === 2) {
    // the common straddling case (x86_64 c_packed_ptr 28–63, popcount 49–95): two words, no loop
    const [a, b] = parts as [(typeof parts)[0], (typeof parts)[0]];
    const pick = (w: number) => (w === 0 ? (w0: number) => w0 : w === 1 ? (_: number, w1: number) => w1 : (_: number, __: number, w2: number) => w2);
    const wa = pick(a.word);
    const wb = pick(b.word);
    return (w0, w1, w2) => (((wa(w0, w1, w2) >>> a.shift) & a.mask) >>> 0) + (((wb(w0, w1, w2) >>> b.shift) & b.mask) >>> 0) * b.scale;
  }
  return (w0, w1, w2) => {
    let v = 0;
    for (const p of parts) {
      const w = p.word === 0 ? w0 : p.word === 1 ? w1 : w2;
      v += (((w >>> p.shift) & p.mask) >>> 0) * p.scale;
    }
    return v;
  };
}

function f1StateName(seg: KObject): string {
  for (const [flag, name] of F1_QUEUE_FLAGS) {
    if (seg.has(flag) && seg.num(flag)) return name;
  }
  if (seg.has('c_ondisk') && seg.num('c_ondisk')) return 'C_ONDISK';
  return 'C_NO_QUEUE';
}

export function slotRecord(segment: number, slot: number, state: string, kind: SlotKind, offset: number, size: number, error?: string): SlotRecord {
  const r: SlotRecord = { segment, slot, state, kind, offset, compressedSize: size };
  if (error !== undefined) r.error = `segment ${segment} slot ${slot} at buffer offset ${hex(offset)}: ${error}`;
  return r;
}

type Disposition = { mode: 'decode' } | { mode: 'swapped' } | { mode: 'encrypted' } | { mode: 'nodata'; why: string };

const opt = (seg: KObject, field: string, dflt: number | null): number | null => (seg.has(field) ? seg.num(field) : dflt);

/** what a c_segment's own fields decide before any slot is read (shared by planSegment and censusSegment) */
interface SegmentHead {
  name: string;
  state: number | null;
  busy: boolean;
  busySwapping: boolean;
  disp: Disposition;
  bufferVa: bigint | null;
  swap: SwapLocation | null;
  readLength: number;
  nextSlotField: number;
  /** c_nextslot within the slots a segment can hold */
  nextSlot: number;
  nextBytes: number;
  populatedBytes: number;
  problems: string[];
}

function readHead(ctx: SegmentPlanContext, index: number, seg: KObject): SegmentHead {
  const problems: string[] = [];
  const state = ctx.hasState ? seg.num('c_state') : null;
  const busy = seg.has('c_busy') ? seg.num('c_busy') !== 0 : false;
  const busySwapping = seg.has('c_busy_swapping') ? seg.num('c_busy_swapping') !== 0 : false;
  // c_store is a union: the buffer pointer or the swap handle, read as the raw word
  const store = seg.raw64('c_store');
  const name = state === null ? f1StateName(seg) : cStateName(state);

  let disp: Disposition;
  if (state === null) {
    // 10.9–10.10: resident iff not on disk and a buffer exists (compacted segments on the
    // swapped-out queues are still resident while c_ondisk is 0)
    const ondisk = opt(seg, 'c_ondisk', 0) !== 0;
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
    } else if (!ctx.k.isKernelPointer(store)) {
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

  const nextOffsetW = seg.num('c_nextoffset');
  const populatedW = seg.num('c_populated_offset');
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

  const nextSlotField = seg.num('c_nextslot');
  let nextSlot = nextSlotField;
  if (nextSlot > ctx.maxSlots) {
    problems.push(`c_nextslot is ${nextSlot}, above the ${ctx.maxSlots} slots a segment can hold; listing ${ctx.maxSlots}`);
    nextSlot = ctx.maxSlots;
  }
  return { name, state, busy, busySwapping, disp, bufferVa, swap, readLength, nextSlotField, nextSlot, nextBytes: nextOffsetW * 4, populatedBytes: populatedW * 4, problems };
}

/** why a live slot of a resident segment cannot be decoded from its metadata alone, or null */
function slotFault(h: SegmentHead, pageSize: number, offset: number, size: number): string | null {
  const end = offset + size;
  if (size > pageSize) return `c_size ${size} is larger than the ${pageSize}-byte page`;
  if (end > h.nextBytes) return `slot ends at ${hex(end)}, past c_nextoffset (${hex(h.nextBytes)} bytes)`;
  if (end > h.populatedBytes) return `slot ends at ${hex(end)}, past c_populated_offset (${hex(h.populatedBytes)} bytes)`;
  if (end > h.readLength) return `slot ends at ${hex(end)}, past the ${hex(h.readLength)}-byte segment buffer`;
  return null;
}

/** plan one live c_segment (index `index`, read at `seg.address`) */
export function planSegment(ctx: SegmentPlanContext, index: number, seg: KObject): SegmentPlan {
  const { pageSize } = ctx;
  const segVa = seg.address;
  const h = readHead(ctx, index, seg);
  const { name, disp, bufferVa, readLength, nextSlot, problems } = h;
  const { words, errors } = readSlotWords(ctx, seg, nextSlot, problems);

  const slots: SlotMeta[] = [];
  const sealedSlots: SlotMeta[] = [];
  const undecoded: SlotRecord[] = [];
  const packedPtrs = new Float64Array(nextSlot);
  let live = 0;
  let rounded = 0;
  let compressedBytes = 0;
  for (let s = 0; s < nextSlot; s++) {
    const err = errors.get(s);
    if (err !== undefined) {
      packedPtrs[s] = -1;
      live++;
      undecoded.push({ segment: index, slot: s, state: name, kind: 'corrupt', offset: 0, compressedSize: 0, error: `segment ${index} slot ${s}: ${err}` });
      continue;
    }
    const w0 = words[3 * s]!;
    const w1 = words[3 * s + 1]!;
    const w2 = words[3 * s + 2]!;
    packedPtrs[s] = ctx.slotPacked ? ctx.slotPacked(w0, w1, w2) : -1;
    const packed = ctx.slotSize(w0, w1, w2);
    if (packed === 0) continue; // freed slot
    const size = packed === pageSize - 1 ? pageSize : packed;
    const offset = ctx.slotOffset(w0, w1, w2) * 4;
    const codec = (ctx.slotCodec ? ctx.slotCodec(w0, w1, w2) : 0) as 0 | 1;
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
    const fault = slotFault(h, pageSize, offset, size);
    if (fault !== null) undecoded.push(slotRecord(index, s, name, 'corrupt', offset, size, fault));
    else slots.push({ slot: s, offset, size, codec });
  }

  const summary: SegmentSummary = {
    index,
    address: hex(segVa),
    state: h.state,
    stateName: name,
    resident: disp.mode === 'decode',
    busy: h.busy,
    busySwapping: h.busySwapping,
    possiblyEncrypted: disp.mode === 'encrypted',
    nextSlot: h.nextSlotField,
    firstEmptySlot: opt(seg, 'c_firstemptyslot', 0)!,
    slotsUsed: opt(seg, 'c_slots_used', null),
    bytesUsed: seg.num('c_bytes_used'),
    bytesUnused: opt(seg, 'c_bytes_unused', 0)!,
    nextOffset: h.nextBytes,
    populatedOffset: h.populatedBytes,
    creationTs: opt(seg, 'c_creation_ts', 0)!,
    swappedInTs: opt(seg, 'c_swappedin_ts', null),
    agedInTs: opt(seg, 'c_agedin_ts', null),
    generationId: seg.has('c_generation_id') ? hex(seg.u64('c_generation_id')) : null,
    buffer: bufferVa === null ? null : hex(bufferVa),
    swap: h.swap,
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
    packedPtrs,
    ...(disp.mode === 'swapped' || disp.mode === 'encrypted' ? { sealedSlots } : {}),
  };
}

/** one live c_segment as the case-wide census counts it (censusSegment): no object per slot */
export interface SegmentCensus {
  index: number;
  slotsUsed: number | null;
  bytesUsed: number;
  /** as SegmentPlan.liveSlots and .roundedBytes */
  liveSlots: number;
  roundedBytes: number;
  /** as SegmentSummary.problems, before the buffer's pages are checked */
  problems: string[];
  /** live slots planSegment would list among `undecoded` with an error isUnreadableSlotError calls unreadable */
  unreadableRecords: number;
  bufferVa: bigint | null;
  readLength: number;
  /** how many slots planSegment would list among `slots` (to decode): their offsets and sizes are in the scratch arrays */
  decodable: number;
}

/**
 * What planSegment tells of a segment's counts, problems and decodable slots, without an object per
 * slot: the offsets and sizes of the slots it would decode go into `scratch` (at least ctx.maxSlots
 * long each, reused from segment to segment). Null for a swapped-out or encrypted segment, whose
 * slots the swap planning needs as planSegment lists them.
 */
export function censusSegment(ctx: SegmentPlanContext, index: number, seg: KObject, scratch: { offsets: Uint32Array; sizes: Uint32Array }): SegmentCensus | null {
  const { pageSize } = ctx;
  const h = readHead(ctx, index, seg);
  const { disp, nextSlot, problems } = h;
  if (disp.mode === 'swapped' || disp.mode === 'encrypted') return null;
  const { words, errors } = readSlotWords(ctx, seg, nextSlot, problems);
  const { offsets, sizes } = scratch;
  let live = 0;
  let rounded = 0;
  let unreadableRecords = 0;
  let n = 0;
  // the errors planSegment's records would carry, tested only where a record would have one
  const nodataUnreadable = disp.mode === 'nodata' && isUnreadableSlotError(slotRecord(index, 0, h.name, 'corrupt', 0, 0, disp.why).error);
  for (let s = 0; s < nextSlot; s++) {
    if (errors.size > 0) {
      const err = errors.get(s);
      if (err !== undefined) {
        live++;
        if (isUnreadableSlotError(`segment ${index} slot ${s}: ${err}`)) unreadableRecords++;
        continue;
      }
    }
    const w0 = words[3 * s]!;
    const w1 = words[3 * s + 1]!;
    const w2 = words[3 * s + 2]!;
    const packed = ctx.slotSize(w0, w1, w2);
    if (packed === 0) continue; // freed slot
    const size = packed === pageSize - 1 ? pageSize : packed;
    const offset = ctx.slotOffset(w0, w1, w2) * 4;
    live++;
    rounded += (size + 3) & ~3;
    if (disp.mode === 'nodata') {
      if (nodataUnreadable) unreadableRecords++;
      continue;
    }
    const fault = slotFault(h, pageSize, offset, size);
    if (fault !== null) {
      if (isUnreadableSlotError(slotRecord(index, s, h.name, 'corrupt', offset, size, fault).error)) unreadableRecords++;
      continue;
    }
    offsets[n] = offset;
    sizes[n] = size;
    n++;
  }
  return {
    index,
    slotsUsed: opt(seg, 'c_slots_used', null),
    bytesUsed: seg.num('c_bytes_used'),
    liveSlots: live,
    roundedBytes: rounded,
    problems,
    unreadableRecords,
    bufferVa: h.bufferVa,
    readLength: h.readLength,
    decodable: n,
  };
}

/**
 * The raw little-endian words (w0, w1, w2; w2 = 0 for 8-byte slots) of slots 0..n−1, and for slots
 * whose metadata could not be read, why. F1: six 64-entry arrays behind c_slots[]; 10.11+: the inline
 * fixed array (right after the c_segment), then the separately allocated variable array.
 */
function readSlotWords(ctx: SegmentPlanContext, seg: KObject, n: number, problems: string[]): { words: Uint32Array; errors: Map<number, string> } {
  const { slotStride, k } = ctx;
  const words = new Uint32Array(3 * n);
  const errors = new Map<number, string>();
  const take = (first: number, count: number, va: bigint, what: string) => {
    if (count <= 0) return;
    const { bytes, holes } = ctx.read ? ctx.read(va, count * slotStride) : readPresent(k.space, va, count * slotStride);
    const bdv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let h = 0;
    for (let j = 0; j < count; j++) {
      const o = j * slotStride;
      while (h < holes.length && holes[h]!.to <= o) h++;
      if (h < holes.length && holes[h]!.from < o + slotStride) {
        errors.set(first + j, `slot metadata (${what} at ${hex(va + BigInt(o))}) is not present in the image`);
        continue;
      }
      words[3 * (first + j)] = bdv.getUint32(o, true);
      words[3 * (first + j) + 1] = bdv.getUint32(o + 4, true);
      if (slotStride >= 12) words[3 * (first + j) + 2] = bdv.getUint32(o + 8, true);
    }
    if (holes.length > 0) problems.push(`${what} at ${hex(va)} is partly missing from the image`);
  };
  const fail = (first: number, count: number, why: string) => {
    for (let j = 0; j < count; j++) errors.set(first + j, why);
  };

  if (seg.has('c_slots')) {
    for (let a = 0; a * F1_SLOT_ARRAY_SIZE < n; a++) {
      const first = a * F1_SLOT_ARRAY_SIZE;
      const count = Math.min(F1_SLOT_ARRAY_SIZE, n - first);
      let p: bigint;
      try {
        p = seg.u64Element('c_slots', a);
      } catch {
        fail(first, count, `c_slots[${a}] lies outside the c_segment`);
        continue;
      }
      if (!k.isKernelPointer(p)) {
        fail(first, count, `c_slots[${a}] = ${hex(p)} is not a kernel pointer`);
        problems.push(`c_slots[${a}] = ${hex(p)} is not a kernel pointer (slots ${first}–${first + count - 1})`);
        continue;
      }
      take(first, count, p, `c_slots[${a}]`);
    }
    return { words, errors };
  }

  const fixedCount = Math.min(n, ctx.fixedLen);
  take(0, fixedCount, seg.addressOf('c_slot_fixed_array'), 'c_slot_fixed_array');
  const rest = n - fixedCount;
  if (rest > 0) {
    const varLen = seg.num('c_slot_var_array_len');
    const varPtr = seg.pointer('c_slot_var_array');
    if (!k.isKernelPointer(varPtr)) {
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
