// The processes the scenario images hold (assembled into images by scenarios.ts): the standard world
// every scenario gets (notes/procsynth-truth.md describes it), the demo's, and the scale image's.
// Compressed pages are slots the compressor scenario already has (by name, or by position for the
// scale image); the slots no process takes get orphan pagers in procs.ts.
import { heapPage, pointerPage, rand, textPage, type CompressorTruth } from './compressor';
import type { SynthKernelBuilder } from './kernel';
import type { PageSpec, VmObjectSpec, WorldSpec } from './procs';

const VA = {
  text: 0x100000000n,
  shared: 0x200000000n,
  sharedOther: 0x280000000n,
  fork: 0x300000000n,
  jit: 0x400000000n,
  heap: 0x600000000000n,
  heapB: 0x600000100000n,
  stack: 0x7ff7b0000000n,
  sharedRegion: 0x7ff800000000n,
};
const R_X = 5;
const RW_ = 3;
const RWX = 7;

/** the standard world over a compressor truth: slot names it needs exist in every family scenario */
export function standardWorld(kernel: SynthKernelBuilder, ct: CompressorTruth): WorldSpec {
  const ps = kernel.pageSize;
  const arch = kernel.arch;
  const hasSv = ct.sv.length > 0;
  const has = (n: string) => ct.byName[n] !== undefined;
  let seed = 70000 + ct.slots.length;
  const text = (): PageSpec => ({ data: pointerPage(++seed, ps, arch).map((b, i) => (i < 64 ? 0xcf : b)) });
  const heap = (): PageSpec => ({ data: heapPage(++seed, ps) });
  const words = (): PageSpec => ({ data: textPage(++seed, ps) });
  const slot = (name: string): PageSpec => ({ slot: name });
  // the "many-k" slots of the big segment (which k are freed depends on the family)
  const many = Object.keys(ct.byName)
    .filter((n) => /^many-\d+$/.test(n))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const manySlot = (i: number): PageSpec => slot(many[i]!);
  const sv = (value: number, orSlot: string | null): PageSpec | undefined => (hasSv ? { sv: value } : orSlot ? slot(orSlot) : undefined);
  const obj = (id: string, pages: number, content: Record<number, PageSpec | undefined>, extra: Partial<VmObjectSpec> = {}): VmObjectSpec => {
    const c: Record<number, PageSpec> = {};
    for (const [k, v] of Object.entries(content)) if (v) c[Number(k)] = v;
    return { id, pages, content: c, ...extra };
  };
  const objects: VmObjectSpec[] = [
    obj('launchd-text', 4, { 0: text(), 1: text(), 2: text(), 3: text() }),
    obj('launchd-heap', 7, {
      0: heap(),
      1: slot('offset0-text'),
      2: sv(0xffffffff, 'wkdm-heap-2'),
      4: slot('swapped-text'),
      5: slot('wkdm-pointers'),
      6: has('single-deadbeef') ? slot('single-deadbeef') : undefined,
    }),
    obj('launchd-stack', 3, { 0: heap(), 2: slot('missing-page-0') }, { pagingOffsetPages: 1 }),
    obj('safari-text', 2, { 0: text(), 1: text() }),
    // 300 pages: 3 chunks of 128 slots, the middle one never allocated
    obj('safari-big', 300, {
      124: words(),
      125: slot('wkdm-heap'),
      126: sv(0, null),
      127: slot('raw-random'),
      256: slot('sparse-pointers'),
      257: heap(),
      258: slot('text-utf16'),
      ...(hasSv ? {} : { 259: slot('above-count-text') }),
    }),
    obj('shared', 3, { 0: words(), 1: slot('last-at-nextoffset'), 2: manySlot(0) }, { trueShare: true }),
    // fork: Safari keeps O with needs_copy; the child got the shadow S, which overrides O's pages 2 and 3
    obj('fork-O', 8, { 0: manySlot(1), 2: heap(), 3: manySlot(2), 4: manySlot(3), 5: words(), 6: slot('swapped-heap') }),
    obj('fork-S', 5, { 0: heap(), 1: manySlot(4) }, { shadow: { id: 'fork-O', offsetPages: 2 } }),
    obj('safari-stack', 2, { 0: slot('above-count-heap'), 1: heap() }),
    obj('webcontent-heap', 2, { 0: slot(has('mzv-sparse') ? 'mzv-sparse' : 'wkdm-zero-page'), 1: sv(0, null) }),
    // the dyld shared region: a submap every process maps, so its pages have one owner per process
    obj('dyld-text', 3, { 0: text(), 1: text(), 2: manySlot(5) }),
    obj('dyld-data', 3, { 0: manySlot(6), 1: sv(0x41414141, null) ?? manySlot(8), 2: manySlot(7) }),
  ];
  const PS = BigInt(ps);
  const sharedRegion = { start: VA.sharedRegion, pages: 7, object: null, submap: 'shared-region', prot: R_X, maxProt: RWX };
  return {
    objects,
    submaps: [
      {
        id: 'shared-region',
        entries: [
          // submap addresses: text at 0, data at 4 pages (page 3 is a hole)
          { start: 0n, pages: 3, object: 'dyld-text', prot: R_X, maxProt: R_X },
          { start: 4n * PS, pages: 3, object: 'dyld-data', prot: RW_, maxProt: RW_ },
        ],
      },
    ],
    procs: [
      {
        pid: 1,
        ppid: 0,
        comm: 'launchd',
        entries: [
          sharedRegion,
          { start: VA.text, pages: 4, object: 'launchd-text', prot: R_X, maxProt: R_X },
          { start: VA.heap, pages: 7, object: 'launchd-heap', prot: RW_, tag: 1 },
          { start: VA.stack, pages: 3, object: 'launchd-stack', prot: RW_, tag: 30 },
        ],
      },
      {
        pid: 212,
        ppid: 1,
        comm: 'Safari',
        entries: [
          sharedRegion,
          { start: VA.text, pages: 2, object: 'safari-text', prot: R_X, maxProt: R_X },
          { start: VA.shared, pages: 3, object: 'shared', prot: RW_, maxProt: RW_ },
          { start: VA.fork, pages: 5, object: 'fork-O', offsetPages: 2, prot: RW_, needsCopy: true },
          { start: VA.heap, pages: 8, object: 'safari-big', offsetPages: 124, prot: RW_, tag: 2 },
          { start: VA.heapB, pages: 4, object: 'safari-big', offsetPages: 256, prot: RW_, tag: 2 },
          { start: VA.stack, pages: 2, object: 'safari-stack', prot: RW_, tag: 30 },
        ],
      },
      {
        pid: 230,
        ppid: 1,
        comm: 'com.apple.WebKit.WebContent',
        entries: [
          sharedRegion,
          { start: VA.sharedOther, pages: 3, object: 'shared', prot: RW_, maxProt: RW_ },
          { start: VA.jit, pages: 2, object: null, prot: RWX, maxProt: RWX },
          { start: VA.heap, pages: 2, object: 'webcontent-heap', prot: RW_, tag: 1 },
        ],
      },
      {
        pid: 305,
        ppid: 212,
        comm: 'Safari',
        entries: [
          sharedRegion,
          { start: VA.text, pages: 2, object: 'safari-text', prot: R_X, maxProt: R_X, noPte: [1] },
          { start: VA.fork, pages: 5, object: 'fork-S', prot: RW_, noPte: [3] },
        ],
      },
    ],
    zombies: [{ pid: 260, ppid: 212, comm: 'com.apple.WebKit.Networking' }],
    // a crash-report corpse: a task on the tasks queue, its proc on no list
    strayTasks: [{ pid: 480, ppid: 1, comm: 'ReportCrash' }],
  };
}


