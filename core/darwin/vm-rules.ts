// The one data module of per-version facts the process and VM walkers need (process-memory.md §1–§5):
// which rule gets a proc's task, how a vm_map_entry encodes its object/offset/alias, how a vm_page
// names its physical page, how a compressor pager stores its slots, and the constants of a slot
// mapping. Walkers ask these functions; they never test versions or field names themselves.
//
// Where the symbol table can tell (a field exists or not), the rule is decided from the fields, so an
// ISF of an unexpected build still reads right; the xnu version decides only what fields cannot show.
import type { KernelContext } from './kernel';

/** the types a process walk needs; an ISF without them gets a message naming those missing */
export const PROCESS_TYPES = ['proc', 'task', '_vm_map', 'vm_map_entry', 'vm_object', 'vm_page', 'compressor_pager'] as const;

/** p_lflag bit: the proc's task sits right after it (13+) */
export const P_LHASTASK = 0x2;
/** fallback alignment of struct task when proc_struct_size is not in the image (13+) */
export const TASK_ALIGN_FALLBACK = 16;

/** c_slot_mapping: s_cseg (segment + 1) in bits 0–21, s_cindx in bits 22–31 */
export const SLOT_CSEG_MASK = 0x3f_ffff;
export const SLOT_CINDX_SHIFT = 22;
/** s_cseg value of a single-value page (10.11+): s_cindx indexes c_segment_sv_hash_table */
export const C_SV_CSEG_ID = 0x3f_ffff;
/** COMPRESSOR_SLOTS_PER_CHUNK: an indirect pager's chunks hold 128 slots (512 bytes) */
export const SLOTS_PER_CHUNK = 128;
/** slots a 10.11+ pager keeps inside itself (cpgr_eslots) */
export const EMBEDDED_SLOTS = 2;
/** IKOT_MEMORY_OBJECT: the kobject type of every pager header */
export const IKOT_MEMORY_OBJECT = 11;

/** VM_PROT bits */
export const VM_PROT_READ = 1;
export const VM_PROT_WRITE = 2;
export const VM_PROT_EXECUTE = 4;

/** bound on submap nesting (the kernel nests one level; more is damage) */
export const MAX_SUBMAP_DEPTH = 4;
/** bound on a shadow chain (a loop in damaged memory must end) */
export const MAX_SHADOW_DEPTH = 64;
/** bound on one object's resident page list */
export const MAX_MEMQ = 1 << 22;

export type ProcTaskRule = 'P1-P3' | 'P4';
export type EntryEncoding = 'E1' | 'E2' | 'E3' | 'E4' | 'E5';
export type PageFamily = 'G1' | 'G2' | 'G3';

/** proc → task: a `task` member (≤ 12.x), or proc + proc_struct_size when P_LHASTASK (13+) */
export function procTaskRule(ctx: KernelContext): ProcTaskRule {
  return ctx.hasField('proc', 'task') ? 'P1-P3' : 'P4';
}

/** how a map entry encodes its object, offset and alias, from the entry's fields */
export function entryEncoding(ctx: KernelContext): EntryEncoding {
  if (ctx.hasField('vm_map_entry', 'object')) return 'E1';
  if (ctx.hasField('vm_map_entry', 'vme_object_value')) return ctx.hasField('vm_map_entry', 'vme_object_or_delta') ? 'E5' : 'E4';
  return ctx.hasField('vm_map_entry', 'vme_alias') ? 'E3' : 'E2';
}

/** field names of one entry encoding */
export interface EntryFields {
  /** full object pointer (E1–E3) or the packed u32 (E4/E5) */
  object: string;
  packedObject: boolean;
  /** submap pointer (E1–E3); E4/E5 take the object word with its two low bits cleared */
  submap: string | null;
  /** is_sub_map bitfield (E1–E3); E4/E5: bit 1 of the object word */
  isSubmap: string | null;
  /** the 64-bit object word (E4/E5) */
  objectWord: string | null;
  offset: string;
  /** the stored offset is shifted right by 12 (E3+) */
  offsetShift: number;
  /** alias: its own field, or the low 12 bits of vme_offset (E2) */
  alias: string | null;
}

export const ENTRY_FIELDS: Readonly<Record<EntryEncoding, EntryFields>> = {
  E1: { object: 'object.vm_object', packedObject: false, submap: 'object.sub_map', isSubmap: 'is_sub_map', objectWord: null, offset: 'offset', offsetShift: 0, alias: 'alias' },
  E2: { object: 'vme_object.vmo_object', packedObject: false, submap: 'vme_object.vmo_submap', isSubmap: 'is_sub_map', objectWord: null, offset: 'vme_offset', offsetShift: 0, alias: null },
  E3: { object: 'vme_object.vmo_object', packedObject: false, submap: 'vme_object.vmo_submap', isSubmap: 'is_sub_map', objectWord: null, offset: 'vme_offset', offsetShift: 12, alias: 'vme_alias' },
  E4: { object: 'vme_object', packedObject: true, submap: null, isSubmap: null, objectWord: 'vme_object_value', offset: 'vme_offset', offsetShift: 12, alias: 'vme_alias' },
  E5: { object: 'vme_object_or_delta', packedObject: true, submap: null, isSubmap: null, objectWord: 'vme_object_value', offset: 'vme_offset', offsetShift: 12, alias: 'vme_alias' },
};

