// The IPC / HTTP handlers treat every argument as hostile: wrong types, ranges, shapes, paths and request
// ids are refused with BAD_ARGUMENT (or NOT_FOUND for paths that do not exist) before the case worker
// sees anything; good arguments reach it normalized.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiResult } from '../../core/api';
import { API_METHODS, STRINGS_LIMITS } from '../../core/api';
import type { CaseHostLike } from '../../main/case-host';
import type { WorkerArgs, WorkerCall, WorkerCallName, WorkerValue } from '../../main/protocol';
import { createHandlers, dispatch, type Dialogs, type Handlers } from '../../main/handlers';
import { memorySettings } from '../../main/settings';

class RecordingHost implements CaseHostLike {
  calls: WorkerCall[] = [];
  call<M extends WorkerCallName>(method: M, ...args: WorkerArgs<M>): Promise<ApiResult<WorkerValue<M>>> {
    this.calls.push({ method, args } as WorkerCall);
    const value = method === 'currentCase' ? null : method === 'cancel' ? true : { echoed: { method, args } };
    return Promise.resolve({ ok: true, value: value as WorkerValue<M> });
  }
  get cancels(): unknown[] {
    return this.calls.filter((c) => c.method === 'cancel').map((c) => c.args[0]);
  }
}

let dir: string;
let image: string;
let isf: string;
let host: RecordingHost;
let h: Handlers;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-handlers-'));
  image = path.join(dir, 'mem.raw');
  writeFileSync(image, Buffer.alloc(4096));
  isf = path.join(dir, 'symbols');
  mkdirSync(isf);
  writeFileSync(path.join(isf, 'k.json'), '{}');
  mkdirSync(path.join(dir, 'exports'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fresh(dialogs: Dialogs | null = null): void {
  host = new RecordingHost();
  h = createHandlers({ host, mode: 'browser', appVersion: '0.0.0-test', dialogs, settings: memorySettings() });
}

async function refused(p: Promise<ApiResult<unknown>>, code = 'BAD_ARGUMENT', pattern?: RegExp): Promise<string> {
  const r = await p;
  expect(r.ok).toBe(false);
  if (r.ok) return '';
  expect(r.error.code).toBe(code);
  if (pattern) expect(r.error.message).toMatch(pattern);
  return r.error.message;
}

const goodSearch = () => ({
  requestId: 'search-1',
  caseId: 1,
  strings: ['UNFOLD'],
  regexes: [],
  hex: [],
  yara: [],
  utf16: false,
  ascii: true,
  ignoreCase: false,
});

describe('handlers: argument validation', () => {
  it('every API method has a handler and nothing else does', () => {
    fresh();
    expect(Object.keys(h).sort()).toEqual([...API_METHODS].sort());
  });

  it('refuses a wrong number of arguments for every method', async () => {
    fresh();
    for (const m of API_METHODS) {
      const msg = await refused(dispatch(h, m, ['x', 'y', 'z', 'w']));
      expect(msg).toContain(m);
    }
    expect(host.calls.filter((c) => c.method !== 'currentCase')).toEqual([]);
  });

  it('refuses unknown methods and non-list arguments', async () => {
    fresh();
    await refused(dispatch(h, 'constructor', []), 'BAD_ARGUMENT', /unknown method/);
    await refused(dispatch(h, '__proto__', []), 'BAD_ARGUMENT', /unknown method/);
    await refused(dispatch(h, 'getSlots', { 0: 1, 1: 2 }), 'BAD_ARGUMENT', /must be a list/);
  });

  it('refuses bad case ids, segments and slots', async () => {
    fresh();
    const bad: unknown[] = [0, -1, 1.5, NaN, Infinity, '1', null, undefined, {}, [], 2 ** 31, true];
    for (const v of bad) await refused(h.getSegments(v), 'BAD_ARGUMENT', /caseId must be a whole number/);
    for (const v of [-1, 1.5, '3', null, 2 ** 40]) {
      await refused(h.getSlots(1, v), 'BAD_ARGUMENT', /segment must be a whole number/);
      await refused(h.getPage(1, 0, v), 'BAD_ARGUMENT', /slot must be a whole number/);
    }
    expect(host.calls).toEqual([]);
  });

  it('passes good numbers through unchanged', async () => {
    fresh();
    await h.getPage(3, 0, 511);
    expect(host.calls).toEqual([{ method: 'getPage', args: [3, 0, 511] }]);
  });

  it('refuses bad request ids', async () => {
    fresh();
    const bad: unknown[] = ['', 'a b', 'x'.repeat(65), 'id/../x', 'é', 5, null, { id: 'x' }, 'ok\n'];
    for (const v of bad) {
      await refused(h.cancel(v), 'BAD_ARGUMENT', /requestId/);
      await refused(h.openDemo({ requestId: v }), 'BAD_ARGUMENT', /requestId/);
    }
    expect(host.cancels).toEqual([]);
    await h.cancel('search-abc_1:2.x');
    expect(host.cancels).toEqual(['search-abc_1:2.x']);
  });

  it('refuses bad open requests: shape, unknown fields, relative paths, NUL, missing files, folders', async () => {
    fresh();
    await refused(h.openCase('/x'), 'BAD_ARGUMENT', /must be an object/);
    await refused(h.openCase(null), 'BAD_ARGUMENT', /must be an object/);
    await refused(h.openCase([image]), 'BAD_ARGUMENT', /must be an object/);
    await refused(h.openCase({ requestId: 'o1' }), 'BAD_ARGUMENT', /imagePath is missing/);
    await refused(h.openCase({ requestId: 'o1', imagePath: image, extra: 1 }), 'BAD_ARGUMENT', /unknown field "extra"/);
    await refused(h.openCase({ requestId: 'o1', imagePath: 'relative/mem.raw' }), 'BAD_ARGUMENT', /full path/);
    await refused(h.openCase({ requestId: 'o1', imagePath: image + '\0.txt' }), 'BAD_ARGUMENT', /NUL/);
    await refused(h.openCase({ requestId: 'o1', imagePath: '/' + 'a'.repeat(5000) }), 'BAD_ARGUMENT', /longer than/);
    await refused(h.openCase({ requestId: 'o1', imagePath: 42 }), 'BAD_ARGUMENT', /file path/);
    await refused(h.openCase({ requestId: 'o1', imagePath: path.join(dir, 'missing.raw') }), 'NOT_FOUND', /nothing at/);
    await refused(h.openCase({ requestId: 'o1', imagePath: dir }), 'NOT_FOUND', /is a folder/);
    await refused(h.openCase({ requestId: 'o1', imagePath: image, symbolsPath: path.join(dir, 'nope') }), 'NOT_FOUND', /symbols/);
    await refused(h.openCase({ requestId: 'o1', imagePath: image, symbolsPath: 7 }), 'BAD_ARGUMENT', /symbolsPath/);
    // a prototype-polluting object is not a plain request
    await refused(h.openCase(Object.assign(Object.create({ polluted: true }), { requestId: 'o1', imagePath: image })), 'BAD_ARGUMENT', /plain object/);
    expect(host.calls).toEqual([]);
  });

  it('normalizes a good open request and remembers the symbol folder', async () => {
    fresh();
    const r = await h.openCase({ requestId: 'o1', imagePath: path.join(dir, '.', 'mem.raw'), symbolsPath: isf });
    expect(r.ok).toBe(true);
    expect(host.calls).toEqual([{ method: 'openCase', args: [{ requestId: 'o1', imagePath: image, symbolsPath: isf }] }]);
    const recent = await h.getRecentSymbols();
    expect(recent).toEqual({ ok: true, value: isf });
    const env = await h.environment();
    expect(env.ok && env.value.recentCases).toEqual([{ imagePath: image, symbolsPath: isf }]);
  });

  it('passes swap paths through (a missing swap file is a named problem of the case, not a refusal) and refuses bad ones', async () => {
    fresh();
    await refused(h.openCase({ requestId: 'o1', imagePath: image, swapPaths: path.join(dir, 'vm') }), 'BAD_ARGUMENT', /swapPaths must be a list of at most 64 file paths/);
    await refused(h.openCase({ requestId: 'o1', imagePath: image, swapPaths: ['vm'] }), 'BAD_ARGUMENT', /swapPaths\[0\] must be a full path/);
    await refused(h.openCase({ requestId: 'o1', imagePath: image, swapPaths: Array(65).fill('/vm') }), 'BAD_ARGUMENT', /at most 64/);
    expect(host.calls).toEqual([]);
    const r = await h.openCase({ requestId: 'o1', imagePath: image, swapPaths: [path.join(dir, '.', 'vm'), path.join(dir, 'not-there')] });
    expect(r.ok).toBe(true);
    expect(host.calls).toEqual([{ method: 'openCase', args: [{ requestId: 'o1', imagePath: image, swapPaths: [path.join(dir, 'vm'), path.join(dir, 'not-there')] }] }]);
  });

  it('refuses bad searches', async () => {
    fresh();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...goodSearch(), strings: 'UNFOLD' }, /strings must be a list/],
      [{ ...goodSearch(), strings: [1] }, /strings\[0\] must be text/],
      [{ ...goodSearch(), strings: [''] }, /strings\[0\] is empty/],
      [{ ...goodSearch(), strings: ['x'.repeat(5000)] }, /longer than/],
      [{ ...goodSearch(), strings: Array(300).fill('a') }, /at most 256/],
      [{ ...goodSearch(), strings: [] }, /at least one/],
      [{ ...goodSearch(), utf16: 'yes' }, /utf16 must be true or false/],
      [{ ...goodSearch(), ignoreCase: 1 }, /ignoreCase must be true or false/],
      [{ ...goodSearch(), maxHits: 0 }, /maxHits/],
      [{ ...goodSearch(), maxHits: 10_000_000 }, /maxHits must be at most/],
      [{ ...goodSearch(), caseId: 0 }, /caseId/],
      [{ ...goodSearch(), requestId: '' }, /requestId/],
      [{ ...goodSearch(), query: 'x' }, /unknown field "query"/],
    ];
    for (const [req, pattern] of cases) await refused(h.search(req), 'BAD_ARGUMENT', pattern);
    const { ascii: _a, ...missing } = goodSearch();
    await refused(h.search(missing), 'BAD_ARGUMENT', /ascii is missing/);
    expect(host.calls).toEqual([]);
  });

  it('refuses bad patterns in core\'s words, naming the pattern, the position and the reason', async () => {
    fresh();
    const bad = async (req: Record<string, unknown>) => {
      const r = await h.search({ ...goodSearch(), strings: [], ...req });
      if (r.ok) throw new Error('accepted');
      return r.error;
    };
    expect(await bad({ hex: ['zz 00'] })).toEqual({
      code: 'BAD_QUERY',
      message: 'bad hex pattern "zz 00": byte 1 is "zz", which is not two hex digits or "??"',
      details: { type: 'hex', pattern: '"zz 00"', reason: 'byte 1 is "zz", which is not two hex digits or "??"' },
    });
    expect((await bad({ hex: ['4d 5'] })).message).toBe('bad hex pattern "4d 5": it has 3 hex digits; bytes need pairs of digits (e.g. "4d 5a ?? 00")');
    expect(await bad({ regexes: ['ab(unclosed'] })).toEqual({
      code: 'BAD_QUERY',
      message: 'bad regex pattern /ab(unclosed/: Unterminated group',
      details: { type: 'regex', pattern: '/ab(unclosed/', reason: 'Unterminated group', position: 3 },
    });
    expect((await bad({ regexes: ['a)b'] })).details).toMatchObject({ reason: "Unmatched ')'", position: 2 });
    expect((await bad({ regexes: ['x[\\]a-'] })).details).toMatchObject({ reason: 'Unterminated character class', position: 2 });
    expect(host.calls).toEqual([]);
  });

  it('passes a good search through', async () => {
    fresh();
    const req = { ...goodSearch(), hex: ['4d 5a ?? 00', 'cffaedfe'], regexes: ['[a-z]+@[a-z]+'], maxHits: 50 };
    await h.search(req);
    expect(host.calls).toEqual([{ method: 'search', args: [req] }]);
  });

  it('refuses bad exports', async () => {
    fresh();
    const good = { requestId: 'e1', caseId: 1, out: path.join(dir, 'exports', 'new'), layout: 'slots', overwrite: false };
    await refused(h.export({ ...good, layout: 'zip' }), 'BAD_ARGUMENT', /layout must be/);
    await refused(h.export({ ...good, overwrite: 'no' }), 'BAD_ARGUMENT', /overwrite/);
    await refused(h.export({ ...good, out: 'exports/new' }), 'BAD_ARGUMENT', /full path/);
    await refused(h.export({ ...good, out: '/' }), 'BAD_ARGUMENT', /root/);
    await refused(h.export({ ...good, out: path.join(dir, 'no-such-parent', 'x') }), 'NOT_FOUND', /folder that will hold/);
    // the details say which way the path is wrong, so the app words it (and says nothing was written)
    const absent = await h.export({ ...good, out: path.join(dir, 'no-such-parent', 'x') });
    expect(absent.ok ? null : absent.error.details).toEqual({ path: path.join(dir, 'no-such-parent'), absent: true });
    await refused(h.export({ ...good, out: path.join(image, 'x') }), 'NOT_FOUND');
    const notFolder = await h.export({ ...good, out: path.join(image, 'x') });
    expect(notFolder.ok ? null : notFolder.error.details).toEqual({ path: image, notFolder: true });
    const { overwrite: _o, ...missing } = good;
    await refused(h.export(missing), 'BAD_ARGUMENT', /overwrite is missing/);
    await refused(h.export({ ...good, caseFields: { caseNo: '1' } }), 'BAD_ARGUMENT', /caseFields has an unknown field "caseNo"/);
    await refused(h.export({ ...good, caseFields: { examiner: 7 } }), 'BAD_ARGUMENT', /caseFields.examiner must be text/);
    await refused(h.export({ ...good, caseFields: { notes: 'x'.repeat(4001) } }), 'BAD_ARGUMENT', /caseFields.notes is longer than 4000/);
    expect(host.calls).toEqual([]);
    await h.export(good);
    expect(host.calls).toEqual([{ method: 'export', args: [good] }]);
    // case fields are trimmed, empty ones left out
    await h.export({ ...good, caseFields: { caseNumber: ' 2024-117 ', examiner: '', notes: 'seized 3 Dec' } });
    expect(host.calls[1]).toEqual({ method: 'export', args: [{ ...good, caseFields: { caseNumber: '2024-117', notes: 'seized 3 Dec' } }] });
  });

  it('export selection: a list of { segment, slot } and an optional label, checked field by field', async () => {
    fresh();
    const good = { requestId: 'e2', caseId: 1, out: path.join(dir, 'exports', 'sel'), layout: 'concat', overwrite: false };
    const sel = (selection: unknown) => h.export({ ...good, selection });
    await refused(sel([]), 'BAD_ARGUMENT', /selection must be an object \(got/);
    await refused(sel({}), 'BAD_ARGUMENT', /selection\.slots is missing/);
    await refused(sel({ slots: 'all' }), 'BAD_ARGUMENT', /selection\.slots must be a list of \{ segment, slot \}/);
    await refused(sel({ slots: [] }), 'BAD_ARGUMENT', /selection\.slots names no slot/);
    await refused(sel({ slots: [{ segment: 1 }] }), 'BAD_ARGUMENT', /selection\.slots\[0\]\.slot is missing/);
    await refused(sel({ slots: [{ segment: 1, slot: 2 }, { segment: -1, slot: 0 }] }), 'BAD_ARGUMENT', /selection\.slots\[1\]\.segment must be a whole number/);
    await refused(sel({ slots: [{ segment: 1, slot: 2.5 }] }), 'BAD_ARGUMENT', /selection\.slots\[0\]\.slot must be a whole number/);
    await refused(sel({ slots: [{ segment: 1, slot: 2, kind: 'x' }] }), 'BAD_ARGUMENT', /selection\.slots\[0\] has an unknown field "kind"/);
    await refused(sel({ slots: [{ segment: 1, slot: 2 }], label: 3 }), 'BAD_ARGUMENT', /selection\.label must be text/);
    await refused(sel({ slots: [{ segment: 1, slot: 2 }], label: 'x'.repeat(201) }), 'BAD_ARGUMENT', /selection\.label is longer than 200 characters/);
    await refused(sel({ slots: [{ segment: 1, slot: 2 }], label: 'a\0' }), 'BAD_ARGUMENT', /selection\.label contains a NUL character/);
    await refused(sel({ slots: [{ segment: 1, slot: 2 }], all: true }), 'BAD_ARGUMENT', /selection has an unknown field "all"/);
    expect(host.calls).toEqual([]);
    await sel({ slots: [{ segment: 3, slot: 9 }, { segment: 0, slot: 1 }], label: ' slot 9 of segment 3 ' });
    await sel({ slots: [{ segment: 3, slot: 9 }], label: '  ' });
    expect(host.calls).toEqual([
      { method: 'export', args: [{ ...good, selection: { slots: [{ segment: 3, slot: 9 }, { segment: 0, slot: 1 }], label: 'slot 9 of segment 3' } }] },
      { method: 'export', args: [{ ...good, selection: { slots: [{ segment: 3, slot: 9 }] } }] },
    ]);
  });

  it('dialogs: NO_DIALOGS in browser mode, kind checked, results passed through in Electron', async () => {
    fresh(null);
    await refused(h.pickImage(), 'NO_DIALOGS');
    await refused(h.pickExportFolder(), 'NO_DIALOGS');
    await refused(h.showInFolder(dir), 'NO_DIALOGS');
    const asked: string[] = [];
    const shown: string[] = [];
    fresh({
      pickImage: async () => '/evidence/mem.raw',
      pickSymbols: async (k) => {
        asked.push(k);
        return null;
      },
      pickExportFolder: async () => '/out',
      pickHitsFile: async (f) => `/out/hits.${f}`,
      showInFolder: (p) => void shown.push(p),
    });
    expect(await h.showInFolder(path.join(dir, '.', 'mem.raw'))).toEqual({ ok: true, value: null });
    await refused(h.showInFolder('relative/x'), 'BAD_ARGUMENT', /full path/);
    await refused(h.showInFolder(path.join(dir, 'no-such')), 'NOT_FOUND');
    expect(shown).toEqual([path.join(dir, 'mem.raw')]);
    await refused(h.pickSymbols('anything'), 'BAD_ARGUMENT', /kind must be/);
    await refused(h.pickSymbols(), 'BAD_ARGUMENT', /expects 1 argument/);
    expect(await h.pickImage()).toEqual({ ok: true, value: '/evidence/mem.raw' });
    expect(await h.pickSymbols('folder')).toEqual({ ok: true, value: null });
    expect(asked).toEqual(['folder']);
    await refused(h.pickHitsFile('xml'), 'BAD_ARGUMENT', /format must be/);
    await refused(h.pickHitsFile(), 'BAD_ARGUMENT', /expects 1 argument/);
    expect(await h.pickHitsFile('csv')).toEqual({ ok: true, value: '/out/hits.csv' });
  });

  it('strings: refuses bad types, ranges and shapes; passes a good request through', async () => {
    fresh();
    const good = { requestId: 'strings-1', caseId: 1, min: 6, ascii: true, utf16: true };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...good, min: 0 }, /min must be a whole number/],
      [{ ...good, min: 4097 }, /min must be from 1 to 4096/],
      [{ ...good, min: 6.5 }, /min must be a whole number/],
      [{ ...good, min: '6' }, /min must be a whole number/],
      [{ ...good, min: NaN }, /min must be a whole number/],
      [{ ...good, ascii: 'yes' }, /ascii must be true or false/],
      [{ ...good, utf16: 1 }, /utf16 must be true or false/],
      [{ ...good, ascii: false, utf16: false }, /choose ASCII, UTF-16LE or both/],
      [{ ...good, filter: 5 }, /filter must be text/],
      [{ ...good, filter: 'x'.repeat(257) }, /filter is longer than 256/],
      [{ ...good, filter: 'a\0b' }, /NUL/],
      [{ ...good, maxStrings: 0 }, /maxStrings must be a whole number/],
      [{ ...good, maxStrings: 1_000_001 }, /maxStrings must be at most/],
      [{ ...good, requestId: 'a b' }, /requestId/],
      [{ ...good, caseId: 0 }, /caseId/],
      [{ ...good, extra: 1 }, /unknown field "extra"/],
      [{ requestId: 'strings-1', caseId: 1, min: 6, ascii: true }, /utf16 is missing/],
    ];
    for (const [req, pattern] of bad) await refused(h.strings(req), 'BAD_ARGUMENT', pattern);
    await refused(h.strings(null), 'BAD_ARGUMENT', /must be an object/);
    await refused(h.strings([good]), 'BAD_ARGUMENT', /must be an object/);
    await refused(h.strings(good, good), 'BAD_ARGUMENT', /expects 1 argument/);
    expect(host.calls).toEqual([]);
    await h.strings({ ...good, filter: 'UNFOLD', maxStrings: 10 });
    await h.strings({ ...good, filter: '' });
    expect(host.calls).toEqual([
      { method: 'strings', args: [{ ...good, filter: 'UNFOLD', maxStrings: 10 }] },
      { method: 'strings', args: [good] },
    ]);
  });

  it('saveHits: refuses bad paths, formats and fields; passes a good request through normalized', async () => {
    fresh();
    const out = path.join(dir, 'exports', 'hits.csv');
    const good = { caseId: 1, searchId: 'search-1', out, format: 'csv', overwrite: false };
    const bad: [Record<string, unknown>, RegExp, string?][] = [
      [{ ...good, out: 'hits.csv' }, /full path/],
      [{ ...good, out: '' }, /must be a file path/],
      [{ ...good, out: 7 }, /must be a file path/],
      [{ ...good, out: path.join(dir, 'a\0b.csv') }, /NUL/],
      [{ ...good, out: '/' + 'x'.repeat(5000) }, /longer than/],
      [{ ...good, out: '/' }, /must name a file/],
      [{ ...good, out: path.join(dir, 'exports') + '/' }, /must name a file/],
      [{ ...good, out: path.join(dir, 'nowhere', 'hits.csv') }, /nothing at/, 'NOT_FOUND'],
      [{ ...good, format: 'xlsx' }, /format must be "csv" or "json"/],
      [{ ...good, overwrite: 'no' }, /overwrite must be true or false/],
      [{ ...good, searchId: '../x' }, /requestId/],
      [{ ...good, caseId: -1 }, /caseId/],
      [{ ...good, hits: [] }, /unknown field "hits"/],
      [{ caseId: 1, searchId: 'search-1', out, format: 'csv' }, /overwrite is missing/],
    ];
    for (const [req, pattern, code] of bad) await refused(h.saveHits(req), code ?? 'BAD_ARGUMENT', pattern);
    await refused(h.saveHits(), 'BAD_ARGUMENT', /expects 1 argument/);
    expect(host.calls).toEqual([]);
    await h.saveHits({ ...good, out: path.join(dir, 'exports', '.', 'x', '..', 'hits.csv') });
    expect(host.calls).toEqual([{ method: 'saveHits', args: [good] }]);
  });

  it('saveStrings: refuses bad paths, filters, formats and fields; passes a good request through normalized', async () => {
    fresh();
    const out = path.join(dir, 'exports', 'strings.csv');
    const good = { caseId: 1, stringsId: 'strings-1', filter: 'Http', out, format: 'json', overwrite: false };
    const bad: [Record<string, unknown>, RegExp, string?][] = [
      [{ ...good, out: 'strings.csv' }, /full path/],
      [{ ...good, out: '' }, /must be a file path/],
      [{ ...good, out: path.join(dir, 'a\0b.csv') }, /NUL/],
      [{ ...good, out: '/' }, /must name a file/],
      [{ ...good, out: path.join(dir, 'exports') + '/' }, /must name a file/],
      [{ ...good, out: path.join(dir, 'nowhere', 'strings.csv') }, /nothing at/, 'NOT_FOUND'],
      [{ ...good, format: 'txt' }, /format must be "csv" or "json"/],
      [{ ...good, overwrite: 1 }, /overwrite must be true or false/],
      [{ ...good, stringsId: '../x' }, /requestId/],
      [{ ...good, caseId: 0 }, /caseId/],
      [{ ...good, filter: 5 }, /filter must be text \(got number 5\)/],
      [{ ...good, filter: 'a\0' }, /filter contains a NUL character/],
      [{ ...good, filter: 'x'.repeat(STRINGS_LIMITS.filterLength + 1) }, new RegExp(`filter is longer than ${STRINGS_LIMITS.filterLength} characters`)],
      [{ ...good, strings: [] }, /unknown field "strings"/],
      [{ caseId: 1, stringsId: 'strings-1', out, format: 'csv', overwrite: false }, /filter is missing/],
    ];
    for (const [req, pattern, code] of bad) await refused(h.saveStrings(req), code ?? 'BAD_ARGUMENT', pattern);
    await refused(h.saveStrings(), 'BAD_ARGUMENT', /expects 1 argument/);
    expect(host.calls).toEqual([]);
    await h.saveStrings({ ...good, out: path.join(dir, 'exports', '.', 'y', '..', 'strings.csv') });
    await h.saveStrings({ ...good, filter: '' });
    expect(host.calls).toEqual([
      { method: 'saveStrings', args: [good] },
      { method: 'saveStrings', args: [{ ...good, filter: '' }] },
    ]);
  });

  it('environment reports the mode and no open case', async () => {
    fresh();
    const r = await h.environment();
    expect(r.ok && r.value.mode).toBe('browser');
    expect(r.ok && r.value.dialogs).toBe(false);
    expect(r.ok && r.value.openCase).toBe(null);
  });
});
