// The worker bundle is rebuilt only when one of its inputs changed (core/work/pool.ts bundleWorker):
// a stamp records each input's size and modification time.
import { mkdtempSync, rmSync, writeFileSync, readFileSync, utimesSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleWorker } from '../../core/work/pool';

const dir = mkdtempSync(path.join(tmpdir(), 'unfold-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bundleWorker', () => {
  it('reuses the bundle while no input changed, and rebuilds it when one did', () => {
    const src = path.join(dir, 'src');
    mkdirSync(src);
    const entry = path.join(src, 'entry.ts');
    const dep = path.join(src, 'dep.ts');
    writeFileSync(dep, 'export const answer: number = 41;\n');
    writeFileSync(entry, "import { answer } from './dep';\nconsole.log(answer + 1);\n");
    // inputs modified just now are never stamped (they may change under the build): age them
    const old = new Date(Date.now() - 60_000);
    for (const f of [entry, dep]) utimesSync(f, old, old);
    const out = path.join(dir, 'cache');
    const a = bundleWorker(entry, out);
    expect(a.reused).toBe(false);
    expect(readFileSync(a.file, 'utf8')).toContain('41');
    const b = bundleWorker(entry, out);
    expect(b).toEqual({ file: a.file, reused: true });
    // a changed dependency (another size) is noticed
    writeFileSync(dep, 'export const answer: number = 4100;\n');
    utimesSync(dep, old, old);
    const c = bundleWorker(entry, out);
    expect(c.reused).toBe(false);
    expect(c.file).not.toBe(a.file);
    expect(readFileSync(c.file, 'utf8')).toContain('4100');
    // same size, other modification time: rebuilt too
    const older = new Date(Date.now() - 120_000);
    utimesSync(dep, older, older);
    expect(bundleWorker(entry, out).reused).toBe(false);
    expect(bundleWorker(entry, out).reused).toBe(true);
  });
});
