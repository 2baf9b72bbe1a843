// LZ4 block format (bare block: no frame, no size prefix), as arm64 kernels store hybrid-mode slots
// (osfmk/vm/lz4.c lz4raw_decode_buffer; docs/codecs.md §4).
// A block is a run of sequences: token (high nibble literal count, low nibble match length - 4, 15 =
// "more bytes follow", each 255 continuing), literals, 2-byte little-endian offset, and the last
// sequence carries literals only.

import { CodecError } from '../errors';
import { LZ4_WASM_BASE64 } from './lz4-wasm';

// The decode loop is hand-written WebAssembly (lz4-wasm/lz4.wat: 16-byte vector copies, memory.copy
// and memory.fill, as liblz4 does in C), with the asm.js kernel below as the fallback where a runtime
// lacks WebAssembly SIMD (see wkdm-kernels.ts for why asm.js, and why from a string). Either way the
// block is copied into the kernel's private heap, decoded there, and the page copied out only on
// success. Heap layout: 0..63 results, block at 64, output right after the block, then 32 bytes of
// slack for the wide copies that run past a run's end.
const KERNEL_SOURCE = String.raw`
function lz4Kernel(stdlib, foreign, heap) {
  'use asm';
  var H8 = new stdlib.Uint8Array(heap);
  var H32 = new stdlib.Int32Array(heap);

  function fail(code, pos, op, val) {
    code = code | 0;
    pos = pos | 0;
    op = op | 0;
    val = val | 0;
    H32[0] = pos;
    H32[1] = op;
    H32[2] = val;
    return code | 0;
  }

  // Forward copy of n bytes from s to d (d > s + 7, or no overlap). Aligns d, then moves whole
  // words, shifting two aligned source words together when s is not aligned like d.
  function copy(d, s, n) {
    d = d | 0;
    s = s | 0;
    n = n | 0;
    var sh = 0, sa = 0, w0 = 0, w1 = 0;
    while (((n | 0) > 0) & ((d & 3) != 0)) {
      H8[d] = H8[s] | 0;
      d = (d + 1) | 0;
      s = (s + 1) | 0;
      n = (n - 1) | 0;
    }
    if ((n | 0) >= 4) {
      sh = (s & 3) << 3;
      if ((sh | 0) == 0) {
        while ((n | 0) >= 4) {
          H32[d >> 2] = H32[s >> 2] | 0;
          d = (d + 4) | 0;
          s = (s + 4) | 0;
          n = (n - 4) | 0;
        }
      } else {
        sa = s & -4;
        w0 = (H32[sa >> 2] | 0) >>> sh;
        while ((n | 0) >= 4) {
          sa = (sa + 4) | 0;
          w1 = H32[sa >> 2] | 0;
          H32[d >> 2] = w0 | (w1 << (32 - sh));
          w0 = w1 >>> sh;
          d = (d + 4) | 0;
          s = (s + 4) | 0;
          n = (n - 4) | 0;
        }
      }
    }
    while ((n | 0) > 0) {
      H8[d] = H8[s] | 0;
      d = (d + 1) | 0;
      s = (s + 1) | 0;
      n = (n - 1) | 0;
    }
  }

  // Decodes the block at [ip, iend) into [ob, oend). 0 on success, else an error code (see lz4.ts).
  function decode(ip, iend, ob, oend) {
    ip = ip | 0;
    iend = iend | 0;
    ob = ob | 0;
    oend = oend | 0;
    var op = 0, token = 0, lit = 0, b = 0, off = 0, ml = 0, e = 0, m = 0, at = 0;
    op = ob;
    while (1) {
      if ((ip | 0) >= (iend | 0)) return fail(1, ip, op, 0) | 0;
      at = ip;
      token = H8[ip] | 0;
      ip = (ip + 1) | 0;
      lit = token >>> 4;
      if ((lit | 0) == 15) {
        do {
          if ((ip | 0) >= (iend | 0)) return fail(2, ip, op, 0) | 0;
          b = H8[ip] | 0;
          ip = (ip + 1) | 0;
          lit = (lit + b) | 0;
          if ((lit | 0) > ((iend - ip) | 0)) return fail(3, ip, op, lit) | 0;
        } while ((b | 0) == 255);
      }
      if ((lit | 0) > ((iend - ip) | 0)) return fail(3, ip, op, lit) | 0;
      if ((lit | 0) > ((oend - op) | 0)) return fail(4, ip, op, lit) | 0;
      // Short runs (most of them) are moved 8 bytes at a time without a length-dependent loop; the
      // bytes written past the run are overwritten by what follows (or land in the slack after
      // the output, which the caller reserves).
      if ((lit | 0) <= 16) {
        H8[op] = H8[ip] | 0;
        H8[(op + 1) | 0] = H8[(ip + 1) | 0] | 0;
        H8[(op + 2) | 0] = H8[(ip + 2) | 0] | 0;
        H8[(op + 3) | 0] = H8[(ip + 3) | 0] | 0;
        H8[(op + 4) | 0] = H8[(ip + 4) | 0] | 0;
        H8[(op + 5) | 0] = H8[(ip + 5) | 0] | 0;
        H8[(op + 6) | 0] = H8[(ip + 6) | 0] | 0;
        H8[(op + 7) | 0] = H8[(ip + 7) | 0] | 0;
        if ((lit | 0) > 8) {
          H8[(op + 8) | 0] = H8[(ip + 8) | 0] | 0;
          H8[(op + 9) | 0] = H8[(ip + 9) | 0] | 0;
          H8[(op + 10) | 0] = H8[(ip + 10) | 0] | 0;
          H8[(op + 11) | 0] = H8[(ip + 11) | 0] | 0;
          H8[(op + 12) | 0] = H8[(ip + 12) | 0] | 0;
          H8[(op + 13) | 0] = H8[(ip + 13) | 0] | 0;
          H8[(op + 14) | 0] = H8[(ip + 14) | 0] | 0;
          H8[(op + 15) | 0] = H8[(ip + 15) | 0] | 0;
        }
      } else {
        copy(op, ip, lit);
      }
      op = (op + lit) | 0;
      ip = (ip + lit) | 0;
      if ((ip | 0) == (iend | 0)) {
        if ((op | 0) != (oend | 0)) return fail(5, ip, op, 0) | 0;
        return 0;
      }
      if (((iend - ip) | 0) < 2) return fail(6, ip, op, 0) | 0;
      off = H8[ip] | (H8[(ip + 1) | 0] << 8);
      if ((off | 0) == 0) return fail(7, ip, op, 0) | 0;
      if ((off | 0) > ((op - ob) | 0)) return fail(8, ip, op, off) | 0;
      ip = (ip + 2) | 0;
      ml = token & 15;
      if ((ml | 0) == 15) {
        do {
          if ((ip | 0) >= (iend | 0)) return fail(9, ip, op, 0) | 0;
          b = H8[ip] | 0;
          ip = (ip + 1) | 0;
          ml = (ml + b) | 0;
          if ((ml | 0) > ((oend - op) | 0)) return fail(10, at, op, (ml + 4) | 0) | 0;
        } while ((b | 0) == 255);
      }
      ml = (ml + 4) | 0;
      if ((ml | 0) > ((oend - op) | 0)) return fail(10, at, op, ml) | 0;
      // A match closer than 8 bytes overlaps what it writes: copy bytes until the repeating pattern
      // spans at least 8 bytes, after which a source that far back holds the same bytes and the
      // word copy (which reads up to 7 bytes ahead of its source) is safe.
      if ((off | 0) < 8) {
        e = off;
        while ((e | 0) < 8) e = (e + off) | 0;
        if ((e | 0) > (ml | 0)) e = ml;
        m = (op - off) | 0;
        b = (op + e) | 0;
        while ((op | 0) < (b | 0)) {
          H8[op] = H8[m] | 0;
          op = (op + 1) | 0;
          m = (m + 1) | 0;
        }
        ml = (ml - e) | 0;
        off = e;
        if ((off | 0) < 8) off = 8;
      }
      m = (op - off) | 0;
      if ((ml | 0) <= 16) {
        H8[op] = H8[m] | 0;
        H8[(op + 1) | 0] = H8[(m + 1) | 0] | 0;
        H8[(op + 2) | 0] = H8[(m + 2) | 0] | 0;
        H8[(op + 3) | 0] = H8[(m + 3) | 0] | 0;
        H8[(op + 4) | 0] = H8[(m + 4) | 0] | 0;
        H8[(op + 5) | 0] = H8[(m + 5) | 0] | 0;
        H8[(op + 6) | 0] = H8[(m + 6) | 0] | 0;
        H8[(op + 7) | 0] = H8[(m + 7) | 0] | 0;
        if ((ml | 0) > 8) {
          H8[(op + 8) | 0] = H8[(m + 8) | 0] | 0;
          H8[(op + 9) | 0] = H8[(m + 9) | 0] | 0;
          H8[(op + 10) | 0] = H8[(m + 10) | 0] | 0;
          H8[(op + 11) | 0] = H8[(m + 11) | 0] | 0;
          H8[(op + 12) | 0] = H8[(m + 12) | 0] | 0;
          H8[(op + 13) | 0] = H8[(m + 13) | 0] | 0;
          H8[(op + 14) | 0] = H8[(m + 14) | 0] | 0;
          H8[(op + 15) | 0] = H8[(m + 15) | 0] | 0;
        }
      } else {
        copy(op, m, ml);
      }
      op = (op + ml) | 0;
    }
    return 0;
  }

  return { decode: decode };
}
`;

