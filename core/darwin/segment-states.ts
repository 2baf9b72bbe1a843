// What the page resolver needs of the compressor walk: whether a segment's compressed data is in RAM
// (its pages are "compressed") or swapped out (its pages are "swapped"), by segment index.
import type { SegmentStates } from './page-resolver';
import type { CompressorPlan } from './plan-types';

export function segmentStates(plan: CompressorPlan): SegmentStates {
  // by index in an array: asked once per compressed page of every process
  const max = plan.segments.reduce((m, s) => Math.max(m, s.summary.index), -1);
  const byIndex: Array<'compressed' | 'swapped' | null> = new Array<'compressed' | 'swapped' | null>(max + 1).fill(null);
  for (const s of plan.segments) byIndex[s.summary.index] = s.summary.swap !== null && !s.summary.resident ? 'swapped' : 'compressed';
  return { stateOf: (segment) => (segment >= 0 && segment < byIndex.length ? byIndex[segment]! : null) };
}
