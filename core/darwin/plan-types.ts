// The compressor walk plan: what planCompressor (compressor-plan.ts) hands to the buffer readers and
// decoders (segment-buffer.ts, slot-decode.ts, core/work). Plain data, shared by the planning modules
// without importing each other.
import type { DarwinArch } from './layouts';
import type { SlotMeta } from './slot-decode';
import type { Family, SegmentSummary, SlotRecord, SvEntry } from './types';

export interface PlanOptions {
  /** KASLR slide added to every symbol address (default 0) */
  slide?: bigint;
  /** ignore the ISF's compressor types and use the built-in layout of the detected family */
  forceBuiltIn?: boolean;
  /** follow swf_global_queue to name swap files (default true) */
  resolveSwapPaths?: boolean;
}

/** how c_slot.c_packed_ptr unpacks to the VA of the pager's compressor_slot_t (JSON-safe) */
export interface SlotPacking {
  /** hex */
  base: string;
  bits: number;
  shift: number;
  baseRelative: boolean;
  /** "global c_slot_packing_params" or "built-in (…)" */
  source: string;
}

export interface CompressorHeader {
  family: Family;
  familyReason: string;
  layoutSource: 'isf' | 'built-in';
  arch: DarwinArch;
  pageSize: number;
  dictPreset: 0 | 1;
  /** "4570.71.2", or null when the version was not known */
  xnu: string | null;
  bufSize: number;
  allocSize: number;
  fixedArrayLen: number;
  segmentsAvailable: number;
  segmentCount: number;
  pagesCompressed: number;
  segmentsLimit: number | null;
  segmentsBusy: boolean | null;
  freeSegnoHead: number | null;
  compressorMode: number | null;
  currentCodec: number | null;
  /** c_segments (hex VA of the table) */
  table: string;
  /** c_buffers (hex) on 10.11+ */
  buffers: string | null;
  swapFiles: Array<{ index: number; path: string }>;
  /** table entries that are free-list links (or stale pointers left in them) */
  freeEntries: number;
  /** entries that point at something that is not a live segment (C_IS_FREE, wrong c_mysegno, unreadable) */
  ignored: Array<{ index: number; value: string; reason: string }>;
  /** c_slot layout: 8-byte x86_64 / arm64, or the 12-byte M1 popcount slot */
  slotVariant: 'x86_64' | 'arm64' | 'arm64-popcount';
  slotPacking: SlotPacking;
}

export interface SegmentPlan {
  /** counts by kind are filled as records arrive (tallySlot); the rest is final */
  summary: SegmentSummary;
  bufferVa: bigint | null;
  /** bytes of the buffer to read: min(c_nextoffset, c_populated_offset) × 4, within the segment size */
  readLength: number;
  /** live slots to decode */
  slots: SlotMeta[];
  /** live slots already final: swapped, encrypted?, corrupt by their metadata */
  undecoded: SlotRecord[];
  /** live slots by metadata (c_size != 0, or unreadable metadata) */
  liveSlots: number;
  /** Σ live slot sizes rounded up to 4 (compare with c_bytes_used) */
  roundedBytes: number;
  /**
   * c_packed_ptr of every slot index below c_nextslot, as read (packed; −1 where the slot metadata
   * was unreadable). Unpack with slotBackPointer(); exact as a double (≤ 47 bits).
   */
  packedPtrs: Float64Array;
  /** swapped-out or encrypted-in-place segments: every live slot's metadata, for decoding once decrypted */
  sealedSlots?: SlotMeta[];
}

export interface CompressorPlan {
  header: CompressorHeader;
  segments: SegmentPlan[];
  sv: SvEntry[];
  problems: string[];
}
