// Swapped-out segments read back from swap files, and buffers encrypted in place decrypted, with the
// keys in the memory image — for both cipher eras (AES-128-CBC up to 10.13, AES-XTS-256 from
// 10.14), 4 KiB and 16 KiB pages. Every expected page hash comes from the builder's inputs (the
// source pages), the swap files from the builder's own hand-made CBC/XTS, never from the reader.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { saveSynthImage, buildScenario } from '../../core/synth/scenarios';
import { buildSwapScenario, encryptChunk, writeSwapFiles, SWAP_SCENARIOS, type SwapScenario } from '../../core/synth/swap';
import type { SlotRecord } from '../../core/darwin/types';

const dir = mkdtempSync(path.join(tmpdir(), 'unfold-swap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (v: number) => '0x' + v.toString(16);
const CODEC = new Set(['wkdm', 'mzv', 'lz4']);
const UNVERIFIABLE = 'no WKdm, MZV or LZ4 slot to check the decryption against (only raw or single-value slots)';

interface Saved {
  s: SwapScenario;
  image: string;
  isf: string;
  root: string;
  good: string;
}

async function save(name: string): Promise<Saved> {
  const s = buildSwapScenario(name);
  const base = path.join(dir, name);
  mkdirSync(path.join(base, 'good'), { recursive: true });
  const { imagePath, isfPath } = await saveSynthImage(s.image, base, 'image');
  await writeSwapFiles(s.files, s.fileBytes, path.join(base, 'good'));
  return { s, image: imagePath, isf: isfPath, root: s.files[0]!.path.replace(/\/swapfile0$/, ''), good: path.join(base, 'good') };
}

/** [segment, slot, kind, sha256, source, swapFile, swapOffset, error] of every live slot */
function rows(c: Case): unknown[][] {
  return [...c.allSlots({ hashes: true })].map((r: SlotRecord) => [r.segment, r.slot, r.kind, r.sha256 ?? null, r.source ?? null, r.swapFile ?? null, r.swapOffset ?? null, r.error ?? null]);
}

/**
 * What a correct reader gives, from the builder's truth: `files` maps swp_index → the path given
 * for an intact file; segments 1–4 live in files 1 and 2, segment 5 in the missing file 3.
 */
function expected(v: Saved, files: Map<number, string>): unknown[][] {
  const { truth } = v.s;
  return truth.slots.map((t) => {
    const seg = truth.segments.find((x) => x.index === t.segment)!;
    if (seg.resident) return [t.segment, t.slot, t.kind, t.sha256 ?? null, null, null, null, null];
    if (seg.possiblyEncrypted) return [t.segment, t.slot, t.sealedKind, t.sealedSha256, 'decrypted', null, null, null];
    const f = files.get(seg.swap!.fileIndex);
    if (t.segment === 3) return [t.segment, t.slot, 'swapped', null, null, null, null, `segment 3 slot ${t.slot}: ${UNVERIFIABLE}`];
    if (!f) {
      return [t.segment, t.slot, 'swapped', null, null, null, null, `segment ${t.segment} slot ${t.slot}: swapped out to ${v.root}/swapfile${seg.swap!.fileIndex - 1} at ${hex(seg.swap!.offset)}, which was not given`];
    }
    return [t.segment, t.slot, t.sealedKind, t.sealedSha256, 'swap', f, hex(seg.swap!.offset), null];
  });
}

describe.each(Object.keys(SWAP_SCENARIOS))('%s', (name) => {
  let v: Saved;
  beforeAll(async () => {
    v = await save(name);
  });

  it('the scenario holds every case: codec, raw and single slots swapped out, a sparse segment, an encrypted buffer in RAM', () => {
    const t = v.s.truth;
    const sealedKinds = new Set(t.slots.filter((x) => x.sealedKind).map((x) => x.sealedKind));
    for (const k of ['wkdm', 'mzv', 'raw', 'single']) expect(sealedKinds.has(k as never), k).toBe(true);
    if (v.s.def.arch === 'arm64') expect(sealedKinds.has('lz4')).toBe(true);
    expect(t.counts.byState).toMatchObject({ C_ON_SWAPPEDOUT_Q: 4, C_ON_SWAPPEDOUTSPARSE_Q: 1 });
    expect(t.segments.find((s) => s.index === 6)!.possiblyEncrypted).toBe(true);
  });

  for (const threads of [0, 2]) {
    it(`with the swap folder (${threads ? 'worker threads' : 'inline'}): every page's SHA-256, source, file and offset`, async () => {
      const c = await openCase(v.image, { symbols: v.isf, threads, swap: [v.good] });
      try {
        const files = new Map([
          [1, path.join(v.good, 'swapfile0')],
          [2, path.join(v.good, 'swapfile1')],
        ]);
        expect(rows(c)).toEqual(expected(v, files));
        expect(c.swapProblems()).toEqual([
          `swap file ${v.root}/swapfile2 (index 3) was not given: 1 swapped-out segment(s) in it stay unread`,
          `segment 3: swapped-out segment not decoded: ${UNVERIFIABLE}`,
        ]);
        // hashed only when asked (info, export), like the image
        expect(c.info.swap.files.map((f) => f.sha256)).toEqual([null, null]);
        expect(await c.swapFilesHashed()).toEqual([
          { path: files.get(1), index: 1, kernelPath: `${v.root}/swapfile0`, size: v.s.fileBytes.get(1)!.length, sha256: sha(v.s.fileBytes.get(1)!), segments: 2 },
          { path: files.get(2), index: 2, kernelPath: `${v.root}/swapfile1`, size: v.s.fileBytes.get(2)!.length, sha256: sha(v.s.fileBytes.get(2)!), segments: 1 },
        ]);
        expect(c.info.swap.cipher).toBe(v.s.def.era === 'cbc' ? 'AES-128-CBC (swap_crypt_key)' : 'AES-XTS-256 (swap_crypt_key1, swap_crypt_key2)');
        // the counts by kind include the pages read from swap
        const byKind: Record<string, number> = {};
        for (const r of expected(v, files)) byKind[r[2] as string] = (byKind[r[2] as string] ?? 0) + 1;
        expect(c.info.compressor.slots).toEqual(byKind);

        // a page read back alone is the true page (judged with its whole segment)
        for (const n of ['swap-heap', 'sparse-text', 'busy-heap']) {
          const t = v.s.truth.byName[n]!;
          const p = c.page(t.segment, t.slot);
          expect(sha(p.page!), n).toBe(t.sealedSha256);
          expect(p.compressed!.length).toBe(t.compressedSize);
        }
        expect(c.page(3, 0).page).toBeNull();

        // search reaches pages that only exist in the swap file
        const t = v.s.truth.byName['swap-heap']!;
        const needle = Buffer.from(t.page!.subarray(24, 40)).toString('hex');
        const hits: Array<{ segment: number; slot: number; offset: number }> = [];
        await c.search({ hex: [needle] }, { onHit: (h) => hits.push(h) });
        expect(hits).toContainEqual(expect.objectContaining({ segment: t.segment, slot: t.slot, offset: 24 }));
      } finally {
        await c.close();
      }
    });
  }

  it('a chunk since reused by another segment is refused as a whole; the other segments of the file decode', async () => {
    const reused = path.join(dir, name, 'reused');
    mkdirSync(reused, { recursive: true });
    const f1 = v.s.fileBytes.get(1)!.slice();
    const seg1 = v.s.truth.segments.find((x) => x.index === 1)!;
    const seg2 = v.s.truth.segments.find((x) => x.index === 2)!;
    // the kernel wrote segment 2's chunk (under segment 2's address) where segment 1's had been
    f1.fill(0, seg1.swap!.offset, seg1.swap!.offset + seg1.plain!.length);
    f1.set(encryptChunk(v.s.keys, seg2.va, seg2.plain!), seg1.swap!.offset);
    writeFileSync(path.join(reused, 'swapfile0'), f1);
    writeFileSync(path.join(reused, 'swapfile1'), v.s.fileBytes.get(2)!);
    const c = await openCase(v.image, { symbols: v.isf, threads: 0, swap: [reused] });
    try {
      const codec = v.s.truth.slots.filter((t) => t.segment === 1 && CODEC.has(t.sealedKind ?? '')).length;
      const p = c.swapProblems().filter((x) => x.startsWith('segment 1:'));
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(new RegExp(`^segment 1: swapped-out segment not decoded: \\d+ of ${codec} compressed slots do not decode as their metadata says after decryption`));
      for (const r of c.slots(1, { hashes: true })) {
        expect(r.kind).toBe('swapped');
        expect(r.sha256).toBeUndefined();
      }
      const files = new Map([
        [1, path.join(reused, 'swapfile0')],
        [2, path.join(reused, 'swapfile1')],
      ]);
      const others = expected(v, files).filter((r) => r[0] !== 1);
      expect(rows(c).filter((r) => r[0] !== 1)).toEqual(others);
    } finally {
      await c.close();
    }
  });

  it('a file from another boot, a truncated file, an unrelated file and a path that does not exist: each named, the rest decodes', async () => {
    const bad = path.join(dir, name, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'swapfile0'), v.s.otherBoot.get(1)!);
    const seg4 = v.s.truth.segments.find((s) => s.index === 4)!;
    const cut = seg4.swap!.offset + 100;
    writeFileSync(path.join(bad, 'swapfile1'), v.s.fileBytes.get(2)!.subarray(0, cut));
    writeFileSync(path.join(bad, 'README.txt'), 'case notes\n');
    const nowhere = path.join(dir, 'no-such-swapfile');
    const c = await openCase(v.image, { symbols: v.isf, threads: 0, swap: [bad, nowhere] });
    try {
      const codecSlots = (seg: number) => v.s.truth.slots.filter((t) => t.segment === seg && CODEC.has(t.sealedKind ?? '')).length;
      const p = c.swapProblems();
      expect(p.slice(0, 3)).toEqual([
        `swap file ${nowhere} does not exist`,
        `1 file(s) given as swap files are not among the swap files this kernel lists (swapfile0, swapfile1, swapfile2), ignored: ${path.join(bad, 'README.txt')}`,
        `swap file ${v.root}/swapfile2 (index 3) was not given: 1 swapped-out segment(s) in it stay unread`,
      ]);
      const wrong = (seg: number) =>
        new RegExp(
          `^segment ${seg}: swapped-out segment not decoded: ${codecSlots(seg)} of ${codecSlots(seg)} compressed slots do not decode as their metadata says after decryption \\(first: slot \\d+: .+\\): the wrong key, a swap file from another boot or machine, or a chunk since reused$`,
        );
      expect(p[3]).toMatch(wrong(1));
      expect(p[4]).toMatch(wrong(2));
      expect(p.slice(5)).toEqual([
        `segment 3: swapped-out segment not decoded: ${UNVERIFIABLE}`,
        `segment 4: swapped-out segment not read: swap file ${path.join(bad, 'swapfile1')} ends at ${hex(cut)}, inside the ${hex(seg4.plain!.length)}-byte chunk at ${hex(seg4.swap!.offset)} (a truncated copy?)`,
        `swap file ${path.join(bad, 'swapfile0')}: no segment the image places in it decrypts to what its slot metadata describes (2 tried): the file is from another machine or another boot, or damaged`,
      ]);
      // nothing garbage gets a page hash: every slot of segments 1–5 stays 'swapped', with its reason
      for (const r of c.allSlots({ hashes: true })) {
        if (r.segment < 1 || r.segment > 5) continue;
        expect(r).toMatchObject({ kind: 'swapped' });
        expect(r.sha256).toBeUndefined();
        expect(r.source).toBeUndefined();
        expect(r.error).toMatch(new RegExp(`^segment ${r.segment} slot ${r.slot}: `));
      }
      // the resident segments and the buffer decrypted in RAM are untouched by the bad files
      const good = rows(c).filter((r) => ![1, 2, 3, 4, 5].includes(r[0] as number));
      expect(good).toEqual(expected(v, new Map()).filter((r) => ![1, 2, 3, 4, 5].includes(r[0] as number)));
      expect(c.info.swap.files.map((f) => [f.index, f.segments])).toEqual([
        [1, 0],
        [2, 0],
      ]);
    } finally {
      await c.close();
    }
  });
});

describe('a long-lived case keeping its buffers (the app)', () => {
  it('keeps the decrypted chunks: later searches, page views and exports give the same true pages', async () => {
    const v = await save('swap-10.13');
    const c = await openCase(v.image, { symbols: v.isf, threads: 2, swap: [v.good], bufferCacheBytes: 64 << 20 });
    try {
      const files = new Map([
        [1, path.join(v.good, 'swapfile0')],
        [2, path.join(v.good, 'swapfile1')],
      ]);
      expect(rows(c)).toEqual(expected(v, files));
      for (let pass = 0; pass < 2; pass++) {
        const t = v.s.truth.byName['sparse-text']!;
        const needle = Buffer.from(t.page!.subarray(100, 120)).toString('hex');
        const hits: Array<{ segment: number; slot: number; offset: number }> = [];
        await c.search({ hex: [needle] }, { onHit: (h) => hits.push(h) });
        expect(hits).toContainEqual(expect.objectContaining({ segment: t.segment, slot: t.slot, offset: 100 }));
      }
      const got = new Map<string, string>();
      for await (const { record, page } of c.pages()) if (page) got.set(`${record.segment}/${record.slot}`, sha(page));
      for (const t of v.s.truth.slots) {
        const want = t.sealedSha256 && t.segment !== 3 && t.segment !== 5 ? t.sealedSha256 : t.sha256;
        expect(got.get(`${t.segment}/${t.slot}`) ?? null, t.name).toBe(want ?? null);
      }
    } finally {
      await c.close();
    }
  });
});

describe('without swap files', () => {
  it('swapped-out segments are listed as before; the buffer encrypted in RAM is still decrypted with the image keys', async () => {
    const v = await save('swap-10.14');
    const c = await openCase(v.image, { symbols: v.isf, threads: 0 });
    try {
      for (const r of c.allSlots()) {
        const seg = v.s.truth.segments.find((s) => s.index === r.segment)!;
        if (seg.swap) expect(r).toEqual({ segment: r.segment, slot: r.slot, state: seg.stateName, kind: 'swapped', offset: r.offset, compressedSize: r.compressedSize });
      }
      const busy = v.s.truth.byName['busy-heap']!;
      expect(c.slots(6, { hashes: true }).find((r) => r.slot === busy.slot)).toMatchObject({ kind: busy.sealedKind, sha256: busy.sealedSha256, source: 'decrypted' });
      expect(c.swapProblems()).toEqual([]);
      expect(c.info.swap.files).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('keys never initialised: chunks are tried as stored, and ciphertext is refused, not decoded', async () => {
    const s = buildSwapScenario('swap-10.13', { keysInitialized: false });
    const base = path.join(dir, 'uninit');
    mkdirSync(path.join(base, 'vm'), { recursive: true });
    const { imagePath, isfPath } = await saveSynthImage(s.image, base, 'image');
    await writeSwapFiles(s.files, s.fileBytes, path.join(base, 'vm'));
    const c = await openCase(imagePath, { symbols: isfPath, threads: 0, swap: [path.join(base, 'vm')] });
    try {
      expect(c.swapProblems()).toContain('swap encryption: swap_crypt_ctx_initialized is 0: swap encryption was never set up since boot, so chunks are read as stored');
      expect(c.info.swap.cipher).toBe('not encrypted (swap encryption never initialised)');
      for (const r of c.allSlots({ hashes: true })) {
        if (r.segment === 0 || r.segment === 7) continue;
        expect(r.sha256, `segment ${r.segment} slot ${r.slot}`).toBeUndefined();
        expect(r.kind).toBe(r.segment === 6 ? 'encrypted?' : 'swapped');
      }
    } finally {
      await c.close();
    }
  });

  it('an image without swap keys keeps its encrypted buffers as encrypted?, saying why', async () => {
    const s = buildScenario('F9-x86_64');
    const { imagePath, isfPath } = await saveSynthImage(s.image, path.join(dir), 'nokeys');
    const c = await openCase(imagePath, { symbols: isfPath, threads: 0 });
    try {
      const t = s.truth.byName['swapio-heap']!;
      const r = c.slots(t.segment, { hashes: true }).find((x) => x.slot === t.slot)!;
      expect(r.kind).toBe('encrypted?');
      expect(r.sha256).toBeUndefined();
      expect(r.error).toBe(
        `segment ${t.segment} slot ${t.slot}: encrypted in place; not decrypted: the symbol table has no swap_crypt_key1, swap_crypt_key2: the swap encryption keys (aes-256-xts) cannot be read`,
      );
    } finally {
      await c.close();
    }
  });
});
