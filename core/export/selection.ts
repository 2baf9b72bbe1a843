// The selections an export can be asked for, built in one place so the app and the CLI name them in
// the manifest the same way: one slot, one segment's live slots, or the pages holding a search's hits.
// Plain data only (no Node): the renderer builds its selections with these too.
import { EXPORT_LABEL_MAX, type ExportSelection, type SlotPair } from './types';

/** one slot of one segment */
export function slotSelection(segment: number, slot: number): ExportSelection {
  return { label: `slot ${slot} of segment ${segment}`, slots: [{ segment, slot }] };
}

/** every live slot of one segment (`slots`: their numbers) */
export function segmentSelection(segment: number, slots: readonly number[]): ExportSelection {
  return { label: `the ${slots.length} live slot${slots.length === 1 ? '' : 's'} of segment ${segment}`, slots: slots.map((slot) => ({ segment, slot })) };
}

/**
 * The pages holding hits, each once, in the order first hit. Single-value hits (segment -1) have no
 * slot of their own and are left out. `of` says whose hits they are ("the last search").
 */
export function hitPages(hits: Iterable<{ segment: number; slot: number }>): SlotPair[] {
  const seen = new Map<string, SlotPair>();
  for (const h of hits) if (h.segment >= 0) seen.set(`${h.segment}:${h.slot}`, { segment: h.segment, slot: h.slot });
  return [...seen.values()];
}

/** the pages of `hitCount` hits (see hitPages), labelled "pages of the N hits of <of>" */
export function hitsSelection(pages: SlotPair[], hitCount: number, of: string): ExportSelection {
  const label = `pages of the ${hitCount} hit${hitCount === 1 ? '' : 's'} of ${of}`;
  return { label: label.length > EXPORT_LABEL_MAX ? label.slice(0, EXPORT_LABEL_MAX - 1) + '…' : label, slots: pages };
}
