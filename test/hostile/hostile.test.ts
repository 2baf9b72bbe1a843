// Hostile inputs against the `unfold` command line (issue 9 and the CLI items of issues 10 and 14):
// an export aimed at the evidence, damaged images whose problems every command must print, a raw
// image beside unrelated VMware metadata, runaway regexes, absurd symbol tables, an xz bomb, bad
// option values, missing files and a terabyte of holes. Each case checks the exact exit status and
// message, ends within its time limit, and leaves every evidence file's SHA-256 and mtime unchanged.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, truncateSync, openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { main } from '../../core/cli/main';
import { buildDemoImage, buildScenario, saveSynthImage, type DemoImage } from '../../core/synth/scenarios';
import { writeLime, writeVmware } from '../../core/synth/containers';
import { SparseMemoryImpl } from '../../core/synth/memory';
import { openCase } from '../../core/case';

let dir: string;
let image: string;
let isf: string;
let demo: DemoImage;
let isfDoc: Record<string, any>;

interface Run {
  code: number;
  out: string;
  err: string;
  ms: number;
}

async function run(args: string[], opts: { tty?: boolean } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (opts.tty) (stdout as unknown as { isTTY: boolean }).isTTY = true;
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (d: Buffer) => o.push(d));
  stderr.on('data', (d: Buffer) => e.push(d));
  const t = Date.now();
  const code = await main(args, { stdout, stderr });
  return { code, out: Buffer.concat(o).toString('utf8'), err: Buffer.concat(e).toString('utf8'), ms: Date.now() - t };
}

/** the installed command in a fresh process, killed at `limitMs` (the case fails if it had to be) */
function spawnCli(args: string[], env: Record<string, string>, limitMs: number): Promise<Run & { killed: boolean }> {
  return new Promise((resolve) => {
    const t = Date.now();
    const p = spawn(process.execPath, ['bin/unfold.mjs', ...args], { env: { ...process.env, ...env } });
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => o.push(d));
    p.stderr.on('data', (d: Buffer) => e.push(d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      p.kill('SIGKILL');
    }, limitMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out: Buffer.concat(o).toString('utf8'), err: Buffer.concat(e).toString('utf8'), ms: Date.now() - t, killed });
    });
  });
}

// every evidence file a case touches is checked: after each case it must still exist with the same
// size and mtime (cheap), and after the last case its SHA-256 must be the one taken before the first
// (hashing ~64 MB images after each of ~55 cases cost more than the cases themselves)
const evidence = new Map<string, { sha: string; mtime: number; size: number }>();
function guard(file: string): string {
  const st = statSync(file);
  evidence.set(file, { sha: createHash('sha256').update(readFileSync(file)).digest('hex'), mtime: st.mtimeMs, size: st.size });
  return file;
}
afterEach(() => {
  for (const [file, was] of evidence) {
    expect(existsSync(file), `${file} still exists`).toBe(true);
    const st = statSync(file);
    expect(st.size, `${file} size unchanged`).toBe(was.size);
    expect(st.mtimeMs, `${file} mtime unchanged`).toBe(was.mtime);
  }
});
function checkEvidenceHashes(): void {
  for (const [file, was] of evidence) {
    expect(createHash('sha256').update(readFileSync(file)).digest('hex'), `${file} unchanged`).toBe(was.sha);
  }
}

const problemLines = (err: string) => err.split('\n').filter((l) => l.startsWith('unfold: problem: ')).map((l) => l.slice('unfold: problem: '.length));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-hostile-'));
  demo = buildDemoImage();
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
  guard(image);
  isfDoc = JSON.parse(readFileSync(isf, 'utf8'));
  process.env.UNFOLD_ISF_CACHE = 'off';
});

