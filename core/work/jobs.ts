// The unit of parallel work: one segment's buffer and its live slots. The same function runs inside
// worker threads and inline (threads = 0), so both paths give identical results.
import type { SlotRecord } from '../darwin/types';
import type { VirtualSpace } from '../translate/types';
import { readSegmentBuffer, type Hole, type SegmentPlan } from '../darwin/compressor';
import { decodeSegmentSlots, decodeSlots, createScratch, type SlotMeta, type DecodeContext, type DecodeScratch } from '../darwin/slot-decode';
import type { SearchQuery } from '../search/query';
import { CompactBuilder, type CompactSlots } from './compact';
import { compileMatcher, matchValue, type Matcher, type ValueHit } from '../search/matcher';
import { makeHit } from '../search/hits';
import type { GaveUp, SearchHit, StringHit } from '../search/types';
import { extractStrings } from '../search/strings';
import { decodeSealedSlots, type SealedJob } from '../darwin/sealed';
import { decryptChunk } from '../darwin/swap-crypto';
import { readSwapChunk } from '../darwin/swapfiles';
import { pageEnd, pageStart } from './watch';

/** how a worker reopens the evidence and the kernel's address space for itself (read-only) */
export interface SpaceSpec {
  imagePath: string;
  arch: 'x86_64' | 'arm64';
  dtb: number;
  t1sz?: number;
}

/**
 * One segment's work. Either the coordinating thread read the buffer (`bytes`), or the worker reads it
 * itself from `read` — the scalable path: every thread translates and reads its own segments, so
 * the coordinator never becomes the bottleneck and no buffer crosses threads.
 */
export interface SegmentJob {
  ctx: DecodeContext;
  slots: SlotMeta[];
  bytes?: Uint8Array;
  /** pages of the buffer the image lacks (see core/translate/present.ts) */
  holes?: Hole[];
  read?: { spec: SpaceSpec; va: string; length: number };
  /** read into shared memory and hand the buffer back, so later passes need not read it again */
  keep?: boolean;
  /** a swapped-out or encrypted-in-place segment: read (from RAM or a swap file), decrypt, judge */
  sealed?: SealedJob;
  /** `slots` as posted to a worker (packJob): slot, offset, size, codec per slot */
  packedSlots?: Int32Array;
}

/**
 * The job as posted to a worker thread: its slot list packed into one typed array. Structured
 * cloning an object per slot cost the coordinating thread about 0.3 µs and the worker about 0.6 µs
 * per slot, a tenth of the walk's work per slot; a typed array crosses as one copy.
 */
export function packJob<J extends Job>(job: J): J {
  if (!('slots' in job) || job.slots === undefined || job.slots.length === 0) return job;
  const slots = job.slots;
  const p = new Int32Array(4 * slots.length);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    p[4 * i] = s.slot;
    p[4 * i + 1] = s.offset;
    p[4 * i + 2] = s.size;
    p[4 * i + 3] = s.codec;
  }
  return { ...job, slots: [], packedSlots: p };
}

/** undoes packJob (in the worker), in place */
export function unpackJob(job: Job): void {
  if (!('packedSlots' in job) || job.packedSlots === undefined) return;
  const p = job.packedSlots;
  const slots: SlotMeta[] = new Array(p.length >>> 2);
  for (let i = 0; i < slots.length; i++) slots[i] = { slot: p[4 * i]!, offset: p[4 * i + 1]!, size: p[4 * i + 2]!, codec: p[4 * i + 3] as 0 | 1 };
  job.slots = slots;
  delete job.packedSlots;
}

/** what a walk may also do with each page while it has it decoded (one-shot CLI search or strings) */
export interface AlsoScan {
  query?: SearchQuery;
  queryKey?: string;
  stringsMin?: number;
}

/**
 * Pages a search gives up on: indices (in the job's slot list) not to search again after their search
 * ran past the page budget, and from where on to search nothing more. They are reported as results.
 */
export interface ScanSkips {
  skipScan?: number[];
  skipScanFrom?: number;
  skipReason?: string;
  /** why pages from skipScanFrom on were not searched */
  skipFromReason?: string;
}

export type { GaveUp } from '../search/types';

export type Job =
  | (SegmentJob & { task: 'records'; hash?: boolean } & AlsoScan & ScanSkips)
  | (SegmentJob & { task: 'pages' })
  | (SegmentJob & { task: 'search'; queryKey: string; query: SearchQuery } & ScanSkips)
  | (SegmentJob & { task: 'strings'; min: number })
  | ({ task: 'values'; queryKey: string; query: SearchQuery; values: string[]; pageSize: number; read?: undefined } & ScanSkips);

