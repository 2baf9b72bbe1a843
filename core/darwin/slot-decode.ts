// Decoding one segment's live slots from its buffer bytes: pure, no I/O (worker threads run this).
// Kinds follow xnu's own order of tests in c_decompress_page: a slot whose size is the page size is
// a raw copy, a 4-byte slot a single value (10.11+), else the codec bit chooses LZ4 (arm64) and
// otherwise the stream is WKdm, or MZV when it starts with the 0x4321 marker (10.11+).
import * as crypto from 'node:crypto';
import { classifyStream, decodePage, type PageKind } from '../codecs/page';
import type { Hole } from '../translate/present';
import type { SlotKind, SlotRecord } from './types';

/** one live slot to decode; offset and size in bytes (size unpacked: PAGE_SIZE−1 already mapped back) */
export interface SlotMeta {
  slot: number;
  offset: number;
  size: number;
  codec: 0 | 1;
}

export interface DecodeContext {
  segment: number;
  /** the kernel's state name, copied into every record */
  state: string;
  pageSize: number;
  dictPreset: 0 | 1;
  arch: 'x86_64' | 'arm64';
  /** segment buffer VA (hex); lets a missing-page error name the absent virtual address */
  bufferVa?: string;
  /**
   * decodeSegmentSlots only: false leaves each record without its page's SHA-256 (a page's hash is
   * taken where it is shown or written, not by every pass that decodes it)
   */
  hash?: boolean;
}

/** reusable page buffer (one per worker) */
export interface DecodeScratch {
  page: Uint8Array;
}

export function createScratch(pageSize: number): DecodeScratch {
  return { page: new Uint8Array(pageSize) };
}

// one-shot crypto.hash (Node ≥ 20.12) skips the Hash object per page; createHash elsewhere
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'hex') => string }).hash;
const sha256hex = oneShot
  ? (b: Uint8Array): string => oneShot('sha256', b, 'hex')
  : (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

const hex32 = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function holeText(ctx: DecodeContext, h: Hole): string {
  const off = '0x' + h.from.toString(16);
  if (!ctx.bufferVa) return `buffer bytes from offset ${off} are not present in the image (${h.error})`;
  const va = BigInt(ctx.bufferVa) + BigInt(h.from);
  return `buffer page at 0x${va.toString(16)} (offset ${off}) is not present in the image (${h.error})`;
}

function where(ctx: DecodeContext, s: SlotMeta): string {
  return `segment ${ctx.segment} slot ${s.slot} at buffer offset 0x${s.offset.toString(16)}`;
}

/**
 * What the record-free decode loop reports per slot: `i` is the slot's place in `slots`, `kind` what
 * it decoded as ('corrupt' with `error` when it did not), `page` the scratch page (valid only during
 * the call) or null, `value` the repeated word (hex) of a single-value slot.
 */
export type SlotSink = (i: number, kind: SlotKind, page: Uint8Array | null, error: string | undefined, value: string | undefined) => void;

/**
 * Decode every slot of `slots` from `bytes` (the buffer as read; `holes` = the pages the image lacks,
 * sorted) and call `sink` once per slot, in order. Only a slot that touches a hole is lost, and its
 * error names the first absent page it touches. Allocates nothing per decoded slot (the walk's hot
 * loop: a record object per slot costs more in garbage collection than the bookkeeping it saves).
 * Never throws on bad data. Does not hash.
 */
export function decodeSlots(bytes: Uint8Array, holes: readonly Hole[] | undefined, slots: readonly SlotMeta[], ctx: DecodeContext, sink: SlotSink, scratch?: DecodeScratch): void {
  const pageSize = ctx.pageSize;
  const page = scratch && scratch.page.length === pageSize ? scratch.page : new Uint8Array(pageSize);
  const opts = { pageSize: pageSize as 4096 | 16384, dictPreset: ctx.dictPreset };
  const gaps = holes ?? [];
  const dict = ctx.dictPreset;
  let h0 = 0; // holes before this are behind every later slot only if slots ascend; checked below
  let prevOffset = -1;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const start = s.offset;
    const end = start + s.size;
    if (start < prevOffset) h0 = 0;
    prevOffset = start;
    let gap: Hole | null = null;
    for (let h = h0; h < gaps.length; h++) {
      const g = gaps[h]!;
      if (g.from >= end) break;
      if (g.to > start) {
        gap = g;
        break;
      }
      // a hole wholly before this slot is before every later slot too, while offsets ascend
      h0 = h + 1;
    }
    if (gap !== null || end > bytes.length) {
      sink(
        i,
        'corrupt',
        null,
        gap !== null ? `${where(ctx, s)}: ${holeText(ctx, gap)}` : `${where(ctx, s)}: slot ends at byte 0x${end.toString(16)}, past the 0x${bytes.length.toString(16)} bytes read`,
        undefined,
      );
      continue;
    }
    const src = bytes.subarray(start, end);
    let kind: PageKind = classifyStream(src, pageSize, dict);
    if (s.codec === 1 && (kind === 'wkdm' || kind === 'mzv')) kind = 'lz4';
    try {
      decodePage(kind, src, page, opts);
    } catch (err) {
      sink(i, 'corrupt', null, `${where(ctx, s)}: ${(err as Error)?.message ?? String(err)}`, undefined);
      continue;
    }
    sink(i, kind, page, undefined, kind === 'single' ? hex32(src[0]! | (src[1]! << 8) | (src[2]! << 16) | (src[3]! << 24)) : undefined);
  }
}

/**
 * Decode every slot of `slots` from `bytes` (see decodeSlots) and call `onPage` once per slot, in
 * order, with its record. `page` is the scratch buffer — valid only during the call — or null when
 * the slot could not be decoded (kind 'corrupt', `error` says where and why). The record carries the
 * page's SHA-256 unless `ctx.hash` is false. Never throws on bad data.
 */
export function decodeSegmentSlots(
  bytes: Uint8Array,
  holes: readonly Hole[] | undefined,
  slots: readonly SlotMeta[],
  ctx: DecodeContext,
  onPage: (rec: SlotRecord, page: Uint8Array | null) => void,
  scratch?: DecodeScratch,
): void {
  const hash = ctx.hash !== false;
  decodeSlots(
    bytes,
    holes,
    slots,
    ctx,
    (i, kind, page, error, value) => {
      const s = slots[i]!;
      const rec: SlotRecord = { segment: ctx.segment, slot: s.slot, state: ctx.state, kind, offset: s.offset, compressedSize: s.size };
      if (error !== undefined) rec.error = error;
      if (value !== undefined) rec.value = value;
      if (page && hash) rec.sha256 = sha256hex(page);
      onPage(rec, page);
    },
    scratch,
  );
}
