// Process pages in swapped-out segments (issues 11 × 12): with the swap files given, readVirtual, vread
// and procdump serve the page's bytes from the swap file (state still "swapped", source naming file,
// chunk offset, segment and slot) and a page of a buffer encrypted in RAM once decrypted and verified
// (source "decrypted"); without them the same pages are zero-filled and named, and the counts of
// procs/maps do not change either way.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Case } from '../../core/case';
import { saveSynthImage } from '../../core/synth/scenarios';
import { buildSwapScenario, SWAP_PROC_HEAP, SWAP_PROC_PID, SWAP_WORLD_PAGES, writeSwapFiles, type SwapScenario } from '../../core/synth/swap';
import type { PageTruth } from '../../core/synth/proc-truth';
import { runCliBytes as run } from '../cli/run-in-process';

let dir: string;
let image: string;
let isf: string;
let good: string;
let s: SwapScenario;
let ps: number;
let truthPages: PageTruth[];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (v: bigint | number) => '0x' + v.toString(16);
const pageIndex = (name: (typeof SWAP_WORLD_PAGES)[number]) => SWAP_WORLD_PAGES.indexOf(name);
const vaOf = (name: (typeof SWAP_WORLD_PAGES)[number]) => SWAP_PROC_HEAP + BigInt(pageIndex(name) * ps);
const slotTruth = (name: string) => s.truth.slots.find((t) => t.name === name)!;
/** the SHA-256 of a slot's page (its plaintext page, for a sealed segment's slot) */
const slotSha = (name: string) => sha(slotTruth(name).page!);
const swapPathOf = (fileIndex: number) => path.join(good, `swapfile${fileIndex - 1}`);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-proc-swap-'));
  s = buildSwapScenario('swap-14-arm64', { processes: true });
  ps = s.truth.pageSize;
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(s.image, dir, 'img'));
  good = path.join(dir, 'vm');
  mkdirSync(good);
  await writeSwapFiles(s.files, s.fileBytes, good);
  truthPages = s.procs!.processes.find((p) => p.pid === SWAP_PROC_PID)!.regions[0]!.pages;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the swap scenario with a process', () => {
  it('maps a resident page, then pages of a resident, two swapped, an encrypted-in-RAM and a missing-file segment', () => {
    expect(truthPages.map((p) => p.state)).toEqual(['resident', 'compressed', 'swapped', 'swapped', 'swapped', 'compressed', 'swapped', 'swapped']);
    for (const n of ['swap-text', 'swap-heap', 'sparse-text', 'missing-file-text'] as const) {
      expect(truthPages[pageIndex(n)]!.sha256).toBe(slotSha(n));
      expect(slotTruth(n).sealedSha256).toBe(slotSha(n));
    }
  });
});

