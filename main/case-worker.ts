// The case worker: owns the open Case and runs every façade call off the UI process's thread, so a
// long walk, search or export never freezes the window (Electron) or the event stream (browser mode).
// One case at a time; opening another replaces it once the new one has opened.
import { parentPort, workerData } from 'node:worker_threads';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type {
  ApiError,
  CaseRequest,
  CaseStats,
  ExportRequest,
  ExportSummary,
  OpenCase,
  OpenRequest,
  PageView,
  ProcDumpRequest,
  ProcDumpSummary,
  RegionPages,
  SaveHitsRequest,
  VirtualView,
  SaveHitsResult,
  SaveStringsRequest,
  SaveStringsResult,
  SearchHit,
  SearchRequest,
  SearchResult,
  OwnedString,
  StringsRequest,
  StringsResult,
  UnfoldEvent,
} from '../core/api';
import { REGION_PAGES_MAX, SEARCH_LIMITS, STRINGS_LIMITS } from '../core/api';
import type { DecodeStatus } from '../core/case';
import { slotStats } from '../core/darwin/histogram';
import { hitsToCsv } from '../core/search/csv';
import { HIT_COLUMNS } from '../core/search/types';
import { filterStrings, STRING_COLUMNS, stringsToCsv } from '../core/search/strings-list';
import { summarizeExport } from '../core/export/types';
import { Batcher } from '../core/work/batch';
import type { CaseWorkerData, FromWorker, ToWorker, WorkerArgs, WorkerCallName, WorkerValue } from './protocol';
import { appError, toApiError } from './errors';
import { loadFacade, type FacadeCase } from './facade';
import { stringsNarrowed } from './strings-narrowed';

const port = parentPort;
if (!port) throw new Error('case-worker must run in a worker thread');
const data = (workerData ?? {}) as CaseWorkerData;

const post = (m: FromWorker): void => port.postMessage(m);
const emit = (event: UnfoldEvent): void => post({ kind: 'event', event });

interface Running {
  controller: AbortController;
  kind: 'open' | 'search' | 'strings' | 'export' | 'procdump';
}

let current: { id: number; facadeCase: FacadeCase; info: OpenCase; stats: CaseStats | null } | null = null;
let nextCaseId = 1;
const running = new Map<string, Running>();
/** the hits of the last search, kept so "Save hits" writes what the search found, not what a renderer sends */
let lastSearch: { requestId: string; caseId: number; hits: SearchHit[]; finished: boolean } | null = null;
/** the last strings pass's list, kept so "Save strings" writes what the view listed */
let lastStrings: { requestId: string; caseId: number; strings: OwnedString[]; finished: boolean } | null = null;

function abortAll(kind: Running['kind']): void {
  for (const [id, r] of running) if (r.kind === kind) {
    r.controller.abort();
    running.delete(id);
  }
}

/** progress events are throttled to ~10 per second per request; the last one always goes out */
function progressSink(requestId: string) {
  const t0 = Date.now();
  let last = 0;
  return (p: { phase: string; done: number; total: number; message?: string }) => {
    const now = Date.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    emit({ type: 'progress', requestId, phase: p.phase, done: p.done, total: p.total, message: p.message, elapsedMs: now - t0 });
  };
}

function requireCase(caseId: number) {
  if (!current) throw appError('NO_CASE', 'no case is open');
  if (current.id !== caseId) {
    throw appError('STALE_CASE', `case ${caseId} is no longer open (the open case is ${current.id})`, { open: current.id, asked: caseId });
  }
  return current;
}

function toInfo(id: number, c: FacadeCase, demo: boolean, seconds: number, opened: OpenCase['opened']): OpenCase {
  return { ...structuredClone(c.info), caseId: id, demo, openSeconds: seconds, opened };
}

