// What a compressor tells before any page is decoded: each decodable slot's kind from its size, its
// codec bit and the first word of its stored bytes (xnu's own order of tests, as slot-decode.ts), and
// which slots lie on buffer pages the image lacks. A corrupt stream is only found by decoding it, so
// a kind counted here is the kind the slot claims to be.
import { classifyStream } from '../codecs/page';
import { MZV_MAGIC } from '../codecs/wkdm';
import { UnfoldError } from '../errors';
import { holeIn, holeRuns, readPresent, type Hole } from '../translate/present';
import type { VirtualSpace } from '../translate/types';
import type { PhysicalImage } from '../image/types';
import type { SlotMeta } from './slot-decode';
import type { SlotKind } from './types';
import { SLOT_KINDS } from './types';

const KIND_INDEX = new Map<SlotKind, number>(SLOT_KINDS.map((k, i) => [k, i]));

/** one segment's slots counted by kind (indexed like SLOT_KINDS) and the slots that could not be read */
export interface SegmentKinds {
  counts: number[];
  unreadable: number;
}

/** kinds of `slots` from a buffer as read (holes = absent pages); nothing is decoded */
export function kindsFromBuffer(bytes: Uint8Array, holes: readonly Hole[] | undefined, slots: readonly SlotMeta[], pageSize: number, dictPreset: 0 | 1): SegmentKinds {
  const counts = new Array<number>(SLOT_KINDS.length).fill(0);
  let unreadable = 0;
  const gaps = holes ?? [];
  for (const s of slots) {
    const end = s.offset + s.size;
    if (end > bytes.length || (gaps.length > 0 && holeIn(gaps, s.offset, end) !== null)) {
      unreadable++;
      counts[KIND_INDEX.get('corrupt')!]!++;
      continue;
    }
    let kind: SlotKind = classifyStream(bytes.subarray(s.offset, end), pageSize, dictPreset);
    if (s.codec === 1 && (kind === 'wkdm' || kind === 'mzv')) kind = 'lz4';
    counts[KIND_INDEX.get(kind)!]!++;
  }
  return { counts, unreadable };
}

/** add SegmentKinds counts into a kinds record */
export function addKinds(into: Partial<Record<SlotKind, number>>, counts: readonly number[]): void {
  counts.forEach((n, i) => {
    if (n > 0) into[SLOT_KINDS[i]!] = (into[SLOT_KINDS[i]!] ?? 0) + n;
  });
}

/**
 * Translate the pages of [va, va+length) one by one: `pagePhys[p]` is the physical address of the
 * first byte of the buffer in page p (the buffer's own first byte for p = 0), or -1 when the image
 * lacks it, and each absent page becomes a hole as readPresent would report it. No byte is read.
 */
function translatePages(space: VirtualSpace, image: PhysicalImage, va: bigint, length: number, pagePhys: Float64Array | null): Hole[] {
  const holes: Hole[] = [];
  const ps = space.pageSize;
  const first = Number(va % BigInt(ps));
  const count = Math.ceil((first + length) / ps);
  let bases: Float64Array | null = null;
  if (space.granuleBases && count > 0) {
    bases = pagePhys && pagePhys.length >= count ? pagePhys : new Float64Array(count);
    space.granuleBases(va, count, bases);
    if (pagePhys === null) {
      // only the holes are asked for: a buffer with every granule present (the usual case) has none
      let absent = false;
      for (let p = 0; p < count; p++) if (bases[p]! < 0) absent = true;
      if (!absent) return holes;
    }
  }
  let pos = 0;
  for (let p = 0; pos < length; p++) {
    const n = Math.min(length - pos, pos === 0 ? ps - first : ps);
    let phys: number;
    if (bases) phys = bases[p]! < 0 ? -1 : bases[p]! + (p === 0 ? first : 0);
    else phys = space.tryTranslate(va + BigInt(pos));
    let present = phys >= 0;
    if (!present) holes.push({ from: pos, to: pos + n, error: `virtual 0x${(va + BigInt(pos)).toString(16)} is not mapped` });
    // (a granule granuleBases gives lies in the image whole)
    else if (!bases && !image.isPresent(phys, n)) {
      present = false;
      holes.push({ from: pos, to: pos + n, error: `virtual 0x${(va + BigInt(pos)).toString(16)} maps to physical 0x${phys.toString(16)} which is not in the image` });
    }
    if (pagePhys) pagePhys[p] = present ? phys : -1;
    pos += n;
  }
  return holes;
}

/**
 * The pages of a buffer the image lacks, found by translation alone (no byte is read): the same
 * holes readPresent would report, one per absent page, for a command that needs to know what
 * could be read but not the bytes themselves.
 */
export function absentPages(space: VirtualSpace, image: PhysicalImage, va: bigint, length: number): Hole[] {
  return translatePages(space, image, va, length, null);
}

