// Reading one segment's compressed buffer. The buffer is virtually contiguous but physically
// scattered: after a truncation, a hole in the image or a cleared page-table entry, the pages after
// the damage are usually still there. Every present page is read; each absent page is a hole, and
// only the slots that touch a hole are lost (slot-decode.ts names the page in their error).
import { holeIn, holeRuns, readPresent, type Hole } from '../translate/present';
import type { VirtualSpace } from '../translate/types';
import type { SegmentPlan } from './plan-types';

export type { Hole } from '../translate/present';

export interface SegmentBuffer {
  /** the buffer bytes read, `readLength` long (zeros in holes) */
  bytes: Uint8Array;
  /** pages the image lacks (byte offsets into the buffer), sorted; empty when all was read */
  holes: Hole[];
}

const hex = (v: bigint | number) => '0x' + v.toString(16);

/**
 * Read one segment's buffer up to plan.readLength. Absent pages become holes and one problem line
 * per run of them in the segment's problems, counting the slots they make unreadable.
 */
export function readSegmentBuffer(space: VirtualSpace, plan: SegmentPlan, into?: Uint8Array): SegmentBuffer {
  const len = plan.readLength;
  if (plan.bufferVa === null || len === 0) {
    // `into` lets a caller keep the buffer somewhere shareable (a SharedArrayBuffer kept across passes)
    // (a reused buffer is cleared: no bytes of another segment may show through)
    return { bytes: into && into.length === len ? into.fill(0) : new Uint8Array(len), holes: [] };
  }
  const va = plan.bufferVa;
  const { bytes, holes } = readPresent(space, va, len, into);
  for (const run of holeRuns(holes)) {
    const touched = plan.slots.filter((s) => s.offset < run.to && s.offset + s.size > run.from).length;
    const more = run.pages > 1 ? `, nor the ${run.pages - 1} page(s) after it` : '';
    plan.summary.problems.push(
      `buffer page ${hex(va + BigInt(run.from))} (offset ${hex(run.from)}) is not present in the image${more}: ${touched} slot(s) touching ${run.pages > 1 ? 'them' : 'it'} are unreadable`,
    );
  }
  return { bytes, holes };
}

/** the compressed bytes of a slot, or null when a hole cuts into them */
export function slotBytes(buf: SegmentBuffer, offset: number, size: number): Uint8Array | null {
  if (offset + size > buf.bytes.length || holeIn(buf.holes, offset, offset + size) !== null) return null;
  return buf.bytes.subarray(offset, offset + size);
}
