// Hit records: where a match is (segment, slot, offset within the decompressed page), what matched, which
// pattern, the slot's kind and state, and context bytes either side (never beyond the page: pages are not
// contiguous, so the bytes after a page's end belong to an unrelated page).

import type { SlotRecord } from '../darwin/types';
import type { SearchHit } from './types';

export type { SearchHit } from './types';

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