/** several segments' jobs in one message to a worker, answered with their results in order */
export interface BatchJob {
  task: 'batch';
  jobs: Job[];
}

/** hits of the single-value table search: `at` is the value's place in the job's list */
export interface ValuesResult {
  hits: Array<ValueHit & { at: number }>;
  /** places of values the search gave up on */
  gaveUp: number[];
}

export interface RecordsResult {
  compact: CompactSlots;
  /** when the job asked to search or extract strings as well */
  hits?: SearchHit[];
  gaveUp?: GaveUp[];
  strings?: StringHit[];
  /** the segment buffer as read, in shared memory (when the job asked to keep it) */
  kept?: { bytes: Uint8Array; holes?: Hole[] };
}

/** every result also carries the problems met while reading the buffer (worker-side reads) */
export interface JobProblems {
  problems?: string[];
}
export interface PagesResult {
  records: SlotRecord[];
  /** decoded pages back to back; pageAt[i] = byte offset of record i's page, or -1 */
  pages: Uint8Array;
  pageAt: number[];
}
/** one segment searched */
export interface SearchJobResult {
  hits: SearchHit[];
  pagesScanned: number;
  gaveUp?: GaveUp[];
}
/** strings of one segment */
export interface StringsJobResult {
  strings: StringHit[];
  pagesScanned: number;
}

// compiled queries are cached per worker: a search sends the same query with every segment
const matchers = new Map<string, Matcher>();
function matcherFor(key: string, q: SearchQuery): Matcher {
  let m = matchers.get(key);
  if (!m) {
    if (matchers.size > 8) matchers.clear();
    m = compileMatcher(q);
    matchers.set(key, m);
  }
  return m;
}

// one reusable page buffer per page size per thread: decoding allocates nothing per slot
const scratches = new Map<number, DecodeScratch>();
function scratchFor(pageSize: number): DecodeScratch {
  let s = scratches.get(pageSize);
  if (!s) scratches.set(pageSize, (s = createScratch(pageSize)));
  return s;
}

function decode(job: SegmentJob, onPage: (rec: SlotRecord, page: Uint8Array | null) => void, hash = true): void {
  const ctx = hash ? job.ctx : { ...job.ctx, hash: false };
  if (job.sealed) {
    decodeSealed(job, ctx, onPage);
    return;
  }
  decodeSegmentSlots(job.bytes!, job.holes, job.slots, ctx, onPage, scratchFor(job.ctx.pageSize));
}

/** the problems a sealed job met (a refused segment, a short swap file): reported by the walk */
const sealedProblems = new WeakMap<SegmentJob, string>();

function decodeSealed(job: SegmentJob, ctx: DecodeContext, onPage: (rec: SlotRecord, page: Uint8Array | null) => void): void {
  const sj = job.sealed!;
  openSealed(job);
  let refusal: string | null;
  if (sj.failed !== undefined) {
    refusal = sj.failed;
    for (const s of job.slots) {
      onPage(
        { segment: ctx.segment, slot: s.slot, state: ctx.state, kind: sj.refusedKind, offset: s.offset, compressedSize: s.size, error: `segment ${ctx.segment} slot ${s.slot}: ${refusal}` },
        null,
      );
    }
  } else {
    refusal = decodeSealedSlots(job.bytes!, job.holes, job.slots, ctx, sj.origin, sj.refusedKind, onPage, scratchFor(ctx.pageSize));
  }
  if (refusal !== null) {
    const what = sj.origin.source === 'swap' ? 'swapped-out segment' : 'buffer encrypted in place';
    sealedProblems.set(job, `${what} ${sj.failed !== undefined ? 'not read' : 'not decoded'}: ${refusal}`);
  }
}

/**
 * Make job.bytes the plaintext of a sealed segment: read its chunk from the swap file (or take the
 * ciphertext loadJobBuffer read from RAM) and decrypt it in place. Idempotent.
 */
export function openSealed(job: SegmentJob): void {
  const sj = job.sealed;
  if (!sj || sj.plain || sj.failed !== undefined) return;
  if (sj.file) {
    const into = job.keep ? new Uint8Array(new SharedArrayBuffer(sj.length)) : new Uint8Array(sj.length);
    let why: string | null;
    try {
      why = readSwapChunk(sj.file.path, sj.file.offset, into);
    } catch (err) {
      why = `swap file ${sj.file.path} cannot be read: ${(err as Error).message}`;
    }
    if (why !== null) {
      sj.failed = why;
      job.keep = false;
      return;
    }
    job.bytes = into;
  }
  const bytes = job.bytes ?? new Uint8Array(0);
  // the kernel encrypts whole pages (holes in RAM are zeros: only the slots touching them are lost)
  const whole = bytes.length - (bytes.length % 16);
  decryptChunk(sj.cipher, BigInt(sj.segVa), bytes.subarray(0, whole));
  sj.plain = true;
}

