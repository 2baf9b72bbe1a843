// WKdm as xnu stores it (x86_64 WKdm*_new.s, arm64 WKdm*_4k.s / _16k.s), 4 KiB and 16 KiB pages,
// including the MZV ("mostly zero value") sub-format of 10.11+.
//
// Stream layout (little-endian 32-bit words, offsets in words from the stream start):
//   header: w0 = end of full patterns, w1 = end of dictionary indices, w2 = end of low bits
//   tags: 2 bits per page word (pageWords / 16 words), then full patterns, packed 4-bit
//   dictionary indices, packed 10-bit low bits.
// See docs/darwin-compressor.md §4.5 and §10 for the facts this file relies on.
//
// Speed notes: both directions work on Int32Array views (int32 keeps V8 on small-integer paths;
// a Uint32Array would hand back heap doubles for words >= 2^31). The decoder validates the header
// and counts every tag class up front, so its inner loop needs no bounds checks at all.

import { CodecError } from '../errors';

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

// Largest stream a 16 KiB page can give: header + tags + one full pattern per word + indices + low bits.
const MAX_PAGE_WORDS = 4096;
const MAX_STREAM_WORDS = 3 + MAX_PAGE_WORDS / 16 + MAX_PAGE_WORDS + MAX_PAGE_WORDS / 8 + Math.ceil(MAX_PAGE_WORDS / 3);

// Scratch shared by every call (JS is single-threaded per isolate; nothing here survives a call).
const sIn32 = new Int32Array(MAX_STREAM_WORDS + 8);
const sIn8 = new Uint8Array(sIn32.buffer);
const sOut32 = new Int32Array(MAX_STREAM_WORDS + 8);
const sOut8 = new Uint8Array(sOut32.buffer);
const sQpos = new Uint8Array(MAX_PAGE_WORDS + 8);
const sLow = new Int32Array(MAX_PAGE_WORDS + 3);
const sTags = new Uint8Array(MAX_PAGE_WORDS);
const sDict = new Int32Array(16);

const u32le = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

// Popcount of a word whose set bits are all at even positions (one bit per 2-bit tag field).
function popEven(x: number): number {
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function pageWordsOf(pageSize: number): number {
  if (pageSize !== 4096 && pageSize !== 16384) throw new RangeError(`WKdm page size must be 4096 or 16384, not ${pageSize}`);
  return pageSize >>> 2;
}

/** Copies `n` bytes of `src` into the input scratch as little-endian words (any alignment, any host). */
function loadWords(src: Uint8Array, nBytes: number): Int32Array {
  if (LITTLE_ENDIAN) {
    if ((src.byteOffset & 3) === 0) return new Int32Array(src.buffer, src.byteOffset, nBytes >>> 2);
    sIn8.set(src.subarray(0, nBytes));
    return sIn32;
  }
  for (let i = 0, o = 0; o + 3 < nBytes; i++, o += 4) sIn32[i] = src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24);
  return sIn32;
}

function storeWords(words: Int32Array, dst: Uint8Array, nBytes: number): void {
  if (LITTLE_ENDIAN) {
    dst.set(new Uint8Array(words.buffer, words.byteOffset, nBytes));
    return;
  }
  for (let i = 0, o = 0; o < nBytes; i++, o += 4) {
    const w = words[i]!;
    dst[o] = w;
    dst[o + 1] = w >>> 8;
    dst[o + 2] = w >>> 16;
    dst[o + 3] = w >>> 24;
  }
}

