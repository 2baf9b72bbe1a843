// The test-image builder's processes, checked against the image bytes with rules written here
// independently of the builder: c_packed_ptr unpacking, user page-table walks, map-entry encodings,
// pager slot storage, memq lists, and the process lists — each compared with the builder's truth.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { walkCompressor } from '../../core/darwin/compressor';
import { fromIsfObject } from '../../core/symbols/isf';
import { fieldOffset, hasField, readField, sizeOfStruct } from '../../core/symbols/struct';
import type { SymbolTable } from '../../core/symbols/types';
import { expectedMapsRecords, expectedProcsRecords, expectedSlotOwners, procdumpFileName, truthToJson, type PageTruth, type ProcWorldTruth } from '../../core/synth/proc-truth';
import { buildDemoImage, buildScaleImage, buildScenario, DEMO_SECRET, PROC_SCENARIO_NAMES, SCENARIO_NAMES, type BuiltScenario } from '../../core/synth/scenarios';
import type { VirtualSpace } from '../../core/translate/types';

const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (v: bigint | number) => '0x' + v.toString(16);

interface Ctx {
  b: BuiltScenario;
  p: ProcWorldTruth;
  sym: SymbolTable;
  space: VirtualSpace;
  phys(at: number, len: number): Uint8Array;
  /** a field of the struct `type` at kernel VA `va` */
  f(type: string, va: bigint, field: string): bigint;
  g(name: string): bigint;
  xnu: [number, number];
}

function context(name: string | BuiltScenario): Ctx {
  const b = typeof name === 'string' ? buildScenario(name) : name;
  const o = b.open();
  const sym = fromIsfObject(b.image.isf, 'synthetic');
  const f = (type: string, va: bigint, field: string): bigint => {
    const bytes = o.space.read(va, sizeOfStruct(sym, type));
    const v = readField(sym, bytes, 0, type, field);
    if (typeof v === 'boolean') return v ? 1n : 0n;
    if (typeof v === 'number' || typeof v === 'bigint') return BigInt(v);
    throw new Error(`${type}.${field} is not a scalar`);
  };
  const g = (n: string): bigint => {
    const a = sym.symbolAddress(n);
    if (a === undefined) throw new Error(`no symbol ${n}`);
    return a + b.image.slide;
  };
  return {
    b,
    p: b.procs!,
    sym,
    space: o.space,
    phys: (at, len) => b.image.memory.read(at, len),
    f,
    g,
    xnu: b.def.xnu,
  };
}

const ge = (x: [number, number], a: number, b = 0) => x[0] > a || (x[0] === a && x[1] >= b);

/** arm64e: a kernel pointer with bit 55 set gets bits 47–63 forced to one (47-bit VAs); x86_64 as is */
const strip = (c: Ctx, v: bigint): bigint => (c.b.image.arch === 'arm64' && (v >> 55n) & 1n ? v | (((1n << 64n) - 1n) ^ ((1n << 47n) - 1n)) : v);

/** independent user page-table walk: x86_64 4-level 4 KiB; arm64 TTBR0 16 KiB, T0SZ 17 */
function userTranslate(c: Ctx, root: number, va: bigint): number {
  const u64 = (at: number) => new DataView(c.phys(at, 8).buffer).getBigUint64(0, true);
  if (c.b.image.arch === 'x86_64') {
    let t = root;
    for (const shift of [39n, 30n, 21n, 12n]) {
      const e = u64(t + Number((va >> shift) & 0x1ffn) * 8);
      if ((e & 1n) === 0n) return -1;
      t = Number(e & 0x000ffffffffff000n);
    }
    return t;
  }
  let t = root;
  for (const shift of [36n, 25n, 14n]) {
    const e = u64(t + Number((va >> shift) & 0x7ffn) * 8);
    if ((e & 3n) !== 3n) return -1;
    t = Number(e & 0x0000ffffffffc000n);
  }
  return t;
}

/** where c_slot (segment, slot) lives, found through the c_segment like a walker does */
function cSlotVa(c: Ctx, segVa: bigint, slot: number): bigint {
  // 8 bytes, or 12 for the M1 popcount c_slot (xnu 7195–8792 on T8101/T6000)
  const stride = sizeOfStruct(c.sym, 'c_slot');
  if (hasField(c.sym, 'c_segment', 'c_slot_fixed_array')) {
    const fixed = Number(c.space.readU32(c.g('c_seg_fixed_array_len')));
    if (slot < fixed) return segVa + BigInt(fieldOffset(c.sym, 'c_segment', 'c_slot_fixed_array') + slot * stride);
    return c.f('c_segment', segVa, 'c_slot_var_array') + BigInt((slot - fixed) * stride);
  }
  const arr = c.space.readU64(segVa + BigInt(fieldOffset(c.sym, 'c_segment', 'c_slots') + (slot >> 6) * 8));
  return arr + BigInt((slot & 63) * stride);
}

