// The façade: everything the CLI, the Electron IPC handlers and the browser-mode server need, and
// nothing below it is called by them. A Case is one image opened read-only, its kernel found, its
// compressor walked and every live slot decoded and hashed once at open time.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { totalmem } from 'node:os';
import { openImage } from './image/detect';
import type { PhysicalImage, PhysRange } from './image/types';
import { discoverKernel, type KernelDiscovery } from './darwin/discover';
import { planCompressor, summarize, decodeContext, type CompressorPlan, type Hole, type SegmentPlan } from './darwin/compressor';
import { planOneSegment } from './darwin/compressor-plan';
import { holeIn } from './translate/present';
import { decodeSegmentSlots, type SlotMeta } from './darwin/slot-decode';
import type { CompressorSummary, SegmentSummary, SlotRecord, SvEntry } from './darwin/types';
import { WorkerPool, defaultThreads, newRunGroup, PageTimeoutError } from './work/pool';
import { compactIndex, compactKindCounts, expandCompact, mergeHashes, noteHash, unhashedPages, type CompactSlots } from './work/compact';
import { readSwapKeys, describeCipher } from './darwin/swap-crypto';
import { planSwap, type SwapSetup } from './darwin/swap-plan';
import { decodeSealedSlots, REFUSED_MISMATCH } from './darwin/sealed';
import { sha256File } from './darwin/swapfiles';
import type { SwapFileInfo } from './case-info';
import { runJob, loadJobBuffer, openSealed, packJob, type BatchJob, type GaveUp, type Job, type ValuesResult, type SpaceSpec, type SegmentJob, type JobProblems, type PagesResult, type RecordsResult, type SearchJobResult, type StringsJobResult } from './work/jobs';
import type { SearchQuery } from './search/query';
import { validateQuery, queryKey } from './search/query';
import { matchValue } from './search/matcher';
import { yaraEngineInfo } from './search/yara';
import type { SearchHit, SearchResult, StringHit, StringsResult } from './search/types';
import { exportPages, normalizeSelection, type ExportSelection } from './export/export';
import type { ExportRequest, ExportResult } from './export/types';
import type { CaseInfo } from './case-info';

export type { CaseInfo, ImageInfo, KernelInfo } from './case-info';
import { CancelledError, OptionError, UnfoldError } from './errors';
import { isUnreadableSlotError, withReadChecks } from './darwin/read-checks';
import { censusCompressor, type CaseCensus } from './darwin/census';
import { VERSION } from './version';
import { absentPageProblems, addKinds, bufferHoles, kindsFromFirstWords } from './darwin/metadata-summary';
import { Eta } from './work/eta';
import { ProcessView, regionSummary, type OwnerJson, type PageSource, type ProcessSummary, type ReadVirtualResult, type RegionSummary } from './process-view';
import type { ProcDumpResult } from './export/procdump';

export interface Progress {
  phase: 'open' | 'discover' | 'plan' | 'kinds' | 'decode' | 'search' | 'strings' | 'export' | 'hash';
  done: number;
  total: number;
  message?: string;
}

export interface OpenOptions {
  /** ISF file or folder of ISFs */
  symbols?: string;
  /** swap files, or folders of them, copied from the Mac (matched to the kernel's list by name) */
  swap?: string[];
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** decode threads; 0 decodes on the calling thread; default all cores */
  threads?: number;
  /**
   * Bytes of compressed segment buffers the walk keeps in memory, so later searches, strings,
   * exports and page views decode from RAM instead of reading the evidence again. Keeping costs
   * the walk fresh memory (about as much time as one later read pass saves), so it pays only for a
   * case that is searched more than once: the app asks for it (see `keepBudget()`), the one-shot
   * CLI does not. Default 0.
   */
  bufferCacheBytes?: number;
  /** walk the processes and attribute every page (default true; false skips it: no owners, no maps) */
  processes?: boolean;
  /**
   * When pages are decoded. 'open' (the default): every page before `open` resolves.
   * 'background': `open` resolves as soon as the metadata summary is ready (segments, states, live
   * slots, kinds from each slot's size, codec bit and first word, sizes, single-value table,
   * consistency) and the pages are then decoded in the background (`decodeStatus()`, `decoded()`);
   * 'never': nothing is decoded unless asked for (one page, one segment's slots). Whatever the
   * mode, a page or a segment's slots asked for before the background pass reached it is decoded
   * at once.
   */
  decode?: 'open' | 'background' | 'never';
  /**
   * Whether the walk also takes every decoded page's SHA-256 (default false). A hash costs about as
   * much as decoding the page, and only some uses show one: a caller that will show or write every
   * page's hash (`unfold slots`) asks for it here, so pages are decoded and hashed in one pass.
   * Otherwise hashes are taken where they are needed (`slots(segment, { hashes: true })`, `page()`,
   * exports) and kept once taken.
   */
  hashPages?: boolean;
  /**
   * Open for one segment only (a command that reads one segment's pages, as `unfold page`): the
   * globals and the c_segments table are read, then only this entry, its c_segment, its slot arrays
   * and (by translation) its buffer pages; nothing is decoded until asked for (decode 'never',
   * kinds false) and processes are not walked. The other segments are only counted (censusCompressor:
   * slot arrays, buffer pages by translation, no object per slot), so `info` still carries the whole
   * case's problems and consistency table (without the process walk's check), while its counts and
   * `segments()` describe this segment alone ([] when the table has no such live segment);
   * `segmentCount()` counts the table's live segments.
   */
  segment?: number;
  /**
   * With decode 'background' or 'never': read each slot's first word to tell its kind (default
   * true). false only checks, by translation, which buffer pages the image holds: enough for
   * the problems and the consistency table, and nearly free.
   */
  kinds?: boolean;
  /** progress of the background pass (decode 'background'), with an estimate of the time left */
  onDecodeProgress?: (p: DecodeStatus) => void;
  /**
   * How long the search of one page may run on a worker thread before the thread is stopped and the
   * page reported as given up (default 2000 ms, or UNFOLD_PAGE_BUDGET_MS). No budget applies with
   * threads = 0: nothing can interrupt the calling thread.
   */
  pageBudgetMs?: number;
  /**
   * One-shot use (the CLI): search, or extract strings from, every page during the walk itself
   * instead of decoding everything a second time afterwards. Results stream in segment order.
   */
  during?: {
    search?: { query: SearchQuery; onHit: (h: SearchHit) => void };
    strings?: { min: number; onString: (s: StringHit) => void };
  };
}


/** which strings a strings pass keeps */
export interface StringsFilter {
  /** keep ASCII runs (default true) */
  ascii?: boolean;
  /** keep UTF-16LE runs (default true) */
  utf16?: boolean;
  /** keep only strings containing this text, case-insensitive */
  filter?: string;
  /** stop after keeping this many */
  maxStrings?: number;
}

