// The case worker: owns the open Case and runs every façade call off the UI process's thread, so a
// long walk, search or export never freezes the window (Electron) or the event stream (browser mode).
// One case at a time; opening another replaces it once the new one has opened.
import { parentPort, workerData } from 'node:worker_threads';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type {
  ApiError,
  CaseInfo,
  CaseStats,
  ExportRequest,
  ExportResult,
  OpenRequest,
  PageView,
  SaveHitsRequest,
  SaveHitsResult,
  SearchHit,
  SearchRequest,
  SearchResult,
  StringEntry,
  StringsRequest,
  StringsResult,
  UnfoldEvent,
} from '../core/api';
import { HIT_COLUMNS, SEARCH_LIMITS, STRINGS_LIMITS } from '../core/api';
import type { SlotKind } from '../core/darwin/types';
import type { CaseWorkerData, FromWorker, ToWorker, WorkerCall } from './protocol';
import { appError, toApiError } from './errors';
import { loadFacade, type FacadeCase } from './facade';

const port = parentPort;
if (!port) throw new Error('case-worker must run in a worker thread');
const data = (workerData ?? {}) as CaseWorkerData;

const post = (m: FromWorker): void => port.postMessage(m);
const emit = (event: UnfoldEvent): void => post({ kind: 'event', event });

interface Running {
  controller: AbortController;
  kind: 'open' | 'search' | 'strings' | 'export';
}

let current: { id: number; facadeCase: FacadeCase; info: CaseInfo; stats: CaseStats | null } | null = null;
let nextCaseId = 1;
const running = new Map<string, Running>();
/** the hits of the last search, kept so "Save hits" writes what the search found, not what a renderer sends */
let lastSearch: { requestId: string; caseId: number; hits: SearchHit[]; finished: boolean } | null = null;

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

function toInfo(id: number, c: FacadeCase, demo: boolean, seconds: number, opened: CaseInfo['opened']): CaseInfo {
  const i = c.info;
  return {
    caseId: id,
    demo,
    openSeconds: seconds,
    image: {
      path: i.image.path,
      format: i.image.format,
      ranges: i.image.ranges.map((r) => ({ start: r.start, length: r.length })),
      notes: [...i.image.notes],
      size: i.image.size,
    },
    kernel: { ...i.kernel, darwin: { ...i.kernel.darwin } },
    compressor: i.compressor,
    opened,
    swap: { cipher: i.swapCipher, files: i.swapFiles.map((f) => ({ ...f })), problems: [...c.swapProblems()] },
  };
}

async function open(req: OpenRequest, demo: boolean): Promise<CaseInfo> {
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
    const c = await facade.openCase(imagePath, {
      symbols,
      signal: controller.signal,
      onProgress: progressSink(req.requestId),
      threads: data.threads,
      ...(req.swapPaths && req.swapPaths.length > 0 ? { swap: req.swapPaths } : {}),
    });
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
      lastSearch = null;
      const old = current.facadeCase;
      current = null;
      await old.close().catch(() => {});
    }
    const id = nextCaseId++;
    const info = toInfo(id, c, demo, (Date.now() - t0) / 1000, { imagePath, ...(symbols ? { symbolsPath: symbols } : {}), swapPaths: [...(req.swapPaths ?? [])] });
    current = { id, facadeCase: c, info, stats: null };
    return info;
  } finally {
    running.delete(req.requestId);
  }
}

const STORED_KINDS: ReadonlySet<SlotKind> = new Set<SlotKind>(['wkdm', 'lz4', 'mzv', 'raw']);

function stats(caseId: number): CaseStats {
  const cur = requireCase(caseId);
  if (cur.stats) return cur.stats;
  const pageSize = cur.info.compressor.pageSize;
  const bins = 64;
  const binWidth = Math.max(1, Math.ceil(pageSize / bins));
  const counts = new Array<number>(bins).fill(0);
  let liveSlots = 0;
  let decodedPages = 0;
  let corruptSlots = 0;
  for (const seg of cur.facadeCase.segments()) {
    for (const r of cur.facadeCase.slots(seg.index)) {
      liveSlots++;
      if (r.sha256) decodedPages++;
      if (r.kind === 'corrupt') corruptSlots++;
      if (STORED_KINDS.has(r.kind)) counts[Math.min(bins - 1, Math.floor(r.compressedSize / binWidth))]!++;
    }
  }
  cur.stats = { caseId, pageSize, sizeHistogram: { binWidth, counts }, liveSlots, decodedPages, corruptSlots };
  return cur.stats;
}

function segmentExists(cur: NonNullable<typeof current>, segment: number): void {
  if (!cur.facadeCase.segments().some((s) => s.index === segment)) {
    throw appError('NOT_FOUND', `segment ${segment} is not a segment of this case`, { segment });
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
  };
}

const toHex = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return '';
};

