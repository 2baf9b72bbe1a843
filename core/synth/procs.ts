// Processes inside a synthetic kernel: proc/task lists, vm_maps with entries, vm_objects with shadow
// chains, resident vm_pages, compressor pagers in every slot-storage form, per-process page tables,
// and the real c_packed_ptr back-pointer of every live c_slot — with the ground truth computed from the
// spec (which object page is where), never by reading the image back.
//
// Call after buildCompressorDetailed (the slots the processes map must exist) and before finish().
// Every live named c_slot that no process maps is given an orphan pager (an object no map reaches), so
// every back-pointer lands on a slot mapping naming its (segment + 1, slot).
import { sha256, valuePage, type BuiltCompressor } from './compressor';
import type { SynthKernelBuilder } from './kernel';
import { ARM_PHYS_BASE } from './kernel';
import { createUserPageTable, type UserPageTable } from './pagetables';
import { SBuf } from './struct-writer';
import {
  emptyCounts,
  protString,
  type Owner,
  type PageState,
  type PageTruth,
  type ProcessTruth,
  type ProcWorldTruth,
  type RegionTruth,
  type SlotOwnerTruth,
  type SvOwnerTruth,
} from './proc-truth';
import { IKOT_MEMORY_OBJECT, vmEra, vmUserTypes, type VmEra, type Xnu } from './vm-types';

// =============================================================================================
// Spec

export type PageSpec =
  /** resident: these bytes (one kernel page) in a physical page with a vm_page in the object's memq */
  | { data: Uint8Array }
  /** in the compressor: the slot of that name in the compressor truth (resident or swapped segment) */
  | { slot: string }
  /** a single-value page: the sv table entry holding this value */
  | { sv: number }
  /** a c_slot by position, for slots without a name (the scale image); its page hash is not known */
  | { slotRef: { segment: number; slot: number } };

export interface VmObjectSpec {
  id: string;
  /** object size in kernel pages (vo_size; cpgr_num_slots = pages + pagingOffsetPages) */
  pages: number;
  /** by page index in the object */
  content?: Record<number, PageSpec>;
  shadow?: { id: string; offsetPages: number };
  pagingOffsetPages?: number;
  trueShare?: boolean;
}

export interface MapEntrySpec {
  start: bigint;
  pages: number;
  /** object id, or null for an entry without object (every page absent, unless `submap`) */
  object: string | null;
  /** submap id (is_sub_map): the entry maps [offset, offset + size) of that submap's address space */
  submap?: string;
  offsetPages?: number;
  prot: number;
  maxProt?: number;
  tag?: number;
  needsCopy?: boolean;
  /** page indexes in the entry whose resident page is not entered in the page tables */
  noPte?: number[];
}

export interface ProcSpec {
  pid: number;
  ppid: number;
  /** executable name; p_comm keeps its first 16 characters, p_name its first 32 */
  comm: string;
  entries: MapEntrySpec[];
}

export interface SubmapSpec {
  id: string;
  /** entries of the submap, at submap addresses (0-based, like the shared region's submap) */
  entries: MapEntrySpec[];
}

export interface WorldSpec {
  objects: VmObjectSpec[];
  /** nested maps (the dyld shared region): mapped into processes by entries with `submap` */
  submaps?: SubmapSpec[];
  /** in creation order (pid 0, kernproc, is added first by the builder) */
  procs: ProcSpec[];
  /** exited, not yet reaped: on zombproc, p_stat SZOMB, no task (13+: P_LHASTASK clear) */
  zombies?: Array<{ pid: number; ppid: number; comm: string }>;
  /** tasks on the `tasks` queue whose proc is on no process list (a corpse, a task being set up) */
  strayTasks?: Array<{ pid: number; ppid: number; comm: string }>;
}

// =============================================================================================
// Packing rules (docs/process-memory.md §4, §5)

/** VM_MIN_KERNEL_AND_KEXT_ADDRESS as these images use it (x86_64 real value; arm64 the large-memory base) */
export function vmPackBase(arch: 'x86_64' | 'arm64'): bigint {
  return arch === 'arm64' ? 0xfffffe0000000000n : 0xffffff7f80000000n;
}

/** VM_PACK_POINTER for objects and non-array vm_pages: 31 bits, shift 6, base-relative */
export function packVmPointer(arch: 'x86_64' | 'arm64', va: bigint): number {
  const d = va - vmPackBase(arch);
  if (d < 0n || d % 64n !== 0n || d >> 6n >= 1n << 31n) throw new Error(`synth procs: 0x${va.toString(16)} is not packable`);
  return Number(d >> 6n);
}

export const VM_PAGE_PACKED_FROM_ARRAY = 0x80000000;
const C_SV_CSEG_ID = 0x3fffff;
const P_LHASTASK = 0x2;
const P_LP64 = 0x4;

// =============================================================================================
// The builder

interface ObjState {
  spec: VmObjectSpec;
  va: bigint;
  buf: SBuf;
  /** object page → physical page and vm_page */
  resident: Map<number, { phys: number; vmPage: bigint; index: number }>;
  pager: bigint | null;
  storage: 'embedded' | 'direct' | 'indirect' | null;
  /** object page → slot mapping address and value */
  slots: Map<number, { address: bigint; value: number }>;
  shadowed: boolean;
  refs: number;
  mapped: boolean;
}

export interface BuiltProcesses {
  truth: ProcWorldTruth;
  era: VmEra;
}

export interface BuildProcessesOptions {
  /** user types to leave out of the ISF */
  omitTypes?: string[];
  /** no per-page truth (regions keep their counts, slots/sv truth stay empty): for the scale image */
  light?: boolean;
}

