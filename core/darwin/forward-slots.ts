// The forward walk's table of compressed slots: for every (segment, slot) some process maps, the slot
// mapping that named it (pager, index, object, offset) and who maps it, as (process, region, page)
// triples. Nearly every compressed page lands here once, so it is kept in typed arrays — per segment
// an array by slot number (slot numbers are dense, and the join goes through them in order), entries
// numbered in the order they were first seen, owners in a chained pool — with no object per slot or
// per owner; objects are made only when a slot is asked for.
import type { PagerInfo } from './pager';

/** one slot as the table holds it, made on demand */
export interface ForwardSlot {
  /** who maps the slot: (process index, region index, page index) triples, in the order the walk met them */
  refs: number[];
  /** the pager holding the slot mapping the processes reached, and its index there (the back-pointer must name it) */
  pager: PagerInfo;
  index: number;
  object: bigint;
  objectOffset: number;
}

const NONE = -1;
/** segment and slot numbers kept in the direct arrays (a slot number is 16 bits in every layout; more is damage) */
const MAX_DIRECT_SEGMENTS = 1 << 20;
const MAX_DIRECT_SLOTS = 1 << 16;
/** a segment's first run of slot numbers */
const RUN = 256;

export class ForwardSlots {
  /** entries in the table */
  size = 0;
  /** whether the last add() made a new entry (a number and a flag rather than an object per page) */
  added = false;
  private cap = 0;
  /**
   * segment → its run of `arena` (slot → entry + 1, 0 = none): where the run starts (-1: none yet) and
   * how long it is; a run outgrown moves to the arena's end at twice the length. One buffer for all
   * segments (thousands of small typed arrays cost an allocation each and weigh on the collector).
   */
  private segStart: Int32Array = new Int32Array(0);
  private segLength: Int32Array = new Int32Array(0);
  private arena: Int32Array = new Int32Array(1 << 16);
  private arenaUsed = 0;
  /** slots beyond the direct arrays' reach (damaged numbers): key segment × 2^32 + slot → entry */
  private readonly far = new Map<number, number>();
  private pagerId: Int32Array = new Int32Array(0);
  /** a pager's slot index is below its u32 slot count */
  private index: Uint32Array = new Uint32Array(0);
  private objectId: Int32Array = new Int32Array(0);
  private objectOffset: Float64Array = new Float64Array(0);
  private head: Int32Array = new Int32Array(0);
  private tail: Int32Array = new Int32Array(0);
  /** the owner pool: triples and the next owner of the same slot */
  private refs: Int32Array = new Int32Array(0);
  private next: Int32Array = new Int32Array(0);
  private nrefs = 0;
  private readonly pagers: PagerInfo[] = [];
  private readonly pagerIds = new Map<PagerInfo, number>();
  private readonly objects: bigint[] = [];
  private readonly objectIds = new Map<bigint, number>();
  // consecutive pages nearly always share pager and object
  private lastPager: PagerInfo | null = null;
  private lastPagerId = NONE;
  private lastObject: bigint | null = null;
  private lastObjectId = NONE;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.grow(cap);
    this.growRefs(cap + (cap >> 3));
  }

  /** the entry of (segment, slot), or -1 */
  find(segment: number, slot: number): number {
    if (segment >= 0 && segment < MAX_DIRECT_SEGMENTS && slot >= 0 && slot < MAX_DIRECT_SLOTS) {
      if (segment >= this.segStart.length || slot >= this.segLength[segment]!) return NONE;
      return this.arena[this.segStart[segment]! + slot]! - 1;
    }
    return this.far.size === 0 ? NONE : (this.far.get(segment * 2 ** 32 + slot) ?? NONE);
  }

  private place(segment: number, slot: number, e: number): void {
    if (!(segment >= 0 && segment < MAX_DIRECT_SEGMENTS && slot >= 0 && slot < MAX_DIRECT_SLOTS)) {
      this.far.set(segment * 2 ** 32 + slot, e);
      return;
    }
    if (segment >= this.segStart.length) {
      let n = Math.max(1024, this.segStart.length);
      while (n <= segment) n *= 2;
      const start = new Int32Array(n).fill(-1);
      start.set(this.segStart);
      const length = new Int32Array(n);
      length.set(this.segLength);
      this.segStart = start;
      this.segLength = length;
    }
    const had = this.segLength[segment]!;
    if (slot >= had) {
      let n = had === 0 ? RUN : had;
      while (n <= slot) n *= 2;
      n = Math.min(n, MAX_DIRECT_SLOTS);
      if (this.arenaUsed + n > this.arena.length) {
        let size = this.arena.length * 2;
        while (this.arenaUsed + n > size) size *= 2;
        const a = new Int32Array(size);
        a.set(this.arena.subarray(0, this.arenaUsed));
        this.arena = a;
      }
      const at = this.arenaUsed;
      if (had > 0) this.arena.copyWithin(at, this.segStart[segment]!, this.segStart[segment]! + had);
      this.segStart[segment] = at;
      this.segLength[segment] = n;
      this.arenaUsed += n;
    }
    this.arena[this.segStart[segment]! + slot] = e + 1;
  }

  /**
   * Record that (process, region, page) maps (segment, slot) through slot `index` of `pager`. The slot
   * mapping of the first record stays; the entry is returned, and `added` says whether it was new.
   */
  add(segment: number, slot: number, pager: PagerInfo, index: number, object: bigint, objectOffset: number, proc: number, region: number, page: number): number {
    if (index !== index >>> 0) throw new RangeError(`slot index ${index} of pager 0x${pager.address.toString(16)} is no u32`);
    let e = this.find(segment, slot);
    this.added = e === NONE;
    if (this.added) {
      if (this.size === this.cap) this.grow(this.cap * 2);
      e = this.size++;
      this.place(segment, slot, e);
      this.pagerId[e] = this.idOfPager(pager);
      this.index[e] = index;
      this.objectId[e] = this.idOfObject(object);
      this.objectOffset[e] = objectOffset;
      this.head[e] = NONE;
      this.tail[e] = NONE;
    }
    if (this.nrefs === this.next.length) this.growRefs(this.next.length * 2);
    const r = this.nrefs++;
    this.refs[r * 3] = proc;
    this.refs[r * 3 + 1] = region;
    this.refs[r * 3 + 2] = page;
    this.next[r] = NONE;
    if (this.tail[e] === NONE) this.head[e] = r;
    else this.next[this.tail[e]!] = r;
    this.tail[e] = r;
    return e;
  }

  pagerOf(e: number): PagerInfo {
    return this.pagers[this.pagerId[e]!]!;
  }

  indexOf(e: number): number {
    return this.index[e]!;
  }

  /** how many entries name each pager, by pager */
  perPager(): Map<PagerInfo, number> {
    const n = new Int32Array(this.pagers.length);
    for (let e = 0; e < this.size; e++) n[this.pagerId[e]!]!++;
    return new Map(this.pagers.map((p, i) => [p, n[i]!]));
  }

  /** the owners of entry `e`: calls `each(process, region, page)` in the order the walk met them */
  owners(e: number, each: (proc: number, region: number, page: number) => void): void {
    for (let r = this.head[e]!; r !== NONE; r = this.next[r]!) each(this.refs[r * 3]!, this.refs[r * 3 + 1]!, this.refs[r * 3 + 2]!);
  }

  /** the slot (segment, slot) as an object, or undefined when no process maps it */
  get(segment: number, slot: number): ForwardSlot | undefined {
    const e = this.find(segment, slot);
    if (e === NONE) return undefined;
    const refs: number[] = [];
    this.owners(e, (p, r, i) => refs.push(p, r, i));
    return { refs, pager: this.pagerOf(e), index: this.index[e]!, object: this.objects[this.objectId[e]!]!, objectOffset: this.objectOffset[e]! };
  }

  private idOfPager(p: PagerInfo): number {
    if (p === this.lastPager) return this.lastPagerId;
    let id = this.pagerIds.get(p);
    if (id === undefined) {
      id = this.pagers.length;
      this.pagers.push(p);
      this.pagerIds.set(p, id);
    }
    this.lastPager = p;
    this.lastPagerId = id;
    return id;
  }

  private idOfObject(o: bigint): number {
    if (o === this.lastObject) return this.lastObjectId;
    let id = this.objectIds.get(o);
    if (id === undefined) {
      id = this.objects.length;
      this.objects.push(o);
      this.objectIds.set(o, id);
    }
    this.lastObject = o;
    this.lastObjectId = id;
    return id;
  }

  private grow(cap: number): void {
    const copyI = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, this.size));
      return b;
    };
    const copyF = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.size));
      return b;
    };
    this.pagerId = copyI(this.pagerId);
    const index = new Uint32Array(cap);
    index.set(this.index.subarray(0, this.size));
    this.index = index;
    this.objectId = copyI(this.objectId);
    this.objectOffset = copyF(this.objectOffset);
    this.head = copyI(this.head);
    this.tail = copyI(this.tail);
    this.cap = cap;
  }

  private growRefs(n: number): void {
    const refs = new Int32Array(n * 3);
    refs.set(this.refs.subarray(0, this.nrefs * 3));
    const next = new Int32Array(n);
    next.set(this.next.subarray(0, this.nrefs));
    this.refs = refs;
    this.next = next;
  }
}
