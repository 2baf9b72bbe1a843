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
}
