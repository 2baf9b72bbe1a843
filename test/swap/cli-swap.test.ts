// The CLI contract for swap files: --swap (file or folder, repeatable) and UNFOLD_SWAP on the walking
// commands, slot records with source/swapFile/swapOffset, info --json swapFiles, problems on stderr,
// and the export manifest naming each swap file with its SHA-256.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { saveSynthImage } from '../../core/synth/scenarios';
import { buildSwapScenario, writeSwapFiles, type SwapScenario } from '../../core/synth/swap';
import { runCli as run } from '../cli/run-in-process';

let dir: string;
let image: string;
let isf: string;
let good: string;
let s: SwapScenario;

const lines = (t: string) => t.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-cli-swap-'));
  s = buildSwapScenario('swap-14-arm64');
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(s.image, dir, 'img'));
  good = path.join(dir, 'vm');
  mkdirSync(good);
  await writeSwapFiles(s.files, s.fileBytes, good);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const missing = '/System/Volumes/VM/swapfile2';
// every walking command names the case's problems on stderr, the swap files' among them
const stderrLines = [
  `unfold: problem: swap file ${missing} (index 3) was not given: 1 swapped-out segment(s) in it stay unread`,
  'unfold: problem: segment 3: swapped-out segment not decoded: no WKdm, MZV or LZ4 slot to check the decryption against (only raw or single-value slots)',
];

describe('unfold slots --swap', () => {
  it('pages read from a swap file keep their codec kind and say where they came from', async () => {
    const r = await run(['slots', image, '--symbols', isf, '--swap', good, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    expect(r.err.trim().split('\n')).toEqual(stderrLines);
    const recs = lines(r.out);
    expect(recs.length).toBe(s.truth.slots.length);
    for (const t of s.truth.slots.filter((x) => x.segment === 1 || x.segment === 2)) {
      const rec = recs.find((x) => x.segment === t.segment && x.slot === t.slot)!;
      const seg = s.truth.segments.find((x) => x.index === t.segment)!;
      expect(rec).toEqual({
        segment: t.segment,
        slot: t.slot,
        state: t.state,
        kind: t.sealedKind,
        offset: t.offset,
        compressedSize: t.compressedSize,
        sha256: t.sealedSha256,
        ...(t.sealedKind === 'single' ? { value: '0x' + Buffer.from(t.page!.subarray(0, 4)).readUInt32LE(0).toString(16).padStart(8, '0') } : {}),
        source: 'swap',
        swapFile: path.join(good, 'swapfile0'),
        swapOffset: '0x' + seg.swap!.offset.toString(16),
      });
    }
    const busy = s.truth.byName['busy-text']!;
    expect(recs.find((x) => x.segment === busy.segment && x.slot === busy.slot)).toMatchObject({ kind: busy.sealedKind, sha256: busy.sealedSha256, source: 'decrypted' });
  });

  it('UNFOLD_SWAP stands for --swap (files joined by the path delimiter)', async () => {
    process.env.UNFOLD_SWAP = [path.join(good, 'swapfile0'), path.join(good, 'swapfile1')].join(path.delimiter);
    try {
      const r = await run(['slots', image, '--symbols', isf, '--json', '--threads', '0']);
      expect(r.code).toBe(0);
      const bySource = lines(r.out).filter((x) => x.source === 'swap').length;
      expect(bySource).toBe(s.truth.slots.filter((t) => [1, 2, 4].includes(t.segment)).length);
    } finally {
      delete process.env.UNFOLD_SWAP;
    }
  });
});

describe('unfold info --swap', () => {
  it('--json names each swap file with its index, SHA-256 and the segments read from it; problems listed', async () => {
    const r = await run(['info', image, '--symbols', isf, '--swap', path.join(good, 'swapfile0'), '--swap', path.join(good, 'swapfile1'), '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    expect(r.err.trim().split('\n')).toEqual(stderrLines);
    const j = JSON.parse(r.out) as { swapFiles: unknown[]; problems: string[] };
    expect(j.swapFiles).toEqual([
      { path: path.join(good, 'swapfile0'), index: 1, sha256: sha(s.fileBytes.get(1)!), segments: 2 },
      { path: path.join(good, 'swapfile1'), index: 2, sha256: sha(s.fileBytes.get(2)!), segments: 1 },
    ]);
    for (const l of stderrLines) expect(j.problems).toContain(l.replace('unfold: problem: ', ''));
  });

  it('a file shorter than its chunk offset is a named problem on stderr of a walking command; the rest decodes', async () => {
    const short = path.join(dir, 'short');
    mkdirSync(short);
    writeFileSync(path.join(short, 'swapfile0'), s.fileBytes.get(1)!);
    writeFileSync(path.join(short, 'swapfile1'), s.fileBytes.get(2)!.subarray(0, 1000));
    const r = await run(['segments', image, '--symbols', isf, '--swap', short, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const seg4 = s.truth.segments.find((x) => x.index === 4)!;
    expect(r.err).toContain(
      `unfold: problem: segment 4: swapped-out segment not read: swap file ${path.join(short, 'swapfile1')} is 0x3e8 bytes, shorter than the chunk offset 0x${seg4.swap!.offset.toString(16)}\n`,
    );
    const segs = lines(r.out);
    expect(segs.find((x) => x.index === 1)!.kinds).not.toHaveProperty('swapped');
    expect(segs.find((x) => x.index === 4)!.kinds).toEqual({ swapped: 2 });
  });
});

describe('unfold export --swap', () => {
  it('the manifest names the swap files with their SHA-256 and the index says where pages came from', async () => {
    const out = path.join(dir, 'export');
    const r = await run(['export', image, '--symbols', isf, '--swap', good, '--out', out, '--layout', 'concat', '--threads', '0']);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { source: { swapFiles: unknown[] } };
    expect(m.source.swapFiles).toEqual([
      { path: path.join(good, 'swapfile0'), index: 1, sha256: sha(s.fileBytes.get(1)!), segments: 2 },
      { path: path.join(good, 'swapfile1'), index: 2, sha256: sha(s.fileBytes.get(2)!), segments: 1 },
    ]);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as Array<Record<string, unknown>>;
    const t = s.truth.byName['swap-heap']!;
    expect(index.find((x) => x.segment === t.segment && x.slot === t.slot)).toMatchObject({ sha256: t.sealedSha256, source: 'swap', swapFile: path.join(good, 'swapfile0') });
    const pages = readFileSync(path.join(out, 'pages.bin'));
    const row = index.find((x) => x.segment === t.segment && x.slot === t.slot)!;
    expect(sha(pages.subarray(row.offset as number, (row.offset as number) + s.truth.pageSize))).toBe(t.sealedSha256);
  });
});