interface Lz4Kernel {
  decode(ip: number, iend: number, ob: number, oend: number): number;
}

/** A decode kernel with its heap: results at 0..11, block at BLOCK_AT, output after the block. */
interface Lz4Engine {
  name: 'wasm' | 'asm.js';
  kernel: Lz4Kernel;
  h8: Uint8Array;
  h32: Int32Array;
  /** makes the heap hold at least `bytes` (views and kernel may be replaced) */
  ensure(bytes: number): void;
}

const BLOCK_AT = 64;

/** The asm.js kernel: the fallback where WebAssembly (with SIMD and bulk memory) is unavailable. */
function asmEngine(): Lz4Engine {
  const e: Lz4Engine = {
    name: 'asm.js',
    kernel: null as unknown as Lz4Kernel,
    h8: new Uint8Array(0),
    h32: new Int32Array(0),
    ensure(bytes: number): void {
      if (e.h8.byteLength >= bytes) return;
      // asm.js wants a power of two (or 16 MiB multiples)
      let size = 1 << 17;
      while (size < bytes && size < 1 << 24) size *= 2;
      if (size < bytes) size = Math.ceil(bytes / (1 << 24)) * (1 << 24);
      const heap = new ArrayBuffer(size);
      e.h8 = new Uint8Array(heap);
      e.h32 = new Int32Array(heap);
      const factory = new Function(`${KERNEL_SOURCE}\nreturn lz4Kernel;`)() as (stdlib: unknown, foreign: unknown, heap: ArrayBuffer) => Lz4Kernel;
      e.kernel = factory(globalThis, null, heap);
    },
  };
  e.ensure(1);
  return e;
}

