// Consistency checks of what could be read at all. The kernel's counters (c_slots_used, c_bytes_used)
// are compared with slot metadata, which says nothing about whether the slots' bytes were in the
// image: a truncated image whose whole segment buffer is missing still has matching metadata. These
// checks count the slots whose stored bytes were absent and the segments the table named that could
// not be read, so such an image never shows a clean table.
import type { SegmentPlan } from './plan-types';
import type { Consistency, ConsistencyCheck } from './types';

/** the words slot-decode uses for a slot whose stored bytes are (partly) absent from the image */
const UNREADABLE_SLOT = /is not present in the image|past the 0x[0-9a-f]+ bytes read/;

export function isUnreadableSlotError(error: string | undefined): boolean {
  return error !== undefined && UNREADABLE_SLOT.test(error);
}

export interface ReadCounts {
  /** live slots listed by the segments' metadata */
  liveSlots: number;
  /** of those, slots whose stored bytes could not be read */
  unreadableSlots: number;
  /** c_segment_count: segments the kernel had in use */
  segmentCount: number;
  /** segments the walk could read from the table */
  segmentsRead: number;
}

export function readChecks(c: ReadCounts): ConsistencyCheck[] {
  const checks: ConsistencyCheck[] = [
    {
      name: 'live slots whose bytes could be read',
      expected: c.liveSlots,
      found: c.liveSlots - c.unreadableSlots,
      ok: c.unreadableSlots === 0,
      ...(c.unreadableSlots > 0 ? { note: `${c.unreadableSlots} live slot(s) lie on buffer pages the image does not hold` } : {}),
    },
  ];
  // c_segment_count reads 0 when the kernel lacks it or it could not be read: nothing to compare with
  if (c.segmentCount > 0) {
    checks.push({
      name: 'segments read vs c_segment_count',
      expected: c.segmentCount,
      found: c.segmentsRead,
      ok: c.segmentCount === c.segmentsRead,
      ...(c.segmentsRead < c.segmentCount ? { note: `${c.segmentCount - c.segmentsRead} segment(s) in use could not be read from the c_segments table (see the problems)` } : {}),
    });
  }
  return checks;
}

/** the consistency result with the read checks added */
export function withReadChecks(base: Consistency, counts: ReadCounts): Consistency {
  const checks = [...base.checks];
  // the whole-image checks stay before the per-segment ones
  const firstPerSegment = checks.findIndex((ch) => ch.name.startsWith('segment '));
  checks.splice(firstPerSegment < 0 ? checks.length : firstPerSegment, 0, ...readChecks(counts));
  return { ok: checks.every((ch) => ch.ok), checks };
}

/**
 * The checks that concern one segment alone, for a case opened for that segment (`unfold page`):
 * its live slots against its c_slots_used, its slot bytes against its c_bytes_used (the whole
 * case's per-segment checks, named the same), and its live slots whose bytes could be read.
 * Failed or not, each is listed, so a reader sees what was checked.
 */
export function segmentChecks(seg: SegmentPlan, unreadableSlots: number): Consistency {
  const s = seg.summary;
  const checks: ConsistencyCheck[] = [];
  if (s.slotsUsed !== null) {
    checks.push({ name: `segment ${s.index}: live slots vs c_slots_used`, expected: s.slotsUsed, found: seg.liveSlots, ok: s.slotsUsed === seg.liveSlots });
  }
  checks.push({ name: `segment ${s.index}: live slot bytes vs c_bytes_used`, expected: s.bytesUsed, found: seg.roundedBytes, ok: s.bytesUsed === seg.roundedBytes });
  const read = readChecks({ liveSlots: seg.liveSlots, unreadableSlots, segmentCount: 0, segmentsRead: 1 })[0]!;
  checks.push({ ...read, name: `segment ${s.index}: ${read.name}` });
  return { ok: checks.every((ch) => ch.ok), checks };
}
