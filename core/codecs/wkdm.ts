// WKdm as xnu stores it (x86_64 WKdm*_new.s, arm64 WKdm*_4k.s / _16k.s), 4 KiB and 16 KiB pages,
// including the MZV ("mostly zero value") sub-format of 10.11+.
//
// Stream layout (little-endian 32-bit words, offsets in words from the stream start):
//   header: w0 = end of full patterns, w1 = end of dictionary indices, w2 = end of low bits
//   tags: 2 bits per page word (pageWords / 16 words), then full patterns, packed 4-bit
//   dictionary indices, packed 10-bit low bits.
// See docs/codecs.md §1–§2 for the facts this file relies on.
//
// Split of work: this file checks everything about a stream (header words, area sizes against the
// tag counts) and handles MZV, single-value detection, budgets and early abort; the per-word loops
// run as asm.js kernels (wkdm-kernels.ts) on a private heap, into which only the stream's declared
// bytes are copied. A validated stream therefore needs no check inside the hot loop, and nothing
// the kernels do can reach outside their heap.

import { CodecError } from '../errors';
import { createWkdmKernels, LAYOUT } from './wkdm-kernels';

export type WkdmPageSize = 4096 | 16384;

export interface WkdmDecompressOptions {
  pageSize: WkdmPageSize;
  /** Initial value of the 16 dictionary entries: 1 for 10.9–10.10 (xnu-2422/2782), 0 from 10.11. */
  dictPreset: 0 | 1;
  /** Accept MZV streams (word0 == 0x4321). Defaults to dictPreset === 0 (MZV exists only from 10.11). */
  allowMzv?: boolean;
}

export interface WkdmCompressOptions {
  pageSize: WkdmPageSize;
  /** 'xnu-2422': 10.9–10.10 code. 'xnu-3247': 10.11+ code (unchanged through xnu-11417). */
  variant: 'xnu-2422' | 'xnu-3247';
  /** Byte budget (Apple's 4th argument). Defaults to pageSize - 4, what vm_compressor.c passes. */
  budget?: number;
}

export const MZV_MAGIC = 0x4321;

// Apple's _hashLookupTable_new, as dictionary indices (Apple stores 4 * index): maps bits 10..17
// of a word to one of the 16 dictionary entries.
const HASH_HEX =
  '0d2e437519c6ba8f23751f496cb8dea32c4df7e8569ab12af85b19d64ec3742a97831bd56cfeac28791b5ef6d4331c52' +
  'd4f69b7ea8956fabd481c27e378ad945c21f6eb329674f5e8ac31bdba3e296f7c1854df369214ecbad85783976ea4db1' +
  '5f2ccd358b971a62ef4982a1d6b537ce4f1dfc54eb62a3879683154f972dacbe';
const HASH = new Uint8Array(256);
for (let i = 0; i < 256; i++) HASH[i] = parseInt(HASH_HEX[i]!, 16);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// The kernels' heap (layout in wkdm-kernels.ts) and views on it. One per isolate: JS runs one call at
// a time here, and nothing in the heap outlives a call.
const HEAP = new ArrayBuffer(LAYOUT.HEAP_BYTES);
const H8 = new Uint8Array(HEAP);
const H32 = new Int32Array(HEAP);
for (let i = 0; i < 256; i++) H8[LAYOUT.HASH + i] = 4 * HASH[i]!;
const K = createWkdmKernels(HEAP);
const OUT_PAGE_4K = new Uint8Array(HEAP, LAYOUT.OUT, 4096);
const OUT_PAGE_16K = new Uint8Array(HEAP, LAYOUT.OUT, 16384);
const R_MISS = LAYOUT.RESULTS >> 2;
const R_PARTIAL = R_MISS + 1;
const R_HITS = R_MISS + 2;
const S_FP = R_MISS + 4; // scan state, byte addresses: next full pattern, next index, next low value
const S_NQ = R_MISS + 5;
const S_NL = R_MISS + 6;
const IN_WORD = LAYOUT.IN >> 2;

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('the WKdm codec needs a little-endian host');
}

const u32le = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

