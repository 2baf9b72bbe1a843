// The one interface between Unfold's UI and everything behind it. Types and constants only, no Node
// imports: the renderer (browser), the preload script and main all import this file.
//
// Every call answers with an ApiResult envelope rather than a thrown error, because errors thrown across
// Electron IPC and contextBridge arrive as bare strings; the envelope keeps the code and the details that
// the UI needs to explain a failure in words.
//
// Long operations (open, search, strings, export) take a caller-chosen request id. Their progress, hits and end
// arrive as UnfoldEvents carrying that id, so a UI can drop events of a request it has since replaced.
//
// Every method is declared once, in API below: its arguments and the value it answers. The method list,
// the UnfoldApi interface, the IPC channels and endpoints, and the case worker's protocol
// (main/protocol.ts) are all derived from it. docs/architecture.md says how to add a method.
//
// The data shapes are core's own (one type per concept); this file only re-exports them. It imports
// type modules only, which hold plain data and no Node imports, so the browser can compile it.
import type { SegmentSummary, SlotRecord } from './darwin/types';
import type { SlotStats } from './darwin/histogram';
import type { CaseInfo } from './case-info';
import type { SearchHit, SearchResult, StringHit, StringsResult } from './search/types';
import type { ExportRequest, ExportSummary } from './export/types';
import { DEFAULT_MIN_LENGTH } from './search/string-defaults';
import type { PageOwner as OwnerJson, PageWhere as PageSource, ProcessRow as ProcessSummary, RegionRow as RegionSummary } from './process-types';

export type { CompressorSummary, SegmentSummary, SlotKind, SlotRecord, SvEntry } from './darwin/types';
export type { SlotStats } from './darwin/histogram';
export type { CaseInfo, ImageInfo, KernelInfo, SwapFileInfo, SwapInfo } from './case-info';
export type { SearchHit, SearchResult, StringHit, StringsResult } from './search/types';
export { HIT_COLUMNS } from './search/types';
export type { ExportLayout, ExportRequest, ExportSummary } from './export/types';
export type { PageOwner as OwnerJson, PageWhere as PageSource, ProcessRow as ProcessSummary, RegionRow as RegionSummary, PageStateName, PageStateCounts } from './process-types';
export { PAGE_STATE_NAMES } from './process-types';

export const API_VERSION = 1;

/** request ids: chosen by the UI, unique per request; letters, digits, `.`, `_`, `-`, `:` */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

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
  | 'NOT_GRANTED'
  | 'WORKER_FAILED'
  | 'INTERNAL';

// ───────────────────────────── case data ─────────────────────────────

/** a case the app has open: core's CaseInfo and what the app adds */
export interface OpenCase extends CaseInfo {
  /** changes on every open; calls naming an older case are refused with STALE_CASE */
  caseId: number;
  demo: boolean;
  openSeconds: number;
  /** what was opened: adding swap files reopens the same image and symbols with them */
  opened: { imagePath: string; symbolsPath?: string; swapPaths: string[] };
  /**
   * Progress events of the background pass that decodes every page after the overview is
   * shown carry this request id; its end is a `done` (getInfo and getStats then answer for every page)
   */
  decodeRequestId?: string;
}

/** what every long-running call on an open case names: its request id and the case */
export interface CaseRequest {
  requestId: string;
  caseId: number;
}

/** aggregate figures the overview charts need, computed next to the data */
export interface CaseStats extends SlotStats {
  caseId: number;
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
  /** where the stored bytes' first byte is (kernel virtual, and physical when in the image) */
  storedAt?: { virtual: string; physical: string | null };
}

// ───────────────────────────── processes ─────────────────────────────

/** the pages of one region of a process, each with where it lives */
export interface RegionPages {
  caseId: number;
  pid: number;
  region: RegionSummary;
  /** index of the first page listed, and how many pages the region has */
  first: number;
  total: number;
  /** at most REGION_PAGES_MAX pages from `first` */
  pages: PageSource[];
}

/** pages of a region answered per call (a huge region is shown a slice at a time) */
export const REGION_PAGES_MAX = 4096;

