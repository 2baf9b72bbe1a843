// The two YARA engines behind core/search/yara.ts: the native YARA-X binding (where a platform package
// is installed; Linux x64 here) and libyara in WebAssembly (everywhere). The wasm path is forced with
// UNFOLD_YARA_ENGINE=wasm, as a Mac or Windows machine would take it, and must give exactly the hits the
// native engine gives, on whole synthetic images searched through worker threads. Includes are refused by
// both with the same words, without opening the file.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildDemoImage, buildScenario, saveSynthImage, DEMO_SECRET } from '../../core/synth/scenarios';
import { openCase } from '../../core/case';
import { compileYara, checkYaraSource, yaraEngineInfo, yaraEngineAvailable, INCLUDE_REFUSED, YARA_ENGINE_ENV, type YaraEngineKind } from '../../core/search/yara';
import { compileMatcher } from '../../core/search/matcher';
import { QueryError } from '../../core/search/query';
import { nativePackageName } from '../../core/search/yara-native';
import { main } from '../../core/cli/main';
import { PassThrough } from 'node:stream';
import { runCli as run } from '../cli/run-in-process';

const nativeHere = yaraEngineAvailable('native');
const ENGINES: YaraEngineKind[] = nativeHere ? ['native', 'wasm'] : ['wasm'];
if (!nativeHere) console.warn(`yara-engines.test: no native YARA-X binding (${nativePackageName()}) here; native comparisons skipped`);

const RULES = `
rule demo_secret { strings: $a = "${DEMO_SECRET}" ascii wide condition: $a }
rule password_field { strings: $r = /password=[A-Z0-9-]{6,}/ condition: $r }
rule kernel_words { strings: $k = "kernel" nocase $s = "segment" condition: #k >= 2 and $s }
rule the_at_start { strings: $t = "the " condition: $t at 0 }
rule mz_like { strings: $h = { 6d 65 ?? 6f 72 79 } condition: $h }
rule whole_page_16k { condition: filesize == 16384 }
`;

const dir = mkdtempSync(path.join(tmpdir(), 'unfold-yara-engines-'));
const saved = process.env[YARA_ENGINE_ENV];
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  if (saved === undefined) delete process.env[YARA_ENGINE_ENV];
  else process.env[YARA_ENGINE_ENV] = saved;
});

type Row = [number, number, number, number, string];

/** every hit of RULES over a whole image, searched on two worker threads with the engine forced */
async function searchImage(imagePath: string, isfPath: string, kind: YaraEngineKind): Promise<Row[]> {
  process.env[YARA_ENGINE_ENV] = kind; // the decode workers start with the case and inherit it
  const c = await openCase(imagePath, { symbols: isfPath, threads: 2 });
  try {
    const rows: Row[] = [];
    await c.search({ yara: [{ source: RULES, origin: 'engines.yar' }] }, { onHit: (h) => rows.push([h.segment, h.slot, h.offset, h.length, h.pattern]) });
    return rows.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || (a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0));
  } finally {
    await c.close();
  }
}

