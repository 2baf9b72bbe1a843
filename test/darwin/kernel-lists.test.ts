// Bounded, cycle-safe list walks over lists laid out by the synthetic kernel builder: BSD LIST,
// Mach queue (element and field links), circular vm_map entries. Intact lists give exactly the
// elements written; damaged ones (cycle, bound, link into absent memory, smeared back-link, junk
// pointer, NULL in a circular list, wrong count) end with one problem naming the address and reason.
import { describe, expect, it } from 'vitest';
import { KernelContext } from '../../core/darwin/kernel';
import { walkBsdList, walkMapEntries, walkQueue } from '../../core/darwin/lists';
import { createSynthKernel, sampleBanner, type SynthKernelBuilder } from '../../core/synth/kernel';
import { openSynthImage } from '../../core/synth/scenarios';
import type { UserType } from '../../core/symbols/types';

const base = (name: string) => ({ kind: 'base' as const, name });
const ptr = { kind: 'pointer' as const, subtype: base('void') };
const struct = (name: string) => ({ kind: 'struct' as const, name });

const TYPES: Record<string, UserType> = {
  // LIST_ENTRY(proc): an anonymous struct in real ISFs
  proc_list_entry: { kind: 'struct', size: 16, fields: { le_next: { offset: 0, type: ptr }, le_prev: { offset: 8, type: ptr } } },
  proc: {
    kind: 'struct',
    size: 0x40,
    fields: {
      p_list: { offset: 0, type: struct('proc_list_entry') },
      p_pid: { offset: 0x10, type: base('int') },
      p_comm: { offset: 0x14, type: { kind: 'array', count: 17, subtype: base('char') } },
    },
  },
  queue_chain: { kind: 'struct', size: 16, fields: { next: { offset: 0, type: ptr }, prev: { offset: 8, type: ptr } } },
  task: {
    kind: 'struct',
    size: 0x40,
    fields: { t_id: { offset: 0, type: base('unsigned int') }, tasks: { offset: 0x18, type: struct('queue_chain') } },
  },
  vm_map_links: {
    kind: 'struct',
    size: 0x20,
    fields: {
      prev: { offset: 0, type: ptr },
      next: { offset: 8, type: ptr },
      start: { offset: 0x10, type: base('unsigned long long') },
      end: { offset: 0x18, type: base('unsigned long long') },
    },
  },
  vm_map_header: { kind: 'struct', size: 0x30, fields: { links: { offset: 0, type: struct('vm_map_links') }, nentries: { offset: 0x20, type: base('int') } } },
  _vm_map: { kind: 'struct', size: 0x60, fields: { lock: { offset: 0, type: { kind: 'array', count: 16, subtype: base('unsigned char') } }, hdr: { offset: 0x10, type: struct('vm_map_header') }, pmap: { offset: 0x40, type: ptr } } },
  vm_map_entry: { kind: 'struct', size: 0x50, fields: { links: { offset: 0, type: struct('vm_map_links') }, vme_offset: { offset: 0x20, type: base('unsigned long long') } } },
};

function kernel(arch: 'x86_64' | 'arm64' = 'x86_64'): SynthKernelBuilder {
  const k = createSynthKernel({ arch, banner: arch === 'x86_64' ? sampleBanner(18) : sampleBanner(22, 'T8112') });
  for (const [n, t] of Object.entries(TYPES)) k.addUserType(n, t);
  return k;
}

function contextOf(k: SynthKernelBuilder): KernelContext {
  const o = openSynthImage(k.finish());
  return new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
}

/** allproc with procs pids[0] (head) … pids[n−1]; le_prev correct; returns their addresses */
function procList(k: SynthKernelBuilder, pids: number[]): { head: bigint; procs: bigint[] } {
  const head = k.global('allproc', 8);
  const procs = pids.map(() => k.alloc(0x40, 16));
  pids.forEach((pid, i) => {
    const p = procs[i]!;
    k.writeU64(p, procs[i + 1] ?? 0n);
    k.writeU64(p + 8n, i === 0 ? head : procs[i - 1]!); // &prev->p_list.le_next (offset 0)
    k.writeU32(p + 0x10n, pid);
    k.write(p + 0x14n, Buffer.from(`proc${pid}\0`, 'latin1'));
  });
  k.writeU64(head, procs[0]!);
  return { head, procs };
}

