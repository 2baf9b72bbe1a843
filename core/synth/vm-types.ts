// ISF user types of the process and VM structures a walker reads (proc, proc_ro, task, _vm_map,
// vm_map_entry, vm_object, vm_page, compressor_pager, …), per xnu era, with xnu's field names, in the
// shape dwarf2json gives them: named struct types, anonymous members as `unnamed_field_<hex offset>`
// with `anonymous: true` and types `unnamed_<16 hex>`, bitfields at their containing byte.
//
// Which fields exist and in which order follows the xnu headers per tag (docs/process-memory.md §2–§6);
// offsets are this builder's own natural-alignment layout, so a walker must read them by name (as it
// must with a real ISF). The eras (P1–P4, E1–E5, C1–C4, G1–G3) are those of docs/process-memory.md.
import { createHash } from 'node:crypto';
import type { TypeRef, UserType } from '../symbols/types';
import type { VmRules } from './proc-truth';

export type Xnu = readonly [number, number];

const ge = (x: Xnu, major: number, minor = 0): boolean => x[0] > major || (x[0] === major && x[1] >= minor);

/** the xnu facts that change a structure or a rule, for one kernel */
export interface VmEra extends VmRules {
  arch: 'x86_64' | 'arm64';
  xnu: Xnu;
  pageSize: number;
  pageShift: number;
  /** 10.11+: two slots embedded in the pager */
  eslots: boolean;
  /** 12.0+: protection / max_protection are 4 bits */
  prot4: boolean;
  /** 12.3+: vme_kernel_object flag */
  kernelObjectFlag: boolean;
  /** 12.0+: memory_object_control_t is the vm_object pointer itself */
  controlIsObject: boolean;
  /** 14+: vm_object.copy renamed vo_copy; p_list in a union with p_smr_node */
  voCopy: boolean;
  pListUnion: boolean;
  /** 11+: vm_page_packing_params / c_slot_packing_params */
  packingParams: boolean;
  /** 15.4+ arm64: vm_pages / vm_pages_end / vm_pages_first_pnum */
  linearPages: boolean;
  /** 11.0+: compressor_slots zones (informational) */
  /** 7195+: pager moved before vo_un2 in vm_object */
  pagerBeforeUn2: boolean;
  /** 13.3+: vme_object_or_delta (E5); 14+: in a union with vme_tag_btref */
  tagBtref: boolean;
}

export function vmEra(arch: 'x86_64' | 'arm64', xnu: Xnu): VmEra {
  const procTask = !ge(xnu, 4903) ? 'P1' : !ge(xnu, 8019, 80) ? 'P2' : !ge(xnu, 8792) ? 'P3' : 'P4';
  const entry = !ge(xnu, 3247) ? 'E1' : !ge(xnu, 8020, 121) ? 'E2' : !ge(xnu, 8020, 140) ? 'E3' : !ge(xnu, 8796, 101) ? 'E4' : 'E5';
  const pager = !ge(xnu, 2782) ? 'C1' : !ge(xnu, 3247) ? 'C2' : !ge(xnu, 8019) ? 'C3' : 'C4';
  const page = !ge(xnu, 3789) ? 'G1' : !ge(xnu, 4903) ? 'G2' : 'G3';
  const pageSize = arch === 'arm64' ? 16384 : 4096;
  return {
    arch,
    xnu,
    procTask,
    entry,
    pager,
    page,
    pageSize,
    pageShift: arch === 'arm64' ? 14 : 12,
    eslots: ge(xnu, 3247),
    prot4: ge(xnu, 8019, 41),
    kernelObjectFlag: ge(xnu, 8020, 101),
    controlIsObject: ge(xnu, 8019, 41),
    voCopy: ge(xnu, 10002),
    pListUnion: ge(xnu, 10002),
    packingParams: ge(xnu, 7195),
    linearPages: arch === 'arm64' && ge(xnu, 11417),
    pagerBeforeUn2: ge(xnu, 7195),
    tagBtref: ge(xnu, 10002),
  };
}

// ---------------------------------------------------------------------------------------------
// Type-building helpers

