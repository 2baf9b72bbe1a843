// The process command contracts (issue 11) through the installed command, on the demo image: procs and
// maps JSON keys against the builder's truth, owners on slots, single-value entries and search hits,
// vread bytes of the planted secret in Safari, procdump file names, page sources and hashes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildDemoImage, saveSynthImage, DEMO_SECRET, type DemoImage } from '../../core/synth/scenarios';

let dir: string;
let image: string;
let isf: string;
let demo: DemoImage;

const hex = (v: bigint | number) => '0x' + v.toString(16);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

function unfold(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/unfold.mjs', ...args], { maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}
const on = () => [image, '--symbols', isf, '--threads', '0'];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-procs-'));
  demo = buildDemoImage();
  ({ imagePath: image, isfPath: isf } = await saveSynthImage(demo.image, dir, 'demo'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('unfold procs / maps', () => {
  it('procs --json: one line per process with pid, ppid, name, task, map and page counts by state', () => {
    const r = unfold(['procs', ...on(), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = lines(r.stdout.toString('utf8'));
    expect(got.map((p) => [p.pid, p.ppid, p.name, p.task, p.map, p.pages])).toEqual(
      demo.procs!.processes.map((p) => [p.pid, p.ppid, p.name, hex(p.task), hex(p.map), p.counts]),
    );
    expect(got.find((p) => p.pid === 415)!.pName).toBe('com.apple.WebKit.WebContent');
    for (const p of got) expect(Object.keys(p.pages as object).sort()).toEqual(['absent', 'compressed', 'resident', 'single', 'swapped']);
  });

  it('maps --pid N --json: one line per region with start, end (exclusive), protection and page counts', () => {
    const safari = demo.procs!.processes.find((p) => p.name === 'Safari')!;
    const r = unfold(['maps', ...on(), '--pid', String(safari.pid), '--json']);
    expect(r.status).toBe(0);
    expect(lines(r.stdout.toString('utf8')).map((x) => [x.start, x.end, x.protection, x.pages])).toEqual(
      safari.regions.map((x) => [hex(x.start), hex(x.end), x.protection, x.counts]),
    );
  });

  it('maps of a pid the image does not hold: exit 2 naming it; a bad pid: exit 64', () => {
    const r = unfold(['maps', ...on(), '--pid', '4242', '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no process with pid 4242');
    expect(unfold(['maps', ...on(), '--pid', 'x1']).status).toBe(64);
  });
});

describe('owners', () => {
  it('slots --json: every record has owners equal to the truth ([] when unowned)', () => {
    const r = unfold(['slots', ...on(), '--json']);
    expect(r.status).toBe(0);
    const recs = lines(r.stdout.toString('utf8'));
    const truth = new Map(demo.procs!.slots.map((s) => [`${s.segment}:${s.slot}`, s.owners.map((o) => ({ pid: o.pid, va: hex(o.va) }))]));
    expect(recs.length).toBe(demo.procs!.slots.length);
    for (const rec of recs) expect(rec.owners).toEqual(truth.get(`${rec.segment}:${rec.slot}`));
    expect(recs.some((x) => (x.owners as unknown[]).length > 1)).toBe(true);
    expect(recs.some((x) => (x.owners as unknown[]).length === 0)).toBe(true);
  });

  it('info --json: single-value entries carry their owners; the back-pointer check is in the consistency table', () => {
    const r = unfold(['info', ...on(), '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout.toString('utf8')) as { singleValue: Array<{ index: number; owners: unknown }>; consistency: { checks: Array<{ name: string; expected: number; found: number; ok: boolean }> }; processes: { available: boolean; count: number } };
    const truth = new Map(demo.procs!.sv.map((e) => [e.index, e.owners.map((o) => ({ pid: o.pid, va: hex(o.va) }))]));
    for (const e of j.singleValue) expect(e.owners).toEqual(truth.get(e.index) ?? []);
    const bp = j.consistency.checks.find((c) => c.name.startsWith('slot back-pointers'))!;
    expect(bp).toMatchObject({ expected: demo.procs!.slots.length, found: demo.procs!.slots.length, ok: true });
    expect(j.processes).toMatchObject({ available: true, count: demo.procs!.processes.length });
  });

  it('search --json: the planted secret hits carry Safari as owner at the planted address', () => {
    const r = unfold(['search', ...on(), '--string', DEMO_SECRET, '--utf16', '--ascii', '--json']);
    expect(r.status).toBe(0);
    const hits = lines(r.stdout.toString('utf8'));
    expect(hits.length).toBe(demo.planted.length);
    for (const p of demo.planted) {
      const at = p.pageOffset + p.text.indexOf(DEMO_SECRET) * (p.encoding === 'ascii' ? 1 : 2);
      const h = hits.find((x) => x.segment === p.segment && x.slot === p.slot && x.offset === at)!;
      expect(h.owners).toEqual(p.owners.map((o) => ({ pid: o.pid, va: hex(o.va) })));
    }
  });
});

describe('unfold vread / procdump', () => {
  it('vread: the bytes of the planted secret at its address in Safari', () => {
    for (const p of demo.planted) {
      const o = p.owners[0]!;
      const want = p.encoding === 'ascii' ? Buffer.from(p.text, 'latin1') : Buffer.from(p.text, 'utf16le');
      const r = unfold(['vread', ...on(), '--pid', String(o.pid), '--va', hex(o.va + BigInt(p.pageOffset)), '--length', String(want.length)]);
      expect(r.status).toBe(0);
      expect(r.stdout.equals(want)).toBe(true);
    }
  });

  it('vread across pages: every page of a region equals its truth hash; absent pages zero and named on stderr', () => {
    const safari = demo.procs!.processes.find((p) => p.name === 'Safari')!;
    const heap = safari.regions.find((r) => r.counts.absent > 0)!;
    const len = Number(heap.end - heap.start);
    const r = unfold(['vread', ...on(), '--pid', String(safari.pid), '--va', hex(heap.start), '--length', String(len)]);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(len);
    const ps = demo.procs!.pageSize;
    heap.pages.forEach((pg, i) => {
      const b = r.stdout.subarray(i * ps, (i + 1) * ps);
      if (pg.state === 'absent') {
        expect(b.every((x) => x === 0)).toBe(true);
        expect(r.stderr).toContain(`zero-filled ${hex(pg.va)}`);
      } else expect(sha(b)).toBe(pg.sha256);
    });
  });

  it('procdump: one file per region named as Volatility 3 does, manifest hashes and page sources; refuses an existing folder', () => {
    const safari = demo.procs!.processes.find((p) => p.name === 'Safari')!;
    const out = path.join(dir, 'dump');
    const r = unfold(['procdump', ...on(), '--pid', String(safari.pid), '--out', out, '--json']);
    expect(r.status).toBe(0);
    const names = safari.regions.map((x) => `pid.${safari.pid}.vma.${hex(x.start)}-${hex(x.end)}.dmp`);
    expect(readdirSync(out).sort()).toEqual([...names, 'manifest.json'].sort());
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      tool: { name: string };
      files: Array<{ path: string; sha256: string; bytes: number; pages: Array<{ va: string; state: string; phys?: string; segment?: number; slot?: number; svIndex?: number }> }>;
    };
    expect(m.tool.name).toBe('unfold');
    expect(m.files.map((f) => f.path)).toEqual(names);
    const ps = demo.procs!.pageSize;
    for (const [i, f] of m.files.entries()) {
      const bytes = readFileSync(path.join(out, f.path));
      expect(f.sha256).toBe(sha(bytes));
      const region = safari.regions[i]!;
      expect(f.pages.map((p) => [p.va, p.state, p.phys ?? null, p.segment ?? null, p.slot ?? null, p.svIndex ?? null])).toEqual(
        region.pages.map((p) => [hex(p.va), p.state, p.phys !== undefined ? hex(p.phys) : null, p.segment ?? null, p.slot ?? null, p.svIndex ?? null]),
      );
      region.pages.forEach((pg, k) => {
        const b = bytes.subarray(k * ps, (k + 1) * ps);
        if (pg.state === 'absent') expect(b.every((x) => x === 0)).toBe(true);
        else expect(sha(b)).toBe(pg.sha256);
      });
    }
    // an existing folder is refused (exit 2), and --overwrite replaces only an earlier Unfold export
    const again = unfold(['procdump', ...on(), '--pid', String(safari.pid), '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(unfold(['procdump', ...on(), '--pid', String(safari.pid), '--out', out, '--overwrite']).status).toBe(0);
    const foreign = path.join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const refused = unfold(['procdump', ...on(), '--pid', String(safari.pid), '--out', foreign, '--overwrite']);
    expect(refused.status).toBe(2);
    expect(readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
