// Named synthetic compressors for every layout family F1–F9 (x86_64, 4 KiB pages) and, for 11+,
// arm64 (16 KiB pages, LZ4 slots, the arm64 c_slot bits). Each holds every case the walk must get
// right, by name: slot at offset 0, slot ending exactly at c_nextoffset, freed slots in the middle,
// raw, single value, MZV, WKdm (text, pointers, heap), LZ4, corrupt streams, swapped-out segments
// (states 5 and 6), busy-swapping (encrypted?), C_ON_SWAPIO_Q, C_ON_BAD_Q, free table entries with
// stale pointers, a segment above c_segment_count, a C_IS_FREE entry, sv table entries, and a buffer
// page missing from the image. Also the demo image the app opens, and a large image for benchmarks.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lz4EncodeBlock } from '../codecs';
import { cSlotVariant } from '../darwin/pointers';
import type { Family } from '../darwin/types';
import { parseBanner, type DarwinVersion } from '../darwin/version';
import { fromIsfObject } from '../symbols/isf';
import type { SymbolTable } from '../symbols/types';
import { createSpace } from '../translate';
import type { VirtualSpace } from '../translate/types';
import {
  buildCompressor,
  buildCompressorDetailed,
  corruptBytes,
  geometry,
  heapPage,
  pointerPage,
  rand,
  randomPage,
  sparsePage,
  storePage,
  textPage,
  utf16Page,
  type CompressorSpec,
  type CompressorTruth,
  type EntrySpec,
  type SegmentSpec,
  type SlotSpec,
} from './compressor';
import { isfToJson } from './isf';
import { createSynthKernel, memoryImage, type SynthKernelBuilder, type SynthKernelImage } from './kernel';
import type { ProcWorldTruth } from './proc-truth';
import { buildProcesses } from './procs';
import { demoWorld, scaleWorld, standardWorld } from './proc-worlds';
import type { SparseMemory } from './types';

export interface ScenarioDef {
  name: string;
  family: Family;
  arch: 'x86_64' | 'arm64';
  banner: string;
  xnu: [number, number];
}

const X86 = 'RELEASE_X86_64';
const ARM = 'RELEASE_ARM64_T8101';
const banner = (darwin: string, date: string, xnu: string, cfg: string) =>
  `Darwin Kernel Version ${darwin}: ${date}; root:xnu-${xnu}/${cfg}`;

const DEFS: ScenarioDef[] = [
  { name: 'F1-x86_64', family: 'F1', arch: 'x86_64', xnu: [2782, 50], banner: banner('14.5.0', 'Sun Sep 25 22:07:15 PDT 2016', '2782.50.9~1', X86) },
  { name: 'F2-x86_64', family: 'F2', arch: 'x86_64', xnu: [3248, 60], banner: banner('15.6.0', 'Mon Aug 29 20:21:34 PDT 2016', '3248.60.11~1', X86) },
  { name: 'F3-x86_64', family: 'F3', arch: 'x86_64', xnu: [3789, 70], banner: banner('16.7.0', 'Thu Jun 15 17:36:27 PDT 2017', '3789.70.16~2', X86) },
  { name: 'F4-x86_64', family: 'F4', arch: 'x86_64', xnu: [4903, 271], banner: banner('18.7.0', 'Tue Aug 20 16:57:14 PDT 2019', '4903.271.2~2', X86) },
  { name: 'F5-x86_64', family: 'F5', arch: 'x86_64', xnu: [6153, 141], banner: banner('19.6.0', 'Thu Jun 18 20:49:00 PDT 2020', '6153.141.1~1', X86) },
  { name: 'F6-x86_64', family: 'F6', arch: 'x86_64', xnu: [7195, 81], banner: banner('20.3.0', 'Thu Jan 21 00:07:06 PST 2021', '7195.81.3~1', X86) },
  { name: 'F7-x86_64', family: 'F7', arch: 'x86_64', xnu: [7195, 141], banner: banner('20.6.0', 'Wed Jun 23 00:26:31 PDT 2021', '7195.141.2~5', X86) },
  { name: 'F8-x86_64', family: 'F8', arch: 'x86_64', xnu: [8019, 80], banner: banner('21.3.0', 'Wed Jan  5 21:37:58 PST 2022', '8019.80.24~20', X86) },
  { name: 'F9-x86_64', family: 'F9', arch: 'x86_64', xnu: [8796, 141], banner: banner('22.6.0', 'Wed Jul  5 22:22:05 PDT 2023', '8796.141.3~6', X86) },
  { name: 'F6-arm64', family: 'F6', arch: 'arm64', xnu: [7195, 81], banner: banner('20.3.0', 'Thu Jan 21 00:06:51 PST 2021', '7195.81.3~1', ARM) },
  { name: 'F7-arm64', family: 'F7', arch: 'arm64', xnu: [8019, 61], banner: banner('21.2.0', 'Sun Nov 28 20:29:10 PST 2021', '8019.61.5~1', 'RELEASE_ARM64_T6000') },
  { name: 'F8-arm64', family: 'F8', arch: 'arm64', xnu: [8020, 101], banner: banner('21.4.0', 'Fri Mar 18 00:46:32 PDT 2022', '8020.101.4~15', ARM) },
  { name: 'F9-arm64', family: 'F9', arch: 'arm64', xnu: [10063, 141], banner: banner('23.6.0', 'Mon Jul 29 21:14:46 PDT 2024', '10063.141.2~1', 'RELEASE_ARM64_T6000') },
];

