// `unfold export` of a selection (--segment N [--slot M], --hits-of with the search options): the pages
// written are byte for byte the full walk's pages of those slots, the manifest names the selection as the
// app's export does, and bad selections are refused (exact words, exit status) before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildDemoImage, saveSynthImage, DEMO_SECRET, type DemoImage } from '../../core/synth/scenarios';

let dir: string;
let image: string;
let isf: string;
let demo: DemoImage;
/** the full walk's export (concat): every decoded page by "segment:slot" */
const fullPages = new Map<string, Buffer>();

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/unfold.mjs', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const exportArgs = (out: string, ...more: string[]) => ['export', image, '--symbols', isf, '--out', out, ...more];

interface IndexRow { offset: number; length: number; segment: number; slot: number; sha256: string }
interface Manifest { selection?: unknown; counts: Record<string, unknown>; files: { path: string; sha256: string }[] }

function readExport(out: string): { manifest: Manifest; rows: IndexRow[]; bin: Buffer } {
  return {
    manifest: JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest,
    rows: JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as IndexRow[],
    bin: readFileSync(path.join(out, 'pages.bin')),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-export-sel-'));
  demo = buildDemoImage();
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
  const full = path.join(dir, 'full');
  const r = cli(exportArgs(full, '--layout', 'concat'));
  expect(r.status).toBe(0);
  const { rows, bin, manifest } = readExport(full);
  expect(manifest.selection).toBeUndefined();
  for (const row of rows) fullPages.set(`${row.segment}:${row.slot}`, bin.subarray(row.offset, row.offset + row.length));
  // the full walk is the builder's truth, so the comparisons below are against both
  const decoded = demo.truth.slots.filter((t) => t.sha256);
  expect(fullPages.size).toBe(decoded.length);
  for (const t of decoded) expect(sha(fullPages.get(`${t.segment}:${t.slot}`)!)).toBe(t.sha256);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('unfold export --segment N --slot M', () => {
  it('writes that one page, the full walk\'s bytes, and names the slot in the manifest', () => {
    const out = path.join(dir, 'one-slot');
    const r = cli(exportArgs(out, '--segment', '3', '--slot', '5'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'segment3']);
    expect(readdirSync(path.join(out, 'segment3'))).toEqual(['slot5.dmp']);
    const page = readFileSync(path.join(out, 'segment3', 'slot5.dmp'));
    expect(page.equals(fullPages.get('3:5')!)).toBe(true);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.selection).toEqual({ label: 'slot 5 of segment 3', slots: [{ segment: 3, slot: 5 }] });
    expect(m.counts).toEqual({ liveSlots: 1, slotsReceived: 1, exported: 1, skipped: {}, corrupt: 0, accountedFor: 1, complete: true });
    expect(m.files.find((f) => f.path === 'segment3/slot5.dmp')?.sha256).toBe(sha(fullPages.get('3:5')!));
    expect(r.stdout).toMatch(/^exported 1 pages to /);
  });
});

describe('unfold export --segment N', () => {
  it('writes every live slot of the segment, in order, as the full walk decoded them', () => {
    const out = path.join(dir, 'one-segment');
    const r = cli(exportArgs(out, '--segment', '4', '--layout', 'concat', '--json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const want = demo.truth.slots.filter((t) => t.segment === 4).map((t) => t.slot).sort((a, b) => a - b);
    expect(want.length).toBeGreaterThan(10);
    const { manifest, rows, bin } = readExport(out);
    expect(manifest.selection).toEqual({ label: `the ${want.length} live slots of segment 4`, slots: want.map((slot) => ({ segment: 4, slot })) });
    const decoded = want.filter((slot) => fullPages.has(`4:${slot}`));
    expect(rows.map((row) => row.slot)).toEqual(decoded);
    const expected = Buffer.concat(decoded.map((slot) => fullPages.get(`4:${slot}`)!));
    expect(bin.equals(expected)).toBe(true);
    for (const row of rows) expect(row.sha256).toBe(sha(fullPages.get(`4:${row.slot}`)!));
    const result = JSON.parse(r.stdout) as { exported: number; liveSlots: number; complete: boolean };
    expect(result).toMatchObject({ exported: decoded.length, liveSlots: want.length, complete: true });
  });

  it('a swapped-out segment given without its swap file: nothing to write, each slot accounted for as swapped', () => {
    const out = path.join(dir, 'swapped-segment');
    const r = cli(exportArgs(out, '--segment', '7'));
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const want = demo.truth.slots.filter((t) => t.segment === 7).map((t) => t.slot).sort((a, b) => a - b);
    expect(want).toHaveLength(2);
    expect(m.counts).toEqual({ liveSlots: 2, slotsReceived: 2, exported: 0, skipped: { swapped: 2 }, corrupt: 0, accountedFor: 2, complete: true });
    expect(r.stdout).toContain('  skipped 2: swapped');
  });
});

describe('unfold export --hits-of', () => {
  it('writes the pages holding the hits `unfold search` finds with the same options, each once', () => {
    const query = ['--string', DEMO_SECRET, '--utf16', '--ascii'];
    const s = cli(['search', image, '--symbols', isf, ...query, '--json']);
    expect(s.status).toBe(0);
    const hits = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as { segment: number; slot: number });
    const inPages = hits.filter((h) => h.segment >= 0);
    const pages = [...new Map(inPages.map((h) => [`${h.segment}:${h.slot}`, { segment: h.segment, slot: h.slot }])).values()].sort(
      (a, b) => a.segment - b.segment || a.slot - b.slot,
    );
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.length).toBeLessThan(inPages.length + 1);

    const out = path.join(dir, 'hits');
    const r = cli(exportArgs(out, '--layout', 'concat', '--hits-of', ...query));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { manifest, rows, bin } = readExport(out);
    expect(manifest.selection).toEqual({ label: `pages of the ${hits.length} hits of a search for "${DEMO_SECRET}" (strings as UTF-16LE and ASCII)`, slots: pages });
    expect(rows.map((row) => ({ segment: row.segment, slot: row.slot }))).toEqual(pages);
    expect(bin.equals(Buffer.concat(pages.map((p) => fullPages.get(`${p.segment}:${p.slot}`)!)))).toBe(true);
    expect(manifest.counts).toMatchObject({ liveSlots: pages.length, exported: pages.length, complete: true });
  });

  it('YARA rules: the pages `unfold search --yara` names, exported as the full walk decoded them', () => {
    const rules = path.join(dir, 'secret.yar');
    writeFileSync(rules, `rule secret { strings: $a = "${DEMO_SECRET}" condition: $a }\n`);
    const s = cli(['search', image, '--symbols', isf, '--yara', rules, '--json']);
    expect(s.status).toBe(0);
    const hits = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as { segment: number; slot: number });
    const pages = [...new Map(hits.filter((h) => h.segment >= 0).map((h) => [`${h.segment}:${h.slot}`, { segment: h.segment, slot: h.slot }])).values()].sort(
      (a, b) => a.segment - b.segment || a.slot - b.slot,
    );
    expect(pages.length).toBeGreaterThan(0);
    const out = path.join(dir, 'yara-hits');
    const r = cli(exportArgs(out, '--hits-of', '--yara', rules));
    expect(r.stderr).toMatch(/^YARA engine: \S.*\n$/);
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.selection).toEqual({ label: `pages of the ${hits.length} hit${hits.length === 1 ? '' : 's'} of a search for YARA rules ${rules}`, slots: pages });
    for (const p of pages) expect(readFileSync(path.join(out, `segment${p.segment}`, `slot${p.slot}.dmp`)).equals(fullPages.get(`${p.segment}:${p.slot}`)!)).toBe(true);
  });

  it('a search that finds nothing: exit 2, nothing written', () => {
    const out = path.join(dir, 'no-hits');
    const r = cli(exportArgs(out, '--hits-of', '--hex', 'de ad be ef 00 11 22 33 44 55 66 77', '--regex', 'no such text anywhere'));
    expect(r.stderr).toBe('unfold: a search for /no such text anywhere/, hex de ad be ef 00 11 22 33 44 55 66 77 found no hit in a compressed page: nothing to export\n');
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('unfold export --hits-of, hits only in the single-value table', () => {
  it('refused (exit 2, nothing written), saying where the hits are', () => {
    const s = cli(['search', image, '--symbols', isf, '--hex', 'ff ff ff ff ff ff ff ff', '--json']);
    const hits = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as { segment: number });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.segment === -1)).toBe(true);
    const out = path.join(dir, 'sv-only');
    const r = cli(exportArgs(out, '--hits-of', '--hex', 'ff ff ff ff ff ff ff ff'));
    expect(r.stderr).toBe(
      `unfold: a search for hex ff ff ff ff ff ff ff ff found no hit in a compressed page (its ${hits.length} hits are in single-value pages, which have no slot of their own): nothing to export\n`,
    );
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('unfold export refuses a selection that means nothing, writing nothing', () => {
  const cases: Array<[string, string[], number, string]> = [
    ['a segment the case lacks', ['--segment', '99'], 2, 'unfold: there is no segment 99 (the case has 7 segments; see unfold segments)\n'],
    ['a slot the segment lacks', ['--segment', '3', '--slot', '999'], 2, 'unfold: segment 3 has no live slot 999\n'],
    ['a slot without its segment', ['--slot', '5'], 64, 'unfold: --slot needs --segment: a slot is numbered within its segment\n'],
    ['a negative segment', ['--segment', '-1'], 64, 'unfold: --segment must be a whole number ≥ 0, got "-1"\n'],
    ['a slot that is not a number', ['--segment', '3', '--slot', 'abc'], 64, 'unfold: --slot must be a whole number ≥ 0, got "abc"\n'],
    ['a search option without --hits-of', ['--regex', 'x'], 64, 'unfold: --regex goes with --hits-of (export the pages holding the hits of that search)\n'],
    ['--hits-of without a pattern', ['--hits-of', '--utf16'], 64, 'unfold: --hits-of needs at least one of --string, --regex, --hex, --yara\n'],
    ['--hits-of with --segment', ['--hits-of', '--string', 'x', '--segment', '3'], 64, 'unfold: --hits-of and --segment each choose the pages to export: give one of them\n'],
    ['a bad regex', ['--hits-of', '--regex', '(unclosed'], 2, 'unfold: bad regex pattern /(unclosed/: Unterminated group\n'],
  ];
  for (const [what, args, status, message] of cases) {
    it(`${what}: exit ${status}`, () => {
      const out = path.join(dir, 'refused');
      const r = cli(exportArgs(out, ...args));
      expect(r.stderr).toBe(message);
      expect(r.status).toBe(status);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }
});
