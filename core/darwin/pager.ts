// Compressor pagers (process-memory.md §4): recognised by their ops table (== &compressor_pager_ops),
// their slots read once in whichever form the pager keeps them — embedded in the pager (10.11+, at
// most 2), one direct array, or indirect 128-slot chunks (NULL chunks hold no page) — and a slot
// mapping value turned into what it names: (segment, slot) or a single-value table entry.
import { UnfoldError } from '../errors';
import { attempt, type KernelContext } from './kernel';
import {
  C_SV_CSEG_ID,
  EMBEDDED_SLOTS,
  IKOT_MEMORY_OBJECT,
  SLOT_CINDX_SHIFT,
  SLOT_CSEG_MASK,
  SLOTS_PER_CHUNK,
  controlIsObject,
  pagerFields,
  type PagerFields,
} from './vm-rules';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export type SlotStorage = 'embedded' | 'direct' | 'indirect';

export interface PagerInfo {
  address: bigint;
  numSlots: number;
  occupied: number | null;
  storage: SlotStorage;
  /** the object the pager's control names (0 when unreadable) */
  object: bigint;
  /** kernel VA of slot `i` and its value; value 0 = "the compressor does not have this page"; null when out of range */
  slot(i: number): { address: bigint; value: number } | null;
  /** every non-zero slot: index, address, value */
  nonZero(): Array<{ index: number; address: bigint; value: number }>;
  /** the value of slot `i` alone (0 when empty, out of range or in a NULL chunk): the bulk walk's fast path */
  valueAt(i: number): number;
  /**
   * Slot `i`'s address as `pack` packs it (a c_packed_ptr value), computed from the array's packed base
   * when `step` (4 bytes in packed units) is whole: one bigint operation per array, not per slot.
   * -1 when the slot has no address (NULL chunk, out of range).
   */
  packedAt(i: number, pack: (address: bigint) => number, step: number): number;
  /**
   * The u32 arrays the slots are kept in: slots first … first + count − 1 at `address` (a NULL or
   * unreadable chunk is no array). The back-pointer join finds the slot mapping at an address by range.
   */
  arrays(): SlotArray[];
}

export interface SlotArray {
  address: bigint;
  first: number;
  count: number;
}

/**
 * Packed bases of a pager's slot arrays, as one `pack` function packs them: asked once per live slot,
 * so kept as numbers by array number (a new `pack` starts afresh).
 */
class PackedBases {
  private pack: ((a: bigint) => number) | null = null;
  private bases: Float64Array;

  constructor(arrays: number) {
    this.bases = new Float64Array(arrays).fill(NaN);
  }

  /** packed value of element `i` of array `n` at `base` */
  at(n: number, base: bigint, i: number, pack: (a: bigint) => number, step: number): number {
    if (!Number.isInteger(step)) return pack(base + BigInt(i * 4));
    if (pack !== this.pack) {
      this.pack = pack;
      this.bases.fill(NaN);
    }
    let b = this.bases[n]!;
    if (b !== b) this.bases[n] = b = pack(base);
    return b + i * step;
  }
}

/** `n` u32 slots at `va`, read straight into their array (one buffer, no copy) */
function readSlots(ctx: KernelContext, va: bigint, n: number): Uint32Array {
  const out = new Uint32Array(n);
  if (n > 0) ctx.space.readInto(va, new Uint8Array(out.buffer), 0, n * 4);
  return out;
}

/** what a slot mapping value names */
export type SlotTarget = { kind: 'empty' } | { kind: 'single'; svIndex: number } | { kind: 'slot'; segment: number; slot: number };

export function decodeSlotValue(v: number): SlotTarget {
  if (v === 0) return { kind: 'empty' };
  const cseg = v & SLOT_CSEG_MASK;
  const cindx = v >>> SLOT_CINDX_SHIFT;
  if (cseg === C_SV_CSEG_ID) return { kind: 'single', svIndex: cindx };
  return { kind: 'slot', segment: cseg - 1, slot: cindx };
}

export class PagerCache {
  private readonly pagers = new Map<bigint, PagerInfo | UnfoldError | null>();
  private readonly f: PagerFields;
  private readonly opsVa: bigint | null;
  private readonly controlIsObject: boolean;
  private readonly slotsOffset: number;
  /** where the ops pointer sits (null when the symbols do not place it: then candidates are read whole) */
  private readonly opsOffset: bigint | null;
  private readonly kindField: string | null;

  constructor(private readonly ctx: KernelContext) {
    this.f = pagerFields(ctx);
    this.opsVa = ctx.tryGlobal('compressor_pager_ops');
    this.controlIsObject = controlIsObject(ctx);
    this.slotsOffset = ctx.field('compressor_pager', 'cpgr_slots').offset;
    const ops = attempt(() => BigInt(ctx.field('compressor_pager', this.f.ops).offset));
    this.opsOffset = ops instanceof UnfoldError ? null : ops;
    this.kindField = ['cpgr_hdr.mo_ikot', 'cpgr_pager_header.io_bits'].find((f) => ctx.hasField('compressor_pager', f)) ?? null;
  }

