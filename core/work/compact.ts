// A segment's decode outcomes as typed arrays: what workers send back and what a Case keeps.
// A million slots as objects with hex strings would cost the coordinating thread seconds of
// structured cloning and garbage collection; as arrays they cross threads as one transfer and
// become SlotRecord objects only when someone asks for them.
import type { SlotKind, SlotRecord } from '../darwin/types';
import { SLOT_KINDS, isDecodedKind } from '../darwin/types';
import crypto from 'node:crypto';
import type { SealedOrigin } from '../darwin/sealed';

export interface CompactSlots {
  segment: number;
  state: string;
  count: number;
  slot: Int32Array;
  kind: Uint8Array;
  offset: Int32Array;
  size: Int32Array;
  /** 32 bytes per slot; meaningful where hasSha[i] = 1 */
  sha: Uint8Array;
  hasSha: Uint8Array;
  /** the rare per-slot strings (errors, single values), by index */
  extras: { i: number; error?: string; value?: string }[];
  /** where every slot's bytes came from, for a segment read from a swap file or decrypted in RAM */
  origin?: SealedOrigin;
}

const KIND_CODE = new Map<SlotKind, number>(SLOT_KINDS.map((k, i) => [k, i]));

// One-shot hashing (Node >= 20.12) skips the Hash object per page. Its 'buffer' output allocates a
// Buffer per page and measured slower than a string; a latin1 string is the 32 digest bytes as 32
// one-byte characters, written back into the builder's array without parsing hex.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'binary') => string }).hash;
function digestLatin1(page: Uint8Array): string {
  return oneShot ? oneShot('sha256', page, 'binary') : crypto.createHash('sha256').update(page).digest('binary');
}

/** whether a kind is a decoded page (the other kinds carry no page: corrupt, swapped, encrypted?) */
const DECODED_CODE = new Uint8Array(SLOT_KINDS.map((k) => (isDecodedKind(k) ? 1 : 0)));

/**
 * Keeps `sha256` (hex, of slot i's page as decoded now) unless a hash was kept before: a hash is taken
 * where it is first needed and kept. Returns the hash kept before when it differs (the page decoded
 * differently), else null.
 */
export function noteHash(c: CompactSlots, i: number, sha256: string): string | null {
  const view = Buffer.from(c.sha.buffer, c.sha.byteOffset + 32 * i, 32);
  if (c.hasSha[i]) {
    const before = view.toString('hex');
    return before === sha256 ? null : before;
  }
  view.write(sha256, 0, 32, 'hex');
  c.hasSha[i] = 1;
  return null;
}

/** the SHA-256 (hex) kept for slot i, or undefined */
export function compactHash(c: CompactSlots, i: number): string | undefined {
  return c.hasSha[i] ? Buffer.from(c.sha.buffer, c.sha.byteOffset + 32 * i, 32).toString('hex') : undefined;
}

/** the index of `slot` in the compact outcome, or -1 */
export function compactIndex(c: CompactSlots, slot: number, hint = -1): number {
  if (hint >= 0 && hint < c.count && c.slot[hint] === slot) return hint;
  return c.slot.subarray(0, c.count).indexOf(slot);
}

/** how many decoded pages have no SHA-256 kept yet */
export function unhashedPages(c: CompactSlots): number {
  let n = 0;
  for (let i = 0; i < c.count; i++) if (DECODED_CODE[c.kind[i]!] && !c.hasSha[i]) n++;
  return n;
}

/**
 * Copies into `into` the hashes `from` has and `into` lacks (the same segment decoded again, with
 * hashing): what was kept before stays. Slots are matched by slot number.
 */
export function mergeHashes(into: CompactSlots, from: CompactSlots): void {
  for (let j = 0; j < from.count; j++) {
    if (!from.hasSha[j]) continue;
    const i = compactIndex(into, from.slot[j]!, j);
    if (i < 0 || into.hasSha[i]) continue;
    into.sha.set(from.sha.subarray(32 * j, 32 * j + 32), 32 * i);
    into.hasSha[i] = 1;
  }
}

export class CompactBuilder {
  private n = 0;
  readonly slot: Int32Array;
  readonly kind: Uint8Array;
  readonly offset: Int32Array;
  readonly size: Int32Array;
  readonly sha: Uint8Array;
  readonly hasSha: Uint8Array;
  readonly extras: CompactSlots['extras'] = [];

