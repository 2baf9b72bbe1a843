// Every case of test/fixtures/vectors/manifest.json, against Apple's own encoder output.
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../core/errors';
import { lz4DecodeBlock, lz4EncodeBlock } from '../../core/codecs/lz4';
import { decodePage } from '../../core/codecs/page';
import { singleValueOf, wkdmCompress, wkdmDecompress } from '../../core/codecs/wkdm';
import { dictPresetOf, manifest, sha256, vectorFile, wkdmVariantOf, type VectorCase } from './vectors';

const wkdm = manifest.filter((c) => c.codec === 'wkdm' && !c.corrupt);
const corrupt = manifest.filter((c) => c.corrupt);
const lz4 = manifest.filter((c) => c.codec === 'lz4');

// Where each kind of damage must be reported (area, byte offset), by case name without variant.
const CORRUPT_EXPECT: Record<string, { codec: string; area: string; offset?: number }> = {
  'corrupt-truncated-half': { codec: 'wkdm', area: 'header word 0', offset: 0 },
  'corrupt-truncated-in-tags': { codec: 'wkdm', area: 'tags area', offset: 140 },
  'corrupt-header-end-past-stream': { codec: 'wkdm', area: 'header word 2', offset: 8 },
  'corrupt-header-qpos-past-stream': { codec: 'wkdm', area: 'header word 0', offset: 0 },
  'corrupt-header-decreasing': { codec: 'wkdm', area: 'header word 1', offset: 4 },
  'corrupt-header-inside-tags': { codec: 'wkdm', area: 'header word 0', offset: 0 },
  'corrupt-short-8-bytes': { codec: 'wkdm', area: 'header', offset: 8 },
  'corrupt-empty': { codec: 'wkdm', area: 'header', offset: 0 },
  'corrupt-tags-exceed-full-patterns': { codec: 'wkdm', area: 'full-pattern area', offset: 268 },
  'corrupt-mzv-bad-length': { codec: 'mzv', area: 'mzv record', offset: 16 },
  'corrupt-mzv-offset-out-of-page': { codec: 'mzv', area: 'mzv record', offset: 8 },
  'corrupt-mzv-offset-straddles-end': { codec: 'mzv', area: 'mzv record', offset: 8 },
  'corrupt-mzv-offset-unaligned': { codec: 'mzv', area: 'mzv record', offset: 8 },
};

describe('manifest', () => {
  it('holds the 430 cases the README describes', () => {
    expect(manifest.length).toBe(430);
    expect(wkdm.length).toBe(307);
    expect(corrupt.length).toBe(22);
    expect(lz4.length).toBe(101);
  });
});

describe('WKdm vectors: decode', () => {
  const withStream = wkdm.filter((c) => (c.returnValue ?? 0) > 0);
  it.each(withStream.map((c) => [c.name, c] as const))('%s decodes to the expected page', (_n, c: VectorCase) => {
    const stream = vectorFile(c.compressed!);
    expect(stream.length).toBe(c.returnValue);
    const page = new Uint8Array(c.pageSize);
    wkdmDecompress(stream, page, { pageSize: c.pageSize, dictPreset: dictPresetOf(c) });
    expect(sha256(page)).toBe(c.expectedSha256);
    expect(Buffer.from(page).equals(Buffer.from(vectorFile(c.input!)))).toBe(true);
  });
});

