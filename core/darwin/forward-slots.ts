// The forward walk's table of compressed slots: for every (segment, slot) some process maps, the slot
// mapping that named it (pager, index, object, offset) and who maps it, as (process, region, page)
// triples. Nearly every compressed page lands here once, so it is kept in typed arrays — an
// open-addressing hash on the slot, entries numbered in the order they were first seen, owners in a
// chained pool — with no object per slot or per owner; objects are made only when a slot is asked for.
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

export class ForwardSlots {
  /** entries in the table */
  size = 0;
  private cap = 0;
  /** hash slot → entry + 1 (0 = free) */
  private table: Int32Array = new Int32Array(0);
  private mask = 0;
  private keySeg: Int32Array = new Int32Array(0);
  private keySlot: Int32Array = new Int32Array(0);
  private pagerId: Int32Array = new Int32Array(0);
  private index: Float64Array = new Float64Array(0);
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
    this.growRefs(cap);
  }

  private static hash(segment: number, slot: number): number {
    return Math.imul(Math.imul(segment, 0x9e3779b1) ^ slot, 0x85ebca6b) ^ (slot >>> 7);
  }

  /** the entry of (segment, slot), or -1 */
  find(segment: number, slot: number): number {
    const t = this.table;
    const mask = this.mask;
    for (let h = ForwardSlots.hash(segment, slot) & mask; ; h = (h + 1) & mask) {
      const e = t[h]! - 1;
      if (e < 0) return NONE;
      if (this.keySlot[e] === slot && this.keySeg[e] === segment) return e;
    }
  }

  /**
   * Record that (process, region, page) maps (segment, slot) through slot `index` of `pager`. The slot
   * mapping of the first record stays; the entry is returned, and whether it was new.
   */
  add(segment: number, slot: number, pager: PagerInfo, index: number, object: bigint, objectOffset: number, proc: number, region: number, page: number): { entry: number; added: boolean } {
    let e = this.find(segment, slot);
    const added = e === NONE;
    if (added) {
      if (this.size === this.cap) this.grow(this.cap * 2);
      e = this.size++;
      this.keySeg[e] = segment;
      this.keySlot[e] = slot;
      this.pagerId[e] = this.idOfPager(pager);
      this.index[e] = index;
      this.objectId[e] = this.idOfObject(object);
      this.objectOffset[e] = objectOffset;
      this.head[e] = NONE;
      this.tail[e] = NONE;
      const mask = this.mask;
      let h = ForwardSlots.hash(segment, slot) & mask;
      while (this.table[h] !== 0) h = (h + 1) & mask;
      this.table[h] = e + 1;
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
    return { entry: e, added };
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
    this.keySeg = copyI(this.keySeg);
    this.keySlot = copyI(this.keySlot);
    this.pagerId = copyI(this.pagerId);
    this.index = copyF(this.index);
    this.objectId = copyI(this.objectId);
    this.objectOffset = copyF(this.objectOffset);
    this.head = copyI(this.head);
    this.tail = copyI(this.tail);
    this.cap = cap;
    // the hash has twice the entries' room, so it stays at most half full
    this.table = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let e = 0; e < this.size; e++) {
      let h = ForwardSlots.hash(this.keySeg[e]!, this.keySlot[e]!) & this.mask;
      while (this.table[h] !== 0) h = (h + 1) & this.mask;
      this.table[h] = e + 1;
    }
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
