// Swap encryption of the VM compressor (process-memory §6): which cipher a kernel used, reading its
// keys from the memory image, and decrypting one segment chunk (a swap-file chunk, or a buffer the
// kernel encrypted in place while writing it out). The ciphertext carries no MAC: callers must judge
// the plaintext themselves (core/darwin/sealed.ts) before believing it.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { UnfoldError } from '../errors';
import type { SymbolTable } from '../symbols/types';
import type { VirtualSpace } from '../translate/types';
import { SWAP_CIPHER_ERAS } from './swap-eras';

export { SWAP_CIPHER_ERAS };

export type SwapCipherName = (typeof SWAP_CIPHER_ERAS)[number]['cipher'];

/** key material as plain data (hex), so it can travel to worker threads with a job */
export type SwapCipher =
  | { name: 'aes-128-cbc'; key: string }
  | { name: 'aes-256-xts'; key1: string; key2: string }
  /** swap encryption never initialised since boot: chunks are tried as they are */
  | { name: 'none' };

export interface SwapKeys {
  cipher: SwapCipher | null;
  /** symbols the keys were read from */
  symbols: string[];
  /** why there is no cipher, or what is odd about it */
  problem?: string;
}

const hex = (v: bigint) => '0x' + v.toString(16);

/**
 * The swap cipher of this kernel and its keys, read by symbol from the image. Never throws on bad
 * data: a missing symbol or an unreadable key is a `problem` and `cipher: null`.
 */
export function readSwapKeys(space: VirtualSpace, symbols: SymbolTable, slide: bigint, darwinMajor: number): SwapKeys {
  const era = SWAP_CIPHER_ERAS.find((e) => darwinMajor >= e.fromDarwin && darwinMajor <= e.toDarwin);
  if (!era) return { cipher: null, symbols: [], problem: `Darwin ${darwinMajor} predates the VM compressor's swap encryption` };
  const names = era.keys.map((k) => k.symbol);
  const missing = names.filter((n) => !symbols.hasSymbol(n));
  if (missing.length > 0) {
    return { cipher: null, symbols: names, problem: `the symbol table has no ${missing.join(', ')}: the swap encryption keys (${era.cipher}) cannot be read` };
  }
  const at = (n: string) => symbols.symbolAddress(n)! + slide;
  try {
    const keys = era.keys.map((k) => Buffer.from(space.read(at(k.symbol), k.use)).toString('hex'));
    // boolean_t before 10.14, bool-sized reads work for both: the low byte of a little-endian int.
    // Without the flag's symbol the keys are still tried: every segment is judged before it is believed.
    const init = symbols.hasSymbol(era.initialized) ? space.read(at(era.initialized), 1)[0]! : 1;
    if (init === 0) {
      return {
        cipher: { name: 'none' },
        symbols: names,
        problem: `${era.initialized} is 0: swap encryption was never set up since boot, so chunks are read as stored`,
      };
    }
    if (keys.every((k) => /^0+$/.test(k))) {
      return { cipher: null, symbols: names, problem: `${names.join(' and ')} read as all zero although ${era.initialized} is set: the keys are not usable` };
    }
    if (era.cipher === 'aes-128-cbc') return { cipher: { name: 'aes-128-cbc', key: keys[0]! }, symbols: names };
    return { cipher: { name: 'aes-256-xts', key1: keys[0]!, key2: keys[1]! }, symbols: names };
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
    return { cipher: null, symbols: names, problem: `swap encryption keys at ${names.map((n) => `${n} ${hex(at(n))}`).join(', ')}: ${err.message}` };
  }
}

/** the 16-byte block both eras derive their IV/tweak from: the c_segment's address, then 8 zeros */
function addressBlock(segVa: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt.asUintN(64, segVa), 0);
  return b;
}

// swap_crypt_null_iv: 0x0a then fifteen zeros
const NULL_IV = Buffer.from([0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** 10.9–10.13: the per-segment CBC IV, one AES-128-CBC encryption of the address block under the null IV */
export function cbcSegmentIv(key: Buffer, segVa: bigint): Buffer {
  const c = createCipheriv('aes-128-cbc', key, NULL_IV);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(addressBlock(segVa)), c.final()]);
}

/**
 * Decrypt one chunk in place (`data.length` a multiple of 16). The whole chunk is one CBC message,
 * or one XTS data unit: OpenSSL restarts the tweak on every update(), so XTS gets it in a single call.
 */
export function decryptChunk(cipher: SwapCipher, segVa: bigint, data: Uint8Array): void {
  if (cipher.name === 'none' || data.length === 0) return;
  if (data.length % 16 !== 0) throw new RangeError(`swap chunk of ${data.length} bytes is not a whole number of AES blocks`);
  let d;
  if (cipher.name === 'aes-128-cbc') {
    const key = Buffer.from(cipher.key, 'hex');
    d = createDecipheriv('aes-128-cbc', key, cbcSegmentIv(key, segVa));
  } else {
    d = createDecipheriv('aes-256-xts', Buffer.from(cipher.key1 + cipher.key2, 'hex'), addressBlock(segVa));
  }
  d.setAutoPadding(false);
  const plain = d.update(data);
  data.set(plain);
  const tail = d.final();
  if (tail.length > 0) data.set(tail, plain.length);
}

/** what a person reads about a cipher (no key material) */
export function describeCipher(c: SwapCipher | null): string {
  if (!c) return 'no keys';
  if (c.name === 'none') return 'not encrypted (swap encryption never initialised)';
  return c.name === 'aes-128-cbc' ? 'AES-128-CBC (swap_crypt_key)' : 'AES-XTS-256 (swap_crypt_key1, swap_crypt_key2)';
}
