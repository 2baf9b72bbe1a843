// `unfold search --csv` writes the same bytes as the app's "Save hits" CSV for the same search of the
// same image: one writer (core/search/csv.ts) behind both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../core/cli/main';
import { ensureDemoCase } from '../../core/demo';
import { DEMO_SECRET } from '../../core/synth/scenarios';
import { HITS_CSV_HEADER } from '../../core/search/csv';
import { CaseHost, defaultWorkerSpec } from '../../main/case-host';
import type { ApiResult } from '../../core/api';
import { runCli as run } from './run-in-process';

let dir: string;
let demo: { imagePath: string; symbolsPath: string };


const value = <T>(r: ApiResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-csv-'));
  demo = await ensureDemoCase();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const searchArgs = () => ['search', demo.imagePath, '--symbols', demo.symbolsPath, '--string', DEMO_SECRET, '--utf16', '--ascii', '--threads', '0'];

describe('unfold search --csv', () => {
  let cliCsv: string;

  it('prints the header and one CRLF row per hit on stdout, nothing else', async () => {
    const r = await run([...searchArgs(), '--csv']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    cliCsv = r.out;
    expect(cliCsv.startsWith(HITS_CSV_HEADER)).toBe(true);
    expect(cliCsv.endsWith('\r\n')).toBe(true);
    const rows = cliCsv.split('\r\n').slice(1, -1);
    const json = await run([...searchArgs(), '--json']);
    const hits = json.out.trim().split('\n').map((l) => JSON.parse(l) as { segment: number; slot: number; offset: number; pattern: string });
    expect(hits.length).toBeGreaterThan(1);
    expect(rows).toHaveLength(hits.length);
    expect(rows.map((r) => r.split(',').slice(0, 3).join('/'))).toEqual(hits.map((h) => `${h.segment}/${h.slot}/${h.offset}`));
  });

  it('writes the same bytes as the app saves for the same search', async () => {
    const host = new CaseHost(defaultWorkerSpec({ threads: 1 }), () => {});
    try {
      const open = value(await host.call('openCase', { requestId: 'o1', imagePath: demo.imagePath, symbolsPath: demo.symbolsPath }));
      const req = { requestId: 's1', caseId: open.caseId, strings: [DEMO_SECRET], regexes: [], hex: [], yara: [], utf16: true, ascii: true, ignoreCase: false };
      const found = value(await host.call('search', req));
      const out = path.join(dir, 'app-hits.csv');
      const saved = value(await host.call('saveHits', { caseId: open.caseId, searchId: 's1', out, format: 'csv', overwrite: false }));
      const appCsv = readFileSync(out);
      expect(saved.hits).toBe(found.hits);
      expect(saved.sha256).toBe(createHash('sha256').update(appCsv).digest('hex'));
      expect(appCsv.toString('hex')).toBe(Buffer.from(cliCsv, 'utf8').toString('hex'));
    } finally {
      await host.dispose();
    }
  });

  it('-o writes the CSV to a new file atomically and reports it; an existing file is refused (exit 2) and kept', async () => {
    const out = path.join(dir, 'cli-hits.csv');
    const r = await run([...searchArgs(), '--csv', '-o', out]);
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.toString('utf8')).toBe(cliCsv);
    const rows = cliCsv.split('\r\n').length - 2;
    expect(r.out).toBe(`${rows} hits written to ${out} (${bytes.length} bytes, SHA-256 ${createHash('sha256').update(bytes).digest('hex')})\n`);

    writeFileSync(out, 'keep me');
    const again = await run([...searchArgs(), '--csv', '-o', out]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists; not overwritten/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const replaced = await run([...searchArgs(), '--csv', '--out', out, '--overwrite']);
    expect(replaced.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(cliCsv);
  });

  it('refuses --csv with --json, and --out without --csv, as usage errors (64) before opening anything', async () => {
    const both = await run([...searchArgs(), '--csv', '--json']);
    expect(both).toEqual({ code: 64, out: '', err: 'unfold search: choose one of --csv and --json\n' });
    const out = path.join(dir, 'never.csv');
    const noCsv = await run([...searchArgs(), '-o', out]);
    expect(noCsv).toEqual({ code: 64, out: '', err: 'unfold search: --out and --overwrite go with --csv\n' });
    expect(existsSync(out)).toBe(false);
  });
});