  /** whether the compressor_pager_ops symbol is known (without it no pager can be recognised) */
  get canRecognise(): boolean {
    return this.opsVa !== null;
  }

  /** the compressor pager at `va`; null when it is some other pager (vnode, device…), the error when unreadable */
  get(va: bigint): PagerInfo | UnfoldError | null {
    let p = this.pagers.get(va);
    if (p === undefined) {
      p = attempt(() => this.read(va));
      this.pagers.set(va, p);
    }
    return p;
  }

  /** the pagers read so far that are compressor pagers */
  *all(): Generator<PagerInfo> {
    for (const p of this.pagers.values()) if (p !== null && !(p instanceof UnfoldError)) yield p;
  }

  /**
   * The compressor pager whose embedded slots hold `slotAddress`, if any (the one storage form a
   * back-pointer identifies alone): the pager header must carry the ops table and the memory-object kind.
   */
  embeddedOwner(slotAddress: bigint): { pager: PagerInfo; index: number } | null {
    if (this.f.eslots === null || this.opsVa === null) return null;
    const low = Number(slotAddress & 0xfn);
    for (let i = 0; i < EMBEDDED_SLOTS; i++) {
      // pagers are zone elements, at least 16-byte aligned: other candidates are not worth a read
      if ((low - this.slotsOffset - 4 * i) % 16 !== 0) continue;
      const va = slotAddress - BigInt(this.slotsOffset + 4 * i);
      // nearly every candidate is no pager: its ops word alone says so, without reading it as one
      if (this.opsOffset !== null && !this.pagers.has(va) && !this.opsAt(va, this.opsOffset)) continue;
      const p = this.get(va);
      if (p !== null && !(p instanceof UnfoldError) && p.storage === 'embedded') return { pager: p, index: i };
    }
    return null;
  }

  /** whether the word at the ops field of `va` is &compressor_pager_ops (false when unreadable) */
  private opsAt(va: bigint, opsOffset: bigint): boolean {
    try {
      return this.ctx.readPointer(va + opsOffset) === this.opsVa;
    } catch (err) {
      if (err instanceof UnfoldError) return false;
      throw err;
    }
  }

  private read(va: bigint): PagerInfo | null {
    const ctx = this.ctx;
    const f = this.f;
    if (this.opsVa === null) return null;
    const o = ctx.object('compressor_pager', va);
    if (o.pointer(f.ops) !== this.opsVa) return null;
    const kindField = this.kindField;
    if (kindField !== null && (o.num(kindField) & 0xfff) !== IKOT_MEMORY_OBJECT) return null;
    const numSlots = o.num(f.numSlots);
    const occupied = f.occupied !== null ? o.num(f.occupied) : null;
    const control = o.pointer(f.control);
    let object = 0n;
    if (this.controlIsObject) object = control;
    else if (control !== 0n) {
      const r = attempt(() => ctx.object('memory_object_control', control).pointer('moc_object'));
      if (!(r instanceof UnfoldError)) object = r;
    }
    const chunks = Math.ceil(numSlots / SLOTS_PER_CHUNK);
    if (chunks > 1) {
      const ptrs = ctx.read(o.pointer(f.islots), chunks * 8);
      return new IndirectPager(ctx, va, numSlots, occupied, object, new DataView(ptrs.buffer, ptrs.byteOffset, ptrs.byteLength), chunks);
    }
    let base: bigint;
    let storage: SlotStorage;
    if (f.eslots !== null && numSlots <= EMBEDDED_SLOTS) {
      storage = 'embedded';
      base = va + BigInt(this.slotsOffset);
    } else {
      storage = 'direct';
      base = o.pointer(f.dslots);
    }
    if (numSlots > 0 && base === 0n) throw new UnfoldError('NOT_PRESENT', `compressor pager ${hex(va)} has ${numSlots} slot(s) but no slot array`);
    return new ArrayPager(va, numSlots, occupied, storage, object, base, readSlots(ctx, base, numSlots));
  }
}

/** embedded or direct slots: one array read at once */
class ArrayPager implements PagerInfo {
  constructor(
    readonly address: bigint,
    readonly numSlots: number,
    readonly occupied: number | null,
    readonly storage: SlotStorage,
    readonly object: bigint,
    private readonly base: bigint,
    private readonly values: Uint32Array,
  ) {}

  slot(i: number): { address: bigint; value: number } | null {
    return Number.isInteger(i) && i >= 0 && i < this.numSlots ? { address: this.base + BigInt(i * 4), value: this.values[i]! } : null;
  }