/** where the background pass (OpenOptions.decode 'background') stands */
export interface DecodeStatus {
  state: 'running' | 'done' | 'failed' | 'cancelled' | 'none';
  /** live slots decoded so far, of those to decode */
  pagesDone: number;
  pagesTotal: number;
  /** buffer bytes of the segments done, of all */
  bytesDone: number;
  bytesTotal: number;
  elapsedMs: number;
  /** seconds left, null while too early to tell */
  etaSeconds: number | null;
  error?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** how long one page's search may run on a worker thread before it is stopped and reported */
export const PAGE_BUDGET_MS = Number(process.env.UNFOLD_PAGE_BUDGET_MS) > 0 ? Number(process.env.UNFOLD_PAGE_BUDGET_MS) : 2000;
/** pages of one segment given up one by one before the rest of the segment is given up at once */
const MAX_PAGE_TIMEOUTS = 3;

const hex = (v: bigint | number) => '0x' + v.toString(16);

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

export class Case {
  private pool: WorkerPool | null = null;
  /** decoded outcomes per segment, compact; undecoded (swapped, encrypted?, corrupt metadata) as records */
  private compact = new Map<number, CompactSlots>();
  private undecoded = new Map<number, SlotRecord[]>();
  private materialized: { segment: number; records: SlotRecord[] } | null = null;
  /** compressed segment buffers kept from the walk (shared memory when workers read them) */
  private kept = new Map<number, { bytes: Uint8Array; holes?: Hole[] }>();
  private keepBudget = 0;
  /** how long one page's search may run on a worker (OpenOptions.pageBudgetMs) */
  private pageBudget = PAGE_BUDGET_MS;
  private planBySegment = new Map<number, SegmentPlan>();
  private segmentList: SegmentSummary[] = [];
  private imageHash: string | null = null;
  private swap: SwapSetup = { keys: null, files: [], problems: [], bySegment: new Map(), undecoded: new Map() };
  private swapProblemList: string[] = [];
  private swapHashes: Promise<SwapFileInfo[]> | null = null;
  /** SHA-256 of each swap file once taken, by path (info is rebuilt after the background pass) */
  private readonly swapSha = new Map<string, string>();
  /** pages the walk's own search (OpenOptions.during.search) gave up on */
  private walkGaveUp: GaveUp[] = [];
  /** segments whose buffer problems the metadata summary already reported */
  private probed = new Set<number>();
  /** OpenOptions.decode as the case was opened */
  private opened: NonNullable<OpenOptions['decode']> = 'open';
  /** for a case opened for one segment: the whole case's problems and checks (censusCompressor) */
  private census: CaseCensus | null = null;
  private bg: { status: DecodeStatus; done: Promise<void>; abort: AbortController } | null = null;
  /**
   * Passes the examiner is waiting for (search, strings, export) running now. While there is one,
   * the background pass sends no new segment to the threads: on a machine with few cores the two
   * would otherwise share them, and the one the examiner asked for would take twice as long.
   */
  private foreground = 0;
  private foregroundIdle: { done: Promise<void>; release: () => void } | null = null;
  info!: CaseInfo;
  /** the process walk (owners, maps, virtual reads), or why there is none */
  private procView: ProcessView | null = null;
  private procUnavailable: string | null = null;

  private constructor(
    readonly image: PhysicalImage,
    readonly kernel: KernelDiscovery,
    readonly plan: CompressorPlan,
    private readonly threads: number,
    pool: WorkerPool | null = null,
  ) {
    this.pool = pool;
    for (const s of plan.segments) this.planBySegment.set(s.summary.index, s);
  }

  static async open(imagePath: string, opts: OpenOptions = {}): Promise<Case> {
    const progress = opts.onProgress ?? (() => {});
    progress({ phase: 'open', done: 0, total: 1, message: `opening ${imagePath}` });
    const image = await openImage(imagePath);
    // threads start loading while the kernel is found, so they are ready when decoding begins
    const threads = opts.threads ?? defaultThreads();
    // (a case opened without decoding, or decoding in the background, starts its threads only when
    // something needs them: loading them while the summary is made would take the cores it needs)
    if (opts.segment !== undefined) opts = { ...opts, decode: 'never', kinds: false, processes: false };
    const pool = threads > 0 && (opts.decode ?? 'open') === 'open' ? new WorkerPool(threads) : null;
    try {
      throwIfAborted(opts.signal);
      progress({ phase: 'discover', done: 0, total: 1, message: 'finding the kernel' });
      const kernel = await discoverKernel(image, opts.symbols, {
        signal: opts.signal,
        onProgress: (p: { done: number; total: number; message?: string }) => progress({ done: p.done, total: p.total, message: p.message, phase: 'discover' }),
      });
      throwIfAborted(opts.signal);
      progress({ phase: 'plan', done: 0, total: 1, message: 'reading the compressor' });
      const one = opts.segment !== undefined ? planOneSegment(kernel.space, kernel.symbolTable, kernel.version, opts.segment, { slide: kernel.slide }) : null;
      const plan = one ? one.plan : planCompressor(kernel.space, kernel.symbolTable, kernel.version, { slide: kernel.slide });
      const c = new Case(image, kernel, plan, threads, pool);
      c.keepBudget = opts.bufferCacheBytes ?? 0;
      c.opened = opts.decode ?? 'open';
      c.pageBudget = opts.pageBudgetMs !== undefined && opts.pageBudgetMs > 0 ? opts.pageBudgetMs : PAGE_BUDGET_MS;
      const keys = plan.segments.some((s) => s.sealedSlots)
        ? readSwapKeys(kernel.space, kernel.symbolTable, kernel.slide, kernel.version.major)
        : null;
      c.swap = planSwap(plan, keys, opts.swap);
      plan.problems.push(...c.swap.problems);
      if (one) {
        c.census = censusCompressor(one.table, image, (sealed) =>
          planSwap(sealed, keys ?? (sealed.segments.length > 0 ? readSwapKeys(kernel.space, kernel.symbolTable, kernel.slide, kernel.version.major) : null), opts.swap),
        );
      }
      const mode = opts.decode ?? 'open';
      if (mode !== 'open') {
        // the process walk reads metadata only: its list is part of what the overview shows first
        if (opts.processes !== false) c.walkProcesses();
        await c.summarizeMetadata(opts);
        c.addProcessInfo();
        if (mode === 'background') c.startBackground(opts);
      } else {
        // The process walk reads metadata only (no page contents) and runs on this thread while the
        // worker threads decode: their results are taken only once it is done, so the walk's own search
        // hits already carry their owners. Without workers the walk would decode right here, so the
        // process walk goes first.
        if (opts.processes === false) {
          await c.walk(opts);
        } else if (c.workers() !== null) {
          const walking = c.walk(opts);
          c.walkProcesses();
          await walking;
        } else {
          c.walkProcesses();
          await c.walk(opts);
        }
        c.addProcessInfo();
      }
      return c;
    } catch (e) {
      await pool?.close();
      image.close();
      throw e;
    }
  }

  private workers(): WorkerPool | null {
    if (this.threads <= 0) return null;
    if (!this.pool) this.pool = new WorkerPool(this.threads);
    return this.pool;
  }

  /** segments that have slots to decode (resident, or sealed with a way to read them), in segment order */
  private decodable(): SegmentPlan[] {
    return this.plan.segments.filter((s) => this.swap.bySegment.has(s.summary.index) || (s.bufferVa !== null && s.slots.length > 0));
  }

  /**
   * The job of one segment before any bytes are read: from a kept buffer, or to be read (from RAM,
   * or for a sealed segment from its swap file) by whichever thread runs it.
   */
  private baseJob(seg: SegmentPlan, keep: boolean): SegmentJob {
    const idx = seg.summary.index;
    const sp = this.swap.bySegment.get(idx);
    const ctx = decodeContext(this.plan, seg);
    const slots = sp ? sp.slots : seg.slots;
    const k = this.kept.get(idx);
    // a fresh copy of the sealed part per job: loading marks it (plain, failed)
    const sealed = sp ? { sealed: { ...sp.job, ...(k ? { plain: true } : {}) } } : {};
    if (k) return { ctx, slots, bytes: k.bytes, ...(k.holes ? { holes: k.holes } : {}), ...sealed };
    if (sp?.job.file) return { ctx, slots, keep, ...sealed };
    const length = sp ? sp.job.length : seg.readLength;
    return { ctx, slots, read: { spec: this.spaceSpec(), va: '0x' + seg.bufferVa!.toString(16), length }, keep, ...sealed };
  }

  private spaceSpec(): SpaceSpec {
    const k = this.kernel;
    return { imagePath: this.image.path, arch: k.arch, dtb: k.dtb, ...(k.t1sz !== undefined ? { t1sz: k.t1sz } : {}) };
  }

  /** the job with its bytes read on this thread (and decrypted, for a sealed segment) */
  private jobFor(seg: SegmentPlan, keep = false, scratch?: 'thread'): SegmentJob & { problems: string[] } {
    const job = this.baseJob(seg, keep);
    // `scratch` 'thread' (this thread's reusable buffer): for a job whose bytes nobody holds once it is done
    const problems = job.read ? loadJobBuffer(job, this.kernel.space, scratch) : [];
    openSealed(job);
    return Object.assign(job, { problems });
  }