describe('engine choice', () => {
  it('prefers the native binding where it loads, and UNFOLD_YARA_ENGINE forces either', () => {
    delete process.env[YARA_ENGINE_ENV];
    expect(yaraEngineInfo().kind).toBe(nativeHere ? 'native' : 'wasm');
    process.env[YARA_ENGINE_ENV] = 'wasm';
    expect(yaraEngineInfo()).toEqual({ kind: 'wasm', label: 'libyara 4.5.8 (wasm)' });
    if (nativeHere) {
      process.env[YARA_ENGINE_ENV] = 'native';
      expect(yaraEngineInfo()).toEqual({ kind: 'native', label: 'yara-x 1.7.1 (native)' });
    }
    process.env[YARA_ENGINE_ENV] = 'v8';
    expect(() => yaraEngineInfo()).toThrow('UNFOLD_YARA_ENGINE must be native, wasm or auto, not "v8"');
  });

  it('the wasm engine loads and scans inside a worker thread with nothing but posted data', async () => {
    const bootstrap = pathToFileURL(path.resolve(fileURLToPath(import.meta.url), '../../../core/work/bootstrap.mjs'));
    const entry = pathToFileURL(path.resolve(fileURLToPath(import.meta.url), '../yara-engine-worker.ts')).href;
    const page = new Uint8Array(4096);
    page.set(new TextEncoder().encode('secret'), 4090);
    const w = new Worker(bootstrap, {
      workerData: { __entry: entry, source: 'rule tail { strings: $s = "secret" condition: $s at 4090 }', page },
      env: { ...process.env, [YARA_ENGINE_ENV]: 'wasm' },
    });
    const got = await new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(got).toEqual({ engine: 'libyara 4.5.8 (wasm)', hits: [[4090, 6, 'yara:tail']] });
  });
});

describe('the same rules give the same hits on both engines', () => {
  const images: Array<{ name: string; make: () => Promise<{ imagePath: string; isfPath: string }> }> = [
    { name: 'demo (F9, x86_64, planted secrets)', make: () => saveSynthImage(buildDemoImage().image, dir, 'demo') },
    { name: 'F4-x86_64', make: () => saveSynthImage(buildScenario('F4-x86_64').image, dir, 'f4') },
    { name: 'F9-arm64 (16 KiB pages)', make: () => saveSynthImage(buildScenario('F9-arm64').image, dir, 'f9a') },
  ];
  for (const img of images) {
    it(img.name, async () => {
      const { imagePath, isfPath } = await img.make();
      const byEngine = new Map<YaraEngineKind, Row[]>();
      for (const kind of ENGINES) byEngine.set(kind, await searchImage(imagePath, isfPath, kind));
      const wasm = byEngine.get('wasm')!;
      expect(wasm.length).toBeGreaterThan(0);
      if (nativeHere) expect(wasm).toEqual(byEngine.get('native'));
      if (img.name.startsWith('demo')) {
        // and both find exactly the planted secrets
        const demo = buildDemoImage();
        expect(wasm.filter((r) => r[4] === 'yara:demo_secret').map((r) => `${r[0]}/${r[1]}/${r[2]}`).sort()).toEqual(
          demo.planted.map((p) => `${p.segment}/${p.slot}/${p.pageOffset + p.text.indexOf(DEMO_SECRET) * (p.encoding === 'utf16le' ? 2 : 1)}`).sort(),
        );
      }
    });
  }

  it('every rule of the comparison hits somewhere (the comparison is not vacuous)', async () => {
    const rules = new Set<string>();
    for (const name of ['demo', 'f4', 'f9a']) {
      for (const r of await searchImage(path.join(dir, `${name}.raw`), path.join(dir, `${name}.isf.json`), 'wasm')) rules.add(r[4]);
    }
    expect([...rules].sort()).toEqual(['yara:demo_secret', 'yara:kernel_words', 'yara:mz_like', 'yara:password_field', 'yara:the_at_start', 'yara:whole_page_16k']);
  });

  it.each(ENGINES)('%s: overlapping matches, condition-only rules and clashing files', (kind) => {
    const page = new Uint8Array(4096);
    page.set(new TextEncoder().encode('aaaa'), 10);
    const a = { source: 'rule x { strings: $a = "aa" condition: $a }\nrule size { condition: filesize == 4096 }', origin: 'a.yar' };
    const b = { source: 'rule x { strings: $a = "aaa" condition: $a }', origin: 'b.yar' };
    const s = compileYara([a, b], kind);
    expect(s.ruleSets).toBe(2);
    expect(s.engine.kind).toBe(kind);
    const got: [number, number, string][] = [];
    s.scan(page, (o, l, r) => got.push([o, l, r]));
    expect(got.sort((p, q) => p[0] - q[0] || p[1] - q[1] || (p[2] < q[2] ? -1 : 1))).toEqual([
      [0, 0, 'yara:size'],
      [10, 2, 'yara:x'],
      [10, 3, 'yara:x'],
      [11, 2, 'yara:x'],
      [11, 3, 'yara:x'],
      [12, 2, 'yara:x'],
    ]);
  });
});