describe('Case.readVirtual with and without the swap files', () => {
  it('serves swapped pages from the swap file, naming file, chunk offset, segment and slot', async () => {
    const c = await Case.open(image, { symbols: isf, threads: 0, swap: [good] });
    try {
      const r = c.readVirtual(SWAP_PROC_PID, SWAP_PROC_HEAP, SWAP_WORLD_PAGES.length * ps);
      for (let i = 0; i < SWAP_WORLD_PAGES.length; i++) {
        const t = truthPages[i]!;
        const got = r.bytes.subarray(i * ps, (i + 1) * ps);
        if (SWAP_WORLD_PAGES[i] === 'missing-file-text') expect(got.every((b) => b === 0)).toBe(true);
        else expect(sha(got)).toBe(t.sha256);
      }
      const swapText = slotTruth('swap-text');
      const seg1 = s.truth.segments.find((x) => x.index === swapText.segment)!;
      expect(r.pages[pageIndex('swap-text')]).toEqual({
        va: hex(vaOf('swap-text')),
        state: 'swapped',
        object: hex(truthPages[pageIndex('swap-text')]!.object!),
        objectOffset: hex(truthPages[pageIndex('swap-text')]!.objectOffset),
        segment: swapText.segment,
        slot: swapText.slot,
        source: 'swap',
        swapFile: swapPathOf(seg1.swap!.fileIndex),
        swapOffset: hex(seg1.swap!.offset),
      });
      const sparse = slotTruth('sparse-text');
      expect(r.pages[pageIndex('sparse-text')]).toMatchObject({ state: 'swapped', segment: sparse.segment, slot: sparse.slot, source: 'swap', swapFile: swapPathOf(1), swapOffset: '0x0' });
      // the busy-swapping buffer: compressed by the kernel's account, decrypted from RAM
      expect(r.pages[pageIndex('busy-text')]).toMatchObject({ state: 'compressed', source: 'decrypted' });
      expect(r.pages[pageIndex('busy-text')]!.swapFile).toBeUndefined();
      expect(r.pages[pageIndex('resident-text')]!.source).toBeUndefined();
      const missingSeg = slotTruth('missing-file-text');
      expect(r.missing).toEqual([
        `${hex(vaOf('missing-file-text'))}: swapped out (segment ${missingSeg.segment} slot ${missingSeg.slot}): segment ${missingSeg.segment} slot ${missingSeg.slot}: swapped out to /System/Volumes/VM/swapfile2 at 0x0, which was not given`,
      ]);
      // the page counts are the kernel's, whatever files were given
      expect(c.maps(SWAP_PROC_PID)[0]!.pages).toEqual({ resident: 1, compressed: 2, single: 0, swapped: 5, absent: 0 });
    } finally {
      await c.close();
    }
  });

  it('without them: swapped pages zero-filled and named, the same counts', async () => {
    const c = await Case.open(image, { symbols: isf, threads: 0 });
    try {
      const r = c.readVirtual(SWAP_PROC_PID, vaOf('swap-text'), 2 * ps);
      expect(r.bytes.every((b) => b === 0)).toBe(true);
      expect(r.pages.map((p) => [p.state, p.source])).toEqual([
        ['swapped', undefined],
        ['swapped', undefined],
      ]);
      const a = slotTruth('swap-text');
      expect(r.missing[0]).toBe(`${hex(vaOf('swap-text'))}: swapped out (segment ${a.segment} slot ${a.slot}): its segment is in swap file /System/Volumes/VM/swapfile0 at ${hex(s.truth.segments.find((x) => x.index === a.segment)!.swap!.offset)}: give that file with --swap`);
      expect(r.missing.length).toBe(2);
      expect(c.maps(SWAP_PROC_PID)[0]!.pages).toEqual({ resident: 1, compressed: 2, single: 0, swapped: 5, absent: 0 });
    } finally {
      await c.close();
    }
  });
});

