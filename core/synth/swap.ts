// Swap files as the kernel writes them (process-memory §6): each swapped-out segment's raw buffer,
// round_page(c_populated_offset × 4) bytes, encrypted and written at (segment slot in file × chunk
// size); the keys in the kernel's globals; a busy-swapping buffer encrypted in place in RAM.
//
// The ciphers here are built by hand from single AES blocks (aes-*-ecb), independently of the
// reader's createDecipheriv path: CBC chaining block by block, XTS with the tweak multiplied by α
// after every 16-byte block over the whole chunk (one data unit). A reader that gets the XTS data
// unit or the IV derivation wrong does not decode these files.
import { createCipheriv } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildCompressorDetailed,
  geometry,
  heapPage,
  pointerPage,
  rand,
  randomPage,
  sparsePage,
  textPage,
  utf16Page,
  type CompressorSpec,
  type CompressorTruth,
  type SegmentSpec,
} from './compressor';
import { createSynthKernel, type SynthKernelBuilder, type SynthKernelImage } from './kernel';
import { buildScaleImage, type ScaleImage, type ScenarioDef } from './scenarios';
import { buildProcesses, type WorldSpec } from './procs';
import type { ProcWorldTruth } from './proc-truth';

export type SwapEra = 'cbc' | 'xts';

export interface SwapKeyMaterial {
  era: SwapEra;
  /** cbc: swap_crypt_key (32 bytes, 16 used); xts: key1 ‖ key2 (64 bytes) */
  key: Uint8Array;
}

/** random key material the way the kernel fills it (deterministic per seed) */
export function makeKeys(era: SwapEra, seed: number): SwapKeyMaterial {
  const r = rand(seed);
  const key = new Uint8Array(era === 'cbc' ? 32 : 64);
  for (let i = 0; i < key.length; i++) key[i] = (r() * 256) | 0;
  return { era, key };
}

function ecb(bits: 128 | 256, key: Uint8Array): (block: Uint8Array) => Uint8Array {
  const c = createCipheriv(bits === 128 ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return (b) => new Uint8Array(c.update(b));
}

function addressBlock(segVa: bigint): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigUint64(0, segVa, true);
  return b;
}

/** AES-128-CBC as 10.9–10.13 do it: IV = E_K(address block ⊕ 0x0a00…), then plain CBC chaining */
export function encryptCbc(key16: Uint8Array, segVa: bigint, plain: Uint8Array): Uint8Array {
  const E = ecb(128, key16.subarray(0, 16));
  const ivIn = addressBlock(segVa);
  ivIn[0]! ^= 0x0a;
  let prev = E(ivIn);
  const out = new Uint8Array(plain.length);
  const x = new Uint8Array(16);
  for (let o = 0; o < plain.length; o += 16) {
    for (let i = 0; i < 16; i++) x[i] = plain[o + i]! ^ prev[i]!;
    prev = E(x);
    out.set(prev, o);
  }
  return out;
}

/** AES-XTS-256 as 10.14+ do it: T = E_K2(address block), C = E_K1(P ⊕ T) ⊕ T, T ← T·α per block */
export function encryptXts(key1: Uint8Array, key2: Uint8Array, segVa: bigint, plain: Uint8Array): Uint8Array {
  const t = ecb(256, key2)(addressBlock(segVa));
  const tweaks = new Uint8Array(plain.length);
  for (let o = 0; o < plain.length; o += 16) {
    tweaks.set(t, o);
    // multiply by α in GF(2^128), little-endian: shift left one bit, fold the carry with 0x87
    let carry = 0;
    for (let i = 0; i < 16; i++) {
      const b = t[i]!;
      t[i] = ((b << 1) | carry) & 0xff;
      carry = b >>> 7;
    }
    if (carry) t[0]! ^= 0x87;
  }
  const x = new Uint8Array(plain.length);
  for (let i = 0; i < plain.length; i++) x[i] = plain[i]! ^ tweaks[i]!;
  const y = ecb(256, key1)(x);
  for (let i = 0; i < y.length; i++) y[i]! ^= tweaks[i]!;
  return y;
}