async function search(req: SearchRequest): Promise<SearchResult> {
  const cur = requireCase(req.caseId);
  // one search at a time: a new one replaces the old (the UI shows one result list)
  abortAll('search');
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'search' });
  const t0 = Date.now();
  const max = req.maxHits ?? SEARCH_LIMITS.defaultMaxHits;
  let batch: SearchHit[] = [];
  let count = 0;
  let limited = false;
  const kept: SearchHit[] = [];
  lastSearch = { requestId: req.requestId, caseId: req.caseId, hits: kept, finished: false };
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (batch.length === 0) return;
    emit({ type: 'hits', requestId: req.requestId, hits: batch });
    batch = [];
  };
  try {
    const r = await cur.facadeCase.search(
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
        onHit: (h) => {
          if (limited) return;
          count++;
          const hit: SearchHit = {
            segment: h.segment,
            slot: h.slot,
            offset: h.offset,
            length: h.length,
            match: toHex(h.match),
            pattern: String(h.pattern),
            kind: h.kind,
            state: h.state,
            before: toHex(h.before),
            after: toHex(h.after),
          };
          batch.push(hit);
          kept.push(hit);
          if (count >= max) {
            limited = true;
            controller.abort();
          }
          if (batch.length >= 500) flush();
          else if (!timer) timer = setTimeout(flush, data.hitBatchMs ?? 50);
        },
      },
    );
    flush();
    return {
      hits: count,
      pagesScanned: r.pagesScanned,
      cancelled: r.cancelled && !limited,
      limited,
      seconds: (Date.now() - t0) / 1000,
    };
  } catch (e) {
    flush();
    if (limited) return { hits: count, pagesScanned: 0, cancelled: false, limited, seconds: (Date.now() - t0) / 1000 };
    throw e;
  } finally {
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
  const t0 = Date.now();
  const max = req.maxStrings ?? STRINGS_LIMITS.defaultMaxStrings;
  const needle = (req.filter ?? '').toLowerCase();
  let batch: StringEntry[] = [];
  let kept = 0;
  let scanned = 0;
  let limited = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (batch.length === 0) return;
    emit({ type: 'strings', requestId: req.requestId, strings: batch });
    batch = [];
  };
  const result = (pagesScanned: number, cancelled: boolean): StringsResult => ({
    strings: kept,
    scanned,
    pagesScanned,
    cancelled,
    limited,
    seconds: (Date.now() - t0) / 1000,
  });
  try {
    const r = await cur.facadeCase.strings(req.min, {
      signal: controller.signal,
      onProgress: progressSink(req.requestId),
      onString: (s) => {
        if (limited) return;
        scanned++;
        if (s.encoding === 'ascii' ? !req.ascii : !req.utf16) return;
        if (needle && !s.text.toLowerCase().includes(needle)) return;
        kept++;
        batch.push({ segment: s.segment, slot: s.slot, offset: s.offset, encoding: s.encoding, text: s.text });
        if (kept >= max) {
          limited = true;
          controller.abort();
        }
        if (batch.length >= 1000) flush();
        else if (!timer) timer = setTimeout(flush, data.hitBatchMs ?? 50);
      },
    });
    flush();
    return result(r.pagesScanned, false);
  } catch (e) {
    flush();
    if (limited || (e as { code?: unknown }).code === 'CANCELLED') return result(0, !limited);
    throw e;
  } finally {
    running.delete(req.requestId);
  }
}

const csvField = (v: string | number): string => {
  // text that a spreadsheet would run as a formula is prefixed with an apostrophe (OWASP's advice for
  // CSV injection); numbers, negative ones included, are written as numbers
  const t = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

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
    const rows = [HIT_COLUMNS.join(',')];
    for (const h of hits) rows.push(HIT_COLUMNS.map((k) => csvField(h[k])).join(','));
    text = rows.join('\r\n') + '\r\n';
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

async function runExport(req: ExportRequest): Promise<ExportResult> {
  const cur = requireCase(req.caseId);
  for (const r of running.values()) {
    if (r.kind === 'export') throw appError('BUSY', 'an export is already running; wait for it or cancel it first');
  }
  const controller = new AbortController();
  running.set(req.requestId, { controller, kind: 'export' });
  const t0 = Date.now();
  try {
    const r = await cur.facadeCase.export(
      { out: req.out, layout: req.layout, overwrite: req.overwrite },
      { signal: controller.signal, onProgress: progressSink(req.requestId) },
    );
    return {
      out: r.out,
      manifestSha256: r.manifestSha256,
      exported: r.exported,
      skipped: { ...r.skipped },
      corrupt: r.corrupt,
      files: r.files.length,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    running.delete(req.requestId);
  }
}

async function perform(call: WorkerCall): Promise<unknown> {
  switch (call.op) {
    case 'open':
      return open(call.req, false);
    case 'openDemo':
      return open({ requestId: call.req.requestId, imagePath: '' }, true);
    case 'close': {
      abortAll('search');
      abortAll('strings');
      abortAll('export');
      lastSearch = null;
      const old = current;
      current = null;
      if (old) await old.facadeCase.close();
      return null;
    }
    case 'current':
      return current?.info ?? null;
    case 'info':
      return requireCase(call.caseId).info;
    case 'stats':
      return stats(call.caseId);
    case 'segments':
      return requireCase(call.caseId).facadeCase.segments();
    case 'slots': {
      const cur = requireCase(call.caseId);
      segmentExists(cur, call.segment);
      return cur.facadeCase.slots(call.segment);
    }
    case 'page':
      return page(call.caseId, call.segment, call.slot);
    case 'search':
      return search(call.req);
    case 'strings':
      return strings(call.req);
    case 'saveHits':
      return saveHits(call.save);
    case 'export':
      return runExport(call.req);
  }
}

/** the request id a call runs under (its events and errors carry it) */
function requestIdOf(call: WorkerCall): string | null {
  return 'req' in call ? call.req.requestId : null;
}

port.on('message', (m: ToWorker) => {
  if (m.kind === 'cancel') {
    const r = running.get(m.requestId);
    if (r) r.controller.abort();
    post({ kind: 'reply', id: m.id, ok: true, value: r !== undefined });
    return;
  }
  const requestId = requestIdOf(m.call);
  perform(m.call).then(
    (value) => {
      if (requestId) emit({ type: 'done', requestId });
      post({ kind: 'reply', id: m.id, ok: true, value });
    },
    (e: unknown) => {
      const error: ApiError = toApiError(e);
      if (requestId) emit({ type: 'error', requestId, error });
      post({ kind: 'reply', id: m.id, ok: false, error });
    },
  );
});
