// Hit records: where a match is (segment, slot, offset within the decompressed page), what matched, which
// pattern, the slot's kind and state, and context bytes either side (never beyond the page: pages are not
// contiguous, so the bytes after a page's end belong to an unrelated page).

import type { SlotRecord } from '../darwin/types';
import type { Matcher } from './matcher';

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
  kind: SlotRecord['kind'];
  state: string;
  /** up to `context` bytes before the match, hex */
  before: string;
  /** up to `context` bytes after the match, hex */
  after: string;
}

/** A full hit record for one match in one page. */
export function makeHit(record: SlotRecord, page: Uint8Array, offset: number, length: number, pattern: string, context: number): SearchHit {
  const buf = Buffer.isBuffer(page) ? page : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  const start = Math.max(0, Math.min(offset, buf.length));
  const end = Math.min(buf.length, start + length);
  return {
    segment: record.segment,
    slot: record.slot,
    offset,
    length,
    match: buf.toString('hex', start, end),
    pattern,
    kind: record.kind,
    state: record.state,
    before: buf.toString('hex', Math.max(0, start - context), start),
    after: buf.toString('hex', end, Math.min(buf.length, end + context)),
  };
}

/** Every hit of the matcher in one page, as full records, in page order. */
export function hitsFor(matcher: Matcher, record: SlotRecord, page: Uint8Array, context: number = matcher.context): SearchHit[] {
  const hits: SearchHit[] = [];
  matcher.scanPage(page, (offset, length, pattern) => hits.push(makeHit(record, page, offset, length, pattern, context)));
  return hits;
}
