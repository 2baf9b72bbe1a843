// The façade's view of processes (used by core/case.ts): the process walk run beside the compressor
// walk, the owners of every slot and single-value entry, per-process maps with page counts, and a
// reader of any virtual range of a process — resident pages from the image, compressed pages
// decompressed on the fly, single-value pages rebuilt, swapped and absent pages reported as such.
// JSON-safe shapes (hex strings) for the CLI and the app.
import { UnfoldError } from './errors';
import type { PageOwner, PageWhere, ProcessRow, RegionRow } from './process-types';
import { KernelContext } from './darwin/kernel';
import type { KernelDiscovery } from './darwin/discover';
import type { CompressorPlan } from './darwin/plan-types';
import { joinOwners, type Ownership } from './darwin/owners';
import { PAGE_STATES, type PageCounts, type PageHit, type PageState } from './darwin/page-resolver';
import { missingProcessTypes, resolveProcessPage, walkProcessMemory, type Owner, type ProcessMemory, type ProcessWalkResult, type Region } from './darwin/process-walk';
import { segmentStates } from './darwin/segment-states';
import type { ConsistencyCheck } from './darwin/types';
import type { SealedOrigin } from './darwin/sealed';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export type OwnerJson = PageOwner;

export type ProcessSummary = ProcessRow;

export type RegionSummary = RegionRow;

/** where one page of a process lives, JSON-safe (readVirtual adds the source of pages served from a sealed segment) */
export type PageSource = PageWhere;

export interface ReadVirtualResult {
  /** the bytes; pages that could not be produced are zero-filled */
  bytes: Uint8Array;
  /** every page the range touches */
  pages: PageSource[];
  /** pages zero-filled because their bytes could not be had (absent; swapped without its swap file; undecodable) */
  missing: string[];
}

/** what the view needs from the case to produce page bytes */
export interface PageBytes {
  /** bytes at a physical address (throws when not in the image) */
  phys(address: number, length: number): Uint8Array;
  /**
   * The decompressed page of a live slot, or null with the reason — for a sealed segment (swapped out,
   * or encrypted in place) only once it was decrypted and verified, with where the bytes came from.
   */
  slot(segment: number, slot: number): { page: Uint8Array | null; error?: string; origin?: SealedOrigin };
  /** the 32-bit value of a single-value table entry, or null */
  svValue(index: number): number | null;
}

const ownersJson = (o: readonly Owner[]): OwnerJson[] => o.map((x) => ({ pid: x.pid, va: hex(x.va) }));

export class ProcessView {
  private constructor(
    readonly walk: ProcessWalkResult,
    readonly ownership: Ownership,
    readonly pageSize: number,
  ) {}

  /**
   * The process walk of a case, or the reason it cannot run: the symbol table lacks the process types
   * (named), or the walk's start (allproc) is missing. Never throws for damaged data.
   */
  static create(kernel: KernelDiscovery, plan: CompressorPlan): ProcessView | { unavailable: string } {
    try {
      const ctx = new KernelContext({ space: kernel.space, symbols: kernel.symbolTable, slide: kernel.slide, version: kernel.version });
      const missing = missingProcessTypes(ctx);
      if (missing.length > 0) return { unavailable: `the symbol table (${kernel.symbolTable.source}) lacks the process and VM types ${missing.join(', ')}: no process walk, no owners` };
      if (ctx.tryGlobal('allproc') === null) return { unavailable: `the symbol table (${kernel.symbolTable.source}) has no symbol allproc: no process walk, no owners` };
      const live = plan.segments.reduce((n, s) => n + s.slots.length + s.undecoded.length, 0);
      const walk = walkProcessMemory(ctx, segmentStates(plan), live);
      return new ProcessView(walk, joinOwners(plan, walk), ctx.pageSize);
    } catch (err) {
      if (err instanceof UnfoldError) return { unavailable: `process walk: ${err.message}` };
      throw err;
    }
  }

  get problems(): string[] {
    return this.walk.problems;
  }

  /** the back-pointer cross-check as a consistency line */
  consistencyCheck(): ConsistencyCheck {
    const c = this.ownership.check;
    return {
      name: 'slot back-pointers name their slot mapping (c_packed_ptr ↔ pager slot)',
      expected: c.checked,
      found: c.agreeing,
      ok: c.checked === c.agreeing,
      ...(c.mismatches.length > 0 ? { note: c.mismatches.slice(0, 3).join('; ') + (c.mismatches.length > 3 ? '; …' : '') } : {}),
    };
  }

