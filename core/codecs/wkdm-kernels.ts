// WKdm inner loops in asm.js.
//
// Why asm.js: V8 validates an asm.js module and compiles it like WebAssembly (no map checks or
// per-access bounds-check sequences on typed arrays), which the decoder needs to reach native-class
// speed. Why a string: every transpiler in this tool chain (esbuild in tsx, the bundlers) drops the
// 'use asm' directive or rewrites the module out of the asm.js subset, even in plain .js files; a
// string reaches V8 untouched. The source is still ordinary JavaScript, so should V8 ever refuse it
// as asm.js it would run correctly, only slower. Covered by the vectors, property and fuzz tests in
// test/codecs.
//
// Everything works inside one 128 KiB heap. Byte layout (the literals in the code below must match):
//      0  dictionary, 16 words (the hash table stores byte offsets 4 * index into it)
//     64  results: 64/68/72 counts consumed by decode; 80/84/88 scan state (see scan)
//    256  hash table, 256 bytes (byte offset of a dictionary entry, 4 * index)
//   1024  dictionary indices, one byte each (decode: 4 * index; compress: index)
//   8192  10-bit low values, one word each
//  32768  IN: the stream to decode, or the page to compress
//  65536  OUT: the decoded page, or the stream being built
//  98304  TAGS: one byte per page word (compress)
// Every access stays inside the heap by construction (asm.js heap accesses cannot leave it), and only
// the stream's own bytes are copied in; see decode() for how its tags are checked.
// Little-endian hosts only (the callers check): words are read and written in host order.

export const LAYOUT = {
  DICT: 0,
  RESULTS: 64,
  HASH: 256,
  QPOS: 1024,
  LOW: 8192,
  IN: 32768,
  OUT: 65536,
  TAGS: 98304,
  HEAP_BYTES: 131072,
} as const;

export interface WkdmKernels {
  /** Decodes the stream at IN into OUT; writes full patterns / low values / indices consumed to RESULTS + 0 / 4 / 8. */
  decode(tagsEnd: number, w0: number, w1: number, qWords: number, lWords: number, preset: number): number;
  /** Compress scan of page words [from, to) at IN (to - from a multiple of 8); state at RESULTS + 16 / 20 / 24. */
  scan(from: number, to: number): number;
  /** Packs the scan results into a stream at OUT; returns its length in bytes. */
  pack(tagsEnd: number): number;
}

// The hot loops are unrolled (see the comments inside the kernels for why); the copies are made
// here, from one template per step, so the source states each step once.
const at = (base: string, k: number, scale: number): string => (k === 0 ? base : `((${base} + ${scale * k}) | 0)`);
const steps = (n: number, step: (k: number) => string): string => Array.from({ length: n }, (_, k) => step(k)).join('').replace(/\n$/, '');

/** decode: the page word of tag k (of 16 in a tag word) */
const DECODE_STEPS = steps(16, (k) => {
  const o = at('o', k, 4);
  const tag = k === 0 ? 'seq & 3' : `(seq >>> ${2 * k}) & 3`;
  return (
    `        tag = ${tag};\n` +
    `        if ((tag | 0) == 0) H32[${o} >> 2] = 0;\n` +
    `        else if ((tag | 0) == 2) { v = H32[fp >> 2] | 0; fp = (fp + 4) | 0; H32[(H8[((v >>> 10) & 255) | 256] | 0) >> 2] = v; H32[${o} >> 2] = v; }\n` +
    `        else if ((tag | 0) == 3) { H32[${o} >> 2] = H32[(H8[qi] | 0) >> 2] | 0; qi = (qi + 1) | 0; }\n` +
    `        else { d = H8[qi] | 0; qi = (qi + 1) | 0; v = (H32[d >> 2] & -1024) | (H32[li >> 2] | 0); li = (li + 4) | 0; H32[d >> 2] = v; H32[${o} >> 2] = v; }\n`
  );
});

/** decode: a tag word of sixteen zero tags */
const ZERO_STEPS = steps(16, (k) => `        H32[${at('o', k, 4)} >> 2] = 0;\n`);

