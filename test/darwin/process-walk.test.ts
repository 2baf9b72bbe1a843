// Golden tests of the process walk: for every scenario that holds processes, the walker's processes,
// regions, every page's state (and where it lives), its SHA-256, and every compressed slot's and
// single-value entry's owners equal the builder's truth (computed from its inputs, never by reading
// the image back).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KernelContext } from '../../core/darwin/kernel';
import { planCompressor, walkCompressor } from '../../core/darwin/compressor';
import { walkProcessMemory, STATE_CODE } from '../../core/darwin/process-walk';
import { joinOwners } from '../../core/darwin/owners';
import { segmentStates } from '../../core/darwin/segment-states';
import { PAGE_STATES } from '../../core/darwin/page-resolver';
import { buildScenario, PROC_SCENARIO_NAMES } from '../../core/synth/scenarios';

const hex = (v: bigint | number) => '0x' + v.toString(16);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function valuePage(v: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < size; i += 4) dv.setUint32(i, v >>> 0, true);
  return b;
}

describe.each(PROC_SCENARIO_NAMES.map((n) => [n]))('process walk of %s', (name) => {
  it('processes, regions, every page and every slot owner equal the truth', () => {
    const b = buildScenario(name);
    const truth = b.procs!;
    const o = b.open();
    const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    const walk = walkCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    const shaOf = new Map(walk.slots.map((r) => [r.segment * 65536 + r.slot, r.sha256]));
    const ctx = new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
    const fwd = walkProcessMemory(ctx, segmentStates(plan));
    // the only problem: tasks on the queue whose proc is on no list (the builder's stray tasks)
    expect(fwd.orphanTasks.map(hex)).toEqual(truth.strayTasks.map((t) => hex(t.task)));
    expect(fwd.problems).toEqual(truth.strayTasks.length ? [`tasks queue: ${truth.strayTasks.length} task(s) without a proc on allproc: ${truth.strayTasks.map((t) => hex(t.task)).join(', ')}`] : []);
    expect(fwd.zombies.map((z) => [z.pid, z.ppid, z.name, hex(z.proc)])).toEqual(truth.zombies.map((z) => [z.pid, z.ppid, z.name, hex(z.proc)]));
    expect(fwd.processes.map((p) => [p.pid, p.ppid, p.name, p.pName, hex(p.proc), hex(p.task), hex(p.map), hex(p.pmap), p.pmapRoot, p.pageSize])).toEqual(
      truth.processes.map((p) => [p.pid, p.ppid, p.name, p.pName, hex(p.proc), hex(p.task), hex(p.map), hex(p.pmap), p.pmapRoot, p.pageSize]),
    );
    const svValue = new Map(plan.sv.map((e) => [e.index, Number.parseInt(e.value, 16)]));
    for (const [i, tp] of truth.processes.entries()) {
      const wp = fwd.processes[i]!;
      expect(wp.counts).toEqual(tp.counts);
      expect(wp.regions.map((r) => [hex(r.start), hex(r.end), r.protection, r.maxProtection, r.object === 0n ? null : hex(r.object), hex(r.offset), r.tag, r.needsCopy, hex(r.entry), r.counts])).toEqual(
        tp.regions.map((r) => [hex(r.start), hex(r.end), r.protection, r.maxProtection, r.object === null ? null : hex(r.object), hex(r.offset), r.tag, r.needsCopy, hex(r.entry), r.counts]),
      );
      for (const [j, tr] of tp.regions.entries()) {
        const wr = wp.regions[j]!;
        const got = tr.pages.map((pg, k) => {
          const code = wr.pages.state[k]!;
          const state = PAGE_STATES[code]!;
          const ref = wr.pages.ref[k]!;
          let s: string | null = null;
          if (state === 'resident') s = sha(b.image.memory.read(ref, truth.pageSize));
          else if (state === 'compressed') s = shaOf.get(ref) ?? 'no record';
          else if (state === 'single') s = sha(valuePage(svValue.get(ref)!, truth.pageSize));
          else if (state === 'swapped') s = pg.sha256; // the swapped bytes are in the swap file, not the image
          const where = state === 'resident' ? ref : state === 'compressed' || state === 'swapped' ? [Math.floor(ref / 65536), ref % 65536] : state === 'single' ? ref : null;
          return [hex(pg.va), state, s, where];
        });
        const want = tr.pages.map((pg) => {
          const where = pg.state === 'resident' ? pg.phys! : pg.state === 'compressed' || pg.state === 'swapped' ? [pg.segment!, pg.slot!] : pg.state === 'single' ? pg.svIndex! : null;
          return [hex(pg.va), pg.state, pg.sha256, where];
        });
        expect(got).toEqual(want);
      }
    }
    const own = joinOwners(plan, fwd);
    for (const s of truth.slots) {
      expect(own.slotOwners(s.segment, s.slot).map((x) => [x.pid, hex(x.va)])).toEqual(s.owners.map((x) => [x.pid, hex(x.va)]));
    }
    for (const e of truth.sv) expect(own.svOwners(e.index).map((x) => [x.pid, hex(x.va)])).toEqual(e.owners.map((x) => [x.pid, hex(x.va)]));
    expect(own.check.mismatches).toEqual([]);
    expect(own.check.agreeing).toBe(truth.slots.length);
    expect(own.liveSlots).toBe(truth.slots.length);
    // unowned slots are named with their pager and object
    const unownedTruth = truth.slots.filter((s) => s.owners.length === 0);
    expect(own.unowned.map((u) => [u.segment, u.slot])).toEqual(unownedTruth.map((s) => [s.segment, s.slot]));
    // an unowned slot's back-pointer leads to its pager and object wherever the pager can be found
    // (read by the walk, or holding the slot embedded); the others name no pager rather than a wrong one
    let found = 0;
    for (const u of own.unowned) {
      const t = truth.slots.find((s) => s.segment === u.segment && s.slot === u.slot)!;
      expect(u.backPointer).toBe(t.slotAddress);
      if (u.pager !== null) {
        found++;
        expect([hex(u.pager), hex(u.object!), hex(u.objectOffset!)]).toEqual([hex(t.pager), hex(t.object), hex(t.objectOffset)]);
      }
    }
    if (truth.rules.pager !== 'C1' && truth.rules.pager !== 'C2') expect(found).toBeGreaterThan(0);
    // the scenario exercises what it should: every state, shared slots, unowned slots
    const all = fwd.processes.reduce((n, p) => n + p.counts.resident + p.counts.compressed + p.counts.single + p.counts.absent, 0);
    expect(all).toBeGreaterThan(0);
    // (10.9–10.10 have no single-value pages)
    const states = truth.sv.length > 0 ? (['resident', 'compressed', 'single', 'absent'] as const) : (['resident', 'compressed', 'absent'] as const);
    for (const st of states) expect(fwd.processes.some((p) => p.counts[st] > 0)).toBe(true);
    expect(truth.slots.some((s) => s.owners.length > 1)).toBe(true);
    expect(unownedTruth.length).toBeGreaterThan(0);
    void STATE_CODE;
  });
});