// One segment buffer per thread for the passes that keep nothing of the bytes once the job is done
// (walk, search, strings, export): a fresh buffer per segment costs its zero-filling and the garbage
// collector's time, and segments are at most a few hundred KiB.
let threadBuffer = new Uint8Array(0);
/** this thread's reusable segment buffer, at least `length` bytes (valid until the next call) */
export function threadScratch(length: number): Uint8Array {
  if (threadBuffer.length < length) threadBuffer = new Uint8Array(Math.max(length, Math.min(2 * threadBuffer.length, 64 << 20)));
  return threadBuffer;
}

/**
 * Fills job.bytes from job.read through `space` (same rules as readSegmentBuffer: every present page
 * is read, absent ones become holes); returns the problem lines to report. `scratch`: 'thread' reads
 * into this thread's reusable buffer (threadScratch), for a job nothing of whose bytes outlives it;
 * or a caller's own reusable buffer. A job that keeps its buffer gets shared memory of its own.
 */
export function loadJobBuffer(job: SegmentJob, space: VirtualSpace, scratch?: Uint8Array | 'thread'): string[] {
  if (job.bytes || !job.read) return [];
  const len = job.read.length;
  const va = BigInt(job.read.va);
  // Into a reusable buffer the last page is read whole: a read shorter than a page goes through the
  // image's block cache, which loads 64 KiB around it (one such read per segment cost more than
  // the segment's other pages together). The page holds buffer bytes, so it is there to read.
  const ps = space.pageSize;
  const tail = Number((va + BigInt(len)) % BigInt(ps));
  const whole = job.keep || tail === 0 || len === 0 ? len : len + ps - tail;
  const buf = scratch === 'thread' ? threadScratch(whole) : scratch;
  const into = job.keep ? new Uint8Array(new SharedArrayBuffer(len)) : buf && buf.length >= whole ? buf.subarray(0, whole) : undefined;
  let readLength = into ? into.length : len;
  let plan = { bufferVa: va, readLength, slots: job.slots, summary: { problems: [] as string[] } } as unknown as SegmentPlan;
  let r = readSegmentBuffer(space, plan, into);
  if (readLength !== len && r.holes.some((h) => h.to > len)) {
    // the last page is not all there (an image cut inside it): read exactly the buffer, as before,
    // so that bytes present up to its end are not lost with the rest of the page
    readLength = len;
    plan = { bufferVa: va, readLength, slots: job.slots, summary: { problems: [] as string[] } } as unknown as SegmentPlan;
    r = readSegmentBuffer(space, plan, into!.subarray(0, len));
  }
  job.bytes = readLength === len ? r.bytes : r.bytes.subarray(0, len);
  if (r.holes.length > 0) job.holes = r.holes;
  return plan.summary.problems;
}

export function runJob(job: Job): { result: RecordsResult | PagesResult | SearchJobResult | StringsJobResult | ValuesResult; transfer: ArrayBuffer[] } {
  const out = runTask(job);
  const p = job.task === 'values' ? undefined : sealedProblems.get(job);
  if (p !== undefined) (out.result as JobProblems).problems = [...((out.result as JobProblems).problems ?? []), p];
  return out;
}

