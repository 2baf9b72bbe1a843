// The whole case's compressor problems and consistency checks from its metadata, for a command that
// plans one segment only (`unfold page`) but must report what every walking command reports (issue 9
// item 3): every table entry is judged, every live segment's slot arrays are counted and its buffer
// pages checked through translation, as the metadata summary of a whole plan does, but with no object
// per slot (a resident segment's slots are counted straight from their words). Swapped-out and
// encrypted segments are planned whole, since the swap planning words its problems from their slots.
import type { PhysicalImage } from '../image/types';
import { holeIn, pagedReader } from '../translate/present';
import { checkConsistency, type ConsistencySegment } from './consistency';
import type { CompressorTable } from './compressor-table';
import { absentPageProblems, bufferHoles } from './metadata-summary';
import type { CompressorPlan, SegmentPlan } from './plan-types';
import { isUnreadableSlotError, withReadChecks } from './read-checks';
import { censusSegment, planSegment } from './segment-plan';
import { readSvTable } from './svtable';
import { readSwapFiles } from './swap-list';
import type { Consistency, SvEntry } from './types';

export interface CaseCensus {
  /** the compressor's problems, lines and order as the case's metadata summary lists them */
  problems: string[];
  /** its consistency table, with the read checks (not the process walk's check) */
  consistency: Consistency;
  /** live segments the table lists */
  segments: number;
}

/** one live segment's share of the census */
interface Counted extends ConsistencySegment {
  problems: string[];
  /** live slots whose bytes could not be read */
  unreadable: number;
}

/**
 * The census of the case whose globals and table `t` holds. `planSwap` is the case's swap planning
 * (keys, swap files given) over a plan of the sealed segments alone; its problems are all the census
 * takes from it.
 */
export function censusCompressor(
  t: CompressorTable,
  image: PhysicalImage,
  planSwap: (sealed: CompressorPlan) => { problems: string[] },
  opts: { resolveSwapPaths?: boolean } = {},
): CaseCensus {
  const space = t.ctx.space;
  const problems = [...t.problems];
  const counted: Counted[] = [];
  const sealed: SegmentPlan[] = [];
  /** where in `counted` each sealed segment goes (its holes wait for the swap planning) */
  const sealedAt: number[] = [];
  const read = pagedReader(space);
  const sctx = { ...t.sctx, read };
  const scratch = { offsets: new Uint32Array(t.sctx.maxSlots), sizes: new Uint32Array(t.sctx.maxSlots) };
  const touching = (n: number) => (from: number, to: number) => {
    let k = 0;
    for (let j = 0; j < n; j++) if (scratch.offsets[j]! < to && scratch.offsets[j]! + scratch.sizes[j]! > from) k++;
    return k;
  };

  for (let i = 0; i < t.available; i++) {
    const e = t.entry(i, read);
    if (e.kind === 'ignored') {
      if (e.problem !== undefined) problems.push(e.problem);
      continue;
    }
    if (e.kind !== 'segment') continue;
    const c = censusSegment(sctx, i, e.seg, scratch);
    if (c === null) {
      const p = planSegment(t.sctx, i, e.seg);
      sealedAt.push(counted.length);
      sealed.push(p);
      counted.push({ index: i, slotsUsed: p.summary.slotsUsed, bytesUsed: p.summary.bytesUsed, liveSlots: p.liveSlots, roundedBytes: p.roundedBytes, problems: [...p.summary.problems], unreadable: 0 });
      continue;
    }
    let unreadable = c.unreadableRecords;
    if (c.bufferVa !== null && c.decodable > 0) {
      const holes = bufferHoles(space, image, c.bufferVa, c.readLength);
      if (holes.length > 0) {
        c.problems.push(...absentPageProblems(c.bufferVa, holes, touching(c.decodable)));
        for (let j = 0; j < c.decodable; j++) if (holeIn(holes, scratch.offsets[j]!, scratch.offsets[j]! + scratch.sizes[j]!) !== null) unreadable++;
      }
    }
    counted.push({ index: i, slotsUsed: c.slotsUsed, bytesUsed: c.bytesUsed, liveSlots: c.liveSlots, roundedBytes: c.roundedBytes, problems: c.problems, unreadable });
  }

  // what finishPlan adds: the swap files' names (when a segment is swapped out), the single-value table
  let header = t.header;
  if (opts.resolveSwapPaths !== false && sealed.some((s) => s.summary.swap)) {
    const list = readSwapFiles(t.ctx);
    header = { ...header, swapFiles: list.files };
    problems.push(...list.problems);
  }
  let sv: SvEntry[] = [];
  if (t.singleValue) {
    const r = readSvTable(t.ctx);
    sv = r.entries;
    if (r.problem) problems.push(r.problem);
  }
  const swap = planSwap({ header, segments: sealed, sv, problems: [] });
  problems.push(...swap.problems);

  // a sealed segment lists every live slot among its records (none to decode from its buffer)
  sealed.forEach((p, k) => {
    const c = counted[sealedAt[k]!]!;
    for (const r of p.undecoded) if (isUnreadableSlotError(r.error)) c.unreadable++;
  });

  let liveSlots = 0;
  let unreadableSlots = 0;
  for (const c of counted) {
    liveSlots += c.liveSlots;
    unreadableSlots += c.unreadable;
    for (const p of c.problems) problems.push(`segment ${c.index}: ${p}`);
  }
  const base = checkConsistency({ hasSlotsUsed: counted.some((c) => c.slotsUsed !== null), pagesCompressed: header.pagesCompressed, segments: counted, sv });
  const consistency = withReadChecks(base, { liveSlots, unreadableSlots, segmentCount: header.segmentCount, segmentsRead: counted.length });
  return { problems, consistency, segments: counted.length };
}
