// Ground truth of the processes a synthetic image holds, computed from the builder's own inputs (never
// by walking the image). Addresses are bigints (kernel VAs and user VAs alike); physical addresses are
// numbers. The shape is documented for the walkers' tests in notes/procsynth-truth.md of the project.

export type PageState = 'resident' | 'compressed' | 'single' | 'swapped' | 'absent';

export const PAGE_STATES: readonly PageState[] = ['resident', 'compressed', 'single', 'swapped', 'absent'];

export type PageCounts = Record<PageState, number>;

export interface Owner {
  pid: number;
  /** user VA of the map page that shows this slot's page */
  va: bigint;
}

export interface PageTruth {
  /** user VA of the page (map page size steps) */
  va: bigint;
  state: PageState;
  /** SHA-256 (hex) of the page's bytes; null for absent (a dump zero-fills those) */
  sha256: string | null;
  /** the object of the shadow chain where the page was found; absent: the bottom object where the search ended (null: entry without object) */
  object: bigint | null;
  /** offset inside that object (entry offset + shadow offsets accumulated) */
  objectOffset: bigint;
  /** 0 = the entry's own object, 1 = its shadow, … (absent: the depth of the bottom object; 0 without object) */
  depth: number;
  /** resident: physical address of the page */
  phys?: number;
  /** resident: true when the process page tables map the VA (false: only the object's memq has it) */
  pte?: boolean;
  /** resident: kernel VA of the struct vm_page */
  vmPage?: bigint;
  /** compressed / swapped / single: kernel VA of the compressor_slot_t (c_slot_mapping) */
  slotAddress?: bigint;
  /** compressed / swapped / single: the raw u32 slot mapping value */
  slotValue?: number;
  /** compressed / swapped: c_segments index (s_cseg − 1) and slot index in the segment */
  segment?: number;
  slot?: number;
  /** compressed / swapped: name of the slot in the compressor truth (CompressorTruth.byName) */
  slotName?: string;
  /** single: the value as "0x%08x" and its index in c_segment_sv_hash_table */
  value?: string;
  svIndex?: number;
  /** swapped: the segment's swap file (index, path) and the chunk's byte offset in that file */
  swap?: { fileIndex: number; path: string; chunkOffset: number };
}

export interface RegionTruth {
  start: bigint;
  /** exclusive */
  end: bigint;
  /** "rwx" letters, bit by bit (READ 1, WRITE 2, EXECUTE 4) */
  protection: string;
  maxProtection: string;
  /** the entry's object (null: none — every page absent — or a submap entry) */
  object: bigint | null;
  /** is_sub_map entries: the nested _vm_map (the offset is then an address in the submap) */
  submap: bigint | null;
  /** the entry's offset into its object, in bytes */
  offset: bigint;
  /** VM tag (alias) */
  tag: number;
  needsCopy: boolean;
  /** kernel VA of the vm_map_entry */
  entry: bigint;
  pages: PageTruth[];
  counts: PageCounts;
}

export interface ProcessTruth {
  pid: number;
  ppid: number;
  /** p_comm (at most 16 characters) */
  name: string;
  /** p_name (at most 32 characters) */
  pName: string;
  proc: bigint;
  task: bigint;
  map: bigint;
  pmap: bigint;
  /** physical address of the root page table: pm_cr3 (x86_64) or ttep (arm64) */
  pmapRoot: number;
  /** the map's page size (1 << hdr.page_shift) */
  pageSize: number;
  /** sorted by start; pid 0 (kernel_map) has none in these images */
  regions: RegionTruth[];
  counts: PageCounts;
}

export interface SlotOwnerTruth {
  segment: number;
  slot: number;
  /** name in the compressor truth */
  name: string;
  /** where c_packed_ptr of this c_slot points: the compressor_slot_t holding (segment + 1, slot) */
  slotAddress: bigint;
  /** the compressor pager holding that slot, its object, and the object offset of the page */
  pager: bigint;
  object: bigint;
  objectOffset: bigint;
  /** how the pager stores its slots: embedded (cpgr_eslots), direct (cpgr_dslots), indirect (cpgr_islots chunk) */
  storage: 'embedded' | 'direct' | 'indirect';
  /** every (pid, va) whose map page resolves to this slot, sorted by pid then va; [] = unowned */
  owners: Owner[];
}

export interface SvOwnerTruth {
  /** index in c_segment_sv_hash_table */
  index: number;
  value: string;
  /** every (pid, va) whose page is this single-value entry, sorted; [] = no process maps it */
  owners: Owner[];
  /** slot mappings (any pager, owned or not) naming this entry */
  slotAddresses: bigint[];
}