async function open(req: OpenRequest, demo: boolean): Promise<OpenCase> {
  abortAll('open');
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'open' });
  const t0 = Date.now();
  try {
    const facade = await loadFacade(data.decodeWorker ?? null);
    let imagePath = req.imagePath;
    let symbols = req.symbolsPath;
    if (demo) {
      emit({ type: 'progress', requestId: req.requestId, phase: 'demo', done: 0, total: 1, message: 'building the demo image', elapsedMs: 0 });
      const d = await facade.ensureDemoCase();
      imagePath = d.imagePath;
      symbols = d.symbolsPath;
    }
    const decodeId = `${req.requestId}:decode`;
    let opened: FacadeCase | null = null;
    const onDecode = decodeEvents(decodeId, () => opened);
    const c = await facade.openCase(imagePath, {
      symbols,
      signal: controller.signal,
      onProgress: progressSink(req.requestId),
      threads: data.threads,
      ...(req.swapPaths && req.swapPaths.length > 0 ? { swap: req.swapPaths } : {}),
      // the overview comes from the metadata; every page is decoded and hashed after it, in the background
      decode: 'background',
      onDecodeProgress: (p) => onDecode(p),
    });
    opened = c;
    if (req.swapPaths && req.swapPaths.length > 0) await c.swapFilesHashed({ signal: controller.signal });
    if (controller.signal.aborted) {
      await c.close();
      throw appError('CANCELLED', 'cancelled');
    }
    // the new case replaces the old one only once it has opened: a failed open keeps what was there
    if (current) {
      abortAll('search');
      abortAll('strings');
      abortAll('export');
      abortAll('procdump');
      lastSearch = null;
      lastStrings = null;
      const old = current.facadeCase;
      current = null;
      await old.close().catch(() => {});
    }
    const id = nextCaseId++;
    const info = toInfo(id, c, demo, (Date.now() - t0) / 1000, { imagePath, ...(symbols ? { symbolsPath: symbols } : {}), swapPaths: [...(req.swapPaths ?? [])] });
    info.decodeRequestId = decodeId;
    current = { id, facadeCase: c, info, stats: null };
    onDecode(c.decodeStatus());
    return info;
  } finally {
    running.delete(req.requestId);
  }
}

/**
 * The background pass's progress as events under its own request id (throttled like any progress),
 * and at its end the case's info refreshed with what decoding found, then `done` (or `error`).
 */
function decodeEvents(requestId: string, facadeCase: () => FacadeCase | null) {
  let last = 0;
  let ended = false;
  return (p: DecodeStatus): void => {
    if (ended || p.state === 'none') return;
    const now = Date.now();
    if (p.state === 'running') {
      if (now - last < 250) return;
      last = now;
      const mb = (n: number) => (n / 1048576).toFixed(0);
      emit({ type: 'progress', requestId, phase: 'background', done: p.pagesDone, total: p.pagesTotal, message: `${mb(p.bytesDone)} of ${mb(p.bytesTotal)} MiB of compressed buffers`, elapsedMs: p.elapsedMs, etaSeconds: p.etaSeconds });
      return;
    }
    ended = true;
    const c = facadeCase();
    if (c && current && current.facadeCase === c) {
      current.info = { ...current.info, ...structuredClone(c.info) };
      current.stats = null;
    }
    if (p.state === 'done') emit({ type: 'done', requestId });
    else emit({ type: 'error', requestId, error: { code: p.state === 'cancelled' ? 'CANCELLED' : 'INTERNAL', message: p.error ?? `the background decoding was ${p.state}` } });
  };
}

function stats(caseId: number): CaseStats {
  const cur = requireCase(caseId);
  const c = cur.facadeCase;
  // every record would be decoded here, on this thread: wait for the background pass instead
  if (c.decodeStatus().state === 'running') throw appError('BUSY', 'the pages are still being decoded in the background; the statistics follow when that is done');
  cur.stats ??= { caseId, ...slotStats((function* () { for (const seg of c.segments()) yield* c.slots(seg.index); })(), cur.info.compressor.pageSize) };
  return cur.stats;
}

function segmentExists(cur: NonNullable<typeof current>, segment: number): void {
  if (!cur.facadeCase.segments().some((s) => s.index === segment)) {
    const count = cur.facadeCase.segments().length;
    throw appError('NOT_FOUND', `there is no segment ${segment} (the case has ${count} segments)`, { segment, segments: count });
  }
}