const hex = (v: bigint) => '0x' + v.toString(16);

describe('BSD LIST walk', () => {
  it('reads every element in order and ends at NULL', () => {
    const k = kernel();
    const { head, procs } = procList(k, [412, 300, 1, 0]);
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list' });
    expect(head).toBe(ctx.global('allproc'));
    expect(r.problem).toBeNull();
    expect(r.notes).toEqual([]);
    expect(r.items.map((o) => o.address)).toEqual(procs);
    expect(r.items.map((o) => o.num('p_pid'))).toEqual([412, 300, 1, 0]);
    expect(r.items.map((o) => o.cstring('p_comm'))).toEqual(['proc412', 'proc300', 'proc1', 'proc0']);
  });

  it('a cycle ends the walk with the element reached twice', () => {
    const k = kernel();
    const { procs } = procList(k, [5, 4, 3, 2]);
    k.writeU64(procs[3]!, procs[1]!); // last → second
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list', backLinks: 'ignore' });
    expect(r.items.map((o) => o.num('p_pid'))).toEqual([5, 4, 3, 2]);
    expect(r.problem).toEqual({
      reason: 'cycle',
      at: procs[1],
      index: 4,
      message: `list proc.p_list from ${hex(ctx.global('allproc'))}: element ${hex(procs[1]!)} reached a second time after 4 element(s)`,
    });
  });

  it('a self-loop is a cycle at the element itself, back-links checked or not', () => {
    const k = kernel();
    const { procs } = procList(k, [5, 4]);
    k.writeU64(procs[1]!, procs[1]!);
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list' });
    expect(r.items.map((o) => o.num('p_pid'))).toEqual([5, 4]);
    expect(r.problem?.reason).toBe('cycle');
    expect(r.problem?.at).toBe(procs[1]);
    expect(r.problem?.index).toBe(2);
  });

  it('the bound stops a long list and says where it goes on', () => {
    const k = kernel();
    const { procs } = procList(k, [9, 8, 7, 6, 5]);
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list', max: 3 });
    expect(r.items.map((o) => o.num('p_pid'))).toEqual([9, 8, 7]);
    expect(r.problem?.reason).toBe('bound');
    expect(r.problem?.at).toBe(procs[3]);
    expect(r.problem?.message).toContain(`stopped after 3 element(s); the list goes on at ${hex(procs[3]!)}`);
  });

  it('a link into memory the image lacks is reported as unreadable at that address', () => {
    const k = kernel();
    const { procs } = procList(k, [9, 8, 7]);
    const hole = k.reserve(0x10000) + 0x2000n;
    k.writeU64(procs[1]!, hole);
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list' });
    expect(r.items.map((o) => o.num('p_pid'))).toEqual([9, 8]);
    expect(r.problem?.reason).toBe('unreadable');
    expect(r.problem?.at).toBe(hole);
    expect(r.problem?.index).toBe(2);
    expect(r.problem?.message).toContain(`proc at ${hex(hole)} is not readable (virtual address ${hex(hole)}`);
  });

  it('a smeared back-link stops the walk by default, or is noted and passed with backLinks "note"', () => {
    const k = kernel();
    const { procs } = procList(k, [9, 8, 7, 6]);
    k.writeU64(procs[2]! + 8n, procs[0]!); // should be procs[1] (its le_next is at offset 0)
    const ctx = contextOf(k);
    const head = ctx.global('allproc');
    const stopped = walkBsdList(ctx, { head, type: 'proc', link: 'p_list' });
    expect(stopped.items.map((o) => o.num('p_pid'))).toEqual([9, 8]);
    expect(stopped.problem).toEqual({
      reason: 'smeared',
      at: procs[2],
      index: 2,
      message: `list proc.p_list from ${hex(head)}: the element at ${hex(procs[2]!)} links back to ${hex(procs[0]!)}, not ${hex(procs[1]!)} (the list changed while the image was taken, or the element is stale)`,
    });
    const noted = walkBsdList(ctx, { head, type: 'proc', link: 'p_list', backLinks: 'note' });
    expect(noted.items.map((o) => o.num('p_pid'))).toEqual([9, 8, 7, 6]);
    expect(noted.problem).toBeNull();
    expect(noted.notes).toEqual([stopped.problem]);
  });

  it('a link that is no kernel pointer ends the walk as bad-pointer', () => {
    const k = kernel();
    const { procs } = procList(k, [9, 8]);
    k.writeU64(procs[0]!, 0x4141_4141_4141_4141n);
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list' });
    expect(r.items.map((o) => o.num('p_pid'))).toEqual([9]);
    expect(r.problem?.reason).toBe('bad-pointer');
    expect(r.problem?.at).toBe(0x4141_4141_4141_4141n);
    expect(r.problem?.message).toContain(`link 0x4141414141414141 in the element at ${hex(procs[0]!)} is not a kernel pointer`);
  });

  it('an unreadable head is a problem, not an exception', () => {
    const k = kernel();
    const hole = k.reserve(0x4000);
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: hole, type: 'proc', link: 'p_list' });
    expect(r.items).toEqual([]);
    expect(r.problem?.reason).toBe('unreadable');
    expect(r.problem?.at).toBe(hole);
  });

  it('arm64: PAC-signed links are stripped before they are followed', () => {
    const k = kernel('arm64');
    const { procs } = procList(k, [3, 2, 1]);
    const sign = (p: bigint) => (p & 0x0000_7fff_ffff_ffffn) | (0x2a5dn << 48n) | (1n << 55n);
    k.writeU64(procs[0]!, sign(procs[1]!));
    k.writeU64(procs[1]! + 8n, sign(procs[0]!));
    const ctx = contextOf(k);
    const r = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list' });
    expect(r.problem).toBeNull();
    expect(r.items.map((o) => o.address)).toEqual(procs);
  });
});