export function encryptChunk(k: SwapKeyMaterial, segVa: bigint, plain: Uint8Array): Uint8Array {
  return k.era === 'cbc' ? encryptCbc(k.key.subarray(0, 16), segVa, plain) : encryptXts(k.key.subarray(0, 32), k.key.subarray(32, 64), segVa, plain);
}

/** the swap-crypto globals of one era, written into the kernel */
export function writeKeyGlobals(kernel: SynthKernelBuilder, k: SwapKeyMaterial, initialized = true): void {
  if (k.era === 'cbc') {
    kernel.write(kernel.global('swap_crypt_key', 32), k.key);
    kernel.writeU32(kernel.global('swap_crypt_ctx_initialized', 4, 4), initialized ? 1 : 0);
    kernel.global('swap_crypt_ctx', 496); // the expanded contexts: opaque, never read
  } else {
    kernel.write(kernel.global('swap_crypt_key1', 32), k.key.subarray(0, 32));
    kernel.write(kernel.global('swap_crypt_key2', 32), k.key.subarray(32, 64));
    kernel.writeU32(kernel.global('swap_crypt_initialized', 4, 4), initialized ? 1 : 0);
    kernel.global('xts_modectx', 1024);
  }
}

export interface SwapFileSpec {
  /** swp_index */
  index: number;
  /** the kernel's path (swp_path) */
  path: string;
}

/**
 * The bytes of every swap file the truth's swapped-out segments live in: each chunk encrypted with
 * `keys` and its c_segment's address, written at its handle offset; the rest of the file stale bytes.
 */
export function swapFileBytes(truth: CompressorTruth, keys: SwapKeyMaterial, files: SwapFileSpec[], chunkSize: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const f of files) {
    const segs = truth.segments.filter((s) => s.swap?.fileIndex === f.index);
    if (segs.length === 0) continue;
    const size = Math.max(...segs.map((s) => s.swap!.offset + chunkSize)) + chunkSize;
    const bytes = new Uint8Array(size);
    const r = rand(f.index * 7919);
    for (let i = 0; i < size; i += 4) new DataView(bytes.buffer).setUint32(i, (r() * 2 ** 32) >>> 0, true);
    for (const s of segs) bytes.set(encryptChunk(keys, s.va, s.plain!), s.swap!.offset);
    out.set(f.index, bytes);
  }
  return out;
}

// =============================================================================================
// The swap scenarios: one per cipher era

const X86 = 'RELEASE_X86_64';
const banner = (darwin: string, xnu: string, cfg = X86) => `Darwin Kernel Version ${darwin}: Tue Aug 20 16:57:14 PDT 2019; root:xnu-${xnu}/${cfg}`;

export const SWAP_SCENARIOS: Record<string, ScenarioDef & { era: SwapEra }> = {
  // 10.13: AES-128-CBC, encryption in place while on C_ON_SWAPOUT_Q with c_busy_swapping
  'swap-10.13': { name: 'swap-10.13', family: 'F4', arch: 'x86_64', xnu: [4570, 71], banner: banner('17.7.0', '4570.71.2~1'), era: 'cbc' },
  // 10.14: AES-XTS-256, C_ON_SWAPIO_Q
  'swap-10.14': { name: 'swap-10.14', family: 'F4', arch: 'x86_64', xnu: [4903, 271], banner: banner('18.7.0', '4903.271.2~2'), era: 'xts' },
  // macOS 14 on Apple silicon: XTS over 16 KiB pages with LZ4 slots
  'swap-14-arm64': { name: 'swap-14-arm64', family: 'F9', arch: 'arm64', xnu: [10063, 141], banner: banner('23.6.0', '10063.141.2~1', 'RELEASE_ARM64_T6000'), era: 'xts' },
};

export interface SwapScenario {
  def: ScenarioDef & { era: SwapEra };
  image: SynthKernelImage;
  truth: CompressorTruth;
  keys: SwapKeyMaterial;
  chunkSize: number;
  /** the kernel's swap files; index 3's file is never written (the missing one) */
  files: SwapFileSpec[];
  /** file bytes by swp_index, as the kernel wrote them */
  fileBytes: Map<number, Uint8Array>;
  /** the same files written by another boot (other keys): none of their segments may decode */
  otherBoot: Map<number, Uint8Array>;
  /** with `processes`: the processes mapping these slots (SWAP_PROC_PID's heap, see swapWorld) */
  procs?: ProcWorldTruth;
}