function decodeMzv(src: Uint8Array, dst: Uint8Array, pageSize: number): void {
  const n = src.length;
  if (n < 4) throw new CodecError('mzv', 'mzv record', 0, `MZV stream is ${n} bytes, shorter than its 4-byte magic`);
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
  const allowMzv = opts.allowMzv ?? opts.dictPreset === 0;
  const n = src.length;

  if (allowMzv && n >= 4 && u32le(src, 0) === MZV_MAGIC) {
    decodeMzv(src, dst, pageSize);
    return;
  }
  if (n < 12) throw new CodecError('wkdm', 'header', n, n === 0 ? 'empty stream' : `stream is ${n} bytes, shorter than the 12-byte header`);

  const tagWords = pageWords >>> 4;
  const tagsEnd = 3 + tagWords; // first full pattern, in words
  if (n < tagsEnd * 4) {
    throw new CodecError('wkdm', 'tags area', n, `stream is ${n} bytes, shorter than the ${tagsEnd * 4}-byte header + tags area`);
  }
  const w0 = u32le(src, 0);
  const w1 = u32le(src, 4);
  const w2 = u32le(src, 8);
  if (w0 < tagsEnd) {
    throw new CodecError('wkdm', 'header word 0', 0, `header word 0 = ${w0} points inside the header/tags area (full patterns start at word ${tagsEnd})`);
  }
  if (w0 * 4 > n) throw new CodecError('wkdm', 'header word 0', 0, `header word 0 = ${w0} words (${w0 * 4} bytes) is past the stream end (${n} bytes; truncated stream or damaged header)`);
  if (w1 < w0) throw new CodecError('wkdm', 'header word 1', 4, `header word 1 = ${w1} is below header word 0 = ${w0}: area boundaries decrease`);
  if (w2 < w1) throw new CodecError('wkdm', 'header word 2', 8, `header word 2 = ${w2} is below header word 1 = ${w1}: area boundaries decrease`);
  if (w1 * 4 > n) throw new CodecError('wkdm', 'header word 1', 4, `header word 1 = ${w1} words (${w1 * 4} bytes) is past the stream end (${n} bytes; truncated stream or damaged header)`);
  if (w2 * 4 > n) throw new CodecError('wkdm', 'header word 2', 8, `header word 2 = ${w2} words (${w2 * 4} bytes) is past the stream end (${n} bytes; truncated stream or damaged header)`);
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

  const in32 = loadWords(src, w2 * 4);

  // Count each tag class so that the decode loop below can trust the areas' sizes.
  let misses = 0;
  let partials = 0;
  let exacts = 0;
  for (let i = 3; i < tagsEnd; i++) {
    const t = in32[i]!;
    const lo = t & 0x55555555;
    const hi = (t >>> 1) & 0x55555555;
    misses += popEven(hi & ~lo);
    partials += popEven(lo & ~hi);
    exacts += popEven(lo & hi);
  }
  if (misses > fullWords) {
    throw new CodecError('wkdm', 'full-pattern area', tagsEnd * 4,
      `tags call for ${misses} full patterns but the full-pattern area (words ${tagsEnd}..${w0}) holds ${fullWords}`);
  }
  const hits = partials + exacts;
  if (hits > qposWords * 8) {
    throw new CodecError('wkdm', 'dictionary-index area', w0 * 4,
      `tags call for ${hits} dictionary indices but the dictionary-index area (${qposWords} words) holds ${qposWords * 8}`);
  }
  if (partials > lowWords * 3) {
    throw new CodecError('wkdm', 'low-bits area', w1 * 4,
      `tags call for ${partials} low-bit values but the low-bits area (${lowWords} words) holds ${lowWords * 3}`);
  }

  // Unpack indices (index 8w+4p+j sits at bits 8j+4p of word w) and low bits (3 per word).
  const qpos = sQpos;
  for (let i = 0, q = 0, end = w0 + ((hits + 7) >>> 3); i + w0 < end; i++, q += 8) {
    const v = in32[w0 + i]!;
    qpos[q] = v & 15;
    qpos[q + 1] = (v >>> 8) & 15;
    qpos[q + 2] = (v >>> 16) & 15;
    qpos[q + 3] = (v >>> 24) & 15;
    qpos[q + 4] = (v >>> 4) & 15;
    qpos[q + 5] = (v >>> 12) & 15;
    qpos[q + 6] = (v >>> 20) & 15;
    qpos[q + 7] = v >>> 28;
  }
  const low = sLow;
  for (let i = w1, l = 0, end = w1 + Math.ceil(partials / 3); i < end; i++, l += 3) {
    const v = in32[i]!;
    low[l] = v & 1023;
    low[l + 1] = (v >>> 10) & 1023;
    low[l + 2] = (v >>> 20) & 1023;
  }

  const direct = LITTLE_ENDIAN && (dst.byteOffset & 3) === 0;
  const out = direct ? new Int32Array(dst.buffer, dst.byteOffset, pageWords) : sOut32;
  const dict = sDict;
  dict.fill(opts.dictPreset);
  const hash = HASH;

  let fp = tagsEnd;
  let qi = 0;
  let li = 0;
  let o = 0;
  for (let tw = 3; tw < tagsEnd; tw++) {
    const t = in32[tw]!;
    if (t === 0) {
      // Whole run of 16 zero words: common in sparse pages.
      out[o] = 0; out[o + 1] = 0; out[o + 2] = 0; out[o + 3] = 0;
      out[o + 4] = 0; out[o + 5] = 0; out[o + 6] = 0; out[o + 7] = 0;
      out[o + 8] = 0; out[o + 9] = 0; out[o + 10] = 0; out[o + 11] = 0;
      out[o + 12] = 0; out[o + 13] = 0; out[o + 14] = 0; out[o + 15] = 0;
      o += 16;
      continue;
    }
    // Page word 4p+j of this group has its tag at bits 8j+2p.
    for (let p = 0; p < 8; p += 2) {
      const x = t >>> p;
      for (let s = 0; s < 32; s += 8) {
        const tag = (x >>> s) & 3;
        if (tag === 0) {
          out[o++] = 0;
        } else if (tag === 3) {
          out[o++] = dict[qpos[qi++]!]!;
        } else if (tag === 2) {
          const v = in32[fp++]!;
          dict[hash[(v >>> 10) & 255]!] = v;
          out[o++] = v;
        } else {
          const d = qpos[qi++]!;
          const v = (dict[d]! & -1024) | low[li++]!;
          dict[d] = v;
          out[o++] = v;
        }
      }
    }
  }
  if (!direct) storeWords(sOut32, dst, pageSize);
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

// Scan state shared between the two halves of the scan (before and after the early-abort checkpoint).
let scanFp = 0;
let scanNq = 0;
let scanNl = 0;

/** Classifies words [from, to) exactly as Apple's scan loop does: tags, indices, low bits, full patterns. */
function scan(in32: Int32Array, from: number, to: number): void {
  const tags = sTags;
  const qpos = sQpos;
  const low = sLow;
  const out = sOut32;
  const dict = sDict;
  const hash = HASH;
  let fp = scanFp;
  let nq = scanNq;
  let nl = scanNl;
  for (let i = from; i < to; i++) {
    const x = in32[i]!;
    if (x === 0) {
      tags[i] = 0;
      continue;
    }
    const h = hash[(x >>> 10) & 255]!;
    const d = dict[h]!;
    if (d === x) {
      tags[i] = 3;
      qpos[nq++] = h;
    } else if (((d ^ x) >>> 10) === 0) {
      tags[i] = 1;
      qpos[nq++] = h;
      low[nl++] = x & 1023;
      dict[h] = x;
    } else {
      tags[i] = 2;
      out[fp++] = x;
      dict[h] = x;
    }
  }
  scanFp = fp;
  scanNq = nq;
  scanNl = nl;
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
  const budget = opts.budget ?? pageSize - 4;
  const scale = pageWords >>> 10;
  const tagWords = pageWords >>> 4;
  const tagsEnd = 3 + tagWords;
  const hdrBytes = tagsEnd * 4;

  let byteCount = budget - hdrBytes;
  // The x86_64 / 4k prologue gives up on a budget that cannot even hold header + tags; the arm64
  // 16k code has no such test (it fails later, on the first miss or index word).
  if (pageWords === 1024 && byteCount <= 0) return -1;

  const in32 = loadWords(src, pageSize);
  sDict.fill(modern ? 0 : 1);
  scanFp = tagsEnd;
  scanNq = 0;
  scanNl = 0;
  if (modern) {
    const chk = 104 * scale; // CHKPT_BYTES (416) per 4 KiB
    scan(in32, 0, chk);
    if (estimate(scanFp - tagsEnd, scanNq, scanNl) > 400 * scale) return -1; // early abort
    scan(in32, chk, pageWords);
  } else {
    scan(in32, 0, pageWords);
  }
  const fp = scanFp;
  const nq = scanNq;
  const nl = scanNl;
  const misses = fp - tagsEnd;

  // Each miss is charged as it is found and aborts once the remaining budget reaches 0.
  byteCount -= misses * 4;
  if (misses > 0 && byteCount <= 0) return -1;

  if (modern) {
    if (misses === 0 && nq === 0) return 0; // all-zero page
    const tag0 = sTags[0];
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
        const x = in32[i]!;
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

  const qWords = (nq + 7) >>> 3;
  byteCount -= qWords * 4;
  if (byteCount < 0) return -1;
  const lWords = Math.ceil(nl / 3);
  if (lWords > 0 && byteCount - lWords * 4 <= 0) return -1;
  const w1 = fp + qWords;
  const w2 = w1 + lWords;
  const len = w2 * 4;
  if (dst.length < len) throw new RangeError(`WKdm output buffer of ${dst.length} bytes is too small for a ${len}-byte stream`);

  const out = sOut32;
  out[0] = fp;
  out[1] = w1;
  out[2] = w2;
  const tags = sTags;
  for (let w = 0, t = 0; w < tagWords; w++, t += 16) {
    // Tag of word 4p+j goes to bits 8j+2p: byte j gathers words j, j+4, j+8, j+12.
    out[3 + w] =
      (tags[t]! | (tags[t + 4]! << 2) | (tags[t + 8]! << 4) | (tags[t + 12]! << 6)) |
      ((tags[t + 1]! | (tags[t + 5]! << 2) | (tags[t + 9]! << 4) | (tags[t + 13]! << 6)) << 8) |
      ((tags[t + 2]! | (tags[t + 6]! << 2) | (tags[t + 10]! << 4) | (tags[t + 14]! << 6)) << 16) |
      ((tags[t + 3]! | (tags[t + 7]! << 2) | (tags[t + 11]! << 4) | (tags[t + 15]! << 6)) << 24);
  }
  const qpos = sQpos;
  for (let i = nq, e = qWords * 8; i < e; i++) qpos[i] = 0;
  for (let i = 0, q = 0; i < qWords; i++, q += 8) {
    out[fp + i] =
      (qpos[q]! | (qpos[q + 4]! << 4)) |
      ((qpos[q + 1]! | (qpos[q + 5]! << 4)) << 8) |
      ((qpos[q + 2]! | (qpos[q + 6]! << 4)) << 16) |
      ((qpos[q + 3]! | (qpos[q + 7]! << 4)) << 24);
  }
  const low = sLow;
  for (let i = nl, e = lWords * 3; i < e; i++) low[i] = 0;
  for (let i = 0, l = 0; i < lWords; i++, l += 3) out[w1 + i] = low[l]! | (low[l + 1]! << 10) | (low[l + 2]! << 20);

  storeWords(out, dst, len);
  return len;
}
