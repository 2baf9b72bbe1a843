// An export of a selection of slots (one slot, the pages of a search's hits): only those pages are
// written, the counts are of the selection, and the manifest says which selection it holds.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SlotRecord } from '../../core/darwin/types';
import { exportPages, normalizeSelection, type ExportOptions, type ManifestJson } from '../../core/export/export';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const pageOf = (fill: number): Buffer => Buffer.alloc(4096, fill);
const P0 = pageOf(0x11);
const P1 = pageOf(0x22);
const P2 = pageOf(0x33);
const rec = (segment: number, slot: number, kind: SlotRecord['kind'], page: Buffer | null): { record: SlotRecord; page: Buffer | null } => ({
  record: { segment, slot, state: 'C_ON_AGE_Q', kind, offset: slot * 64, compressedSize: 100, ...(page ? { sha256: sha(page) } : {}) },
  page,
});
const ITEMS = [rec(0, 0, 'wkdm', P0), rec(0, 2, 'lz4', P1), rec(0, 3, 'swapped', null), rec(4, 1, 'wkdm', P2), rec(4, 7, 'lz4', P0)];
async function* stream() {
  yield* ITEMS;
}

let root: string;
const META = { imagePath: '/evidence/mac.raw', imageSha256: 'ab'.repeat(32), toolVersion: '0.1.0', symbols: 'x.json' };
const opts = (layout: 'slots' | 'concat', extra: Partial<ExportOptions>): ExportOptions => ({
  out: path.join(root, 'out'),
  layout,
  meta: META,
  durable: false,
  now: () => new Date(Date.UTC(2024, 0, 1)),
  ...extra,
});
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'unfold-export-sel-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const manifestOf = (): ManifestJson => JSON.parse(readFileSync(path.join(root, 'out', 'manifest.json'), 'utf8')) as ManifestJson;

describe('export of a selection', () => {
  it('normalizes a selection: each slot once, sorted by segment then slot, label kept', () => {
    expect(normalizeSelection({ label: 'hits', slots: [{ segment: 4, slot: 1 }, { segment: 0, slot: 3 }, { segment: 4, slot: 1 }, { segment: 0, slot: 2 }] })).toEqual({
      label: 'hits',
      slots: [{ segment: 0, slot: 2 }, { segment: 0, slot: 3 }, { segment: 4, slot: 1 }],
    });
  });

  it('slots layout: writes exactly the selected pages; the manifest holds the selection and its counts', async () => {
    const selection = { label: 'pages of the hits of a search', slots: [{ segment: 4, slot: 1 }, { segment: 0, slot: 2 }, { segment: 0, slot: 3 }, { segment: 0, slot: 2 }] };
    const r = await exportPages(stream(), opts('slots', { selection, liveSlots: 3 }));
    const out = path.join(root, 'out');
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'segment0', 'segment4']);
    expect(readdirSync(path.join(out, 'segment0'))).toEqual(['slot2.dmp']);
    expect(readdirSync(path.join(out, 'segment4'))).toEqual(['slot1.dmp']);
    expect(readFileSync(path.join(out, 'segment0', 'slot2.dmp')).equals(P1)).toBe(true);
    expect(readFileSync(path.join(out, 'segment4', 'slot1.dmp')).equals(P2)).toBe(true);
    expect(r.files.map((f) => [f.path, f.sha256])).toEqual([
      ['segment0/slot2.dmp', sha(P1)],
      ['segment4/slot1.dmp', sha(P2)],
      ['index.csv', sha(readFileSync(path.join(out, 'index.csv')))],
      ['index.json', sha(readFileSync(path.join(out, 'index.json')))],
    ]);
    expect(readFileSync(path.join(out, 'index.csv'), 'utf8')).toBe(
      `file,length,segment,slot,kind,state,sha256\nsegment0/slot2.dmp,4096,0,2,lz4,C_ON_AGE_Q,${sha(P1)}\nsegment4/slot1.dmp,4096,4,1,wkdm,C_ON_AGE_Q,${sha(P2)}\n`,
    );
    expect(r.exported).toBe(2);
    expect(r.skipped).toEqual({ swapped: 1 });
    expect(r.complete).toBe(true);
    const m = manifestOf();
    expect(m.selection).toEqual({ label: 'pages of the hits of a search', slots: [{ segment: 0, slot: 2 }, { segment: 0, slot: 3 }, { segment: 4, slot: 1 }] });
    expect(m.counts).toEqual({ liveSlots: 3, slotsReceived: 3, exported: 2, skipped: { swapped: 1 }, corrupt: 0, accountedFor: 3, complete: true });
    expect(m.skipped).toEqual({ swapped: [{ segment: 0, slot: 3, kind: 'swapped' }] });
    expect(r.manifestSha256).toBe(sha(readFileSync(path.join(out, 'manifest.json'))));
  });

  it('concat layout of one slot: pages.bin is that page; a whole export has no selection in its manifest', async () => {
    const r = await exportPages(stream(), opts('concat', { selection: { slots: [{ segment: 4, slot: 7 }] }, liveSlots: 1 }));
    const out = path.join(root, 'out');
    const bin = readFileSync(path.join(out, 'pages.bin'));
    expect(bin.equals(P0)).toBe(true);
    expect(r.files[0]).toEqual({ path: 'pages.bin', bytes: 4096, sha256: sha(P0) });
    expect(manifestOf().selection).toEqual({ slots: [{ segment: 4, slot: 7 }] });
    expect(manifestOf().counts.exported).toBe(1);

    const all = await exportPages(stream(), opts('concat', { out: path.join(root, 'all'), liveSlots: 5 }));
    expect(all.exported).toBe(4);
    const whole = JSON.parse(readFileSync(path.join(root, 'all', 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect('selection' in whole).toBe(false);
  });

  it('a selected slot the walk never delivered leaves the export incomplete, and the manifest says so', async () => {
    const r = await exportPages(stream(), opts('slots', { selection: { slots: [{ segment: 0, slot: 0 }, { segment: 9, slot: 9 }] }, liveSlots: 2 }));
    expect(r.exported).toBe(1);
    expect(r.complete).toBe(false);
    expect(manifestOf().problems).toEqual(['2 live slots, 1 exported or accounted for']);
  });
});
