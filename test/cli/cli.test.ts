// The `unfold` command contracts (commands, flags, JSON keys, exit codes) on a synthetic macOS 14
// image whose truth comes from the builder's inputs, not from the walker.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, statSync, writeFileSync, readdirSync, copyFileSync, truncateSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { main } from '../../core/cli/main';
import { buildDemoImage, saveSynthImage, DEMO_SECRET, type DemoImage } from '../../core/synth/scenarios';
import { openCase } from '../../core/case';
import { VERSION } from '../../core/version';
import { runCli as run } from './run-in-process';

let dir: string;
let image: string;
let isf: string;
let demo: DemoImage;


const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-cli-'));
  demo = buildDemoImage();
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('unfold (installed command)', () => {
  it('--help lists every command and exits 0', () => {
    const r = spawnSync(process.execPath, ['bin/unfold.mjs', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const c of ['decode', 'info', 'slots', 'search', 'strings', 'export']) expect(r.stdout).toContain(c);
  });

  it('info --json from a spawned process prints one object with the contract keys', () => {
    const r = spawnSync(process.execPath, ['bin/unfold.mjs', 'info', image, '--symbols', isf, '--json', '--threads', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.container).toBe('raw');
    expect(j.kaslrSlide).toBe('0x' + demo.image.slide.toString(16));
    expect(j.dtb).toBe('0x' + demo.image.dtb.toString(16));
  });

  it('--version prints the version package.json declares (the one written into manifests)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const r = spawnSync(process.execPath, ['bin/unfold.mjs', '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown option is a usage error (64)', async () => {
    const r = await run(['info', image, '--no-such-flag']);
    expect(r.code).toBe(64);
  });
});

describe('unfold info', () => {
  it('reports container, kernel, family, counts, sv table and consistency exactly', async () => {
    const r = await run(['info', image, '--symbols', isf, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.banner).toBe(demo.image.banner);
    expect(j.symbols).toBe(isf);
    expect(j.kaslrSlide).toMatch(/^0x[0-9a-f]+$/);
    expect(j.family).toBe('F9');
    expect(j.pageSize).toBe(4096);
    expect(j.slots).toEqual(demo.truth.counts.byKind);
    expect(j.segments).toEqual(demo.truth.counts.byState);
    // each entry also names the processes that map it (test/cli/procs.test.ts checks them)
    expect((j.singleValue as Array<Record<string, unknown>>).map(({ owners: _o, ...e }) => e)).toEqual(demo.truth.sv);
    expect(j.consistency.ok).toBe(true);
    expect(j.pagesCompressed).toBe(demo.truth.pagesCompressed);
  });

  it('UNFOLD_SYMBOLS stands for --symbols', async () => {
    process.env.UNFOLD_SYMBOLS = isf;
    try {
      const r = await run(['info', image, '--json', '--threads', '0']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).symbols).toBe(isf);
    } finally {
      delete process.env.UNFOLD_SYMBOLS;
    }
  });

  it('without --symbols says that no symbol table matched, with the banner found (exit 3)', async () => {
    const empty = path.join(dir, 'no-isf');
    mkdirSync(empty, { recursive: true });
    const r = await run(['info', image, '--symbols', empty]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^unfold: No symbol table in .* matches the kernel in this image/);
    expect(r.err).toContain('Darwin Kernel Version 23.6.0');
  });
});

describe('unfold slots', () => {
  it('prints one JSON line per live slot with kind, state, size and the SHA-256 of the true page', async () => {
    const r = await run(['slots', image, '--symbols', isf, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const got = lines(r.out);
    expect(got).toHaveLength(demo.truth.slots.length);
    const byKey = new Map(got.map((g) => [`${g.segment}/${g.slot}`, g]));
    for (const t of demo.truth.slots) {
      const g = byKey.get(`${t.segment}/${t.slot}`)!;
      expect(g, `${t.name}`).toBeDefined();
      expect(g.kind).toBe(t.kind);
      expect(g.state).toBe(t.state);
      expect(g.compressedSize).toBe(t.compressedSize);
      expect(g.sha256).toBe(t.sha256);
    }
  });

  it('gives identical records on worker threads and inline', async () => {
    const a = await openCase(image, { symbols: isf, threads: 0 });
    const b = await openCase(image, { symbols: isf, threads: 2 });
    try {
      expect([...b.allSlots()]).toEqual([...a.allSlots()]);
      expect(b.segments()).toEqual(a.segments());
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('unfold segments and page', () => {
  it('segments --json: one line per segment with its state, live slots and kinds', async () => {
    const r = await run(['segments', image, '--symbols', isf, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const segs = lines(r.out);
    expect(segs.map((s) => s.index)).toEqual(demo.truth.segments.map((t) => t.index));
    for (const s of segs) {
      const live = demo.truth.slots.filter((t) => t.segment === s.index);
      expect(s.liveSlots).toBe(live.length);
      expect(s.stateName).toBe(live[0]?.state ?? s.stateName);
    }
    const swapped = segs.find((s) => s.swap !== null) as { swap: { fileIndex: number; offset: number } };
    expect(swapped.swap).toMatchObject({ fileIndex: 1, offset: 0x40000 });
  });

  it('page writes the decompressed page, and with --compressed the stored bytes', async () => {
    const t = demo.truth.slots.find((x) => x.kind === 'wkdm')!;
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (d: Buffer) => chunks.push(d));
    const code = await main(['page', image, '--symbols', isf, '--segment', String(t.segment), '--slot', String(t.slot)], { stdout, stderr: new PassThrough() });
    expect(code).toBe(0);
    expect(sha(Buffer.concat(chunks))).toBe(t.sha256);
    const stored: Buffer[] = [];
    const so = new PassThrough();
    so.on('data', (d: Buffer) => stored.push(d));
    const c2 = await main(['page', image, '--symbols', isf, '--segment', String(t.segment), '--slot', String(t.slot), '--compressed'], { stdout: so, stderr: new PassThrough() });
    expect(c2).toBe(0);
    // the stored bytes are a WKdm stream that decodes back to the same page
    const back = execFileSync(process.execPath, ['bin/unfold.mjs', 'decode', '-', '--codec', 'wkdm'], { input: Buffer.concat(stored) });
    expect(Buffer.concat(stored).length).toBe(t.compressedSize);
    expect(sha(back)).toBe(t.sha256);
  });

  it('page of a slot that does not exist, or of a swapped-out slot, exits 2 with a reason', async () => {
    const missing = await run(['page', image, '--symbols', isf, '--segment', '1', '--slot', '7']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no live slot 7');
    const sw = demo.truth.slots.find((x) => x.kind === 'swapped')!;
    const r = await run(['page', image, '--symbols', isf, '--segment', String(sw.segment), '--slot', String(sw.slot)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('swapped');
  });
});

describe('unfold search and strings', () => {
  it('finds every planted string in ASCII and UTF-16LE at its exact place', async () => {
    const r = await run(['search', image, '--symbols', isf, '--string', DEMO_SECRET, '--utf16', '--ascii', '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const hits = lines(r.out).map((h) => `${h.segment}/${h.slot}/${h.offset}/${h.pattern}`);
    const want = demo.planted.map(
      (p) => `${p.segment}/${p.slot}/${p.pageOffset + (p.encoding === 'ascii' ? p.text.indexOf(DEMO_SECRET) : 0)}/${p.encoding === 'ascii' ? 'string' : 'utf16'}:"${DEMO_SECRET}"`,
    );
    expect(hits.sort()).toEqual(want.sort());
    const one = lines(r.out)[0]!;
    expect(Buffer.from(String(one.match), 'hex').toString('latin1').replace(/\0/g, '')).toBe(DEMO_SECRET);
  });

  it('--string without --utf16 searches ASCII only', async () => {
    const r = await run(['search', image, '--symbols', isf, '--string', DEMO_SECRET, '--json', '--threads', '0']);
    expect(lines(r.out)).toHaveLength(demo.planted.filter((p) => p.encoding === 'ascii').length);
  });

  it('hex with wildcards and a regex hit the same ASCII plants', async () => {
    const hexPat = [...Buffer.from('UNFOLD-')].map((b) => b.toString(16).padStart(2, '0')).join(' ') + ' ?? ?? ?? ??';
    const r = await run(['search', image, '--symbols', isf, '--hex', hexPat, '--regex', 'password=UNFOLD-DEMO-[A-Z]+-[0-9]+', '--json', '--threads', '0']);
    const hits = lines(r.out);
    const ascii = demo.planted.filter((p) => p.encoding === 'ascii');
    expect(hits.filter((h) => String(h.pattern).startsWith('hex:'))).toHaveLength(ascii.length);
    expect(hits.filter((h) => String(h.pattern).startsWith('regex:')).map((h) => `${h.segment}/${h.slot}/${h.offset}`).sort()).toEqual(
      ascii.map((p) => `${p.segment}/${p.slot}/${p.pageOffset}`).sort(),
    );
  });

  it('YARA rules from a file hit the planted pages', async () => {
    const rules = path.join(dir, 'demo.yar');
    writeFileSync(rules, `rule demo_secret { strings: $a = "${DEMO_SECRET}" ascii wide condition: $a }\n`);
    const r = await run(['search', image, '--symbols', isf, '--yara', rules, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const pages = new Set(lines(r.out).map((h) => `${h.segment}/${h.slot}`));
    expect([...pages].sort()).toEqual(demo.planted.map((p) => `${p.segment}/${p.slot}`).sort());
  });

  it('strings --json lists a planted string with its location', async () => {
    const r = await run(['strings', image, '--symbols', isf, '--min', '8', '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const p = demo.planted.find((x) => x.encoding === 'utf16le')!;
    const s = lines(r.out).find((x) => x.segment === p.segment && x.slot === p.slot && String(x.text).includes(DEMO_SECRET))!;
    expect(s.encoding).toBe('utf16le');
    // the run may begin before the plant (the page is UTF-16 text); the secret sits where it was planted
    expect(Number(s.offset) + 2 * String(s.text).indexOf(DEMO_SECRET)).toBe(p.pageOffset);
  });

  it('a bad regex is refused with one clear line and exit 2', async () => {
    const r = await run(['search', image, '--symbols', isf, '--regex', '([unclosed', '--json', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/regex/i);
  });
});

describe('unfold export', () => {
  it('exports slot dumps, refuses a non-empty folder with exit 2 touching nothing, replaces it with --overwrite', async () => {
    const out = path.join(dir, 'export-slots');
    const r = await run(['export', image, '--symbols', isf, '--out', out, '--threads', '2']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const decoded = demo.truth.slots.filter((t) => t.sha256);
    for (const t of decoded) {
      const bytes = readFileSync(path.join(out, `segment${t.segment}`, `slot${t.slot}.dmp`));
      expect(sha(bytes)).toBe(t.sha256);
    }
    expect(JSON.stringify(manifest)).toContain(sha(readFileSync(image)));
    const before = readdirSync(out).sort();
    const mtime = statSync(path.join(out, 'manifest.json')).mtimeMs;
    const again = await run(['export', image, '--symbols', isf, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already exists');
    expect(readdirSync(out).sort()).toEqual(before);
    expect(statSync(path.join(out, 'manifest.json')).mtimeMs).toBe(mtime);
    const forced = await run(['export', image, '--symbols', isf, '--out', out, '--overwrite', '--layout', 'concat', '--threads', '0']);
    expect(forced.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['index.csv', 'index.json', 'manifest.json', 'pages.bin']);
  });

  it('concat layout: pages.bin holds every decoded page at the offset its index gives', async () => {
    const out = path.join(dir, 'export-concat');
    const r = await run(['export', image, '--symbols', isf, '--out', out, '--layout', 'concat', '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const bin = readFileSync(path.join(out, 'pages.bin'));
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'));
    const rows: { offset: number; segment: number; slot: number; sha256: string }[] = Array.isArray(index) ? index : index.pages ?? index.entries;
    const decoded = demo.truth.slots.filter((t) => t.sha256);
    expect(rows).toHaveLength(decoded.length);
    expect(bin.length).toBe(decoded.length * 4096);
    for (const row of rows) {
      const t = decoded.find((d) => d.segment === row.segment && d.slot === row.slot)!;
      expect(sha(bin.subarray(row.offset, row.offset + 4096))).toBe(t.sha256);
    }
  });
});

describe('the evidence file', () => {
  it('is unchanged (SHA-256 and mtime) after a full analysis: info, slots, search, strings, export', async () => {
    const copy = path.join(dir, 'evidence.raw');
    copyFileSync(image, copy);
    const h0 = sha(readFileSync(copy));
    const m0 = statSync(copy).mtimeMs;
    await run(['info', copy, '--symbols', isf, '--json']);
    await run(['slots', copy, '--symbols', isf, '--json']);
    await run(['search', copy, '--symbols', isf, '--string', 'password', '--json']);
    await run(['strings', copy, '--symbols', isf, '--json']);
    await run(['export', copy, '--symbols', isf, '--out', path.join(dir, 'ev-export')]);
    expect(sha(readFileSync(copy))).toBe(h0);
    expect(statSync(copy).mtimeMs).toBe(m0);
  });

  it('a truncated image says where it ends', async () => {
    const cut = path.join(dir, 'cut.raw');
    copyFileSync(image, cut);
    truncateSync(cut, 40 * 1024 * 1024 + 100);
    const r = await run(['info', cut, '--symbols', isf, '--json', '--threads', '0']);
    const text = r.out + r.err;
    expect(text).toMatch(/truncated/);
    expect(text).toContain('0x2800064');
  });
});