const base = (name: string): TypeRef => ({ kind: 'base', name });
const CHAR = base('char');
const U8 = base('unsigned char');
const U16 = base('unsigned short');
const I32 = base('int');
const U32 = base('unsigned int');
const U64 = base('unsigned long long');
const ULONG = base('long unsigned int');
const struct = (name: string): TypeRef => ({ kind: 'struct', name });
const union = (name: string): TypeRef => ({ kind: 'union', name });
const ptr = (subtype: TypeRef): TypeRef => ({ kind: 'pointer', subtype });
const VOIDP = ptr(base('void'));
const arr = (count: number, subtype: TypeRef): TypeRef => ({ kind: 'array', count, subtype });

/** dwarf2json's name for an anonymous struct/union: "unnamed_" + 16 hex digits of a SHA-1 of its definition */
export function unnamedTypeName(definition: string): string {
  return 'unnamed_' + createHash('sha1').update(definition).digest('hex').slice(0, 16);
}

interface Member {
  name: string;
  type: TypeRef;
  size: number;
  align: number;
}

/** lay members out in declaration order with natural alignment; bitfield groups share one unit */
class Layout {
  readonly fields: UserType['fields'] = {};
  private off = 0;
  private maxAlign = 1;

  constructor(private readonly kind: 'struct' | 'union' = 'struct') {}

  add(name: string, type: TypeRef, size: number, align = Math.min(size, 8), anonymous = false): this {
    const at = this.kind === 'union' ? 0 : Math.ceil(this.off / align) * align;
    this.fields[name] = anonymous ? { offset: at, type, anonymous: true } : { offset: at, type };
    if (this.kind === 'struct') this.off = at + size;
    else this.off = Math.max(this.off, size);
    this.maxAlign = Math.max(this.maxAlign, align);
    return this;
  }

  /** an anonymous member (union or struct) named as dwarf2json names it */
  anon(typeName: string, kind: 'struct' | 'union', size: number, align = 8): this {
    const at = this.kind === 'union' ? 0 : Math.ceil(this.off / align) * align;
    return this.add(`unnamed_field_${at.toString(16)}`, { kind, name: typeName }, size, align, true);
  }

  /** a run of bitfields in one storage unit of `unitSize` bytes: [name, bits] in order from bit 0; '' = padding */
  bits(unit: TypeRef, unitSize: number, list: ReadonlyArray<readonly [string, number]>): this {
    const at = this.kind === 'union' ? 0 : Math.ceil(this.off / unitSize) * unitSize;
    let pos = 0;
    for (const [name, len] of list) {
      if (name !== '') this.fields[name] = { offset: at, type: { kind: 'bitfield', bit_position: pos, bit_length: len, type: unit } };
      pos += len;
    }
    if (pos > unitSize * 8) throw new Error(`synth vm-types: bitfields (${pos} bits) overflow a ${unitSize}-byte unit`);
    if (this.kind === 'struct') this.off = at + unitSize;
    else this.off = Math.max(this.off, unitSize);
    this.maxAlign = Math.max(this.maxAlign, unitSize);
    return this;
  }

  pad(to: number): this {
    if (to < this.off) throw new Error(`synth vm-types: pad to 0x${to.toString(16)} below 0x${this.off.toString(16)}`);
    this.off = to;
    return this;
  }

  get size(): number {
    return this.off;
  }

  done(minSize = 0, align = this.maxAlign): UserType {
    const size = Math.ceil(Math.max(this.off, minSize) / align) * align;
    return { kind: this.kind, size, fields: this.fields };
  }
}

/** move every bitfield to its containing byte (dwarf2json's form) */
function byteForm(t: UserType): UserType {
  const fields: UserType['fields'] = {};
  for (const [n, f] of Object.entries(t.fields)) {
    if (f.type.kind === 'bitfield') {
      const bp = f.type.bit_position;
      fields[n] = { ...f, offset: f.offset + (bp >> 3), type: { ...f.type, bit_position: bp & 7 } };
    } else fields[n] = f;
  }
  return { ...t, fields };
}

// ---------------------------------------------------------------------------------------------
// The types

export interface VmTypes {
  types: Record<string, UserType>;
  /** sizeof(struct proc) in the ISF; proc_struct_size (13+) = this rounded up to the task's alignment */
  procSize: number;
  taskAlign: number;
}

const IKOT_MEMORY_OBJECT = 11;
export { IKOT_MEMORY_OBJECT };

