// Every page of every process, forward: processes (procs.ts) → map entries (vmmap.ts) → each map page
// resolved (page-resolver.ts) into compact per-region arrays, with the owners of every compressed slot
// and single-value entry collected on the way. Metadata only: no page content is read, each object,
// pager and map is read once, so the walk costs little beside the compressor walk.
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import { ForwardSlots } from './forward-slots';
export type { ForwardSlot } from './forward-slots';
import { PagerCache } from './pager';
import { PAGE_STATES, PageResolver, emptyCounts, type PageCounts, type PageHit, type PageState, type SegmentStates } from './page-resolver';
import { walkProcesses, type ProcessInfo, type ProcessWalk } from './procs';
import { ObjectCache } from './vmobject';
import { MapCache, type MapEntry } from './vmmap';
import { PROCESS_TYPES, protString } from './vm-rules';

export interface Owner {
  pid: number;
  va: bigint;
}

/** state codes of RegionPages.state, in PAGE_STATES order */
export const STATE_CODE: Readonly<Record<PageState, number>> = { resident: 0, compressed: 1, single: 2, swapped: 3, absent: 4 };

/** a slot's key in the owner tables: segment × 65536 + slot */
export const slotKey = (segment: number, slot: number): number => segment * 65536 + slot;

export interface RegionPages {
  /** STATE_CODE per map page */
  state: Uint8Array;
  /** resident: physical address; compressed/swapped: slotKey; single: sv index; absent: 0 */
  ref: Float64Array;
}

export interface Region {
  start: bigint;
  end: bigint;
  protection: string;
  maxProtection: string;
  tag: number;
  object: bigint;
  submap: bigint;
  offset: bigint;
  needsCopy: boolean;
  /** kernel VA of the vm_map_entry */
  entry: bigint;
  /** the map's page size: pages step by it */
  pageSize: number;
  pages: RegionPages;
  counts: PageCounts;
}

export interface ProcessMemory extends ProcessInfo {
  regions: Region[];
  counts: PageCounts;
}

export interface ProcessWalkResult {
  processes: ProcessMemory[];
  /** every slot a process maps: owners and the slot mapping that named it */
  slots: ForwardSlots;
  /** sv index → owners */
  sv: Map<number, Owner[]>;
  /** processes on zombproc, and tasks on the tasks queue without a proc (reported, no memory walked) */
  zombies: ProcessWalk['zombies'];
  orphanTasks: bigint[];
  /** the caches, kept for page lookups of the reader and the backward join */
  resolver: PageResolver;
  problems: string[];
}

/** the process types this symbol table lacks (empty when a process walk can run) */
export function missingProcessTypes(ctx: KernelContext): string[] {
  return ctx.missingTypes(PROCESS_TYPES);
}

export function createResolver(ctx: KernelContext, segments: SegmentStates): PageResolver {
  return new PageResolver(ctx, new ObjectCache(ctx), new PagerCache(ctx), new MapCache(ctx), segments);
}

/** map pages of an entry */
const pagesOf = (e: MapEntry, pageSize: number): number => Number((e.end - e.start + BigInt(pageSize - 1)) / BigInt(pageSize));

/** a region over its part of the process's page arrays (one buffer per process, not two per region) */
function regionOf(e: MapEntry, pageSize: number, state: Uint8Array, ref: Float64Array): Region {
  return {
    start: e.start,
    end: e.end,
    protection: protString(e.protection),
    maxProtection: protString(e.maxProtection),
    tag: e.tag,
    object: e.object,
    submap: e.submap,
    offset: e.offset,
    needsCopy: e.needsCopy,
    entry: e.address,
    pageSize,
    pages: { state, ref },
    counts: emptyCounts(),
  };
}

/**
 * `expectedSlots`: about how many live slots the compressor has (the slot table is sized for them at
 * once rather than grown by doubling); any number works.
 */