/**
 * c_slot.c_packed_ptr at `slotVa` → slot mapping address, by docs/compressor.md §5.1 / docs/process-memory.md §6.3:
 * x86_64 36 bits from bit 28, arm64 33 bits from bit 31, both (packed << 2) + base; the 12-byte M1
 * popcount slot keeps the pointer itself in 47 bits from bit 49, sign-extended.
 */
function backPointerAt(c: Ctx, slotVa: bigint): bigint {
  const stride = sizeOfStruct(c.sym, 'c_slot');
  const b = c.space.read(slotVa, stride);
  let raw = 0n;
  for (let i = stride - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(b[i]!);
  if (stride === 12) {
    const v = (raw >> 49n) & ((1n << 47n) - 1n);
    return v & (1n << 46n) ? v | (((1n << 64n) - 1n) ^ ((1n << 47n) - 1n)) : v;
  }
  if (c.b.image.arch === 'x86_64') return ((raw >> 28n) << 2n) + 0xffffff7f80000000n;
  return (((raw >> 31n) & ((1n << 33n) - 1n)) << 2n) + 0xfffffe0000000000n;
}

function allPages(p: ProcWorldTruth): Array<{ pid: number; page: PageTruth }> {
  return p.processes.flatMap((pr) => pr.regions.flatMap((r) => r.pages.map((page) => ({ pid: pr.pid, page }))));
}

it('every family scenario holds processes, and the process-only kernels cover P1–P4, E1–E5, C1–C4, G1–G3 on both architectures', () => {
  expect(PROC_SCENARIO_NAMES.slice(0, SCENARIO_NAMES.length)).toEqual([...SCENARIO_NAMES]);
  expect(PROC_SCENARIO_NAMES.length).toBeGreaterThan(SCENARIO_NAMES.length);
});

describe.each(PROC_SCENARIO_NAMES.map((n) => [n]))('%s', (name) => {
  let c: Ctx;
  beforeAll(() => {
    c = context(name);
  });

  it('lists kernproc and four user processes with the expected names, parents and rules', () => {
    expect(c.p.processes.map((p) => [p.pid, p.ppid, p.name, p.pName])).toEqual([
      [0, 0, 'kernel_task', 'kernel_task'],
      [1, 0, 'launchd', 'launchd'],
      [212, 1, 'Safari', 'Safari'],
      [230, 1, 'com.apple.WebKit', 'com.apple.WebKit.WebContent'],
      [305, 212, 'Safari', 'Safari'],
    ]);
    const x = c.xnu;
    expect(c.p.rules.procTask).toBe(!ge(x, 4903) ? 'P1' : !ge(x, 8019, 80) ? 'P2' : !ge(x, 8792) ? 'P3' : 'P4');
    expect(c.p.rules.entry).toBe(!ge(x, 3247) ? 'E1' : !ge(x, 8020, 121) ? 'E2' : !ge(x, 8020, 140) ? 'E3' : !ge(x, 8796, 101) ? 'E4' : 'E5');
  });

  it('allproc (newest first), kernproc and the tasks queue (oldest first) are linked as xnu links them', () => {
    const order: bigint[] = [];
    let at = c.space.readU64(c.g('allproc'));
    let prevLink = c.g('allproc');
    while (at !== 0n && order.length < 20) {
      order.push(at);
      expect(c.f('proc', at, 'p_list.le_prev')).toBe(prevLink);
      prevLink = at + BigInt(fieldOffset(c.sym, 'proc', 'p_list.le_next'));
      at = c.f('proc', at, 'p_list.le_next');
    }
    const byProc = new Map(c.p.processes.map((p) => [p.proc, p]));
    expect(order.map((v) => byProc.get(v)?.pid)).toEqual([305, 230, 212, 1, 0]);
    expect(c.space.readU64(c.g('kernproc'))).toBe(c.p.processes[0]!.proc);
    expect(c.space.readU64(c.g('kernel_task'))).toBe(c.p.processes[0]!.task);
    expect(c.space.readU64(c.g('kernel_map'))).toBe(c.p.processes[0]!.map);
    const head = c.g('tasks');
    const tasks: bigint[] = [];
    for (let t = c.space.readU64(head); t !== head && tasks.length < 20; t = c.f('task', t, 'tasks.next')) tasks.push(t);
    // every listed process's task, oldest first, then the stray corpse task whose proc is on no list
    expect(tasks).toEqual([...c.p.processes.map((p) => p.task), ...c.p.strayTasks.map((t) => t.task)]);
    expect(c.space.readU64(head + 8n)).toBe(c.p.strayTasks[0]!.task);
    expect(c.p.strayTasks.map((t) => [t.pid, t.ppid, t.name])).toEqual([[480, 1, 'ReportCrash']]);
    const stray = c.p.strayTasks[0]!;
    const strayProc = c.p.rules.procTask === 'P4' ? stray.task - c.space.readU64(c.g('proc_struct_size')) : c.f('task', stray.task, 'bsd_info');
    expect(strayProc).toBe(stray.proc);
    expect(Number(c.f('proc', stray.proc, 'p_pid'))).toBe(480);
    expect(order).not.toContain(stray.proc);
    expect(Number(c.space.readU32(c.g('tasks_count')))).toBe(6);
    expect(Number(c.space.readU32(c.g('nprocs')))).toBe(5);
    // zombproc: the exited child, no task
    expect(c.p.zombies.map((z) => [z.pid, z.ppid, z.name])).toEqual([[260, 212, 'com.apple.WebKit']]);
    const z = c.space.readU64(c.g('zombproc'));
    expect(z).toBe(c.p.zombies[0]!.proc);
    expect(c.f('proc', z, 'p_list.le_next')).toBe(0n);
    expect(c.f('proc', z, 'p_list.le_prev')).toBe(c.g('zombproc'));
    expect([Number(c.f('proc', z, 'p_pid')), Number(c.f('proc', z, 'p_stat'))]).toEqual([260, 5]);
    if (c.p.rules.procTask === 'P4') expect(c.f('proc', z, 'p_lflag') & 2n).toBe(0n);
    else expect(c.f('proc', z, 'task')).toBe(0n);
    expect(order).not.toContain(z);
  });

  it('proc → task → map → pmap by the version rule, names and pids by field name', () => {
    const rule = c.p.rules.procTask;
    const hasTaskField = hasField(c.sym, 'proc', 'task');
    expect(hasTaskField).toBe(rule !== 'P4');
    expect(hasField(c.sym, 'proc', 'p_proc_ro')).toBe(rule === 'P3' || rule === 'P4');
    expect(hasField(c.sym, 'task', 'bsd_info')).toBe(rule !== 'P4');
    for (const p of c.p.processes) {
      expect(Number(c.f('proc', p.proc, 'p_pid'))).toBe(p.pid);
      expect(Number(c.f('proc', p.proc, 'p_ppid'))).toBe(p.ppid);
      const comm = Buffer.from(readField(c.sym, c.space.read(p.proc, sizeOfStruct(c.sym, 'proc')), 0, 'proc', 'p_comm') as Uint8Array);
      expect(comm.subarray(0, comm.indexOf(0)).toString('latin1')).toBe(p.name);
      if (rule === 'P4') {
        const size = c.space.readU64(c.g('proc_struct_size'));
        expect(size % 16n).toBe(0n);
        expect(BigInt(sizeOfStruct(c.sym, 'proc'))).toBeLessThan(size); // the ISF's sizeof is not enough
        expect(p.task).toBe(p.proc + size);
        expect(c.f('proc', p.proc, 'p_lflag') & 2n).toBe(2n);
      } else {
        expect(strip(c, c.f('proc', p.proc, 'task'))).toBe(p.task);
        expect(c.f('task', p.task, 'bsd_info')).toBe(p.proc);
      }
      if (rule === 'P3' || rule === 'P4') {
        const ro = c.f('proc', p.proc, 'p_proc_ro');
        expect(c.f('proc_ro', ro, 'pr_proc')).toBe(p.proc);
        expect(c.f('proc_ro', ro, 'pr_task')).toBe(p.task);
      }
      expect(strip(c, c.f('task', p.task, 'map'))).toBe(p.map);
      expect(strip(c, c.f('_vm_map', p.map, 'pmap'))).toBe(p.pmap);
      if (c.b.image.arch === 'arm64' && ge(c.xnu, 7195)) {
        // signed, not plain: the raw field differs from the VA in its upper bits
        expect(c.f('task', p.task, 'map')).not.toBe(p.map);
        expect(c.f('_vm_map', p.map, 'pmap') !== p.pmap).toBe(ge(c.xnu, 11417));
      }
      const root = c.b.image.arch === 'x86_64' ? c.f('pmap', p.pmap, 'pm_cr3') : c.f('pmap', p.pmap, 'ttep');
      expect(Number(root)).toBe(p.pmapRoot);
      expect(Number(c.f('_vm_map', p.map, 'hdr.page_shift'))).toBe(Math.log2(p.pageSize));
    }
  });

  it('map entries decode, by the era encoding, to the regions of the truth', () => {
    const e = c.p.rules.entry;
    let packBase = 0n;
    if (e === 'E4' || e === 'E5') packBase = c.f('vm_packing_params', c.g('vm_page_packing_params'), 'vmpp_base');
    for (const p of c.p.processes) {
      const head = p.map + BigInt(fieldOffset(c.sym, '_vm_map', 'hdr.links'));
      const n = Number(c.f('_vm_map', p.map, 'hdr.nentries'));
      expect(n).toBe(p.regions.length);
      let at = c.f('_vm_map', p.map, 'hdr.links.next');
      let prev = head;
      const got: Array<{ start: bigint; end: bigint; prot: string; object: bigint | null; submap: bigint | null; offset: bigint; tag: number }> = [];
      while (at !== head && got.length <= n) {
        expect(c.f('vm_map_entry', at, 'links.prev')).toBe(prev);
        const R = (fld: string) => c.f('vm_map_entry', at, fld);
        const prot = Number(R('protection'));
        let object: bigint;
        let offset: bigint;
        let tag: number;
        let isSub: boolean;
        switch (e) {
          case 'E1':
            object = R('object.vm_object'); // the union: the submap pointer when is_sub_map
            offset = R('offset');
            tag = Number(R('alias'));
            isSub = R('is_sub_map') === 1n;
            break;
          case 'E2':
            object = R('vme_object.vmo_object');
            offset = R('vme_offset') & ~0xfffn;
            tag = Number(R('vme_offset') & 0xfffn);
            isSub = R('is_sub_map') === 1n;
            break;
          case 'E3':
            object = R('vme_object.vmo_object');
            offset = R('vme_offset') << 12n;
            tag = Number(R('vme_alias'));
            isSub = R('is_sub_map') === 1n;
            break;
          default: {
            const word = R('vme_object_value');
            isSub = (word & 2n) !== 0n;
            const packed = word >> 32n;
            // a submap: the word with the two low bits cleared; an object: the packed upper half
            object = isSub ? word & ~3n : packed === 0n ? 0n : (packed << 6n) + packBase;
            offset = R('vme_offset') << 12n;
            tag = Number(R('vme_alias'));
          }
        }
        const s = (v: number) => (v & 1 ? 'r' : '-') + (v & 2 ? 'w' : '-') + (v & 4 ? 'x' : '-');
        got.push({ start: R('links.start'), end: R('links.end'), prot: s(prot), object: isSub || object === 0n ? null : object, submap: isSub ? object : null, offset, tag });
        prev = at;
        at = R('links.next');
      }
      expect(c.f('_vm_map', p.map, 'hdr.links.prev')).toBe(prev);
      expect(got).toEqual(p.regions.map((r) => ({ start: r.start, end: r.end, prot: r.protection, object: r.object, submap: r.submap, offset: r.offset, tag: r.tag })));
      // a submap is a _vm_map whose entries lead to the objects the truth found the pages in
      for (const r of p.regions.filter((x) => x.submap !== null)) {
        const first = c.f('_vm_map', r.submap!, 'hdr.links.next');
        const objs = new Set(r.pages.filter((x) => x.object !== null && x.depth === 0).map((x) => x.object));
        expect(objs.size).toBe(2);
        expect(Number(c.f('_vm_map', r.submap!, 'hdr.nentries'))).toBe(2);
        expect(c.f('vm_map_entry', first, 'links.start')).toBe(0n);
      }
    }
  });

  it('every live c_slot has a c_packed_ptr that unpacks to a slot mapping naming (segment + 1, slot)', () => {
    const bySlot = new Map(c.p.slots.map((s) => [`${s.segment}:${s.slot}`, s]));
    expect(c.p.slots.length).toBe(c.b.truth.slots.length);
    for (const t of c.b.truth.slots) {
      const seg = c.b.truth.segments.find((s) => s.index === t.segment)!;
      const target = backPointerAt(c, cSlotVa(c, seg.va, t.slot));
      const v = c.space.readU32(target);
      expect([v & 0x3fffff, v >>> 22], `${t.name} → ${hex(target)}`).toEqual([t.segment + 1, t.slot]);
      expect(bySlot.get(`${t.segment}:${t.slot}`)!.slotAddress).toBe(target);
    }
  });

  it('resident pages: through the process page tables (or memq only) to bytes with the truth hash', () => {
    const pageSize = c.p.pageSize;
    let viaPte = 0;
    let memqOnly = 0;
    for (const p of c.p.processes) {
      for (const r of p.regions) {
        for (const pg of r.pages) {
          const tr = userTranslate(c, p.pmapRoot, pg.va);
          if (pg.state !== 'resident') {
            expect(tr, `${p.pid} ${hex(pg.va)} ${pg.state}`).toBe(-1);
            continue;
          }
          expect(hash(c.phys(pg.phys!, pageSize))).toBe(pg.sha256);
          if (pg.pte) {
            expect(tr).toBe(pg.phys);
            viaPte++;
          } else {
            expect(tr).toBe(-1);
            memqOnly++;
          }
        }
      }
    }
    expect(viaPte).toBeGreaterThan(10);
    expect(memqOnly).toBe(2);
    if (c.b.image.arch === 'x86_64') {
      // a user pm_cr3 maps the kernel half too (a heap page: 4 KiB PTEs all the way down)
      const v = c.p.processes[2]!.proc & ~0xfffn;
      expect(userTranslate(c, c.p.processes[2]!.pmapRoot, v & ((1n << 48n) - 1n))).toBe(c.space.translate(v));
    }
  });

  it('resident pages sit in their object memq with the offset and physical page of the truth', () => {
    const arm = c.b.image.arch === 'arm64';
    const g1 = c.p.rules.page === 'G1';
    const pre = c.p.rules.page === 'G3' ? 'vmp_' : '';
    const pageT = sizeOfStruct(c.sym, 'vm_page');
    const vmPages = c.space.readU64(c.g('vm_pages'));
    let packBase = 0n;
    if (!g1) packBase = ge(c.xnu, 7195) ? c.f('vm_packing_params', c.g('vm_page_packing_params'), 'vmpp_base') : c.space.readU64(c.g('vm_min_kernel_and_kext_address'));
    const unpack = (v: bigint): bigint => (g1 ? v : v & 0x80000000n ? vmPages + (v & 0x7fffffffn) * BigInt(pageT) : (v << 6n) + packBase);
    const first = arm ? BigInt(c.space.readU32(c.g(ge(c.xnu, 11417) ? 'vm_pages_first_pnum' : 'vm_first_phys_ppnum'))) : 0n;
    const seen = new Map<bigint, Map<bigint, number>>();
    const memq = (object: bigint): Map<bigint, number> => {
      const m = new Map<bigint, number>();
      let at = unpack(c.f('vm_object', object, 'memq.next'));
      while (at !== object && m.size < 400) {
        const off = c.f('vm_page', at, `${pre}offset`);
        expect(unpack(c.f('vm_page', at, g1 ? 'object' : pre ? 'vmp_object' : 'vm_page_object'))).toBe(object);
        const ppn = arm ? (at - vmPages) / BigInt(pageT) + first : c.f('vm_page', at, `${pre}phys_page`);
        m.set(off, Number(ppn) * c.p.pageSize);
        at = unpack(c.f('vm_page', at, `${pre}listq.next`));
      }
      return m;
    };
    for (const { page } of allPages(c.p)) {
      if (page.state !== 'resident') continue;
      if (!seen.has(page.object!)) seen.set(page.object!, memq(page.object!));
      expect(seen.get(page.object!)!.get(page.objectOffset)).toBe(page.phys);
    }
  });

  it('compressed, swapped and single pages: the object pager stores the slot value where the truth says', () => {
    const ops = c.g('compressor_pager_ops');
    const eslots = ge(c.xnu, 3247);
    const pagerOps = (pager: bigint) => (hasField(c.sym, 'compressor_pager', 'cpgr_hdr') ? c.f('compressor_pager', pager, 'cpgr_hdr.mo_pager_ops') : c.f('compressor_pager', pager, 'cpgr_pager_ops'));
    const slotAddr = (pager: bigint, index: number): bigint => {
      const n = Number(c.f('compressor_pager', pager, 'cpgr_num_slots'));
      expect(index).toBeLessThan(n);
      const slots = pager + BigInt(fieldOffset(c.sym, 'compressor_pager', 'cpgr_slots'));
      if (n > 128) {
        const chunk = c.space.readU64(c.space.readU64(slots) + BigInt(Math.floor(index / 128) * 8));
        expect(chunk).not.toBe(0n);
        return chunk + BigInt((index % 128) * 4);
      }
      if (eslots && n <= 2) return slots + BigInt(index * 4);
      return c.space.readU64(slots) + BigInt(index * 4);
    };
    let n = 0;
    for (const { page } of allPages(c.p)) {
      if (page.slotAddress === undefined) continue;
      n++;
      const pager = c.f('vm_object', page.object!, 'pager');
      expect(pagerOps(pager)).toBe(ops);
      const off = page.objectOffset + c.f('vm_object', page.object!, 'paging_offset');
      expect(slotAddr(pager, Number(off / BigInt(c.p.pageSize)))).toBe(page.slotAddress);
      const v = c.space.readU32(page.slotAddress);
      expect(v).toBe(page.slotValue);
      if (page.state === 'single') {
        expect(v & 0x3fffff).toBe(0x3fffff);
        expect(v >>> 22).toBe(page.svIndex);
        const data = c.space.readU32(c.g('c_segment_sv_hash_table') + BigInt(page.svIndex! * 8 + 4));
        expect('0x' + data.toString(16).padStart(8, '0')).toBe(page.value);
        const word = new Uint8Array(4);
        new DataView(word.buffer).setUint32(0, data, true);
        const full = new Uint8Array(c.p.pageSize);
        for (let i = 0; i < full.length; i += 4) full.set(word, i);
        expect(hash(full)).toBe(page.sha256);
      } else {
        expect([(v & 0x3fffff) - 1, v >>> 22]).toEqual([page.segment, page.slot]);
        const t = c.b.truth.byName[page.slotName!]!;
        const seg = c.b.truth.segments.find((s) => s.index === t.segment)!;
        expect(page.state).toBe(seg.swap ? 'swapped' : 'compressed');
        if (page.state === 'compressed') expect(t.sha256).toBe(page.sha256);
        else expect(page.swap).toEqual({ fileIndex: seg.swap!.fileIndex, path: seg.swap!.path, chunkOffset: seg.swap!.offset });
      }
    }
    expect(n).toBeGreaterThanOrEqual(14);
  });

  it('shadow chain, sharing and orphans give the owners and storage forms the truth lists', () => {
    const pages = allPages(c.p);
    const states = new Set(pages.map((x) => x.page.state));
    expect([...states].sort()).toEqual((c.b.truth.sv.length ? ['absent', 'compressed', 'resident', 'single', 'swapped'] : ['absent', 'compressed', 'resident', 'swapped']).sort());
    // fork: the child sees its shadow's pages at depth 0 and the parent's object below at depth 1
    const child = c.p.processes.find((p) => p.pid === 305)!;
    const fork = child.regions.find((r) => r.start === 0x300000000n)!;
    expect(fork.pages.map((x) => x.depth)).toEqual([0, 0, 1, 1, 1]);
    const parentFork = c.p.processes.find((p) => p.pid === 212)!.regions.find((r) => r.start === 0x300000000n)!;
    expect(fork.pages[2]!.object).toBe(parentFork.object);
    expect(fork.pages[2]!.objectOffset).toBe(4n * BigInt(c.p.pageSize)); // shadow offset 2 pages + 2
    const s = (seg?: number, slot?: number) => c.p.slots.find((x) => x.segment === seg && x.slot === slot)!;
    const both = s(fork.pages[2]!.segment, fork.pages[2]!.slot);
    expect(both.owners).toEqual([
      { pid: 212, va: 0x300000000n + 2n * BigInt(c.p.pageSize) },
      { pid: 305, va: 0x300000000n + 2n * BigInt(c.p.pageSize) },
    ]);
    // the parent's page the child's shadow hides has one owner
    expect(s(parentFork.pages[1]!.segment, parentFork.pages[1]!.slot).owners.map((o) => o.pid)).toEqual([212]);
    // the shared object: one compressed page, two processes at different addresses
    const shared = c.p.processes.find((p) => p.pid === 230)!.regions.find((r) => r.start === 0x280000000n)!;
    expect(s(shared.pages[1]!.segment, shared.pages[1]!.slot).owners).toEqual([
      { pid: 212, va: 0x200000000n + BigInt(c.p.pageSize) },
      { pid: 230, va: 0x280000000n + BigInt(c.p.pageSize) },
    ]);
    // the shared region submap: its slot pages belong to every process that maps it, at the same VA
    const launchd = c.p.processes.find((x) => x.pid === 1)!;
    const region = launchd.regions.find((r) => r.submap !== null)!;
    expect(region.pages.map((x) => x.state)).toEqual(['resident', 'resident', 'compressed', 'absent', 'compressed', c.b.truth.sv.length ? 'single' : 'compressed', 'compressed']);
    const dyldSlot = region.pages[2]!;
    expect(s(dyldSlot.segment, dyldSlot.slot).owners).toEqual([1, 212, 230, 305].map((pid) => ({ pid, va: 0x7ff800000000n + 2n * BigInt(c.p.pageSize) })));
    if (c.b.truth.sv.length) expect(c.p.sv.find((x) => x.index === region.pages[5]!.svIndex)!.owners.map((o) => o.pid)).toEqual([1, 212, 230, 305]);
    // unowned slots: in orphan pagers (no map reaches them) and one in a mapped object outside every window
    const unowned = c.p.slots.filter((x) => x.owners.length === 0);
    const pagerOf = new Map(c.p.pagers.map((x) => [x.pager, x]));
    expect(unowned.filter((x) => pagerOf.get(x.pager)!.mapped)).toHaveLength(1);
    expect(unowned.length).toBeGreaterThan(5);
    // storage forms
    const forms = new Set(c.p.pagers.map((x) => x.storage));
    expect(forms.has('embedded')).toBe(ge(c.xnu, 3247));
    expect(forms.has('direct') && forms.has('indirect')).toBe(true);
    for (const pg of c.p.pagers.filter((x) => x.storage === 'indirect')) {
      const islots = c.space.readU64(pg.pager + BigInt(fieldOffset(c.sym, 'compressor_pager', 'cpgr_slots')));
      expect(c.space.readU64(islots + 8n)).toBe(0n); // the middle chunk was never allocated
    }
    // Σ occupied over every pager = the kernel's count of compressed pages (single-value references included)
    const occupied = c.p.pagers.reduce((n, x) => n + (hasField(c.sym, 'compressor_pager', 'cpgr_num_slots_occupied') ? Number(c.f('compressor_pager', x.pager, 'cpgr_num_slots_occupied')) : x.occupied), 0);
    expect(occupied).toBe(c.b.truth.pagesCompressed);
    // single-value entries: owners and every slot mapping that names them
    for (const e of c.p.sv) {
      const refs = c.b.truth.sv.find((x) => x.index === e.index)!.refCount;
      expect(e.slotAddresses).toHaveLength(refs);
      for (const a of e.slotAddresses) expect(c.space.readU32(a)).toBe(((e.index << 22) | 0x3fffff) >>> 0);
    }
  });
});

describe('process-only kernels: the compressor inside is walkable as it is in the family scenarios', () => {
  it.each(PROC_SCENARIO_NAMES.filter((n) => !SCENARIO_NAMES.includes(n)).map((n) => [n]))('%s', (name) => {
    const b = buildScenario(name);
    const o = b.open();
    const res = walkCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    expect(res.summary.family).toBe(b.truth.family);
    expect(res.summary.pagesCompressed).toBe(b.truth.pagesCompressed);
    expect(res.slots.map((r) => [r.segment, r.slot, r.kind, r.sha256 ?? null])).toEqual(b.truth.slots.map((t) => [t.segment, t.slot, t.kind, t.sha256 ?? null]));
  });
});

describe('demo image', () => {
  it('every planted UNFOLD-DEMO-SECRET page is in Safari (pid 412), and every back-pointer names its slot', () => {
    const d = buildDemoImage();
    const c = context(d);
    expect(d.planted).toHaveLength(4);
    for (const p of d.planted) {
      expect(p.text).toContain(DEMO_SECRET);
      expect(p.owners.map((o) => [o.pid, o.name])).toEqual([[412, 'Safari']]);
      // the owner's page at that VA is this slot, and its content hash is the slot's
      const page = c.p.processes.find((x) => x.pid === 412)!.regions.flatMap((r) => r.pages).find((x) => x.va === p.owners[0]!.va)!;
      expect([page.state, page.segment, page.slot]).toEqual(['compressed', p.segment, p.slot]);
      expect(page.sha256).toBe(d.truth.slots.find((t) => t.segment === p.segment && t.slot === p.slot)!.sha256);
    }
    expect(c.p.slots).toHaveLength(d.truth.slots.length);
    for (const t of d.truth.slots) {
      const seg = d.truth.segments.find((s) => s.index === t.segment)!;
      const v = c.space.readU32(backPointerAt(c, cSlotVa(c, seg.va, t.slot)));
      expect([v & 0x3fffff, v >>> 22]).toEqual([t.segment + 1, t.slot]);
    }
    expect(c.p.processes.map((p) => `${p.pid} ${p.name}`)).toEqual(['0 kernel_task', '1 launchd', '98 mds', '412 Safari', '415 com.apple.WebKit']);
  });
});

describe('scale image with processes (for the attribution benchmark)', () => {
  it('maps most prebuilt slots into processes; every back-pointer of every segment names its slot', () => {
    const s = buildScaleImage({ pages: 4000, procs: { processes: 12, regionsPerProcess: 10 } });
    const p = s.procs!;
    expect(p.processes).toHaveLength(13);
    expect(p.processes.slice(1).every((x) => x.regions.length >= 10 && x.regions.every((r) => r.pages.length === 0))).toBe(true);
    const total = { resident: 0, compressed: 0, single: 0, swapped: 0, absent: 0 };
    for (const x of p.processes) for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += x.counts[k];
    // 90% of the slots are mapped (shared objects count once per mapper), the other 10% sit in orphan pagers
    expect(total.compressed).toBeGreaterThan(4000 * 0.85);
    const orphanOccupied = p.pagers.filter((x) => !x.mapped).reduce((n, x) => n + x.occupied, 0);
    expect(orphanOccupied).toBeGreaterThanOrEqual(400);
    expect(total.single).toBeGreaterThan(0);
    expect(new Set(p.pagers.map((x) => x.storage))).toEqual(new Set(['embedded', 'direct', 'indirect']));
    const o = s.open();
    const sym = fromIsfObject(s.image.isf, 'scale');
    const table = o.space.readU64(sym.symbolAddress('c_segments')! + s.image.slide);
    const fixed = o.space.readU32(sym.symbolAddress('c_seg_fixed_array_len')! + s.image.slide);
    let checked = 0;
    for (let seg = 0; seg < s.segments; seg++) {
      const segVa = o.space.readU64(table + BigInt(seg * 8));
      const bytes = o.space.read(segVa, sizeOfStruct(sym, 'c_segment'));
      const next = Number(readField(sym, bytes, 0, 'c_segment', 'c_nextslot'));
      const varArr = readField(sym, bytes, 0, 'c_segment', 'c_slot_var_array') as bigint;
      for (let slot = 0; slot < next; slot++) {
        const at = slot < fixed ? segVa + BigInt(fieldOffset(sym, 'c_segment', 'c_slot_fixed_array') + slot * 8) : varArr + BigInt((slot - fixed) * 8);
        const raw = o.space.readU64(at);
        const v = o.space.readU32(((raw >> 28n) << 2n) + 0xffffff7f80000000n);
        expect([v & 0x3fffff, v >>> 22]).toEqual([seg + 1, slot]);
        checked++;
      }
    }
    expect(checked).toBe(4000);
  });
});

describe('CLI-shaped expectations from the truth', () => {
  it('procs, maps, slot owners and dump names in the issue 11 contract shapes', () => {
    const p = buildScenario('F9-x86_64').procs!;
    const procs = expectedProcsRecords(p);
    expect(procs.map((x) => [x.pid, x.ppid, x.name])).toEqual([
      [0, 0, 'kernel_task'],
      [1, 0, 'launchd'],
      [212, 1, 'Safari'],
      [230, 1, 'com.apple.WebKit'],
      [305, 212, 'Safari'],
    ]);
    expect(procs[1]!.task).toMatch(/^0x[0-9a-f]+$/);
    expect(procs[1]!.pages).toEqual({ resident: 8, compressed: 7, single: 2, swapped: 1, absent: 3 });
    expect(procs[0]!.pages).toEqual({ resident: 0, compressed: 0, single: 0, swapped: 0, absent: 0 });
    const maps = expectedMapsRecords(p, 230);
    expect(maps).toEqual([
      { start: '0x280000000', end: '0x280003000', protection: 'rw-', pages: { resident: 1, compressed: 2, single: 0, swapped: 0, absent: 0 } },
      { start: '0x400000000', end: '0x400002000', protection: 'rwx', pages: { resident: 0, compressed: 0, single: 0, swapped: 0, absent: 2 } },
      { start: '0x600000000000', end: '0x600000002000', protection: 'rw-', pages: { resident: 0, compressed: 1, single: 1, swapped: 0, absent: 0 } },
      { start: '0x7ff800000000', end: '0x7ff800007000', protection: 'r-x', pages: { resident: 2, compressed: 3, single: 1, swapped: 0, absent: 1 } },
    ]);
    const shared = p.processes.find((x) => x.pid === 230)!.regions[0]!.pages[1]!;
    expect(expectedSlotOwners(p, shared.segment!, shared.slot!)).toEqual([
      { pid: 212, va: '0x200001000' },
      { pid: 230, va: '0x280001000' },
    ]);
    const json = JSON.parse(truthToJson(p)) as { processes: Array<{ pid: number; task: string; regions: Array<{ start: string; pages: Array<{ va: string }> }> }> };
    expect(json.processes[1]!.task).toBe(procs[1]!.task);
    expect(json.processes[3]!.regions[0]!.pages[1]!.va).toBe('0x280001000');
    expect(procdumpFileName(230, p.processes.find((x) => x.pid === 230)!.regions[2]!)).toBe('pid.230.vma.0x600000000000-0x600000002000.dmp');
  });
});