export function buildProcesses(k: SynthKernelBuilder, xnu: Xnu, comp: BuiltCompressor, world: WorldSpec, opts: BuildProcessesOptions = {}): BuiltProcesses {
  const light = !!opts.light;
  const era = vmEra(k.arch, xnu);
  const ps = era.pageSize;
  const PS = BigInt(ps);
  const { types, procSize, taskAlign } = vmUserTypes(era);
  for (const [name, t] of Object.entries(types)) if (!opts.omitTypes?.includes(name)) k.addUserType(name, t);
  const arch = k.arch;
  const ct = comp.truth;
  if (ct.pageSize !== ps) throw new Error('synth procs: compressor and kernel page sizes differ');
  const S = (typeName: string, va: bigint) => new SBuf(types, typeName, va);
  const size = (typeName: string) => types[typeName]!.size;

  // ---- globals the walker starts from
  const G = (name: string, bytes: number, type: unknown, align = 8): bigint => {
    const va = k.global(name, bytes, align);
    k.setSymbolType(name, type);
    return va;
  };
  const opsVa = G('compressor_pager_ops', size('memory_object_pager_ops'), { kind: 'struct', name: 'memory_object_pager_ops' });
  {
    const nameVa = k.alloc(32, 8);
    k.write(nameVa, new TextEncoder().encode('compressor pager\0'));
    const ops = S('memory_object_pager_ops', opsVa);
    ops.set('memory_object_pager_name', nameVa);
    // function pointers into the kernel's text
    ops.set('memory_object_reference', k.symbolVa('version') - 0x80000n);
    ops.flush(k);
  }
  const packBase = vmPackBase(arch);
  if (era.packingParams) {
    const pp = S('vm_packing_params', G('vm_page_packing_params', size('vm_packing_params'), { kind: 'struct', name: 'vm_packing_params' }));
    pp.set('vmpp_base', packBase).set('vmpp_bits', 31).set('vmpp_shift', 6).set('vmpp_base_relative', 1).flush(k);
    if (era.linearPages) k.writeU32(G('vm_packed_from_vm_pages_array_mask', 4, { kind: 'base', name: 'unsigned int' }, 4), VM_PAGE_PACKED_FROM_ARRAY);
  } else if (era.page !== 'G1') {
    k.writeU64(G('vm_min_kernel_and_kext_address', 8, { kind: 'base', name: 'unsigned long long' }), packBase);
    k.writeU32(G('vm_packed_pointer_shift', 4, { kind: 'base', name: 'unsigned int' }, 4), 6);
    k.writeU32(G('vm_packed_from_vm_pages_array_mask', 4, { kind: 'base', name: 'unsigned int' }, 4), VM_PAGE_PACKED_FROM_ARRAY);
  }

  // ---- objects
  const objs = new Map<string, ObjState>();
  for (const o of world.objects) {
    if (objs.has(o.id)) throw new Error(`synth procs: object ${o.id} twice`);
    const va = k.alloc(size('vm_object'), 64);
    objs.set(o.id, { spec: o, va, buf: S('vm_object', va), resident: new Map(), pager: null, storage: null, slots: new Map(), shadowed: false, refs: 0, mapped: false });
  }
  const obj = (id: string): ObjState => {
    const o = objs.get(id);
    if (!o) throw new Error(`synth procs: no object ${id}`);
    return o;
  };
  for (const o of objs.values()) {
    if (o.spec.shadow) {
      const s = obj(o.spec.shadow.id);
      s.shadowed = true;
      s.refs++;
    }
  }

  // ---- vm_page array: arm64 one element per physical page (ppnum = index + first), x86_64 only the pages used
  const residentCount = world.objects.reduce((n, o) => n + Object.values(o.content ?? {}).filter((p) => 'data' in p).length, 0);
  const pageT = size('vm_page');
  const ram = k.physRange();
  const arrayLen = arch === 'arm64' ? Math.floor(ram.size / ps) : residentCount + 8;
  const firstPpnum = arch === 'arm64' ? Math.floor(ram.base / ps) : 0;
  const vmPages = k.alloc(arrayLen * pageT, 64);
  let nextIndex = 0;
  const pageIndexOf = (phys: number): number => (arch === 'arm64' ? Math.floor((phys - ram.base) / ps) : nextIndex++);
  {
    const ptrT = { kind: 'pointer', subtype: { kind: 'struct', name: 'vm_page' } };
    const u32T = { kind: 'base', name: 'unsigned int' };
    if (era.linearPages) {
      k.writeU64(G('vm_pages', 8, ptrT), vmPages);
      k.writeU64(G('vm_pages_end', 8, ptrT), vmPages + BigInt(arrayLen * pageT));
      k.writeU32(G('vm_pages_count', 4, u32T, 4), arrayLen);
      k.writeU32(G('vm_pages_first_pnum', 4, u32T, 4), firstPpnum);
    } else {
      k.writeU64(G('vm_pages', 8, ptrT), vmPages);
      k.writeU64(G('vm_page_array_beginning_addr', 8, ptrT), vmPages);
      k.writeU64(G('vm_page_array_ending_addr', 8, ptrT), vmPages + BigInt(arrayLen * pageT));
      k.writeU32(G('vm_pages_count', 4, u32T, 4), arrayLen);
      if (arch === 'arm64') k.writeU32(G('vm_first_phys_ppnum', 4, u32T, 4), firstPpnum);
    }
  }
  if (arch === 'arm64' && ram.base !== ARM_PHYS_BASE) throw new Error('synth procs: unexpected arm64 RAM base');

  // resident pages: a physical page each, with its vm_page
  const pagePrefix = era.page === 'G3' ? 'vmp_' : '';
  const objectField = era.page === 'G1' ? 'object' : era.page === 'G2' ? 'vm_page_object' : 'vmp_object';
  for (const o of objs.values()) {
    for (const [key, p] of Object.entries(o.spec.content ?? {})) {
      if (!('data' in p)) continue;
      const n = Number(key);
      if (p.data.length !== ps) throw new Error(`synth procs: object ${o.spec.id} page ${n} is ${p.data.length} bytes, not ${ps}`);
      const phys = k.allocPhysPage();
      k.writePhys(phys, p.data);
      const index = pageIndexOf(phys);
      if (index >= arrayLen) throw new Error('synth procs: vm_pages array too small');
      o.resident.set(n, { phys, vmPage: vmPages + BigInt(index * pageT), index });
    }
  }
  // memq lists, in object-offset order
  const packedPage = (r: { index: number }): number => (VM_PAGE_PACKED_FROM_ARRAY | r.index) >>> 0;
  for (const o of objs.values()) {
    const list = [...o.resident.entries()].sort((a, b) => a[0] - b[0]).map(([n, r]) => ({ n, ...r }));
    const headFull = o.va;
    const headPacked = packVmPointer(arch, o.va);
    const link = (i: number, full: boolean): number | bigint => {
      if (i < 0 || i >= list.length) return full ? headFull : headPacked;
      return full ? list[i]!.vmPage : packedPage(list[i]!);
    };
    const full = era.page === 'G1';
    o.buf.set('memq.next', link(0, full)).set('memq.prev', link(list.length - 1, full));
    list.forEach((r, i) => {
      const pg = S('vm_page', r.vmPage);
      pg.set(`${pagePrefix}listq.next`, link(i + 1, full)).set(`${pagePrefix}listq.prev`, link(i - 1, full));
      pg.set(objectField, full ? o.va : packVmPointer(arch, o.va));
      pg.set(`${pagePrefix}offset`, BigInt(r.n) * PS);
      pg.set(`${pagePrefix}tabled`, 1).set(`${pagePrefix}pmapped`, 1);
      if (era.page !== 'G1') pg.set(`${pagePrefix}q_state`, 7);
      if (arch === 'x86_64') pg.set(`${pagePrefix}phys_page`, r.phys / ps);
      pg.flush(k);
    });
  }

  // ---- compressor pagers
  const slotUse = new Set<string>();
  const svIndexOf = new Map<number, number>();
  for (const e of ct.sv) svIndexOf.set(Number.parseInt(e.value, 16), e.index);
  const svUsed = new Map<number, number>();
  const slotTruth = (name: string) => {
    const t = ct.byName[name];
    if (!t) throw new Error(`synth procs: the compressor has no slot named ${name}`);
    // a buffer encrypted in place backs a page once decrypted (its sealedKind says how it is stored)
    if (t.kind === 'corrupt' || (t.kind === 'encrypted?' && t.sealedKind === undefined) || !t.page) throw new Error(`synth procs: slot ${name} (${t.kind}) cannot back a process page`);
    return t;
  };
  const mappings: Array<{ address: bigint; value: number; key?: string; sv?: number; o: ObjState; page: number }> = [];
  const makePager = (o: ObjState, entries: Map<number, { key?: string; sv?: number; value: number }>): void => {
    const numSlots = o.spec.pages + (o.spec.pagingOffsetPages ?? 0);
    const pagerVa = k.allocZone(size('compressor_pager'), 16);
    const pb = S('compressor_pager', pagerVa);
    let control: bigint = o.va;
    if (!era.controlIsObject) {
      control = k.allocZone(size('memory_object_control'), 16);
      S('memory_object_control', control).set('moc_ikot', 12).set('moc_object', o.va).flush(k);
    }
    if (types['compressor_pager']!.fields['cpgr_hdr']) {
      pb.set('cpgr_hdr.mo_ikot', IKOT_MEMORY_OBJECT).set('cpgr_hdr.mo_pager_ops', opsVa).set('cpgr_hdr.mo_control', control);
      if (era.controlIsObject) pb.set('cpgr_hdr.mo_ref', 1);
    } else {
      pb.set('cpgr_pager_header.io_bits', IKOT_MEMORY_OBJECT).set('cpgr_pager_header.io_references', 1).set('cpgr_pager_ops', opsVa).set('cpgr_control', control);
    }
    if (era.pager !== 'C4') pb.set('cpgr_references', 1);
    pb.set('cpgr_num_slots', numSlots);
    const occupied = [...entries.values()].filter((e) => e.value !== 0).length;
    if (era.pager === 'C2') pb.set('cpgr_num_slots_occupied_pager', occupied);
    if (era.pager !== 'C1') pb.set('cpgr_num_slots_occupied', occupied);
    const chunks = Math.ceil(numSlots / 128);
    const slotIndex = (page: number) => page + (o.spec.pagingOffsetPages ?? 0);
    const addrOf = new Map<number, bigint>();
    if (chunks > 1) {
      o.storage = 'indirect';
      const islots = k.allocZone(chunks * 8, 16);
      const chunkVa = new Map<number, bigint>();
      for (const page of entries.keys()) {
        const i = slotIndex(page);
        const c = Math.floor(i / 128);
        if (!chunkVa.has(c)) {
          const cv = k.allocZone(512, 16);
          k.write(cv, new Uint8Array(512));
          chunkVa.set(c, cv);
          k.writeU64(islots + BigInt(c * 8), cv);
        }
        addrOf.set(page, chunkVa.get(c)! + BigInt((i % 128) * 4));
      }
      for (let c = 0; c < chunks; c++) if (!chunkVa.has(c)) k.writeU64(islots + BigInt(c * 8), 0n);
      pb.set('cpgr_slots.cpgr_islots', islots);
    } else if (era.eslots && numSlots <= 2) {
      o.storage = 'embedded';
      for (const page of entries.keys()) addrOf.set(page, pb.addr('cpgr_slots') + BigInt(slotIndex(page) * 4));
    } else {
      o.storage = 'direct';
      const dslots = k.allocZone(Math.max(numSlots * 4, 16), 16);
      k.write(dslots, new Uint8Array(numSlots * 4));
      for (const page of entries.keys()) addrOf.set(page, dslots + BigInt(slotIndex(page) * 4));
      pb.set('cpgr_slots.cpgr_dslots', dslots);
    }
    for (const [page, e] of entries) {
      if (page < 0 || page >= o.spec.pages) throw new Error(`synth procs: object ${o.spec.id} page ${page} out of range`);
      const address = addrOf.get(page)!;
      o.slots.set(page, { address, value: e.value });
      mappings.push({ address, value: e.value, ...(e.key ? { key: e.key } : {}), ...(e.sv !== undefined ? { sv: e.sv } : {}), o, page });
    }
    if (o.storage === 'embedded') {
      const base = pb.off('cpgr_slots');
      for (const [page, e] of entries) new DataView(pb.buf.buffer).setUint32(base + slotIndex(page) * 4, e.value >>> 0, true);
    } else {
      for (const [page, e] of entries) k.writeU32(addrOf.get(page)!, e.value);
    }
    pb.flush(k);
    o.pager = pagerVa;
    o.buf.set('pager', pagerVa).set('pager_control', control).set('pager_created', 1).set('pager_initialized', 1).set('pager_ready', 1);
    if (o.spec.pagingOffsetPages) o.buf.set('paging_offset', BigInt(o.spec.pagingOffsetPages) * PS);
  };
  const slotValueOf = (p: PageSpec): { key?: string; sv?: number; value: number } | null => {
    if ('slotRef' in p) {
      const { segment, slot } = p.slotRef;
      const key = `${segment}:${slot}`;
      if (slotUse.has(key)) throw new Error(`synth procs: slot ${key} backs two object pages`);
      slotUse.add(key);
      return { key, value: ((slot << 22) | (segment + 1)) >>> 0 };
    }
    if ('slot' in p) {
      const t = slotTruth(p.slot);
      const key = `${t.segment}:${t.slot}`;
      if (slotUse.has(key)) throw new Error(`synth procs: slot ${p.slot} backs two object pages`);
      slotUse.add(key);
      return { key, value: (((t.slot << 22) | (t.segment + 1)) >>> 0) };
    }
    if ('sv' in p) {
      const idx = svIndexOf.get(p.sv >>> 0);
      if (idx === undefined) throw new Error(`synth procs: no sv table entry holds 0x${(p.sv >>> 0).toString(16)}`);
      svUsed.set(idx, (svUsed.get(idx) ?? 0) + 1);
      return { sv: p.sv >>> 0, value: (((idx << 22) | C_SV_CSEG_ID) >>> 0) };
    }
    return null;
  };
  for (const o of objs.values()) {
    const entries = new Map<number, { key?: string; sv?: number; value: number }>();
    for (const [key, p] of Object.entries(o.spec.content ?? {})) {
      const v = slotValueOf(p);
      if (v) entries.set(Number(key), v);
    }
    if (entries.size > 0) makePager(o, entries);
  }

  const segByIndex = new Map(ct.segments.map((g) => [g.index, g]));

  /**
   * arm64e (Apple silicon, 11.0+): fields declared XNU_PTRAUTH_SIGNED_PTR hold a PAC signature in
   * bits 47–54 and 56–63 (47-bit kernel VAs; bit 55 stays set for a kernel pointer). The signature
   * here is a hash of the pointer and the field's discriminator name; stripping restores the VA.
   */
  function pac(va: bigint, discriminator: string): bigint {
    if (arch !== 'arm64' || era.xnu[0] < 7195 || va === 0n) return va;
    let h = 0x811c9dc5;
    for (const ch of discriminator + va.toString(16)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    const lo = BigInt(h & 0xff) === 0xffn ? 0x5an : BigInt(h & 0xff);
    const hi = BigInt((h >>> 8) & 0xff);
    return (va & ((1n << 47n) - 1n)) | (lo << 47n) | (1n << 55n) | (hi << 56n);
  }

  // ---- processes
  const kernelPmap = k.symbolVa('kernel_pmap_store');
  const pmapSize = arch === 'x86_64' ? 0x80 : 0x40;
  const procStructSize = Math.ceil(procSize / taskAlign) * taskAlign;
  const allprocVa = G('allproc', 8, { kind: 'struct', name: 'proclist' });
  const zombprocVa = G('zombproc', 8, { kind: 'struct', name: 'proclist' });
  const kernprocVa = G('kernproc', 8, { kind: 'pointer', subtype: { kind: 'struct', name: 'proc' } });
  const kernelTaskVa = G('kernel_task', 8, { kind: 'pointer', subtype: { kind: 'struct', name: 'task' } });
  const kernelMapVa = G('kernel_map', 8, { kind: 'pointer', subtype: { kind: 'struct', name: '_vm_map' } });
  const tasksVa = G('tasks', 16, { kind: 'struct', name: 'queue_entry' });
  const tasksCountVa = G('tasks_count', 4, { kind: 'base', name: 'int' }, 4);
  const nprocsVa = G('nprocs', 4, { kind: 'base', name: 'int' }, 4);
  if (era.procTask === 'P4') {
    k.writeU64(G('proc_struct_size', 8, { kind: 'base', name: 'long unsigned int' }), BigInt(procStructSize));
    k.writeU64(G('task_struct_size', 8, { kind: 'base', name: 'long unsigned int' }), BigInt(size('task')));
  }

  // ---- submaps: their own _vm_map and entries (objects only), and a nested pmap
  const subs = new Map<string, { map: bigint; entries: Array<{ spec: MapEntrySpec; va: bigint; o: ObjState | null }> }>();
  for (const sm of world.submaps ?? []) {
    const mb = S('_vm_map', k.alloc(size('_vm_map'), 16));
    const list = [...sm.entries].sort((a, b) => (a.start < b.start ? -1 : 1));
    const vas = list.map(() => k.alloc(size('vm_map_entry'), 16));
    const head = mb.addr('hdr.links');
    const entries: Array<{ spec: MapEntrySpec; va: bigint; o: ObjState | null }> = [];
    let total = 0n;
    list.forEach((e, i) => {
      if (e.submap) throw new Error('synth procs: nested submaps are not modelled');
      const o = writeEntry(vas[i]!, e, i > 0 ? vas[i - 1]! : head, i + 1 < list.length ? vas[i + 1]! : head, `submap ${sm.id}`);
      total += BigInt(e.pages) * PS;
      entries.push({ spec: e, va: vas[i]!, o });
    });
    const nested = k.alloc(arch === 'x86_64' ? 0x80 : 0x40, 64);
    const root = createUserPageTable(k).root;
    if (arch === 'x86_64') k.writeU64(nested + 0x40n, BigInt(root));
    else {
      k.writeU64(nested, k.physToKva(root));
      k.writeU64(nested + 8n, BigInt(root));
    }
    mb.set('hdr.links.prev', vas.length ? vas[vas.length - 1]! : head).set('hdr.links.next', vas.length ? vas[0]! : head);
    const last = list[list.length - 1];
    mb.set('hdr.links.start', 0n).set('hdr.links.end', last ? last.start + BigInt(last.pages) * PS : 0n);
    mb.set('hdr.nentries', list.length).set('hdr.entries_pageable', 1).set('hdr.page_shift', era.pageShift);
    mb.set('pmap', nested).set('size', total).set('ref_count', 1);
    mb.flush(k);
    subs.set(sm.id, { map: mb.va, entries });
  }

  const all: ProcSpec[] = [{ pid: 0, ppid: 0, comm: 'kernel_task', entries: [] }, ...world.procs];
  const listed = all.length;
  for (const t of world.strayTasks ?? []) all.push({ ...t, entries: [] });
  const pids = new Set<number>();
  for (const p of all) {
    if (pids.has(p.pid)) throw new Error(`synth procs: pid ${p.pid} twice`);
    pids.add(p.pid);
  }
  interface PState {
    spec: ProcSpec;
    proc: SBuf;
    task: SBuf;
    ro: SBuf | null;
    map: SBuf;
    pmap: bigint;
    table: UserPageTable | null;
  }
  const ps_: PState[] = all.map((p) => {
    let procVa: bigint;
    let taskVa: bigint;
    if (era.procTask === 'P4') {
      procVa = k.alloc(procStructSize + size('task'), 16);
      taskVa = procVa + BigInt(procStructSize);
    } else {
      procVa = k.alloc(procSize, 16);
      taskVa = k.alloc(size('task'), 16);
    }
    const ro = era.procTask === 'P3' || era.procTask === 'P4' ? S('proc_ro', k.allocZone(size('proc_ro'), 16)) : null;
    const map = S('_vm_map', k.alloc(size('_vm_map'), 16));
    let pmap = kernelPmap;
    let table: UserPageTable | null = null;
    if (p.pid !== 0) {
      table = createUserPageTable(k);
      pmap = k.alloc(pmapSize, 64);
      if (arch === 'x86_64') {
        k.writeU64(pmap + 0x40n, BigInt(table.root)); // pm_cr3 (kernel.ts pmap type)
        k.writeU64(pmap + 0x50n, k.physToKva(table.root)); // pm_pml4
      } else {
        k.writeU64(pmap, k.physToKva(table.root)); // tte
        k.writeU64(pmap + 8n, BigInt(table.root)); // ttep
      }
    }
    return { spec: p, proc: S('proc', procVa), task: S('task', taskVa), ro, map, pmap, table };
  });
  const byPid = new Map(ps_.map((s) => [s.spec.pid, s]));

  // allproc: newest first (LIST_INSERT_HEAD); p_list.le_prev = address of the previous le_next
  const order = ps_.slice(0, listed).reverse();
  k.writeU64(allprocVa, order[0]!.proc.va);
  order.forEach((s, i) => {
    s.proc.set('p_list.le_next', i + 1 < order.length ? order[i + 1]!.proc.va : 0n);
    s.proc.set('p_list.le_prev', i === 0 ? allprocVa : order[i - 1]!.proc.addr('p_list.le_next'));
  });
  // tasks: oldest first (queue_enter at the tail); links hold element bases, the ends the head
  ps_.forEach((s, i) => {
    s.task.set('tasks.next', i + 1 < ps_.length ? ps_[i + 1]!.task.va : tasksVa);
    s.task.set('tasks.prev', i > 0 ? ps_[i - 1]!.task.va : tasksVa);
  });
  k.writeU64(tasksVa, ps_[0]!.task.va);
  k.writeU64(tasksVa + 8n, ps_[ps_.length - 1]!.task.va);
  k.writeU32(tasksCountVa, ps_.length);
  k.writeU32(nprocsVa, listed);
  k.writeU64(kernprocVa, ps_[0]!.proc.va);
  k.writeU64(kernelTaskVa, ps_[0]!.task.va);
  k.writeU64(kernelMapVa, ps_[0]!.map.va);

  const processes: ProcessTruth[] = [];
  const strayTasks: ProcWorldTruth['strayTasks'] = [];
  const slotOwners = new Map<string, Owner[]>();
  const svOwners = new Map<number, Owner[]>();
  let uniqueId = 100;
  for (const s of ps_) {
    const p = s.spec;
    const parent = byPid.get(p.ppid);
    if (!parent) throw new Error(`synth procs: pid ${p.pid} has no parent ${p.ppid}`);
    const comm = p.comm.slice(0, 16);
    const pName = p.comm.slice(0, 32);
    const enc = (x: string) => new TextEncoder().encode(x + '\0');
    s.proc.set('p_pid', p.pid).set('p_ppid', p.ppid).set('p_pptr', parent.proc.va).set('p_stat', 2).set('p_flag', P_LP64).set('p_refcount', 1);
    s.proc.bytes('p_comm', enc(comm)).bytes('p_name', enc(pName));
    s.proc.set('p_start.tv_sec', 1722300000 + p.pid);
    const uid = p.pid === 0 || p.pid === 1 ? 0 : 501;
    s.proc.set('p_uid', uid).set('p_ruid', uid).set('p_svuid', uid).set('p_gid', 20);
    const lflag = era.procTask === 'P4' ? P_LHASTASK : 0;
    s.proc.set('p_lflag', lflag | 0x400);
    uniqueId++;
    if (era.procTask === 'P1' || era.procTask === 'P2') s.proc.set('p_uniqueid', uniqueId).set('p_puniqueid', p.ppid === p.pid ? 0 : uniqueId - 1);
    if (era.procTask !== 'P4') s.proc.set('task', pac(s.task.va, 'proc.task'));
    if (s.ro) {
      s.proc.set('p_proc_ro', s.ro.va);
      s.ro.set('pr_proc', s.proc.va).set('pr_task', s.task.va).set('proc_data.p_uniqueid', uniqueId);
      s.ro.flush(k);
    }
    s.task.set('map', pac(s.map.va, 'task.map')).set('ref_count', 2).set('active', 1);
    if (era.procTask !== 'P4') s.task.set('bsd_info', s.proc.va);
    if (era.procTask === 'P3') s.task.set('bsd_info_ro', s.ro!.va);
    // task.threads: an empty queue
    s.task.set('threads.next', s.task.addr('threads')).set('threads.prev', s.task.addr('threads'));

    // ---- the map
    const entries = [...p.entries].sort((a, b) => (a.start < b.start ? -1 : 1));
    const head = s.map.addr('hdr.links');
    const entryVas = entries.map(() => k.alloc(size('vm_map_entry'), 16));
    const regions: RegionTruth[] = [];
    let total = 0n;
    let prevEnd = -1n;
    entries.forEach((e, i) => {
      if (e.start % PS !== 0n) throw new Error(`synth procs: pid ${p.pid} entry at 0x${e.start.toString(16)} is not page-aligned`);
      if (e.start < prevEnd) throw new Error(`synth procs: pid ${p.pid} entries overlap at 0x${e.start.toString(16)}`);
      const end = e.start + BigInt(e.pages) * PS;
      prevEnd = end;
      total += end - e.start;
      const o = writeEntry(entryVas[i]!, e, i > 0 ? entryVas[i - 1]! : head, i + 1 < entries.length ? entryVas[i + 1]! : head, `pid ${p.pid}`);
      const offset = BigInt(e.offsetPages ?? 0) * PS;
      const tag = e.tag ?? 0;
      const sub = e.submap ? subs.get(e.submap) : undefined;
      if (e.submap && !sub) throw new Error(`synth procs: no submap ${e.submap}`);

      // ---- pages of the entry (docs/process-memory.md §5, the shadow-chain rule; submaps §4)
      const pages: PageTruth[] = [];
      const counts = emptyCounts();
      for (let n = 0; n < e.pages; n++) {
        const va = e.start + BigInt(n) * PS;
        let pt: PageTruth;
        let prot = e.prot;
        if (sub) {
          const at = offset + BigInt(n) * PS;
          const se = sub.entries.find((x) => x.spec.start <= at && at < x.spec.start + BigInt(x.spec.pages) * PS);
          if (se) {
            pt = resolvePage(se.o, (se.spec.offsetPages ?? 0) + Number((at - se.spec.start) / PS), va);
            prot &= se.spec.prot;
          } else pt = { va, state: 'absent', sha256: null, object: null, objectOffset: 0n, depth: 0 };
        } else pt = resolvePage(o, (e.offsetPages ?? 0) + n, va);
        if (pt.state === 'resident') {
          pt.pte = !(e.noPte ?? []).includes(n);
          if (pt.pte) s.table!.map(va, pt.phys!, e.needsCopy || pt.depth > 0 ? prot & ~2 : prot);
        }
        counts[pt.state]++;
        if (light) continue;
        pages.push(pt);
        if (pt.segment !== undefined) push(slotOwners, `${pt.segment}:${pt.slot}`, { pid: p.pid, va });
        if (pt.svIndex !== undefined) push(svOwners, pt.svIndex, { pid: p.pid, va });
      }
      regions.push({
        start: e.start,
        end,
        protection: protString(e.prot),
        maxProtection: protString(e.maxProt ?? 7),
        object: o?.va ?? null,
        submap: sub?.map ?? null,
        offset,
        tag,
        needsCopy: !!e.needsCopy,
        entry: entryVas[i]!,
        pages,
        counts,
      });
    });
    s.map.set('hdr.links.prev', entryVas.length ? entryVas[entryVas.length - 1]! : head);
    s.map.set('hdr.links.next', entryVas.length ? entryVas[0]! : head);
    if (p.pid === 0) s.map.set('hdr.links.start', arch === 'arm64' ? 0xfffffe0000000000n : 0xffffff7f80000000n).set('hdr.links.end', 0xfffffffffffff000n);
    else s.map.set('hdr.links.start', 0n).set('hdr.links.end', 0x7ffffe000000n);
    s.map.set('hdr.nentries', entries.length).set('hdr.entries_pageable', p.pid === 0 ? 0 : 1).set('hdr.page_shift', era.pageShift);
    s.map.set('hdr.highest_entry_end_addr', entries.length ? entries[entries.length - 1]!.start + BigInt(entries[entries.length - 1]!.pages) * PS : 0n);
    s.map.set('pmap', era.xnu[0] >= 11417 ? pac(s.pmap, '_vm_map.pmap') : s.pmap).set('size', total).set('ref_count', 1);
    s.proc.flush(k);
    s.task.flush(k);
    s.map.flush(k);
    const counts = emptyCounts();
    for (const r of regions) for (const st of Object.keys(counts) as PageState[]) counts[st] += r.counts[st];
    if (ps_.indexOf(s) >= listed) {
      strayTasks.push({ pid: p.pid, ppid: p.ppid, name: comm, proc: s.proc.va, task: s.task.va, map: s.map.va });
      continue;
    }
    processes.push({
      pid: p.pid,
      ppid: p.ppid,
      name: comm,
      pName,
      proc: s.proc.va,
      task: s.task.va,
      map: s.map.va,
      pmap: s.pmap,
      pmapRoot: s.table ? s.table.root : k.dtb,
      pageSize: ps,
      regions,
      counts,
    });
  }
  processes.sort((a, b) => a.pid - b.pid);

  // ---- zombies: newest first on zombproc, like allproc
  const zombies: ProcWorldTruth['zombies'] = [];
  const zs = (world.zombies ?? []).map((z) => {
    const parent = byPid.get(z.ppid);
    if (!parent) throw new Error(`synth procs: zombie ${z.pid} has no parent ${z.ppid}`);
    if (pids.has(z.pid)) throw new Error(`synth procs: pid ${z.pid} twice`);
    const va = era.procTask === 'P4' ? k.alloc(procStructSize + size('task'), 16) : k.alloc(procSize, 16);
    return { z, parent, b: S('proc', va) };
  });
  const zOrder = [...zs].reverse();
  k.writeU64(zombprocVa, zOrder.length ? zOrder[0]!.b.va : 0n);
  zOrder.forEach(({ z, parent, b }, i) => {
    b.set('p_list.le_next', i + 1 < zOrder.length ? zOrder[i + 1]!.b.va : 0n);
    b.set('p_list.le_prev', i === 0 ? zombprocVa : zOrder[i - 1]!.b.addr('p_list.le_next'));
    const enc = (x: string) => new TextEncoder().encode(x + '\0');
    b.set('p_pid', z.pid).set('p_ppid', z.ppid).set('p_pptr', parent.proc.va).set('p_stat', 5).set('p_flag', P_LP64);
    b.bytes('p_comm', enc(z.comm.slice(0, 16))).bytes('p_name', enc(z.comm.slice(0, 32)));
    b.set('p_lflag', 0x400).set('p_xstat', 9);
    b.flush(k);
    zombies.push({ pid: z.pid, ppid: z.ppid, name: z.comm.slice(0, 16), proc: b.va });
  });
  zombies.sort((a, b) => a.pid - b.pid);

  /** one vm_map_entry by the era's encoding; returns its object (null for none or a submap) */
  function writeEntry(va: bigint, e: MapEntrySpec, prev: bigint, next: bigint, who: string): ObjState | null {
    const eb = S('vm_map_entry', va);
    const end = e.start + BigInt(e.pages) * PS;
    eb.set('links.prev', prev).set('links.next', next).set('links.start', e.start).set('links.end', end);
    if (e.submap && e.object !== null) throw new Error(`synth procs: ${who} entry has both an object and a submap`);
    const o = e.object === null ? null : obj(e.object);
    const sub = e.submap ? subs.get(e.submap) : undefined;
    if (e.submap && !sub) throw new Error(`synth procs: no submap ${e.submap}`);
    const offset = BigInt(e.offsetPages ?? 0) * PS;
    const tag = e.tag ?? 0;
    if (o) {
      o.refs++;
      o.mapped = true;
      if (o.spec.pages < (e.offsetPages ?? 0) + e.pages) throw new Error(`synth procs: entry of ${who} runs past object ${o.spec.id}`);
    }
    const target = sub?.map ?? o?.va ?? 0n;
    switch (era.entry) {
      case 'E1':
        eb.set(sub ? 'object.sub_map' : 'object.vm_object', target).set('offset', offset).set('alias', tag);
        break;
      case 'E2':
        eb.set(sub ? 'vme_object.vmo_submap' : 'vme_object.vmo_object', target).set('vme_offset', offset | BigInt(tag & 0xfff));
        break;
      case 'E3':
        eb.set(sub ? 'vme_object.vmo_submap' : 'vme_object.vmo_object', target).set('vme_offset', offset >> 12n).set('vme_alias', tag);
        break;
      case 'E4':
      case 'E5':
        // a submap is the whole word with bit 1 (is_sub_map) set; an object the packed u32 in the upper half
        if (sub) eb.set('vme_object_value', sub.map | 2n);
        else eb.set(era.entry === 'E4' ? 'vme_object' : 'vme_object_or_delta', o ? packVmPointer(arch, o.va) : 0);
        eb.set('vme_offset', offset >> 12n).set('vme_alias', tag);
        break;
    }
    if (sub && era.entry !== 'E4' && era.entry !== 'E5') eb.set('is_sub_map', 1);
    if (sub) eb.set('use_pmap', 1);
    eb.set('protection', e.prot).set('max_protection', e.maxProt ?? 7).set('inheritance', 1);
    if (e.needsCopy) eb.set('needs_copy', 1);
    if (o?.spec.trueShare || sub) eb.set('is_shared', 1);
    eb.flush(k);
    return o;
  }

  function resolvePage(top: ObjState | null, page: number, va: bigint): PageTruth {
    if (!top) return { va, state: 'absent', sha256: null, object: null, objectOffset: BigInt(page) * PS, depth: 0 };
    let o = top;
    let n = page;
    let depth = 0;
    for (;;) {
      const spec = o.spec.content?.[n];
      const at = { object: o.va, objectOffset: BigInt(n) * PS, depth };
      if (spec && 'data' in spec) {
        const r = o.resident.get(n)!;
        return { va, state: 'resident', sha256: sha256(spec.data), ...at, phys: r.phys, vmPage: r.vmPage };
      }
      if (spec && 'slotRef' in spec) {
        const m = o.slots.get(n)!;
        const seg = segByIndex.get(spec.slotRef.segment)!;
        const base: PageTruth = {
          va,
          state: seg.swap ? 'swapped' : 'compressed',
          sha256: null,
          ...at,
          slotAddress: m.address,
          slotValue: m.value,
          segment: spec.slotRef.segment,
          slot: spec.slotRef.slot,
        };
        if (seg.swap) base.swap = { fileIndex: seg.swap.fileIndex, path: seg.swap.path ?? '', chunkOffset: seg.swap.offset };
        return base;
      }
      if (spec && 'slot' in spec) {
        const t = slotTruth(spec.slot);
        const m = o.slots.get(n)!;
        const seg = segByIndex.get(t.segment)!;
        const base: PageTruth = {
          va,
          state: seg.swap ? 'swapped' : 'compressed',
          sha256: sha256(t.page!),
          ...at,
          slotAddress: m.address,
          slotValue: m.value,
          segment: t.segment,
          slot: t.slot,
          slotName: t.name,
        };
        if (seg.swap) base.swap = { fileIndex: seg.swap.fileIndex, path: seg.swap.path ?? '', chunkOffset: seg.swap.offset };
        return base;
      }
      if (spec && 'sv' in spec) {
        const m = o.slots.get(n)!;
        const v = spec.sv >>> 0;
        return {
          va,
          state: 'single',
          sha256: sha256(valuePage(v, ps)),
          ...at,
          slotAddress: m.address,
          slotValue: m.value,
          value: '0x' + v.toString(16).padStart(8, '0'),
          svIndex: svIndexOf.get(v)!,
        };
      }
      if (!o.spec.shadow) return { va, state: 'absent', sha256: null, ...at };
      n += o.spec.shadow.offsetPages;
      o = obj(o.spec.shadow.id);
      depth++;
      if (n >= o.spec.pages) throw new Error(`synth procs: shadow offset runs past object ${o.spec.id}`);
    }
  }

  // ---- orphan pagers: every live named c_slot no object page took, and the sv references left over
  const orphanItems: Array<{ key?: string; sv?: number; value: number }> = [];
  for (const seg of [...comp.liveSlots.keys()].sort((a, b) => a - b)) {
    for (const slot of comp.liveSlots.get(seg)!) {
      const key = `${seg}:${slot}`;
      if (!slotUse.has(key)) orphanItems.push({ key, value: ((slot << 22) | (seg + 1)) >>> 0 });
    }
  }
  for (const e of ct.sv) {
    const used = svUsed.get(e.index) ?? 0;
    if (used > e.refCount) throw new Error(`synth procs: sv entry ${e.value} has ${e.refCount} references, the processes use ${used}`);
    for (let r = used; r < e.refCount; r++) orphanItems.push({ sv: Number.parseInt(e.value, 16), value: ((e.index << 22) | C_SV_CSEG_ID) >>> 0 });
  }
  let orphanNo = 0;
  const orphan = (pages: number, placed: Array<[number, { key?: string; sv?: number; value: number }]>) => {
    const spec: VmObjectSpec = { id: `orphan-${orphanNo++}`, pages };
    const va = k.alloc(size('vm_object'), 64);
    const o: ObjState = { spec, va, buf: S('vm_object', va), resident: new Map(), pager: null, storage: null, slots: new Map(), shadowed: false, refs: 1, mapped: false };
    objs.set(spec.id, o);
    o.buf.set('memq.next', era.page === 'G1' ? va : packVmPointer(arch, va)).set('memq.prev', era.page === 'G1' ? va : packVmPointer(arch, va));
    makePager(o, new Map(placed));
  };
  let at = 0;
  if (orphanItems.length > 0) {
    // a 2-page object: embedded slots from 10.11 on, so the back-pointer alone names the pager
    const two = orphanItems.slice(at, at + 2);
    at += two.length;
    orphan(2, two.map((it, i) => [i, it]));
  }
  if (at < orphanItems.length) {
    // an object of 300 pages (3 chunks of 128 slots) with the middle chunk never allocated
    const n = Math.min(40, orphanItems.length - at);
    const items = orphanItems.slice(at, at + n);
    at += n;
    orphan(300, items.map((it, i) => [i < n / 2 ? i : 260 + i, it]));
  }
  while (at < orphanItems.length) {
    const items = orphanItems.slice(at, at + 64);
    at += items.length;
    orphan(64 + 3, items.map((it, i) => [i + 1, it]));
  }

  // ---- objects: write them; back-pointers of every slot mapping
  for (const o of objs.values()) {
    const sp = o.spec;
    o.buf.set('vo_un1.vou_size', BigInt(sp.pages) * PS).set('ref_count', Math.max(1, o.refs)).set('resident_page_count', o.resident.size);
    if (sp.shadow) o.buf.set('shadow', obj(sp.shadow.id).va).set('vo_un2.vou_shadow_offset', BigInt(sp.shadow.offsetPages) * PS);
    o.buf.set('copy_strategy', 2).set('pager_trusted', 1).set('internal', 1).set('temporary', 1).set('alive', 1).set('can_persist', 0);
    if (o.shadowed) o.buf.set('shadowed', 1);
    if (sp.trueShare) o.buf.set('true_share', 1);
    o.buf.flush(k);
  }
  for (const m of mappings) {
    if (m.key) {
      const [seg, slot] = m.key.split(':').map(Number);
      comp.setBackPointer(seg!, slot!, m.address);
    }
  }

  // ---- truth of the slot side
  const byAddress = new Map(mappings.filter((m) => m.key).map((m) => [m.key!, m]));
  const slots: SlotOwnerTruth[] = [];
  for (const t of ct.slots) {
    const key = `${t.segment}:${t.slot}`;
    const m = byAddress.get(key);
    if (!m) continue; // unnamed (prebuilt) slots are not in the compressor truth anyway
    slots.push({
      segment: t.segment,
      slot: t.slot,
      name: t.name,
      slotAddress: m.address,
      pager: m.o.pager!,
      object: m.o.va,
      objectOffset: BigInt(m.page) * PS,
      storage: m.o.storage!,
      owners: sortOwners(slotOwners.get(key) ?? []),
    });
  }
  const sv: SvOwnerTruth[] = ct.sv.map((e) => ({
    index: e.index,
    value: e.value,
    owners: sortOwners(svOwners.get(e.index) ?? []),
    slotAddresses: mappings.filter((m) => m.sv !== undefined && svIndexOf.get(m.sv) === e.index).map((m) => m.address),
  }));
  const reached = new Set<ObjState>();
  for (const o of objs.values()) {
    if (!o.mapped) continue;
    for (let x: ObjState | undefined = o; x && !reached.has(x); x = x.spec.shadow ? obj(x.spec.shadow.id) : undefined) reached.add(x);
  }
  const pagers = [...objs.values()]
    .filter((o) => o.pager !== null)
    .map((o) => ({
      pager: o.pager!,
      object: o.va,
      storage: o.storage!,
      numSlots: o.spec.pages + (o.spec.pagingOffsetPages ?? 0),
      occupied: o.slots.size,
      mapped: reached.has(o),
    }));
  return {
    era,
    truth: {
      arch,
      pageSize: ps,
      rules: { procTask: era.procTask, entry: era.entry, pager: era.pager, page: era.page },
      processes,
      zombies,
      strayTasks,
      slots: light ? [] : slots,
      sv: light ? [] : sv,
      pagers,
    },
  };
}

function push<K>(m: Map<K, Owner[]>, key: K, o: Owner): void {
  const l = m.get(key);
  if (l) l.push(o);
  else m.set(key, [o]);
}

function sortOwners(l: Owner[]): Owner[] {
  return [...l].sort((a, b) => a.pid - b.pid || (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
}
