// LZ4 block format (bare block: no frame, no size prefix), as arm64 kernels store hybrid-mode slots
// (osfmk/vm/lz4.c lz4raw_decode_buffer; docs/darwin-compressor.md §4.6).
// A block is a run of sequences: token (high nibble literal count, low nibble match length - 4, 15 =
// "more bytes follow", each 255 continuing), literals, 2-byte little-endian offset, and the last
// sequence carries literals only.

import { CodecError } from '../errors';

const fail = (area: string, offset: number, message: string): never => {
  throw new CodecError('lz4', area, offset, message);
};

/**
 * Decodes a bare LZ4 block that must expand to exactly dst.length bytes. Every length and offset is
 * checked before use, so a damaged block throws CodecError and never reads or writes out of bounds.
 */
export function lz4DecodeBlock(src: Uint8Array, dst: Uint8Array): void {
  const n = src.length;
  const outLen = dst.length;
  let ip = 0;
  let op = 0;
  for (;;) {
    if (ip >= n) fail('token', ip, `block ends at byte ${n} where a sequence token was expected (output ${op} of ${outLen} bytes)`);
    const tokenAt = ip;
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= n) fail('literal length', ip, 'block ends inside a literal length');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > n - ip) fail('literals', ip, `${lit} literals run past the block end (${n - ip} bytes left)`);
    if (lit > outLen - op) fail('literals', ip, `${lit} literals overflow the ${outLen}-byte output at output offset ${op}`);
    if (lit < 32) {
      for (let e = ip + lit; ip < e; ) dst[op++] = src[ip++]!;
    } else {
      dst.set(src.subarray(ip, ip + lit), op);
      ip += lit;
      op += lit;
    }
    if (ip === n) {
      if (op !== outLen) fail('end of block', n, `block decodes to ${op} bytes, expected ${outLen}`);
      return;
    }
    if (n - ip < 2) fail('match offset', ip, 'block ends inside a match offset');
    const off = src[ip]! | (src[ip + 1]! << 8);
    if (off === 0) fail('match offset', ip, `match offset 0 in the sequence at byte ${tokenAt}`);
    if (off > op) fail('match offset', ip, `match offset ${off} reaches before the start of the output (output offset ${op})`);
    ip += 2;
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (ip >= n) fail('match length', ip, 'block ends inside a match length');
        b = src[ip++]!;
        ml += b;
      } while (b === 255);
    }
    ml += 4;
    if (ml > outLen - op) fail('match', tokenAt, `${ml}-byte match overflows the ${outLen}-byte output at output offset ${op}`);
    let from = op - off;
    if (off >= ml && ml >= 32) {
      dst.copyWithin(op, from, from + ml);
      op += ml;
    } else {
      // Overlapping matches repeat the last `off` bytes: copy forward one byte at a time.
      for (const e = op + ml; op < e; ) dst[op++] = dst[from++]!;
    }
  }
}

const HASH_BITS = 12;
const hashTable = new Int32Array(1 << HASH_BITS);
const MIN_MATCH = 4;
const LAST_LITERALS = 5; // the last 5 bytes are always literals
const MF_LIMIT = 12; // no match may start in the last 12 bytes

const read32 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/** Bytes needed to write a length extension of `v` (the part beyond the nibble's 15). */
const extLen = (v: number): number => (v < 15 ? 0 : 1 + Math.floor((v - 15) / 255));

function writeExt(dst: Uint8Array, op: number, v: number): number {
  v -= 15;
  while (v >= 255) {
    dst[op++] = 255;
    v -= 255;
  }
  dst[op++] = v;
  return op;
}

/**
 * A plain greedy LZ4 block encoder (hash of 4-byte sequences, one candidate per slot). Returns the
 * block length, or 0 when the block would not fit in dst. Not byte-identical to liblz4; any LZ4
 * decoder reads its output.
 */
export function lz4EncodeBlock(src: Uint8Array, dst: Uint8Array): number {
  const n = src.length;
  const cap = dst.length;
  const table = hashTable;
  table.fill(-1);
  let anchor = 0;
  let op = 0;
  const matchLimit = n - LAST_LITERALS;
  for (let ip = 0; ip < n - MF_LIMIT; ) {
    const seq = read32(src, ip);
    const h = Math.imul(seq, -1640531535) >>> (32 - HASH_BITS);
    let ref = table[h]!;
    table[h] = ip;
    if (ref < 0 || ip - ref > 65535 || read32(src, ref) !== seq) {
      ip++;
      continue;
    }
    let start = ip;
    while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
      start--;
      ref--;
    }
    let ml = MIN_MATCH + (ip - start);
    while (start + ml < matchLimit && src[ref + ml] === src[start + ml]) ml++;
    const lit = start - anchor;
    const need = 1 + extLen(lit) + lit + 2 + extLen(ml - MIN_MATCH);
    if (op + need > cap) return 0;
    const tokenAt = op++;
    dst[tokenAt] = ((lit < 15 ? lit : 15) << 4) | (ml - MIN_MATCH < 15 ? ml - MIN_MATCH : 15);
    if (lit >= 15) op = writeExt(dst, op, lit);
    dst.set(src.subarray(anchor, start), op);
    op += lit;
    const off = start - ref;
    dst[op++] = off;
    dst[op++] = off >>> 8;
    if (ml - MIN_MATCH >= 15) op = writeExt(dst, op, ml - MIN_MATCH);
    ip = start + ml;
    anchor = ip;
    if (ip - 2 < n - MF_LIMIT) table[Math.imul(read32(src, ip - 2), -1640531535) >>> (32 - HASH_BITS)] = ip - 2;
  }
  const lit = n - anchor;
  const need = 1 + extLen(lit) + lit;
  if (op + need > cap) return 0;
  dst[op++] = (lit < 15 ? lit : 15) << 4;
  if (lit >= 15) op = writeExt(dst, op, lit);
  dst.set(src.subarray(anchor, n), op);
  return op + lit;
}