  /** during the walk: whether this segment's buffer still fits the cache budget */
  private reserveKeep(seg: SegmentPlan): boolean {
    const len = this.swap.bySegment.get(seg.summary.index)?.job.length ?? seg.readLength;
    if (this.keepBudget < len) return false;
    this.keepBudget -= len;
    return true;
  }

  /**
   * The results of `make(job)` over every decodable segment, in segment order (exports and streamed
   * hits stay ordered), with a bounded number of segments in flight so memory stays bounded.
   */
  private async *segmentResults<R>(make: (base: SegmentJob) => Job, run: RunOptions, phase: Progress['phase'], only?: SegmentPlan[]): AsyncGenerator<[SegmentPlan, R]> {
    const segs = only ?? this.decodable();
    const total = segs.length;
    const pool = this.workers();
    const window = Math.max(2, (pool?.size ?? 1) * 3);
    const background = phase === 'decode';
    if (!background) this.enterForeground();
    const pending: Promise<R>[] = [];
    let next = 0;
    // a cancel stops this run's worker threads at once, even one stuck inside a regex
    const group = newRunGroup();
    const onAbort = (): void => pool?.cancel(group);
    run.signal?.addEventListener('abort', onAbort, { once: true });
    // Segments whose job needs no per-page budget go to a worker several at a time, about
    // BATCH_SLOTS slots per message: small segments (arm64's hold ten slots or so) cost more in
    // messages and thread wake-ups than in decoding. `window` counts messages in flight.
    let inFlight = 0;
    const lastOfBatch = new Set<number>();
    const launch = (): void => {
      const seg = segs[next++]!;
      let p: Promise<R>;
      const keep = !this.kept.has(seg.summary.index) && phase === 'decode' && this.reserveKeep(seg);
      inFlight++;
      if (pool) {
        // a kept buffer is shared memory: posting it shares it, nothing is copied or read again;
        // otherwise the worker reads and translates the buffer itself and only the plan crosses threads
        const job = packJob(make(this.baseJob(seg, keep)));
        if (budgeted(job)) {
          p = this.runBudgeted<R>(pool, job, group);
        } else {
          const jobs: Job[] = [job];
          let slots = seg.slots.length;
          while (next < total && slots < BATCH_SLOTS && jobs.length < BATCH_MAX) {
            const more = segs[next]!;
            const k = !this.kept.has(more.summary.index) && phase === 'decode' && this.reserveKeep(more);
            jobs.push(packJob(make(this.baseJob(more, k))));
            slots += more.slots.length;
            next++;
          }
          if (jobs.length === 1) p = pool.run<R>(job, [], { group });
          else {
            const all = pool.run<R[]>({ task: 'batch', jobs } satisfies BatchJob, [], { group });
            all.catch(() => {});
            p = all.then((rs) => rs[0]!);
            // every promise of the batch is awaited in order below, or never once the run is
            // abandoned: each must carry a handler or a cancelled batch is an unhandled rejection
            p.catch(() => {});
            for (let k = 1; k < jobs.length; k++) {
              const q = all.then((rs) => rs[k]!);
              q.catch(() => {});
              pending.push(p);
              p = q;
            }
          }
        }
      } else {
        p = Promise.resolve().then(() => {
          // each job runs to its end before the next starts: they can share this thread's buffer
          const base = this.jobFor(seg, keep, 'thread');
          const { problems, ...job } = base;
          const r = runJob(make(job)).result as unknown as R & JobProblems;
          if (problems.length) r.problems = [...problems, ...(r.problems ?? [])];
          return r;
        });
      }
      p.catch(() => {}); // awaited in order below; this only keeps an abandoned run from warning
      pending.push(p);
      lastOfBatch.add(pending.length - 1);
    };
    try {
      while (next < total && inFlight < window) launch();
      for (let i = 0; i < total; i++) {
        throwIfAborted(run.signal);
        const r = await pending[i]!;
        pending[i] = undefined as unknown as Promise<R>; // let the result be collected
        if (lastOfBatch.delete(i)) inFlight--;
        // the segments already sent finish; no new one goes out while the examiner waits for a pass
        // (or until the pass is stopped: closing the case must not wait for a search nobody reads)
        if (background && this.foregroundIdle) {
          await untilAborted(this.foregroundIdle.done, run.signal);
          throwIfAborted(run.signal);
        }
        while (next < total && inFlight < window) launch();
        if (((i + 1) & 15) === 0 || i + 1 === total) run.onProgress?.({ phase, done: i + 1, total });
        yield [segs[i]!, r];
      }
    } finally {
      run.signal?.removeEventListener('abort', onAbort);
      // an abandoned run (cancelled, or its consumer stopped) leaves no thread working for it
      if (next > 0 && pool) pool.cancel(group);
      if (!background) this.leaveForeground();
    }
  }

  private enterForeground(): void {
    if (this.foreground++ === 0) {
      let release = (): void => {};
      const done = new Promise<void>((r) => (release = r));
      this.foregroundIdle = { done, release };
    }
  }

  private leaveForeground(): void {
    if (--this.foreground === 0 && this.foregroundIdle) {
      this.foregroundIdle.release();
      this.foregroundIdle = null;
    }
  }

  /** passes the examiner is waiting for, running now (the background pass waits for them) */
  get foregroundRuns(): number {
    return this.foreground;
  }

  /**
   * Runs a job on the pool; a job that searches pages gets a time budget per page. A page whose search
   * runs past it (a regex backtracking without end) stops its thread; the job runs again without that
   * page, which is reported as given up. After a few such pages in one segment the rest of it is given
   * up at once, so a pattern that is slow everywhere costs a bounded time per segment.
   */
  private async runBudgeted<R>(pool: WorkerPool, job: Job, group: number): Promise<R> {
    if (!budgeted(job)) return pool.run<R>(job, [], { group });
    const skips: number[] = [];
    for (;;) {
      const reason = `the search of this page ran past its ${this.pageBudget} ms budget and was stopped`;
      const fromReason = `not searched: ${MAX_PAGE_TIMEOUTS} pages before it in the same job ran past the ${this.pageBudget} ms budget`;
      const attempt = {
        ...job,
        skipReason: reason,
        skipFromReason: fromReason,
        ...(skips.length ? { skipScan: [...skips] } : {}),
        ...(skips.length >= MAX_PAGE_TIMEOUTS ? { skipScanFrom: skips[skips.length - 1]! + 1 } : {}),
      };
      try {
        return await pool.run<R>(attempt, [], { group, pageBudgetMs: this.pageBudget });
      } catch (e) {
        if (!(e instanceof PageTimeoutError)) throw e;
        skips.push(e.index);
      }
    }
  }

  /** pages the one-pass search of the walk (OpenOptions.during.search) gave up on */
  searchGaveUp(): GaveUp[] {
    return this.walkGaveUp;
  }

  private async forEachSegment<R>(
    make: (base: SegmentJob) => Job,
    sink: (seg: SegmentPlan, result: R) => void | Promise<void>,
    run: RunOptions,
    phase: Progress['phase'],
    only?: SegmentPlan[],
  ): Promise<void> {
    for await (const [seg, r] of this.segmentResults<R>(make, run, phase, only)) await sink(seg, r);
  }