export const SCENARIO_NAMES: readonly string[] = DEFS.map((d) => d.name);

/**
 * Kernels that only the process walk needs beyond the family scenarios (kept out of SCENARIO_NAMES so
 * the compressor suites do not grow): 10.9 (pager C1), 10.13 (vm_page G2 with the memory_object
 * pager header), 12.4 (map entry E3), 12.6 arm64 (E4, packed object), 13.2 arm64 (task after proc with
 * E4), 14.6 x86_64 (vo_copy, p_list union), 15.4 arm64 (E5, linear vm_pages array).
 */
const PROC_DEFS: ScenarioDef[] = [
  { name: 'P-10.9-x86_64', family: 'F1', arch: 'x86_64', xnu: [2422, 115], banner: banner('13.4.0', 'Mon Jan 11 18:17:34 PST 2016', '2422.115.15~1', X86) },
  { name: 'P-10.13-x86_64', family: 'F4', arch: 'x86_64', xnu: [4570, 71], banner: banner('17.7.0', 'Thu Jun 21 22:53:14 PDT 2018', '4570.71.2~1', X86) },
  { name: 'P-12.4-x86_64', family: 'F9', arch: 'x86_64', xnu: [8020, 121], banner: banner('21.5.0', 'Tue Apr 26 21:08:22 PDT 2022', '8020.121.3~4', X86) },
  { name: 'P-12.6-arm64', family: 'F9', arch: 'arm64', xnu: [8020, 140], banner: banner('21.6.0', 'Mon Aug 22 20:19:52 PDT 2022', '8020.140.49~2', 'RELEASE_ARM64_T6000') },
  { name: 'P-13.2-arm64', family: 'F9', arch: 'arm64', xnu: [8792, 81], banner: banner('22.3.0', 'Mon Jan 30 20:39:46 PST 2023', '8792.81.3~2', 'RELEASE_ARM64_T6020') },
  { name: 'P-14.6-x86_64', family: 'F9', arch: 'x86_64', xnu: [10063, 141], banner: banner('23.6.0', 'Mon Jul 29 21:13:00 PDT 2024', '10063.141.2~1', X86) },
  { name: 'P-15.4-arm64', family: 'F9', arch: 'arm64', xnu: [11417, 101], banner: banner('24.4.0', 'Fri Apr 11 18:32:50 PDT 2025', '11417.101.15~117', 'RELEASE_ARM64_T6041') },
];

/** every scenario whose image holds processes: the family scenarios and the process-only ones */
export const PROC_SCENARIO_NAMES: readonly string[] = [...DEFS, ...PROC_DEFS].map((d) => d.name);

export function scenarioDef(name: string): ScenarioDef {
  const d = DEFS.find((x) => x.name === name) ?? PROC_DEFS.find((x) => x.name === name);
  if (!d) throw new Error(`no compressor scenario ${name} (have ${PROC_SCENARIO_NAMES.join(', ')})`);
  return d;
}