function pageWordsOf(pageSize: number): number {
  if (pageSize !== 4096 && pageSize !== 16384) throw new RangeError(`WKdm page size must be 4096 or 16384, not ${pageSize}`);
  return pageSize >>> 2;
}

function decodeMzv(src: Uint8Array, dst: Uint8Array, pageSize: number): void {
  const n = src.length;
  if ((n - 4) % 6 !== 0) {
    const at = 4 + Math.floor((n - 4) / 6) * 6;
    throw new CodecError('mzv', 'mzv record', at, `MZV stream length ${n} leaves a partial ${n - at}-byte record (records are 6 bytes)`);
  }
  // Validate every record before touching dst, so a bad stream leaves dst as it was.
  for (let o = 4; o < n; o += 6) {
    const off = src[o + 4]! | (src[o + 5]! << 8);
    if (off >= pageSize) {
      throw new CodecError('mzv', 'mzv record', o + 4, `MZV record ${(o - 4) / 6} has page offset ${off}, outside the ${pageSize}-byte page`);
    }
    if (off + 4 > pageSize) {
      throw new CodecError('mzv', 'mzv record', o + 4, `MZV record ${(o - 4) / 6} has page offset ${off}: its 4-byte value would end past the ${pageSize}-byte page`);
    }
    if ((off & 3) !== 0) {
      throw new CodecError('mzv', 'mzv record', o + 4, `MZV record ${(o - 4) / 6} has page offset 0x${off.toString(16)}, not a multiple of 4`);
    }
  }
  dst.fill(0, 0, pageSize);
  for (let o = 4; o < n; o += 6) {
    const off = src[o + 4]! | (src[o + 5]! << 8);
    dst[off] = src[o]!;
    dst[off + 1] = src[o + 1]!;
    dst[off + 2] = src[o + 2]!;
    dst[off + 3] = src[o + 3]!;
  }
}

/**
 * Decodes one WKdm (or, when allowed, MZV) stream into exactly one page.
 * `src` must be the exact stream (MZV needs its exact length); `dst` must be exactly pageSize bytes.
 * Throws CodecError on any inconsistency; never reads past `src` nor writes past `dst`.
 */