function runTask(job: Job): { result: RecordsResult | PagesResult | SearchJobResult | StringsJobResult | ValuesResult; transfer: ArrayBuffer[] } {
  switch (job.task) {
    case 'values': {
      // a single-value page is the value repeated: searched like any page, under the same budget
      const m = matcherFor(job.queryKey, job.query);
      const skip = new Set(job.skipScan ?? []);
      const from = job.skipScanFrom ?? Infinity;
      const hits: ValuesResult['hits'] = [];
      const gaveUp: number[] = [];
      job.values.forEach((v, at) => {
        if (skip.has(at) || at >= from) {
          gaveUp.push(at);
          return;
        }
        pageStart(at);
        try {
          for (const h of matchValue(v, m, job.pageSize)) hits.push({ ...h, at });
        } finally {
          pageEnd();
        }
      });
      return { result: { hits, gaveUp }, transfer: [] };
    }
    case 'records': {
      // A page's SHA-256 costs about as much as decoding it: only a job that asks (`hash`) takes it
      const hash = job.hash === true;
      const b = new CompactBuilder(job.ctx.segment, job.ctx.state, job.slots.length);
      const m = job.query ? matcherFor(job.queryKey ?? '', job.query) : null;
      const hits: SearchHit[] | undefined = m ? [] : undefined;
      const strings: StringHit[] | undefined = job.stringsMin !== undefined ? [] : undefined;
      const gaveUp: GaveUp[] = [];
      const scan = m ? watchedScan(job, m, hits!, gaveUp) : null;
      if (!scan && !strings && !job.sealed) {
        // the walk's hot path: slot outcomes go straight into the builder, no record per slot
        const slots = job.slots;
        decodeSlots(
          job.bytes!,
          job.holes,
          slots,
          job.ctx,
          (i, kind, page, error, value) => {
            const s = slots[i]!;
            b.addSlot(s.slot, kind, s.offset, s.size, page, error, value, hash);
          },
          scratchFor(job.ctx.pageSize),
        );
      } else {
        let i = 0;
        decode(
          job,
          (rec, page) => {
            const at = i++;
            b.add(rec, page, hash);
            if (!page) return;
            if (scan) scan(at, rec, page);
            if (strings) scanStrings(job.stringsMin!, rec, page, strings);
          },
          false,
        );
      }
      const kept = job.keep && job.bytes ? { bytes: job.bytes, ...(job.holes ? { holes: job.holes } : {}) } : undefined;
      return {
        result: { compact: b.finish(), ...(kept ? { kept } : {}), ...(hits ? { hits } : {}), ...(gaveUp.length ? { gaveUp } : {}), ...(strings ? { strings } : {}) },
        transfer: [b.buffer],
      };
    }
    case 'pages': {
      const records: SlotRecord[] = [];
      const pageAt: number[] = [];
      const out = new Uint8Array(job.slots.length * job.ctx.pageSize);
      let used = 0;
      decode(job, (rec, page) => {
        records.push(rec);
        if (page) {
          out.set(page, used);
          pageAt.push(used);
          used += job.ctx.pageSize;
        } else pageAt.push(-1);
      });
      const pages = out.subarray(0, used);
      return { result: { records, pages, pageAt }, transfer: [out.buffer as ArrayBuffer] };
    }
    case 'search': {
      const m = matcherFor(job.queryKey, job.query);
      const hits: SearchHit[] = [];
      let pagesScanned = 0;
      const gaveUp: GaveUp[] = [];
      const scan = watchedScan(job, m, hits, gaveUp);
      let i = 0;
      decode(job, (rec, page) => {
        const at = i++;
        if (!page) return;
        pagesScanned++;
        scan(at, rec, page);
      }, false);
      return { result: { hits, pagesScanned, ...(gaveUp.length ? { gaveUp } : {}) }, transfer: [] };
    }
    case 'strings': {
      const strings: StringHit[] = [];
      let pagesScanned = 0;
      decode(job, (rec, page) => {
        if (!page) return;
        pagesScanned++;
        scanStrings(job.min, rec, page, strings);
      }, false);
      return { result: { strings, pagesScanned }, transfer: [] };
    }
  }
}

/**
 * Searches one page with the heartbeat set (so the pool can stop a page that runs past its budget),
 * or, for a page the search already gave up on, records that instead.
 */
function watchedScan(job: SegmentJob & ScanSkips & { query?: SearchQuery }, m: Matcher, hits: SearchHit[], gaveUp: GaveUp[]) {
  const skip = new Set(job.skipScan ?? []);
  const from = job.skipScanFrom ?? Infinity;
  const reason = job.skipReason ?? 'search stopped on this page';
  const fromReason = job.skipFromReason ?? reason;
  const context = job.query?.context ?? 16;
  return (at: number, rec: SlotRecord, page: Uint8Array): void => {
    if (skip.has(at) || at >= from) {
      gaveUp.push({ segment: rec.segment, slot: rec.slot, reason: skip.has(at) ? reason : fromReason });
      return;
    }
    pageStart(at);
    try {
      scanHits(m, rec, page, context, hits);
    } finally {
      pageEnd();
    }
  };
}

function scanHits(m: Matcher, rec: SlotRecord, page: Uint8Array, context: number, out: SearchHit[]): void {
  m.scanPage(page, (offset, length, pattern) => out.push(makeHit(rec, page, offset, length, pattern, context)));
}

function scanStrings(min: number, rec: SlotRecord, page: Uint8Array, out: StringHit[]): void {
  extractStrings(page, { min }, (offset, text, encoding) => out.push({ segment: rec.segment, slot: rec.slot, offset, encoding, text }));
}