/** the process of a swap scenario built with `processes` */
export const SWAP_PROC_PID = 321;
/** where its heap starts: page i of the heap is SWAP_WORLD_PAGES[i] */
export const SWAP_PROC_HEAP = 0x600000000000n;
/** the heap's pages: a resident page, then slots by name (a resident segment, swapped segments, a buffer encrypted in RAM, the missing file) */
export const SWAP_WORLD_PAGES = ['(resident)', 'resident-text', 'swap-text', 'swap-heap', 'sparse-text', 'busy-text', 'missing-file-text', 'swap-single'] as const;

/** one process whose heap maps pages of every kind of segment the swap scenario has */
function swapWorld(ps: number): WorldSpec {
  const content: WorldSpec['objects'][number]['content'] = { 0: { data: heapPage(9001, ps) } };
  SWAP_WORLD_PAGES.forEach((n, i) => {
    if (i > 0) content[i] = { slot: n };
  });
  return {
    objects: [{ id: 'swapper-heap', pages: SWAP_WORLD_PAGES.length, content }],
    procs: [{ pid: SWAP_PROC_PID, ppid: 0, comm: 'swapper', entries: [{ start: SWAP_PROC_HEAP, pages: SWAP_WORLD_PAGES.length, object: 'swapper-heap', prot: 3, tag: 1 }] }],
  };
}

/**
 * Swapped-out segments (C_ON_SWAPPEDOUT_Q, a sparse one with freed slots, one of raw and single-value
 * slots only, which cannot be verified), busy-swapping buffers encrypted in RAM, resident control
 * segments, across three swap files (index 3's file is the missing one).
 */
