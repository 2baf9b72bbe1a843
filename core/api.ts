// The one interface between Unfold's UI and everything behind it. Types and constants only, no Node
// imports: the renderer (browser), the preload script and main all import this file.
//
// Every call answers with an ApiResult envelope rather than a thrown error, because errors thrown across
// Electron IPC and contextBridge arrive as bare strings; the envelope keeps the code and the details that
// the UI needs to explain a failure in words.
//
// Long operations (open, search, strings, export) take a caller-chosen request id. Their progress, hits and end
// arrive as UnfoldEvents carrying that id, so a UI can drop events of a request it has since replaced.
import type { CompressorSummary, SegmentSummary, SlotKind, SlotRecord } from './darwin/types';
import type { SearchHit } from './search/hits';

export type { CompressorSummary, SegmentSummary, SlotKind, SlotRecord, SvEntry } from './darwin/types';
/** one search hit, exactly as core reports it */
export type { SearchHit };

export const API_VERSION = 1;

/** request ids: chosen by the UI, unique per request; letters, digits, `.`, `_`, `-`, `:` */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** IPC channel names (Electron) and endpoint names (browser mode: POST /api/<method>) */
export const CHANNELS = {
  environment: 'unfold:environment',
  openCase: 'unfold:open-case',
  openDemo: 'unfold:open-demo',
  closeCase: 'unfold:close-case',
  cancel: 'unfold:cancel',
  getInfo: 'unfold:get-info',
  getStats: 'unfold:get-stats',
  getSegments: 'unfold:get-segments',
  getSlots: 'unfold:get-slots',
  getPage: 'unfold:get-page',
  search: 'unfold:search',
  strings: 'unfold:strings',
  saveHits: 'unfold:save-hits',
  export: 'unfold:export',
  pickImage: 'unfold:pick-image',
  pickSymbols: 'unfold:pick-symbols',
  pickExportFolder: 'unfold:pick-export-folder',
  pickHitsFile: 'unfold:pick-hits-file',
  getRecentSymbols: 'unfold:get-recent-symbols',
  /** main → renderer: every UnfoldEvent */
  event: 'unfold:event',
} as const;

/** the request/response methods (keys of CHANNELS that are called, not listened to) */
export type ApiMethod = Exclude<keyof typeof CHANNELS, 'event'>;
export const API_METHODS = Object.keys(CHANNELS).filter((k) => k !== 'event') as ApiMethod[];

// ───────────────────────────── results and errors ─────────────────────────────

