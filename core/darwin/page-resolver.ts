// Where one page of a process lives (process-memory.md §3.3): down the entry's object and its shadow
// chain, the first object that has the page wins — resident (its memq), or in its compressor pager
// (slot mapping → segment and slot, or the single-value table) — with the offsets accumulating on the
// way down; a segment swapped out makes the page "swapped"; nothing anywhere makes it "absent".
// Submap entries are followed into their submap (VME_OFFSET + (va − start) is the address there).
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import { decodeSlotValue, type PagerCache, type PagerInfo } from './pager';
import type { ObjectCache } from './vmobject';
import type { MapCache, MapEntry } from './vmmap';
import { C_SV_CSEG_ID, MAX_SHADOW_DEPTH, MAX_SUBMAP_DEPTH, SLOT_CINDX_SHIFT, SLOT_CSEG_MASK } from './vm-rules';
import type { ResidentPage } from './vmobject';
import { PAGE_STATE_NAMES, type PageStateCounts, type PageStateName } from '../process-types';

// one list of page states for core and the app (core/process-types.ts is plain data the renderer compiles)
export type PageState = PageStateName;
export const PAGE_STATES = PAGE_STATE_NAMES;
export type PageCounts = PageStateCounts;
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

/** state codes of the bulk path, in PAGE_STATES order */
export const RESIDENT = 0;
export const COMPRESSED = 1;
export const SINGLE = 2;
export const SWAPPED = 3;
export const ABSENT = 4;

/** what the bulk path reports for a page whose slot mapping names a slot or a single-value entry */
export interface SlotSink {
  /** page `i` of the entry is in slot `segment`/`slot` (compressed or swapped) */
  slot(i: number, segment: number, slot: number, pager: PagerInfo, index: number, object: bigint, objectOffset: number): void;
  /** page `i` is single-value table entry `svIndex` */
  single(i: number, svIndex: number): void;
}

/** one object of an entry's shadow chain, as the bulk path uses it (offsets as numbers: objects are < 2^53 bytes) */
interface ChainLink {
  object: bigint;
  /** added to the entry offset to get the offset in this object */
  delta: number;
  resident: Map<number, ResidentPage>;
  /** a compressor pager the page may be in (ready, internal, alive, not terminating) */
  pager: PagerInfo | null;
  pagingOffset: number;
  /** an external pager: the search stops here, the page is file-backed (absent to us) */
  external: boolean;
}

export class PageResolver {
  readonly pageSize: number;
  private readonly mask: bigint;
  private readonly chains = new Map<bigint, ChainLink[] | null>();

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

  /**
   * Every map page of an entry into `state` (codes above) and `ref` (resident: physical address;
   * compressed/swapped: segment × 65536 + slot; single: sv index), the slots reported to `sink`. Same
   * rules as inObject, with the entry's shadow chain read once and numbers instead of bigints — the
   * walk over every page of every process. Entries it cannot do this way (submaps, damaged chains)
   * go page by page through inEntry; `problem` hears what went wrong.
   */
  fillEntry(e: MapEntry, mapPageSize: number, state: Uint8Array, ref: Float64Array, sink: SlotSink, problem: (s: string) => void): void {
    const chain = e.submap === 0n && !e.kernelObject && e.object !== 0n ? this.chain(e.object) : null;
    if (chain === null) {
      const ps = BigInt(mapPageSize);
      let va = e.start;
      for (let i = 0; i < state.length; i++, va += ps) {
        const h = this.inEntry(e, va);
        state[i] = PAGE_STATES.indexOf(h.state);
        if (h.problem) problem(`${hex(va)}: ${h.problem}`);
        if (h.state === 'resident') ref[i] = h.phys!;
        else if (h.segment !== undefined) {
          ref[i] = h.segment * 65536 + h.slot!;
          const p = this.pagers.get(h.pager!);
          if (p !== null && !(p instanceof UnfoldError)) {
            const idx = Number((h.objectOffset - (h.objectOffset % BigInt(this.pageSize)) + (this.objects.get(h.object) as { pagingOffset: bigint }).pagingOffset) / BigInt(this.pageSize));
            sink.slot(i, h.segment, h.slot!, p, idx, h.object, Number(h.objectOffset));
          }
        } else if (h.svIndex !== undefined) {
          ref[i] = h.svIndex;
          sink.single(i, h.svIndex);
        }
      }
      return;
    }
    const kps = this.pageSize;
    const base = Number(e.offset);
    const links = chain.length;
    for (let i = 0; i < state.length; i++) {
      const off0 = base + i * mapPageSize;
      let code = ABSENT;
      let value = 0;
      for (let d = 0; d < links; d++) {
        const l = chain[d]!;
        const off = off0 + l.delta;
        const t = off - (off % kps);
        const r = l.resident.size === 0 ? undefined : l.resident.get(t);
        if (r !== undefined) {
          code = RESIDENT;
          value = r.phys;
          break;
        }
        if (l.external) break;
        if (l.pager !== null) {
          const idx = (t + l.pagingOffset) / kps;
          const v = l.pager.valueAt(idx);
          if (v !== 0) {
            const cseg = v & SLOT_CSEG_MASK;
            const cindx = v >>> SLOT_CINDX_SHIFT;
            if (cseg === C_SV_CSEG_ID) {
              code = SINGLE;
              value = cindx;
              sink.single(i, cindx);
            } else {
              const st = this.segments.stateOf(cseg - 1);
              if (st === null) {
                problem(`${hex(e.start + BigInt(i * mapPageSize))}: slot mapping ${hex(v)} of pager ${hex(l.pager.address)} names segment ${cseg - 1}, which is not a live segment`);
              } else {
                code = st === 'compressed' ? COMPRESSED : SWAPPED;
                value = (cseg - 1) * 65536 + cindx;
                sink.slot(i, cseg - 1, cindx, l.pager, idx, l.object, off);
              }
            }
            break;
          }
        }
      }
      state[i] = code;
      ref[i] = value;
    }
  }

  /** an entry object's shadow chain for the bulk path; null when any link is unreadable or the chain too long */
  private chain(object: bigint): ChainLink[] | null {
    let cached = this.chains.get(object);
    if (cached !== undefined) return cached;
    const out: ChainLink[] = [];
    let obj = object;
    let delta = 0;
    cached = null;
    for (let depth = 0; depth < MAX_SHADOW_DEPTH; depth++) {
      const o = this.objects.get(obj);
      if (o instanceof UnfoldError) break;
      let pager: PagerInfo | null = null;
      let external = false;
      if (o.pager !== 0n && o.pagerReady) {
        if (!o.internal) external = true;
        else if (o.alive && !o.terminating) {
          const p = this.pagers.get(o.pager);
          if (p instanceof UnfoldError) break;
          pager = p;
        }
      }
      out.push({ object: obj, delta, resident: o.resident, pager, pagingOffset: Number(o.pagingOffset), external });
      if (external || o.shadow === 0n || o.physContiguous) {
        cached = out;
        break;
      }
      delta += Number(o.shadowOffset);
      obj = o.shadow;
    }
    this.chains.set(object, cached);
    return cached;
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