export interface ScenarioOptions {
  /** write the compressor's types into the ISF (default true); false exercises the built-in layouts */
  isfTypes?: boolean;
  bitfieldForm?: 'byte' | 'word';
  /** compressor types left out of the ISF (see CompressorSpec.isfOmit) */
  isfOmit?: string[];
  /** make one segment's c_slots_used (10.13+) or c_bytes_used disagree by one, and c_segment_pages_compressed by one */
  inconsistent?: boolean;
  /** build the processes (default true); false leaves the compressor alone with dummy back-pointers */
  procs?: boolean;
}

export interface OpenedImage {
  space: VirtualSpace;
  symbols: SymbolTable;
  version: DarwinVersion;
  slide: bigint;
}

export interface BuiltScenario {
  def: ScenarioDef;
  image: SynthKernelImage;
  truth: CompressorTruth;
  /** the processes and the owners of every slot (absent with `procs: false`) */
  procs?: ProcWorldTruth;
  open(): OpenedImage;
}

/** a virtual space and symbol table over a finished synthetic kernel (no container in between) */
export function openSynthImage(image: SynthKernelImage): OpenedImage {
  const phys = memoryImage(image.memory);
  const space = createSpace(image.arch, phys, image.dtb);
  const symbols = fromIsfObject(image.isf, 'synthetic ISF');
  const version = parseBanner(image.banner);
  if (!version) throw new Error(`synth: unparsable banner ${image.banner}`);
  return { space, symbols, version, slide: image.slide };
}

// =============================================================================================
// The cases

/** a page WKdm cannot compress but LZ4 can: a 256-byte random block repeated */
function repeatingPage(seed: number, size: number): Uint8Array {
  const block = randomPage(seed, 256);
  const out = new Uint8Array(size);
  for (let o = 0; o < size; o += 256) out.set(block, o);
  return out;
}

/** pack resident cases into segments of at most `room` bytes, in order */
function pack(cases: SlotSpec[], room: number, sizeOf: (c: SlotSpec) => number): SlotSpec[][] {
  const out: SlotSpec[][] = [[]];
  let used = 0;
  for (const c of cases) {
    const n = (sizeOf(c) + 3) & ~3;
    if (used + n > room && out[out.length - 1]!.length > 0) {
      out.push([]);
      used = 0;
    }
    out[out.length - 1]!.push(c);
    used += n;
  }
  return out;
}

