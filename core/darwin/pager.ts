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

  constructor(private readonly ctx: KernelContext) {
    this.f = pagerFields(ctx);
    this.opsVa = ctx.tryGlobal('compressor_pager_ops');
    this.controlIsObject = controlIsObject(ctx);
    this.slotsOffset = ctx.field('compressor_pager', 'cpgr_slots').offset;
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
    if (this.f.eslots === null) return null;
    for (let i = 0; i < EMBEDDED_SLOTS; i++) {
      const va = slotAddress - BigInt(this.slotsOffset + 4 * i);
      const p = this.get(va);
      if (p !== null && !(p instanceof UnfoldError) && p.storage === 'embedded') return { pager: p, index: i };
    }
    return null;
  }

  private read(va: bigint): PagerInfo | null {
    const ctx = this.ctx;
    const f = this.f;
    if (this.opsVa === null) return null;
    const o = ctx.object('compressor_pager', va);
    if (o.pointer(f.ops) !== this.opsVa) return null;
    const kindField = o.has('cpgr_hdr.mo_ikot') ? 'cpgr_hdr.mo_ikot' : o.has('cpgr_pager_header.io_bits') ? 'cpgr_pager_header.io_bits' : null;
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
    const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < numSlots;
    if (chunks > 1) {
      const base = o.pointer(f.islots);
      const ptrs = ctx.read(base, chunks * 8);
      const pv = new DataView(ptrs.buffer, ptrs.byteOffset, ptrs.byteLength);
      const chunkCache = new Map<number, Uint32Array | null>();
      const chunkVa = (c: number): bigint => ctx.strip(pv.getBigUint64(c * 8, true));
      const chunk = (c: number): Uint32Array | null => {
        let a = chunkCache.get(c);
        if (a === undefined) {
          const cv = chunkVa(c);
          if (cv === 0n) a = null;
          else {
            const b = ctx.read(cv, SLOTS_PER_CHUNK * 4);
            a = new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
          }
          chunkCache.set(c, a);
        }
        return a;
      };
      return {
        address: va,
        numSlots,
        occupied,
        storage: 'indirect',
        object,
        slot: (i) => {
          if (!inRange(i)) return null;
          const c = Math.floor(i / SLOTS_PER_CHUNK);
          const a = chunk(c);
          const k = i % SLOTS_PER_CHUNK;
          // a NULL chunk holds no page: its slots read as empty, at no address
          if (a === null) return { address: 0n, value: 0 };
          return { address: chunkVa(c) + BigInt(k * 4), value: a[k]! };
        },
        nonZero: () => {
          const out: Array<{ index: number; address: bigint; value: number }> = [];
          for (let c = 0; c < chunks; c++) {
            const a = attempt(() => chunk(c));
            if (a instanceof UnfoldError || a === null) continue;
            const cv = chunkVa(c);
            for (let k = 0; k < SLOTS_PER_CHUNK && c * SLOTS_PER_CHUNK + k < numSlots; k++) {
              if (a[k] !== 0) out.push({ index: c * SLOTS_PER_CHUNK + k, address: cv + BigInt(k * 4), value: a[k]! });
            }
          }
          return out;
        },
      };
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
    const b = numSlots > 0 ? ctx.read(base, numSlots * 4) : new Uint8Array(0);
    const values = new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + numSlots * 4));
    return {
      address: va,
      numSlots,
      occupied,
      storage,
      object,
      slot: (i) => (inRange(i) ? { address: base + BigInt(i * 4), value: values[i]! } : null),
      nonZero: () => {
        const out: Array<{ index: number; address: bigint; value: number }> = [];
        for (let i = 0; i < numSlots; i++) if (values[i] !== 0) out.push({ index: i, address: base + BigInt(i * 4), value: values[i]! });
        return out;
      },
    };
  }
}