/** compress scan: classify page word k (of 8 per iteration) */
const SCAN_STEPS = steps(8, (k) => {
  const i = k === 0 ? '(i)' : `((i + ${4 * k}) | 0)`;
  const tg = k === 0 ? 'tg' : `(tg + ${k}) | 0`;
  return [
    `      x = H32[${i} >> 2] | 0;`,
    `      if ((x | 0) == 0) {`,
    `        H8[${tg}] = 0;`,
    `      } else {`,
    `        h = H8[((x >>> 10) & 255) | 256] | 0;`,
    `        dv = H32[h >> 2] | 0;`,
    `        if ((dv | 0) == (x | 0)) {`,
    `          H8[${tg}] = 3;`,
    `          H8[nq] = h >>> 2;`,
    `          nq = (nq + 1) | 0;`,
    `        } else if ((((dv ^ x) >>> 10) | 0) == 0) {`,
    `          H8[${tg}] = 1;`,
    `          H8[nq] = h >>> 2;`,
    `          nq = (nq + 1) | 0;`,
    `          H32[nl >> 2] = x & 1023;`,
    `          nl = (nl + 4) | 0;`,
    `          H32[h >> 2] = x;`,
    `        } else {`,
    `          H8[${tg}] = 2;`,
    `          H32[fp >> 2] = x;`,
    `          fp = (fp + 4) | 0;`,
    `          H32[h >> 2] = x;`,
    `        }`,
    `      }`,
    '',
  ].join('\n');
});