export function scenarioSpec(def: ScenarioDef, opts: ScenarioOptions = {}): CompressorSpec {
  const { family, arch } = def;
  const g = geometry(family, arch, def.xnu);
  const ps = g.pageSize;
  const rank = g.rank;
  const f1 = rank === 1;
  const arm = arch === 'arm64';
  const seed0 = rank * 1000 + (arm ? 500 : 0);
  let seed = seed0;
  const next = () => ++seed;

  // ---- resident cases (packed into several segments when the segment size demands it)
  const mixed: SlotSpec[] = [
    { name: 'offset0-text', page: textPage(next(), ps) },
    { name: 'wkdm-pointers', page: pointerPage(next(), ps, arch), expect: 'wkdm' },
    { name: 'freed-a', freed: true },
    { name: 'raw-random', page: randomPage(next(), ps), expect: 'raw' },
    ...(f1
      ? [{ name: 'wkdm-zero-page', page: new Uint8Array(ps), expect: 'wkdm' } as SlotSpec]
      : [
          { name: 'single-deadbeef', single: 0xdeadbeef } as SlotSpec,
          { name: 'mzv-sparse', page: sparsePage(next(), ps, 6), expect: 'mzv' } as SlotSpec,
        ]),
    { name: 'freed-b', freed: true },
    { name: 'wkdm-heap', page: heapPage(next(), ps), expect: 'wkdm' },
    { name: 'text-utf16', page: utf16Page(next(), ps) },
    { name: 'corrupt-wkdm-header', corrupt: 'wkdm-header', seed: next() },
    ...(f1 ? [] : [{ name: 'corrupt-mzv-offset', corrupt: 'mzv-offset', seed: next() } as SlotSpec]),
    ...(arm
      ? [
          { name: 'lz4-repeating', page: repeatingPage(next(), ps), expect: 'lz4' } as SlotSpec,
          { name: 'lz4-forced-text', page: textPage(next(), ps), force: 'lz4' } as SlotSpec,
          { name: 'corrupt-lz4-offset', corrupt: 'lz4-offset', seed: next() } as SlotSpec,
        ]
      : []),
    { name: 'wkdm-heap-2', page: heapPage(next(), ps), expect: 'wkdm' },
    { name: 'last-at-nextoffset', page: pointerPage(next(), ps, arch), expect: 'wkdm' },
  ];
  const sizeOf = (c: SlotSpec): number => {
    if ('freed' in c) return 0;
    if ('single' in c) return 4;
    if ('corrupt' in c) return corruptBytes(c.corrupt, ps, c.seed ?? 0, g.modern).bytes.length;
    if (c.force === 'raw') return ps;
    if (c.force === 'lz4') {
      const d = new Uint8Array(ps);
      return lz4EncodeBlock(c.page, d);
    }
    return storePage(c.page, { pageSize: ps, modern: g.modern, arch }).bytes.length;
  };
  const groups = pack(mixed, g.bufSize - 512, sizeOf);

  const segments: SegmentSpec[] = [];
  const entries: EntrySpec[] = [];
  let index = 0;
  const take = () => index++;
  // entry 0 is a free link (the kernel hands out low indices first, so holes are normal)
  entries.push({ index: take(), kind: 'free' });
  const residentStates = f1 ? [] : [3, 2, 7, 8, 4];
  groups.forEach((slots, i) => {
    const s: SegmentSpec = { index: take(), slots };
    if (f1) {
      s.f1Flags = ['c_on_age_q'];
      s.f1StateName = 'C_ON_AGE_Q';
    } else s.state = residentStates[i % residentStates.length]!;
    if (i === 0 && opts.inconsistent) {
      if (rank >= 4) s.slotsUsedDelta = 1;
      else s.bytesUsedDelta = 4;
    }
    if (i === 1) s.busy = true;
    segments.push(s);
  });
  if (!f1 && !segments.some((s) => s.state === 2)) {
    // every decodable state appears at least once
    for (const st of [2, 7, 8]) {
      segments.push({ index: take(), state: st, slots: [{ name: `state-${st}-heap`, page: heapPage(next(), ps) }] });
    }
  }

  // a free link (F1/F2: with a stale 0xffffff80 upper half) between live segments
  entries.push({ index: take(), kind: rank <= 2 ? 'stale' : 'free' });

  // ---- many slots: crosses the fixed array into the variable one (F1: into c_slots[1], [2])
  const many = f1 ? 150 : g.fixed + 20;
  const manySlots: SlotSpec[] = [];
  for (let k = 0; k < many; k++) {
    if (k === 5 || k === g.fixed || k === many - 3) manySlots.push({ name: `many-freed-${k}`, freed: true });
    else manySlots.push({ name: `many-${k}`, page: sparsePage(next(), ps, 3 + (k % 4)) });
  }
  segments.push({ index: take(), ...(f1 ? { f1Flags: ['c_on_age_q'], f1StateName: 'C_ON_AGE_Q' } : { state: 3 }), slots: manySlots });

  // ---- swapped out (5) and swapped out sparse (6)
  const swappedIdx = take();
  segments.push({
    index: swappedIdx,
    ...(f1 ? { f1Flags: ['c_ondisk', 'c_on_swappedout_q'], f1StateName: 'C_ON_SWAPPEDOUT_Q' } : { state: 5 }),
    swap: { fileIndex: 1, offset: 3 * g.bufSize },
    slots: [
      { name: 'swapped-text', page: textPage(next(), ps) },
      { name: 'swapped-freed', freed: true },
      { name: 'swapped-heap', page: heapPage(next(), ps) },
    ],
  });
  entries.push({ index: take(), kind: rank <= 2 ? 'stale' : 'free' });
  segments.push({
    index: take(),
    ...(f1 ? { f1Flags: ['c_ondisk', 'c_on_swappedout_sparse_q'], f1StateName: 'C_ON_SWAPPEDOUTSPARSE_Q' } : { state: 6 }),
    swap: { fileIndex: 2, offset: 7 * g.bufSize },
    slots: [
      { name: 'sparse-freed', freed: true },
      { name: 'sparse-pointers', page: pointerPage(next(), ps, arch) },
    ],
  });

  // ---- being swapped out: possibly encrypted in place
  segments.push({
    index: take(),
    ...(f1 ? { f1Flags: ['c_on_swapout_q'], f1StateName: 'C_ON_SWAPOUT_Q' } : { state: 4 }),
    busySwapping: true,
    slots: [
      { name: 'busy-swapping-text', page: textPage(next(), ps) },
      { name: 'busy-swapping-heap', page: heapPage(next(), ps) },
    ],
  });
  if (rank >= 4) {
    segments.push({ index: take(), state: 10, busySwapping: true, slots: [{ name: 'swapio-heap', page: heapPage(next(), ps) }] });
  }
  if (!f1) {
    segments.push({
      index: take(),
      state: 9,
      noBuffer: true,
      slots: [
        { name: 'bad-q-text', page: textPage(next(), ps) },
        { name: 'bad-q-freed', freed: true },
        { name: 'bad-q-pointers', page: pointerPage(next(), ps, arch) },
      ],
    });
    entries.push({ index: take(), kind: 'is-free' });
  } else {
    // 10.9–10.10: major-compacted segments sit on the swapped-out queue while still resident
    segments.push({
      index: take(),
      f1Flags: ['c_on_swappedout_q'],
      f1StateName: 'C_ON_SWAPPEDOUT_Q',
      slots: [
        { name: 'compacted-resident-heap', page: heapPage(next(), ps), expect: 'wkdm' },
        { name: 'compacted-resident-text', page: textPage(next(), ps) },
      ],
    });
  }
  entries.push({ index: take(), kind: 'wrong-segno' });

  // ---- a buffer page missing from the image: slots from that page on are corrupt, those before decode
  {
    const slots: SlotSpec[] = [];
    let used = 0;
    let k = 0;
    while (used < Math.min(3 * ps, g.bufSize / 2)) {
      const page = k % 2 ? heapPage(next(), ps) : pointerPage(next(), ps, arch);
      used += (storePage(page, { pageSize: ps, modern: g.modern, arch }).bytes.length + 3) & ~3;
      slots.push({ name: `missing-page-${k}`, page });
      k++;
    }
    segments.push({
      index: take(),
      ...(f1 ? { f1Flags: ['c_on_age_q'], f1StateName: 'C_ON_AGE_Q' } : { state: 3 }),
      missingPages: [1],
      slots,
    });
  }
  entries.push({ index: take(), kind: 'free' });
  // ---- the last live segment sits above c_segment_count
  segments.push({
    index: take(),
    ...(f1 ? { f1Flags: ['c_on_age_q'], f1StateName: 'C_ON_AGE_Q' } : { state: 3 }),
    slots: [
      { name: 'above-count-heap', page: heapPage(next(), ps), expect: 'wkdm' },
      { name: 'above-count-text', page: textPage(next(), ps) },
    ],
  });

  // M1-family (H13) kernels of xnu 7195–8792 use the 12-byte popcount c_slot, as Apple silicon F6–F8 Macs do
  const soc = parseBanner(def.banner)?.soc ?? null;
  const popcount = cSlotVariant(arch, def.xnu, soc) === 'arm64-popcount';
  return {
    family,
    xnu: def.xnu,
    ...(popcount ? { slotVariant: 'arm64-popcount' as const } : {}),
    isfTypes: opts.isfTypes ?? true,
    bitfieldForm: opts.bitfieldForm ?? 'byte',
    ...(opts.isfOmit ? { isfOmit: opts.isfOmit } : {}),
    segmentsLimit: 64,
    segments,
    entries,
    segmentCount: segments.length,
    sv: f1
      ? []
      : [
          { value: 0, refs: 37 },
          { value: 0xffffffff, refs: 3 },
          { value: 0x400, refs: 2 }, // hashes to index 0 like the zero value: probes to index 1
          { value: 0x41414141, refs: 1 },
        ],
    pagesCompressedDelta: opts.inconsistent ? 1 : 0,
    swapFiles: [
      { index: 1, path: swapPath(rank, 0) },
      { index: 2, path: swapPath(rank, 1) },
    ],
  };
}