export function vmUserTypes(era: VmEra): VmTypes {
  const t: Record<string, UserType> = {};
  const lck = (n: number) => arr(n, U8);

  // ---- lists
  t['queue_entry'] = new Layout().add('next', ptr(struct('queue_entry')), 8).add('prev', ptr(struct('queue_entry')), 8).done();
  const pListName = unnamedTypeName('struct { struct proc *le_next; struct proc **le_prev; }');
  t[pListName] = new Layout().add('le_next', ptr(struct('proc')), 8).add('le_prev', ptr(ptr(struct('proc'))), 8).done();
  t['proclist'] = new Layout().add('lh_first', ptr(struct('proc')), 8).done();
  t['smr_node'] = new Layout().add('smrn_next', ptr(struct('smr_node')), 8).add('smrn_cb', VOIDP, 8).done();
  t['timeval'] = new Layout().add('tv_sec', base('long'), 8).add('tv_usec', I32, 4).done();

  // ---- proc (docs/process-memory.md §2)
  const proc = new Layout();
  if (era.pListUnion) {
    const u = unnamedTypeName('union { LIST_ENTRY(proc) p_list; struct smr_node p_smr_node; }');
    t[u] = new Layout('union').add('p_list', struct(pListName), 16).add('p_smr_node', struct('smr_node'), 16).done();
    proc.anon(u, 'union', 16);
  } else proc.add('p_list', struct(pListName), 16);
  const ids = (withUnique: boolean) => {
    proc.add('p_pgrpid', I32, 4).add('p_uid', U32, 4).add('p_gid', U32, 4).add('p_ruid', U32, 4).add('p_rgid', U32, 4).add('p_svuid', U32, 4).add('p_svgid', U32, 4);
    if (withUnique) proc.add('p_uniqueid', U64, 8).add('p_puniqueid', U64, 8);
  };
  switch (era.procTask) {
    case 'P1':
      proc.add('p_pid', I32, 4).add('task', VOIDP, 8).add('p_pptr', ptr(struct('proc')), 8).add('p_ppid', I32, 4);
      ids(true);
      proc.add('p_mlock', lck(16), 16, 8);
      break;
    case 'P2':
      proc.add('task', VOIDP, 8).add('p_pptr', ptr(struct('proc')), 8).add('p_ppid', I32, 4);
      ids(true);
      proc.add('p_pid', I32, 4).add('p_mlock', lck(16), 16, 8);
      break;
    case 'P3':
      proc.add('task', VOIDP, 8).add('p_pptr', ptr(struct('proc')), 8).add('p_proc_ro', ptr(struct('proc_ro')), 8).add('p_ppid', I32, 4);
      ids(false);
      proc.add('p_pid', I32, 4).add('p_mlock', lck(16), 16, 8);
      break;
    case 'P4':
      proc.add('p_pptr', ptr(struct('proc')), 8).add('p_proc_ro', ptr(struct('proc_ro')), 8).add('p_ppid', I32, 4).add('p_original_ppid', I32, 4);
      ids(false);
      proc.add('p_mlock', lck(16), 16, 8).add('p_pid', I32, 4);
      break;
  }
  proc
    .add('p_stat', CHAR, 1)
    .add('p_shutdownstate', CHAR, 1)
    .add('p_kdebug', CHAR, 1)
    .add('p_btrace', CHAR, 1)
    .add('p_fd', VOIDP, 8)
    .add('p_stats', VOIDP, 8)
    .add('p_limit', VOIDP, 8)
    .add('p_sigacts', VOIDP, 8)
    .add('p_flag', I32, 4)
    .add('p_lflag', U32, 4)
    .add('p_listflag', U32, 4)
    .add('p_ladvflag', U32, 4)
    .add('p_refcount', I32, 4)
    .add('p_childrencnt', I32, 4)
    .add('p_parentref', I32, 4)
    .add('p_oppid', I32, 4)
    .add('p_xstat', U32, 4)
    .add('p_start', struct('timeval'), 16, 8)
    .add('p_comm', arr(17, CHAR), 17, 1)
    .add('p_name', arr(33, CHAR), 33, 1)
    .add('p_pgrp', VOIDP, 8)
    .add('p_csflags', U32, 4)
    .add('p_pcaction', U32, 4)
    .add('p_uuid', arr(16, U8), 16, 1)
    .add('p_cputype', I32, 4)
    .add('p_cpusubtype', I32, 4);
  // sizeof(struct proc) is deliberately not a multiple of 16: 13+ rounds it up to the task's alignment
  proc.pad(Math.max(proc.size, 0x3f0)).add('p_memstat_state', U32, 4).add('p_memstat_effectivepriority', I32, 4);
  if ((Math.ceil(proc.size / 8) * 8) % 16 === 0) proc.add('p_memstat_userdata', U64, 8);
  const procT = proc.done(0, 8);
  if (procT.size % 16 === 0) throw new Error('synth vm-types: proc size should not be 16-aligned');
  t['proc'] = procT;

  if (era.procTask === 'P3' || era.procTask === 'P4') {
    t['proc_ro_data'] = new Layout().add('p_uniqueid', U64, 8).add('p_idversion', I32, 4).add('p_csflags', U32, 4).add('p_ucred', VOIDP, 8).add('p_puniqueid', U64, 8).done();
    t['task_ro_data'] = new Layout().add('t_flags_ro', U32, 4).done();
    t['proc_ro'] = new Layout()
      .add('pr_proc', ptr(struct('proc')), 8)
      .add('pr_task', ptr(struct('task')), 8)
      .add('proc_data', struct('proc_ro_data'), t['proc_ro_data'].size, 8)
      .add('task_data', struct('task_ro_data'), 4, 4)
      .done();
  }

  // ---- task
  const task = new Layout()
    .add('lock', lck(16), 16, 8)
    .add('ref_count', U32, 4)
    .add('active', U32, 4)
    .add('halting', U32, 4)
    .add('vtimers', U32, 4)
    .add('map', ptr(struct('_vm_map')), 8)
    .add('tasks', struct('queue_entry'), 16, 8)
    .add('threads', struct('queue_entry'), 16, 8)
    .add('thread_count', U32, 4)
    .add('active_thread_count', U32, 4)
    .add('suspend_count', I32, 4)
    .add('user_stop_count', I32, 4)
    .add('priority', I32, 4)
    .add('max_priority', I32, 4)
    .add('total_user_time', U64, 8)
    .add('total_system_time', U64, 8)
    .add('itk_self', VOIDP, 8)
    .add('ledger', VOIDP, 8);
  if (era.procTask !== 'P4') task.add('bsd_info', VOIDP, 8);
  if (era.procTask === 'P3') task.add('bsd_info_ro', ptr(struct('proc_ro')), 8);
  task.add('task_objq', struct('queue_entry'), 16, 8).add('task_imp_base', VOIDP, 8);
  task.pad(Math.max(task.size, 0x2f8)).add('task_flags', U32, 4);
  t['task'] = task.done(0, 16);

  // ---- vm_map (docs/process-memory.md §4)
  t['vm_map_links'] = new Layout()
    .add('prev', ptr(struct('vm_map_entry')), 8)
    .add('next', ptr(struct('vm_map_entry')), 8)
    .add('start', U64, 8)
    .add('end', U64, 8)
    .done();
  t['rb_head'] = new Layout().add('rbh_root', VOIDP, 8).done();
  t['rb_entry'] = new Layout().add('rbe_left', VOIDP, 8).add('rbe_right', VOIDP, 8).add('rbe_parent', VOIDP, 8).done();
  t['vm_map_store'] = new Layout().add('entry', struct('rb_entry'), 24).done();
  t['vm_map_header'] = new Layout()
    .add('links', struct('vm_map_links'), 32)
    .add('nentries', I32, 4)
    .add('entries_pageable', U32, 4)
    .add('highest_entry_end_addr', U64, 8)
    .add('rb_head_store', struct('rb_head'), 8)
    .add('page_shift', I32, 4)
    .done();
  t['_vm_map'] = new Layout()
    .add('lock', lck(16), 16, 8)
    .add('hdr', struct('vm_map_header'), t['vm_map_header'].size)
    .add('pmap', ptr(struct('pmap')), 8)
    .add('size', U64, 8)
    .add('user_wire_limit', U64, 8)
    .add('user_wire_size', U64, 8)
    .add('ref_count', I32, 4)
    .add('map_refcnt', I32, 4)
    .done(0x100);

  // ---- vm_map_entry (docs/process-memory.md §4)
  const entry = new Layout().add('links', struct('vm_map_links'), 32).add('store', struct('vm_map_store'), 24);
  const prot = era.prot4 ? 4 : 3;
  const tpro = era.arch === 'arm64' && (era.entry === 'E4' || era.entry === 'E5') && ge(era.xnu, 8792);
  const protBits: Array<readonly [string, number]> = tpro
    ? [['protection', 3], ['used_for_tpro', 1], ['max_protection', 4]]
    : [['protection', prot], ['max_protection', prot]];
  const flagTail: Array<readonly [string, number]> = [
    ['inheritance', 2],
    ['use_pmap', 1],
    ['no_cache', 1],
    ['permanent', 1],
    ['superpage_size', 1],
    ['map_aligned', 1],
    ['zero_wired_pages', 1],
    ['used_for_jit', 1],
  ];
  const flagHead = (subMapHere: boolean): Array<readonly [string, number]> => [
    ['is_shared', 1],
    [subMapHere ? 'is_sub_map' : '__unused1', 1],
    ['in_transition', 1],
    ['needs_wakeup', 1],
    ['behavior', 2],
    ['needs_copy', 1],
  ];
  switch (era.entry) {
    case 'E1':
      t['vm_map_object'] = new Layout('union').add('vm_object', ptr(struct('vm_object')), 8).add('sub_map', ptr(struct('_vm_map')), 8).done();
      entry.add('object', union('vm_map_object'), 8).add('offset', U64, 8);
      entry.bits(U32, 4, [...flagHead(true), ...protBits, ['inheritance', 2], ['use_pmap', 1], ['alias', 8], ['no_cache', 1], ['permanent', 1], ['superpage_size', 1], ['map_aligned', 1], ['zero_wired_pages', 1], ['used_for_jit', 1], ['from_reserved_zone', 1], ['iokit_acct', 1]]);
      break;
    case 'E2':
    case 'E3': {
      t['vm_map_object'] = new Layout('union').add('vmo_object', ptr(struct('vm_object')), 8).add('vmo_submap', ptr(struct('_vm_map')), 8).done();
      entry.add('vme_object', union('vm_map_object'), 8);
      if (era.entry === 'E2') entry.add('vme_offset', U64, 8);
      else entry.bits(U64, 8, [['vme_alias', 12], ['vme_offset', 52]]);
      entry.bits(U32, 4, [...flagHead(true), ...protBits, ...flagTail, ...(era.kernelObjectFlag ? [['vme_resilient_media', 1] as const, ['vme_kernel_object', 1] as const] : [])]);
      break;
    }
    case 'E4':
    case 'E5': {
      // the packed object word: dwarf2json keeps only the last of the two anonymous structs at offset 0
      const inner = new Layout().bits(U32, 4, [['vme_ctx_atomic', 1], ['vme_ctx_is_sub_map', 1], ['vme_context', 30]]);
      if (era.entry === 'E4') inner.add('vme_object', U32, 4);
      else if (!era.tagBtref) inner.add('vme_object_or_delta', U32, 4);
      else {
        const ub = unnamedTypeName('union { vm_page_object_t vme_object_or_delta; btref_t vme_tag_btref; }');
        t[ub] = new Layout('union').add('vme_object_or_delta', U32, 4).add('vme_tag_btref', U32, 4).done();
        inner.anon(ub, 'union', 4, 4);
      }
      const innerName = unnamedTypeName(`struct vme ctx ${era.entry} ${era.tagBtref}`);
      t[innerName] = inner.done();
      const wordName = unnamedTypeName(`union vme_object_value ${era.entry} ${era.tagBtref}`);
      t[wordName] = new Layout('union').add('vme_object_value', ULONG, 8).anon(innerName, 'struct', 8).done();
      entry.anon(wordName, 'union', 8);
      entry.bits(U64, 8, [['vme_alias', 12], ['vme_offset', 52]]);
      entry.bits(U32, 4, [...flagHead(false), ...protBits, ...flagTail, ['vme_resilient_media', 1], ['vme_kernel_object', 1]]);
      break;
    }
  }
  entry.add('wired_count', U16, 2).add('user_wired_count', U16, 2);
  t['vm_map_entry'] = entry.done();

  // ---- vm_object (docs/process-memory.md §5)
  const packed = era.page !== 'G1';
  t['vm_page_queue_entry'] = new Layout().add('next', U32, 4).add('prev', U32, 4).done();
  const un1 = unnamedTypeName('union vo_un1');
  t[un1] = new Layout('union').add('vou_size', U64, 8).add('vou_cache_pages_to_scan', I32, 4).done();
  const un2 = unnamedTypeName(`union vo_un2 ${era.pagerBeforeUn2}`);
  const un2L = new Layout('union').add('vou_shadow_offset', U64, 8).add('vou_cache_ts', U32, 4);
  if (era.pagerBeforeUn2) un2L.add('vou_owner', VOIDP, 8);
  else un2L.add('vou_purgeable_owner', VOIDP, 8);
  t[un2] = un2L.done();
  const obj = new Layout();
  obj.add('memq', packed ? struct('vm_page_queue_entry') : struct('queue_entry'), packed ? 8 : 16, 8);
  obj
    .add('Lock', lck(16), 16, 8)
    .add('vo_un1', union(un1), 8)
    .add('memq_hint', VOIDP, 8)
    .add('ref_count', I32, 4)
    .add('resident_page_count', U32, 4)
    .add('wired_page_count', U32, 4)
    .add('reusable_page_count', U32, 4)
    .add(era.voCopy ? 'vo_copy' : 'copy', ptr(struct('vm_object')), 8)
    .add('shadow', ptr(struct('vm_object')), 8);
  // memory_object_t: every pager starts with the generic header (§4.1)
  const pagerT = ptr(struct('memory_object'));
  if (era.pagerBeforeUn2) obj.add('pager', pagerT, 8).add('vo_un2', union(un2), 8);
  else obj.add('vo_un2', union(un2), 8).add('pager', pagerT, 8);
  obj.add('paging_offset', U64, 8).add('pager_control', VOIDP, 8).add('copy_strategy', U32, 4).add('paging_in_progress', U16, 2).add('activity_in_progress', U16, 2);
  obj.bits(U32, 4, [
    ['all_wanted', 11],
    ['pager_created', 1],
    ['pager_initialized', 1],
    ['pager_ready', 1],
    ['pager_trusted', 1],
    ['can_persist', 1],
    ['internal', 1],
    ['temporary', 1],
    ['private', 1],
    ['pageout', 1],
    ['alive', 1],
    ['purgable', 2],
    ['purgeable_when_ripe', 1],
    ['shadowed', 1],
    ['advisory_pageout', 1],
    ['true_share', 1],
    ['terminating', 1],
    ['named', 1],
    ['shadow_severed', 1],
    ['phys_contiguous', 1],
    ['nophyscache', 1],
  ]);
  t['vm_object'] = obj.done(0xc0, 64);

  // ---- vm_page (docs/process-memory.md §5)
  const pg = new Layout();
  if (era.page === 'G1') {
    pg.add('pageq', struct('queue_entry'), 16).add('listq', struct('queue_entry'), 16).add('next', VOIDP, 8).add('object', ptr(struct('vm_object')), 8).add('offset', U64, 8);
    pg.bits(U32, 4, [['wire_count', 16], ['gobbled', 1], ['laundry', 1], ['no_cache', 1], ['private', 1], ['reference', 1], ['', 11]]);
    pg.bits(U32, 4, [['busy', 1], ['wanted', 1], ['tabled', 1], ['hashed', 1], ['fictitious', 1], ['clustered', 1], ['pmapped', 1], ['xpmapped', 1], ['wpmapped', 1], ['absent', 1], ['error', 1], ['dirty', 1], ['cleaning', 1], ['precious', 1]]);
    pg.add('phys_page', U32, 4);
  } else {
    const p = era.page === 'G3' ? 'vmp_' : '';
    pg.add(`${p}pageq`, struct('vm_page_queue_entry'), 8).add(`${p}listq`, struct('vm_page_queue_entry'), 8).add(era.page === 'G3' ? 'vmp_backgroundq' : 'vm_page_backgroundq', struct('vm_page_queue_entry'), 8);
    pg.add(`${p}offset`, U64, 8).add(era.page === 'G3' ? 'vmp_object' : 'vm_page_object', U32, 4);
    pg.bits(U32, 4, [[`${p}q_state`, 4], [`${p}in_background`, 1], [`${p}on_backgroundq`, 1], [`${p}gobbled`, 1], [`${p}laundry`, 1], [`${p}no_cache`, 1], [`${p}private`, 1], [`${p}reference`, 1], ['', 5], [`${p}wire_count`, 16]]);
    pg.add(`${p}next_m`, U32, 4);
    pg.bits(U32, 4, [[`${p}busy`, 1], [`${p}wanted`, 1], [`${p}tabled`, 1], [`${p}hashed`, 1], [`${p}fictitious`, 1], [`${p}clustered`, 1], [`${p}pmapped`, 1], [`${p}xpmapped`, 1], [`${p}wpmapped`, 1], [`${p}absent`, 1], [`${p}error`, 1], [`${p}dirty`, 1], [`${p}cleaning`, 1], [`${p}precious`, 1]]);
    // arm64 keeps the physical page number outside the struct (array index, or vm_page_with_ppnum)
    if (era.arch === 'x86_64') pg.add(`${p}phys_page`, U32, 4);
  }
  t['vm_page'] = pg.done();

  // ---- packing parameters (11+)
  t['vm_packing_params'] = new Layout().add('vmpp_base', ULONG, 8).add('vmpp_bits', U8, 1).add('vmpp_shift', U8, 1).add('vmpp_base_relative', base('_Bool'), 1).done();

  // ---- pagers (docs/process-memory.md §6.1)
  t['memory_object_pager_ops'] = new Layout()
    .add('memory_object_reference', VOIDP, 8)
    .add('memory_object_deallocate', VOIDP, 8)
    .add('memory_object_init', VOIDP, 8)
    .add('memory_object_terminate', VOIDP, 8)
    .add('memory_object_data_request', VOIDP, 8)
    .add('memory_object_data_return', VOIDP, 8)
    .add('memory_object_data_initialize', VOIDP, 8)
    .add('memory_object_data_unlock', VOIDP, 8)
    .add('memory_object_synchronize', VOIDP, 8)
    .add('memory_object_map', VOIDP, 8)
    .add('memory_object_last_unmap', VOIDP, 8)
    .add('memory_object_data_reclaim', VOIDP, 8)
    .add('memory_object_pager_name', ptr(CHAR), 8)
    .done();
  const opsP = ptr(struct('memory_object_pager_ops'));
  const mo = new Layout().add('mo_ikot', U32, 4);
  if (era.controlIsObject) mo.add('mo_ref', U32, 4);
  else mo.add('_pad', U32, 4);
  t['memory_object'] = mo.add('mo_pager_ops', opsP, 8).add('mo_control', era.controlIsObject ? ptr(struct('vm_object')) : ptr(struct('memory_object_control')), 8).done();
  if (!era.controlIsObject) {
    t['memory_object_control'] = new Layout().add('moc_ikot', U32, 4).add('moc_object', ptr(struct('vm_object')), 8).done();
  }
  t['ipc_object_header'] = new Layout().add('io_bits', U32, 4).add('io_references', U32, 4).done();
  const slotsName = unnamedTypeName(`union cpgr_slots ${era.eslots}`);
  const slots = new Layout('union');
  if (era.eslots) slots.add('cpgr_eslots', arr(2, U32), 8, 4);
  slots.add('cpgr_dslots', ptr(U32), 8).add('cpgr_islots', ptr(ptr(U32)), 8);
  t[slotsName] = slots.done();
  const cp = new Layout();
  const oldHeader = era.pager === 'C1' || era.pager === 'C2' || (era.pager === 'C3' && !ge(era.xnu, 4570));
  if (oldHeader) {
    cp.add('cpgr_pager_header', struct('ipc_object_header'), 8).add('cpgr_pager_ops', opsP, 8).add('cpgr_control', ptr(struct('memory_object_control')), 8);
  } else cp.add('cpgr_hdr', struct('memory_object'), 24);
  cp.add('cpgr_lock', lck(16), 16, 8);
  if (era.pager !== 'C4') cp.add('cpgr_references', U32, 4);
  cp.add('cpgr_num_slots', U32, 4);
  if (era.pager === 'C2') cp.add('cpgr_num_slots_occupied_pager', U32, 4);
  if (era.pager !== 'C1') cp.add('cpgr_num_slots_occupied', U32, 4);
  cp.add('cpgr_slots', union(slotsName), 8);
  t['compressor_pager'] = cp.done();

  const out: Record<string, UserType> = {};
  for (const [n, ty] of Object.entries(t)) out[n] = byteForm(ty);
  return { types: out, procSize: procT.size, taskAlign: 16 };
}

/** bit position and length of a bitfield counted from the field's byte offset (works for both forms) */
export function fieldOffset(t: UserType, name: string): number {
  const f = t.fields[name];
  if (!f) throw new Error(`synth vm-types: no field ${name}`);
  return f.offset;
}
