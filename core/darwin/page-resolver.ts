// Where one page of a process lives (process-memory.md §3.3): down the entry's object and its shadow
// chain, the first object that has the page wins — resident (its memq), or in its compressor pager
// (slot mapping → segment and slot, or the single-value table) — with the offsets accumulating on the
// way down; a segment swapped out makes the page "swapped"; nothing anywhere makes it "absent".
// Submap entries are followed into their submap (VME_OFFSET + (va − start) is the address there).
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import { decodeSlotValue, type PagerCache } from './pager';
import type { ObjectCache } from './vmobject';
import type { MapCache, MapEntry } from './vmmap';
import { MAX_SHADOW_DEPTH, MAX_SUBMAP_DEPTH } from './vm-rules';

export type PageState = 'resident' | 'compressed' | 'single' | 'swapped' | 'absent';
export const PAGE_STATES: readonly PageState[] = ['resident', 'compressed', 'single', 'swapped', 'absent'];
export type PageCounts = Record<PageState, number>;
export const emptyCounts = (): PageCounts => ({ resident: 0, compressed: 0, single: 0, swapped: 0, absent: 0 });

/** why a page is absent, when it is not simply "no object has it" */
export type AbsentReason = 'no-object' | 'file-backed' | 'kernel-object' | 'unreadable' | 'submap-hole' | 'bad-slot';

export interface PageHit {
  state: PageState;
  /** the object where the page was found (absent: the bottom object the search reached; 0 = none) */
  object: bigint;
  /** offset in that object (accumulated down the chain) */
  objectOffset: bigint;
  /** 0 = the entry's own object */
  depth: number;
  /** resident */
  phys?: number;
  vmPage?: bigint;
  /** compressed / swapped / single: the compressor_slot_t and its value */
  slotAddress?: bigint;
  slotValue?: number;
  pager?: bigint;
  /** compressed / swapped */
  segment?: number;
  slot?: number;
  /** single */
  svIndex?: number;
  absent?: AbsentReason;
  /** what went wrong reading the chain, when something did */
  problem?: string;
}

/** what the resolver needs to know of the compressor walk */
export interface SegmentStates {
  /** 'compressed' for a segment in RAM, 'swapped' for one swapped out, null when no such live segment */
  stateOf(segment: number): 'compressed' | 'swapped' | null;
}

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export class PageResolver {
  readonly pageSize: number;
  private readonly mask: bigint;

  constructor(
    readonly ctx: KernelContext,
    readonly objects: ObjectCache,
    readonly pagers: PagerCache,
    readonly maps: MapCache,
    private readonly segments: SegmentStates,
  ) {
    this.pageSize = ctx.pageSize;
    this.mask = BigInt(ctx.pageSize - 1);
  }

  /** the page at `va` of a map entry */
  inEntry(e: MapEntry, va: bigint, depth = 0): PageHit {
    const offset = e.offset + (va - e.start);
    if (e.submap !== 0n) {
      if (depth >= MAX_SUBMAP_DEPTH) return { state: 'absent', object: 0n, objectOffset: offset, depth: 0, absent: 'unreadable', problem: `submaps nest deeper than ${MAX_SUBMAP_DEPTH}` };
      const inner = this.maps.lookup(e.submap, offset);
      if (inner === null) return { state: 'absent', object: 0n, objectOffset: offset, depth: 0, absent: 'submap-hole' };
      return this.inEntry(inner, offset, depth + 1);
    }
    if (e.kernelObject) return { state: 'absent', object: 0n, objectOffset: offset, depth: 0, absent: 'kernel-object' };
    if (e.object === 0n) return { state: 'absent', object: 0n, objectOffset: offset, depth: 0, absent: 'no-object' };
    return this.inObject(e.object, offset);
  }

  /** the page at `offset` of `object`, down its shadow chain */
  inObject(object: bigint, offset: bigint): PageHit {
    let obj = object;
    let off = offset;
    for (let depth = 0; depth < MAX_SHADOW_DEPTH; depth++) {
      const o = this.objects.get(obj);
      if (o instanceof UnfoldError) return { state: 'absent', object: obj, objectOffset: off, depth, absent: 'unreadable', problem: `object ${hex(obj)}: ${o.message}` };
      const t = off & ~this.mask;
      const r = o.resident.get(Number(t));
      if (r !== undefined) return { state: 'resident', object: obj, objectOffset: off, depth, phys: r.phys, vmPage: r.vmPage };
      if (o.pager !== 0n && o.pagerReady) {
        if (!o.internal) return { state: 'absent', object: obj, objectOffset: off, depth, absent: 'file-backed' };
        if (o.alive && !o.terminating) {
          const p = this.pagers.get(o.pager);
          if (p instanceof UnfoldError) return { state: 'absent', object: obj, objectOffset: off, depth, absent: 'unreadable', problem: `pager ${hex(o.pager)}: ${p.message}` };
          if (p !== null) {
            const idx = Number((t + o.pagingOffset) / BigInt(this.pageSize));
            const s = p.slot(idx);
            if (s !== null && s.value !== 0) {
              const at = { object: obj, objectOffset: off, depth, slotAddress: s.address, slotValue: s.value, pager: p.address };
              const d = decodeSlotValue(s.value);
              if (d.kind === 'single') return { state: 'single', ...at, svIndex: d.svIndex };
              if (d.kind === 'slot') {
                const st = this.segments.stateOf(d.segment);
                if (st === null) return { state: 'absent', ...at, absent: 'bad-slot', problem: `slot mapping ${hex(s.value)} at ${hex(s.address)} names segment ${d.segment}, which is not a live segment` };
                return { state: st, ...at, segment: d.segment, slot: d.slot };
              }
            }
          }
        }
      }
      if (o.shadow === 0n || o.physContiguous) return { state: 'absent', object: obj, objectOffset: off, depth };
      off += o.shadowOffset;
      obj = o.shadow;
    }
    return { state: 'absent', object: obj, objectOffset: off, depth: MAX_SHADOW_DEPTH, absent: 'unreadable', problem: `shadow chain of ${hex(object)} is longer than ${MAX_SHADOW_DEPTH}` };
  }
}