  private async walk(opts: OpenOptions, onSegment?: (seg: SegmentPlan) => void): Promise<void> {
    for (const seg of this.plan.segments) {
      this.undecoded.set(seg.summary.index, [...(this.swap.undecoded.get(seg.summary.index) ?? seg.undecoded)]);
    }
    const search = opts.during?.search;
    const strings = opts.during?.strings;
    if (search) validateQuery(search.query);
    const also = {
      ...(search ? { query: search.query, queryKey: queryKey(search.query) } : {}),
      ...(strings ? { stringsMin: strings.min } : {}),
    };
    await this.forEachSegment<RecordsResult & JobProblems>(
      (b) => ({ ...b, task: 'records', ...(opts.hashPages ? { hash: true } : {}), ...also }),
      (seg, r) => {
        if (r.problems && !this.probed.has(seg.summary.index)) seg.summary.problems.push(...r.problems);
        if (r.problems && this.swap.bySegment.has(seg.summary.index)) {
          for (const p of r.problems) this.swapProblemList.push(`segment ${seg.summary.index}: ${p}`);
        }
        if (r.hits) for (const h of r.hits) search!.onHit(this.owned(h));
        if (r.gaveUp) this.walkGaveUp.push(...r.gaveUp);
        if (r.strings) for (const x of r.strings) strings!.onString(x);
        if (r.kept) this.kept.set(seg.summary.index, r.kept);
        // a segment asked for before the pass reached it may have hashes taken already: they stay
        const before = this.compact.get(seg.summary.index);
        if (before) mergeHashes(r.compact, before);
        this.compact.set(seg.summary.index, r.compact);
        onSegment?.(seg);
      },
      opts,
      'decode',
    );
    for (const seg of this.plan.segments) {
      const kinds: SegmentSummary['kinds'] = {};
      for (const r of this.undecoded.get(seg.summary.index) ?? []) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
      const c = this.compact.get(seg.summary.index);
      if (c) compactKindCounts(c, kinds);
      seg.summary.kinds = kinds;
    }
    const swapFiles = this.swapFileReport();
    this.swapProblemList.unshift(...this.swap.problems.filter((p) => !this.swapProblemList.includes(p)));
    this.publish(this.readCounts().unreadableSlots, swapFiles);
  }

  /** info and the segment list from the plan's summaries as they now stand */
  private publish(unreadableSlots: number, swapFiles: SwapFileInfo[]): void {
    const summary = { segments: this.plan.segments.map((s) => s.summary), compressor: summarize(this.plan) };
    // a case opened for one segment reports the whole case's problems and checks, from its census
    if (this.census) {
      summary.compressor.problems = [...this.census.problems];
      summary.compressor.consistency = this.census.consistency;
    } else summary.compressor.consistency = withReadChecks(summary.compressor.consistency, { ...this.readCounts(), unreadableSlots });
    this.segmentList = summary.segments;
    const k = this.kernel;
    this.info = {
      image: {
        path: this.image.path,
        format: this.image.format,
        files: [...this.image.files],
        ranges: [...this.image.ranges],
        notes: [...this.image.notes],
        size: this.image.ranges.reduce((m, r) => Math.max(m, r.start + r.length), 0),
      },
      kernel: {
        banner: k.banner,
        arch: k.arch,
        symbols: k.symbolsSource,
        kaslrSlide: hex(k.slide),
        dtb: hex(k.dtb),
        darwin: { major: k.version.major, minor: k.version.minor, patch: k.version.patch },
        macos: k.version.macos ?? 'unknown',
        xnu: k.version.xnu ?? 'unknown',
      },
      compressor: summary.compressor,
      swap: { cipher: this.swap.keys ? describeCipher(this.swap.keys.cipher) : null, files: swapFiles, problems: this.swapProblemList },
    };
  }

  private walkProcesses(): void {
    const v = ProcessView.create(this.kernel, this.plan);
    if (v instanceof ProcessView) this.procView = v;
    else this.procUnavailable = v.unavailable;
  }

  private addProcessInfo(): void {
    const v = this.procView;
    if (v === null) {
      this.info.processes = { available: false, reason: this.procUnavailable ?? 'the process walk was not asked for', count: 0, problems: [] };
      return;
    }
    this.info.processes = { available: true, count: v.walk.processes.length, problems: [...v.problems], unownedSlots: v.ownership.unowned.length };
    const cons = this.info.compressor.consistency;
    const check = v.consistencyCheck();
    cons.checks.push(check);
    cons.ok = cons.ok && check.ok;
  }

  /** the process view, or ProcessesUnavailableError naming why (missing types, no allproc) */
  private procs(): ProcessView {
    if (this.procView === null) throw new UnfoldError('MISSING_SYMBOL', this.procUnavailable ?? 'no process walk');
    return this.procView;
  }

  /** every process (allproc), with its task, map and page counts by state */
  processes(): ProcessSummary[] {
    return this.procs().processes();
  }

  /** the regions (map entries) of a process, with page counts by state */
  maps(pid: number): RegionSummary[] {
    return this.procs().maps(pid);
  }

  /** owners (pid, va) of a live slot; [] when unowned or when there is no process walk */
  slotOwners(segment: number, slot: number): OwnerJson[] {
    return this.procView?.slotOwners(segment, slot) ?? [];
  }

  /**
   * Whether owners are known: only when the process walk ran. Without it (the symbols lack the
   * process types) records carry no `owners` at all, rather than an empty list that would claim no
   * process maps the page.
   */
  ownersKnown(): boolean {
    return this.procView !== null;
  }

  /** a hit with the owners of its page */
  private owned(h: SearchHit): SearchHit {
    if (this.procView === null) return h;
    return { ...h, owners: h.segment < 0 ? this.svOwners(h.slot) : this.slotOwners(h.segment, h.slot) };
  }

  /** owners of a single-value table entry */
  svOwners(index: number): OwnerJson[] {
    return this.procView?.svOwners(index) ?? [];
  }

  /** one region of a process (the one that starts at `start`) with every page and where it lives */
  regionPages(pid: number, start: bigint, first = 0, count = Number.MAX_SAFE_INTEGER): { region: RegionSummary; first: number; total: number; pages: PageSource[] } {
    const v = this.procs();
    const r = v.process(pid).regions.find((x) => x.start === start);
    if (!r) throw new RangeError(`process ${pid} has no region starting at ${hex(start)}`);
    const ps = BigInt(r.pageSize);
    const total = Number((r.end - r.start) / ps);
    if (first > total) throw new RangeError(`region ${hex(start)} of process ${pid} has ${total} pages; there is no page ${first}`);
    // a huge region is read a slice at a time: only these pages are resolved
    const from = r.start + BigInt(first) * ps;
    const to = from + BigInt(Math.min(count, total - first)) * ps;
    return { region: regionSummary(pid, r), first, total, pages: v.regionPages(pid, { ...r, start: from, end: to }) };
  }

  /** owners of every owned live slot of a segment, by slot number */
  segmentOwners(segment: number): Record<number, OwnerJson[]> {
    const out: Record<number, OwnerJson[]> = {};
    if (this.procView === null) return out;
    for (const r of this.slots(segment)) {
      const o = this.procView.slotOwners(segment, r.slot);
      if (o.length > 0) out[r.slot] = o;
    }
    return out;
  }

  /** a process's regions as files with a manifest (core/export/procdump.ts), atomic, never over the evidence */
  async procDump(req: { pid: number; out: string; overwrite?: boolean }, run: RunOptions = {}): Promise<ProcDumpResult> {
    const view = this.procs();
    view.process(req.pid);
    run.onProgress?.({ phase: 'hash', done: 0, total: 1, message: 'hashing the evidence file' });
    const imageSha256 = await this.imageSha256(run);
    const { dumpProcess } = await import('./export/procdump');
    return dumpProcess(view, (p, va, n) => this.readVirtual(p, va, n), {
      pid: req.pid,
      out: req.out,
      overwrite: req.overwrite,
      evidence: [this.image.path, ...this.image.files],
      imagePath: this.image.path,
      imageSha256,
      signal: run.signal,
      onProgress: (p) => run.onProgress?.(p),
    });
  }

  /** the process view itself, for dumps (core/export/procdump.ts) */
  processView(): ProcessView {
    return this.procs();
  }

  /** bytes of a process's virtual range: resident from the image, compressed decoded now, the rest zero-filled and listed */
  readVirtual(pid: number, va: bigint, length: number): ReadVirtualResult {
    const sv = new Map(this.plan.sv.map((e) => [e.index, Number.parseInt(e.value, 16)]));
    return this.procs().readVirtual(pid, va, length, {
      phys: (a, n) => this.image.read(a, n),
      slot: (segment, slot) => {
        try {
          const sp = this.swap.bySegment.get(segment);
          if (sp) {
            const r = this.decodeSealedOne(segment, slot);
            return r.page !== null ? { page: r.page, origin: sp.job.origin } : { page: null, error: r.error };
          }
          const seg = this.planBySegment.get(segment);
          if (seg?.summary.swap && !seg.summary.resident) {
            const w = seg.summary.swap;
            const r = this.slots(segment).find((x) => x.slot === slot);
            return { page: null, error: r?.error ?? `its segment is in swap file ${w.path ?? `index ${w.fileIndex}`} at ${hex(w.offset)}: give that file with --swap` };
          }
          const page = this.decodeOne(segment, slot);
          if (page !== null) return { page };
          const r = this.slots(segment).find((x) => x.slot === slot);
          return { page: null, error: r?.error ?? (r ? `not decoded (${r.kind}, ${r.state})` : `segment ${segment} has no live slot ${slot}`) };
        } catch (err) {
          return { page: null, error: (err as Error).message };
        }
      },
      svValue: (i) => sv.get(i) ?? null,
    });
  }