/** the demo's processes: Safari holds every planted page in its heap; the other pages are spread around */
export function demoWorld(kernel: SynthKernelBuilder, ct: CompressorTruth, plantedNames: string[]): WorldSpec {
  const ps = kernel.pageSize;
  let seed = 31000;
  const data = (): PageSpec => ({ data: heapPage(++seed, ps) });
  const text = (): PageSpec => ({ data: pointerPage(++seed, ps, kernel.arch) });
  const names = ct.slots.filter((t) => t.kind !== 'corrupt' && t.kind !== 'encrypted?' && !plantedNames.includes(t.name)).map((t) => t.name);
  let next = 0;
  const take = (): PageSpec => ({ slot: names[next++]! });
  const content = (n: number, f: (i: number) => PageSpec | undefined): Record<number, PageSpec> => {
    const c: Record<number, PageSpec> = {};
    for (let i = 0; i < n; i++) {
      const v = f(i);
      if (v) c[i] = v;
    }
    return c;
  };
  // Safari's heap: 24 pages, the planted ones among compressed, resident, zero-value and absent pages
  const safariHeap = content(24, (i) => {
    if (i % 6 === 1) return { slot: plantedNames[(i - 1) / 6]! };
    if (i === 4) return data();
    if (i === 9) return { sv: 0 };
    if (i === 14) return undefined;
    return take();
  });
  const objects: VmObjectSpec[] = [
    { id: 'launchd-text', pages: 2, content: { 0: text(), 1: text() } },
    { id: 'launchd-heap', pages: 10, content: content(10, (i) => (i === 0 ? data() : i === 3 ? { sv: 0xffffffff } : i === 7 ? { slot: 'demo-swapped-0' } : take())) },
    { id: 'safari-text', pages: 3, content: { 0: text(), 1: text(), 2: text() } },
    { id: 'safari-heap', pages: 24, content: safariHeap },
    { id: 'shared', pages: 4, content: content(4, (i) => (i === 0 ? data() : take())), trueShare: true },
    { id: 'webcontent-heap', pages: 16, content: content(16, (i) => (i === 2 ? { slot: 'demo-swapped-1' } : i % 5 === 0 ? { sv: 0 } : take())) },
    { id: 'mds-heap', pages: 2, content: { 0: take(), 1: take() } },
  ];
  return {
    objects,
    procs: [
      {
        pid: 1,
        ppid: 0,
        comm: 'launchd',
        entries: [
          { start: VA.text, pages: 2, object: 'launchd-text', prot: R_X, maxProt: R_X },
          { start: VA.heap, pages: 10, object: 'launchd-heap', prot: RW_, tag: 1 },
        ],
      },
      {
        pid: 98,
        ppid: 1,
        comm: 'mds',
        entries: [{ start: VA.heap, pages: 2, object: 'mds-heap', prot: RW_, tag: 1 }],
      },
      {
        pid: 412,
        ppid: 1,
        comm: 'Safari',
        entries: [
          { start: VA.text, pages: 3, object: 'safari-text', prot: R_X, maxProt: R_X },
          { start: VA.shared, pages: 4, object: 'shared', prot: RW_, maxProt: RW_ },
          { start: VA.heap, pages: 24, object: 'safari-heap', prot: RW_, tag: 2 },
        ],
      },
      {
        pid: 415,
        ppid: 1,
        comm: 'com.apple.WebKit.WebContent',
        entries: [
          { start: VA.sharedOther, pages: 4, object: 'shared', prot: RW_, maxProt: RW_ },
          { start: VA.heap, pages: 16, object: 'webcontent-heap', prot: RW_, tag: 1 },
        ],
      },
    ],
  };
}