export function buildSwapScenario(name: keyof typeof SWAP_SCENARIOS | string, opts: { keysInitialized?: boolean; processes?: boolean } = {}): SwapScenario {
  const def = SWAP_SCENARIOS[name];
  if (!def) throw new Error(`no swap scenario ${name} (have ${Object.keys(SWAP_SCENARIOS).join(', ')})`);
  const { arch } = def;
  const g = geometry(def.family, arch, def.xnu);
  const ps = g.pageSize;
  const kernel = createSynthKernel({ arch, banner: def.banner, seed: def.xnu[0] + 77 });
  const keys = makeKeys(def.era, def.xnu[0]);
  writeKeyGlobals(kernel, keys, opts.keysInitialized ?? true);
  let seed = 500;
  const next = () => ++seed;
  const root = arch === 'arm64' ? '/System/Volumes/VM' : '/private/var/vm';
  const files: SwapFileSpec[] = [1, 2, 3].map((index) => ({ index, path: `${root}/swapfile${index - 1}` }));
  const modern = def.xnu[0] >= 4903;
  const segments: SegmentSpec[] = [
    {
      index: 0,
      state: 3,
      slots: [
        { name: 'resident-text', page: textPage(next(), ps) },
        { name: 'resident-heap', page: heapPage(next(), ps) },
      ],
    },
    {
      index: 1,
      state: 5,
      swap: { fileIndex: 1, offset: 2 * g.bufSize },
      slots: [
        { name: 'swap-text', page: textPage(next(), ps) },
        { name: 'swap-heap', page: heapPage(next(), ps) },
        { name: 'swap-single', single: 0x5a5a0001 },
        { name: 'swap-raw', page: randomPage(next(), ps), force: 'raw' },
        { name: 'swap-utf16', page: utf16Page(next(), ps) },
        { name: 'swap-sparse', page: sparsePage(next(), ps, 5) },
        { name: 'swap-pointers', page: pointerPage(next(), ps, arch) },
        ...(arch === 'arm64' ? [{ name: 'swap-lz4', page: textPage(next(), ps), force: 'lz4' as const }] : []),
      ],
    },
    {
      index: 2,
      state: 6,
      swap: { fileIndex: 1, offset: 0 },
      slots: [
        { name: 'sparse-freed-0', freed: true },
        { name: 'sparse-heap', page: heapPage(next(), ps) },
        { name: 'sparse-freed-2', freed: true },
        { name: 'sparse-text', page: textPage(next(), ps) },
      ],
    },
    {
      // only raw and single-value slots: nothing to check a decryption against
      index: 3,
      state: 5,
      swap: { fileIndex: 1, offset: 5 * g.bufSize },
      slots: [
        { name: 'unverifiable-raw', page: randomPage(next(), ps), force: 'raw' },
        { name: 'unverifiable-single', single: 0x01020304 },
      ],
    },
    {
      // in a file that the tests cut short
      index: 4,
      state: 5,
      swap: { fileIndex: 2, offset: g.bufSize },
      slots: [
        { name: 'file2-text', page: textPage(next(), ps) },
        { name: 'file2-heap', page: heapPage(next(), ps) },
      ],
    },
    {
      // in the file never given
      index: 5,
      state: 5,
      swap: { fileIndex: 3, offset: 0 },
      slots: [{ name: 'missing-file-text', page: textPage(next(), ps) }],
    },
    {
      // being written out: encrypted in place in RAM
      index: 6,
      state: modern ? 10 : 4,
      busySwapping: true,
      slots: [
        { name: 'busy-text', page: textPage(next(), ps) },
        { name: 'busy-freed', freed: true },
        { name: 'busy-heap', page: heapPage(next(), ps) },
        { name: 'busy-single', single: 0x77 },
      ],
    },
    {
      index: 7,
      state: 3,
      slots: [{ name: 'resident-pointers', page: pointerPage(next(), ps, arch) }],
    },
  ];
  const spec: CompressorSpec = {
    family: def.family,
    xnu: def.xnu,
    segments,
    segmentsLimit: 16,
    swapFiles: files,
    sealBuffer: (plain, segVa) => encryptChunk(keys, segVa, plain),
  };
  const comp = buildCompressorDetailed(kernel, spec);
  const truth = comp.truth;
  const procs = opts.processes ? buildProcesses(kernel, def.xnu, comp, swapWorld(ps)).truth : undefined;
  const image = kernel.finish();
  const fileBytes = swapFileBytes(truth, keys, files.slice(0, 2), g.bufSize);
  const otherBoot = swapFileBytes(truth, makeKeys(def.era, def.xnu[0] + 1), files.slice(0, 2), g.bufSize);
  return { def, image, truth, keys, chunkSize: g.bufSize, files, fileBytes, otherBoot, ...(procs ? { procs } : {}) };
}

/** write the scenario's swap files (named as the kernel names them) into `dir` */
export async function writeSwapFiles(files: SwapFileSpec[], bytes: Map<number, Uint8Array>, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const b = bytes.get(f.index);
    if (!b) continue;
    const p = join(dir, f.path.slice(f.path.lastIndexOf('/') + 1));
    await writeFile(p, b);
    written.push(p);
  }
  return written;
}

/**
 * The benchmark's pair: the scale image's pages with every segment swapped out to one swap file
 * (macOS 13, XTS), and that file's bytes. Same pool, seed and layout as buildScaleImage's resident
 * image, so the two walks decode the same pages.
 */
export function buildSwapScaleImage(opts: { pages: number; seed?: number }): { scale: ScaleImage; swapFile: Uint8Array; kernelPath: string } {
  const keys = makeKeys('xts', 1013);
  const kernelPath = '/System/Volumes/VM/swapfile0';
  const chunk = 256 * 1024;
  const scale = buildScaleImage({
    pages: opts.pages,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    vary: {
      kernel: (k) => writeKeyGlobals(k, keys),
      segment: (sg) => {
        sg.state = 5;
        sg.swap = { fileIndex: 1, offset: sg.index * chunk };
      },
      spec: { swapFiles: [{ index: 1, path: kernelPath }] },
    },
  });
  const bytes = swapFileBytes(scale.truth, keys, [{ index: 1, path: kernelPath }], chunk).get(1)!;
  for (const sg of scale.truth.segments) delete sg.plain; // the chunks are in the file now
  return { scale, swapFile: bytes, kernelPath };
}
