// Issue 14: the walk decodes without hashing; a page's SHA-256 is taken where it is shown or written
// (unfold slots, the slot list, one page, exports), kept once taken, and a page decoded again later
// is compared with it. Truth comes from the builder's inputs (the pages it compressed).
import { mkdtempSync, rmSync, copyFileSync, truncateSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../core/case';
import { isDecodedKind } from '../../core/darwin/types';
import { buildDemoImage, saveSynthImage, type DemoImage } from '../../core/synth/scenarios';
import { runCli as run } from '../cli/run-in-process';

let demo: DemoImage;
let dir: string;
let image: string;
let isf: string;

beforeAll(async () => {
  demo = buildDemoImage();
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-hash-'));
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** the builder's hash of every page a reader can decode, by segment/slot (undefined: none) */
const truthSha = () => new Map(demo.truth.slots.map((t) => [`${t.segment}/${t.slot}`, t.sha256]));
const decodable = () => demo.truth.slots.filter((t) => t.sha256 !== undefined);


describe('unfold slots prints every hash, exact', () => {
  for (const threads of ['0', '2']) {
    it(`text output: the SHA-256 column of every decoded slot is the SHA-256 of the page the builder compressed (threads ${threads})`, async () => {
      const r = await run(['slots', image, '--symbols', isf, '--threads', threads]);
      expect(r.code).toBe(0);
      const want = truthSha();
      const rows = r.out.split('\n').filter(Boolean).map((l) => l.split('\t'));
      expect(rows).toHaveLength(demo.truth.slots.length);
      let hashed = 0;
      for (const [segment, slot, , kind, , last] of rows) {
        const w = want.get(`${segment}/${slot}`);
        if (w !== undefined) {
          expect(last, `${segment}/${slot} ${kind}`).toBe(w);
          hashed++;
        } else expect(last).not.toMatch(/^[0-9a-f]{64}$/);
      }
      expect(hashed).toBe(decodable().length);
      expect(hashed).toBeGreaterThan(100);
    });
  }

  it('--json --segment N: every decoded slot of that segment carries the true SHA-256', async () => {
    const seg = demo.truth.slots.find((t) => t.kind === 'wkdm')!.segment;
    const r = await run(['slots', image, '--symbols', isf, '--json', '--segment', String(seg), '--threads', '0']);
    expect(r.code).toBe(0);
    const got = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { segment: number; slot: number; sha256?: string });
    const want = demo.truth.slots.filter((t) => t.segment === seg);
    expect(got.map((g) => [g.segment, g.slot, g.sha256 ?? null])).toEqual(want.map((t) => [t.segment, t.slot, t.sha256 ?? null]));
    expect(got.filter((g) => g.sha256).length).toBeGreaterThan(10);
  });
});

describe('the case hashes only when asked, and keeps what it took', () => {
  it('a walk takes no hash; slots(segment, { hashes }) hashes that segment only, exactly; hashPages hashes in the walk', async () => {
    const want = truthSha();
    const c = await openCase(image, { symbols: isf, threads: 0 });
    const h = await openCase(image, { symbols: isf, threads: 2, hashPages: true });
    try {
      const all = [...c.allSlots()];
      expect(all.filter((r) => r.sha256 !== undefined)).toEqual([]);
      const decoded = all.filter((r) => r.error === undefined && isDecodedKind(r.kind));
      expect(decoded.length).toBe(decodable().length);
      const seg = decoded[decoded.length - 1]!.segment;
      const one = c.slots(seg, { hashes: true });
      for (const r of one) expect(r.sha256, `${r.segment}/${r.slot}`).toBe(want.get(`${r.segment}/${r.slot}`));
      // other segments are still unhashed; the hashed one stays hashed without being asked again
      expect([...c.allSlots()].filter((r) => r.sha256 !== undefined).map((r) => r.segment)).toEqual(one.filter((r) => r.sha256).map(() => seg));
      // the walk that hashed as it decoded: every record as the on-demand hashes give them
      expect([...h.allSlots()]).toEqual([...c.allSlots({ hashes: true })]);
      for (const r of h.allSlots()) expect(r.sha256, `${r.segment}/${r.slot}`).toBe(want.get(`${r.segment}/${r.slot}`));
    } finally {
      await Promise.all([c.close(), h.close()]);
    }
  });

  it('hashes taken before the background pass reached a segment are kept when it does', async () => {
    const want = truthSha();
    const c = await openCase(image, { symbols: isf, threads: 2, decode: 'background' });
    try {
      const last = c.segments().filter((s) => s.resident && s.liveSlots > 0).pop()!;
      const early = c.slots(last.index, { hashes: true });
      expect(early.filter((r) => r.sha256).length).toBeGreaterThan(0);
      for (const r of early) expect(r.sha256, `${r.segment}/${r.slot}`).toBe(want.get(`${r.segment}/${r.slot}`));
      expect((await c.decoded()).state).toBe('done');
      c.slots(c.segments()[0]!.index); // (the list last asked for is cached as records: ask another)
      // asked without hashes, after the pass replaced the segment's outcome: the hashes are still there
      expect(c.slots(last.index).map((r) => [r.slot, r.sha256 ?? null])).toEqual(early.map((r) => [r.slot, r.sha256 ?? null]));
    } finally {
      await c.close();
    }
  });

  it('page() hashes the page it shows and the segment’s list then shows that hash', async () => {
    const c = await openCase(image, { symbols: isf, threads: 0 });
    try {
      const t = demo.truth.slots.find((x) => x.kind === 'lz4' || x.kind === 'wkdm')!;
      expect(c.slots(t.segment).find((r) => r.slot === t.slot)!.sha256).toBeUndefined();
      const p = c.page(t.segment, t.slot);
      expect(p.record.sha256).toBe(sha(t.page!));
      expect(sha(p.page!)).toBe(sha(t.page!));
      expect(c.slots(t.segment).find((r) => r.slot === t.slot)!.sha256).toBe(sha(t.page!));
    } finally {
      await c.close();
    }
  });

  it('the export manifest lists the true SHA-256 of every page it wrote, with no hash taken by the walk', async () => {
    const c = await openCase(image, { symbols: isf, threads: 2 });
    const out = path.join(dir, 'export-plain');
    try {
      const r = await c.export({ out, layout: 'concat', overwrite: false });
      const want = truthSha();
      const rows = readFileSync(path.join(out, 'index.csv'), 'utf8').trim().split('\r\n').join('\n').split('\n').slice(1).map((l) => l.split(','));
      expect(rows.length).toBe(r.exported);
      const bin = readFileSync(path.join(out, 'pages.bin'));
      for (const row of rows) {
        const [offset, length, segment, slot] = row.map(Number);
        const hash = row[row.length - 1];
        expect(hash).toBe(want.get(`${segment}/${slot}`));
        expect(sha(bin.subarray(offset!, offset! + length!))).toBe(hash);
      }
      expect(rows.length).toBe(decodable().length);
    } finally {
      await c.close();
    }
  });
});

describe('re-verification compares with the hash taken first', () => {
  for (const first of ['slots', 'export'] as const) {
    it(`a page that changed after its hash was taken (by ${first}) is reported by the next export and by page()`, async () => {
      const copy = path.join(dir, `changed-${first}.raw`);
      copyFileSync(image, copy);
      // a raw slot: any byte changed still decodes, to a different page
      const t = demo.truth.slots.find((x) => x.kind === 'raw')!;
      const probe = await openCase(copy, { symbols: isf, threads: 0 });
      const at = probe.page(t.segment, t.slot).storedAt!;
      await probe.close();
      expect(at.physical).not.toBeNull();
      const c = await openCase(copy, { symbols: isf, threads: 0 });
      try {
        // the hash is taken first by the slot list, or by a first export
        if (first === 'slots') expect(c.slots(t.segment, { hashes: true }).find((r) => r.slot === t.slot)!.sha256).toBe(sha(t.page!));
        else {
          const r0 = await c.export({ out: path.join(dir, `first-${first}`), layout: 'slots', overwrite: false });
          expect(r0.exported).toBe(decodable().length);
          expect(c.slots(t.segment).find((r) => r.slot === t.slot)!.sha256).toBe(sha(t.page!));
        }
        // the evidence changes under the open case (a raw file: physical address = file offset)
        const fd = openSync(copy, 'r+');
        writeSync(fd, Buffer.from([t.page![100]! ^ 0xff]), 0, 1, Number(BigInt(at.physical!)) + 100);
        closeSync(fd);
        const now = new Uint8Array(t.page!);
        now[100] = now[100]! ^ 0xff;
        const out = path.join(dir, `second-${first}`);
        await c.export({ out, layout: 'slots', overwrite: false });
        expect(readFileSync(path.join(out, 'manifest.json'), 'utf8')).toContain(
          `segment ${t.segment} slot ${t.slot}: decoded differently than when its SHA-256 was first taken (then ${sha(t.page!)}, now ${sha(now)}): the evidence or the machine is not behaving`,
        );
        // one page read now says so too, and the hash shown stays the one taken first
        const p = c.page(t.segment, t.slot);
        expect(sha(p.page!)).toBe(sha(now));
        expect(p.record.sha256).toBe(sha(t.page!));
        expect(p.record.error).toContain(`decoded differently than when its SHA-256 was first taken (then ${sha(t.page!)}, now ${sha(now)})`);
      } finally {
        await c.close();
      }
    });
  }
});

describe('damaged slots without hashing', () => {
  it('a truncated image: the walk finds every unreadable slot with the same error text as the record path that hashes', async () => {
    const cut = path.join(dir, 'cut.raw');
    copyFileSync(image, cut);
    truncateSync(cut, 52 * 1048576);
    for (const threads of [0, 2]) {
      const c = await openCase(cut, { symbols: isf, threads });
      try {
        const walked = [...c.allSlots()];
        const bad = walked.filter((r) => r.error !== undefined && /is not present in the image/.test(r.error));
        expect(bad.length).toBeGreaterThan(0);
        // pages() decodes every segment again through the per-record path (decodeSegmentSlots, hashing)
        const again: Array<[number, number, string, string | null]> = [];
        for await (const { record } of c.pages()) again.push([record.segment, record.slot, record.kind, record.error ?? null]);
        expect(walked.map((r) => [r.segment, r.slot, r.kind, r.error ?? null])).toEqual(again);
        const hashedNow = [...c.allSlots({ hashes: true })];
        expect(hashedNow.map((r) => [r.segment, r.slot, r.kind, r.error ?? null])).toEqual(again);
        for (const r of hashedNow) expect(r.sha256 !== undefined).toBe(r.error === undefined && isDecodedKind(r.kind));
      } finally {
        await c.close();
      }
    }
  });
});