const SOURCE = String.raw`
function wkdmKernels(stdlib, foreign, heap) {
  'use asm';

  var H8 = new stdlib.Uint8Array(heap);
  var H32 = new stdlib.Int32Array(heap);

  // Decodes the stream at IN into OUT. The caller has checked the header: qWords / lWords (the
  // index and low-bit areas) and the full-pattern area lie inside the copied stream. The tags are not
  // trusted: the counts of full patterns, indices and low values actually consumed are written to
  // 64 / 68 / 72, and the caller rejects the page if they exceed the areas (reads past an area only
  // ever see this heap, and the page is then discarded).
  function decode(tagsEnd, w0, w1, qWords, lWords, preset) {
    tagsEnd = tagsEnd | 0;
    w0 = w0 | 0;
    w1 = w1 | 0;
    qWords = qWords | 0;
    lWords = lWords | 0;
    preset = preset | 0;
    var p = 0, e = 0, v = 0, q = 0, t = 0, fp = 0, qi = 0, li = 0, o = 0, d = 0, seq = 0, x = 0, tag = 0;

    // Index 8w+4p+j sits at bits 8j+4p of word w: the low nibbles of the four bytes come first,
    // then the high nibbles. Stored pre-multiplied by 4 (byte offset of the dictionary entry).
    p = (32768 + (w0 << 2)) | 0;
    e = (p + (qWords << 2)) | 0;
    q = 1024;
    while ((p | 0) < (e | 0)) {
      v = H32[p >> 2] | 0;
      H32[q >> 2] = (v & 0x0f0f0f0f) << 2;
      H32[(q + 4) >> 2] = ((v >>> 4) & 0x0f0f0f0f) << 2;
      p = (p + 4) | 0;
      q = (q + 8) | 0;
    }
    p = (32768 + (w1 << 2)) | 0;
    e = (p + (lWords << 2)) | 0;
    q = 8192;
    while ((p | 0) < (e | 0)) {
      v = H32[p >> 2] | 0;
      H32[q >> 2] = v & 1023;
      H32[(q + 4) >> 2] = (v >>> 10) & 1023;
      H32[(q + 8) >> 2] = (v >>> 20) & 1023;
      p = (p + 4) | 0;
      q = (q + 12) | 0;
    }
    for (p = 0; (p | 0) < 64; p = (p + 4) | 0) H32[p >> 2] = preset;

    fp = (32768 + (tagsEnd << 2)) | 0;
    qi = 1024;
    li = 8192;
    o = 65536;
    p = 32780;
    e = (32768 + (tagsEnd << 2)) | 0;
    while ((p | 0) < (e | 0)) {
      t = H32[p >> 2] | 0;
      if ((t | 0) == 0) {
${ZERO_STEPS}
      } else {
        // The tag of page word 4p+j sits at bits 8j+2p: transpose the 4x4 matrix of 2-bit fields
        // so that word k's tag lands at bits 2k.
        x = ((t >>> 6) ^ t) & 0x00cc00cc;
        t = t ^ x ^ (x << 6);
        x = ((t >>> 12) ^ t) & 0x0000f0f0;
        seq = t ^ x ^ (x << 12);
        // Sixteen copies of one step, on purpose: the branch on each tag is unpredictable, and
        // separate copies give the predictor separate histories and drop the loop overhead.
${DECODE_STEPS}
      }
      o = (o + 64) | 0;
      p = (p + 4) | 0;
    }
    H32[64 >> 2] = (fp - (32768 + (tagsEnd << 2))) >> 2;
    H32[68 >> 2] = (li - 8192) >> 2;
    H32[72 >> 2] = (qi - 1024) | 0;
    return 0;
  }

  // Compress scan of page words [from, to) at IN (to - from a multiple of 8), exactly as Apple's
  // scan loop classifies them. State between calls at 80/84/88: next full pattern (byte address in
  // OUT), next index byte, next low value (byte addresses). Tags go to TAGS, one byte per word.
  // Eight copies of the step per iteration, for the same reason as in decode().
  function scan(from, to) {
    from = from | 0;
    to = to | 0;
    var i = 0, e = 0, x = 0, h = 0, dv = 0, fp = 0, nq = 0, nl = 0, tg = 0;
    fp = H32[80 >> 2] | 0;
    nq = H32[84 >> 2] | 0;
    nl = H32[88 >> 2] | 0;
    i = (32768 + (from << 2)) | 0;
    e = (32768 + (to << 2)) | 0;
    tg = (98304 + from) | 0;
    while ((i | 0) < (e | 0)) {
${SCAN_STEPS}
      i = (i + 32) | 0;
      tg = (tg + 8) | 0;
    }
    H32[80 >> 2] = fp;
    H32[84 >> 2] = nq;
    H32[88 >> 2] = nl;
    return 0;
  }

  // Packs the scan results into a standard stream at OUT (full patterns are already in place,
  // from word tagsEnd up to the scan's fp). Returns the stream length in bytes.
  function pack(tagsEnd) {
    tagsEnd = tagsEnd | 0;
    var t = 0, o = 0, e = 0, fp = 0, nq = 0, nl = 0, q = 0, qe = 0, l = 0, w1 = 0;
    fp = H32[80 >> 2] | 0;
    nq = H32[84 >> 2] | 0;
    nl = H32[88 >> 2] | 0;
    // 16 tag bytes make one word: byte j gathers the tags of words j, j+4, j+8, j+12.
    t = 98304;
    o = 65548;
    e = (65536 + (tagsEnd << 2)) | 0;
    while ((o | 0) < (e | 0)) {
      H32[o >> 2] = H32[t >> 2] | (H32[(t + 4) >> 2] << 2) | (H32[(t + 8) >> 2] << 4) | (H32[(t + 12) >> 2] << 6);
      t = (t + 16) | 0;
      o = (o + 4) | 0;
    }
    // Indices, zero-padded to a multiple of 8: byte j of a word holds indices j and j+4.
    qe = (1024 + ((((nq - 1024) | 0) + 7) & -8)) | 0;
    for (q = nq; (q | 0) < (qe | 0); q = (q + 1) | 0) H8[q] = 0;
    o = fp;
    for (q = 1024; (q | 0) < (qe | 0); q = (q + 8) | 0) {
      H32[o >> 2] = H32[q >> 2] | (H32[(q + 4) >> 2] << 4);
      o = (o + 4) | 0;
    }
    w1 = o;
    // Low bits, three per word, zero-padded.
    H32[nl >> 2] = 0;
    H32[(nl + 4) >> 2] = 0;
    for (l = 8192; (l | 0) < (nl | 0); l = (l + 12) | 0) {
      H32[o >> 2] = H32[l >> 2] | (H32[(l + 4) >> 2] << 10) | (H32[(l + 8) >> 2] << 20);
      o = (o + 4) | 0;
    }
    H32[65536 >> 2] = (fp - 65536) >> 2;
    H32[65540 >> 2] = (w1 - 65536) >> 2;
    H32[65544 >> 2] = (o - 65536) >> 2;
    return (o - 65536) | 0;
  }

  return { decode: decode, scan: scan, pack: pack };
}
`;

/** Instantiates the kernels on `heap` (LAYOUT.HEAP_BYTES bytes). */
export function createWkdmKernels(heap: ArrayBuffer): WkdmKernels {
  const factory = new Function(`${SOURCE}\nreturn wkdmKernels;`)() as (stdlib: unknown, foreign: unknown, heap: ArrayBuffer) => WkdmKernels;
  return factory(globalThis, null, heap);
}