export function wkdmDecompress(src: Uint8Array, dst: Uint8Array, opts: WkdmDecompressOptions): void {
  const pageSize = opts.pageSize;
  const pageWords = pageWordsOf(pageSize);
  if (dst.length !== pageSize) throw new RangeError(`WKdm output must be exactly ${pageSize} bytes, got ${dst.length}`);
  requireLittleEndian();
  const allowMzv = opts.allowMzv ?? opts.dictPreset === 0;
  const n = src.length;

  if (allowMzv && n >= 4 && u32le(src, 0) === MZV_MAGIC) {
    decodeMzv(src, dst, pageSize);
    return;
  }
  if (n < 12) throw new CodecError('wkdm', 'header', n, n === 0 ? 'empty stream' : `stream is ${n} bytes, shorter than the 12-byte header`);

  const tagsEnd = 3 + (pageWords >>> 4); // first full pattern, in words
  if (n < tagsEnd * 4) {
    throw new CodecError('wkdm', 'tags area', n, `stream is ${n} bytes, shorter than the ${tagsEnd * 4}-byte header + tags area`);
  }
  const w0 = u32le(src, 0);
  const w1 = u32le(src, 4);
  const w2 = u32le(src, 8);
  if (w0 < tagsEnd) {
    throw new CodecError('wkdm', 'header word 0', 0, `header word 0 = ${w0} points inside the header/tags area (full patterns start at word ${tagsEnd})`);
  }
  if (w0 * 4 > n) {
    throw new CodecError('wkdm', 'header word 0', 0, `header word 0 = ${w0} words (${w0 * 4} bytes) is past the stream end (${n} bytes; truncated stream or damaged header)`);
  }
  if (w1 < w0) throw new CodecError('wkdm', 'header word 1', 4, `header word 1 = ${w1} is below header word 0 = ${w0}: area boundaries decrease`);
  if (w2 < w1) throw new CodecError('wkdm', 'header word 2', 8, `header word 2 = ${w2} is below header word 1 = ${w1}: area boundaries decrease`);
  if (w1 * 4 > n) {
    throw new CodecError('wkdm', 'header word 1', 4, `header word 1 = ${w1} words (${w1 * 4} bytes) is past the stream end (${n} bytes; truncated stream or damaged header)`);
  }
  if (w2 * 4 > n) {
    throw new CodecError('wkdm', 'header word 2', 8, `header word 2 = ${w2} words (${w2 * 4} bytes) is past the stream end (${n} bytes; truncated stream or damaged header)`);
  }
  const fullWords = w0 - tagsEnd;
  const qposWords = w1 - w0;
  const lowWords = w2 - w1;
  if (fullWords > pageWords) {
    throw new CodecError('wkdm', 'header word 0', 0, `full-pattern area of ${fullWords} words is larger than a ${pageWords}-word page`);
  }
  if (qposWords > pageWords / 8) {
    throw new CodecError('wkdm', 'header word 1', 4, `dictionary-index area of ${qposWords} words holds more indices than a ${pageWords}-word page`);
  }
  if (lowWords > Math.ceil(pageWords / 3)) {
    throw new CodecError('wkdm', 'header word 2', 8, `low-bits area of ${lowWords} words holds more values than a ${pageWords}-word page`);
  }

  // Only the bytes the header declares enter the kernels' heap. The decode kernel reports how many
  // full patterns, low values and indices the tags made it consume; the page is published only if
  // those fit the areas the header declares.
  H8.set(n === w2 * 4 ? src : src.subarray(0, w2 * 4), LAYOUT.IN);
  K.decode(tagsEnd, w0, w1, qposWords, lowWords, opts.dictPreset);
  const misses = H32[R_MISS]!;
  const partials = H32[R_PARTIAL]!;
  const hits = H32[R_HITS]!;
  if (misses > fullWords) {
    throw new CodecError('wkdm', 'full-pattern area', tagsEnd * 4,
      `tags call for ${misses} full patterns but the full-pattern area (words ${tagsEnd}..${w0}) holds ${fullWords}`);
  }
  if (hits > qposWords * 8) {
    throw new CodecError('wkdm', 'dictionary-index area', w0 * 4,
      `tags call for ${hits} dictionary indices but the dictionary-index area (${qposWords} words) holds ${qposWords * 8}`);
  }
  if (partials > lowWords * 3) {
    throw new CodecError('wkdm', 'low-bits area', w1 * 4,
      `tags call for ${partials} low-bit values but the low-bits area (${lowWords} words) holds ${lowWords * 3}`);
  }
  dst.set(pageWords === 1024 ? OUT_PAGE_4K : OUT_PAGE_16K);
}

/** The 32-bit value (unsigned) a page is made of, or null when it holds more than one value. */
export function singleValueOf(page: Uint8Array): number | null {
  if (page.length < 4 || (page.length & 3) !== 0) return null;
  const b0 = page[0]!, b1 = page[1]!, b2 = page[2]!, b3 = page[3]!;
  for (let o = 4; o < page.length; o += 4) {
    if (page[o] !== b0 || page[o + 1] !== b1 || page[o + 2] !== b2 || page[o + 3] !== b3) return null;
  }
  return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
}

// Apple's size estimate (bytes) for what has been scanned so far, header and tags excluded:
// low bits at 2/3 byte-per-halfword (the 1365/2048 multiply), misses at 4, indices at 1/2.
const estimate = (misses: number, nq: number, nl: number): number => ((nl * 2 * 1365) >>> 11) + misses * 4 + (nq >>> 1);

/**
 * Compresses one page bit-exactly like Apple's WKdm assembly. Returns the stream length (> 0),
 * 0 for a single-value page (xnu-3247 only; nothing written), or -1 when the page does not fit the
 * budget or the early-abort check fires (nothing written).
 */
