// The shapes search reports: plain data, no Node imports, so the renderer (through core/api.ts) and
// worker threads share them.
import type { SlotKind } from '../darwin/types';

export interface SearchHit {
  segment: number;
  slot: number;
  /** byte offset within the decompressed page */
  offset: number;
  length: number;
  /** the matched bytes, hex */
  match: string;
  /** the pattern as the user gave it: 'string:"x"', 'utf16:"x"', 'regex:/x/', 'hex:4d 5a ?? 00', 'yara:rule' */
  pattern: string;
  kind: SlotKind;
  state: string;
  /** up to `context` bytes before the match, hex */
  before: string;
  /** up to `context` bytes after the match, hex */
  after: string;
  /** the processes that map the page, and where (va hex); [] when none does or there is no process walk */
  owners?: Array<{ pid: number; va: string }>;
}

/** the columns of a saved hit list, in order (CSV header, JSON keys) */
export const HIT_COLUMNS = ['segment', 'slot', 'offset', 'length', 'kind', 'state', 'pattern', 'match', 'before', 'after'] as const satisfies readonly (keyof SearchHit)[];

/** how a search over a whole case ended */
export interface SearchResult {
  /** hits reported (segment pages and single-value table entries) */
  hits: number;
  /** of those, hits in pages kept only as a single-value table entry (segment -1) */
  singleValueHits: number;
  pagesScanned: number;
  cancelled: boolean;
  /** the hit limit was reached and the search stopped there */
  limited: boolean;
  seconds: number;
  /** pages whose search ran past the per-page time budget and was stopped (their hits may be missing) */
  gaveUp: GaveUp[];
  /** the YARA engine that ran, when the query had rules ("yara-x 1.7.1 (native)", "libyara 4.5.8 (wasm)") */
  yaraEngine?: string;
}

/** a page a search did not finish (a runaway regex stopped at its time budget), reported beside the hits */
export interface GaveUp {
  /** -1 for a page of the single-value table, with its index as `slot` */
  segment: number;
  slot: number;
  reason: string;
}

/** one printable run in a decompressed page */
export interface StringHit {
  segment: number;
  slot: number;
  /** byte offset within the decompressed page */
  offset: number;
  encoding: 'ascii' | 'utf16le';
  text: string;
}

/** how a strings pass over a whole case ended */
export interface StringsResult {
  /** strings kept (matching encoding and filter) and reported */
  strings: number;
  /** strings extracted before filtering */
  scanned: number;
  pagesScanned: number;
  cancelled: boolean;
  /** the limit was reached and extraction stopped there */
  limited: boolean;
  seconds: number;
}
