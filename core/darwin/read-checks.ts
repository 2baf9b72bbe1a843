// Consistency checks of what could be read at all. The kernel's counters (c_slots_used, c_bytes_used)
// are compared with slot metadata, which says nothing about whether the slots' bytes were in the
// image: a truncated image whose whole segment buffer is missing still has matching metadata. These
// checks count the slots whose stored bytes were absent and the segments the table named that could
// not be read, so such an image never shows a clean table.
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
