// The UnfoldApi as the main process (Electron IPC) and the browser-mode server serve it. Everything that
// arrives here comes from a renderer, which we treat as untrusted: every argument is checked for type,
// range, shape and (for paths) form and existence before anything runs, and a bad one is refused with
// BAD_ARGUMENT naming the method, the argument and what was wrong. No handler throws: each answers an
// ApiResult.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  REQUEST_ID_PATTERN,
  SEARCH_LIMITS,
  STRINGS_LIMITS,
  VIRTUAL_READ_MAX,
  type ApiMethod,
  type ApiResult,
  type ApiValue,
  type CaseRequest,
  type ExportRequest,
  type HitsFormat,
  type OpenRequest,
  type ProcDumpRequest,
  type SaveHitsRequest,
  type SaveStringsRequest,
  type SearchRequest,
  type StringsRequest,
} from '../core/api';
import type { CaseHostLike } from './case-host';
import { AppError, toApiError } from './errors';
import { withoutFileContent, yaraIncludes } from './content-guard';
import { PathGrants } from './path-grants';
import type { Settings } from './settings';
import { checkRegexSyntax, parseHex } from '../core/search/query';
import { CASE_FIELD_LIMITS, EXPORT_LABEL_MAX, EXPORT_SELECTION_MAX, type CaseFields, type ExportSelection } from '../core/export/types';

export interface Dialogs {
  pickImage(): Promise<string | null>;
  pickSymbols(kind: 'file' | 'folder'): Promise<string | null>;
  pickExportFolder(): Promise<string | null>;
  pickHitsFile(format: HitsFormat): Promise<string | null>;
  /** reveals a file or folder in the system's file manager */
  showInFolder(p: string): void;
}

export interface HandlerDeps {
  host: CaseHostLike;
  mode: 'electron' | 'browser';
  appVersion: string;
  /** native dialogs; null in browser mode */
  dialogs: Dialogs | null;
  settings: Settings;
  /** what the first page should open (npm start's image, or the demo case) */
  startup?: { imagePath: string; symbolsPath?: string } | 'demo' | null;
  /** the paths this session's user chose (default: a fresh list) */
  grants?: PathGrants;
}

export type Handler<M extends ApiMethod> = (...args: unknown[]) => Promise<ApiResult<ApiValue<M>>>;
export type Handlers = { [M in ApiMethod]: Handler<M> };

const MAX_PATH = 4096;
/** no method takes more arguments */
export const MAX_ARGS = 8;
const MAX_INDEX = 0x7fffffff;

class ArgError extends AppError {
  constructor(method: string, message: string) {
    super('BAD_ARGUMENT', `${method}: ${message}`);
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
};

// ─────────────── checks: each throws ArgError or returns the value with its proper type ───────────────

function argCount(method: string, args: unknown[], n: number): void {
  if (args.length !== n) throw new ArgError(method, `expects ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
}

function plainObject(method: string, name: string, v: unknown, allowed: readonly string[], required: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ArgError(method, `${name} must be an object (got ${show(v)})`);
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new ArgError(method, `${name} must be a plain object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ArgError(method, `${name} has an unknown field ${JSON.stringify(k)}`);
  }
  for (const k of required) {
    if (!(k in o)) throw new ArgError(method, `${name}.${k} is missing`);
  }
  return o;
}

function requestId(method: string, v: unknown): string {
  if (typeof v !== 'string' || !REQUEST_ID_PATTERN.test(v)) {
    throw new ArgError(method, `requestId must be 1–64 letters, digits, ".", "_", "-" or ":" (got ${show(v)})`);
  }
  return v;
}

function index(method: string, name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_INDEX) {
    throw new ArgError(method, `${name} must be a whole number from ${min} to ${MAX_INDEX} (got ${show(v)})`);
  }
  return v;
}

function bool(method: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgError(method, `${name} must be true or false (got ${show(v)})`);
  return v;
}