/** E2: alias in the low 12 bits of vme_offset, the offset in the rest */
export const E2_ALIAS_MASK = 0xfffn;
/** E4/E5: bit 1 of the object word says "submap"; the submap pointer is the word with bits 0–1 cleared */
export const OBJECT_WORD_SUBMAP_BIT = 0x2n;

/** vm_page family from the page's fields */
export function pageFamily(ctx: KernelContext): PageFamily {
  if (ctx.hasField('vm_page', 'vmp_listq')) return 'G3';
  if (ctx.hasField('vm_page', 'vm_page_object')) return 'G2';
  return 'G1';
}

export interface PageFields {
  listq: string;
  object: string;
  offset: string;
  /** x86_64 (and arm64 pages outside the array): the ppnum field, null when the struct has none */
  physPage: string | null;
  /** links are packed u32 (G2+) */
  packed: boolean;
}

export function pageFields(ctx: KernelContext, family: PageFamily): PageFields {
  const p = family === 'G3' ? 'vmp_' : '';
  const phys = `${p}phys_page`;
  return {
    listq: `${p}listq`,
    object: family === 'G1' ? 'object' : family === 'G2' ? 'vm_page_object' : 'vmp_object',
    offset: `${p}offset`,
    physPage: ctx.hasField('vm_page', phys) ? phys : null,
    packed: family !== 'G1',
  };
}

/**
 * arm64 page-array globals: where the vm_page array starts and ends and the ppnum of its first
 * element — 15.4+ (linear array) names them vm_pages / vm_pages_end / vm_pages_first_pnum, earlier
 * kernels vm_page_array_beginning_addr / vm_page_array_ending_addr / vm_first_phys_ppnum.
 */
export const PAGE_ARRAY_GLOBALS: ReadonlyArray<{ begin: string; end: string; first: string }> = [
  { begin: 'vm_pages', end: 'vm_pages_end', first: 'vm_pages_first_pnum' },
  { begin: 'vm_page_array_beginning_addr', end: 'vm_page_array_ending_addr', first: 'vm_first_phys_ppnum' },
];

/** vm_object fields (copy was renamed vo_copy in 14; never followed, listed for completeness) */
export const OBJECT_FIELDS = {
  memq: 'memq',
  shadow: 'shadow',
  shadowOffset: 'vo_un2.vou_shadow_offset',
  size: 'vo_un1.vou_size',
  pager: 'pager',
  pagingOffset: 'paging_offset',
  internal: 'internal',
  alive: 'alive',
  terminating: 'terminating',
  pagerReady: 'pager_ready',
  physContiguous: 'phys_contiguous',
} as const;

/** compressor pager fields: the header (10.13+ cpgr_hdr, earlier cpgr_pager_ops) and slot storage */
export interface PagerFields {
  ops: string;
  control: string;
  numSlots: string;
  occupied: string | null;
  eslots: string | null;
  dslots: string;
  islots: string;
}

export function pagerFields(ctx: KernelContext): PagerFields {
  const hdr = ctx.hasField('compressor_pager', 'cpgr_hdr');
  return {
    ops: hdr ? 'cpgr_hdr.mo_pager_ops' : 'cpgr_pager_ops',
    control: hdr ? 'cpgr_hdr.mo_control' : 'cpgr_control',
    numSlots: 'cpgr_num_slots',
    occupied: ctx.hasField('compressor_pager', 'cpgr_num_slots_occupied') ? 'cpgr_num_slots_occupied' : null,
    eslots: ctx.hasField('compressor_pager', 'cpgr_slots.cpgr_eslots') ? 'cpgr_slots.cpgr_eslots' : null,
    dslots: 'cpgr_slots.cpgr_dslots',
    islots: 'cpgr_slots.cpgr_islots',
  };
}

/** 12.0 (xnu 8019) on: memory_object_control_t is the vm_object itself; before, a struct with moc_object */
export const CONTROL_IS_OBJECT_FROM_XNU = 8019;

export function controlIsObject(ctx: KernelContext): boolean {
  const major = ctx.xnu?.[0];
  if (major !== undefined) return major >= CONTROL_IS_OBJECT_FROM_XNU;
  return !ctx.hasType('memory_object_control');
}

/** page-table root of a pmap: x86_64 pm_cr3, arm64 ttep (both physical) */
export const PMAP_ROOT_FIELD: Readonly<Record<'x86_64' | 'arm64', string>> = { x86_64: 'pm_cr3', arm64: 'ttep' };

/** "rwx" letters bit by bit (not Volatility 3's 1/3/5 test) */
export function protString(p: number): string {
  return (p & VM_PROT_READ ? 'r' : '-') + (p & VM_PROT_WRITE ? 'w' : '-') + (p & VM_PROT_EXECUTE ? 'x' : '-');
}