export interface ApiError {
  /** stable code: an UnfoldError code from core/errors.ts, or one of the app's (BAD_ARGUMENT, NO_CASE, …) */
  code: string;
  /** the technical message (what failed, where) */
  message: string;
  /** facts behind the message: addresses, offsets, sizes, file names */
  details?: Record<string, unknown>;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** codes the app itself produces (core's are in core/errors.ts) */
export type AppErrorCode =
  | 'BAD_ARGUMENT'
  | 'NO_CASE'
  | 'STALE_CASE'
  | 'NOT_FOUND'
  | 'BUSY'
  | 'NO_DIALOGS'
  | 'WORKER_FAILED'
  | 'INTERNAL';

// ───────────────────────────── case data ─────────────────────────────

export interface ImageInfo {
  path: string;
  format: string;
  ranges: { start: number; length: number }[];
  notes: string[];
  size: number;
}

export interface KernelInfo {
  banner: string;
  arch: string;
  /** where the symbol table came from (file, folder match, built-in) */
  symbols: string;
  kaslrSlide: string;
  dtb: string;
  darwin: { major: number; minor: number; patch: number };
  macos: string;
  xnu: string;
}

export interface CaseInfo {
  /** changes on every open; calls naming an older case are refused with STALE_CASE */
  caseId: number;
  demo: boolean;
  openSeconds: number;
  image: ImageInfo;
  kernel: KernelInfo;
  compressor: CompressorSummary;
  /** what was opened: adding swap files reopens the same image and symbols with them */
  opened: { imagePath: string; symbolsPath?: string; swapPaths: string[] };
  swap: SwapInfo;
}

export interface SwapInfo {
  /** the swap cipher found in the image (no key material), or null when nothing needed it */
  cipher: string | null;
  files: Array<{ path: string; index: number; kernelPath: string; size: number; sha256: string | null; segments: number }>;
  /** missing, short, foreign or unrelated files; segments refused */
  problems: string[];
}

/** aggregate figures the overview charts need, computed next to the data */
export interface CaseStats {
  caseId: number;
  pageSize: number;
  /** compressed sizes of live slots that hold a stored stream (wkdm, lz4, mzv, raw) */
  sizeHistogram: { binWidth: number; counts: number[] };
  liveSlots: number;
  decodedPages: number;
  corruptSlots: number;
}

export interface PageView {
  caseId: number;
  segment: number;
  slot: number;
  record: SlotRecord;
  pageSize: number;
  /** decompressed page, base64; null when the slot could not be decoded */
  page: string | null;
  /** the slot's stored bytes, base64; null when not in the image (swapped, single value, unreadable) */
  compressed: string | null;
}

// ───────────────────────────── search ─────────────────────────────

export interface SearchRequest {
  requestId: string;
  caseId: number;
  /** literal strings */
  strings: string[];
  /** regular expressions (JavaScript syntax) */
  regexes: string[];
  /** hex byte patterns, `??` a wildcard byte: "4d 5a ?? 00" */
  hex: string[];
  /** YARA rule sources */
  yara: string[];
  /** search strings as UTF-16LE */
  utf16: boolean;
  /** with utf16: also as ASCII/UTF-8 */
  ascii: boolean;
  ignoreCase: boolean;
  /** stop after this many hits (the UI's list stays responsive); default 100000 */
  maxHits?: number;
}

export const SEARCH_LIMITS = {
  patternsPerKind: 256,
  patternLength: 4096,
  yaraLength: 1 << 20,
  maxHits: 1_000_000,
  defaultMaxHits: 100_000,
} as const;

export interface SearchResult {
  hits: number;
  pagesScanned: number;
  cancelled: boolean;
  /** the hit limit was reached and the search stopped there */
  limited: boolean;
  seconds: number;
}

/** a saved hit list: one row per hit, as the search reported it */
export type HitsFormat = 'csv' | 'json';

export interface SaveHitsRequest {
  caseId: number;
  /** the request id of the search whose hits are saved (the case worker keeps the last search's hits) */
  searchId: string;
  /** full path of the file to write */
  out: string;
  format: HitsFormat;
  /** replace an existing file (otherwise an existing file is refused with EXISTS) */
  overwrite: boolean;
}

export interface SaveHitsResult {
  out: string;
  format: HitsFormat;
  hits: number;
  bytes: number;
  sha256: string;
}

/** the columns of a saved hit list, in order (CSV header, JSON keys) */
export const HIT_COLUMNS = ['segment', 'slot', 'offset', 'length', 'kind', 'state', 'pattern', 'match', 'before', 'after'] as const;

// ───────────────────────────── strings ─────────────────────────────

/** one printable run in a decompressed page, exactly as core reports it */
export interface StringEntry {
  segment: number;
  slot: number;
  /** byte offset within the decompressed page */
  offset: number;
  encoding: 'ascii' | 'utf16le';
  text: string;
}

export interface StringsRequest {
  requestId: string;
  caseId: number;
  /** shortest run reported, in characters */
  min: number;
  ascii: boolean;
  utf16: boolean;
  /** keep only strings containing this text (case-insensitive); empty or absent: all */
  filter?: string;
  /** stop after keeping this many strings; default STRINGS_LIMITS.defaultMaxStrings */
  maxStrings?: number;
}

export const STRINGS_LIMITS = {
  minLength: 1,
  maxLength: 4096,
  defaultMin: 6,
  filterLength: 256,
  maxStrings: 1_000_000,
  defaultMaxStrings: 200_000,
} as const;

export interface StringsResult {
  /** strings kept (matching encoding and filter) */
  strings: number;
  /** strings extracted before filtering */
  scanned: number;
  pagesScanned: number;
  cancelled: boolean;
  /** the limit was reached and extraction stopped there */
  limited: boolean;
  seconds: number;
}

// ───────────────────────────── export ─────────────────────────────

export type ExportLayout = 'slots' | 'concat';

export interface ExportRequest {
  requestId: string;
  caseId: number;
  out: string;
  layout: ExportLayout;
  overwrite: boolean;
}

export interface ExportResult {
  out: string;
  manifestSha256: string;
  exported: number;
  /** slots not exported, by reason (swapped, encrypted?, corrupt, unreadable) */
  skipped: Record<string, number>;
  corrupt: number;
  /** files written besides manifest.json */
  files: number;
  seconds: number;
}

// ───────────────────────────── opening ─────────────────────────────

export interface OpenRequest {
  requestId: string;
  imagePath: string;
  /** ISF file or folder of ISFs; omitted: the image's own or built-in symbols */
  symbolsPath?: string;
  /** swap files, or folders of them, copied from the same Mac */
  swapPaths?: string[];
}

export interface Environment {
  apiVersion: number;
  mode: 'electron' | 'browser';
  /** native file dialogs exist (Electron); in browser mode the UI asks for paths as text */
  dialogs: boolean;
  appVersion: string;
  platform: string;
  recentSymbols: string | null;
  /** the case the host already has open (a browser reload keeps it) */
  openCase: CaseInfo | null;
  /** what to open on start (`npm start [image]`); given to the first page that asks, then null */
  startup: { imagePath: string; symbolsPath?: string } | 'demo' | null;
}

// ───────────────────────────── events ─────────────────────────────

export interface ProgressEvent {
  type: 'progress';
  requestId: string;
  phase: string;
  done: number;
  total: number;
  message?: string;
  /** milliseconds since the request started (for the ETA) */
  elapsedMs: number;
}

export interface HitsEvent {
  type: 'hits';
  requestId: string;
  hits: SearchHit[];
}

export interface DoneEvent {
  type: 'done';
  requestId: string;
}

export interface ErrorEvent {
  type: 'error';
  requestId: string;
  error: ApiError;
}

/** the desktop shell asks the UI to do something (menu item, dropped file) */
export interface CommandEvent {
  type: 'command';
  command: 'open-image' | 'open-symbols' | 'open-demo' | 'export' | 'view';
  /** a path the shell already picked (dialog, drag and drop) */
  path?: string;
  view?: ViewName;
}

export interface StringsEvent {
  type: 'strings';
  requestId: string;
  strings: StringEntry[];
}

export type UnfoldEvent = ProgressEvent | HitsEvent | StringsEvent | DoneEvent | ErrorEvent | CommandEvent;

export type ViewName = 'overview' | 'segments' | 'slots' | 'search' | 'strings' | 'single' | 'swapped' | 'export';

// ───────────────────────────── the interface ─────────────────────────────

export interface UnfoldApi {
  environment(): Promise<ApiResult<Environment>>;
  openCase(req: OpenRequest): Promise<ApiResult<CaseInfo>>;
  openDemo(req: { requestId: string }): Promise<ApiResult<CaseInfo>>;
  closeCase(): Promise<ApiResult<null>>;
  /** cancels a running open, search or export; false when no such request runs */
  cancel(requestId: string): Promise<ApiResult<boolean>>;
  getInfo(caseId: number): Promise<ApiResult<CaseInfo>>;
  getStats(caseId: number): Promise<ApiResult<CaseStats>>;
  getSegments(caseId: number): Promise<ApiResult<SegmentSummary[]>>;
  getSlots(caseId: number, segment: number): Promise<ApiResult<SlotRecord[]>>;
  getPage(caseId: number, segment: number, slot: number): Promise<ApiResult<PageView>>;
  search(req: SearchRequest): Promise<ApiResult<SearchResult>>;
  /** printable strings of every decoded page; they arrive as StringsEvents */
  strings(req: StringsRequest): Promise<ApiResult<StringsResult>>;
  /** writes the hits of a finished search (by its request id) to a new file */
  saveHits(req: SaveHitsRequest): Promise<ApiResult<SaveHitsResult>>;
  export(req: ExportRequest): Promise<ApiResult<ExportResult>>;
  /** native dialogs: null when the person cancelled; NO_DIALOGS in browser mode */
  pickImage(): Promise<ApiResult<string | null>>;
  pickSymbols(kind: 'file' | 'folder'): Promise<ApiResult<string | null>>;
  pickExportFolder(): Promise<ApiResult<string | null>>;
  /** a save dialog for a hit list; null when cancelled */
  pickHitsFile(format: HitsFormat): Promise<ApiResult<string | null>>;
  getRecentSymbols(): Promise<ApiResult<string | null>>;
}

/** what preload exposes as window.unfold: the API, its event stream, and the path of a dropped file */
export interface UnfoldBridge extends UnfoldApi {
  onEvent(listener: (event: UnfoldEvent) => void): () => void;
  /** Electron only: the file system path of a File from a drop (contextIsolation hides File.path) */
  pathForFile?(file: File): string;
}

/** argument lists per method, as sent over IPC and HTTP */
export type ApiArgs = { [M in ApiMethod]: Parameters<UnfoldApi[M]> };
export type ApiValue<M extends ApiMethod> = Awaited<ReturnType<UnfoldApi[M]>> extends ApiResult<infer T> ? T : never;

/** browser mode: the token travels in this header, or as ?token= */
export const TOKEN_HEADER = 'x-unfold-token';
