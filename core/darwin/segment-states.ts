// What the page resolver needs of the compressor walk: whether a segment's compressed data is in RAM
// (its pages are "compressed") or swapped out (its pages are "swapped"), by segment index.
import type { SegmentStates } from './page-resolver';
import type { CompressorPlan } from './plan-types';

export function segmentStates(plan: CompressorPlan): SegmentStates {
  const byIndex = new Map<number, 'compressed' | 'swapped'>();
  for (const s of plan.segments) byIndex.set(s.summary.index, s.summary.swap !== null && !s.summary.resident ? 'swapped' : 'compressed');
  return { stateOf: (segment) => byIndex.get(segment) ?? null };
}