function swapPath(rank: number, n: number): string {
  if (rank >= 6) return `/System/Volumes/VM/swapfile${n}`;
  if (rank >= 4) return `/private/var/vm/swapfile${n}`;
  return `/var/vm/swapfile${n}`;
}

/** build a named scenario into a fresh synthetic kernel */
export function buildScenario(name: string, opts: ScenarioOptions = {}): BuiltScenario {
  const def = scenarioDef(name);
  const kernel = createSynthKernel({ arch: def.arch, banner: def.banner, seed: def.xnu[0] });
  const comp = buildCompressorDetailed(kernel, scenarioSpec(def, opts));
  const procs = opts.procs === false ? undefined : buildProcesses(kernel, def.xnu, comp, standardWorld(kernel, comp.truth), { omitTypes: opts.isfOmit ?? [] }).truth;
  const image = kernel.finish();
  return { def, image, truth: comp.truth, ...(procs ? { procs } : {}), open: () => openSynthImage(image) };
}

// =============================================================================================
// Demo image: a few hundred pages with planted strings the app's demo case searches for

export const DEMO_SECRET = 'UNFOLD-DEMO-SECRET';

export interface DemoImage extends BuiltScenario {
  /** where the secret was planted, and which process maps that page where (all in Safari, pid 212) */
  planted: Array<{
    segment: number;
    slot: number;
    pageOffset: number;
    encoding: 'ascii' | 'utf16le';
    text: string;
    owners: Array<{ pid: number; name: string; va: bigint }>;
  }>;
}

