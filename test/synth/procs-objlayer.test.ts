// The process images read through the project's kernel-object layer (core/darwin/kernel.ts, lists.ts):
// the same processes, tasks, map entries, unpacked objects, vm_pages and back-pointers as the
// builder's truth — so the walkers built on that layer and the builder agree on every layout rule.
import { describe, expect, it } from 'vitest';
import { KernelContext } from '../../core/darwin/kernel';
import { walkBsdList, walkMapEntries, walkQueue } from '../../core/darwin/lists';
import { buildScenario, PROC_SCENARIO_NAMES } from '../../core/synth/scenarios';

describe.each(PROC_SCENARIO_NAMES.map((n) => [n]))('%s through the object layer', (name) => {
  it('processes, tasks, entries, objects, pages and back-pointers match the truth', () => {
    const b = buildScenario(name);
    const p = b.procs!;
    const o = b.open();
    const ctx = new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
    expect(ctx.missingTypes(['proc', 'task', '_vm_map', 'vm_map_entry', 'vm_object', 'vm_page', 'compressor_pager'])).toEqual([]);

    const procs = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list' });
    expect(procs.problem).toBeNull();
    expect(procs.items.map((x) => [x.num('p_pid'), x.cstring('p_comm')])).toEqual(
      [...p.processes].reverse().map((x) => [x.pid, x.name]),
    );
    const tasks = walkQueue(ctx, { head: ctx.global('tasks'), type: 'task', chain: 'tasks' });
    expect(tasks.problem).toBeNull();
    expect(tasks.items.map((t) => t.address)).toEqual([...p.processes.map((x) => x.task), ...p.strayTasks.map((x) => x.task)]);
    if (p.rules.procTask === 'P4') {
      const size = ctx.u64Global('proc_struct_size');
      for (const x of procs.items) expect(x.address + size).toBe(p.processes.find((q) => q.proc === x.address)!.task);
    }

    for (const pr of p.processes) {
      const map = ctx.object('task', pr.task).pointer('map');
      expect(map).toBe(pr.map);
      const entries = walkMapEntries(ctx, { map });
      expect(entries.problem).toBeNull();
      expect(entries.items.map((e) => [e.u64('links.start'), e.u64('links.end')])).toEqual(pr.regions.map((r) => [r.start, r.end]));
      entries.items.forEach((e, i) => {
        const r = pr.regions[i]!;
        let object: bigint;
        const e45 = p.rules.entry === 'E4' || p.rules.entry === 'E5';
        const isSub = e45 ? (e.u64('vme_object_value') & 2n) !== 0n : e.num('is_sub_map') === 1;
        if (isSub) {
          expect(e45 ? e.u64('vme_object_value') & ~3n : e.pointer(p.rules.entry === 'E1' ? 'object' : 'vme_object')).toBe(r.submap);
          return;
        }
        if (p.rules.entry === 'E1') object = e.pointer('object');
        else if (!e45) object = e.pointer('vme_object');
        else object = ctx.unpack('vm_object', BigInt(e.num(p.rules.entry === 'E4' ? 'vme_object' : 'vme_object_or_delta')));
        expect(object === 0n ? null : object).toBe(r.object);
      });
      for (const r of pr.regions) {
        for (const pg of r.pages) {
          if (pg.state === 'resident' && p.rules.page !== 'G1') {
            // the vm_page is in the array: packed from the array index
            const vmPages = ctx.pointerGlobal('vm_pages');
            const idx = (pg.vmPage! - vmPages) / BigInt(ctx.sizeOf('vm_page'));
            expect(ctx.unpackPage(Number(0x80000000n | idx))).toBe(pg.vmPage);
          }
        }
      }
    }
    // every named slot's back-pointer, unpacked by the layer, is the slot mapping of the truth
    const slotT = ctx.sizeOf('c_slot');
    for (const s of p.slots) {
      const seg = b.truth.segments.find((g) => g.index === s.segment)!;
      const segObj = ctx.object('c_segment', seg.va);
      let at: bigint;
      if (segObj.has('c_slot_fixed_array')) {
        const fixed = ctx.u32Global('c_seg_fixed_array_len');
        at = s.slot < fixed ? segObj.addressOf('c_slot_fixed_array') + BigInt(s.slot * slotT) : segObj.pointer('c_slot_var_array') + BigInt((s.slot - fixed) * slotT);
      } else at = ctx.readPointer(segObj.addressOf('c_slots') + BigInt((s.slot >> 6) * 8)) + BigInt((s.slot & 63) * slotT);
      const packed = ctx.object('c_slot', at).u64('c_packed_ptr');
      expect(ctx.unpack('c_slot', packed)).toBe(s.slotAddress);
    }
  });
});
