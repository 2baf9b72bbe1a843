// Cross-checks between what the walk found and the kernel's own counters (docs/compressor.md §9):
// live slots vs c_slots_used (F4+), the 4-byte-rounded sizes of live slots vs c_bytes_used, and live
// slots plus single-value pages vs c_segment_pages_compressed. A mismatch is a finding to report
// (image taken while the compressor was busy, smeared pages, wrong layout), never an exception.
import { svPages } from './svtable';
import type { Consistency, ConsistencyCheck, SvEntry } from './types';

export interface ConsistencySegment {
  index: number;
  /** c_slots_used, or null before 10.13 */
  slotsUsed: number | null;
  /** c_bytes_used */
  bytesUsed: number;
  /** slots 0..c_nextslot−1 with c_size != 0 (plus slots whose metadata could not be read) */
  liveSlots: number;
  /** Σ of live slot sizes rounded up to 4 bytes */
  roundedBytes: number;
}

export interface ConsistencyInput {
  hasSlotsUsed: boolean;
  pagesCompressed: number;
  segments: readonly ConsistencySegment[];
  sv: readonly SvEntry[];
}

const MAX_LISTED = 8;

function listNote(bad: string[], what: string): string | undefined {
  if (bad.length === 0) return undefined;
  const shown = bad.slice(0, MAX_LISTED).join('; ');
  return `${bad.length} segment(s) disagree with ${what}: ${shown}${bad.length > MAX_LISTED ? '; …' : ''}`;
}

export function checkConsistency(input: ConsistencyInput): Consistency {
  const checks: ConsistencyCheck[] = [];
  let live = 0;
  let rounded = 0;
  let bytesUsed = 0;
  let slotsUsed = 0;
  const badSlots: string[] = [];
  const badBytes: string[] = [];
  const perSegment: ConsistencyCheck[] = [];
  for (const s of input.segments) {
    live += s.liveSlots;
    rounded += s.roundedBytes;
    bytesUsed += s.bytesUsed;
    if (input.hasSlotsUsed && s.slotsUsed !== null) {
      slotsUsed += s.slotsUsed;
      if (s.slotsUsed !== s.liveSlots) {
        badSlots.push(`segment ${s.index}: ${s.liveSlots} live, c_slots_used ${s.slotsUsed}`);
        perSegment.push({
          name: `segment ${s.index}: live slots vs c_slots_used`,
          expected: s.slotsUsed,
          found: s.liveSlots,
          ok: false,
        });
      }
    }
    if (s.bytesUsed !== s.roundedBytes) {
      badBytes.push(`segment ${s.index}: ${s.roundedBytes} bytes in live slots, c_bytes_used ${s.bytesUsed}`);
      perSegment.push({
        name: `segment ${s.index}: live slot bytes vs c_bytes_used`,
        expected: s.bytesUsed,
        found: s.roundedBytes,
        ok: false,
      });
    }
  }
  if (input.hasSlotsUsed) {
    const note = listNote(badSlots, 'c_slots_used');
    checks.push({
      name: 'live slots vs c_slots_used',
      expected: slotsUsed,
      found: live,
      ok: badSlots.length === 0 && slotsUsed === live,
      ...(note ? { note } : {}),
    });
  }
  {
    const note = listNote(badBytes, 'c_bytes_used');
    checks.push({
      name: 'live slot bytes vs c_bytes_used',
      expected: bytesUsed,
      found: rounded,
      ok: badBytes.length === 0 && bytesUsed === rounded,
      ...(note ? { note } : {}),
    });
  }
  const sv = svPages(input.sv);
  checks.push({
    name: 'pages vs c_segment_pages_compressed',
    expected: input.pagesCompressed,
    found: live + sv,
    ok: input.pagesCompressed === live + sv,
    note: `${live} live slots + ${sv} single-value pages in the sv table`,
  });
  checks.push(...perSegment);
  return { ok: checks.every((c) => c.ok), checks };
}
