// The reader's decryption (Node's createDecipheriv) against the builder's hand-made ciphers (single
// AES blocks chained by hand): CBC with the per-segment IV, XTS as one data unit over a whole chunk.
import { describe, it, expect } from 'vitest';
import { createDecipheriv } from 'node:crypto';
import { decryptChunk, cbcSegmentIv } from '../../core/darwin/swap-crypto';
import { encryptCbc, encryptXts, makeKeys } from '../../core/synth/swap';
import { randomPage } from '../../core/synth/compressor';
import { chunkLength } from '../../core/darwin/swap-plan';
import type { SegmentPlan } from '../../core/darwin/compressor';

const segVa = 0xffffff80_1234_5670n;

describe('swap chunk decryption', () => {
  it('AES-128-CBC: decrypts what the kernel-style encryption wrote, with only the first 16 key bytes', () => {
    const k = makeKeys('cbc', 1);
    const plain = randomPage(3, 3 * 4096);
    const enc = encryptCbc(k.key.subarray(0, 16), segVa, plain);
    expect(Buffer.from(enc).equals(Buffer.from(plain))).toBe(false);
    const buf = enc.slice();
    decryptChunk({ name: 'aes-128-cbc', key: Buffer.from(k.key.subarray(0, 16)).toString('hex') }, segVa, buf);
    expect(Buffer.from(buf).equals(Buffer.from(plain))).toBe(true);
    // another c_segment address: the IV differs, so the first block comes out wrong (and only it)
    const other = enc.slice();
    decryptChunk({ name: 'aes-128-cbc', key: Buffer.from(k.key.subarray(0, 16)).toString('hex') }, segVa + 0x100n, other);
    expect(Buffer.from(other.subarray(0, 16)).equals(Buffer.from(plain.subarray(0, 16)))).toBe(false);
    expect(Buffer.from(other.subarray(16)).equals(Buffer.from(plain.subarray(16)))).toBe(true);
    expect(cbcSegmentIv(Buffer.from(k.key.subarray(0, 16)), segVa).length).toBe(16);
  });

  it('AES-XTS-256: the whole 256 KiB chunk is one data unit, decrypted in one update()', () => {
    const k = makeKeys('xts', 2);
    const plain = randomPage(4, 256 * 1024);
    const enc = encryptXts(k.key.subarray(0, 32), k.key.subarray(32), segVa, plain);
    const buf = enc.slice();
    decryptChunk({ name: 'aes-256-xts', key1: Buffer.from(k.key.subarray(0, 32)).toString('hex'), key2: Buffer.from(k.key.subarray(32)).toString('hex') }, segVa, buf);
    expect(Buffer.from(buf).equals(Buffer.from(plain))).toBe(true);
    // split in two update() calls, OpenSSL restarts the tweak: the second half is not the plaintext
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64LE(segVa);
    const d = createDecipheriv('aes-256-xts', Buffer.from(k.key), iv);
    const a = d.update(enc.subarray(0, 4096));
    const b = d.update(enc.subarray(4096, 8192));
    expect(a.equals(Buffer.from(plain.subarray(0, 4096)))).toBe(true);
    expect(b.equals(Buffer.from(plain.subarray(4096, 8192)))).toBe(false);
  });
});

describe('swap chunk length', () => {
  const seg = (populatedOffset: number, nextOffset: number) => ({ summary: { populatedOffset, nextOffset } }) as unknown as SegmentPlan;
  it('is round_page(c_populated_offset × 4), within the segment size; c_nextoffset when populated reads 0', () => {
    expect(chunkLength(seg(3 * 4096, 10000), 4096, 256 * 1024)).toBe(3 * 4096);
    expect(chunkLength(seg(5000, 4000), 4096, 256 * 1024)).toBe(8192);
    expect(chunkLength(seg(0, 5000), 16384, 64 * 1024)).toBe(16384);
    expect(chunkLength(seg(300 * 1024, 300 * 1024), 4096, 256 * 1024)).toBe(256 * 1024);
  });
});