function page(caseId: number, segment: number, slot: number): PageView {
  const cur = requireCase(caseId);
  segmentExists(cur, segment);
  if (!cur.facadeCase.slots(segment).some((r) => r.slot === slot)) {
    throw appError('NOT_FOUND', `segment ${segment} has no live slot ${slot}`, { segment, slot });
  }
  const p = cur.facadeCase.page(segment, slot);
  const b64 = (u: Uint8Array | null) => (u ? Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64') : null);
  return {
    caseId,
    segment,
    slot,
    record: p.record,
    pageSize: cur.info.compressor.pageSize,
    page: b64(p.page),
    compressed: b64(p.compressed),
    ...(p.storedAt ? { storedAt: p.storedAt } : {}),
  };
}

async function search(req: SearchRequest): Promise<SearchResult> {
  const cur = requireCase(req.caseId);
  // one search at a time: a new one replaces the old (the UI shows one result list)
  abortAll('search');
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'search' });
  const kept: SearchHit[] = [];
  lastSearch = { requestId: req.requestId, caseId: req.caseId, hits: kept, finished: false };
  const batch = new Batcher<SearchHit>({ size: 500, delayMs: data.hitBatchMs ?? 50, send: (hits) => emit({ type: 'hits', requestId: req.requestId, hits }) });
  try {
    return await cur.facadeCase.search(
      {
        strings: req.strings,
        regexes: req.regexes,
        hex: req.hex,
        yara: req.yara.map((source, i) => ({ source, origin: `rules ${i + 1} (typed in the app)` })),
        utf16: req.utf16,
        ascii: req.ascii,
        ignoreCase: req.ignoreCase,
      },
      {
        signal: controller.signal,
        onProgress: progressSink(req.requestId),
        maxHits: req.maxHits ?? SEARCH_LIMITS.defaultMaxHits,
        onHit: (h) => {
          kept.push(h);
          batch.push(h);
        },
      },
    );
  } finally {
    batch.flush();
    running.delete(req.requestId);
    if (lastSearch?.requestId === req.requestId) lastSearch.finished = true;
  }
}

async function strings(req: StringsRequest): Promise<StringsResult> {
  const cur = requireCase(req.caseId);
  // one extraction at a time, like search: the UI shows one list
  abortAll('strings');
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'strings' });
  const kept: OwnedString[] = [];
  lastStrings = { requestId: req.requestId, caseId: req.caseId, strings: kept, finished: false };
  const batch = new Batcher<OwnedString>({ size: 1000, delayMs: data.hitBatchMs ?? 50, send: (strings) => emit({ type: 'strings', requestId: req.requestId, strings }) });
  try {
    // with a filter, only the pages holding it are read (strings-narrowed.ts); the list is core's
    return await stringsNarrowed(cur.facadeCase, req.min, {
      signal: controller.signal,
      onProgress: progressSink(req.requestId),
      ascii: req.ascii,
      utf16: req.utf16,
      ...(req.filter ? { filter: req.filter } : {}),
      maxStrings: req.maxStrings ?? STRINGS_LIMITS.defaultMaxStrings,
      onString: (s) => {
        const owned = { ...s, owners: cur.facadeCase.slotOwners(s.segment, s.slot) };
        kept.push(owned);
        batch.push(owned);
      },
    });
  } finally {
    batch.flush();
    running.delete(req.requestId);
    if (lastStrings?.requestId === req.requestId) lastStrings.finished = true;
  }
}

async function saveHits(req: SaveHitsRequest): Promise<SaveHitsResult> {
  const cur = requireCase(req.caseId);
  const last = lastSearch;
  if (!last || last.requestId !== req.searchId || last.caseId !== req.caseId) {
    throw appError('NOT_FOUND', `no hits of search ${req.searchId} are kept (only the last search's are); search again`, { searchId: req.searchId });
  }
  if (!last.finished) throw appError('BUSY', 'the search is still running; wait for it to finish or cancel it first');
  // the evidence is never written, whatever the person typed or ticked
  const real = async (p: string): Promise<string> => realpath(p).catch(() => path.resolve(p));
  if ((await real(req.out)) === (await real(cur.info.image.path))) {
    throw appError('BAD_ARGUMENT', `${req.out} is the evidence file of this case; it is never written`, { file: req.out });
  }
  const hits = last.hits;
  let text: string;
  if (req.format === 'csv') {
    text = hitsToCsv(hits);
  } else {
    text =
      JSON.stringify(
        {
          tool: 'Unfold',
          image: cur.info.image.path,
          savedAt: new Date().toISOString(),
          hits: hits.map((h) => Object.fromEntries(HIT_COLUMNS.map((k) => [k, h[k]]))),
        },
        null,
        1,
      ) + '\n';
  }
  const { writeFileAtomic } = await import('../core/export/atomic');
  const w = await writeFileAtomic(req.out, text, { overwrite: req.overwrite });
  return { out: w.path, format: req.format, hits: hits.length, bytes: w.bytes, sha256: w.sha256 };
}