/** a queue_head_t global `tasks` and n tasks linked through `tasks` (offset 0x18) */
function taskQueue(k: SynthKernelBuilder, n: number, links: 'element' | 'field'): { head: bigint; tasks: bigint[] } {
  const head = k.global('tasks', 16);
  const tasks = Array.from({ length: n }, () => k.alloc(0x40, 16));
  const link = (t: bigint) => (links === 'element' ? t : t + 0x18n);
  tasks.forEach((t, i) => {
    k.writeU32(t, 100 + i);
    k.writeU64(t + 0x18n, i + 1 < n ? link(tasks[i + 1]!) : head);
    k.writeU64(t + 0x20n, i > 0 ? link(tasks[i - 1]!) : head);
  });
  k.writeU64(head, link(tasks[0]!));
  k.writeU64(head + 8n, link(tasks[n - 1]!));
  return { head, tasks };
}

describe('Mach queue walk', () => {
  for (const links of ['element', 'field'] as const) {
    it(`links to ${links === 'element' ? 'element bases' : 'chain fields'}: every element, back at the head`, () => {
      const k = kernel();
      const { head, tasks } = taskQueue(k, 4, links);
      const ctx = contextOf(k);
      const r = walkQueue(ctx, { head, type: 'task', chain: 'tasks', links });
      expect(r.problem).toBeNull();
      expect(r.items.map((o) => o.address)).toEqual(tasks);
      expect(r.items.map((o) => o.num('t_id'))).toEqual([100, 101, 102, 103]);
    });
  }

  it('an empty queue (head links to itself) has no elements', () => {
    const k = kernel();
    const head = k.global('tasks', 16);
    k.writeU64(head, head);
    k.writeU64(head + 8n, head);
    const ctx = contextOf(k);
    expect(walkQueue(ctx, { head, type: 'task', chain: 'tasks' })).toEqual({ items: [], problem: null, notes: [] });
  });

  it('NULL inside the circle is a broken link, named at the element holding it', () => {
    const k = kernel();
    const { head, tasks } = taskQueue(k, 3, 'element');
    k.writeU64(tasks[1]! + 0x18n, 0n);
    const ctx = contextOf(k);
    const r = walkQueue(ctx, { head, type: 'task', chain: 'tasks' });
    expect(r.items.map((o) => o.num('t_id'))).toEqual([100, 101]);
    expect(r.problem?.reason).toBe('bad-pointer');
    expect(r.problem?.at).toBe(tasks[1]);
    expect(r.problem?.message).toBe(`queue task.tasks at ${hex(head)}: the element at ${hex(tasks[1]!)} links to NULL inside a circular list`);
  });

  it('a queue that never returns to its head ends in a cycle report, not a hang', () => {
    const k = kernel();
    const { head, tasks } = taskQueue(k, 3, 'element');
    k.writeU64(tasks[2]! + 0x18n, tasks[0]!);
    const ctx = contextOf(k);
    const r = walkQueue(ctx, { head, type: 'task', chain: 'tasks', backLinks: 'ignore' });
    expect(r.items).toHaveLength(3);
    expect(r.problem?.reason).toBe('cycle');
    expect(r.problem?.at).toBe(tasks[0]);
  });
});

