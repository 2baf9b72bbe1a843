// Aggregate figures over a case's live slots, computed next to the data so the app's overview charts
// (and anyone else) get counts, not every record.
import { isDecodedKind, type SlotKind, type SlotRecord } from './types';

/** kinds whose compressed size is a stored stream's length (the others store nothing or nothing readable) */
const STORED_KINDS: ReadonlySet<SlotKind> = new Set<SlotKind>(['wkdm', 'lz4', 'mzv', 'raw']);

export const HISTOGRAM_BINS = 64;

export interface SlotStats {
  pageSize: number;
  /** compressed sizes of live slots that hold a stored stream (wkdm, lz4, mzv, raw); the last bin takes everything from its start up */
  sizeHistogram: { binWidth: number; counts: number[] };
  liveSlots: number;
  /** slots whose page was decoded (a page kind, no error) */
  decodedPages: number;
  corruptSlots: number;
}

export function slotStats(records: Iterable<SlotRecord>, pageSize: number, bins = HISTOGRAM_BINS): SlotStats {
  const binWidth = Math.max(1, Math.ceil(pageSize / bins));
  const counts = new Array<number>(bins).fill(0);
  let liveSlots = 0;
  let decodedPages = 0;
  let corruptSlots = 0;
  for (const r of records) {
    liveSlots++;
    if (r.error === undefined && isDecodedKind(r.kind)) decodedPages++;
    if (r.kind === 'corrupt') corruptSlots++;
    if (STORED_KINDS.has(r.kind)) counts[Math.min(bins - 1, Math.floor(r.compressedSize / binWidth))]!++;
  }
  return { pageSize, sizeHistogram: { binWidth, counts }, liveSlots, decodedPages, corruptSlots };
}
