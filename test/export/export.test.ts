import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SlotRecord } from '../../core/darwin/types';
import { exportPages, type ExportOptions, type ManifestJson } from '../../core/export/export';
import { ExportError } from '../../core/errors';
import { singleValuePage } from '../../core/search/matcher';
import { faultyFs } from './faulty-fs';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

const pageOf = (fill: number, text: string): Buffer => {
  const p = Buffer.alloc(4096, fill);
  p.write(text, 0, 'latin1');
  return p;
};
const P0 = pageOf(0x11, 'alpha');
const P1 = pageOf(0x22, 'bravo');
const P5 = Buffer.from(singleValuePage(0x41414141));

const rec = (segment: number, slot: number, kind: SlotRecord['kind'], extra: Partial<SlotRecord> = {}): SlotRecord => ({
  segment,
  slot,
  state: segment === 5 ? 'C_ON_SWAPPEDIN_Q' : 'C_ON_AGE_Q',
  kind,
  offset: slot * 64,
  compressedSize: 100,
  ...extra,
});

/** seven live slots: three decoded, one each swapped, corrupt, encrypted? and unreadable */
const ITEMS: { record: SlotRecord; page: Buffer | null }[] = [
  { record: rec(0, 0, 'wkdm', { sha256: sha(P0) }), page: P0 },
  { record: rec(0, 2, 'lz4'), page: P1 },
  { record: rec(0, 3, 'swapped'), page: null },
  { record: rec(5, 1, 'single', { value: '0x41414141', sha256: sha(P5) }), page: P5 },
  { record: rec(5, 2, 'corrupt', { error: 'wkdm: bad tag area (tags, byte offset 12)' }), page: null },
  { record: rec(5, 3, 'encrypted?'), page: null },
  { record: rec(7, 0, 'raw', { error: 'buffer not readable at 0xffffff8012345000' }), page: null },
];

async function* stream(items = ITEMS, opts: { throwAfter?: number; onItem?: (i: number) => void } = {}): AsyncGenerator<{ record: SlotRecord; page: Uint8Array | null }> {
  let i = 0;
  for (const it of items) {
    if (opts.throwAfter !== undefined && i === opts.throwAfter) throw new Error('page source failed: segment buffer vanished');
    opts.onItem?.(i);
    yield it;
    i++;
  }
}