/**
 * The absent pages of a buffer: by translation alone (absentPages), except on a damaged container,
 * where pages translation calls present may not be readable and only reading them tells.
 */
export function bufferHoles(space: VirtualSpace, image: PhysicalImage, va: bigint, length: number): Hole[] {
  if (image.notes.some((n) => TRUNCATED_NOTE.test(n))) return readPresent(space, va, length).holes;
  return absentPages(space, image, va, length);
}

/**
 * One problem line per run of a resident buffer's absent pages, in the words the walk's buffer read
 * uses for the same pages; `touching(from, to)` counts the slots that overlap buffer bytes [from, to).
 */
export function absentPageProblems(bufferVa: bigint, holes: readonly Hole[], touching: (from: number, to: number) => number): string[] {
  const out: string[] = [];
  for (const run of holeRuns(holes)) {
    const more = run.pages > 1 ? `, nor the ${run.pages - 1} page(s) after it` : '';
    out.push(
      `buffer page 0x${(bufferVa + BigInt(run.from)).toString(16)} (offset 0x${run.from.toString(16)}) is not present in the image${more}: ${touching(run.from, run.to)} slot(s) touching ${run.pages > 1 ? 'them' : 'it'} are unreadable`,
    );
  }
  return out;
}

/** one resident segment as the kinds pass needs it */
export interface KindsSegment {
  bufferVa: bigint;
  readLength: number;
  slots: readonly SlotMeta[];
}

/** a segment's kinds, unreadable slots and absent buffer pages */
export interface FirstWordKinds extends SegmentKinds {
  holes: Hole[];
}

const K_WKDM = KIND_INDEX.get('wkdm')!;
const K_MZV = KIND_INDEX.get('mzv')!;
const K_LZ4 = KIND_INDEX.get('lz4')!;
const K_RAW = KIND_INDEX.get('raw')!;
const K_SINGLE = KIND_INDEX.get('single')!;
const K_CORRUPT = KIND_INDEX.get('corrupt')!;

/** the kind classifyStream (plus the codec bit) gives a slot without its bytes, or -1 when its first word decides */
function kindWithoutBytes(size: number, codec: number, pageSize: number, dictPreset: 0 | 1): number {
  if (size === pageSize) return K_RAW;
  if (size === 4 && dictPreset === 0) return K_SINGLE;
  // whatever the first word says (MZV or WKdm), the codec bit makes it LZ4
  if (codec === 1) return K_LZ4;
  if (dictPreset !== 0 || size < 4) return K_WKDM;
  return -1;
}

/**
 * Image notes that say the container describes bytes its files cannot give (a truncated file,
 * missing AFF4 members, …): translation calls such pages present, only reading them finds out.
 */
const TRUNCATED_NOTE = /truncat|cut short|missing|cannot be read|not present/i;

/** read `length` bytes at `phys` into buf; false when the image cannot give them (a damaged container) */
function readOrFail(image: PhysicalImage, phys: number, buf: Uint8Array, length: number): boolean {
  try {
    image.readInto(phys, buf, 0, length);
    return true;
  } catch (e) {
    if (e instanceof UnfoldError) return false;
    throw e;
  }
}

/** words are read in windows of this many bytes of physical memory */
const READ_WINDOW = 8 * 1024 * 1024;
/**
 * A window is read whole when it holds a word per this many bytes or more, else word by word: one
 * read call costs about what copying 5–8 KiB from the page cache costs.
 */
const DENSE_BYTES = 8 * 1024;

/**
 * Kinds of every slot of many segments, as kindsFromBuffer gives them from whole buffers, reading
 * only what decides them: each buffer page is translated (absent pages become holes, and the slots
 * touching them are unreadable), and only slots whose kind hangs on their first word (MZV or WKdm)
 * have that word read. The words are read in physical order, a whole window of the image at once
 * where they are dense (a few large reads instead of one per buffer page, the cost that dominated
 * reading every buffer) and one by one where they are sparse. `tick` is awaited now and then (a
 * cancel or a progress message gets through); `reads` changes the window and density (tests). On
 * a container whose notes say it is damaged, and for a segment one of whose words cannot be read,
 * the whole buffer is read instead (kindsFromBuffer), so the counts stay the walk's.
 */