/** a path the person gave: text, absolute, no NUL, of sane length; returned normalized */
function pathArg(method: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new ArgError(method, `${name} must be a file path (got ${show(v)})`);
  if (v.length > MAX_PATH) throw new ArgError(method, `${name} is longer than ${MAX_PATH} characters`);
  if (v.includes('\0')) throw new ArgError(method, `${name} contains a NUL character`);
  if (!path.isAbsolute(v)) throw new ArgError(method, `${name} must be a full path starting at the root (got ${show(v)})`);
  return path.normalize(v);
}

async function existing(method: string, name: string, p: string, want: 'file' | 'file-or-folder' | 'folder'): Promise<void> {
  let st;
  try {
    st = await stat(p);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('NOT_FOUND', `${method}: ${name}: nothing at ${p}`, { path: p, absent: true });
    throw new AppError('NOT_FOUND', `${method}: ${name}: cannot read ${p} (${code ?? String(e)})`, { path: p });
  }
  if (want === 'file' && !st.isFile()) throw new AppError('NOT_FOUND', `${method}: ${name}: ${p} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not an image file`, { path: p });
  if (want === 'folder' && !st.isDirectory()) throw new AppError('NOT_FOUND', `${method}: ${name}: ${p} is not a folder`, { path: p, notFolder: true });
  if (want === 'file-or-folder' && !st.isFile() && !st.isDirectory()) throw new AppError('NOT_FOUND', `${method}: ${name}: ${p} is neither a file nor a folder`, { path: p });
}

function stringList(method: string, name: string, v: unknown, maxLength: number): string[] {
  if (!Array.isArray(v)) throw new ArgError(method, `${name} must be a list of text (got ${show(v)})`);
  if (v.length > SEARCH_LIMITS.patternsPerKind) throw new ArgError(method, `${name} has ${v.length} entries; at most ${SEARCH_LIMITS.patternsPerKind}`);
  return v.map((s, i) => {
    if (typeof s !== 'string') throw new ArgError(method, `${name}[${i}] must be text (got ${show(s)})`);
    if (s.length === 0) throw new ArgError(method, `${name}[${i}] is empty`);
    if (s.length > maxLength) throw new ArgError(method, `${name}[${i}] is longer than ${maxLength} characters`);
    return s;
  });
}

function searchRequest(method: string, v: unknown): SearchRequest {
  const keys = ['requestId', 'caseId', 'strings', 'regexes', 'hex', 'yara', 'utf16', 'ascii', 'ignoreCase', 'maxHits'] as const;
  const o = plainObject(method, 'the search', v, keys, keys.filter((k) => k !== 'maxHits'));
  const req: SearchRequest = {
    requestId: requestId(method, o.requestId),
    caseId: index(method, 'caseId', o.caseId, 1),
    strings: stringList(method, 'strings', o.strings, SEARCH_LIMITS.patternLength),
    regexes: stringList(method, 'regexes', o.regexes, SEARCH_LIMITS.patternLength),
    hex: stringList(method, 'hex', o.hex, SEARCH_LIMITS.patternLength),
    yara: stringList(method, 'yara', o.yara, SEARCH_LIMITS.yaraLength),
    utf16: bool(method, 'utf16', o.utf16),
    ascii: bool(method, 'ascii', o.ascii),
    ignoreCase: bool(method, 'ignoreCase', o.ignoreCase),
  };
  if (o.maxHits !== undefined) {
    const m = index(method, 'maxHits', o.maxHits, 1);
    if (m > SEARCH_LIMITS.maxHits) throw new ArgError(method, `maxHits must be at most ${SEARCH_LIMITS.maxHits}`);
    req.maxHits = m;
  }
  if (req.strings.length + req.regexes.length + req.hex.length + req.yara.length === 0) {
    throw new ArgError(method, 'give at least one string, regular expression, hex pattern or YARA rule');
  }
  // core's own checks, so a typo is refused before a worker is woken, in the CLI's words (which
  // pattern, which byte or character, why); YARA rules are compiled by the worker
  req.hex.forEach((h) => parseHex(h));
  req.regexes.forEach((r) => checkRegexSyntax(r, req.ignoreCase));
  return req;
}

