// A vm_map's entries (process-memory.md §2): the circular entry list walked with the object layer's
// bounded walk, and each entry's range, protections, object or submap, offset and VM tag decoded by the
// encoding of its version (E1–E5, vm-rules.ts). Maps are read once per walk (MapCache), so a submap
// shared by every process is decoded once.
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import type { KObject } from './kobject';
import { walkMapEntries } from './lists';
import { E2_ALIAS_MASK, ENTRY_FIELDS, OBJECT_WORD_SUBMAP_BIT, entryEncoding, type EntryEncoding, type EntryFields } from './vm-rules';

export interface MapEntry {
  /** kernel VA of the vm_map_entry */
  address: bigint;
  start: bigint;
  /** exclusive */
  end: bigint;
  protection: number;
  maxProtection: number;
  /** the vm_object (0: none — or the kernel object when kernelObject is set) */
  object: bigint;
  /** the submap (_vm_map) when the entry maps one, else 0 */
  submap: bigint;
  /** byte offset into the object (or the address inside the submap) of `start` */
  offset: bigint;
  tag: number;
  needsCopy: boolean;
  /** vme_kernel_object (12.3+): the entry maps kernel_object; such pages are never attributed to a process */
  kernelObject: boolean;
}

export interface MapRead {
  address: bigint;
  entries: MapEntry[];
  /** hdr.page_shift as a size (0 when unreadable) */
  pageSize: number;
  /** where the entry list broke, and notes (count mismatches) */
  problems: string[];
}

/** which optional entry fields this kernel has (asked once per map cache) */
export interface EntryPresence {
  isSubmap: boolean;
  alias: boolean;
  needsCopy: boolean;
  kernelObject: boolean;
}

export function entryPresence(ctx: KernelContext, f: EntryFields): EntryPresence {
  return {
    isSubmap: f.isSubmap !== null && ctx.hasField('vm_map_entry', f.isSubmap),
    alias: f.alias !== null && ctx.hasField('vm_map_entry', f.alias),
    needsCopy: ctx.hasField('vm_map_entry', 'needs_copy'),
    kernelObject: ctx.hasField('vm_map_entry', 'vme_kernel_object'),
  };
}

export function decodeEntry(ctx: KernelContext, e: KObject, enc: EntryEncoding, f: EntryFields, has: EntryPresence = entryPresence(ctx, f)): MapEntry {
  let object = 0n;
  let submap = 0n;
  if (f.objectWord !== null) {
    const word = e.u64(f.objectWord);
    if (word & OBJECT_WORD_SUBMAP_BIT) submap = ctx.strip(word & ~3n);
    else object = ctx.unpack('vm_object', e.num(f.object));
  } else {
    const isSub = has.isSubmap && e.bool(f.isSubmap!);
    if (isSub) submap = e.pointer(f.submap!);
    else object = e.pointer(f.object);
  }
  let raw = e.u64(f.offset);
  let tag: number;
  if (enc === 'E2') {
    tag = Number(raw & E2_ALIAS_MASK);
    raw &= ~E2_ALIAS_MASK;
  } else tag = has.alias ? e.num(f.alias!) : 0;
  return {
    address: e.address,
    start: e.u64('links.start'),
    end: e.u64('links.end'),
    protection: e.num('protection'),
    maxProtection: e.num('max_protection'),
    object,
    submap,
    offset: raw << BigInt(f.offsetShift),
    tag,
    needsCopy: has.needsCopy ? e.bool('needs_copy') : false,
    kernelObject: has.kernelObject ? e.bool('vme_kernel_object') : false,
  };
}

export class MapCache {
  private readonly maps = new Map<bigint, MapRead>();
  private readonly enc: EntryEncoding;
  private readonly fields: EntryFields;
  private readonly presence: EntryPresence;

  constructor(private readonly ctx: KernelContext) {
    this.enc = entryEncoding(ctx);
    this.fields = ENTRY_FIELDS[this.enc];
    this.presence = entryPresence(ctx, this.fields);
  }

  get encoding(): EntryEncoding {
    return this.enc;
  }

  get(map: bigint): MapRead {
    let m = this.maps.get(map);
    if (m === undefined) {
      m = this.read(map);
      this.maps.set(map, m);
    }
    return m;
  }

  private read(map: bigint): MapRead {
    const ctx = this.ctx;
    const walk = walkMapEntries(ctx, { map });
    const problems: string[] = [];
    if (walk.problem) problems.push(walk.problem.message);
    for (const n of walk.notes) problems.push(n.message);
    const entries: MapEntry[] = [];
    for (const e of walk.items) {
      try {
        const d = decodeEntry(ctx, e, this.enc, this.fields, this.presence);
        if (d.end <= d.start) {
          problems.push(`entry 0x${e.address.toString(16)}: end 0x${d.end.toString(16)} is not above start 0x${d.start.toString(16)}; skipped`);
          continue;
        }
        entries.push(d);
      } catch (err) {
        if (!(err instanceof UnfoldError)) throw err;
        problems.push(`entry 0x${e.address.toString(16)}: ${err.message}`);
      }
    }
    let pageSize = 0;
    const hdr = ctx.tryObject('_vm_map', map);
    if (!(hdr instanceof UnfoldError) && hdr.has('hdr.page_shift')) {
      const s = hdr.num('hdr.page_shift');
      if (s >= 12 && s <= 16) pageSize = 1 << s;
    }
    return { address: map, entries, pageSize, problems };
  }

  /** the entry of `map` containing `addr` (entries are sorted by start) */
  lookup(map: bigint, addr: bigint): MapEntry | null {
    const es = this.get(map).entries;
    let lo = 0;
    let hi = es.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = es[mid]!;
      if (addr < e.start) hi = mid - 1;
      else if (addr >= e.end) lo = mid + 1;
      else return e;
    }
    return null;
  }
}