/** a _vm_map with entries [start, end) linked circularly through links (header = &map.hdr.links) */
function vmMap(k: SynthKernelBuilder, ranges: Array<[bigint, bigint]>, nentries = ranges.length): { map: bigint; header: bigint; entries: bigint[] } {
  const map = k.alloc(0x60, 16);
  const header = map + 0x10n;
  const entries = ranges.map(() => k.alloc(0x50, 16));
  const at = (i: number) => (i < 0 || i >= entries.length ? header : entries[i]!);
  entries.forEach((e, i) => {
    k.writeU64(e, at(i - 1));
    k.writeU64(e + 8n, at(i + 1));
    k.writeU64(e + 0x10n, ranges[i]![0]);
    k.writeU64(e + 0x18n, ranges[i]![1]);
  });
  k.writeU64(header, at(entries.length - 1));
  k.writeU64(header + 8n, at(0));
  k.writeU64(header + 0x10n, 0x1000n);
  k.writeU64(header + 0x18n, 0x7fff_ffff_f000n);
  k.writeU32(header + 0x20n, nentries);
  return { map, header, entries };
}

const RANGES: Array<[bigint, bigint]> = [
  [0x1_0000_0000n, 0x1_0000_4000n],
  [0x1_0001_0000n, 0x1_0002_0000n],
  [0x7ff8_0000_0000n, 0x7ff8_0010_0000n],
];

describe('vm_map entry walk', () => {
  it('every entry once, header address and nentries reported', () => {
    const k = kernel();
    const { map, header, entries } = vmMap(k, RANGES);
    const ctx = contextOf(k);
    const r = walkMapEntries(ctx, { map });
    expect(r.problem).toBeNull();
    expect(r.notes).toEqual([]);
    expect(r.header).toBe(header);
    expect(r.nentries).toBe(3);
    expect(r.items.map((o) => o.address)).toEqual(entries);
    expect(r.items.map((o) => [o.u64('links.start'), o.u64('links.end')])).toEqual(RANGES);
  });

  it('a list that does not close after nentries entries hits the bound', () => {
    const k = kernel();
    const { map, header, entries } = vmMap(k, RANGES, 2);
    const ctx = contextOf(k);
    const r = walkMapEntries(ctx, { map });
    expect(r.items.map((o) => o.address)).toEqual(entries.slice(0, 2));
    expect(r.problem?.reason).toBe('bound');
    expect(r.problem?.at).toBe(entries[2]);
    expect(r.problem?.message).toBe(`entries of _vm_map ${hex(map)}: hdr.nentries is 2 but the list does not return to the header ${hex(header)} after that many entries`);
  });

  it('a list that closes early is complete, with the count mismatch noted', () => {
    const k = kernel();
    const { map, header } = vmMap(k, RANGES, 5);
    const ctx = contextOf(k);
    const r = walkMapEntries(ctx, { map });
    expect(r.items).toHaveLength(3);
    expect(r.problem).toBeNull();
    expect(r.notes).toEqual([
      { reason: 'count', at: header, index: 3, message: `entries of _vm_map ${hex(map)}: the list closes after 3 entries, hdr.nentries says 5` },
    ]);
  });

  it('a smeared entry (prev not the entry before) and an entry in absent memory', () => {
    const k = kernel();
    const { map, entries } = vmMap(k, RANGES);
    k.writeU64(entries[1]!, entries[2]!);
    const hole = k.reserve(0x4000) + 0x40n;
    const second = vmMap(k, RANGES);
    k.writeU64(second.entries[0]! + 8n, hole);
    const ctx = contextOf(k);
    const a = walkMapEntries(ctx, { map });
    expect(a.items).toHaveLength(1);
    expect(a.problem?.reason).toBe('smeared');
    expect(a.problem?.at).toBe(entries[1]);
    const b = walkMapEntries(ctx, { map: second.map });
    expect(b.items.map((o) => o.address)).toEqual([second.entries[0]]);
    expect(b.problem?.reason).toBe('unreadable');
    expect(b.problem?.at).toBe(hole);
  });

  it('an unreadable map is a problem naming the map', () => {
    const k = kernel();
    const hole = k.reserve(0x4000);
    const ctx = contextOf(k);
    const r = walkMapEntries(ctx, { map: hole });
    expect(r.items).toEqual([]);
    expect(r.nentries).toBeNull();
    expect(r.problem?.reason).toBe('unreadable');
    expect(r.problem?.at).toBe(hole);
  });
});