  processes(): ProcessSummary[] {
    return this.walk.processes.map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      name: p.name,
      pName: p.pName,
      proc: hex(p.proc),
      task: hex(p.task),
      map: hex(p.map),
      pmap: hex(p.pmap),
      pmapRoot: p.pmapRoot === null ? null : hex(p.pmapRoot),
      pageSize: p.pageSize,
      regions: p.regions.length,
      pages: { ...p.counts },
      problems: [...p.problems],
    }));
  }

  /** the process with this pid (the first, should two share it); RangeError when none */
  process(pid: number): ProcessMemory {
    const p = this.walk.processes.find((x) => x.pid === pid);
    if (!p) throw new RangeError(`no process with pid ${pid} (pids: ${this.walk.processes.map((x) => x.pid).join(', ')})`);
    return p;
  }

  maps(pid: number): RegionSummary[] {
    return this.process(pid).regions.map((r) => regionSummary(pid, r));
  }

  slotOwners(segment: number, slot: number): OwnerJson[] {
    return ownersJson(this.ownership.slotOwners(segment, slot));
  }

  svOwners(index: number): OwnerJson[] {
    return ownersJson(this.ownership.svOwners(index));
  }

  /** every map page of a region, with where it lives */
  regionPages(pid: number, r: Region): PageSource[] {
    const p = this.process(pid);
    const out: PageSource[] = [];
    const ps = BigInt(r.pageSize);
    for (let i = 0, va = r.start; va < r.end; i++, va += ps) out.push(this.source(p, va));
    return out;
  }

  private source(p: ProcessMemory, va: bigint): PageSource {
    const { hit } = resolveProcessPage(this.walk, p, va);
    if (hit === null) return { va: hex(va), state: 'absent', note: 'not mapped' };
    return sourceOf(va, hit);
  }

  /**
   * Bytes of [va, va + length) of a process. Pages come from where they live — a swapped page from
   * its swap file when the case was opened with it (the page's source then names file, chunk offset
   * and slot); what cannot be produced (absent, swapped without its file, a slot that does not decode
   * or a sealed segment that does not verify, an unmapped address) is zero-filled and listed.
   */
  readVirtual(pid: number, va: bigint, length: number, bytes: PageBytes): ReadVirtualResult {
    const p = this.process(pid);
    const out = new Uint8Array(length);
    const pages: PageSource[] = [];
    const missing: string[] = [];
    const kps = this.pageSize;
    let at = va;
    let done = 0;
    while (done < length) {
      const mapPs = BigInt(p.regions.find((r) => at >= r.start && at < r.end)?.pageSize ?? kps);
      const pageVa = at - (at % mapPs);
      const n = Math.min(length - done, Number(pageVa + mapPs - at));
      const { hit } = resolveProcessPage(this.walk, p, pageVa);
      const src: PageSource = hit === null ? { va: hex(pageVa), state: 'absent', note: 'not mapped' } : sourceOf(pageVa, hit);
      pages.push(src);
      // offset of `at` inside the kernel page the object holds (a 4 KiB map page may sit inside a 16 KiB one)
      const inPage = hit === null ? 0 : Number((hit.objectOffset + (at - pageVa)) % BigInt(kps));
      const fill = (b: Uint8Array): void => out.set(b.subarray(inPage, inPage + n), done);
      try {
        if (hit === null || hit.state === 'absent') missing.push(`${hex(pageVa)}: ${src.note ?? 'absent'}`);
        else if (hit.state === 'resident') fill(bytes.phys(hit.phys!, kps));
        else if (hit.state === 'single') {
          const v = bytes.svValue(hit.svIndex!);
          if (v === null) missing.push(`${hex(pageVa)}: single-value entry ${hit.svIndex} not in the table`);
          else {
            const b = new Uint8Array(kps);
            new Uint32Array(b.buffer).fill(v >>> 0);
            fill(b);
          }
        } else {
          const r = bytes.slot(hit.segment!, hit.slot!);
          if (r.page !== null) {
            fill(r.page);
            if (r.origin) Object.assign(src, r.origin);
          } else if (hit.state === 'swapped') missing.push(`${hex(pageVa)}: swapped out (segment ${hit.segment} slot ${hit.slot}): ${r.error ?? 'its swap file was not given'}`);
          else missing.push(`${hex(pageVa)}: segment ${hit.segment} slot ${hit.slot}: ${r.error ?? 'not decoded'}`);
        }
      } catch (err) {
        if (!(err instanceof UnfoldError)) throw err;
        missing.push(`${hex(pageVa)}: ${err.message}`);
      }
      done += n;
      at += BigInt(n);
    }
    return { bytes: out, pages, missing };
  }
}

export function regionSummary(pid: number, r: Region): RegionSummary {
  return {
    pid,
    start: hex(r.start),
    end: hex(r.end),
    protection: r.protection,
    maxProtection: r.maxProtection,
    tag: r.tag,
    object: r.object === 0n ? null : hex(r.object),
    submap: r.submap === 0n ? null : hex(r.submap),
    offset: hex(r.offset),
    needsCopy: r.needsCopy,
    entry: hex(r.entry),
    pageSize: r.pageSize,
    pages: { ...r.counts },
  };
}

export function sourceOf(va: bigint, h: PageHit): PageSource {
  const s: PageSource = { va: hex(va), state: h.state };
  if (h.object !== 0n) {
    s.object = hex(h.object);
    s.objectOffset = hex(h.objectOffset);
  }
  if (h.state === 'resident') s.phys = hex(h.phys!);
  if (h.segment !== undefined) {
    s.segment = h.segment;
    s.slot = h.slot!;
  }
  if (h.svIndex !== undefined) s.svIndex = h.svIndex;
  if (h.absent !== undefined) s.note = h.absent;
  return s;
}

export { PAGE_STATES };