  /** segment buffers of the last few segments a process read touched (pages of a region come from many) */
  private recentBuffers = new Map<number, { job: SegmentJob & { bytes: Uint8Array }; meta: Map<number, SlotMeta> }>();

  /** one slot's decoded page (null when it does not decode), the segment's buffer kept for the next */
  private decodeOne(segment: number, slot: number): Uint8Array | null {
    let b = this.recentBuffers.get(segment);
    if (b === undefined) {
      const seg = this.planBySegment.get(segment);
      if (!seg || seg.bufferVa === null) return null;
      b = { job: this.jobFor(seg) as SegmentJob & { bytes: Uint8Array }, meta: new Map(seg.slots.map((m) => [m.slot, m])) };
      this.recentBuffers.set(segment, b);
      if (this.recentBuffers.size > 16) this.recentBuffers.delete(this.recentBuffers.keys().next().value!);
    }
    const meta = b.meta.get(slot);
    if (meta === undefined) return null;
    let page: Uint8Array | null = null;
    decodeSegmentSlots(b.job.bytes, b.job.holes, [meta], { ...b.job.ctx, hash: false }, (_r, p) => {
      page = p ? p.slice() : null;
    });
    return page;
  }

  /** decoded pages of the last few sealed segments a process read touched (each judged as a whole) */
  private recentSealed = new Map<number, { pages: Map<number, Uint8Array>; errors: Map<number, string>; failed: string | null }>();

  /**
   * One slot's page of a sealed segment (swapped out with its swap file given, or encrypted in place):
   * the whole segment is read, decrypted and judged (core/darwin/sealed.ts) once, its pages kept for
   * the next reads; a segment that does not verify gives no page, only the reason.
   */
  private decodeSealedOne(segment: number, slot: number): { page: Uint8Array | null; error?: string } {
    let b = this.recentSealed.get(segment);
    if (b === undefined) {
      const seg = this.planBySegment.get(segment);
      const sp = this.swap.bySegment.get(segment);
      if (!seg || !sp) return { page: null, error: `segment ${segment} is not a sealed segment that can be read` };
      b = { pages: new Map(), errors: new Map(), failed: null };
      const job = this.jobFor(seg);
      if (job.sealed?.failed !== undefined || !job.bytes) b.failed = job.sealed?.failed ?? 'its chunk could not be read';
      else {
        const into = b;
        decodeSealedSlots(job.bytes, job.holes, job.slots, job.ctx, sp.job.origin, sp.job.refusedKind, (r, p) => {
          if (p) into.pages.set(r.slot, p.slice());
          else into.errors.set(r.slot, r.error ?? `not decoded (${r.kind})`);
        });
      }
      this.recentSealed.set(segment, b);
      if (this.recentSealed.size > 8) this.recentSealed.delete(this.recentSealed.keys().next().value!);
    }
    const page = b.pages.get(slot);
    if (page !== undefined) return { page };
    if (b.failed !== null) return { page: null, error: b.failed };
    const r = this.slots(segment).find((x) => x.slot === slot);
    return { page: null, error: b.errors.get(slot) ?? r?.error ?? `segment ${segment} has no decodable slot ${slot}` };
  }

  /**
   * Per swap file given: its SHA-256 and how many segments were read from it; a file none of whose
   * segments decrypt to what the image's slot metadata describes is named as a problem.
   */
  private swapFileReport(): SwapFileInfo[] {
    const out: SwapFileInfo[] = [];
    for (const f of this.swap.files) {
      let read = 0;
      let mismatched = 0;
      for (const [idx, sp] of this.swap.bySegment) {
        if (sp.job.file?.path !== f.path) continue;
        if (this.compact.get(idx)?.origin) read++;
        else if (this.planBySegment.get(idx)?.summary.problems.some((p) => p.includes(REFUSED_MISMATCH))) mismatched++;
      }
      if (read === 0 && mismatched > 0) {
        const p = `swap file ${f.path}: no segment the image places in it decrypts to what its slot metadata describes (${mismatched} tried): the file is from another machine or another boot, or damaged`;
        this.plan.problems.push(p);
        this.swapProblemList.push(p);
      }
      // a hash taken earlier (info rebuilt after the background pass) is kept, never recomputed
      out.push({ path: f.path, index: f.index, kernelPath: f.kernelPath, size: f.size, sha256: this.swapSha.get(f.path) ?? null, segments: read });
    }
    return out;
  }

  /** info.swapFiles with the SHA-256 of every swap file filled in (streamed once, then remembered) */
  swapFilesHashed(run: RunOptions = {}): Promise<SwapFileInfo[]> {
    this.swapHashes ??= (async () => {
      for (const f of this.info.swap.files) {
        throwIfAborted(run.signal);
        f.sha256 ??= this.swapSha.get(f.path) ?? (await sha256File(f.path, run.signal));
        this.swapSha.set(f.path, f.sha256);
      }
      return this.info.swap.files;
    })();
    const p = this.swapHashes;
    p.catch(() => {
      if (this.swapHashes === p) this.swapHashes = null; // a cancelled or failed pass may be asked again
    });
    return p;
  }

  /** what went wrong with swap files and swap decryption (also among the compressor's problems) */
  swapProblems(): string[] {
    return this.swapProblemList;
  }

  /**
   * The summary the metadata alone gives (OpenOptions.decode 'background' or 'never'): every
   * resident segment's buffer pages are checked through translation, and (unless `kinds: false`)
   * its slots counted by kind from their size, codec bit and, where it decides, their first word
   * (kindsFromFirstWords), without decoding them. Segments to be read from a swap file keep their
   * metadata's kind until the pages are decoded.
   */
  private async summarizeMetadata(opts: OpenOptions): Promise<void> {
    for (const seg of this.plan.segments) {
      this.undecoded.set(seg.summary.index, [...(this.swap.undecoded.get(seg.summary.index) ?? seg.undecoded)]);
    }
    let unreadable = 0;
    for (const seg of this.plan.segments) for (const r of seg.undecoded) if (isUnreadableSlotError(r.error)) unreadable++;
    const kinds = new Map<number, number[]>();
    const resident = this.plan.segments.filter((s) => !this.swap.bySegment.has(s.summary.index) && s.bufferVa !== null && s.slots.length > 0);
    const tick = async (done: number, total: number): Promise<void> => {
      throwIfAborted(opts.signal);
      opts.onProgress?.({ phase: 'kinds', done, total });
      // let a cancel or a progress message through
      await new Promise<void>((r) => setImmediate(r));
    };
    // on the calling thread: translation and (with kinds) one word per slot whose kind hangs on it,
    // read in physical order; threads still loading would only compete for the cores
    const found: Array<{ holes: Hole[]; unreadable: number; counts?: number[] }> =
      opts.kinds !== false
        ? await kindsFromFirstWords(this.kernel.space, this.image, resident as Array<SegmentPlan & { bufferVa: bigint }>, this.plan.header.pageSize, this.plan.header.dictPreset, tick)
        : resident.map((seg) => {
            throwIfAborted(opts.signal);
            const holes = bufferHoles(this.kernel.space, this.image, seg.bufferVa!, seg.readLength);
            let n = 0;
            if (holes.length > 0) for (const s of seg.slots) if (holeIn(holes, s.offset, s.offset + s.size)) n++;
            return { holes, unreadable: n };
          });
    resident.forEach((seg, i) => {
      const r = found[i]!;
      // the words the walk's buffer read (readSegmentBuffer) uses for the same pages
      seg.summary.problems.push(...absentPageProblems(seg.bufferVa!, r.holes, (from, to) => seg.slots.filter((s) => s.offset < to && s.offset + s.size > from).length));
      if (r.counts) kinds.set(seg.summary.index, r.counts);
      unreadable += r.unreadable;
      this.probed.add(seg.summary.index);
    });
    for (const seg of this.plan.segments) {
      const k: SegmentSummary['kinds'] = {};
      for (const r of seg.undecoded) k[r.kind] = (k[r.kind] ?? 0) + 1;
      const c = kinds.get(seg.summary.index);
      if (c) addKinds(k, c);
      seg.summary.kinds = k;
    }
    this.swapProblemList = [...this.swap.problems];
    this.publish(unreadable, this.swapFileReport());
  }