/** bytes of a process's virtual range; pages not in the image are listed, never shown as data */
export interface VirtualView {
  caseId: number;
  pid: number;
  /** hex, the first byte */
  va: string;
  length: number;
  /** base64; bytes of missing pages are zero here and must be shown as absent */
  bytes: string;
  /** every page the range touches, in order */
  pages: PageSource[];
  /** why pages are zero-filled (one line each) */
  missing: string[];
}

/** owners of the live slots of one segment: slot number → owners (slots no process maps are left out) */
export type SegmentOwners = Record<number, OwnerJson[]>;

export interface ProcDumpRequest extends CaseRequest {
  pid: number;
  /** full path of a new folder (or an earlier Unfold dump, with overwrite) */
  out: string;
  overwrite: boolean;
}

export interface ProcDumpSummary {
  out: string;
  pid: number;
  name: string;
  files: number;
  bytes: number;
  manifestSha256: string;
  pages: Record<string, number>;
  zeroFilled: number;
  seconds: number;
}

/** the most a readVirtual call answers (the hex view asks page by page) */
export const VIRTUAL_READ_MAX = 1 << 20;

// ───────────────────────────── search ─────────────────────────────

export interface SearchRequest extends CaseRequest {
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


// ───────────────────────────── strings ─────────────────────────────


export interface StringsRequest extends CaseRequest {
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
  defaultMin: DEFAULT_MIN_LENGTH,
  filterLength: 256,
  maxStrings: 1_000_000,
  defaultMaxStrings: 200_000,
} as const;


// ───────────────────────────── opening ─────────────────────────────

export interface OpenRequest {
  requestId: string;
  imagePath: string;
  /** ISF file or folder of ISFs; omitted: the image's own or built-in symbols */
  symbolsPath?: string;
  /** swap files, or folders of them, copied from the same Mac */
  swapPaths?: string[];
}

export interface RecentCase {
  imagePath: string;
  symbolsPath?: string;
}

export interface Environment {
  apiVersion: number;
  mode: 'electron' | 'browser';
  /** native file dialogs exist (Electron); in browser mode the UI asks for paths as text */
  dialogs: boolean;
  appVersion: string;
  platform: string;
  recentSymbols: string | null;
  /** cases opened lately, newest first (image and the symbol table it was opened with) */
  recentCases: RecentCase[];
  /** the case the host already has open (a browser reload keeps it) */
  openCase: OpenCase | null;
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
  /** the sender's own estimate of the seconds left, when it has one (null: too early to tell) */
  etaSeconds?: number | null;
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

/** a string as the app lists it: with the processes that map its page (none when no process does) */
export interface OwnedString extends StringHit {
  owners: OwnerJson[];
}

export interface SaveStringsRequest {
  caseId: number;
  /** the request id of the strings pass whose list is saved (the case worker keeps the last pass's strings) */
  stringsId: string;
  /** the view's narrowing filter (case-insensitive substring, as the list shows it); '' saves the whole list */
  filter: string;
  /** full path of the file to write */
  out: string;
  format: HitsFormat;
  /** replace an existing file (otherwise an existing file is refused with EXISTS) */
  overwrite: boolean;
}

export interface SaveStringsResult {
  out: string;
  format: HitsFormat;
  strings: number;
  bytes: number;
  sha256: string;
}

export interface StringsEvent {
  type: 'strings';
  requestId: string;
  strings: OwnedString[];
}

export type UnfoldEvent = ProgressEvent | HitsEvent | StringsEvent | DoneEvent | ErrorEvent | CommandEvent;

export type ViewName = 'overview' | 'segments' | 'slots' | 'processes' | 'memory' | 'search' | 'strings' | 'single' | 'swapped' | 'export';

// ───────────────────────────── the methods ─────────────────────────────

/** a method's declaration: the argument list and the value of a successful answer (types only) */
interface Method<Args extends unknown[], Value> {
  args: Args;
  value: Value;
}
const method = <Args extends unknown[], Value>(): Method<Args, Value> => ({}) as Method<Args, Value>;

/** every method of the API, in one place */
export const API = {
  environment: method<[], Environment>(),
  openCase: method<[req: OpenRequest], OpenCase>(),
  openDemo: method<[req: { requestId: string }], OpenCase>(),
  closeCase: method<[], null>(),
  /** cancels a running open, search, strings pass or export; false when no such request runs */
  cancel: method<[requestId: string], boolean>(),
  getInfo: method<[caseId: number], OpenCase>(),
  getStats: method<[caseId: number], CaseStats>(),
  getSegments: method<[caseId: number], SegmentSummary[]>(),
  getSlots: method<[caseId: number, segment: number], SlotRecord[]>(),
  getPage: method<[caseId: number, segment: number, slot: number], PageView>(),
  /** hits arrive as HitsEvents while it runs */
  search: method<[req: SearchRequest], SearchResult>(),
  /** printable strings of every decoded page; they arrive as StringsEvents */
  strings: method<[req: StringsRequest], StringsResult>(),
  /** writes the hits of a finished search (by its request id) to a new file */
  saveHits: method<[req: SaveHitsRequest], SaveHitsResult>(),
  /** writes the strings of a finished strings pass (by its request id), narrowed by the view's filter, to a new file */
  saveStrings: method<[req: SaveStringsRequest], SaveStringsResult>(),
  export: method<[req: CaseRequest & ExportRequest], ExportSummary>(),
  /** every process of the case (NOT_FOUND naming why when the symbols lack the process types) */
  getProcesses: method<[caseId: number], ProcessSummary[]>(),
  /** the regions of one process */
  getMaps: method<[caseId: number, pid: number], RegionSummary[]>(),
  /** pages of one region (the region whose start is `start`, hex), at most REGION_PAGES_MAX from page `first` */
  getRegionPages: method<[caseId: number, pid: number, start: string, first: number], RegionPages>(),
  /** bytes of [va, va + length) of a process (va hex; length 1..VIRTUAL_READ_MAX) */
  readVirtual: method<[caseId: number, pid: number, va: string, length: number], VirtualView>(),
  /** the owners of every owned live slot of a segment */
  getSegmentOwners: method<[caseId: number, segment: number], SegmentOwners>(),
  /** owners of one single-value table entry */
  getSvOwners: method<[caseId: number, index: number], OwnerJson[]>(),
  /** dumps a process's regions to files (core procdump), with progress */
  procDump: method<[req: ProcDumpRequest], ProcDumpSummary>(),
  /** native dialogs: null when the person cancelled; NO_DIALOGS in browser mode */
  pickImage: method<[], string | null>(),
  pickSymbols: method<[kind: 'file' | 'folder'], string | null>(),
  pickExportFolder: method<[], string | null>(),
  /** a save dialog for a hit list; null when cancelled */
  pickHitsFile: method<[format: HitsFormat], string | null>(),
  getRecentSymbols: method<[], string | null>(),
  /** Electron: shows a file or folder in Finder / the file manager; NO_DIALOGS in browser mode */
  showInFolder: method<[path: string], null>(),
};

export type ApiMethod = keyof typeof API;
export const API_METHODS = Object.keys(API) as ApiMethod[];
/** a method's argument list, as sent over IPC and HTTP */
export type ApiArgs<M extends ApiMethod> = (typeof API)[M]['args'];
/** a method's value when it succeeds */
export type ApiValue<M extends ApiMethod> = (typeof API)[M]['value'];

export type UnfoldApi = { [M in ApiMethod]: (...args: ApiArgs<M>) => Promise<ApiResult<ApiValue<M>>> };

/** Electron: the IPC channel of a method (browser mode: POST /api/<method>) */
export const channelOf = (m: ApiMethod): string => `unfold:${m}`;
/** Electron: main → renderer, every UnfoldEvent */
export const EVENT_CHANNEL = 'unfold:event';

/** what preload exposes as window.unfold: the API, its event stream, and the path of a dropped file */
export interface UnfoldBridge extends UnfoldApi {
  onEvent(listener: (event: UnfoldEvent) => void): () => void;
  /** Electron only: the file system path of a File from a drop (contextIsolation hides File.path) */
  pathForFile?(file: File): string;
}

/** browser mode: the token travels in this header, or as ?token= */
export const TOKEN_HEADER = 'x-unfold-token';