afterAll(() => {
  delete process.env.UNFOLD_ISF_CACHE;
  try {
    checkEvidenceHashes();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('export never touches the evidence (issue 9 item 1)', () => {
  it('a folder named "..case" holding the evidence is refused, with --overwrite, deleting nothing', async () => {
    const ovr = path.join(dir, 'ovr');
    mkdirSync(path.join(ovr, '..case'), { recursive: true });
    const ev = path.join(ovr, '..case', 'image.raw');
    copyFileSync(image, ev);
    guard(ev);
    writeFileSync(path.join(ovr, 'notes.txt'), 'mine');
    const r = await run(['export', ev, '--symbols', isf, '--out', ovr, '--overwrite', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`unfold: refusing to export into ${ovr}: it is or holds the evidence file ${ev}, which is never written or replaced\n`);
    expect(readdirSync(ovr).sort()).toEqual(['..case', 'notes.txt']);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('the evidence folder reached through a symbolic link is refused', async () => {
    const real = path.join(dir, 'realcase');
    mkdirSync(real);
    const ev = path.join(real, 'image.raw');
    copyFileSync(image, ev);
    guard(ev);
    const link = path.join(dir, 'link-to-case');
    symlinkSync(real, link);
    const r = await run(['export', ev, '--symbols', isf, '--out', link, '--overwrite', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`unfold: refusing to export into ${link}: it is or holds the evidence file ${ev}, which is never written or replaced\n`);
    // an output folder inside the evidence path (the image file itself used as a folder) is refused too
    const inside = await run(['export', ev, '--symbols', isf, '--out', path.join(ev, 'x'), '--threads', '0']);
    expect(inside.code).toBe(2);
    expect(inside.err).toBe(`unfold: refusing to export into ${path.join(ev, 'x')}: it lies inside the evidence path ${ev}\n`);
  });

  it('--overwrite replaces an earlier Unfold export, and nothing that is not exactly one', async () => {
    const out = path.join(dir, 'exp-ovr');
    const first = await run(['export', image, '--symbols', isf, '--out', out, '--layout', 'concat', '--threads', '0']);
    expect(first.code).toBe(0);
    // without --overwrite the refusal names the option
    const again = await run(['export', image, '--symbols', isf, '--out', out, '--threads', '0']);
    expect(again.code).toBe(2);
    expect(again.err).toBe(`unfold: ${out} already exists and is not empty; nothing was written (--overwrite replaces an earlier Unfold export)\n`);
    const second = await run(['export', image, '--symbols', isf, '--out', out, '--overwrite', '--threads', '0']);
    expect(second.code).toBe(0);
    expect(readdirSync(out)).toContain('manifest.json');
    // a file the export did not write makes the folder something else: refused, nothing deleted
    writeFileSync(path.join(out, 'examiner-notes.txt'), 'keep me');
    const third = await run(['export', image, '--symbols', isf, '--out', out, '--overwrite', '--threads', '0']);
    expect(third.code).toBe(2);
    expect(third.err).toBe(
      `unfold: ${out} is not an earlier Unfold export (it holds examiner-notes.txt, which that export did not write); nothing was written or deleted. --overwrite replaces only a folder an Unfold export wrote\n`,
    );
    expect(readFileSync(path.join(out, 'examiner-notes.txt'), 'utf8')).toBe('keep me');
  });
});

describe('every walking command prints the case\'s problems (issue 9 item 3)', () => {
  let cut: string;
  let infoJson: { problems: string[]; consistency: { ok: boolean; checks: Array<{ name: string; expected: number; found: number; ok: boolean }> } };

  beforeAll(async () => {
    // cut in the middle of the segment buffers: whole segments' slots are unreadable
    cut = path.join(dir, 'cut.raw');
    copyFileSync(image, cut);
    truncateSync(cut, 52 * 1048576);
    guard(cut);
    const r = await run(['info', cut, '--symbols', isf, '--json', '--threads', '0']);
    expect(r.code).toBe(4);
    infoJson = JSON.parse(r.out);
  });

  it('the consistency table counts what could not be read, and info exits 4', () => {
    const read = infoJson.consistency.checks.find((c) => c.name === 'live slots whose bytes could be read')!;
    expect(read).toEqual({ name: 'live slots whose bytes could be read', expected: 294, found: 185, ok: false, note: '109 live slot(s) lie on buffer pages the image does not hold' });
    const segs = infoJson.consistency.checks.find((c) => c.name === 'segments read vs c_segment_count')!;
    expect(segs).toMatchObject({ expected: 7, found: 6, ok: false });
    expect(infoJson.consistency.ok).toBe(false);
    expect(infoJson.problems[0]).toMatch(/^c_segments\[7\] → 0xffffff8040002160: c_segment not readable/);
  });

  for (const cmd of [
    ['slots', '--json'],
    ['slots'],
    ['segments', '--json'],
    ['search', '--string', 'UNFOLD', '--json'],
    ['strings', '--json'],
    ['page', '--segment', '1', '--slot', '0', '-o', 'PAGE'],
  ]) {
    it(`${cmd.join(' ')}: one stderr line per problem, the failed checks, exit 4`, async () => {
      const args = cmd.map((a) => (a === 'PAGE' ? path.join(dir, `page-${Math.random().toString(36).slice(2)}.bin`) : a));
      const r = await run([args[0]!, cut, '--symbols', isf, ...args.slice(1), '--threads', '0']);
      expect(problemLines(r.err)).toEqual(infoJson.problems);
      expect(r.err).toContain('unfold: consistency: live slots whose bytes could be read: expected 294, found 185 — 109 live slot(s) lie on buffer pages the image does not hold\n');
      expect(r.err).toContain('unfold: consistency: segments read vs c_segment_count: expected 7, found 6');
      expect(r.code).toBe(4);
    });
  }

  it('page --segment 1 --slot 0 -o PAGE: the page a whole walk gives, and the failed checks info prints but the process walk\'s', async () => {
    // page plans only the segment it prints (issue 14) and counts the rest (its census): what it
    // reports is the whole case's, line for line, except the back-pointer check of the process
    // walk, which page does not make (README: exit statuses)
    const file = path.join(dir, `page-${Math.random().toString(36).slice(2)}.bin`);
    const r = await run(['page', cut, '--symbols', isf, '--segment', '1', '--slot', '0', '-o', file, '--threads', '0']);
    expect(problemLines(r.err)).toEqual(infoJson.problems);
    const processCheck = (ch: { name: string }) => ch.name.startsWith('slot back-pointers');
    expect(infoJson.consistency.checks.filter(processCheck)).toHaveLength(1);
    const failed = infoJson.consistency.checks.filter((ch) => !ch.ok && !processCheck(ch)) as Array<{ name: string; expected: number; found: number; note?: string }>;
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(r.err.split('\n').filter((l) => l.startsWith('unfold: consistency: '))).toEqual(
      failed.map((ch) => `unfold: consistency: ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}`),
    );
    const c = await openCase(cut, { symbols: isf, threads: 0 });
    try {
      expect(readFileSync(file).equals(Buffer.from(c.page(1, 0).page!))).toBe(true);
    } finally {
      await c.close();
    }
    expect(r.code).toBe(4);
  });

  it('export lists the problems in its manifest and exits 4', async () => {
    const out = path.join(dir, 'cut-export');
    const r = await run(['export', cut, '--symbols', isf, '--out', out, '--threads', '0']);
    expect(r.code).toBe(4);
    expect(problemLines(r.err)).toEqual(infoJson.problems);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.caseProblems).toEqual(infoJson.problems);
    expect(m.compressor.consistency.ok).toBe(false);
  });

  it('an unreadable c_segments table page: every command says so, no slot is invented, exit 4', async () => {
    // the demo image as a LiME file without the physical page that holds the c_segments table
    const c = await openCase(image, { symbols: isf, threads: 0 });
    const table = c.plan.header.table;
    const page = Math.floor(c.kernel.space.translate(BigInt(table)) / 4096) * 4096;
    await c.close();
    const chunks: Array<{ start: number; data: Uint8Array }> = [];
    for (const ch of demo.image.memory.chunks) {
      const end = ch.start + ch.data.length;
      if (page < ch.start || page >= end) chunks.push(ch);
      else {
        if (page > ch.start) chunks.push({ start: ch.start, data: ch.data.subarray(0, page - ch.start) });
        if (page + 4096 < end) chunks.push({ start: page + 4096, data: ch.data.subarray(page + 4096 - ch.start) });
      }
    }
    const lime = path.join(dir, 'no-table.lime');
    writeLime(new SparseMemoryImpl(demo.image.memory.size, chunks), lime);
    guard(lime);
    const problem = `c_segments entries 0–7 at ${table} are not present in the image`;
    for (const cmd of [['slots', '--json'], ['segments'], ['search', '--string', 'UNFOLD-DEMO-SECRET', '--json']]) {
      const r = await run([cmd[0]!, lime, '--symbols', isf, ...cmd.slice(1), '--threads', '0']);
      expect(r.code).toBe(4);
      expect(problemLines(r.err)).toEqual([problem]);
      expect(r.err).toContain(`unfold: consistency: segments read vs c_segment_count: expected ${demo.truth.segments.length}, found 0 — ${demo.truth.segments.length} segment(s) in use could not be read from the c_segments table (see the problems)\n`);
      // nothing from the unreadable table is listed: only single-value table hits could remain
      for (const line of r.out.split('\n').filter(Boolean)) expect(JSON.parse(line).segment).toBe(-1);
    }
  });

  it('a rejected table entry and a missing buffer page are printed by slots as by info', async () => {
    const sc = buildScenario('F4-x86_64');
    const p = await saveSynthImage(sc.image, dir, 'f4');
    guard(p.imagePath);
    const info = await run(['info', p.imagePath, '--symbols', p.isfPath, '--json', '--threads', '0']);
    const problems = JSON.parse(info.out).problems as string[];
    expect(problems.some((l) => /^c_segments\[\d+\] → 0x[0-9a-f]+: c_mysegno is \d+, not \d+; not a segment$/.test(l))).toBe(true);
    expect(problems.some((l) => /^segment \d+: buffer page 0x[0-9a-f]+ \(offset 0x1000\) is not present in the image/.test(l))).toBe(true);
    const slots = await run(['slots', p.imagePath, '--symbols', p.isfPath, '--json', '--threads', '0']);
    expect(problemLines(slots.err)).toEqual(problems);
    expect(slots.code).toBe(4);
  });
});

describe('VMware metadata beside a raw image (issue 9 item 4)', () => {
  it('image.raw beside an unrelated image.vmss is read as raw, with the ignored metadata noted', async () => {
    const d = path.join(dir, 'vm');
    mkdirSync(d);
    const other = buildScenario('F4-x86_64');
    const files = writeVmware(other.image.memory, d, { regions: true, name: 'image' });
    rmSync(files.vmem!);
    const raw = path.join(d, 'image.raw');
    copyFileSync(image, raw);
    guard(raw);
    guard(files.meta);
    const r = await run(['info', raw, '--symbols', isf, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.container).toBe('raw');
    expect(j.notes[0]).toBe(`VMware metadata ${files.meta} ignored: it describes a .vmem of the same name, not image.raw`);
    expect(r.err).toBe(`unfold: image: VMware metadata ${files.meta} ignored: it describes a .vmem of the same name, not image.raw\n`);
    expect(j.slots).toEqual(demo.truth.counts.byKind);
  });
});

describe('runaway regexes (issue 9 item 8)', () => {
  // each runaway pattern matches exactly what a tame one does; both must give the same hits
  for (const [re, tame] of [
    ['(.*)*\\xff\\xfe\\xfd', '.*\\xff\\xfe\\xfd'],
    ['(\\x00+)+\\x01', '\\x00+\\x01'],
  ]) {
    it(`--regex '${re}' searches every page within 60 s, with the hits of '${tame}'`, async () => {
      const r = await run(['search', image, '--symbols', isf, '--regex', re!, '--threads', '2', '--json']);
      expect(r.ms).toBeLessThan(60_000);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      const t = await run(['search', image, '--symbols', isf, '--regex', tame, '--json', '--threads', '0']);
      expect(t.code).toBe(0);
      const esc = (p: string) => JSON.stringify(`regex:/${p}/`).slice(1, -1);
      const label = (s: string) => s.split(esc(re!)).join('P').split(esc(tame!)).join('P');
      expect(label(r.out).split('\n').length).toBeGreaterThan(re!.startsWith('(\\x00') ? 2 : 0);
      expect(label(r.out)).toBe(label(t.out));
    }, 70_000);
  }

  it('a regex no engine can bound is stopped page by page at its budget and the pages are reported (exit 4)', async () => {
    const r = await spawnCli(['search', image, '--symbols', isf, '--regex', '(\\x00*)*\\1\\x01', '--threads', '2'], { UNFOLD_PAGE_BUDGET_MS: '200' }, 90_000);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(4);
    const gave = r.err.split('\n').filter(Boolean);
    expect(gave.length).toBeGreaterThan(0);
    for (const l of gave) {
      expect(l).toMatch(
        /^unfold: search gave up on segment -?\d+ slot \d+: (the search of this (single-value )?page ran past its 200 ms budget and was stopped|not searched: 3 pages before it in the same job ran past the 200 ms budget)$/,
      );
    }
    expect(r.out).toBe(`0 hits in 294 pages (${gave.length} page(s) not fully searched)\n`);
  }, 100_000);

  it('cancel stops the worker threads at once, and the next search answers', async () => {
    const { openCase } = await import('../../core/case');
    const c = await openCase(image, { symbols: isf, threads: 2 });
    try {
      const ac = new AbortController();
      const t0 = Date.now();
      const pending = c.search({ regexes: ['(\\x00*)*\\1\\x01'] }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 300);
      const r = await pending;
      expect(r.cancelled).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1500);
      // the stuck threads were stopped: the process is idle now (two spinning threads would use ~2 s of CPU per second)
      const cpu0 = process.cpuUsage();
      await new Promise((res) => setTimeout(res, 1000));
      const cpu = process.cpuUsage(cpu0);
      expect((cpu.user + cpu.system) / 1000).toBeLessThan(600);
      const t1 = Date.now();
      const next = await c.search({ strings: ['UNFOLD-DEMO-SECRET'] });
      expect(next.cancelled).toBe(false);
      expect(next.hits).toBeGreaterThan(0);
      expect(Date.now() - t1).toBeLessThan(10_000);
    } finally {
      await c.close();
    }
  }, 30_000);

  it('a 100 KB pattern is refused before the image is opened, with a clear error (exit 2)', async () => {
    const r = await run(['search', path.join(dir, 'does-not-exist.raw'), '--regex', 'a'.repeat(100_000)]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`unfold: bad regex pattern /${'a'.repeat(32)}…/: it is 100000 characters long; the limit is 4096\n`);
    expect(r.out).toBe('');
  });

  it('a pattern V8 cannot compile is refused up front, not in the workers', async () => {
    const r = await run(['search', image, '--symbols', isf, '--regex', '(unclosed']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('unfold: bad regex pattern /(unclosed/: Unterminated group\n');
  });
});

describe('absurd symbol tables (issue 9 item 9)', () => {
  const variants: Array<[string, (d: any) => void, string]> = [
    ['c_segment size 2^40', (d) => (d.user_types.c_segment.size = 2 ** 40), 'user_types.c_segment.size is 1099511627776, not a whole number from 0 to 4294967296'],
    ['a negative offset', (d) => (d.user_types.c_segment.fields.c_mysegno.offset = -8), 'user_types.c_segment.fields.c_mysegno.offset is -8, not a whole number from 0 to 4294967296'],
    ['a huge offset', (d) => (d.user_types.c_segment.fields.c_mysegno.offset = 2 ** 31), 'user_types.c_segment.fields.c_mysegno (offset 2147483648, 4 bytes) ends past the 136-byte c_segment'],
    ['a fractional offset', (d) => (d.user_types.c_segment.fields.c_mysegno.offset = 48.5), 'user_types.c_segment.fields.c_mysegno.offset is 48.5, not a whole number from 0 to 4294967296'],
    ['a string offset', (d) => (d.user_types.c_segment.fields.c_mysegno.offset = '48'), 'user_types.c_segment.fields.c_mysegno.offset is "48", not a whole number from 0 to 4294967296'],
    ['fields: null', (d) => (d.user_types.c_slot.fields = null), 'user_types.c_slot.fields is null, not an object of fields'],
    ['a null enum', (d) => (d.enums.c_state_t = null), 'enums.c_state_t is null, not an object'],
    ['a non-numeric enum constant', (d) => (d.enums.c_state_t = { size: 4, base: 'int', constants: { C_IS_EMPTY: 'zero' } }), 'enums.c_state_t.constants.C_IS_EMPTY is "zero", not a whole number'],
    ['a 3-byte unsigned short', (d) => (d.base_types['unsigned short'].size = 3), 'base_types.unsigned short.size is 3: an integer type is 1, 2, 4, 8 or 16 bytes'],
  ];
  for (const [name, mutate, where] of variants) {
    it(`${name}: exit 3 naming the file and the field`, async () => {
      const d = structuredClone(isfDoc);
      mutate(d);
      const bad = path.join(dir, `bad-${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(bad, JSON.stringify(d));
      const r = await run(['search', image, '--symbols', bad, '--string', 'UNFOLD', '--threads', '0']);
      expect(r.code).toBe(3);
      expect(r.err).toBe(`unfold: ${bad}: ${where}; the symbol table cannot be used\n`);
      expect(r.out).toBe('');
    });
  }

  it('in a folder, a bad file sorting first does not win over a good one', async () => {
    const folder = path.join(dir, 'isf-folder');
    mkdirSync(folder);
    const d = structuredClone(isfDoc);
    d.user_types.c_segment.fields.c_mysegno.offset = 48.5;
    writeFileSync(path.join(folder, 'a-bad.json'), JSON.stringify(d));
    const good = path.join(folder, 'b-good.json');
    copyFileSync(isf, good);
    const r = await run(['info', image, '--symbols', folder, '--json', '--threads', '0']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).symbols).toBe(good);
  });
});

// @napi-rs/lzma stores zeros without compressing them, so the bomb is made with xz-utils' own `xz`
const hasXz = spawnSync('xz', ['--version']).status === 0;
function bombBytes(): Buffer {
  // 64 MiB of zeros is about 10 KB of xz; 32 concatenated streams declare 2 GiB
  const one = spawnSync('xz', ['-z', '-c', '-T1', '-0'], { input: Buffer.alloc(64 * 1048576), maxBuffer: 1 << 26 }).stdout as Buffer;
  return Buffer.concat(Array.from({ length: 32 }, () => one));
}

describe.skipIf(!hasXz)('an xz bomb (issue 9 item 10; skipped without the xz command)', () => {
  it('32 streams of 64 MiB of zeros (2 GiB declared, a few hundred KB) are refused at once, naming the file', async () => {
    const bomb = path.join(dir, 'bomb.json.xz');
    writeFileSync(bomb, bombBytes());
    expect(statSync(bomb).size).toBeLessThan(2 * 1048576);
    const t = Date.now();
    const r = await run(['info', image, '--symbols', bomb, '--threads', '0']);
    expect(Date.now() - t).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    expect(r.err).toBe(`unfold: ${bomb}: its xz data declares ${2 ** 31} bytes, more than the ${512 * 1048576}-byte limit for a symbol table; not read\n`);
  }, 60_000);

  it('an index that under-declares its data is caught from the LZMA2 chunk headers, before decompressing', async () => {
    const z = Buffer.from(spawnSync('xz', ['-z', '-c', '-T1', '-0'], { input: Buffer.alloc(64 * 1048576), maxBuffer: 1 << 26 }).stdout as Buffer);
    // the index: indicator 0, one record, unpadded size, uncompressed size 64 MiB = 80 80 80 20
    const footer = z.length - 12;
    const idx = footer - (z.readUInt32LE(footer + 4) + 1) * 4;
    const at = z.indexOf(Buffer.from([0x80, 0x80, 0x80, 0x20]), idx);
    expect(at).toBeGreaterThan(idx);
    z[at + 3] = 0x01; // now it declares 2 MiB
    const forged = path.join(dir, 'forged.json.xz');
    writeFileSync(forged, z);
    const t = Date.now();
    const r = await run(['info', image, '--symbols', forged, '--threads', '0']);
    expect(Date.now() - t).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    expect(r.err).toBe(`unfold: ${forged}: xz data is damaged (the index declares a block of 2097152 bytes, its data holds 67108864)\n`);
  }, 60_000);

  it('in a folder the bomb is skipped and the good ISF is used', async () => {
    const folder = path.join(dir, 'bomb-folder');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'a-bomb.json.xz'), bombBytes());
    copyFileSync(isf, path.join(folder, 'b-good.json'));
    const cacheFile = path.join(dir, 'isf-index.json');
    process.env.UNFOLD_ISF_CACHE = cacheFile;
    try {
      const r = await run(['info', image, '--symbols', folder, '--json', '--threads', '0']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).symbols).toBe(path.join(folder, 'b-good.json'));
      // the bomb is remembered as unreadable (by path, size and mtime), so later opens do not read it again
      const entries = JSON.parse(readFileSync(cacheFile, 'utf8')).entries as Record<string, { banner: string | null; error?: string }>;
      const bombKey = Object.keys(entries).find((k) => k.startsWith(path.join(folder, 'a-bomb.json.xz') + '\u0000'))!;
      expect(entries[bombKey]).toEqual({
        banner: null,
        versionAddress: null,
        error: `${path.join(folder, 'a-bomb.json.xz')}: its xz data declares ${2 ** 31} bytes, more than the ${512 * 1048576}-byte limit for a symbol table; not read`,
      });
      const again = await run(['info', image, '--symbols', folder, '--json', '--threads', '0']);
      expect(again.code).toBe(0);
    } finally {
      process.env.UNFOLD_ISF_CACHE = 'off';
    }
  }, 60_000);
});

describe('exit statuses (issue 9 item 11, issue 14 CLI)', () => {
  const usage: Array<[string[], string]> = [
    [['slots', 'IMG', '--threads', 'abc'], 'unfold: --threads must be a whole number from 0 to 256, got "abc"\n'],
    [['slots', 'IMG', '--threads=-3'], 'unfold: --threads must be a whole number from 0 to 256, got "-3"\n'],
    [['info', 'IMG', '--threads', '-3'], 'unfold: --threads must be a whole number from 0 to 256, got "-3"\n'],
    [['slots', 'IMG', '--segment', '-1'], 'unfold: --segment must be a whole number ≥ 0, got "-1"\n'],
    [['strings', 'IMG', '--min', '0'], 'unfold: --min must be a whole number from 1 to 4096, got "0"\n'],
    [['slots', 'IMG', '--segment', 'abc'], 'unfold: --segment must be a whole number ≥ 0, got "abc"\n'],
    [['slots', 'IMG', '--segment=-1'], 'unfold: --segment must be a whole number ≥ 0, got "-1"\n'],
    [['page', 'IMG', '--segment', 'abc', '--slot', '0'], 'unfold: --segment must be a whole number ≥ 0, got "abc"\n'],
    [['page', 'IMG', '--segment=-1', '--slot', '0'], 'unfold: --segment must be a whole number ≥ 0, got "-1"\n'],
    [['search', 'IMG', '--string', 'x', '--context', 'lots'], 'unfold: --context must be a whole number from 0 to 4096, got "lots"\n'],
  ];
  for (const [args, msg] of usage) {
    it(`${args.join(' ')}: exit 64 naming the option, before the image is read`, async () => {
      const r = await run(args.map((a) => (a === 'IMG' ? image : a)));
      expect(r.err).toBe(msg);
      expect(r.code).toBe(64);
      expect(r.ms).toBeLessThan(5_000);
    });
  }

  it('a missing image: exit 2 with a sentence, not a raw ENOENT', async () => {
    const missing = path.join(dir, 'nowhere', 'missing.raw');
    for (const cmd of ['info', 'slots', 'segments']) {
      const r = await run([cmd, missing, '--symbols', isf]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`unfold: cannot open ${missing}: there is no such file or folder (ENOENT)\n`);
    }
  });

  it('an unreadable image: exit 2 with a sentence (EACCES)', async () => {
    if (process.getuid?.() === 0) {
      // root reads any file whatever its mode; the errno mapping is checked directly instead
      const { exitCodeFor } = await import('../../core/cli/main');
      const { fromErrno } = await import('../../core/errors');
      const e = fromErrno(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), '/x/image.raw', 'open') as Error;
      expect(e.message).toBe('cannot open /x/image.raw: permission denied (EACCES)');
      expect(exitCodeFor(e)).toBe(2);
      return;
    }
    const locked = path.join(dir, 'locked.raw');
    copyFileSync(image, locked);
    const { chmodSync } = await import('node:fs');
    chmodSync(locked, 0);
    const r = await run(['info', locked, '--symbols', isf]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`unfold: cannot open ${locked}: permission denied (EACCES)\n`);
  });

  it('a YARA rule with a syntax error: exit 2', async () => {
    const rules = path.join(dir, 'bad.yar');
    writeFileSync(rules, 'rule broken { strings: $a = "x" condition: $a and }\n');
    const r = await run(['search', image, '--symbols', isf, '--yara', rules]);
    if (r.err.includes('YARA is not available')) return; // no engine on this platform
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(new RegExp(`^unfold: bad yara pattern ${rules.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  it('export into a path under a file: exit 2 naming ENOTDIR', async () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const out = path.join(file, 'export');
    const r = await run(['export', image, '--symbols', isf, '--out', out, '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^unfold: cannot check ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: a part of the path is not a folder \\(ENOTDIR\\)\\n$`));
  });

  it('export failures ENOSPC and EROFS map to exit 2 (the write error, not a crash)', async () => {
    const { exitCodeFor } = await import('../../core/cli/main');
    const { writeFailed } = await import('../../core/export/atomic');
    for (const [code, words] of [
      ['ENOSPC', 'no space left on the device'],
      ['EROFS', 'the file system is read-only'],
    ]) {
      const e = writeFailed('/x/out/pages.bin', Object.assign(new Error(code), { code }));
      expect(e.message).toBe(`cannot write /x/out/pages.bin: ${words} (${code})`);
      expect(exitCodeFor(e)).toBe(2);
    }
  });

  it('an error thrown on a worker thread arrives with its type and code', async () => {
    const { WorkerPool } = await import('../../core/work/pool');
    const { UnfoldError } = await import('../../core/errors');
    const pool = new WorkerPool(1);
    try {
      const job = { task: 'values', query: { regexes: ['(unclosed'] }, queryKey: 'k', values: ['0x0'], pageSize: 4096 };
      const e = await pool.run(job).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnfoldError);
      expect((e as InstanceType<typeof UnfoldError>).code).toBe('BAD_QUERY');
      expect((e as Error).message).toBe('bad regex pattern /(unclosed/: Unterminated group');
      expect((e as InstanceType<typeof UnfoldError>).details).toMatchObject({ type: 'regex', pattern: '/(unclosed/' });
    } finally {
      await pool.close();
    }
  });

  it('info --json without symbols: one JSON object with the banner, the container and what ISF is needed (exit 3)', async () => {
    const empty = path.join(dir, 'no-isf');
    mkdirSync(empty, { recursive: true });
    const r = await run(['info', image, '--symbols', empty, '--json', '--threads', '0']);
    expect(r.code).toBe(3);
    const lines = r.out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    expect(j.symbols).toBeNull();
    expect(j.container).toBe('raw');
    expect(j.banner).toBe(demo.image.banner);
    expect(j.ranges).toEqual([{ start: '0x0', length: statSync(image).size }]);
    expect(j.isfNeeded).toBe(`a Volatility 3 ISF made (dwarf2json) from the Kernel Debug Kit of: ${demo.image.banner}`);
    expect(r.err).toMatch(/^unfold: No symbol table in .* matches the kernel in this image/);
  });

  it('page refuses to write binary to a terminal (exit 64), writes with -o', async () => {
    const r = await run(['page', image, '--symbols', isf, '--segment', '1', '--slot', '0', '--threads', '0'], { tty: true });
    expect(r.code).toBe(64);
    expect(r.err).toBe('unfold: refusing to write a binary page to the terminal: give -o FILE, or pipe it (e.g. | xxd)\n');
    expect(r.out).toBe('');
    const file = path.join(dir, 'one-page.bin');
    const w = await run(['page', image, '--symbols', isf, '--segment', '1', '--slot', '0', '-o', file, '--threads', '0'], { tty: true });
    expect(w.code).toBe(0);
    expect(statSync(file).size).toBe(4096);
    const again = await run(['page', image, '--symbols', isf, '--segment', '1', '--slot', '0', '-o', file, '--threads', '0']);
    expect(again.code).toBe(2);
    expect(again.err).toBe(`unfold: ${file} already exists; not overwritten (--overwrite replaces it)\n`);
  });

  it('a segment that does not exist: exit 2 saying how many there are', async () => {
    const r = await run(['slots', image, '--symbols', isf, '--segment', '99', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`unfold: there is no segment 99 (the case has ${demo.truth.segments.length} segments; see unfold segments)\n`);
  });
});

describe('a terabyte of holes (issue 9 item 12)', () => {
  it('a 1 TiB sparse file says "no banner" in seconds, naming the holes it skipped', async () => {
    const sparse = path.join(dir, 'sparse.raw');
    const fd = openSync(sparse, 'w');
    try {
      const head = Buffer.alloc(1 << 20);
      for (let i = 0; i < head.length; i += 2) head[i] = 0xff;
      writeSync(fd, head, 0, head.length, 0);
      writeSync(fd, Buffer.from('not a banner'), 0, 12, 700 * 2 ** 30);
    } finally {
      closeSync(fd);
    }
    truncateSync(sparse, 2 ** 40);
    const r = await spawnCli(['info', sparse, '--json'], {}, 60_000);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^unfold: No macOS kernel banner \("Darwin Kernel Version …"\) was found in .*sparse\.raw \(1048576\.0 MiB in 1 physical range\(s\) searched\)\. Check that this is a memory image of a Mac and that it is complete \(sparse file: \d+ bytes of holes \(read as zeros\) were not scanned\)\.\n$/);
    rmSync(sparse);
  }, 70_000);
});