  constructor(
    readonly segment: number,
    readonly state: string,
    capacity: number,
  ) {
    // one buffer for every array so the whole result is a single transfer
    const bytes = capacity * (4 * 3 + 1 + 1 + 32);
    const buf = new ArrayBuffer(bytes);
    let at = 0;
    this.slot = new Int32Array(buf, at, capacity);
    at += 4 * capacity;
    this.offset = new Int32Array(buf, at, capacity);
    at += 4 * capacity;
    this.size = new Int32Array(buf, at, capacity);
    at += 4 * capacity;
    this.sha = new Uint8Array(buf, at, 32 * capacity);
    at += 32 * capacity;
    this.kind = new Uint8Array(buf, at, capacity);
    at += capacity;
    this.hasSha = new Uint8Array(buf, at, capacity);
    this.shaView = Buffer.from(buf, this.sha.byteOffset, this.sha.byteLength);
  }

  private readonly shaView: Buffer;
  private origin: SealedOrigin | undefined;

  /** one slot's outcome from its record; `page` (the decoded page, or null) is hashed when `hash` */
  add(rec: SlotRecord, page: Uint8Array | null, hash: boolean): void {
    if (rec.source && !this.origin) {
      this.origin = { source: rec.source, ...(rec.swapFile ? { swapFile: rec.swapFile } : {}), ...(rec.swapOffset ? { swapOffset: rec.swapOffset } : {}) };
    }
    this.addSlot(rec.slot, rec.kind, rec.offset, rec.compressedSize, page, rec.error, rec.value, hash);
  }

  /**
   * One slot's outcome from its fields (the walk's hot path: no record object per slot). `page` is
   * the decoded page or null; with `hash` its SHA-256 is stored as 32 raw bytes.
   */
  addSlot(slot: number, kind: SlotKind, offset: number, size: number, page: Uint8Array | null, error: string | undefined, value: string | undefined, hash: boolean): void {
    const i = this.n++;
    this.slot[i] = slot;
    this.kind[i] = KIND_CODE.get(kind)!;
    this.offset[i] = offset;
    this.size[i] = size;
    if (page !== null && hash) {
      this.shaView.write(digestLatin1(page), 32 * i, 32, 'latin1');
      this.hasSha[i] = 1;
    }
    if (error !== undefined || value !== undefined) {
      this.extras.push({ i, ...(error !== undefined ? { error } : {}), ...(value !== undefined ? { value } : {}) });
    }
  }

  finish(): CompactSlots {
    return {
      segment: this.segment,
      state: this.state,
      count: this.n,
      slot: this.slot,
      kind: this.kind,
      offset: this.offset,
      size: this.size,
      sha: this.sha,
      hasSha: this.hasSha,
      extras: this.extras,
      ...(this.origin ? { origin: this.origin } : {}),
    };
  }

  get buffer(): ArrayBuffer {
    return this.slot.buffer as ArrayBuffer;
  }
}

export function compactKindCounts(c: CompactSlots, into: Partial<Record<SlotKind, number>>): void {
  for (let i = 0; i < c.count; i++) {
    const k = SLOT_KINDS[c.kind[i]!]!;
    into[k] = (into[k] ?? 0) + 1;
  }
}

/** the SlotRecord objects, in the order they were added */
export function expandCompact(c: CompactSlots): SlotRecord[] {
  const extras = new Map(c.extras.map((e) => [e.i, e]));
  const out: SlotRecord[] = new Array(c.count);
  const sha = Buffer.from(c.sha.buffer, c.sha.byteOffset, c.sha.byteLength);
  for (let i = 0; i < c.count; i++) {
    const rec: SlotRecord = {
      segment: c.segment,
      slot: c.slot[i]!,
      state: c.state,
      kind: SLOT_KINDS[c.kind[i]!]!,
      offset: c.offset[i]!,
      compressedSize: c.size[i]!,
    };
    if (c.hasSha[i]) rec.sha256 = sha.toString('hex', 32 * i, 32 * i + 32);
    const e = extras.get(i);
    if (e?.error !== undefined) rec.error = e.error;
    if (e?.value !== undefined) rec.value = e.value;
    if (c.origin) Object.assign(rec, c.origin);
    out[i] = rec;
  }
  return out;
}
