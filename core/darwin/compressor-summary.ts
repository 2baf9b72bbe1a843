// Summaries of a compressor walk: per-segment counts by kind, the consistency checks the plan alone
// decides, and the whole-compressor summary the CLI, the app and exports show.
import { checkConsistency, type ConsistencySegment } from './consistency';
import type { CompressorPlan } from './plan-types';
import type { CompressorSummary, Consistency, SegmentSummary, SlotKind, SlotRecord } from './types';

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