export function buildDemoImage(): DemoImage {
  const def: ScenarioDef = {
    name: 'demo',
    family: 'F9',
    arch: 'x86_64',
    xnu: [10063, 141],
    banner: banner('23.6.0', 'Mon Jul 29 21:13:00 PDT 2024', '10063.141.2~1', X86),
  };
  const ps = 4096;
  const kernel = createSynthKernel({ arch: def.arch, banner: def.banner, seed: 2024 });
  const plantAt = new Map<string, { encoding: 'ascii' | 'utf16le'; pageOffset: number; text: string }>();
  const segments: SegmentSpec[] = [];
  let seed = 9000;
  const r = rand(77);
  const kinds = ['text', 'heap', 'pointers', 'utf16', 'sparse'] as const;
  for (let sgi = 0; sgi < 6; sgi++) {
    const slots: SlotSpec[] = [];
    for (let k = 0; k < 50; k++) {
      const name = `demo-${sgi}-${k}`;
      if (k === 7) {
        slots.push({ name, freed: true });
        continue;
      }
      const kind = kinds[Math.floor(r() * kinds.length)]!;
      let page =
        kind === 'text'
          ? textPage(++seed, ps)
          : kind === 'heap'
            ? heapPage(++seed, ps)
            : kind === 'pointers'
              ? pointerPage(++seed, ps)
              : kind === 'utf16'
                ? utf16Page(++seed, ps)
                : sparsePage(++seed, ps, 5);
      if ((sgi === 1 && k === 3) || (sgi === 4 && k === 20)) {
        const text = `password=${DEMO_SECRET}-${sgi}${k}`;
        page = textPage(++seed, ps);
        const at = 1000 + k * 8;
        page.set(new TextEncoder().encode(text), at);
        plantAt.set(name, { encoding: 'ascii', pageOffset: at, text });
      }
      if ((sgi === 2 && k === 11) || (sgi === 5 && k === 49)) {
        const text = `${DEMO_SECRET}-wide-${sgi}${k}`;
        page = utf16Page(++seed, ps);
        const at = 2048 + k * 4;
        for (let i = 0; i < text.length; i++) {
          page[at + 2 * i] = text.charCodeAt(i);
          page[at + 2 * i + 1] = 0;
        }
        plantAt.set(name, { encoding: 'utf16le', pageOffset: at, text });
      }
      slots.push({ name, page });
    }
    segments.push({ index: sgi + 1, state: sgi === 5 ? 2 : 3, slots });
  }
  segments.push({
    index: 7,
    state: 5,
    swap: { fileIndex: 1, offset: 0x40000 },
    slots: [
      { name: 'demo-swapped-0', page: textPage(++seed, ps) },
      { name: 'demo-swapped-1', page: heapPage(++seed, ps) },
    ],
  });
  const spec: CompressorSpec = {
    family: 'F9',
    xnu: def.xnu,
    segments,
    entries: [{ index: 0, kind: 'free' }],
    sv: [
      { value: 0, refs: 120 },
      { value: 0xffffffff, refs: 4 },
    ],
    swapFiles: [{ index: 1, path: '/System/Volumes/VM/swapfile0' }],
  };
  const comp = buildCompressorDetailed(kernel, spec);
  const truth = comp.truth;
  const procs = buildProcesses(kernel, def.xnu, comp, demoWorld(kernel, truth, [...plantAt.keys()])).truth;
  const image = kernel.finish();
  const nameOf = new Map(procs.processes.map((p) => [p.pid, p.name]));
  const planted = [...plantAt.entries()].map(([name, p]) => {
    const t = truth.byName[name]!;
    const owners = procs.slots.find((x) => x.segment === t.segment && x.slot === t.slot)!.owners;
    return { segment: t.segment, slot: t.slot, ...p, owners: owners.map((o) => ({ pid: o.pid, name: nameOf.get(o.pid)!, va: o.va })) };
  });
  return { def, image, truth, procs, planted, open: () => openSynthImage(image) };
}