describe('WKdm vectors: compress', () => {
  it.each(wkdm.map((c) => [c.name, c] as const))('%s compresses to the stored bytes and return value', (_n, c: VectorCase) => {
    const page = vectorFile(c.input!);
    const out = new Uint8Array(c.pageSize + 2048);
    const r = wkdmCompress(page, out, { pageSize: c.pageSize, variant: wkdmVariantOf(c), budget: c.budget ?? undefined });
    expect(r).toBe(c.returnValue);
    if (r > 0) {
      expect(Buffer.from(out.subarray(0, r)).equals(Buffer.from(vectorFile(c.compressed!)))).toBe(true);
    }
  });

  it('single-value pages (return 0) are the repeated value, and decode as single-value slots', () => {
    const cases = wkdm.filter((c) => c.returnValue === 0);
    expect(cases.length).toBe(8);
    for (const c of cases) {
      const page = vectorFile(c.input!);
      const v = singleValueOf(page);
      expect(v).not.toBeNull();
      const slot = new Uint8Array(4);
      new DataView(slot.buffer).setUint32(0, v!, true);
      const back = new Uint8Array(c.pageSize);
      decodePage('single', slot, back, { pageSize: c.pageSize, dictPreset: 0 });
      expect(sha256(back)).toBe(c.expectedSha256);
    }
  });

  it('incompressible pages (return -1) are kept raw and decode as raw slots', () => {
    const cases = wkdm.filter((c) => c.returnValue === -1);
    expect(cases.length).toBe(70);
    for (const c of cases) {
      const page = vectorFile(c.input!);
      const back = new Uint8Array(c.pageSize);
      decodePage('raw', page, back, { pageSize: c.pageSize, dictPreset: dictPresetOf(c) });
      expect(sha256(back)).toBe(c.expectedSha256);
      expect(singleValueOf(page)).toBeNull();
    }
  });

  it('the default budget is page size - 4 (what the vectors use)', () => {
    for (const c of wkdm.filter((x) => x.budget === x.pageSize - 4)) {
      const out = new Uint8Array(c.pageSize + 2048);
      expect(wkdmCompress(vectorFile(c.input!), out, { pageSize: c.pageSize, variant: wkdmVariantOf(c) })).toBe(c.returnValue);
    }
  });
});

