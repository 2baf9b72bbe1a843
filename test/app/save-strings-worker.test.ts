// saveStrings through the real case worker on the demo case: it writes the last strings pass narrowed by
// the view's filter, refuses a pass it does not keep, and never replaces a file unless asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDemoCase } from '../../core/demo';
import { openCase } from '../../core/case';
import { STRINGS_LIMITS, type ApiResult, type StringHit } from '../../core/api';
import { CaseHost, defaultWorkerSpec } from '../../main/case-host';

let dir: string;
let demo: { imagePath: string; symbolsPath: string };
let all: StringHit[] = [];
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-save-strings-'));
  demo = await ensureDemoCase();
  const c = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  try {
    await c.strings(STRINGS_LIMITS.defaultMin, { ascii: true, utf16: true, onString: (s) => all.push(s) });
  } finally {
    await c.close();
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const value = <T>(r: ApiResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

describe('saveStrings in the case worker', () => {
  it('saves the filtered list, refuses an unknown pass and an existing file', async () => {
    const host = new CaseHost(defaultWorkerSpec({ threads: 1 }), () => {});
    try {
      const open = value(await host.call('openCase', { requestId: 'o1', imagePath: demo.imagePath, symbolsPath: demo.symbolsPath }));
      const ran = value(await host.call('strings', { requestId: 'st1', caseId: open.caseId, min: STRINGS_LIMITS.defaultMin, ascii: true, utf16: true }));
      expect(ran.strings).toBe(all.length);
      const probe = all.find((s) => /[a-z]{3}/i.test(s.text))!.text.match(/[a-z]{3}/i)![0].toUpperCase();
      const want = all.filter((s) => s.text.toLowerCase().includes(probe.toLowerCase()));
      expect(want.length).toBeGreaterThan(0);

      const out = path.join(dir, 'strings.json');
      const saved = value(await host.call('saveStrings', { caseId: open.caseId, stringsId: 'st1', filter: probe, out, format: 'json', overwrite: false }));
      const raw = readFileSync(out);
      expect(saved).toEqual({ out, format: 'json', strings: want.length, bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') });
      const doc = JSON.parse(raw.toString('utf8')) as { filter: string; image: string; strings: StringHit[] };
      expect(doc.filter).toBe(probe);
      expect(doc.image).toBe(demo.imagePath);
      const key = (s: StringHit) => `${s.segment}/${s.slot}/${s.offset}/${s.encoding}/${s.text}`;
      expect(doc.strings.map(key).sort()).toEqual(want.map(key).sort());

      const again = await host.call('saveStrings', { caseId: open.caseId, stringsId: 'st1', filter: '', out, format: 'csv', overwrite: false });
      expect(!again.ok && again.error.code).toBe('EXISTS');
      expect(readFileSync(out).equals(raw)).toBe(true);

      const unknown = await host.call('saveStrings', { caseId: open.caseId, stringsId: 'st0', filter: '', out: path.join(dir, 'x.csv'), format: 'csv', overwrite: false });
      expect(!unknown.ok && unknown.error.code).toBe('NOT_FOUND');
      expect(!unknown.ok && unknown.error.message).toBe("no strings of pass st0 are kept (only the last pass's are); extract again");

      const whole = value(await host.call('saveStrings', { caseId: open.caseId, stringsId: 'st1', filter: '', out: path.join(dir, 'all.csv'), format: 'csv', overwrite: false }));
      expect(whole.strings).toBe(all.length);
      expect(readFileSync(path.join(dir, 'all.csv'), 'utf8').split('\r\n').length).toBe(all.length + 2);
    } finally {
      await host.dispose();
    }
  }, 120_000);
});
