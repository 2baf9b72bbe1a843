// Planning the VM compressor walk (docs/compressor.md §9): globals → c_segments table → validated
// segments (segment-plan.ts) → swap-file names and the single-value table. All the I/O except the
// segment buffers, through the kernel-object layer: structures by type and field name from the ISF
// when it has the compressor's types, else from the family's built-in layout (layouts.ts).
import type { SymbolTable } from '../symbols/types';
import { pagedReader, type PresentRead } from '../translate/present';
import type { VirtualSpace } from '../translate/types';
import { readCompressorTable, type CompressorTable } from './compressor-table';
import type { VersionInput } from './family';
import type { KObject } from './kobject';
import type { CompressorPlan, PlanOptions, SegmentPlan } from './plan-types';
import { planSegment } from './segment-plan';
import { readSvTable } from './svtable';
import { readSwapFiles } from './swap-list';
import type { SvEntry } from './types';

/** one table entry into the header's tallies and the problems; its c_segment when it is a live segment */
function tallyEntry(t: CompressorTable, i: number, problems: string[], read: (va: bigint, length: number) => PresentRead): KObject | null {
  const e = t.entry(i, read);
  if (e.kind === 'segment') return e.seg;
  if (e.kind === 'free') t.header.freeEntries++;
  else if (e.kind === 'ignored') {
    t.header.ignored.push({ index: i, value: e.value, reason: e.reason });
    if (e.problem !== undefined) problems.push(e.problem);
  }
  return null;
}

/**
 * Read every compressor structure and decide, per live slot, what the walk does with it. Throws
 * DiscoveryError('NO_COMPRESSOR') when the symbols lack the compressor or its table is unreadable;
 * everything else that is wrong becomes a problem text or a corrupt slot.
 */
export function planCompressor(space: VirtualSpace, symbols: SymbolTable, version: VersionInput, opts: PlanOptions = {}): CompressorPlan {
  const t = readCompressorTable(space, symbols, version, opts);
  const problems = [...t.problems];
  const segments: SegmentPlan[] = [];
  // every c_segment and slot array: whole pages read once each, not 64 KiB blocks around them
  const read = pagedReader(space);
  const sctx = { ...t.sctx, read };
  for (let i = 0; i < t.available; i++) {
    const seg = tallyEntry(t, i, problems, read);
    if (seg !== null) segments.push(planSegment(sctx, i, seg));
  }
  return finishPlan(t, segments, problems, opts, true);
}

/** what a command that reads one segment needs: that segment's plan and the case's header */
export interface OneSegmentPlan {
  /**
   * header, segments ([] when `index` is not a live segment, else that one), no single-value table,
   * problems of the globals, the layouts, the table's absent pages and entry `index`
   */
  plan: CompressorPlan;
  /** the globals and the table as read, for a case-wide census of the other entries (census.ts) */
  table: CompressorTable;
}

/**
 * Plan one segment only (`unfold page`): the globals and the table are read as for the whole plan,
 * then only entry `index`, its c_segment and its slot arrays. The segment's plan is exactly the one
 * planCompressor makes of it.
 */
export function planOneSegment(space: VirtualSpace, symbols: SymbolTable, version: VersionInput, index: number, opts: PlanOptions = {}): OneSegmentPlan {
  const t = readCompressorTable(space, symbols, version, opts);
  const problems = [...t.problems];
  const segments: SegmentPlan[] = [];
  if (Number.isSafeInteger(index) && index >= 0 && index < t.available) {
    const e = t.entry(index);
    if (e.kind === 'segment') segments.push(planSegment(t.sctx, index, e.seg));
    else if (e.kind === 'ignored' && e.problem !== undefined) problems.push(e.problem);
  }
  return { plan: finishPlan(t, segments, problems, opts, false), table: t };
}

/** swap-file names of the planned segments, and the single-value table when asked for */
function finishPlan(t: CompressorTable, segments: SegmentPlan[], problems: string[], opts: PlanOptions, withSingleValues: boolean): CompressorPlan {
  const { ctx, header } = t;
  // ---- swap file names
  if (opts.resolveSwapPaths !== false && segments.some((s) => s.summary.swap)) {
    const list = readSwapFiles(ctx);
    header.swapFiles = list.files;
    problems.push(...list.problems);
    for (const s of segments) {
      const sw = s.summary.swap;
      if (!sw) continue;
      const f = list.files.find((x) => x.index === sw.fileIndex);
      if (f) sw.path = f.path;
    }
  }

  // ---- single-value table
  let sv: SvEntry[] = [];
  if (withSingleValues && t.singleValue) {
    const r = readSvTable(ctx);
    sv = r.entries;
    if (r.problem) problems.push(r.problem);
  }

  return { header, segments, sv, problems };
}
