// decodePage / classifyStream: what the walker calls for each slot.
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../core/errors';
import { classifyStream, decodePage } from '../../core/codecs/page';
import * as codecs from '../../core/codecs/index';
import { manifest, sha256, vectorFile } from './vectors';

const opts4 = { pageSize: 4096, dictPreset: 0 } as const;

describe('classifyStream', () => {
  it('names raw, single-value, MZV and standard slots by length and first word', () => {
    expect(classifyStream(new Uint8Array(4096), 4096, 0)).toBe('raw');
    expect(classifyStream(new Uint8Array(16384), 16384, 1)).toBe('raw');
    expect(classifyStream(new Uint8Array(4), 4096, 0)).toBe('single');
    expect(classifyStream(new Uint8Array(4), 4096, 1)).toBe('wkdm'); // 10.9–10.10 have no 4-byte slots
    expect(classifyStream(Uint8Array.from([0x21, 0x43, 0, 0, 1, 0, 0, 0, 8, 0]), 4096, 0)).toBe('mzv');
    expect(classifyStream(Uint8Array.from([0x21, 0x43, 0, 0, 1, 0, 0, 0, 8, 0]), 4096, 1)).toBe('wkdm');
    expect(classifyStream(Uint8Array.from([0x21, 0x43, 0, 1, 1, 0, 0, 0, 8, 0]), 4096, 0)).toBe('wkdm');
    for (const c of manifest.filter((x) => x.codec === 'wkdm' && (x.returnValue ?? 0) > 0)) {
      const s = vectorFile(c.compressed!);
      const expected = c.notes?.startsWith('MZV') ? 'mzv' : 'wkdm';
      expect(classifyStream(s, c.pageSize, c.dictPreset ?? 0), c.name).toBe(expected);
    }
  });
});

describe('decodePage', () => {
  it('raw: copies the page', () => {
    const src = Uint8Array.from({ length: 4096 }, (_, i) => i * 7);
    const dst = new Uint8Array(4096);
    decodePage('raw', src, dst, opts4);
    expect(Buffer.from(dst).equals(Buffer.from(src))).toBe(true);
  });

  it('single: repeats the 32-bit value', () => {
    const dst = new Uint8Array(16384);
    decodePage('single', Uint8Array.from([1, 2, 3, 4]), dst, { pageSize: 16384, dictPreset: 0 });
    let bad = 0;
    for (let o = 0; o < 16384; o += 4) if (dst[o] !== 1 || dst[o + 1] !== 2 || dst[o + 2] !== 3 || dst[o + 3] !== 4) bad++;
    expect(bad).toBe(0);
    decodePage('single', Uint8Array.from([9, 9, 9, 9]), dst, { pageSize: 16384, dictPreset: 0 });
    expect(Buffer.from(dst).equals(Buffer.alloc(16384, 9))).toBe(true);
  });

  it('mzv, wkdm and lz4 slots decode to the vectors', () => {
    const pick = (name: string) => manifest.find((c) => c.name === name)!;
    for (const [kind, name] of [
      ['mzv', '4k-sparse-030.11417'],
      ['mzv', '16k-sparse-090.11417a64'],
      ['wkdm', '4k-heap-python-02.2422'],
      ['wkdm', '16k-real-libgnutls_a-f8000.11417a64'],
      ['lz4', '16k-kernel-pointers.lz4'],
      ['lz4', '16k-real-qemu-aarch64_be-0.xnulz4'],
    ] as const) {
      const c = pick(name);
      expect(c, name).toBeDefined();
      const dst = new Uint8Array(c.pageSize);
      decodePage(kind, vectorFile(c.compressed!), dst, { pageSize: c.pageSize, dictPreset: c.dictPreset ?? 0 });
      expect(sha256(dst), name).toBe(c.expectedSha256);
    }
  });

  it('rejects a page buffer of the wrong size, and bad slots with CodecError', () => {
    expect(() => decodePage('raw', new Uint8Array(4096), new Uint8Array(4095), opts4)).toThrow(RangeError);
    const e = (() => {
      try {
        decodePage('raw', new Uint8Array(100), new Uint8Array(4096), opts4);
      } catch (err) {
        return err as CodecError;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(CodecError);
    expect(e!.codec).toBe('raw');
  });

  it('index re-exports the public API', () => {
    expect(typeof codecs.wkdmCompress).toBe('function');
    expect(typeof codecs.wkdmDecompress).toBe('function');
    expect(typeof codecs.lz4DecodeBlock).toBe('function');
    expect(typeof codecs.lz4EncodeBlock).toBe('function');
    expect(typeof codecs.decodePage).toBe('function');
    expect(typeof codecs.classifyStream).toBe('function');
    expect(typeof codecs.singleValueOf).toBe('function');
    expect(codecs.MZV_MAGIC).toBe(0x4321);
  });
});