/** the examiner's case fields: each optional text within its limit, without NUL; empty ones left out */
/** which slots an export holds: a non-empty list of { segment, slot } and an optional label */
function exportSelection(method: string, v: unknown): ExportSelection {
  const o = plainObject(method, 'selection', v, ['label', 'slots'], ['slots']);
  if (!Array.isArray(o.slots)) throw new ArgError(method, `selection.slots must be a list of { segment, slot } (got ${show(o.slots)})`);
  if (o.slots.length === 0) throw new ArgError(method, 'selection.slots names no slot');
  if (o.slots.length > EXPORT_SELECTION_MAX) throw new ArgError(method, `selection.slots names more than ${EXPORT_SELECTION_MAX} slots`);
  const slots = o.slots.map((p: unknown, i: number) => {
    const q = plainObject(method, `selection.slots[${i}]`, p, ['segment', 'slot'], ['segment', 'slot']);
    return { segment: index(method, `selection.slots[${i}].segment`, q.segment), slot: index(method, `selection.slots[${i}].slot`, q.slot) };
  });
  const sel: ExportSelection = { slots };
  if (o.label !== undefined) {
    if (typeof o.label !== 'string') throw new ArgError(method, `selection.label must be text (got ${show(o.label)})`);
    if (o.label.length > EXPORT_LABEL_MAX) throw new ArgError(method, `selection.label is longer than ${EXPORT_LABEL_MAX} characters`);
    if (o.label.includes('\0')) throw new ArgError(method, 'selection.label contains a NUL character');
    if (o.label.trim()) sel.label = o.label.trim();
  }
  return sel;
}

function caseFields(method: string, v: unknown): CaseFields {
  const names = Object.keys(CASE_FIELD_LIMITS) as (keyof CaseFields)[];
  const o = plainObject(method, 'caseFields', v, names, []);
  const out: CaseFields = {};
  for (const k of names) {
    const x = o[k];
    if (x === undefined) continue;
    if (typeof x !== 'string') throw new ArgError(method, `caseFields.${k} must be text (got ${show(x)})`);
    if (x.length > CASE_FIELD_LIMITS[k]) throw new ArgError(method, `caseFields.${k} is longer than ${CASE_FIELD_LIMITS[k]} characters`);
    if (x.includes('\0')) throw new ArgError(method, `caseFields.${k} contains a NUL character`);
    if (x.trim()) out[k] = x.trim();
  }
  return out;
}

function stringsRequest(method: string, v: unknown): StringsRequest {
  const keys = ['requestId', 'caseId', 'min', 'ascii', 'utf16', 'filter', 'maxStrings'] as const;
  const o = plainObject(method, 'the request', v, keys, ['requestId', 'caseId', 'min', 'ascii', 'utf16']);
  const req: StringsRequest = {
    requestId: requestId(method, o.requestId),
    caseId: index(method, 'caseId', o.caseId, 1),
    min: index(method, 'min', o.min, STRINGS_LIMITS.minLength),
    ascii: bool(method, 'ascii', o.ascii),
    utf16: bool(method, 'utf16', o.utf16),
  };
  if (req.min > STRINGS_LIMITS.maxLength) throw new ArgError(method, `min must be from ${STRINGS_LIMITS.minLength} to ${STRINGS_LIMITS.maxLength} (got ${show(req.min)})`);
  if (!req.ascii && !req.utf16) throw new ArgError(method, 'choose ASCII, UTF-16LE or both');
  if (o.filter !== undefined) {
    if (typeof o.filter !== 'string') throw new ArgError(method, `filter must be text (got ${show(o.filter)})`);
    if (o.filter.length > STRINGS_LIMITS.filterLength) throw new ArgError(method, `filter is longer than ${STRINGS_LIMITS.filterLength} characters`);
    if (o.filter.includes('\0')) throw new ArgError(method, 'filter contains a NUL character');
    if (o.filter.length > 0) req.filter = o.filter;
  }
  if (o.maxStrings !== undefined) {
    const m = index(method, 'maxStrings', o.maxStrings, 1);
    if (m > STRINGS_LIMITS.maxStrings) throw new ArgError(method, `maxStrings must be at most ${STRINGS_LIMITS.maxStrings}`);
    req.maxStrings = m;
  }
  return req;
}

