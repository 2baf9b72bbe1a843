// vm_objects (process-memory.md §3): the fields a page lookup needs (shadow, shadow offset, pager,
// paging offset, the internal/alive/terminating/pager_ready bits) and the resident pages of the object
// from one walk of its memq, each page's physical address by the rule of its family (G1–G3; arm64
// from the page's index in the vm_pages array). Each object is read once per walk (ObjectCache).
import { UnfoldError } from '../errors';
import { attempt, type KernelContext } from './kernel';
import { MAX_MEMQ, OBJECT_FIELDS as F, PAGE_ARRAY_GLOBALS, pageFamily, pageFields, type PageFields } from './vm-rules';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export interface ResidentPage {
  /** physical address of the page */
  phys: number;
  /** kernel VA of the struct vm_page */
  vmPage: bigint;
}

export interface VmObjectInfo {
  address: bigint;
  shadow: bigint;
  /** only meaningful with a shadow (the field is a union) */
  shadowOffset: bigint;
  pager: bigint;
  pagingOffset: bigint;
  internal: boolean;
  alive: boolean;
  terminating: boolean;
  pagerReady: boolean;
  physContiguous: boolean;
  size: bigint;
  /** object offset (bytes, page-aligned) → resident page */
  resident: Map<number, ResidentPage>;
  /** what stopped the memq walk or a field read, when something did */
  problem: string | null;
}

/** where the arm64 vm_page array lies and the ppnum of its first element */
interface PageArray {
  begin: bigint;
  end: bigint;
  first: number;
}

export class ObjectCache {
  private readonly objects = new Map<bigint, VmObjectInfo | UnfoldError>();
  private readonly fields: PageFields;
  private readonly pageSize: number;
  private readonly pageTypeSize: number;
  private array: PageArray | null | undefined = undefined;
  /** which optional fields this kernel's vm_object has (asked once: a missing field costs an exception) */
  private readonly has: { shadowOffset: boolean; terminating: boolean; physContiguous: boolean; size: boolean };
  /** memq and page problems, for the walk's report */
  readonly problems: string[] = [];

  constructor(private readonly ctx: KernelContext) {
    this.fields = pageFields(ctx, pageFamily(ctx));
    this.pageSize = ctx.pageSize;
    this.pageTypeSize = ctx.sizeOf('vm_page');
    this.has = {
      shadowOffset: ctx.hasField('vm_object', F.shadowOffset),
      terminating: ctx.hasField('vm_object', F.terminating),
      physContiguous: ctx.hasField('vm_object', F.physContiguous),
      size: ctx.hasField('vm_object', F.size),
    };
  }

  /** the object at `va` (read once), or the error that made it unreadable */
  get(va: bigint): VmObjectInfo | UnfoldError {
    let o = this.objects.get(va);
    if (o === undefined) {
      o = attempt(() => this.read(va));
      this.objects.set(va, o);
    }
    return o;
  }

  get size(): number {
    return this.objects.size;
  }

  private read(va: bigint): VmObjectInfo {
    const ctx = this.ctx;
    const o = ctx.object('vm_object', va);
    const shadow = o.pointer(F.shadow);
    const info: VmObjectInfo = {
      address: va,
      shadow,
      shadowOffset: shadow !== 0n && this.has.shadowOffset ? o.u64(F.shadowOffset) : 0n,
      pager: o.pointer(F.pager),
      pagingOffset: o.u64(F.pagingOffset),
      internal: o.bool(F.internal),
      alive: o.bool(F.alive),
      terminating: this.has.terminating ? o.bool(F.terminating) : false,
      pagerReady: o.bool(F.pagerReady),
      physContiguous: this.has.physContiguous ? o.bool(F.physContiguous) : false,
      size: this.has.size ? o.u64(F.size) : 0n,
      resident: new Map(),
      problem: null,
    };
    this.readMemq(o.addressOf(F.memq), info);
    return info;
  }

  private pageArray(): PageArray | null {
    if (this.array !== undefined) return this.array;
    this.array = null;
    for (const g of PAGE_ARRAY_GLOBALS) {
      const r = attempt(() => ({ begin: this.ctx.pointerGlobal(g.begin), end: this.ctx.pointerGlobal(g.end), first: this.ctx.u32Global(g.first) }));
      if (!(r instanceof UnfoldError) && r.end > r.begin) {
        this.array = r;
        break;
      }
    }
    return this.array;
  }

  /** ppnum of a vm_page: its own field (x86_64), else its index in the page array (arm64), else the u32 after it */
  private ppnum(vmPage: bigint, view: { num(f: string): number }): number {
    if (this.fields.physPage !== null) return view.num(this.fields.physPage);
    const a = this.pageArray();
    if (a !== null && vmPage >= a.begin && vmPage < a.end) return Number((vmPage - a.begin) / BigInt(this.pageTypeSize)) + a.first;
    return this.ctx.readU32(vmPage + BigInt(this.pageTypeSize));
  }

  /** memq: head.next → pages → back to the head; packed u32 links from 10.12 (bit 31 = array index) */
  private readMemq(head: bigint, info: VmObjectInfo): void {
    const ctx = this.ctx;
    const f = this.fields;
    const link = (va: bigint): bigint => (f.packed ? ctx.unpackPage(ctx.readU32(va)) : ctx.readPointer(va));
    const nextField = `${f.listq}.next`;
    const seen = new Set<bigint>();
    let p = attempt(() => link(head));
    while (!(p instanceof UnfoldError) && p !== head) {
      if (p === 0n) {
        info.problem = `memq of object ${hex(info.address)} holds a NULL link after ${seen.size} page(s)`;
        break;
      }
      if (seen.has(p)) {
        info.problem = `memq of object ${hex(info.address)} loops at ${hex(p)} after ${seen.size} page(s)`;
        break;
      }
      if (seen.size >= MAX_MEMQ) {
        info.problem = `memq of object ${hex(info.address)} runs past ${MAX_MEMQ} pages`;
        break;
      }
      seen.add(p);
      const page = ctx.tryObject('vm_page', p);
      if (page instanceof UnfoldError) {
        p = page;
        break;
      }
      const offset = page.u64(f.offset);
      const ppnum = attempt(() => this.ppnum(p as bigint, page));
      if (ppnum instanceof UnfoldError) info.problem = `vm_page ${hex(p)}: ${ppnum.message}`;
      else info.resident.set(Number(offset & ~BigInt(this.pageSize - 1)), { phys: ppnum * this.pageSize, vmPage: p });
      p = f.packed ? attempt(() => ctx.unpackPage(page.num(nextField))) : page.pointer(nextField);
    }
    if (p instanceof UnfoldError) info.problem = `memq of object ${hex(info.address)}: ${p.message}`;
    if (info.problem) this.problems.push(info.problem);
  }
}
