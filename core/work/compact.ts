// A segment's decode outcomes as typed arrays: what workers send back and what a Case keeps.
// A million slots as objects with hex strings would cost the coordinating thread seconds of
// structured cloning and garbage collection; as arrays they cross threads as one transfer and
// become SlotRecord objects only when someone asks for them.
import type { SlotKind, SlotRecord } from '../darwin/types';
import { SLOT_KINDS } from '../darwin/types';
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
  }

  private shaView: Buffer | null = null;
  private origin: SealedOrigin | undefined;

  /** `digest` is the page's SHA-256 (hex), or null when the page was not decoded */
  add(rec: SlotRecord, digest: string | null): void {
    const i = this.n++;
    if (rec.source && !this.origin) {
      this.origin = { source: rec.source, ...(rec.swapFile ? { swapFile: rec.swapFile } : {}), ...(rec.swapOffset ? { swapOffset: rec.swapOffset } : {}) };
    }
    this.slot[i] = rec.slot;
    this.kind[i] = KIND_CODE.get(rec.kind)!;
    this.offset[i] = rec.offset;
    this.size[i] = rec.compressedSize;
    if (digest) {
      this.shaView ??= Buffer.from(this.sha.buffer, this.sha.byteOffset, this.sha.byteLength);
      this.shaView.write(digest, 32 * i, 32, 'hex');
      this.hasSha[i] = 1;
    }
    if (rec.error !== undefined || rec.value !== undefined) {
      this.extras.push({ i, ...(rec.error !== undefined ? { error: rec.error } : {}), ...(rec.value !== undefined ? { value: rec.value } : {}) });
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