let root: string;
let clock: number;
const now = (): Date => new Date(Date.UTC(2024, 5, 11, 10, 0, clock++));
const META = {
  imagePath: '/evidence/mac.raw',
  imageSha256: 'ab'.repeat(32),
  toolVersion: '0.1.0',
  symbols: 'isf/xnu-4570.71.2.json.xz',
  kernel: { banner: 'Darwin Kernel Version 17.7.0', arch: 'x86_64' },
  compressor: { family: 'F3', pageSize: 4096 },
  sv: [{ index: 0, value: '0x00000000', refCount: 12 }],
};
const opts = (layout: 'slots' | 'concat', extra: Partial<ExportOptions> = {}): ExportOptions => ({
  out: path.join(root, 'out'),
  layout,
  meta: META,
  liveSlots: 7,
  durable: false,
  now,
  ...extra,
});

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'unfold-export-'));
  clock = 0;
});
afterEach(() => {
  try {
    chmodSync(root, 0o755);
  } catch {
    /* already gone */
  }
  rmSync(root, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected the export to fail');
}

const SKIPPED = {
  swapped: [{ segment: 0, slot: 3, kind: 'swapped' }],
  corrupt: [{ segment: 5, slot: 2, kind: 'corrupt', error: 'wkdm: bad tag area (tags, byte offset 12)' }],
  'encrypted?': [{ segment: 5, slot: 3, kind: 'encrypted?' }],
  unreadable: [{ segment: 7, slot: 0, kind: 'raw', error: 'buffer not readable at 0xffffff8012345000' }],
};

describe('slots layout', () => {
  it('writes one file per decoded page, the index and the manifest, with exact bytes and hashes', async () => {
    const r = await exportPages(stream(), opts('slots'));
    const out = path.join(root, 'out');
    expect(readdirSync(root)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'segment0', 'segment5']);
    expect(readdirSync(path.join(out, 'segment0')).sort()).toEqual(['slot0.dmp', 'slot2.dmp']);
    expect(readdirSync(path.join(out, 'segment5'))).toEqual(['slot1.dmp']);
    expect(readFileSync(path.join(out, 'segment0/slot0.dmp')).equals(P0)).toBe(true);
    expect(readFileSync(path.join(out, 'segment0/slot2.dmp')).equals(P1)).toBe(true);
    expect(readFileSync(path.join(out, 'segment5/slot1.dmp')).equals(P5)).toBe(true);
    // known answers, computed outside this code: 4096 × 0x11 with "alpha" first; 4096 × 0x41
    expect(sha(readFileSync(path.join(out, 'segment0/slot0.dmp')))).toBe('1952c3a5df51fd9485cc4170ea0cadbb351b97247475880837fc323fc2c9075a');
    expect(r.files[0]!.sha256).toBe('1952c3a5df51fd9485cc4170ea0cadbb351b97247475880837fc323fc2c9075a');
    expect(r.files[2]!.sha256).toBe('6896d9ea3f73a4434f5832bc65714e7d066f177373f36f34dc8a6f735daa41b1');

    const csv = readFileSync(path.join(out, 'index.csv'), 'utf8');
    expect(csv).toBe(
      'file,length,segment,slot,kind,state,sha256\n' +
        `segment0/slot0.dmp,4096,0,0,wkdm,C_ON_AGE_Q,${sha(P0)}\n` +
        `segment0/slot2.dmp,4096,0,2,lz4,C_ON_AGE_Q,${sha(P1)}\n` +
        `segment5/slot1.dmp,4096,5,1,single,C_ON_SWAPPEDIN_Q,${sha(P5)}\n`,
    );
    const json = readFileSync(path.join(out, 'index.json'), 'utf8');
    expect(JSON.parse(json)).toEqual([
      { file: 'segment0/slot0.dmp', length: 4096, segment: 0, slot: 0, kind: 'wkdm', state: 'C_ON_AGE_Q', sha256: sha(P0) },
      { file: 'segment0/slot2.dmp', length: 4096, segment: 0, slot: 2, kind: 'lz4', state: 'C_ON_AGE_Q', sha256: sha(P1) },
      { file: 'segment5/slot1.dmp', length: 4096, segment: 5, slot: 1, kind: 'single', state: 'C_ON_SWAPPEDIN_Q', sha256: sha(P5) },
    ]);

    const files = [
      { path: 'segment0/slot0.dmp', bytes: 4096, sha256: sha(P0) },
      { path: 'segment0/slot2.dmp', bytes: 4096, sha256: sha(P1) },
      { path: 'segment5/slot1.dmp', bytes: 4096, sha256: sha(P5) },
      { path: 'index.csv', bytes: Buffer.byteLength(csv), sha256: sha(csv) },
      { path: 'index.json', bytes: Buffer.byteLength(json), sha256: sha(json) },
    ];
    const manifestText = readFileSync(path.join(out, 'manifest.json'), 'utf8');
    expect(r).toEqual({
      out,
      manifestSha256: sha(manifestText),
      exported: 3,
      skipped: { swapped: 1, corrupt: 1, 'encrypted?': 1, unreadable: 1 },
      corrupt: 1,
      files,
      liveSlots: 7,
      accountedFor: 7,
      complete: true,
    });
    const manifest = JSON.parse(manifestText) as ManifestJson;
    expect(manifest).toEqual({
      tool: { name: 'unfold', version: '0.1.0' },
      created: '2024-06-11T10:00:00.000Z',
      finished: '2024-06-11T10:00:01.000Z',
      source: { image: '/evidence/mac.raw', sha256: 'ab'.repeat(32) },
      symbols: 'isf/xnu-4570.71.2.json.xz',
      kernel: META.kernel,
      compressor: META.compressor,
      sv: META.sv,
      layout: 'slots',
      counts: { liveSlots: 7, slotsReceived: 7, exported: 3, skipped: { swapped: 1, corrupt: 1, 'encrypted?': 1, unreadable: 1 }, corrupt: 1, accountedFor: 7, complete: true },
      skipped: SKIPPED,
      corrupt: [SKIPPED.corrupt[0]],
      files,
      problems: [],
      caseProblems: [],
    });
  });

  it('the manifest names the ISF by its SHA-256 and carries the examiner\'s case fields (left out when not given)', async () => {
    const meta = { ...META, symbolsSha256: 'cd'.repeat(32), caseFields: { caseNumber: '2024-117', examiner: 'A. Examiner', notes: 'line one\nline two' } };
    await exportPages(stream(), opts('slots', { meta }));
    const manifest = JSON.parse(readFileSync(path.join(root, 'out', 'manifest.json'), 'utf8')) as ManifestJson;
    expect(manifest.symbols).toBe('isf/xnu-4570.71.2.json.xz');
    expect(manifest.symbolsSha256).toBe('cd'.repeat(32));
    expect(manifest.case).toEqual({ caseNumber: '2024-117', examiner: 'A. Examiner', notes: 'line one\nline two' });
    // a built-in table has no file to hash: null, said so; empty case fields write no "case"
    await exportPages(stream(), opts('slots', { out: path.join(root, 'out2'), meta: { ...META, symbolsSha256: null, caseFields: {} } }));
    const m2 = JSON.parse(readFileSync(path.join(root, 'out2', 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(m2.symbolsSha256).toBe(null);
    expect('case' in m2).toBe(false);
  });

  it('copes with a producer that reuses one page buffer', async () => {
    const shared = Buffer.alloc(4096);
    async function* reuse(): AsyncGenerator<{ record: SlotRecord; page: Uint8Array }> {
      for (let i = 0; i < 20; i++) {
        shared.fill(i);
        yield { record: rec(1, i, 'wkdm'), page: shared };
      }
    }
    const r = await exportPages(reuse(), opts('slots', { liveSlots: 20 }));
    expect(r.exported).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(readFileSync(path.join(root, 'out', `segment1/slot${i}.dmp`)).equals(Buffer.alloc(4096, i))).toBe(true);
      expect(r.files[i]).toEqual({ path: `segment1/slot${i}.dmp`, bytes: 4096, sha256: sha(Buffer.alloc(4096, i)) });
    }
  });
});

describe('concat layout', () => {
  it('writes pages back to back with a CSV and JSON index', async () => {
    const r = await exportPages(stream(), opts('concat'));
    const out = path.join(root, 'out');
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'pages.bin']);
    const bin = readFileSync(path.join(out, 'pages.bin'));
    expect(bin.equals(Buffer.concat([P0, P1, P5]))).toBe(true);
    const csv = readFileSync(path.join(out, 'index.csv'), 'utf8');
    expect(csv).toBe(
      'offset,length,segment,slot,kind,state,sha256\n' +
        `0,4096,0,0,wkdm,C_ON_AGE_Q,${sha(P0)}\n` +
        `4096,4096,0,2,lz4,C_ON_AGE_Q,${sha(P1)}\n` +
        `8192,4096,5,1,single,C_ON_SWAPPEDIN_Q,${sha(P5)}\n`,
    );
    const json = readFileSync(path.join(out, 'index.json'), 'utf8');
    expect(JSON.parse(json)).toEqual([
      { offset: 0, length: 4096, segment: 0, slot: 0, kind: 'wkdm', state: 'C_ON_AGE_Q', sha256: sha(P0) },
      { offset: 4096, length: 4096, segment: 0, slot: 2, kind: 'lz4', state: 'C_ON_AGE_Q', sha256: sha(P1) },
      { offset: 8192, length: 4096, segment: 5, slot: 1, kind: 'single', state: 'C_ON_SWAPPEDIN_Q', sha256: sha(P5) },
    ]);
    expect(r.files).toEqual([
      { path: 'pages.bin', bytes: 3 * 4096, sha256: sha(bin) },
      { path: 'index.csv', bytes: Buffer.byteLength(csv), sha256: sha(csv) },
      { path: 'index.json', bytes: Buffer.byteLength(json), sha256: sha(json) },
    ]);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as ManifestJson;
    expect(manifest.layout).toBe('concat');
    expect(manifest.files).toEqual(r.files);
    expect(manifest.skipped).toEqual(SKIPPED);
    expect(r.manifestSha256).toBe(sha(readFileSync(path.join(out, 'manifest.json'))));
    expect([r.exported, r.accountedFor, r.liveSlots, r.complete]).toEqual([3, 7, 7, true]);
  });

  it('an empty stream gives an empty but valid export', async () => {
    const r = await exportPages(stream([]), opts('concat', { liveSlots: 0 }));
    const out = path.join(root, 'out');
    expect(readFileSync(path.join(out, 'pages.bin')).length).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'))).toEqual([]);
    expect([r.exported, r.accountedFor, r.complete]).toEqual([0, 0, true]);
  });
});

describe('accounting', () => {
  it('is incomplete when slots the walk found never arrived, and says so in the manifest', async () => {
    const r = await exportPages(stream(ITEMS.slice(0, 5)), opts('concat'));
    expect([r.liveSlots, r.accountedFor, r.complete]).toEqual([7, 5, false]);
    const m = JSON.parse(readFileSync(path.join(root, 'out', 'manifest.json'), 'utf8')) as ManifestJson;
    expect(m.counts).toMatchObject({ liveSlots: 7, slotsReceived: 5, accountedFor: 5, complete: false });
    expect(m.problems).toEqual(['7 live slots, 5 exported or accounted for']);
  });

  it('notes a page whose hash differs from the walk’s', async () => {
    const items = [{ record: rec(0, 0, 'wkdm', { sha256: '00'.repeat(32) }), page: P0 }];
    await exportPages(stream(items), opts('concat', { liveSlots: 1 }));
    const m = JSON.parse(readFileSync(path.join(root, 'out', 'manifest.json'), 'utf8')) as ManifestJson;
    expect(m.problems).toEqual([`segment 0 slot 0: the walk reported SHA-256 ${'00'.repeat(32)}, the exported page has ${sha(P0)}`]);
  });

  it('reports progress up to the total', async () => {
    const seen: number[] = [];
    await exportPages(stream(), opts('slots', { onProgress: (p) => seen.push(p.done, p.total) }));
    expect(seen.slice(-2)).toEqual([7, 7]);
  });
});

describe('never overwrites unless asked', () => {
  it('refuses a non-empty output folder and touches nothing', async () => {
    const out = path.join(root, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'earlier case');
    const e = await failure(exportPages(stream(), opts('slots')));
    expect(e).toBeInstanceOf(ExportError);
    expect(e.code).toBe('EXISTS');
    expect(e.message).toBe(`${out} already exists and is not empty; nothing was written (ask to overwrite to replace it)`);
    expect(readdirSync(root)).toEqual(['out']);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(readFileSync(path.join(out, 'keep.txt'), 'utf8')).toBe('earlier case');
  });

  it('refuses a file in the way', async () => {
    writeFileSync(path.join(root, 'out'), 'x');
    const e = await failure(exportPages(stream(), opts('concat')));
    expect(e.code).toBe('EXISTS');
    expect(readFileSync(path.join(root, 'out'), 'utf8')).toBe('x');
  });

  it('uses an existing empty folder', async () => {
    mkdirSync(path.join(root, 'out'));
    const r = await exportPages(stream(), opts('concat'));
    expect(r.exported).toBe(3);
    expect(readdirSync(root)).toEqual(['out']);
  });

  it('replaces the old export when asked, only once the new one is complete', async () => {
    const out = path.join(root, 'out');
    await exportPages(stream(), opts('slots'));
    expect(readdirSync(out).some((n) => n.startsWith('segment'))).toBe(true);
    const r = await exportPages(stream(), opts('concat', { overwrite: true }));
    expect(r.exported).toBe(3);
    expect(readdirSync(root)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'pages.bin']);
  });

  it('a failed overwrite keeps the old export', async () => {
    const out = path.join(root, 'out');
    await exportPages(stream(), opts('concat'));
    const before = readFileSync(path.join(out, 'manifest.json'));
    const e = await failure(exportPages(stream(ITEMS, { throwAfter: 2 }), opts('concat', { overwrite: true })));
    expect(e.message).toBe('page source failed: segment buffer vanished');
    expect(readdirSync(root)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'pages.bin']);
    expect(readFileSync(path.join(out, 'manifest.json'))).toEqual(before);
  });

  it('--overwrite refuses a folder that is not exactly an earlier Unfold export, deleting nothing', async () => {
    const out = path.join(root, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'old.txt'), 'old');
    const e = await failure(exportPages(stream(), opts('concat', { overwrite: true })));
    expect(e.code).toBe('EXISTS');
    expect(e.message).toBe(`${out} is not an earlier Unfold export (it has no readable Unfold manifest.json); nothing was written or deleted. --overwrite replaces only a folder an Unfold export wrote`);
    expect(readdirSync(out)).toEqual(['old.txt']);
    // an earlier export with one file added by someone else is not replaced either
    rmSync(out, { recursive: true });
    await exportPages(stream(), opts('concat'));
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const e2 = await failure(exportPages(stream(), opts('slots', { overwrite: true })));
    expect(e2.message).toContain('it holds notes.txt, which that export did not write');
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(root)).toEqual(['out']);
  });

  it('never exports into the folder that holds the evidence', async () => {
    const evidenceDir = path.join(root, 'case');
    mkdirSync(evidenceDir);
    writeFileSync(path.join(evidenceDir, 'mac.raw'), 'EVIDENCE');
    const e = await failure(exportPages(stream(), opts('concat', { out: evidenceDir, overwrite: true, meta: { ...META, imagePath: path.join(evidenceDir, 'mac.raw') } })));
    expect(e.code).toBe('EXISTS');
    expect(e.message).toContain('it is or holds the evidence file');
    expect(readFileSync(path.join(evidenceDir, 'mac.raw'), 'utf8')).toBe('EVIDENCE');
  });
});

