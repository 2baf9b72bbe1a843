// What the compressor walk reports. These are the shapes the CLI prints, the app shows, and search
// and export consume; keep them plain data (JSON-safe: 64-bit values as hex strings).

export type Family = 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9';

/** how a live slot's bytes are stored, or why it was not decoded */
export type SlotKind = 'wkdm' | 'lz4' | 'raw' | 'single' | 'mzv' | 'corrupt' | 'swapped' | 'encrypted?';
export const SLOT_KINDS: readonly SlotKind[] = ['wkdm', 'lz4', 'raw', 'single', 'mzv', 'corrupt', 'swapped', 'encrypted?'];

/** whether a slot of this kind was decoded to a page (the other kinds say why it was not) */
export function isDecodedKind(kind: SlotKind): boolean {
  return kind === 'wkdm' || kind === 'lz4' || kind === 'raw' || kind === 'single' || kind === 'mzv';
}

export interface SlotRecord {
  segment: number;
  slot: number;
  /** the kernel's state name of the owning segment (e.g. C_ON_AGE_Q) */
  state: string;
  kind: SlotKind;
  /** byte offset of the slot's data in the segment buffer (c_offset × 4) */
  offset: number;
  /** unpacked c_size in bytes */
  compressedSize: number;
  /**
   * SHA-256 (hex) of the decompressed page; absent when the page was not decoded, or not yet hashed
   * (a walk decodes without hashing: ask `Case.slots(segment, { hashes: true })` for it)
   */
  sha256?: string;
  /** what went wrong, where (present when kind is corrupt, and for unreadable buffers) */
  error?: string;
  /** for kind 'single': the 32-bit value (hex) the page repeats */
  value?: string;
  /** where the bytes came from when not plainly from RAM: a swap file, or a buffer decrypted in place */
  source?: 'swap' | 'decrypted';
  /** the swap file read (path as given) */
  swapFile?: string;
  /** byte offset (hex) of the segment's chunk in that swap file */
  swapOffset?: string;
}

export interface SwapLocation {
  /** the raw c_swap_handle (hex) */
  handle: string;
  /** swap file index (handle >> 33) */
  fileIndex: number;
  /** byte offset in that swap file */
  offset: number;
  /** swap file path read from the kernel's swapfile list, when found */
  path?: string;
}

export interface SegmentSummary {
  index: number;
  /** kernel virtual address of the c_segment (hex) */
  address: string;
  /** c_state value (10.11+); null on 10.9–10.10, whose state is derived from flag bits */
  state: number | null;
  stateName: string;
  /** true when the compressed bytes are in RAM and were decoded */
  resident: boolean;
  busy: boolean;
  busySwapping: boolean;
  /** data may be ciphertext (being swapped out); never decoded */
  possiblyEncrypted: boolean;
  nextSlot: number;
  firstEmptySlot: number;
  slotsUsed: number | null;
  bytesUsed: number;
  bytesUnused: number;
  nextOffset: number;
  populatedOffset: number;
  creationTs: number;
  swappedInTs: number | null;
  agedInTs: number | null;
  generationId: string | null;
  buffer: string | null;
  swap: SwapLocation | null;
  liveSlots: number;
  kinds: Partial<Record<SlotKind, number>>;
  /** sum of unpacked sizes of live slots */
  compressedBytes: number;
  /** live slots × page size */
  uncompressedBytes: number;
  problems: string[];
}

export interface SvEntry {
  index: number;
  /** the 32-bit value (hex) */
  value: string;
  refCount: number;
}

export interface ConsistencyCheck {
  name: string;
  expected: number;
  found: number;
  ok: boolean;
  note?: string;
}

export interface Consistency {
  ok: boolean;
  checks: ConsistencyCheck[];
}

export interface CompressorSummary {
  family: Family;
  /** where the struct layouts came from */
  layoutSource: 'isf' | 'built-in';
  familyReason: string;
  pageSize: number;
  dictPreset: 0 | 1;
  segmentsAvailable: number;
  segmentCount: number;
  pagesCompressed: number;
  /** count of segments by state name */
  segments: Record<string, number>;
  /** count of live slots by kind */
  slots: Partial<Record<SlotKind, number>>;
  singleValue: SvEntry[];
  consistency: Consistency;
  compressedBytes: number;
  uncompressedBytes: number;
  problems: string[];
}