/** which xnu rules the image follows (the eras of docs/process-memory.md), for test names and diagnostics */
export interface VmRules {
  /** proc → task: P1 (≤10.13 proc.task), P2 (10.14–12.1), P3 (12.2–12.7 + p_proc_ro), P4 (13+: proc + proc_struct_size) */
  procTask: 'P1' | 'P2' | 'P3' | 'P4';
  /** map entry object/offset encoding E1–E5 */
  entry: 'E1' | 'E2' | 'E3' | 'E4' | 'E5';
  /** compressor pager layout C1–C4 */
  pager: 'C1' | 'C2' | 'C3' | 'C4';
  /** vm_page family G1–G3 */
  page: 'G1' | 'G2' | 'G3';
}

export interface ProcWorldTruth {
  arch: 'x86_64' | 'arm64';
  /** kernel page size = object page size = map page size in these images */
  pageSize: number;
  rules: VmRules;
  /** by pid, ascending; pid 0 first */
  processes: ProcessTruth[];
  /** processes on zombproc (exited, not reaped): no task, no map; by pid */
  zombies: Array<{ pid: number; ppid: number; name: string; proc: bigint }>;
  /** tasks on the `tasks` queue (after every listed process's) whose proc is on neither list; no map entries */
  strayTasks: Array<{ pid: number; ppid: number; name: string; proc: bigint; task: bigint; map: bigint }>;
  /** every live c_slot of the compressor (all segments), by segment then slot */
  slots: SlotOwnerTruth[];
  /** every entry of c_segment_sv_hash_table the builder wrote, by index */
  sv: SvOwnerTruth[];
  /** every compressor pager written: its address, object, storage form, cpgr_num_slots, and whether any map reaches it */
  pagers: Array<{ pager: bigint; object: bigint; storage: 'embedded' | 'direct' | 'indirect'; numSlots: number; occupied: number; mapped: boolean }>;
}

export function emptyCounts(): PageCounts {
  return { resident: 0, compressed: 0, single: 0, swapped: 0, absent: 0 };
}

/** "rwx" string of a VM_PROT value, bit by bit */
export function protString(p: number): string {
  return (p & 1 ? 'r' : '-') + (p & 2 ? 'w' : '-') + (p & 4 ? 'x' : '-');
}

const hex = (v: bigint | number): string => '0x' + v.toString(16);

/**
 * What `unfold procs --json` must print for these processes (issue 11 contract: one record per
 * process with pid, ppid, name, task and map as hex strings, and page counts by state), pid order.
 */
export function expectedProcsRecords(t: ProcWorldTruth): Array<{ pid: number; ppid: number; name: string; task: string; map: string; pages: PageCounts }> {
  return t.processes.map((p) => ({ pid: p.pid, ppid: p.ppid, name: p.name, task: hex(p.task), map: hex(p.map), pages: { ...p.counts } }));
}

/** What `unfold maps --pid N --json` must print: one record per region, start/end hex (end exclusive), "rwx" protection, page counts. */
export function expectedMapsRecords(t: ProcWorldTruth, pid: number): Array<{ start: string; end: string; protection: string; pages: PageCounts }> {
  const p = t.processes.find((x) => x.pid === pid);
  if (!p) throw new Error(`no process ${pid} in the truth`);
  return p.regions.map((r) => ({ start: hex(r.start), end: hex(r.end), protection: r.protection, pages: { ...r.counts } }));
}

/** The owners of a slot as `unfold slots --json` must list them: [{pid, va: hex}] ([] = unowned). */
export function expectedSlotOwners(t: ProcWorldTruth, segment: number, slot: number): Array<{ pid: number; va: string }> {
  const s = t.slots.find((x) => x.segment === segment && x.slot === slot);
  if (!s) throw new Error(`no live slot ${segment}/${slot} in the truth`);
  return s.owners.map((o) => ({ pid: o.pid, va: hex(o.va) }));
}

/** The procdump file name Volatility 3 also uses: pid.<pid>.vma.<0xstart>-<0xend>.dmp */
export function procdumpFileName(pid: number, r: { start: bigint; end: bigint }): string {
  return `pid.${pid}.vma.${hex(r.start)}-${hex(r.end)}.dmp`;
}

/** the truth as plain JSON (bigints as "0x…" strings), e.g. to save beside an image as a fixture */
export function truthToJson(t: ProcWorldTruth, indent?: number): string {
  return JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? hex(v) : v), indent);
}