export function walkProcessMemory(ctx: KernelContext, segments: SegmentStates, expectedSlots = 1 << 16): ProcessWalkResult {
  const resolver = createResolver(ctx, segments);
  const walk = walkProcesses(ctx);
  const problems = [...walk.problems];
  const slots = new ForwardSlots(expectedSlots);
  const sv = new Map<number, Owner[]>();
  const noted = new Set<string>();
  const note = (s: string): void => {
    if (!noted.has(s) && noted.size < 1000) {
      noted.add(s);
      problems.push(s);
    }
  };
  const processes: ProcessMemory[] = [];
  for (const [procIndex, p] of walk.processes.entries()) {
    for (const q of p.problems) note(`pid ${p.pid}: ${q}`);
    const pm: ProcessMemory = { ...p, regions: [], counts: emptyCounts() };
    processes.push(pm);
    if (p.map === 0n) continue;
    const map = resolver.maps.get(p.map);
    for (const q of map.problems) note(`pid ${p.pid}: ${q}`);
    const ps = map.pageSize || p.pageSize;
    let total = 0;
    for (const e of map.entries) total += pagesOf(e, ps);
    const states = new Uint8Array(total);
    const refs = new Float64Array(total);
    let at = 0;
    const tally = new Float64Array(PAGE_STATES.length);
    for (const e of map.entries) {
      const regionIndex = pm.regions.length;
      const n = pagesOf(e, ps);
      const r = regionOf(e, ps, states.subarray(at, at + n), refs.subarray(at, at + n));
      at += n;
      const { state, ref } = r.pages;
      const pid = p.pid;
      resolver.fillEntry(
        e,
        ps,
        state,
        ref,
        {
          slot: (i, segment, slot, pager, index, object, objectOffset) => {
            const entry = slots.add(segment, slot, pager, index, object, objectOffset, procIndex, regionIndex, i);
            if (slots.added) return;
            const first = slots.pagerOf(entry);
            const firstIndex = slots.indexOf(entry);
            if (first !== pager || firstIndex !== index) {
              note(`segment ${segment} slot ${slot} is named by two slot mappings (pager ${'0x' + first.address.toString(16)} slot ${firstIndex}, pager ${'0x' + pager.address.toString(16)} slot ${index})`);
            }
          },
          single: (i, svIndex) => {
            let o = sv.get(svIndex);
            if (o === undefined) sv.set(svIndex, (o = []));
            o.push({ pid, va: e.start + BigInt(i * ps) });
          },
        },
        (q) => note(`pid ${pid} ${q}`),
      );
      tally.fill(0);
      for (let i = 0; i < state.length; i++) tally[state[i]!]++;
      for (let k = 0; k < PAGE_STATES.length; k++) {
        r.counts[PAGE_STATES[k]!] = tally[k]!;
        pm.counts[PAGE_STATES[k]!] += tally[k]!;
      }
      pm.regions.push(r);
    }
  }
  for (const q of resolver.objects.problems) note(q);
  for (const o of sv.values()) o.sort(byOwner);
  return { processes, slots, sv, resolver, problems, zombies: walk.zombies, orphanTasks: walk.orphanTasks };
}

/** the owners of entry `entry` of res.slots as (pid, va), sorted by pid then va */
export function ownersOf(res: ProcessWalkResult, entry: number): Owner[] {
  const out: Owner[] = [];
  res.slots.owners(entry, (proc, region, page) => {
    const p = res.processes[proc]!;
    const r = p.regions[region]!;
    out.push({ pid: p.pid, va: r.start + BigInt(page * r.pageSize) });
  });
  return out.length > 1 ? out.sort(byOwner) : out;
}

const byOwner = (a: Owner, b: Owner): number => a.pid - b.pid || (a.va < b.va ? -1 : a.va > b.va ? 1 : 0);

/** one page of a process, resolved afresh with every detail (the reader and the dump use it) */
export function resolveProcessPage(res: ProcessWalkResult, p: ProcessMemory, va: bigint): { region: Region | null; hit: PageHit | null } {
  const region = p.regions.find((r) => va >= r.start && va < r.end) ?? null;
  if (region === null || p.map === 0n) return { region: null, hit: null };
  const e = res.resolver.maps.lookup(p.map, va);
  if (e === null) return { region, hit: null };
  const hit = (() => {
    try {
      return res.resolver.inEntry(e, va);
    } catch (err) {
      if (err instanceof UnfoldError) return { state: 'absent', object: 0n, objectOffset: 0n, depth: 0, absent: 'unreadable', problem: err.message } as PageHit;
      throw err;
    }
  })();
  return { region, hit };
}