describe('atomicity: a failure leaves nothing under the final name and no temporary files', () => {
  for (const layout of ['slots', 'concat'] as const) {
    it(`${layout}: the page stream throws after 2 pages`, async () => {
      const e = await failure(exportPages(stream(ITEMS, { throwAfter: 2 }), opts(layout)));
      expect(e.message).toBe('page source failed: segment buffer vanished');
      expect(readdirSync(root)).toEqual([]);
    });

    it(`${layout}: the disk fills up mid-export`, async () => {
      const target = layout === 'slots' ? 'slot2.dmp' : 'pages.bin';
      const fs = faultyFs({ write: { match: (p) => p.endsWith(target), after: 100, code: 'ENOSPC' } });
      const e = await failure(exportPages(stream(), opts(layout, { fs })));
      expect(e).toBeInstanceOf(ExportError);
      expect(e.code).toBe('WRITE_FAILED');
      const rel = layout === 'slots' ? path.join('segment0', 'slot2.dmp') : 'pages.bin';
      expect(e.message).toBe(`cannot write ${path.join(root, 'out', rel)}: no space left on the device (ENOSPC)`);
      // writing had begun, and what was written was removed: the error says so (the app words it from this)
      expect(e.details).toEqual({ file: path.join(root, 'out', rel), cause: 'ENOSPC', partial: true });
      expect(readdirSync(root)).toEqual([]);
    });

    it(`${layout}: cancelled through the signal`, async () => {
      const ac = new AbortController();
      const e = await failure(exportPages(stream(ITEMS, { onItem: (i) => i === 3 && ac.abort() }), opts(layout, { signal: ac.signal })));
      expect(e).toBeInstanceOf(ExportError);
      expect(e.code).toBe('CANCELLED');
      expect(e.message).toBe(`export cancelled; nothing was written under ${path.join(root, 'out')}`);
      expect(e.details).toEqual({ file: path.join(root, 'out'), partial: true });
      expect(readdirSync(root)).toEqual([]);
    });
  }

  it('the manifest cannot be written', async () => {
    const fs = faultyFs({ open: { match: (p) => p.endsWith('manifest.json'), code: 'EIO' } });
    const e = await failure(exportPages(stream(), opts('slots', { fs })));
    expect(e.code).toBe('WRITE_FAILED');
    expect(e.message).toBe(`cannot create ${path.join(root, 'out', 'manifest.json')}: input/output error (EIO)`);
    expect(readdirSync(root)).toEqual([]);
  });

  it('a read-only output folder is a clear permission error', async () => {
    const parent = path.join(root, 'ro');
    mkdirSync(parent);
    const asRoot = process.getuid?.() === 0;
    // chmod does not stop root: then the same refusal is injected where the OS would raise it
    const fs = asRoot ? faultyFs({ mkdir: { match: (d) => d.startsWith(parent + path.sep), code: 'EACCES' } }) : undefined;
    if (!asRoot) chmodSync(parent, 0o555);
    const e = await failure(exportPages(stream(), opts('slots', { out: path.join(parent, 'out'), fs })));
    chmodSync(parent, 0o755);
    expect(e).toBeInstanceOf(ExportError);
    expect(e.code).toBe('WRITE_FAILED');
    expect(e.message).toBe(`cannot create the export folder ${path.join(parent, 'out')}: permission denied (EACCES)`);
    // refused before anything was written: no word of removing files
    expect(e.details).toEqual({ file: path.join(parent, 'out'), cause: 'EACCES' });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a signal aborted before the start writes nothing at all', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(exportPages(stream(), opts('concat', { signal: ac.signal })));
    expect(e.code).toBe('CANCELLED');
    expect(e.details).toEqual({ file: path.join(root, 'out') });
    expect(readdirSync(root)).toEqual([]);
  });

  it('a partial export that cannot be removed is named on the error', async () => {
    const fs = faultyFs({
      write: { match: (p) => p.endsWith('pages.bin'), after: 100, code: 'ENOSPC' },
      rm: { match: (p) => path.basename(p).startsWith('out.partial-'), code: 'EBUSY' },
    });
    const e = await failure(exportPages(stream(), opts('concat', { fs })));
    expect(e.code).toBe('WRITE_FAILED');
    const left = readdirSync(root);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^out\.partial-[0-9a-f]{12}$/);
    expect(e.details).toEqual({ file: path.join(root, 'out', 'pages.bin'), cause: 'ENOSPC', partial: true, leftover: path.join(root, left[0]!) });
    rmSync(path.join(root, left[0]!), { recursive: true, force: true });
  });
});