export async function kindsFromFirstWords(
  space: VirtualSpace,
  image: PhysicalImage,
  segs: readonly KindsSegment[],
  pageSize: number,
  dictPreset: 0 | 1,
  tick: (done: number, total: number) => Promise<void> = async () => {},
  reads: { window?: number; dense?: number } = {},
): Promise<FirstWordKinds[]> {
  const WINDOW = reads.window ?? READ_WINDOW;
  const DENSE = reads.dense ?? DENSE_BYTES;
  // a damaged container has pages translation calls present that cannot be read: there only
  // reading the buffers finds them, as the walk does
  const exactAll = image.notes.some((n) => TRUNCATED_NOTE.test(n));
  const exact = (i: number): FirstWordKinds => {
    const s = segs[i]!;
    const r = readPresent(space, s.bufferVa, s.readLength);
    return { ...kindsFromBuffer(r.bytes, r.holes, s.slots, pageSize, dictPreset), holes: r.holes };
  };
  if (exactAll) {
    const all: FirstWordKinds[] = [];
    for (let i = 0; i < segs.length; i++) {
      if ((i & 63) === 0) await tick(i, segs.length);
      all.push(exact(i));
    }
    await tick(segs.length, segs.length);
    return all;
  }
  const out: FirstWordKinds[] = [];
  let cap = 0;
  for (const s of segs) cap += s.slots.length;
  const wordPhys = new Float64Array(cap);
  const wordSeg = new Int32Array(cap);
  let nw = 0;
  const ps = space.pageSize;
  let pagePhys = new Float64Array(64);
  const total = segs.length + 1;
  for (let i = 0; i < segs.length; i++) {
    if ((i & 255) === 0) await tick(i, total);
    const s = segs[i]!;
    const counts = new Array<number>(SLOT_KINDS.length).fill(0);
    let unreadable = 0;
    const first = Number(s.bufferVa % BigInt(ps));
    const npages = Math.ceil((first + s.readLength) / ps);
    if (pagePhys.length < npages) pagePhys = new Float64Array(npages);
    const holes = translatePages(space, image, s.bufferVa, s.readLength, pagePhys);
    for (const m of s.slots) {
      const end = m.offset + m.size;
      if (end > s.readLength || (holes.length > 0 && holeIn(holes, m.offset, end) !== null)) {
        unreadable++;
        counts[K_CORRUPT]!++;
        continue;
      }
      const k = kindWithoutBytes(m.size, m.codec, pageSize, dictPreset);
      if (k >= 0) {
        counts[k]!++;
        continue;
      }
      // slot offsets are 4-byte aligned: the first word never crosses a page
      const p = Math.floor((first + m.offset) / ps);
      const from = p === 0 ? 0 : p * ps - first;
      wordPhys[nw] = pagePhys[p]! + (m.offset - from);
      wordSeg[nw] = i;
      nw++;
    }
    out.push({ counts, unreadable, holes });
  }

  // counting sort of the words by physical window, then one read per dense window
  let maxPhys = 0;
  for (let w = 0; w < nw; w++) if (wordPhys[w]! > maxPhys) maxPhys = wordPhys[w]!;
  const windows = Math.floor(maxPhys / WINDOW) + 1;
  const start = new Uint32Array(windows + 1);
  for (let w = 0; w < nw; w++) start[Math.floor(wordPhys[w]! / WINDOW) + 1]!++;
  for (let b = 0; b < windows; b++) start[b + 1]! += start[b]!;
  const fill = start.slice(0, windows);
  const sortedPhys = new Float64Array(nw);
  const sortedSeg = new Int32Array(nw);
  for (let w = 0; w < nw; w++) {
    const at = fill[Math.floor(wordPhys[w]! / WINDOW)]!++;
    sortedPhys[at] = wordPhys[w]!;
    sortedSeg[at] = wordSeg[w]!;
  }
  const buf = new Uint8Array(WINDOW + 4);
  const failed = new Set<number>();
  const lo0 = MZV_MAGIC & 255;
  const lo1 = MZV_MAGIC >>> 8;
  for (let b = 0; b < windows; b++) {
    if ((b & 255) === 0) await tick(segs.length, total);
    const a = start[b]!;
    const z = start[b + 1]!;
    if (a === z) continue;
    let min = Infinity;
    let max = 0;
    for (let w = a; w < z; w++) {
      const p = sortedPhys[w]!;
      if (p < min) min = p;
      if (p > max) max = p;
    }
    const span = max + 4 - min;
    let whole = span <= (z - a) * DENSE && image.isPresent(min, span);
    if (whole) whole = readOrFail(image, min, buf, span);
    for (let w = a; w < z; w++) {
      let o = sortedPhys[w]! - min;
      if (!whole) {
        if (!readOrFail(image, sortedPhys[w]!, buf, 4)) {
          failed.add(sortedSeg[w]!);
          continue;
        }
        o = 0;
      }
      const mzv = buf[o] === lo0 && buf[o + 1] === lo1 && buf[o + 2] === 0 && buf[o + 3] === 0;
      out[sortedSeg[w]!]!.counts[mzv ? K_MZV : K_WKDM]!++;
    }
  }
  // a word that could not be read after all: its segment is counted from its whole buffer instead
  for (const i of failed) out[i] = exact(i);
  await tick(total, total);
  return out;
}
