// Segments whose bytes are not plainly in RAM ("sealed"): swapped out to a swap file, or encrypted
// in place while being written out. Once a chunk is decrypted its slots decode like resident ones —
// but a wrong key, a file from another boot or a reused chunk decrypts to noise without any error,
// and a raw or single-value slot of noise looks like any other bytes. So the segment is judged as a
// whole: every WKdm, MZV and LZ4 slot must decode exactly as its metadata says (WKdm: the header's
// end of stream equals c_size), and there must be at least one such slot; otherwise no slot of the
// segment gets a page, and every record carries the reason.
import { decodeSegmentSlots, type DecodeContext, type DecodeScratch, type SlotMeta } from './slot-decode';
import { holeIn, type Hole } from '../translate/present';
import type { SlotRecord } from './types';
import type { SwapCipher } from './swap-crypto';

/** the words of a refusal because decrypted slots do not decode (a whole file of these: not this image's file) */
export const REFUSED_MISMATCH = 'compressed slots do not decode as their metadata says';

export interface SealedOrigin {
  source: 'swap' | 'decrypted';
  swapFile?: string;
  /** byte offset of the segment's chunk in the swap file (hex) */
  swapOffset?: string;
}

/** a slot stored by one of the codecs (not a raw page, not a 4-byte single value) */
export function isCodecSlot(s: SlotMeta, pageSize: number, dictPreset: 0 | 1): boolean {
  return s.size !== pageSize && !(s.size === 4 && dictPreset === 0);
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * Decode a decrypted segment and judge it. `onPage` is called once per slot, in order, exactly as
 * decodeSegmentSlots does, either with the decoded pages (records marked with `origin`) or, when
 * the segment is refused, with `refusedKind` records carrying the reason and no page.
 * Returns the refusal reason, or null when the segment was accepted.
 */
export function decodeSealedSlots(
  bytes: Uint8Array,
  holes: readonly Hole[] | undefined,
  slots: readonly SlotMeta[],
  ctx: DecodeContext,
  origin: SealedOrigin,
  refusedKind: 'swapped' | 'encrypted?',
  onPage: (rec: SlotRecord, page: Uint8Array | null) => void,
  scratch?: DecodeScratch,
): string | null {
  const ps = ctx.pageSize;
  const recs: SlotRecord[] = [];
  // pages are held until the whole segment has been judged; a memcpy per page is cheap next to decoding
  const held = new Uint8Array(slots.length * ps);
  const has = new Uint8Array(slots.length);
  decodeSegmentSlots(
    bytes,
    holes,
    slots,
    ctx,
    (rec, page) => {
      const i = recs.length;
      recs.push(rec);
      if (page) {
        held.set(page, i * ps);
        has[i] = 1;
      }
    },
    scratch,
  );
  let checked = 0;
  let failed = 0;
  let first = '';
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    // a page the image lacks says nothing about the key
    if ((holes && holeIn(holes, s.offset, s.offset + s.size)) || !isCodecSlot(s, ps, ctx.dictPreset)) continue;
    checked++;
    const r = recs[i]!;
    let why: string | null = null;
    if (r.kind === 'corrupt') why = r.error ?? 'does not decode';
    else if (r.kind === 'wkdm' && u32le(bytes, s.offset + 8) * 4 !== s.size) {
      why = `WKdm stream ends at byte ${u32le(bytes, s.offset + 8) * 4}, but c_size is ${s.size}`;
    }
    if (why !== null) {
      failed++;
      if (!first) first = `slot ${s.slot}: ${why.replace(/^segment \d+ slot \d+(?: at buffer offset 0x[0-9a-f]+)?: /, '')}`;
    }
  }
  let refusal: string | null = null;
  if (checked === 0) refusal = 'no WKdm, MZV or LZ4 slot to check the decryption against (only raw or single-value slots)';
  else if (failed > 0) {
    refusal = `${failed} of ${checked} ${REFUSED_MISMATCH} after decryption (first: ${first}): the wrong key, a swap file from another boot or machine, or a chunk since reused`;
  }
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    if (refusal !== null) {
      const out: SlotRecord = { segment: r.segment, slot: r.slot, state: r.state, kind: refusedKind, offset: r.offset, compressedSize: r.compressedSize };
      out.error = `segment ${r.segment} slot ${r.slot}: ${refusal}`;
      onPage(out, null);
      continue;
    }
    Object.assign(r, origin);
    onPage(r, has[i] ? held.subarray(i * ps, (i + 1) * ps) : null);
  }
  return refusal;
}

/** what a worker needs to read, decrypt and judge one sealed segment (plain data: crosses threads) */
export interface SealedJob {
  origin: SealedOrigin;
  refusedKind: 'swapped' | 'encrypted?';
  cipher: SwapCipher;
  /** the c_segment's kernel address (hex): the IV/tweak input */
  segVa: string;
  /** chunk bytes: round_page(c_populated_offset × 4) */
  length: number;
  /** swapped out: the chunk in a swap file (else the ciphertext is read from RAM through `read`) */
  file?: { path: string; offset: number };
  /** the job's bytes are already the plaintext (a buffer kept from an earlier pass) */
  plain?: boolean;
  /** why the chunk could not be had (set while loading) */
  failed?: string;
}