async function saveStrings(req: SaveStringsRequest): Promise<SaveStringsResult> {
  const cur = requireCase(req.caseId);
  const last = lastStrings;
  if (!last || last.requestId !== req.stringsId || last.caseId !== req.caseId) {
    throw appError('NOT_FOUND', `no strings of pass ${req.stringsId} are kept (only the last pass's are); extract again`, { stringsId: req.stringsId });
  }
  if (!last.finished) throw appError('BUSY', 'the strings pass is still running; wait for it to finish or cancel it first');
  const real = async (p: string): Promise<string> => realpath(p).catch(() => path.resolve(p));
  if ((await real(req.out)) === (await real(cur.info.image.path))) {
    throw appError('BAD_ARGUMENT', `${req.out} is the evidence file of this case; it is never written`, { file: req.out });
  }
  const list = filterStrings(last.strings, req.filter);
  const text =
    req.format === 'csv'
      ? stringsToCsv(list)
      : JSON.stringify(
          {
            tool: 'Unfold',
            image: cur.info.image.path,
            savedAt: new Date().toISOString(),
            filter: req.filter,
            strings: list.map((x) => ({ ...Object.fromEntries(STRING_COLUMNS.map((k) => [k, x[k]])), owners: x.owners })),
          },
          null,
          1,
        ) + '\n';
  const { writeFileAtomic } = await import('../core/export/atomic');
  const w = await writeFileAtomic(req.out, text, { overwrite: req.overwrite });
  return { out: w.path, format: req.format, strings: list.length, bytes: w.bytes, sha256: w.sha256 };
}

async function runExport(req: CaseRequest & ExportRequest): Promise<ExportSummary> {
  const cur = requireCase(req.caseId);
  for (const r of running.values()) {
    if (r.kind === 'export') throw appError('BUSY', 'an export is already running; wait for it or cancel it first');
  }
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'export' });
  const t0 = Date.now();
  try {
    const r = await cur.facadeCase.export(
      {
        out: req.out,
        layout: req.layout,
        overwrite: req.overwrite,
        ...(req.caseFields ? { caseFields: req.caseFields } : {}),
        ...(req.selection ? { selection: req.selection } : {}),
      },
      { signal: controller.signal, onProgress: progressSink(req.requestId) },
    );
    return summarizeExport(r, (Date.now() - t0) / 1000);
  } finally {
    running.delete(req.requestId);
  }
}

/** the process walk's answers; a case without one (symbols lacking the process types) says why */
function withProcesses<T>(caseId: number, f: (c: FacadeCase) => T): T {
  const cur = requireCase(caseId);
  const p = cur.info.processes;
  if (p && !p.available) throw appError('NOT_FOUND', `this case has no process list: ${p.reason ?? 'no process walk'}`);
  try {
    return f(cur.facadeCase);
  } catch (e) {
    // "no process with pid …", "no region starting at …": what the renderer asked for is not there
    if (e instanceof RangeError) throw appError('NOT_FOUND', e.message);
    throw e;
  }
}

function regionPages(caseId: number, pid: number, start: string, first: number): RegionPages {
  return withProcesses(caseId, (c) => ({ caseId, pid, ...c.regionPages(pid, BigInt(start), first, REGION_PAGES_MAX) }));
}

function readVirtual(caseId: number, pid: number, va: string, length: number): VirtualView {
  return withProcesses(caseId, (c) => {
    const r = c.readVirtual(pid, BigInt(va), length);
    return { caseId, pid, va, length, bytes: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('base64'), pages: r.pages, missing: r.missing };
  });
}