export function wkdmCompress(src: Uint8Array, dst: Uint8Array, opts: WkdmCompressOptions): number {
  const pageSize = opts.pageSize;
  const pageWords = pageWordsOf(pageSize);
  if (src.length !== pageSize) throw new RangeError(`WKdm input must be exactly ${pageSize} bytes, got ${src.length}`);
  const modern = opts.variant === 'xnu-3247';
  if (!modern && opts.variant !== 'xnu-2422') throw new RangeError(`unknown WKdm variant ${String(opts.variant)}`);
  requireLittleEndian();
  const budget = opts.budget ?? pageSize - 4;
  const scale = pageWords >>> 10;
  const tagsEnd = 3 + (pageWords >>> 4);
  const hdrBytes = tagsEnd * 4;

  let byteCount = budget - hdrBytes;
  // The x86_64 / 4k prologue gives up on a budget that cannot even hold header + tags; the arm64
  // 16k code has no such test (it fails later, on the first miss or index word).
  if (pageWords === 1024 && byteCount <= 0) return -1;

  H8.set(src, LAYOUT.IN);
  H32.fill(modern ? 0 : 1, LAYOUT.DICT >> 2, (LAYOUT.DICT >> 2) + 16);
  H32[S_FP] = LAYOUT.OUT + hdrBytes;
  H32[S_NQ] = LAYOUT.QPOS;
  H32[S_NL] = LAYOUT.LOW;
  if (modern) {
    const chk = 104 * scale; // CHKPT_BYTES (416) per 4 KiB
    K.scan(0, chk);
    const m = (H32[S_FP]! - LAYOUT.OUT - hdrBytes) >> 2;
    if (estimate(m, H32[S_NQ]! - LAYOUT.QPOS, (H32[S_NL]! - LAYOUT.LOW) >> 2) > 400 * scale) return -1; // early abort
    K.scan(chk, pageWords);
  } else {
    K.scan(0, pageWords);
  }
  const misses = (H32[S_FP]! - LAYOUT.OUT - hdrBytes) >> 2;
  const nq = H32[S_NQ]! - LAYOUT.QPOS;
  const nl = (H32[S_NL]! - LAYOUT.LOW) >> 2;

  // Each miss is charged as it is found and aborts once the remaining budget reaches 0.
  byteCount -= misses * 4;
  if (misses > 0 && byteCount <= 0) return -1;

  if (modern) {
    if (misses === 0 && nq === 0) return 0; // all-zero page
    const tag0 = H8[LAYOUT.TAGS];
    if ((nl === 0 && nq === pageWords - 1 && misses === 1 && tag0 === 2) || (nl === 1 && nq === pageWords && tag0 === 1)) {
      return 0; // one repeated non-zero value
    }
    const mzvSize = (misses + nq) * 6 + 4;
    if (estimate(misses, nq, nl) + hdrBytes >= mzvSize) {
      if (mzvSize > budget) return -1;
      if (dst.length < mzvSize) throw new RangeError(`WKdm output buffer of ${dst.length} bytes is too small for a ${mzvSize}-byte stream`);
      dst[0] = MZV_MAGIC & 255;
      dst[1] = MZV_MAGIC >>> 8;
      dst[2] = 0;
      dst[3] = 0;
      let o = 4;
      for (let i = 0; i < pageWords; i++) {
        const x = H32[IN_WORD + i]!;
        if (x === 0) continue;
        const off = i << 2;
        dst[o] = x;
        dst[o + 1] = x >>> 8;
        dst[o + 2] = x >>> 16;
        dst[o + 3] = x >>> 24;
        dst[o + 4] = off;
        dst[o + 5] = off >>> 8;
        o += 6;
      }
      return mzvSize;
    }
  }

  byteCount -= ((nq + 7) >>> 3) * 4;
  if (byteCount < 0) return -1;
  const lWords = Math.ceil(nl / 3);
  if (lWords > 0 && byteCount - lWords * 4 <= 0) return -1;
  const len = hdrBytes + (misses + ((nq + 7) >>> 3) + lWords) * 4;
  if (dst.length < len) throw new RangeError(`WKdm output buffer of ${dst.length} bytes is too small for a ${len}-byte stream`);
  K.pack(tagsEnd);
  dst.set(H8.subarray(LAYOUT.OUT, LAYOUT.OUT + len));
  return len;
}