  /** decode and hash every page in the background; the case answers meanwhile */
  private startBackground(opts: OpenOptions): void {
    const abort = new AbortController();
    const segs = this.decodable();
    const pagesTotal = segs.reduce((n, s) => n + (this.swap.bySegment.get(s.summary.index)?.slots.length ?? s.slots.length), 0);
    const bytesTotal = segs.reduce((n, s) => n + (this.swap.bySegment.get(s.summary.index)?.job.length ?? s.readLength), 0);
    const t0 = Date.now();
    const eta = new Eta(bytesTotal, t0);
    const status: DecodeStatus = { state: 'running', pagesDone: 0, pagesTotal, bytesDone: 0, bytesTotal, elapsedMs: 0, etaSeconds: null };
    const tell = (): void => {
      status.elapsedMs = Date.now() - t0;
      status.etaSeconds = status.state === 'running' ? eta.secondsLeft() : 0;
      opts.onDecodeProgress?.({ ...status });
    };
    const done = this.walk({ signal: abort.signal }, (seg) => {
      status.pagesDone += this.swap.bySegment.get(seg.summary.index)?.slots.length ?? seg.slots.length;
      status.bytesDone += this.swap.bySegment.get(seg.summary.index)?.job.length ?? seg.readLength;
      eta.update(status.bytesDone);
      tell();
    }).then(
      () => {
        // the walk's summary replaced info: the process list and its check go back in
        this.addProcessInfo();
        status.state = 'done';
        tell();
      },
      (e: unknown) => {
        status.state = e instanceof CancelledError ? 'cancelled' : 'failed';
        if (status.state === 'failed') status.error = (e as Error)?.message ?? String(e);
        tell();
      },
    );
    this.bg = { status, done, abort };
  }

  /** where the background pass stands ('none' when the case was opened without one) */
  decodeStatus(): DecodeStatus {
    if (!this.bg) return { state: 'none', pagesDone: 0, pagesTotal: 0, bytesDone: 0, bytesTotal: 0, elapsedMs: 0, etaSeconds: null };
    return { ...this.bg.status };
  }

  /** resolves when the background pass has ended (at once without one) */
  async decoded(): Promise<DecodeStatus> {
    await this.bg?.done;
    return this.decodeStatus();
  }

  /** stops the background pass (the case stays open; pages are still decoded when asked for) */
  stopBackground(): void {
    this.bg?.abort.abort();
  }

  /** live slots, slots whose bytes were absent, and segments read against c_segment_count */
  private readCounts() {
    let liveSlots = 0;
    let unreadableSlots = 0;
    for (const seg of this.plan.segments) {
      liveSlots += seg.summary.liveSlots;
      for (const r of this.undecoded.get(seg.summary.index) ?? []) if (isUnreadableSlotError(r.error)) unreadableSlots++;
      const c = this.compact.get(seg.summary.index);
      if (c) for (const e of c.extras) if (isUnreadableSlotError(e.error)) unreadableSlots++;
    }
    return { liveSlots, unreadableSlots, segmentCount: this.plan.header.segmentCount, segmentsRead: this.plan.segments.length };
  }

  segments(): SegmentSummary[] {
    return this.segmentList;
  }

  /**
   * How many live segments the case has: segments().length, except for a case opened for one
   * segment, where the census counted them.
   */
  segmentCount(): number {
    return this.census ? this.census.segments : this.segmentList.length;
  }

  /**
   * The live slots of a segment with their outcomes, in slot order. A record carries its page's
   * SHA-256 when one was taken; with `hashes`, every decoded page of the segment is hashed now (on
   * this thread, once: hashes are kept) so each decoded record carries one.
   */
  slots(segment: number, opts: { hashes?: boolean } = {}): SlotRecord[] {
    if (opts.hashes) this.hashSegment(segment);
    if (this.materialized?.segment === segment) return this.materialized.records;
    const c = this.compact.get(segment) ?? this.decodeNow(segment, opts.hashes === true);
    const list = [...(this.undecoded.get(segment) ?? []), ...(c ? expandCompact(c) : [])];
    list.sort((a, b) => a.slot - b.slot);
    this.materialized = { segment, records: list };
    return list;
  }

  /**
   * A segment the background pass (or a case opened without decoding) has not decoded yet, decoded
   * now on the calling thread (and hashed, with `hash`): one segment's slots are ready at once
   * whatever the pass is doing.
   */
  private decodeNow(segment: number, hash = false): CompactSlots | undefined {
    const seg = this.planBySegment.get(segment);
    if (!seg || (this.opened === 'open') || !this.decodable().includes(seg)) return undefined;
    const r = this.decodeSegment(seg, hash);
    this.compact.set(segment, r.compact);
    return r.compact;
  }

  /** one segment decoded (and hashed, with `hash`) on this thread */
  private decodeSegment(seg: SegmentPlan, hash: boolean): RecordsResult {
    const { problems: _problems, ...job } = this.jobFor(seg, false, 'thread');
    return runJob({ ...job, task: 'records', ...(hash ? { hash: true } : {}) }).result as RecordsResult;
  }

  /**
   * Makes sure every decoded page of `segment` has its SHA-256 kept: a segment decoded without
   * hashing (the walk, the background pass) is decoded again with hashing, once. Only the hashes
   * missing are taken over; one kept before stays what later decodes are compared with.
   */
  private hashSegment(segment: number): void {
    const c = this.compact.get(segment);
    if (c && unhashedPages(c) === 0) return;
    const seg = this.planBySegment.get(segment);
    if (!seg || !this.decodable().includes(seg)) return;
    if (!c) {
      // not decoded yet: decodeNow (decode 'never' or 'background') decodes and hashes in one pass
      if (this.opened !== 'open' && this.decodeNow(segment, true) && this.materialized?.segment === segment) this.materialized = null;
      return;
    }
    mergeHashes(c, this.decodeSegment(seg, true).compact);
    if (this.materialized?.segment === segment) this.materialized = null;
  }

  /**
   * `record` with the SHA-256 of its page as just decoded (`sha256`), which is kept when it is the
   * first taken; a page that no longer hashes as it did when first hashed gets an error saying so.
   */
  private withHash(segment: number, record: SlotRecord, sha256: string | undefined): SlotRecord {
    if (sha256 === undefined) return record;
    const c = this.compact.get(segment);
    const at = c ? compactIndex(c, record.slot) : -1;
    const before = at >= 0 ? noteHash(c!, at, sha256) : null;
    // the record may be the segment's materialized one: it now shows the hash kept
    record.sha256 = before ?? sha256;
    if (before !== null) {
      record.error = `decoded differently than when its SHA-256 was first taken (then ${before}, now ${sha256}): the evidence or the machine is not behaving`;
    }
    return record;
  }

  /** whether `segment` has a live slot `slot`, from the metadata (nothing is decoded) */
  hasSlot(segment: number, slot: number): boolean {
    const seg = this.planBySegment.get(segment);
    if (!seg) return false;
    const sp = this.swap.bySegment.get(segment);
    return (sp ? sp.slots : seg.slots).some((m) => m.slot === slot) || (this.undecoded.get(segment) ?? seg.undecoded).some((r) => r.slot === slot);
  }