/** a 64-bit address as the API writes it: 0x and 1–16 hex digits */
function address(method: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) throw new ArgError(method, `${name} must be an address: 0x and 1 to 16 hex digits (got ${show(v)})`);
  return '0x' + BigInt(v).toString(16);
}

/** a folder to create (or replace, when allowed): checked like an export's */
async function outFolder(method: string, what: string, out: string, overwrite: boolean, grants: PathGrants, dialogs: boolean): Promise<void> {
  if (path.dirname(out) === out) throw new ArgError(method, 'out cannot be the root folder');
  await existing(method, `the folder that will hold the ${what}`, path.dirname(out), 'folder');
  await grants.checkWrite(method, 'out', out, overwrite, dialogs);
}

function hitsFormat(method: string, v: unknown): HitsFormat {
  if (v !== 'csv' && v !== 'json') throw new ArgError(method, `format must be "csv" or "json" (got ${show(v)})`);
  return v;
}

// ─────────────── the handlers ───────────────

export function createHandlers(deps: HandlerDeps): Handlers {
  const { host } = deps;
  let startup = deps.startup ?? null;
  const grants = deps.grants ?? new PathGrants();
  // the command line's image and symbols are the person's choice
  const granting = (async () => {
    if (startup && startup !== 'demo') {
      await grants.grant(startup.imagePath, 'read', 'command-line');
      if (startup.symbolsPath) await grants.grant(startup.symbolsPath, 'read', 'command-line');
    }
  })().catch(() => undefined);
  /** a dialog's answer is the person's choice */
  const picked = async (p: string | null, access: 'read' | 'write'): Promise<string | null> => {
    if (p) await grants.grant(p, access, 'dialog');
    return p;
  };

  /** runs a handler body; every throw becomes an ApiResult error */
  const guard = <M extends ApiMethod>(body: (...args: unknown[]) => Promise<ApiResult<ApiValue<M>>>): Handler<M> =>
    async (...args: unknown[]) => {
      try {
        return await body(...args);
      } catch (e) {
        return { ok: false, error: toApiError(e) };
      }
    };

  const ok = <T>(value: T): ApiResult<T> => ({ ok: true, value });

  /** a method whose one argument is the case id: counted, checked and passed on to the case worker */
  const byCaseId = <M extends 'getInfo' | 'getStats' | 'getSegments' | 'getProcesses'>(m: M): Handler<M> =>
    guard<M>(async (...args) => {
      argCount(m, args, 1);
      const call = host.call as (method: M, caseId: number) => Promise<ApiResult<ApiValue<M>>>;
      return call.call(host, m, index(m, 'caseId', args[0], 1));
    });

  const dialogs = (method: string): Dialogs => {
    if (!deps.dialogs) throw new AppError('NO_DIALOGS', `${method}: file dialogs exist only in the desktop app; type the path instead`);
    return deps.dialogs;
  };

  return {
    environment: guard<'environment'>(async (...args) => {
      argCount('environment', args, 0);
      const current = await host.call('currentCase');
      const open = current.ok ? current.value : null;
      // the startup case is offered once, and only while nothing is open (a reload must not reopen it)
      const start = open ? null : startup;
      startup = null;
      return ok({
        apiVersion: 1,
        mode: deps.mode,
        dialogs: deps.dialogs !== null,
        appVersion: deps.appVersion,
        platform: process.platform,
        recentSymbols: deps.settings.recentSymbols(),
        recentCases: deps.settings.recentCases(),
        openCase: open,
        startup: start,
      });
    }),

    openCase: guard<'openCase'>(async (...args) => {
      const m = 'openCase';
      argCount(m, args, 1);
      const o = plainObject(m, 'the request', args[0], ['requestId', 'imagePath', 'symbolsPath', 'swapPaths'], ['requestId', 'imagePath']);
      const req: OpenRequest = { requestId: requestId(m, o.requestId), imagePath: pathArg(m, 'imagePath', o.imagePath) };
      if (o.symbolsPath !== undefined) req.symbolsPath = pathArg(m, 'symbolsPath', o.symbolsPath);
      if (o.swapPaths !== undefined) {
        // a missing or unrelated swap file is a named problem of the case, not a refused request
        if (!Array.isArray(o.swapPaths) || o.swapPaths.length > 64) throw new ArgError(m, `swapPaths must be a list of at most 64 file paths (got ${show(o.swapPaths)})`);
        req.swapPaths = o.swapPaths.map((p, i) => pathArg(m, `swapPaths[${i}]`, p));
      }
      await existing(m, 'image', req.imagePath, 'file');
      if (req.symbolsPath) await existing(m, 'symbols', req.symbolsPath, 'file-or-folder');
      // what the Open form names is what the person chose to read (and the only thing this call reads)
      await granting;
      await grants.grant(req.imagePath, 'read', 'open-form');
      if (req.symbolsPath) await grants.grant(req.symbolsPath, 'read', 'open-form');
      const r = await host.call('openCase', req);
      if (r.ok && req.symbolsPath) deps.settings.rememberSymbols(req.symbolsPath);
      if (r.ok) deps.settings.rememberCase(req.symbolsPath ? { imagePath: req.imagePath, symbolsPath: req.symbolsPath } : { imagePath: req.imagePath });
      const read = [{ label: 'image', path: req.imagePath }, ...(req.symbolsPath ? [{ label: 'symbol table', path: req.symbolsPath }] : [])];
      return withoutFileContent(m, r, read);
    }),

    openDemo: guard<'openDemo'>(async (...args) => {
      const m = 'openDemo';
      argCount(m, args, 1);
      const o = plainObject(m, 'the request', args[0], ['requestId'], ['requestId']);
      return host.call('openDemo', { requestId: requestId(m, o.requestId) });
    }),

    closeCase: guard<'closeCase'>(async (...args) => {
      argCount('closeCase', args, 0);
      return host.call('closeCase');
    }),

    cancel: guard<'cancel'>(async (...args) => {
      argCount('cancel', args, 1);
      return host.call('cancel', requestId('cancel', args[0]));
    }),

    getInfo: byCaseId('getInfo'),

    getStats: byCaseId('getStats'),

    getSegments: byCaseId('getSegments'),

    getSlots: guard<'getSlots'>(async (...args) => {
      const m = 'getSlots';
      argCount(m, args, 2);
      return host.call(m, index(m, 'caseId', args[0], 1), index(m, 'segment', args[1]));
    }),

    getPage: guard<'getPage'>(async (...args) => {
      const m = 'getPage';
      argCount(m, args, 3);
      return host.call(m, index(m, 'caseId', args[0], 1), index(m, 'segment', args[1]), index(m, 'slot', args[2]));
    }),

    search: guard<'search'>(async (...args) => {
      argCount('search', args, 1);
      const req = searchRequest('search', args[0]);
      return withoutFileContent('search', await host.call('search', req), yaraIncludes(req.yara));
    }),

    strings: guard<'strings'>(async (...args) => {
      argCount('strings', args, 1);
      return host.call('strings', stringsRequest('strings', args[0]));
    }),

    saveHits: guard<'saveHits'>(async (...args) => {
      const m = 'saveHits';
      argCount(m, args, 1);
      const keys = ['caseId', 'searchId', 'out', 'format', 'overwrite'] as const;
      const o = plainObject(m, 'the request', args[0], keys, keys);
      const save: SaveHitsRequest = {
        caseId: index(m, 'caseId', o.caseId, 1),
        searchId: requestId(m, o.searchId),
        out: pathArg(m, 'out', o.out),
        format: hitsFormat(m, o.format),
        overwrite: bool(m, 'overwrite', o.overwrite),
      };
      if (path.dirname(save.out) === save.out || /[\\/]$/.test(save.out)) throw new ArgError(m, 'out must name a file, not a folder');
      await existing(m, 'the folder that will hold the file', path.dirname(save.out), 'folder');
      await grants.checkWrite(m, 'out', save.out, save.overwrite, deps.dialogs !== null);
      const r = await host.call(m, save);
      if (r.ok) await grants.grant(save.out, 'write', 'written');
      return r;
    }),

    saveStrings: guard<'saveStrings'>(async (...args) => {
      const m = 'saveStrings';
      argCount(m, args, 1);
      const keys = ['caseId', 'stringsId', 'filter', 'out', 'format', 'overwrite'] as const;
      const o = plainObject(m, 'the request', args[0], keys, keys);
      if (typeof o.filter !== 'string') throw new ArgError(m, `filter must be text (got ${show(o.filter)})`);
      if (o.filter.length > STRINGS_LIMITS.filterLength) throw new ArgError(m, `filter is longer than ${STRINGS_LIMITS.filterLength} characters`);
      if (o.filter.includes('\0')) throw new ArgError(m, 'filter contains a NUL character');
      const save: SaveStringsRequest = {
        caseId: index(m, 'caseId', o.caseId, 1),
        stringsId: requestId(m, o.stringsId),
        filter: o.filter,
        out: pathArg(m, 'out', o.out),
        format: hitsFormat(m, o.format),
        overwrite: bool(m, 'overwrite', o.overwrite),
      };
      if (path.dirname(save.out) === save.out || /[\\/]$/.test(save.out)) throw new ArgError(m, 'out must name a file, not a folder');
      await existing(m, 'the folder that will hold the file', path.dirname(save.out), 'folder');
      await grants.checkWrite(m, 'out', save.out, save.overwrite, deps.dialogs !== null);
      const r = await host.call(m, save);
      if (r.ok) await grants.grant(save.out, 'write', 'written');
      return r;
    }),

    export: guard<'export'>(async (...args) => {
      const m = 'export';
      argCount(m, args, 1);
      const keys = ['requestId', 'caseId', 'out', 'layout', 'overwrite', 'caseFields', 'selection'] as const;
      const o = plainObject(m, 'the export', args[0], keys, keys.filter((k) => k !== 'caseFields' && k !== 'selection'));
      if (o.layout !== 'slots' && o.layout !== 'concat') throw new ArgError(m, `layout must be "slots" or "concat" (got ${show(o.layout)})`);
      const req: CaseRequest & ExportRequest = {
        requestId: requestId(m, o.requestId),
        caseId: index(m, 'caseId', o.caseId, 1),
        out: pathArg(m, 'out', o.out),
        layout: o.layout,
        overwrite: bool(m, 'overwrite', o.overwrite),
      };
      if (o.caseFields !== undefined) req.caseFields = caseFields(m, o.caseFields);
      if (o.selection !== undefined) req.selection = exportSelection(m, o.selection);
      if (path.dirname(req.out) === req.out) throw new ArgError(m, 'out cannot be the root folder');
      await existing(m, 'the folder that will hold the export', path.dirname(req.out), 'folder');
      await grants.checkWrite(m, 'out', req.out, req.overwrite, deps.dialogs !== null);
      const r = await host.call(m, req);
      if (r.ok) await grants.grant(req.out, 'write', 'written');
      return r;
    }),

    getProcesses: byCaseId('getProcesses'),

    getMaps: guard<'getMaps'>(async (...args) => {
      const m = 'getMaps';
      argCount(m, args, 2);
      return host.call(m, index(m, 'caseId', args[0], 1), index(m, 'pid', args[1]));
    }),

    getRegionPages: guard<'getRegionPages'>(async (...args) => {
      const m = 'getRegionPages';
      argCount(m, args, 4);
      return host.call(m, index(m, 'caseId', args[0], 1), index(m, 'pid', args[1]), address(m, 'start', args[2]), index(m, 'first', args[3]));
    }),

    readVirtual: guard<'readVirtual'>(async (...args) => {
      const m = 'readVirtual';
      argCount(m, args, 4);
      const caseId = index(m, 'caseId', args[0], 1);
      const pid = index(m, 'pid', args[1]);
      const va = address(m, 'va', args[2]);
      const length = index(m, 'length', args[3], 1);
      if (length > VIRTUAL_READ_MAX) throw new ArgError(m, `length must be at most ${VIRTUAL_READ_MAX} (got ${show(length)})`);
      if (BigInt(va) + BigInt(length) > 1n << 64n) throw new ArgError(m, `va ${va} + length ${length} runs past the end of the 64-bit address space`);
      return host.call(m, caseId, pid, va, length);
    }),

    getSegmentOwners: guard<'getSegmentOwners'>(async (...args) => {
      const m = 'getSegmentOwners';
      argCount(m, args, 2);
      return host.call(m, index(m, 'caseId', args[0], 1), index(m, 'segment', args[1]));
    }),

    getSvOwners: guard<'getSvOwners'>(async (...args) => {
      const m = 'getSvOwners';
      argCount(m, args, 2);
      return host.call(m, index(m, 'caseId', args[0], 1), index(m, 'index', args[1]));
    }),

    procDump: guard<'procDump'>(async (...args) => {
      const m = 'procDump';
      argCount(m, args, 1);
      const keys = ['requestId', 'caseId', 'pid', 'out', 'overwrite'] as const;
      const o = plainObject(m, 'the dump', args[0], keys, keys);
      const req: ProcDumpRequest = {
        requestId: requestId(m, o.requestId),
        caseId: index(m, 'caseId', o.caseId, 1),
        pid: index(m, 'pid', o.pid),
        out: pathArg(m, 'out', o.out),
        overwrite: bool(m, 'overwrite', o.overwrite),
      };
      await outFolder(m, 'dump', req.out, req.overwrite, grants, deps.dialogs !== null);
      const r = await host.call(m, req);
      if (r.ok) await grants.grant(req.out, 'write', 'written');
      return r;
    }),

    pickImage: guard<'pickImage'>(async (...args) => {
      argCount('pickImage', args, 0);
      return ok(await picked(await dialogs('pickImage').pickImage(), 'read'));
    }),

    pickSymbols: guard<'pickSymbols'>(async (...args) => {
      argCount('pickSymbols', args, 1);
      const kind = args[0];
      if (kind !== 'file' && kind !== 'folder') throw new ArgError('pickSymbols', `kind must be "file" or "folder" (got ${show(kind)})`);
      return ok(await picked(await dialogs('pickSymbols').pickSymbols(kind), 'read'));
    }),

    showInFolder: guard<'showInFolder'>(async (...args) => {
      const m = 'showInFolder';
      argCount(m, args, 1);
      const p = pathArg(m, 'path', args[0]);
      const d = dialogs(m);
      await existing(m, 'path', p, 'file-or-folder');
      d.showInFolder(p);
      return ok(null);
    }),

    pickExportFolder: guard<'pickExportFolder'>(async (...args) => {
      argCount('pickExportFolder', args, 0);
      return ok(await picked(await dialogs('pickExportFolder').pickExportFolder(), 'write'));
    }),

    pickHitsFile: guard<'pickHitsFile'>(async (...args) => {
      argCount('pickHitsFile', args, 1);
      return ok(await picked(await dialogs('pickHitsFile').pickHitsFile(hitsFormat('pickHitsFile', args[0])), 'write'));
    }),

    getRecentSymbols: guard<'getRecentSymbols'>(async (...args) => {
      argCount('getRecentSymbols', args, 0);
      return ok(deps.settings.recentSymbols());
    }),
  };
}

/** calls a handler by method name with raw arguments (IPC and HTTP both land here) */
export function dispatch(handlers: Handlers, method: string, args: unknown): Promise<ApiResult<unknown>> {
  if (!Object.prototype.hasOwnProperty.call(handlers, method)) {
    return Promise.resolve({ ok: false, error: { code: 'BAD_ARGUMENT', message: `unknown method ${JSON.stringify(method.slice(0, 60))}` } });
  }
  if (!Array.isArray(args)) {
    return Promise.resolve({ ok: false, error: { code: 'BAD_ARGUMENT', message: `${method}: arguments must be a list` } });
  }
  // spreading a huge list would overflow the stack before any handler could refuse it
  if (args.length > MAX_ARGS) {
    return Promise.resolve({ ok: false, error: { code: 'BAD_ARGUMENT', message: `${method}: ${args.length} arguments; no method takes more than ${MAX_ARGS}` } });
  }
  return (handlers[method as ApiMethod] as (...a: unknown[]) => Promise<ApiResult<unknown>>)(...args);
}