// =============================================================================================
// Scale image for the walk benchmark

export interface ScaleImage {
  image: SynthKernelImage;
  pages: number;
  segments: number;
  /** Σ compressed bytes of the slots */
  compressedBytes: number;
  /** segment truth only (prebuilt slots carry no per-slot truth) */
  truth: CompressorTruth;
  /** with `procs`: the processes (per-process and per-region page counts only, no per-page truth) */
  procs?: ProcWorldTruth;
  open(): OpenedImage;
}

export interface ScaleProcsOptions {
  /** user processes (default 150) */
  processes?: number;
  /** map entries per process (default 40) */
  regionsPerProcess?: number;
  /** share of the compressed pages some process maps (default 0.9); the rest get orphan pagers */
  owned?: number;
}

/**
 * An image with `pages` compressed pages (F9, x86_64 4 KiB unless told): a pool of distinct pages is
 * compressed once, and every slot reuses a pool stream with one full-pattern word (WKdm) or one
 * record value (MZV) or one byte (raw) replaced by a per-page counter, so no two pages hash alike.
 * Segment metadata is written directly into the kernel; buffers are written one segment at a time.
 */
export function buildScaleImage(opts: {
  pages: number;
  arch?: 'x86_64' | 'arm64';
  seed?: number;
  poolSize?: number;
  /** the same pages swapped out instead (core/synth/swap.ts): per-segment changes, and what to add to the kernel */
  vary?: { kernel?: (k: SynthKernelBuilder) => void; segment?: (s: SegmentSpec) => void; spec?: Partial<CompressorSpec> };
  /** processes over the slots (the attribution benchmark) */
  procs?: ScaleProcsOptions;
}): ScaleImage {
  const arch = opts.arch ?? 'x86_64';
  const def = arch === 'arm64' ? scenarioDef('F9-arm64') : scenarioDef('F9-x86_64');
  const g = geometry(def.family, arch, def.xnu);
  const ps = g.pageSize;
  const poolSize = opts.poolSize ?? 256;
  // the pool: realistic page mix, compressed once
  type PoolEntry = { bytes: Uint8Array; kind: 'wkdm' | 'mzv' | 'raw' | 'lz4'; patch: number };
  const pool: PoolEntry[] = [];
  const s0 = opts.seed ?? 1;
  for (let i = 0; pool.length < poolSize; i++) {
    const sel = i % 10;
    const page =
      sel < 3
        ? heapPage(s0 * 100000 + i, ps)
        : sel < 5
          ? pointerPage(s0 * 100000 + i, ps, arch)
          : sel < 7
            ? textPage(s0 * 100000 + i, ps)
            : sel < 8
              ? utf16Page(s0 * 100000 + i, ps)
              : sel < 9
                ? sparsePage(s0 * 100000 + i, ps, 40)
                : randomPage(s0 * 100000 + i, ps);
    const st = storePage(page, { pageSize: ps, modern: true, arch });
    if (st.kind === 'single') continue;
    // the byte offset whose 4 bytes carry the per-page counter
    let patch: number;
    if (st.kind === 'wkdm') {
      const w0 = new DataView(st.bytes.buffer).getUint32(0, true);
      const firstFull = 3 + ps / 64;
      if (w0 <= firstFull) continue; // no full pattern to vary
      patch = firstFull * 4;
    } else if (st.kind === 'mzv') patch = 4;
    else if (st.kind === 'raw') patch = 64;
    else continue; // LZ4 blocks have no fixed place to vary safely
    pool.push({ bytes: st.bytes, kind: st.kind, patch });
  }
  const room = g.bufSize - 512;
  const maxSlots = 1024;
  // which pool entry each page uses, and how pages fall into segments
  const r = rand(s0);
  const choice = new Uint32Array(opts.pages);
  const segStart: number[] = [0];
  let used = 0;
  let inSeg = 0;
  let compressedBytes = 0;
  for (let p = 0; p < opts.pages; p++) {
    const e = Math.floor(r() * pool.length);
    const n = (pool[e]!.bytes.length + 3) & ~3;
    if (used + n > room || inSeg >= maxSlots) {
      segStart.push(p);
      used = 0;
      inSeg = 0;
    }
    choice[p] = e;
    used += n;
    inSeg++;
    compressedBytes += pool[e]!.bytes.length;
  }
  segStart.push(opts.pages);
  const nseg = segStart.length - 1;
  const physSize = Math.ceil((compressedBytes * 1.1 + nseg * 3 * ps + 96 * 1024 * 1024) / (1 << 21)) * (1 << 21);
  const kernel = createSynthKernel({ arch, banner: def.banner, seed: 5, physSize });
  opts.vary?.kernel?.(kernel);
  const segments: SegmentSpec[] = [];
  for (let i = 0; i < nseg; i++) {
    const first = segStart[i]!;
    const last = segStart[i + 1]!;
    segments.push({
      index: i,
      state: 3,
      slots: [],
      prebuilt: () => {
        let size = 0;
        for (let p = first; p < last; p++) size += (pool[choice[p]!]!.bytes.length + 3) & ~3;
        const bytes = new Uint8Array(size);
        const slots: Array<{ offset: number; size: number; codec: 0 | 1 }> = [];
        let off = 0;
        for (let p = first; p < last; p++) {
          const e = pool[choice[p]!]!;
          bytes.set(e.bytes, off);
          // the per-page variation: a counter in a word the decoder copies into the page
          const v = (0x5a000000 | p) >>> 0;
          bytes[off + e.patch] = v & 255;
          bytes[off + e.patch + 1] = (v >>> 8) & 255;
          bytes[off + e.patch + 2] = (v >>> 16) & 255;
          bytes[off + e.patch + 3] = v >>> 24;
          slots.push({ offset: off, size: e.bytes.length, codec: 0 });
          off += (e.bytes.length + 3) & ~3;
        }
        return { bytes, slots };
      },
    });
    opts.vary?.segment?.(segments[i]!);
  }
  const comp = buildCompressorDetailed(kernel, {
    family: def.family,
    xnu: def.xnu,
    segmentsLimit: nseg + 2,
    segments,
    entries: [],
    sv: [{ value: 0, refs: Math.floor(opts.pages / 20) }],
    ...opts.vary?.spec,
  });
  const procs = opts.procs ? buildProcesses(kernel, def.xnu, comp, scaleWorld(kernel, comp.liveSlots, Math.floor(opts.pages / 20), opts.procs, s0), { light: true }).truth : undefined;
  const image = kernel.finish();
  return { image, pages: opts.pages, segments: nseg, compressedBytes, truth: comp.truth, ...(procs ? { procs } : {}), open: () => openSynthImage(image) };
}

/**
 * Save a synthetic image as files a case can open: `<dir>/<base>.raw` (padded raw memory) and
 * `<dir>/<base>.isf.json` (its ISF, addresses exact).
 */
export async function saveSynthImage(image: SynthKernelImage, dir: string, base: string): Promise<{ imagePath: string; isfPath: string }> {
  const imagePath = join(dir, `${base}.raw`);
  const isfPath = join(dir, `${base}.isf.json`);
  await writeRawImage(image.memory, imagePath);
  await writeFile(isfPath, isfToJson(image.isf));
  return { imagePath, isfPath };
}

/** write a SparseMemory as a raw (padded) image file: holes become zeros */
export async function writeRawImage(memory: SparseMemory, path: string): Promise<void> {
  const out = createWriteStream(path, { flags: 'w' });
  let pos = 0;
  const zeros = new Uint8Array(1 << 20);
  const write = async (b: Uint8Array) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  for (const c of memory.chunks) {
    while (pos < c.start) {
      const n = Math.min(zeros.length, c.start - pos);
      await write(zeros.subarray(0, n));
      pos += n;
    }
    await write(c.data);
    pos += c.data.length;
  }
  out.end();
  await once(out, 'finish');
}