  /** every live slot, in (segment, slot) order (with `hashes`: see slots()) */
  *allSlots(opts: { hashes?: boolean } = {}): Iterable<SlotRecord> {
    for (const s of this.segmentList) yield* this.slots(s.index, opts);
  }

  singleValues(): SvEntry[] {
    return this.info.compressor.singleValue;
  }

  /**
   * one page, decoded on the calling thread, with the slot's compressed bytes beside it and, for bytes
   * in RAM, where they lie: kernel virtual address and physical address of the first byte (null when
   * that page is not in the image)
   */
  page(segment: number, slot: number): { record: SlotRecord; page: Uint8Array | null; compressed: Uint8Array | null; storedAt?: StoredAt } {
    if (!this.hasSlot(segment, slot)) throw new RangeError(`segment ${segment} has no live slot ${slot}`);
    const seg = this.planBySegment.get(segment);
    const sp = this.swap.bySegment.get(segment);
    const meta = (sp ? sp.slots : seg?.slots)?.find((m) => m.slot === slot);
    // the walk's record when the segment is decoded; otherwise only this slot is decoded, not its segment
    const walked = (): SlotRecord | undefined =>
      this.compact.has(segment) || this.materialized?.segment === segment || !meta || sp ? this.slots(segment).find((r) => r.slot === slot) : undefined;
    const early = walked();
    if (!seg || !meta || (!sp && seg.bufferVa === null)) return { record: early!, page: null, compressed: null };
    let record = early!;
    let page: Uint8Array | null = null;
    let fresh: SlotRecord | null = null;
    const take = (r: SlotRecord, p: Uint8Array | null) => {
      if (r.slot === slot) {
        page = p ? p.slice() : null;
        fresh = r;
      }
    };
    let job: SegmentJob;
    if (sp) {
      // a sealed segment is only believed as a whole: judge every slot, keep this one's page
      job = this.jobFor(seg);
      if (job.sealed?.failed !== undefined || !job.bytes) return { record, page: null, compressed: null };
      decodeSealedSlots(job.bytes, job.holes, job.slots, job.ctx, sp.job.origin, sp.job.refusedKind, take);
      if (page === null) return { record, page: null, compressed: null };
    } else {
      job = this.jobFor({ ...seg, slots: [meta] });
      decodeSegmentSlots(job.bytes!, job.holes, [meta], job.ctx, take);
      record = early ?? fresh!;
    }
    if (page !== null && fresh !== null) record = this.withHash(segment, record, (fresh as SlotRecord).sha256);
    const bytes = job.bytes!;
    // the compressed bytes up to the first absent page they touch (all of them when none is absent)
    const end = meta.offset + meta.size;
    const gap = holeIn(job.holes ?? [], meta.offset, end);
    const avail = Math.min(end, gap ? Math.max(meta.offset, gap.from) : end, bytes.length);
    const compressed = bytes.slice(meta.offset, Math.max(meta.offset, avail));
    if (sp || seg.bufferVa === null) return { record, page, compressed };
    const va = seg.bufferVa + BigInt(meta.offset);
    const pa = this.kernel.space.tryTranslate(va);
    return { record, page, compressed, storedAt: { virtual: '0x' + va.toString(16), physical: pa < 0 ? null : '0x' + pa.toString(16) } };
  }