describe('unfold vread / procdump --swap', () => {
  it('procs and maps count the same pages with or without --swap', async () => {
    const counts = { resident: 1, compressed: 2, single: 0, swapped: 5, absent: 0 };
    for (const extra of [[], ['--swap', good]]) {
      const p = await run(['procs', image, '--symbols', isf, '--json', '--threads', '0', ...extra]);
      expect(p.code).toBe(0);
      const rec = p.out.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { pid: number; pages: unknown }).find((x) => x.pid === SWAP_PROC_PID);
      expect(rec?.pages).toEqual(counts);
      const m = await run(['maps', image, '--symbols', isf, '--pid', String(SWAP_PROC_PID), '--json', '--threads', '0', ...extra]);
      expect(m.code).toBe(0);
      expect(m.out.toString('utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { pages: unknown }).pages)).toEqual([counts]);
    }
  });

  it('vread --swap gives the swapped page exactly; without --swap zeros and a stderr line', async () => {
    const va = hex(vaOf('swap-heap'));
    const args = ['vread', image, '--symbols', isf, '--pid', String(SWAP_PROC_PID), '--va', va, '--length', String(ps), '--threads', '0'];
    const withSwap = await run([...args, '--swap', good]);
    expect(withSwap.code).toBe(0);
    expect(withSwap.out.length).toBe(ps);
    expect(sha(withSwap.out)).toBe(slotSha('swap-heap'));
    expect(withSwap.err).not.toContain('zero-filled');
    const without = await run(args);
    expect(without.code).toBe(0);
    expect(without.out.equals(Buffer.alloc(ps))).toBe(true);
    const t = slotTruth('swap-heap');
    expect(without.err).toContain(`unfold: zero-filled ${va}: swapped out (segment ${t.segment} slot ${t.slot}): its segment is in swap file /System/Volumes/VM/swapfile0`);
  });

  it("procdump --swap: the region file holds the swapped pages; the manifest names each page's swap file", async () => {
    const base = ['procdump', image, '--symbols', isf, '--pid', String(SWAP_PROC_PID), '--threads', '0', '--json'];
    const out1 = path.join(dir, 'dump-swap');
    const r1 = await run([...base, '--out', out1, '--swap', good]);
    expect(r1.code).toBe(0);
    const res1 = JSON.parse(r1.out.toString('utf8')) as { zeroFilled: number; pages: Record<string, number> };
    expect(res1.zeroFilled).toBe(1); // the page in the file never given
    expect(res1.pages).toEqual({ resident: 1, compressed: 2, single: 0, swapped: 5, absent: 0 });
    const name = `pid.${SWAP_PROC_PID}.vma.${hex(SWAP_PROC_HEAP)}-${hex(SWAP_PROC_HEAP + BigInt(SWAP_WORLD_PAGES.length * ps))}.dmp`;
    const dump = readFileSync(path.join(out1, name));
    expect(dump.length).toBe(SWAP_WORLD_PAGES.length * ps);
    for (let i = 0; i < SWAP_WORLD_PAGES.length; i++) {
      const got = dump.subarray(i * ps, (i + 1) * ps);
      if (SWAP_WORLD_PAGES[i] === 'missing-file-text') expect(got.equals(Buffer.alloc(ps))).toBe(true);
      else expect(sha(got)).toBe(truthPages[i]!.sha256);
    }
    const m = JSON.parse(readFileSync(path.join(out1, 'manifest.json'), 'utf8')) as { files: Array<{ pages: Array<Record<string, unknown>> }> };
    const pages = m.files[0]!.pages;
    const st = slotTruth('swap-text');
    const seg = s.truth.segments.find((x) => x.index === st.segment)!;
    expect(pages[pageIndex('swap-text')]).toMatchObject({ state: 'swapped', segment: st.segment, slot: st.slot, source: 'swap', swapFile: swapPathOf(1), swapOffset: hex(seg.swap!.offset) });
    expect(pages[pageIndex('missing-file-text')]!.source).toBeUndefined();
    expect(pages[pageIndex('busy-text')]!.source).toBe('decrypted');

    const out2 = path.join(dir, 'dump-plain');
    const r2 = await run([...base, '--out', out2]);
    expect(r2.code).toBe(0);
    const res2 = JSON.parse(r2.out.toString('utf8')) as { zeroFilled: number; pages: Record<string, number> };
    expect(res2.pages).toEqual(res1.pages);
    // without swap files every swapped page is zeros; the buffer encrypted in RAM is still decrypted (its keys are in the image)
    expect(res2.zeroFilled).toBe(5);
    const dump2 = readFileSync(path.join(out2, name));
    for (const n of ['swap-text', 'swap-heap', 'sparse-text', 'swap-single'] as const) {
      expect(dump2.subarray(pageIndex(n) * ps, (pageIndex(n) + 1) * ps).equals(Buffer.alloc(ps))).toBe(true);
    }
    const m2 = JSON.parse(readFileSync(path.join(out2, 'manifest.json'), 'utf8')) as { files: Array<{ pages: Array<Record<string, unknown>> }> };
    expect(m2.files[0]!.pages.filter((p) => p.source !== undefined).map((p) => p.va)).toEqual([hex(vaOf('busy-text'))]);
  });
});