describe('WKdm vectors: corrupt streams', () => {
  it('every corrupt case has an expectation', () => {
    for (const c of corrupt) expect(CORRUPT_EXPECT[c.name.replace(/\.[^.]+$/, '')], c.name).toBeDefined();
  });
  it.each(corrupt.map((c) => [c.name, c] as const))('%s throws CodecError naming the damaged area', (_n, c: VectorCase) => {
    const exp = CORRUPT_EXPECT[c.name.replace(/\.[^.]+$/, '')]!;
    const stream = vectorFile(c.compressed!);
    const page = new Uint8Array(c.pageSize).fill(0xa5);
    let err: unknown;
    try {
      wkdmDecompress(stream, page, { pageSize: c.pageSize, dictPreset: dictPresetOf(c) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecError);
    const ce = err as CodecError;
    expect(ce.code).toBe('CORRUPT_STREAM');
    expect(ce.codec).toBe(exp.codec);
    expect(ce.area).toBe(exp.area);
    if (exp.offset !== undefined) expect(ce.offset).toBe(exp.offset);
    expect(ce.message).toContain(exp.area);
    // nothing is published from a stream that fails
    expect(page.every((b) => b === 0xa5)).toBe(true);
  });
});

describe('LZ4 vectors', () => {
  const blocks = lz4.filter((c) => (c.returnValue ?? 0) > 0);
  it.each(blocks.map((c) => [c.name, c] as const))('%s decodes to the expected page', (_n, c: VectorCase) => {
    const block = vectorFile(c.compressed!);
    expect(block.length).toBe(c.returnValue);
    const page = new Uint8Array(c.pageSize);
    lz4DecodeBlock(block, page);
    expect(sha256(page)).toBe(c.expectedSha256);
    expect(Buffer.from(page).equals(Buffer.from(vectorFile(c.input!)))).toBe(true);
  });

  it('the xnu encoder cases that did not fit (return 0) have no block', () => {
    const none = lz4.filter((c) => c.returnValue === 0);
    expect(none.length).toBe(2);
    for (const c of none) expect(c.compressed).toBeNull();
  });

  it('our encoder round-trips every LZ4 input page', () => {
    const inputs = [...new Set(lz4.map((c) => c.input!))];
    const out = new Uint8Array(20000);
    for (const rel of inputs) {
      const page = vectorFile(rel);
      const n = lz4EncodeBlock(page, out);
      expect(n).toBeGreaterThan(0);
      const back = new Uint8Array(page.length);
      lz4DecodeBlock(out.subarray(0, n), back);
      expect(Buffer.from(back).equals(Buffer.from(page))).toBe(true);
    }
  });
});

describe('WKdm decode: buffers at any offset', () => {
  const sample = wkdm.filter((c) => (c.returnValue ?? 0) > 0 && c.category === 'real-file').slice(0, 6);
  it('reads an unaligned stream and writes into an unaligned page view', () => {
    for (const c of sample) {
      const stream = vectorFile(c.compressed!);
      for (const shift of [1, 2, 3]) {
        const srcBuf = new Uint8Array(stream.length + shift);
        srcBuf.set(stream, shift);
        const dstBuf = new Uint8Array(c.pageSize + 8).fill(0x5a);
        const page = dstBuf.subarray(shift, shift + c.pageSize);
        wkdmDecompress(srcBuf.subarray(shift), page, { pageSize: c.pageSize, dictPreset: dictPresetOf(c) });
        expect(sha256(page)).toBe(c.expectedSha256);
        expect(dstBuf.subarray(0, shift).every((b) => b === 0x5a)).toBe(true);
        expect(dstBuf.subarray(shift + c.pageSize).every((b) => b === 0x5a)).toBe(true);
      }
    }
  });

  it('compresses from an unaligned page view into an unaligned output view', () => {
    for (const c of sample) {
      const page = vectorFile(c.input!);
      const srcBuf = new Uint8Array(page.length + 3);
      srcBuf.set(page, 3);
      const outBuf = new Uint8Array(c.pageSize + 16);
      const r = wkdmCompress(srcBuf.subarray(3), outBuf.subarray(1), { pageSize: c.pageSize, variant: wkdmVariantOf(c) });
      expect(r).toBe(c.returnValue);
      expect(Buffer.from(outBuf.subarray(1, 1 + r)).equals(Buffer.from(vectorFile(c.compressed!)))).toBe(true);
    }
  });

  it('decodes a standard stream with trailing bytes after the low-bits area', () => {
    const c = sample[0]!;
    const stream = vectorFile(c.compressed!);
    const padded = new Uint8Array(stream.length + 3);
    padded.set(stream);
    const page = new Uint8Array(c.pageSize);
    wkdmDecompress(padded, page, { pageSize: c.pageSize, dictPreset: dictPresetOf(c) });
    expect(sha256(page)).toBe(c.expectedSha256);
  });
});

describe('dictionary preset', () => {
  it('10.11+ streams decode identically with either preset; some 10.9 streams need preset 1', () => {
    const modern = wkdm.filter((c) => (c.returnValue ?? 0) > 0 && c.dictPreset === 0);
    const page = new Uint8Array(16384);
    for (const c of modern) {
      const stream = vectorFile(c.compressed!);
      if (stream[0] === 0x21 && stream[1] === 0x43 && stream[2] === 0 && stream[3] === 0) continue; // MZV
      const p = page.subarray(0, c.pageSize);
      wkdmDecompress(stream, p, { pageSize: c.pageSize, dictPreset: 1 });
      expect(sha256(p)).toBe(c.expectedSha256);
    }
    const old = wkdm.filter((c) => (c.returnValue ?? 0) > 0 && c.dictPreset === 1);
    let differs = 0;
    for (const c of old) {
      const p = page.subarray(0, c.pageSize);
      wkdmDecompress(vectorFile(c.compressed!), p, { pageSize: c.pageSize, dictPreset: 0 });
      if (sha256(p) !== c.expectedSha256) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('MZV is only accepted when allowed (10.11+ by default)', () => {
    const c = wkdm.find((x) => x.name === '4k-sparse-002.11417')!;
    const stream = vectorFile(c.compressed!);
    const page = new Uint8Array(4096);
    wkdmDecompress(stream, page, { pageSize: 4096, dictPreset: 0 });
    expect(sha256(page)).toBe(c.expectedSha256);
    expect(() => wkdmDecompress(stream, page, { pageSize: 4096, dictPreset: 1 })).toThrow(CodecError);
    wkdmDecompress(stream, page.fill(1), { pageSize: 4096, dictPreset: 1, allowMzv: true });
    expect(sha256(page)).toBe(c.expectedSha256);
  });
});