describe('include statements are refused by both engines', () => {
  const cases = [
    ['/etc/passwd', 'a file whose first line would show'],
    ['/dev/zero', 'an endless file'],
  ] as const;
  for (const kind of ENGINES) {
    for (const [target, why] of cases) {
      it(`${kind}: include "${target}" (${why})`, () => {
        const src = { source: `include "${target}"\nrule after { condition: true }\n`, origin: '/cases/rules.yar' };
        const before = process.memoryUsage().rss;
        let err: unknown;
        try {
          checkYaraSource(src, kind);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(QueryError);
        const q = err as QueryError;
        expect(q.message).toBe(`bad yara pattern /cases/rules.yar: ${INCLUDE_REFUSED} (line 1)`);
        expect(q.message).not.toContain('root:');
        expect(q.message).not.toContain(target);
        // the file was never read: no memory to speak of was taken (reading /dev/zero would take gigabytes)
        expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
        expect(() => compileYara([src], kind)).toThrow(INCLUDE_REFUSED);
        expect(() => compileMatcher({ yara: [src] }, { yaraEngine: kind })).toThrow(INCLUDE_REFUSED);
      });
    }
  }

  it('the CLI refuses an include before opening the image, with exit 2 and one line', async () => {
    const rules = path.join(dir, 'inc.yar');
    writeFileSync(rules, 'include "/etc/passwd"\nrule r { strings: $a = "x" condition: $a }\n');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    const out: Buffer[] = [];
    stderr.on('data', (d: Buffer) => err.push(d));
    stdout.on('data', (d: Buffer) => out.push(d));
    // the image does not exist: the rules are refused first
    const code = await main(['search', path.join(dir, 'no-such-image.raw'), '--yara', rules, '--json', '--threads', '0'], { stdout, stderr });
    const text = Buffer.concat(err).toString('utf8');
    expect(code).toBe(2);
    expect(Buffer.concat(out).length).toBe(0);
    expect(text).toContain(`bad yara pattern ${rules}: ${INCLUDE_REFUSED} (line 1)`);
    expect(text).not.toContain('root:');
  });
});

describe('unfold search --yara says which engine ran', () => {
  let imagePath = '';
  let isfPath = '';
  beforeAll(async () => {
    ({ imagePath, isfPath } = await saveSynthImage(buildDemoImage().image, dir, 'cli-demo'));
  });


  for (const kind of ENGINES) {
    it(`${kind}: a stderr line and a yaraEngine key on every YARA hit`, async () => {
      process.env[YARA_ENGINE_ENV] = kind;
      const label = kind === 'wasm' ? 'libyara 4.5.8 (wasm)' : 'yara-x 1.7.1 (native)';
      const rules = path.join(dir, 'secret.yar');
      writeFileSync(rules, `rule demo_secret { strings: $a = "${DEMO_SECRET}" ascii wide condition: $a }\n`);
      const r = await run(['search', imagePath, '--symbols', isfPath, '--yara', rules, '--string', 'password=', '--json', '--threads', '0']);
      expect(r.code).toBe(0);
      expect(r.err.split('\n')).toContain(`YARA engine: ${label}`);
      const hits = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const yara = hits.filter((h) => String(h.pattern).startsWith('yara:'));
      const other = hits.filter((h) => !String(h.pattern).startsWith('yara:'));
      expect(yara.length).toBe(buildDemoImage().planted.length);
      expect(other.length).toBeGreaterThan(0);
      for (const h of yara) expect(h.yaraEngine).toBe(label);
      for (const h of other) expect(h).not.toHaveProperty('yaraEngine');
    });
  }
});
