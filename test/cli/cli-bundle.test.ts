// The CLI runs from a cached esbuild bundle of its sources (bin/cli-bundle.mjs): the bundle must
// always be the current sources (any edit, even one that keeps a file's size, rebuilds it), each
// module keeps its own import.meta.url, and the command works from any working directory.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { bundledEntry as bundle } from '../../bin/cli-bundle.mjs';

let root: string;
let cacheDir: string;
let n = 0;

/** import a bundle under a fresh URL (the module cache would hand back the first one) */
const load = async (file: string) => (await import(pathToFileURL(file).href + `?v=${n++}`)) as { value: string; here: string; depHere: string };

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'unfold-bundle-'));
  cacheDir = path.join(root, 'cache');
  mkdirSync(path.join(root, 'src', 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(path.join(root, 'src', 'main.ts'), "import { dep, depHere } from './lib/dep';\nexport const value: string = 'main+' + dep;\nexport const here = import.meta.url;\nexport { depHere };\n");
  writeFileSync(path.join(root, 'src', 'lib', 'dep.ts'), "export const dep: string = 'AAAA';\nexport const depHere = import.meta.url;\n");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the CLI bundle', () => {
  it('is built once, then reused while no source changes', async () => {
    const entry = path.join(root, 'src', 'main.ts');
    const first = await bundle(entry, { root, cacheDir });
    expect(first.built).toBe(true);
    const m = await load(first.file);
    expect(m.value).toBe('main+AAAA');
    // each module sees its own file, not the bundle's
    expect(m.here).toBe(pathToFileURL(entry).href);
    expect(m.depHere).toBe(pathToFileURL(path.join(root, 'src', 'lib', 'dep.ts')).href);
    const again = await bundle(entry, { root, cacheDir });
    expect(again).toEqual({ file: first.file, built: false });
  });

  it('is rebuilt when an imported file changes, even to the same size, and when package.json changes', async () => {
    const entry = path.join(root, 'src', 'main.ts');
    const dep = path.join(root, 'src', 'lib', 'dep.ts');
    const before = await bundle(entry, { root, cacheDir });
    writeFileSync(dep, readFileSync(dep, 'utf8').replace('AAAA', 'BBBB'));
    const after = await bundle(entry, { root, cacheDir });
    expect(after.built).toBe(true);
    expect(after.file).not.toBe(before.file);
    expect((await load(after.file)).value).toBe('main+BBBB');
    // back to the first contents: the first bundle is right again, and nothing stale is used
    writeFileSync(dep, readFileSync(dep, 'utf8').replace('BBBB', 'AAAA'));
    const back = await bundle(entry, { root, cacheDir });
    expect((await load(back.file)).value).toBe('main+AAAA');
    writeFileSync(path.join(root, 'package.json'), '{"type":"module","name":"x"}\n');
    expect((await bundle(entry, { root, cacheDir })).built).toBe(true);
  });

  it('follows a new import and a removed file', async () => {
    const entry = path.join(root, 'src', 'main.ts');
    writeFileSync(path.join(root, 'src', 'lib', 'extra.ts'), "export const extra = 'CC';\n");
    writeFileSync(path.join(root, 'src', 'main.ts'), "import { dep, depHere } from './lib/dep';\nimport { extra } from './lib/extra';\nexport const value: string = 'main+' + dep + extra;\nexport const here = import.meta.url;\nexport { depHere };\n");
    const r = await bundle(entry, { root, cacheDir });
    expect(r.built).toBe(true);
    expect((await load(r.file)).value).toBe('main+AAAACC');
    writeFileSync(path.join(root, 'src', 'lib', 'extra.ts'), "export const extra = 'DD';\n");
    expect((await load((await bundle(entry, { root, cacheDir })).file)).value).toBe('main+AAAADD');
    unlinkSync(path.join(root, 'src', 'lib', 'extra.ts'));
    // the build now fails (the import cannot be resolved): the caller falls back to tsx
    await expect(bundle(entry, { root, cacheDir })).rejects.toThrow();
  });

  it('runs the repository CLI from another working directory', () => {
    const bin = path.resolve('bin/unfold.mjs');
    const r = spawnSync(process.execPath, [bin, '--version'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
    const src = spawnSync(process.execPath, [bin, '--version'], { cwd: root, encoding: 'utf8', env: { ...process.env, UNFOLD_FROM_SOURCE: '1' } });
    expect(src.stdout).toBe(r.stdout);
  });
});
