// The VM compressor walk (docs/compressor.md §9), composed from its parts so decoding can run in
// worker threads:
//   planCompressor      (compressor-plan.ts, segment-plan.ts, swap-list.ts, svtable.ts) reads every
//                       kernel structure through the kernel-object layer and decides per slot what to
//                       do: all the I/O except segment buffers;
//   readSegmentBuffer   (segment-buffer.ts) reads one segment's buffer, every present page of it;
//   decodeSegmentSlots  (slot-decode.ts) turns buffer bytes into pages, pure;
//   summarize…          (compressor-summary.ts) counts and cross-checks.
// walkCompressor composes them on one thread; the worker pool calls the same pieces.
import type { SymbolTable } from '../symbols/types';
import type { VirtualSpace } from '../translate/types';
import { summarize, tallySlot } from './compressor-summary';
import { planCompressor } from './compressor-plan';
import type { VersionInput } from './family';
import type { CompressorPlan, PlanOptions, SegmentPlan } from './plan-types';
import { unpackPointer } from './pointers';
import { readSegmentBuffer } from './segment-buffer';
import { createScratch, decodeSegmentSlots } from './slot-decode';
import type { CompressorSummary, SegmentSummary, SlotRecord } from './types';

export type { SlotMeta } from './slot-decode';
export type { CompressorHeader, CompressorPlan, PlanOptions, SegmentPlan, SlotPacking } from './plan-types';
export type { SegmentBuffer, Hole } from './segment-buffer';
export { planCompressor } from './compressor-plan';
export { readSegmentBuffer, slotBytes } from './segment-buffer';
export { planConsistency, summarize, summarizeWalk, tallySlot } from './compressor-summary';

const hex = (v: bigint | number) => '0x' + v.toString(16);

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
 * The kernel VA a slot's c_packed_ptr points back to (the compressor_slot_t in its pager), or null
 * when the slot index is past c_nextslot, its metadata was unreadable, or the layout has no pointer.
 */
export function slotBackPointer(plan: CompressorPlan, seg: SegmentPlan, slot: number): bigint | null {
  const packed = slot >= 0 && slot < seg.packedPtrs.length ? seg.packedPtrs[slot]! : -1;
  if (packed < 0) return null;
  const p = plan.header.slotPacking;
  return unpackPointer(BigInt(packed), { base: BigInt(p.base), bits: p.bits, shift: p.shift, baseRelative: p.baseRelative });
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
        buf.holes,
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