describe('damaged lists never throw and never hang', () => {
  /** xorshift PRNG, deterministic */
  const prng = (seed: number) => () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };

  it('200 random corruptions of proc lists, task queues and map entry lists', () => {
    const k = kernel();
    const lists = Array.from({ length: 8 }, (_, i) => {
      const head = k.global(`allproc_${i}`, 8);
      const procs = Array.from({ length: 12 }, () => k.alloc(0x40, 16));
      procs.forEach((p, j) => {
        k.writeU64(p, procs[j + 1] ?? 0n);
        k.writeU64(p + 8n, j === 0 ? head : procs[j - 1]!);
      });
      k.writeU64(head, procs[0]!);
      return { head, procs };
    });
    const queues = Array.from({ length: 8 }, (_, i) => {
      const head = k.global(`tasks_${i}`, 16);
      const tasks = Array.from({ length: 10 }, () => k.alloc(0x40, 16));
      tasks.forEach((t, j) => {
        k.writeU64(t + 0x18n, tasks[j + 1] ?? head);
        k.writeU64(t + 0x20n, j === 0 ? head : tasks[j - 1]!);
      });
      k.writeU64(head, tasks[0]!);
      return { head, tasks };
    });
    const maps = Array.from({ length: 8 }, () => vmMap(k, Array.from({ length: 10 }, (_, j) => [BigInt(j) << 20n, (BigInt(j) << 20n) + 0x4000n] as [bigint, bigint])));
    const hole = k.reserve(0x4000);
    const rand = prng(12345);
    // every link word of every element, to be corrupted at random
    const words: bigint[] = [
      ...lists.flatMap((l) => l.procs.flatMap((p) => [p, p + 8n])),
      ...queues.flatMap((q) => q.tasks.flatMap((t) => [t + 0x18n, t + 0x20n])),
      ...maps.flatMap((m) => [m.header + 0x20n, ...m.entries.flatMap((e) => [e, e + 8n])]),
    ];
    const everything = [...lists.flatMap((l) => l.procs), ...queues.flatMap((q) => q.tasks), ...maps.flatMap((m) => m.entries)];
    const junk = () => {
      const r = rand();
      if (r < 0.2) return 0n;
      if (r < 0.5) return everything[Math.floor(rand() * everything.length)]!;
      if (r < 0.6) return hole + BigInt(Math.floor(rand() * 0x4000));
      if (r < 0.8) return everything[Math.floor(rand() * everything.length)]! + BigInt(Math.floor(rand() * 64) - 32);
      return BigInt(Math.floor(rand() * 2 ** 32)) * BigInt(Math.floor(rand() * 2 ** 32));
    };
    for (let n = 0; n < 200; n++) k.writeU64(words[Math.floor(rand() * words.length)]!, junk() & 0xffff_ffff_ffff_ffffn);
    const ctx = contextOf(k);
    const results = [
      ...lists.map((l) => walkBsdList(ctx, { head: l.head, type: 'proc', link: 'p_list', max: 64, backLinks: 'note' })),
      ...queues.map((q) => walkQueue(ctx, { head: q.head, type: 'task', chain: 'tasks', max: 64, backLinks: 'note' })),
      ...maps.map((m) => walkMapEntries(ctx, { map: m.map, max: 64, backLinks: 'note' })),
    ];
    let broken = 0;
    for (const r of results) {
      expect(r.items.length).toBeLessThanOrEqual(64);
      expect(new Set(r.items.map((o) => o.address)).size).toBe(r.items.length);
      if (r.problem) {
        broken++;
        expect(['cycle', 'unreadable', 'bound', 'smeared', 'bad-pointer', 'count']).toContain(r.problem.reason);
        expect(r.problem.message.length).toBeGreaterThan(10);
      }
    }
    expect(broken).toBeGreaterThan(5);
  });
});