/**
 * Processes over the scale image's slots: `processes` × `regionsPerProcess` entries of varied sizes
 * (1 to ~250 pages, so objects above 128 pages use indirect slot storage), each its own object whose
 * pages are compressed slots in order, with some zero-value pages, one resident page in 40 objects,
 * and every 16th object mapped by a second process as well.
 */
export function scaleWorld(kernel: SynthKernelBuilder, live: Map<number, number[]>, svRefs: number, o: { processes?: number; regionsPerProcess?: number; owned?: number }, seed: number): WorldSpec {
  const ps = kernel.pageSize;
  const r = rand(seed * 7 + 3);
  const slots: Array<{ segment: number; slot: number }> = [];
  for (const seg of [...live.keys()].sort((a, b) => a - b)) for (const slot of live.get(seg)!) slots.push({ segment: seg, slot });
  const nproc = o.processes ?? 150;
  const nreg = o.regionsPerProcess ?? 40;
  const ownedTarget = Math.floor(slots.length * (o.owned ?? 0.9));
  const mean = Math.max(1, Math.round(ownedTarget / (nproc * nreg) / 0.95));
  let next = 0;
  let svLeft = Math.floor(svRefs / 2);
  let objNo = 0;
  const objects: VmObjectSpec[] = [];
  const procs: WorldSpec['procs'] = [];
  const shareLater: Array<{ id: string; pages: number }> = [];
  for (let p = 0; p < nproc; p++) {
    const entries: WorldSpec['procs'][number]['entries'] = [];
    for (let e = 0; e < nreg; e++) {
      const pages = Math.max(1, Math.round(mean * 2 * r()));
      const content: Record<number, PageSpec> = {};
      for (let i = 0; i < pages; i++) {
        const x = r();
        if (x < 0.03) continue; // absent
        if (x < 0.05 && svLeft > 0) {
          svLeft--;
          content[i] = { sv: 0 };
        } else if (next < ownedTarget) content[i] = { slotRef: slots[next++]! };
      }
      if (objNo % 40 === 0) content[0] = { data: heapPage(seed * 1000 + objNo, ps) };
      const id = `o${objNo++}`;
      objects.push({ id, pages, content });
      // regions 1 GiB apart in a process, so no two overlap whatever their size
      entries.push({ start: 0x100000000n + BigInt(e) * 0x40000000n, pages, object: id, prot: e % 5 === 0 ? R_X : RW_, tag: e % 5 === 0 ? 0 : 1 });
      if (objNo % 16 === 0) shareLater.push({ id, pages });
    }
    procs.push({ pid: 1000 + p, ppid: p === 0 ? 0 : 1000, comm: `proc-${p}`, entries });
  }
  // shared objects: also mapped high in the next process
  shareLater.forEach((sh, i) => {
    const pr = procs[(i * 7 + 1) % procs.length]!;
    pr.entries.push({ start: 0x500000000000n + BigInt(i) * 0x40000000n, pages: sh.pages, object: sh.id, prot: RW_ });
  });
  return { objects, procs };
}