  valueAt(i: number): number {
    return i >= 0 && i < this.numSlots ? (this.values[i] ?? 0) : 0;
  }

  private readonly packedBases = new PackedBases(1);

  packedAt(i: number, pack: (address: bigint) => number, step: number): number {
    return i >= 0 && i < this.numSlots ? this.packedBases.at(0, this.base, i, pack, step) : -1;
  }

  arrays(): SlotArray[] {
    return this.numSlots > 0 ? [{ address: this.base, first: 0, count: this.numSlots }] : [];
  }

  nonZero(): Array<{ index: number; address: bigint; value: number }> {
    const out: Array<{ index: number; address: bigint; value: number }> = [];
    for (let i = 0; i < this.numSlots; i++) if (this.values[i] !== 0) out.push({ index: i, address: this.base + BigInt(i * 4), value: this.values[i]! });
    return out;
  }
}

/** indirect slots: 128-slot chunks read when first asked; a NULL chunk holds no page */
class IndirectPager implements PagerInfo {
  readonly storage = 'indirect' as const;
  /** chunk number → its slots (null: NULL or unreadable), read when first asked (the bulk walk asks per page) */
  private readonly cache: Array<Uint32Array | null | undefined>;
  private readonly vas: Array<bigint | undefined>;
  private readonly packedBases: PackedBases;

  constructor(
    private readonly ctx: KernelContext,
    readonly address: bigint,
    readonly numSlots: number,
    readonly occupied: number | null,
    readonly object: bigint,
    private readonly ptrs: DataView,
    private readonly chunks: number,
  ) {
    this.cache = new Array<Uint32Array | null | undefined>(chunks).fill(undefined);
    this.vas = new Array<bigint | undefined>(chunks).fill(undefined);
    this.packedBases = new PackedBases(chunks);
  }

  private chunkVa(c: number): bigint {
    let v = this.vas[c];
    if (v === undefined) this.vas[c] = v = this.ctx.strip(this.ptrs.getBigUint64(c * 8, true));
    return v;
  }

  private chunk(c: number): Uint32Array | null {
    let a = this.cache[c];
    if (a === undefined) {
      const cv = this.chunkVa(c);
      if (cv === 0n) a = null;
      else {
        const r = attempt(() => readSlots(this.ctx, cv, SLOTS_PER_CHUNK));
        // an unreadable chunk reads as empty here; nonZero() and slot() say nothing more of it either
        a = r instanceof UnfoldError ? null : r;
      }
      this.cache[c] = a;
    }
    return a;
  }

  slot(i: number): { address: bigint; value: number } | null {
    if (!Number.isInteger(i) || i < 0 || i >= this.numSlots) return null;
    const c = Math.floor(i / SLOTS_PER_CHUNK);
    const a = this.chunk(c);
    const k = i % SLOTS_PER_CHUNK;
    return a === null ? { address: 0n, value: 0 } : { address: this.chunkVa(c) + BigInt(k * 4), value: a[k]! };
  }

  packedAt(i: number, pack: (address: bigint) => number, step: number): number {
    if (i < 0 || i >= this.numSlots) return -1;
    const c = Math.floor(i / SLOTS_PER_CHUNK);
    if (this.chunk(c) === null) return -1;
    return this.packedBases.at(c, this.chunkVa(c), i % SLOTS_PER_CHUNK, pack, step);
  }

  arrays(): SlotArray[] {
    const out: SlotArray[] = [];
    for (let c = 0; c < this.chunks; c++) {
      if (this.chunk(c) === null) continue;
      out.push({ address: this.chunkVa(c), first: c * SLOTS_PER_CHUNK, count: Math.min(SLOTS_PER_CHUNK, this.numSlots - c * SLOTS_PER_CHUNK) });
    }
    return out;
  }

  valueAt(i: number): number {
    if (i < 0 || i >= this.numSlots) return 0;
    const a = this.chunk(Math.floor(i / SLOTS_PER_CHUNK));
    return a === null ? 0 : (a[i % SLOTS_PER_CHUNK] ?? 0);
  }

  nonZero(): Array<{ index: number; address: bigint; value: number }> {
    const out: Array<{ index: number; address: bigint; value: number }> = [];
    for (let c = 0; c < this.chunks; c++) {
      const a = this.chunk(c);
      if (a === null) continue;
      const cv = this.chunkVa(c);
      for (let k = 0; k < SLOTS_PER_CHUNK && c * SLOTS_PER_CHUNK + k < this.numSlots; k++) {
        if (a[k] !== 0) out.push({ index: c * SLOTS_PER_CHUNK + k, address: cv + BigInt(k * 4), value: a[k]! });
      }
    }
    return out;
  }
}