async function procDump(req: ProcDumpRequest): Promise<ProcDumpSummary> {
  const cur = requireCase(req.caseId);
  withProcesses(req.caseId, (c) => c.maps(req.pid));
  for (const r of running.values()) {
    if (r.kind === 'procdump') throw appError('BUSY', 'a process dump is already running; wait for it or cancel it first');
  }
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'procdump' });
  const t0 = Date.now();
  try {
    const r = await cur.facadeCase.procDump({ pid: req.pid, out: req.out, overwrite: req.overwrite }, { signal: controller.signal, onProgress: progressSink(req.requestId) });
    return {
      out: r.out,
      pid: r.pid,
      name: r.name,
      files: r.files.length,
      bytes: r.files.reduce((n, f) => n + f.bytes, 0),
      manifestSha256: r.manifestSha256,
      pages: r.pages,
      zeroFilled: r.zeroFilled,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    running.delete(req.requestId);
  }
}

function closeCase(): Promise<null> {
  abortAll('search');
  abortAll('strings');
  abortAll('export');
  abortAll('procdump');
  lastSearch = null;
  lastStrings = null;
  const old = current;
  current = null;
  return old ? old.facadeCase.close().then(() => null) : Promise.resolve(null);
}

function cancel(requestId: string): boolean {
  if (current?.info.decodeRequestId === requestId && current.facadeCase.decodeStatus().state === 'running') {
    current.facadeCase.stopBackground();
    return true;
  }
  const r = running.get(requestId);
  r?.controller.abort();
  return r !== undefined;
}

function getSlots(caseId: number, segment: number) {
  const cur = requireCase(caseId);
  segmentExists(cur, segment);
  // the slot list shows each decoded page's SHA-256: hashed now for this segment, kept for later
  return cur.facadeCase.slots(segment, { hashes: true });
}

/** every call the worker answers, by the API's method names (main/protocol.ts) */
const methods: { [M in WorkerCallName]: (...args: WorkerArgs<M>) => WorkerValue<M> | Promise<WorkerValue<M>> } = {
  openCase: (req) => open(req, false),
  openDemo: (req) => open({ requestId: req.requestId, imagePath: '' }, true),
  closeCase,
  cancel,
  currentCase: () => current?.info ?? null,
  getInfo: (caseId) => requireCase(caseId).info,
  getStats: stats,
  getSegments: (caseId) => requireCase(caseId).facadeCase.segments(),
  getSlots,
  getPage: page,
  search,
  strings,
  saveHits,
  saveStrings,
  export: runExport,
  getProcesses: (caseId) => withProcesses(caseId, (c) => c.processes()),
  getMaps: (caseId, pid) => withProcesses(caseId, (c) => c.maps(pid)),
  getRegionPages: regionPages,
  readVirtual,
  getSegmentOwners: (caseId, segment) => {
    segmentExists(requireCase(caseId), segment);
    return requireCase(caseId).facadeCase.segmentOwners(segment);
  },
  getSvOwners: (caseId, index) => requireCase(caseId).facadeCase.svOwners(index),
  procDump,
};

/** the request id a call runs under (its events and errors carry it) */
function requestIdOf(args: readonly unknown[]): string | null {
  const a = args[0];
  return a !== null && typeof a === 'object' && typeof (a as { requestId?: unknown }).requestId === 'string' ? (a as { requestId: string }).requestId : null;
}

port.on('message', (m: ToWorker) => {
  const { method, args } = m.call;
  const requestId = requestIdOf(args);
  const run = Object.prototype.hasOwnProperty.call(methods, method) ? (methods[method] as (...a: unknown[]) => unknown) : null;
  Promise.resolve()
    .then(() => {
      if (!run) throw appError('INTERNAL', `the case worker has no method ${JSON.stringify(String(method))}`);
      return run(...args);
    })
    .then(
      (value) => {
        if (requestId) emit({ type: 'done', requestId });
        post({ kind: 'reply', id: m.id, result: { ok: true, value } });
      },
      (e: unknown) => {
        const error: ApiError = toApiError(e);
        if (requestId) emit({ type: 'error', requestId, error });
        post({ kind: 'reply', id: m.id, result: { ok: false, error } });
      },
    );
});
