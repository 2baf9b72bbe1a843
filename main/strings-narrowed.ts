// A strings pass with a "Containing" filter, answered without extracting every string of every page.
//
// Core's pass (Case.strings) extracts every printable run of every decoded page on the workers, sends
// them all to the coordinating thread and only there keeps those containing the filter: on a
// 500,000-page case that is tens of millions of strings built and copied to keep a handful (about 50 s
// for "http" here). A string holding the filter lies in a page holding the filter's bytes, so a
// case-insensitive search for those bytes (as ASCII and/or UTF-16LE, the encodings asked for) finds
// every page that can hold one, about ten times faster; only those pages are then read and their strings
// extracted and filtered exactly as core does. The result is the same list in the same order.
//
// The filter is lower-cased first, as core compares it (so U+212A KELVIN SIGN searches as "k"). Where
// the equivalence is not plain, core's own pass runs instead: a lower-cased filter with a character
// outside printable ASCII (no string can hold it), and a filter so common that the search reaches its
// hit cap (core's pass then fills the list limit quickly anyway).
import type { StringHit, StringsResult } from '../core/search/types';
import { extractStrings } from '../core/search/strings';
import type { FacadeCase } from './facade';

/** hits past which the search is no shortcut any more and core's pass runs instead */
export const NARROW_HIT_CAP = 1_000_000;

export interface NarrowedOptions {
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number; total: number; message?: string }) => void;
  ascii?: boolean;
  utf16?: boolean;
  filter?: string;
  maxStrings?: number;
  onString?: (s: StringHit) => void;
  /** for tests: the hit cap above */
  hitCap?: number;
}

/** printable ASCII and tab: the only characters a string can hold (core/search/strings.ts) */
const PRINTABLE_TEXT = /^[\t\x20-\x7e]+$/;

export function canNarrow(filter: string | undefined): filter is string {
  return !!filter && PRINTABLE_TEXT.test(filter.toLowerCase());
}

export async function stringsNarrowed(c: Pick<FacadeCase, 'search' | 'page' | 'strings'>, min: number, opts: NarrowedOptions): Promise<StringsResult> {
  const { filter, hitCap = NARROW_HIT_CAP, ...rest } = opts;
  if (!canNarrow(filter)) return c.strings(min, { ...rest, ...(filter ? { filter } : {}) });
  const t0 = Date.now();
  const ascii = opts.ascii ?? true;
  const utf16 = opts.utf16 ?? true;
  const needle = filter.toLowerCase();
  const max = opts.maxStrings ?? Infinity;

  // 1. the pages whose bytes hold the filter in an encoding asked for, any ASCII case
  const pages = new Map<number, Set<number>>();
  const found = await c.search(
    { strings: [needle], utf16, ascii, ignoreCase: true, context: 0 },
    {
      signal: opts.signal,
      maxHits: hitCap,
      onProgress: (p) => opts.onProgress?.({ ...p, phase: 'strings', message: `finding the pages that hold “${filter}”` }),
      onHit: (h) => {
        // single-value pages (segment -1) are not part of a strings pass
        if (h.segment < 0) return;
        let s = pages.get(h.segment);
        if (!s) pages.set(h.segment, (s = new Set()));
        s.add(h.slot);
      },
    },
  );
  if (found.cancelled) return { strings: 0, scanned: 0, pagesScanned: 0, cancelled: true, limited: false, seconds: (Date.now() - t0) / 1000 };
  if (found.limited) return c.strings(min, { ...rest, filter });

  // 2. those pages' strings, in core's order: segment, slot, offset (ASCII first at one offset)
  const list: Array<[number, number]> = [];
  for (const [seg, slots] of pages) for (const slot of slots) list.push([seg, slot]);
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let kept = 0;
  let scanned = 0;
  let limited = false;
  let last = 0;
  for (let i = 0; i < list.length && !limited; i++) {
    if (opts.signal?.aborted) return { strings: kept, scanned, pagesScanned: found.pagesScanned, cancelled: true, limited: false, seconds: (Date.now() - t0) / 1000 };
    const [segment, slot] = list[i]!;
    const now = Date.now();
    if (now - last >= 100) {
      last = now;
      opts.onProgress?.({ phase: 'strings-pages', done: i, total: list.length, message: `reading the ${list.length} page${list.length === 1 ? '' : 's'} that hold “${filter}”` });
    }
    const p = c.page(segment, slot);
    if (!p.page) continue;
    extractStrings(p.page, { min }, (offset, text, encoding) => {
      if (limited) return;
      scanned++;
      if (encoding === 'ascii' ? !ascii : !utf16) return;
      if (!text.toLowerCase().includes(needle)) return;
      kept++;
      opts.onString?.({ segment, slot, offset, encoding, text });
      if (kept >= max) limited = true;
    });
  }
  return { strings: kept, scanned, pagesScanned: found.pagesScanned, cancelled: false, limited, seconds: (Date.now() - t0) / 1000 };
}
