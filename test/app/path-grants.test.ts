// The API writes over only what the person chose in this session, and its errors never carry a file's
// contents: a symbol "table" that is really someone's secrets file must not come back as its first line.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiError, ApiResult } from '../../core/api';
import { openCase } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import type { CaseHostLike } from '../../main/case-host';
import type { WorkerArgs, WorkerCall, WorkerCallName, WorkerValue } from '../../main/protocol';
import { createHandlers, type Dialogs } from '../../main/handlers';
import { memorySettings } from '../../main/settings';
import { toApiError } from '../../main/errors';
import { PathGrants, canonical } from '../../main/path-grants';
import { quotes, scrubError, withoutJsonQuote, yaraIncludes } from '../../main/content-guard';

const FIRST_LINE = 'root:x:0:0:TOPSECRET-hunter2:/root:/bin/bash';
let dir: string;
let secret: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-grants-'));
  secret = path.join(dir, 'passwd');
  writeFileSync(secret, `${FIRST_LINE}\ndaemon:x:1:1::/:/bin/false\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** answers every call with `reply`, recording what reached it */
class FixedHost implements CaseHostLike {
  calls: WorkerCall[] = [];
  constructor(private reply: (c: WorkerCall) => ApiResult<unknown> | Promise<ApiResult<unknown>>) {}
  async call<M extends WorkerCallName>(method: M, ...args: WorkerArgs<M>): Promise<ApiResult<WorkerValue<M>>> {
    const c = { method, args } as WorkerCall;
    this.calls.push(c);
    return (await this.reply(c)) as ApiResult<WorkerValue<M>>;
  }
}

const fail = (error: ApiError): ApiResult<unknown> => ({ ok: false, error });
const okHost = () => new FixedHost((c) => ({ ok: true, value: c.method === 'currentCase' ? null : { done: c.method } }));

describe('path grants', () => {
  it('compares real locations: a symlink or ".." names the same grant, a new name resolves through its folder', async () => {
    const g = new PathGrants();
    const real = path.join(dir, 'picked');
    mkdirSync(real);
    symlinkSync(real, path.join(dir, 'alias'));
    await g.grant(path.join(dir, 'alias'), 'write', 'dialog');
    expect(await g.granted(real, 'write')).toEqual(['dialog']);
    expect(await g.granted(path.join(dir, 'picked', '..', 'picked'), 'write')).toEqual(['dialog']);
    expect(await g.granted(real, 'read')).toBeNull();
    expect(await canonical(path.join(dir, 'alias', 'new.csv'))).toBe(path.join(await canonical(real), 'new.csv'));
  });

  it('replacing something that exists needs a grant; a new name or no replacing needs none', async () => {
    const g = new PathGrants();
    const existing = path.join(dir, 'old-export');
    mkdirSync(existing, { recursive: true });
    writeFileSync(path.join(existing, 'manifest.json'), 'SECRET-MANIFEST-CONTENT-1234');
    await expect(g.checkWrite('export', 'out', path.join(dir, 'brand-new'), true, false)).resolves.toBeUndefined();
    await expect(g.checkWrite('export', 'out', existing, false, false)).resolves.toBeUndefined();
    const err = await g.checkWrite('export', 'out', existing, true, false).catch((e: unknown) => toApiError(e));
    expect(err).toEqual({
      code: 'NOT_GRANTED',
      message: `export: out: ${existing} already exists and was not chosen or written in this session, so Unfold will not replace it; choose a new name, or remove the old one yourself`,
      details: { path: existing },
    });
    // a link to it is the same ungranted folder
    symlinkSync(existing, path.join(dir, 'old-link'));
    await expect(g.checkWrite('export', 'out', path.join(dir, 'old-link'), true, true)).rejects.toMatchObject({ code: 'NOT_GRANTED', message: expect.stringContaining('pick it with the Choose… button first') });
    await g.grant(existing, 'write', 'written');
    await expect(g.checkWrite('export', 'out', path.join(dir, 'old-link'), true, true)).resolves.toBeUndefined();
  });
});

describe('handlers: writes only over what was chosen', () => {
  it('export with "replace" over an existing folder nobody chose is refused before the worker; after a dialog pick it runs', async () => {
    const target = path.join(dir, 'case-7');
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, 'notes.txt'), 'keep me');
    const dialogs: Dialogs = {
      pickImage: async () => null,
      pickSymbols: async () => null,
      pickExportFolder: async () => target,
      pickHitsFile: async () => null,
      showInFolder: () => undefined,
    };
    const host = okHost();
    const h = createHandlers({ host, mode: 'electron', appVersion: 't', dialogs, settings: memorySettings() });
    const req = { requestId: 'e-1', caseId: 1, out: target, layout: 'slots', overwrite: true };
    const r = await h.export(req);
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'NOT_GRANTED',
        message: `export: out: ${target} already exists and was not chosen or written in this session, so Unfold will not replace it; pick it with the Choose… button first, or choose a new name`,
        details: { path: target },
      },
    });
    expect(host.calls).toEqual([]);
    expect(readFileSync(path.join(target, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(await h.pickExportFolder()).toEqual({ ok: true, value: target });
    expect((await h.export(req)).ok).toBe(true);
    expect(host.calls.map((c) => c.method)).toEqual(['export']);
  });

  it('saveHits may replace a file this session wrote, not another one (browser mode: no dialogs)', async () => {
    const host = okHost();
    const h = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
    const out = path.join(dir, 'hits.csv');
    const save = (file: string, overwrite: boolean) => h.saveHits({ caseId: 1, searchId: 's-1', out: file, format: 'csv', overwrite });
    expect((await save(out, false)).ok).toBe(true); // a new name: written, and so granted
    writeFileSync(out, 'written by the session');
    expect((await save(out, true)).ok).toBe(true);
    const r = await save(secret, true);
    expect(!r.ok && r.error.code).toBe('NOT_GRANTED');
    expect(!r.ok && r.error.message).not.toContain('TOPSECRET');
    expect(host.calls.filter((c) => c.method === 'saveHits').length).toBe(2);
    expect(readFileSync(secret, 'utf8').startsWith(FIRST_LINE)).toBe(true);
  });

  it('saveStrings may replace a file this session wrote, not another one (browser mode: no dialogs)', async () => {
    const host = okHost();
    const h = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
    const out = path.join(dir, 'strings.json');
    const save = (file: string, overwrite: boolean) => h.saveStrings({ caseId: 1, stringsId: 'st-1', filter: '', out: file, format: 'json', overwrite });
    expect((await save(out, false)).ok).toBe(true);
    writeFileSync(out, 'written by the session');
    expect((await save(out, true)).ok).toBe(true);
    const r = await save(secret, true);
    expect(!r.ok && r.error.code).toBe('NOT_GRANTED');
    expect(!r.ok && r.error.message).not.toContain('TOPSECRET');
    expect(host.calls.filter((c) => c.method === 'saveStrings').length).toBe(2);
    expect(readFileSync(secret, 'utf8').startsWith(FIRST_LINE)).toBe(true);
  });
});

describe('errors carry no file contents', () => {
  it("cuts V8's JSON.parse quotation out of any message", () => {
    let msg = '';
    try {
      JSON.parse(readFileSync(secret, 'utf8'));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('"root:x:0:0"');
    expect(withoutJsonQuote(`${secret} is not valid JSON: ${msg}`)).toBe(`${secret} is not valid JSON: its text is not JSON`);
    expect(withoutJsonQuote(`Unexpected token 'b', "{"foo": bogus-valu"... is not valid JSON`)).toBe('its text is not JSON');
  });

  it('finds a quoted run or a whole short line of the file, and not the path or a kernel banner', () => {
    const content = readFileSync(secret, 'latin1');
    expect(quotes('bad header TOPSECRET-hunter2 here', content)).toBe(true);
    expect(quotes('line: hunter2', 'x\nhunter2\n')).toBe(true);
    expect(quotes('the file is 97 bytes, too small to be a raw image', content)).toBe(false);
  });

  it('an openCase error that quotes the symbols file is replaced by one naming the path only', async () => {
    const host = new FixedHost((c) =>
      c.method === 'openCase' ? fail({ code: 'BAD_SYMBOLS', message: `symbol table header was "${FIRST_LINE}"`, details: { source: secret, firstLine: FIRST_LINE } }) : { ok: true, value: null },
    );
    const h = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
    const image = path.join(dir, 'mem.raw');
    writeFileSync(image, Buffer.alloc(8192));
    const r = await h.openCase({ requestId: 'o-1', imagePath: image, symbolsPath: secret });
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'BAD_SYMBOLS',
        message: `openCase: the symbol table ${secret} could not be used (BAD_SYMBOLS); the error's own words quoted the file, so they are not shown`,
        details: { path: secret },
      },
    });
  });

  it('a replaced error keeps its true/false flags (which say what kind of failure it was), never its text', async () => {
    const error = {
      code: 'BAD_SYMBOLS',
      message: `symbol table header was "${FIRST_LINE}"`,
      details: { source: secret, addressesDoNotFit: true, failures: [FIRST_LINE], bytes: 12 },
    };
    expect(await scrubError('openCase', error, [{ label: 'symbol table', path: secret }])).toEqual({
      code: 'BAD_SYMBOLS',
      message: `openCase: the symbol table ${secret} could not be used (BAD_SYMBOLS); the error's own words quoted the file, so they are not shown`,
      details: { addressesDoNotFit: true, path: secret },
    });
  });

  it('an error that quotes nothing passes unchanged (paths and banners may be named)', async () => {
    const error = { code: 'NO_SYMBOLS', message: `no symbol table in ${secret} matches Darwin Kernel Version 23.0.0: root:x:0:0 build`, details: { path: secret } };
    // the banner text is left out of the comparison even where the file holds it
    writeFileSync(path.join(dir, 'banner.txt'), 'Darwin Kernel Version 23.0.0: root:x:0:0 build\n');
    expect(await scrubError('openCase', { ...error, message: error.message.replace(secret, path.join(dir, 'banner.txt')) }, [{ label: 'image', path: path.join(dir, 'banner.txt') }])).toEqual({
      ...error,
      message: error.message.replace(secret, path.join(dir, 'banner.txt')),
    });
  });

  it("core's own error for a secrets file given as the symbol table reaches the client without its content", async () => {
    const demo = await ensureDemoCase();
    const host = new FixedHost(async (c) => {
      if (c.method !== 'openCase') return { ok: true, value: null };
      const [req] = c.args;
      try {
        const k = await openCase(req.imagePath, { symbols: req.symbolsPath, threads: 0 });
        await k.close();
        return { ok: true, value: {} };
      } catch (e) {
        return fail(toApiError(e));
      }
    });
    const h = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
    const folder = path.join(dir, 'symbols-folder');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'passwd.json'), readFileSync(secret));
    for (const symbolsPath of [secret, folder]) {
      const r = await h.openCase({ requestId: 'o-2', imagePath: demo.imagePath, symbolsPath });
      expect(r.ok).toBe(false);
      const text = JSON.stringify(r);
      for (const piece of ['root:x:0', 'TOPSECRET', 'hunter2', 'daemon', '/bin/bash']) expect(text, `${symbolsPath}: ${text}`).not.toContain(piece);
    }
  });

  it('a search error that quotes a file the YARA rules include is replaced too', async () => {
    expect(yaraIncludes([`include "${secret}"\ninclude "rel/x.yar"\nrule a { condition: true }`, 'rule b { strings: $a = "include \\"x\\"" condition: $a }'])).toEqual([
      { label: 'file included by the YARA rules', path: secret },
      { label: 'file included by the YARA rules', path: path.resolve('rel/x.yar') },
    ]);
    const host = new FixedHost((c) => (c.method === 'search' ? fail({ code: 'BAD_QUERY', message: `yara: syntax error near "${FIRST_LINE}"` }) : { ok: true, value: null }));
    const h = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
    const r = await h.search({ requestId: 's-1', caseId: 1, strings: [], regexes: [], hex: [], yara: [`include "${secret}"\nrule a { condition: true }`], utf16: false, ascii: true, ignoreCase: false });
    expect(r).toEqual({
      ok: false,
      error: { code: 'BAD_QUERY', message: `search: the file included by the YARA rules ${secret} could not be used (BAD_QUERY); the error's own words quoted the file, so they are not shown`, details: { path: secret } },
    });
  });
});