/** The WebAssembly kernel (core/codecs/lz4-wasm/lz4.wat), or null where it cannot be compiled. */
function wasmEngine(): Lz4Engine | null {
  let instance: WebAssembly.Instance;
  try {
    const bytes = Uint8Array.from(atob(LZ4_WASM_BASE64), (c) => c.charCodeAt(0));
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  } catch {
    return null;
  }
  const mem = instance.exports.mem as WebAssembly.Memory;
  const e: Lz4Engine = {
    name: 'wasm',
    kernel: instance.exports as unknown as Lz4Kernel,
    h8: new Uint8Array(mem.buffer),
    h32: new Int32Array(mem.buffer),
    ensure(bytes: number): void {
      if (e.h8.byteLength >= bytes) return;
      mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
      e.h8 = new Uint8Array(mem.buffer);
      e.h32 = new Int32Array(mem.buffer);
    },
  };
  return e;
}

let engines: { wasm: Lz4Engine | null; asm: Lz4Engine | null } | null = null;

function engine(which?: 'wasm' | 'asm.js'): Lz4Engine {
  engines ??= { wasm: wasmEngine(), asm: null };
  if (which !== 'asm.js' && engines.wasm) return engines.wasm;
  if (which === 'wasm') throw new Error('the WebAssembly LZ4 kernel cannot be compiled on this platform');
  return (engines.asm ??= asmEngine());
}

/** Which kernel lz4DecodeBlock uses here ('wasm', or 'asm.js' where WebAssembly SIMD is missing). */
export function lz4Kernel(): 'wasm' | 'asm.js' {
  return engine().name;
}

/**
 * Decodes a bare LZ4 block that must expand to exactly dst.length bytes. Every length and offset is
 * checked before use, so a damaged block throws CodecError and never reads or writes out of bounds;
 * dst is written only when the whole block decoded. `kernel` forces one implementation (tests and
 * benchmarks compare them); by default the fastest available runs.
 */
export function lz4DecodeBlock(src: Uint8Array, dst: Uint8Array, kernel?: 'wasm' | 'asm.js'): void {
  const n = src.length;
  const outLen = dst.length;
  const ob = BLOCK_AT + n;
  const e = engine(kernel);
  e.ensure(ob + outLen + 32);
  const h8 = e.h8;
  h8.set(src, BLOCK_AT);
  const code = e.kernel.decode(BLOCK_AT, ob, ob, ob + outLen);
  if (code === 0) {
    dst.set(h8.subarray(ob, ob + outLen));
    return;
  }
  const h32 = e.h32;
  const pos = h32[0]! - BLOCK_AT;
  const op = h32[1]! - ob;
  const val = h32[2]!;
  switch (code) {
    case 1:
      throw new CodecError('lz4', 'token', pos, `block ends at byte ${n} where a sequence token was expected (output ${op} of ${outLen} bytes)`);
    case 2:
      throw new CodecError('lz4', 'literal length', pos, 'block ends inside a literal length');
    case 3:
      throw new CodecError('lz4', 'literals', pos, `${val} literals run past the block end (${n - pos} bytes left)`);
    case 4:
      throw new CodecError('lz4', 'literals', pos, `${val} literals overflow the ${outLen}-byte output at output offset ${op}`);
    case 5:
      throw new CodecError('lz4', 'end of block', pos, `block decodes to ${op} bytes, expected ${outLen}`);
    case 6:
      throw new CodecError('lz4', 'match offset', pos, 'block ends inside a match offset');
    case 7:
      throw new CodecError('lz4', 'match offset', pos, 'match offset 0');
    case 8:
      throw new CodecError('lz4', 'match offset', pos, `match offset ${val} reaches before the start of the output (output offset ${op})`);
    case 9:
      throw new CodecError('lz4', 'match length', pos, 'block ends inside a match length');
    default:
      throw new CodecError('lz4', 'match', pos, `${val}-byte match overflows the ${outLen}-byte output at output offset ${op}`);
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