  /**
   * Every hit of the query in every decoded page, in (segment, slot, offset) order, then the hits in
   * pages kept only as a single-value table entry. With `maxHits`, the search stops at that many
   * hits and says so (`limited`); a cancel through `signal` ends it with `cancelled`.
   */
  async search(query: SearchQuery, opts: RunOptions & { onHit?: (h: SearchHit) => void; maxHits?: number } = {}): Promise<SearchResult> {
    validateQuery(query);
    const t0 = Date.now();
    const key = queryKey(query);
    const max = opts.maxHits ?? Infinity;
    const limit = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, limit.signal]) : limit.signal;
    let hits = 0;
    let pagesScanned = 0;
    let singleValueHits = 0;
    const gaveUp: GaveUp[] = [];
    const emit = (h: SearchHit): boolean => {
      if (hits >= max) return false;
      hits++;
      opts.onHit?.(h);
      if (hits >= max) limit.abort();
      return true;
    };
    const result = (cancelled: boolean): SearchResult => {
      const limited = limit.signal.aborted;
      return {
        hits,
        singleValueHits,
        pagesScanned,
        cancelled: cancelled && !limited,
        limited,
        seconds: (Date.now() - t0) / 1000,
        gaveUp,
        ...(query.yara?.length ? { yaraEngine: yaraEngineInfo().label } : {}),
      };
    };
    try {
      await this.forEachSegment<SearchJobResult>(
        (b) => ({ ...b, task: 'search', queryKey: key, query }),
        (_seg, r) => {
          pagesScanned += r.pagesScanned;
          for (const h of r.hits) emit(this.owned(h));
          if (r.gaveUp) gaveUp.push(...r.gaveUp);
        },
        { ...opts, signal },
        'search',
      );
    } catch (e) {
      if (e instanceof CancelledError) return result(true);
      throw e;
    }
    if (!limit.signal.aborted) {
      // on a worker under the page budget; a cancel meanwhile ends it like the segment search
      try {
        const sv = await this.svTableSearch(query, (h) => void (emit(h) && singleValueHits++), { ...opts, signal });
        gaveUp.push(...sv.gaveUp);
      } catch (e) {
        if (e instanceof CancelledError) return result(true);
        throw e;
      }
    }
    return result(false);
  }

  /**
   * Pages the kernel keeps only as a value in the single-value table are searched by that value and
   * reported with segment -1 and the table index as `slot`. (4-byte single-value *slots* are decoded
   * and scanned with their segment like any other page.)
   */
  async svTableSearch(query: SearchQuery, onHit: (h: SearchHit) => void, run: RunOptions = {}): Promise<{ hits: number; gaveUp: GaveUp[] }> {
    const pool = this.workers();
    const entries = this.singleValues();
    if (!pool || entries.length === 0) return { hits: this.svTableHits(query, onHit), gaveUp: [] };
    // on a worker, under the page budget: a single-value page is as able to trap a regex as any other
    const group = newRunGroup();
    const onAbort = (): void => pool.cancel(group);
    run.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await this.runBudgeted<ValuesResult>(
        pool,
        { task: 'values', query, queryKey: queryKey(query), values: entries.map((e) => e.value), pageSize: this.plan.header.pageSize },
        group,
      );
      for (const h of r.hits) {
        const { at, ...m } = h;
        const sv = entries[at]!;
        onHit({ ...m, segment: -1, slot: sv.index, kind: 'single', state: `sv-table (${sv.refCount} pages)`, ...(this.procView ? { owners: this.svOwners(sv.index) } : {}) });
      }
      return {
        hits: r.hits.length,
        gaveUp: r.gaveUp.map((at) => ({ segment: -1, slot: entries[at]!.index, reason: `the search of this single-value page ran past its ${this.pageBudget} ms budget and was stopped` })),
      };
    } finally {
      run.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** the single-value table search on the calling thread (no time budget) */
  svTableHits(query: SearchQuery, onHit: (h: SearchHit) => void): number {
    let n = 0;
    for (const sv of this.singleValues()) {
      for (const m of matchValue(Number(sv.value), query, this.plan.header.pageSize)) {
        n++;
        onHit({ ...m, segment: -1, slot: sv.index, kind: 'single', state: `sv-table (${sv.refCount} pages)`, ...(this.procView ? { owners: this.svOwners(sv.index) } : {}) });
      }
    }
    return n;
  }

  /**
   * Printable strings of every decoded page, in (segment, slot, offset) order. `ascii`/`utf16` pick the
   * encodings (default both), `filter` keeps strings containing that text (case-insensitive), and
   * `maxStrings` stops after keeping that many (`limited`).
   */
  async strings(min: number, opts: RunOptions & StringsFilter & { onString?: (s: StringHit) => void } = {}): Promise<StringsResult> {
    const t0 = Date.now();
    const max = opts.maxStrings ?? Infinity;
    const ascii = opts.ascii ?? true;
    const utf16 = opts.utf16 ?? true;
    const needle = (opts.filter ?? '').toLowerCase();
    const limit = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, limit.signal]) : limit.signal;
    let kept = 0;
    let scanned = 0;
    let pagesScanned = 0;
    const result = (cancelled: boolean): StringsResult => {
      const limited = limit.signal.aborted;
      return { strings: kept, scanned, pagesScanned, cancelled: cancelled && !limited, limited, seconds: (Date.now() - t0) / 1000 };
    };
    try {
      await this.forEachSegment<StringsJobResult>(
        (b) => ({ ...b, task: 'strings', min }),
        (_seg, r) => {
          pagesScanned += r.pagesScanned;
          for (const s of r.strings) {
            if (kept >= max) return;
            scanned++;
            if (s.encoding === 'ascii' ? !ascii : !utf16) continue;
            if (needle && !s.text.toLowerCase().includes(needle)) continue;
            kept++;
            opts.onString?.(s);
            if (kept >= max) limit.abort();
          }
        },
        { ...opts, signal },
        'strings',
      );
    } catch (e) {
      if (e instanceof CancelledError) return result(true);
      throw e;
    }
    return result(false);
  }

  /** SHA-256 of the evidence file, computed once (streamed) */
  async imageSha256(run: RunOptions = {}): Promise<string> {
    if (this.imageHash) return this.imageHash;
    const h = createHash('sha256');
    for (const f of this.image.files) {
      await new Promise<void>((resolve, reject) => {
        const s = createReadStream(f, { flags: 'r', highWaterMark: 1 << 20 });
        s.on('data', (d) => {
          if (run.signal?.aborted) s.destroy(new CancelledError());
          h.update(d);
        });
        s.on('end', () => resolve());
        s.on('error', reject);
      });
    }
    this.imageHash = h.digest('hex');
    return this.imageHash;
  }

  /**
   * every live slot with its decoded page, in (segment, slot) order; undecoded slots come with page null.
   * `only`: just these segments (an export of a selection decodes nothing else)
   */
  async *pages(run: RunOptions = {}, only?: ReadonlySet<number>): AsyncGenerator<{ record: SlotRecord; page: Uint8Array | null }> {
    const ps = this.plan.header.pageSize;
    const results = this.segmentResults<PagesResult>((b) => ({ ...b, task: 'pages' }), run, 'export', only ? this.decodable().filter((s) => only.has(s.summary.index)) : undefined);
    let next = await results.next();
    try {
      for (const s of this.segmentList) {
        if (only && !only.has(s.index)) continue;
        if (next.done || next.value[0].summary.index !== s.index) {
          // nothing to decode here (swapped out, encrypted?, unreadable): the records alone
          for (const record of this.slots(s.index)) yield { record, page: null };
          continue;
        }
        const r = next.value[1];
        const kept = this.compact.get(s.index);
        const items = r.records.map((record, i) => {
          const page = r.pageAt[i]! >= 0 ? r.pages.subarray(r.pageAt[i]!, r.pageAt[i]! + ps) : null;
          // The page was decoded again for this pass: it must hash as it did when its hash was first
          // taken; the first time, this pass's hash is the one kept (the walk decodes without hashing)
          const at = kept && page ? compactIndex(kept, record.slot, i) : -1;
          if (at >= 0 && record.sha256 !== undefined) {
            const before = noteHash(kept!, at, record.sha256);
            if (before !== null) {
              record.error = `decoded differently than when its SHA-256 was first taken (then ${before}, now ${record.sha256}): the evidence or the machine is not behaving`;
            }
          }
          return { record, page };
        });
        if (kept && this.materialized?.segment === s.index) this.materialized = null;
        for (const record of this.undecoded.get(s.index) ?? []) items.push({ record, page: null });
        items.sort((a, b) => a.record.slot - b.record.slot);
        yield* items;
        next = await results.next();
      }
    } finally {
      await results.return(undefined);
    }
  }

  async export(req: ExportRequest, run: RunOptions = {}): Promise<ExportResult> {
    const selection = req.selection ? this.checkSelection(req.selection) : null;
    run.onProgress?.({ phase: 'hash', done: 0, total: 1, message: 'hashing the evidence file' });
    const imageSha256 = await this.imageSha256(run);
    const swapFiles = await this.swapFilesHashed(run);
    // the ISF is evidence of how the pages were read: name it by hash (null when built in or unreadable)
    const symbolsSha256 = await sha256File(this.info.kernel.symbols, run.signal).catch(() => null);
    const liveSlots = selection ? selection.slots.length : this.segmentList.reduce((n, s) => n + s.liveSlots, 0);
    const pages = selection ? this.pages(run, new Set(selection.slots.map((p) => p.segment))) : this.pages(run);
    return exportPages(pages, {
      ...(selection ? { selection } : {}),
      out: req.out,
      layout: req.layout,
      overwrite: req.overwrite,
      signal: run.signal,
      onProgress: run.onProgress,
      liveSlots,
      // each page arrives with the SHA-256 its worker computed over these bytes, and pages() has
      // already compared it with the walk's: hashing it a third time here would only cost time
      verifyPageHashes: false,
      meta: {
        imagePath: this.image.path,
        evidenceFiles: [...this.image.files],
        imageSha256,
        toolVersion: VERSION,
        symbols: this.info.kernel.symbols,
        symbolsSha256,
        ...(req.caseFields ? { caseFields: req.caseFields } : {}),
        kernel: { ...this.info.kernel },
        compressor: {
          family: this.info.compressor.family,
          pageSize: this.info.compressor.pageSize,
          segments: this.info.compressor.segments,
          slots: this.info.compressor.slots,
          consistency: this.info.compressor.consistency,
        },
        sv: this.info.compressor.singleValue,
        swapFiles: swapFiles.map((f) => ({ path: f.path, index: f.index, sha256: f.sha256!, segments: f.segments })),
        caseProblems: [...this.info.compressor.problems],
      },
    });
  }

  /** a selection of live slots of this case, each once and in order; a slot that is not there is named */
  private checkSelection(sel: ExportSelection): ExportSelection {
    const n = normalizeSelection(sel);
    if (n.slots.length === 0) throw new OptionError('selection', 'the selection names no slot');
    const live = new Map<number, Set<number>>();
    for (const p of n.slots) {
      let slots = live.get(p.segment);
      if (!slots) {
        if (!this.segmentList.some((s) => s.index === p.segment)) throw new UnfoldError('NOT_FOUND', `segment ${p.segment} is not a segment of this case`, { segment: p.segment });
        slots = new Set(this.slots(p.segment).map((r) => r.slot));
        live.set(p.segment, slots);
      }
      if (!slots.has(p.slot)) throw new UnfoldError('NOT_FOUND', `slot ${p.slot} of segment ${p.segment} is not a live slot`, { segment: p.segment, slot: p.slot });
    }
    return n;
  }

  async close(): Promise<void> {
    if (this.bg) {
      this.bg.abort.abort();
      await this.bg.done;
    }
    this.kept.clear();
    await this.pool?.close();
    this.pool = null;
    this.image.close();
  }
}


/** where a slot's stored bytes are: kernel virtual address, and physical (null when that page is not in the image) */
export interface StoredAt {
  virtual: string;
  physical: string | null;
}

/** about this many slots go to a worker in one message (see segmentResults), in at most BATCH_MAX segments */
const BATCH_SLOTS = 512;
const BATCH_MAX = 64;

/** whether a job searches pages, and so runs under the per-page time budget (one segment per message) */
function budgeted(job: Job): boolean {
  return (job.task === 'search' || job.task === 'records' || job.task === 'values') && 'query' in job && job.query !== undefined;
}

/** `p`, or sooner when `signal` aborts (the caller then checks the signal) */
function untilAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void p.then(done);
  });
}

/** a sensible buffer budget for a long-lived case: a quarter of the machine's memory, at most 4 GiB */
export function keepBudget(): number {
  return Math.min(Math.floor(totalmem() / 4), 4 * 2 ** 30);
}

export function openCase(imagePath: string, opts: OpenOptions = {}): Promise<Case> {
  return Case.open(imagePath, opts);
}
