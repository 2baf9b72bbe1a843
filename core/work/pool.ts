// A small fixed pool of worker threads for decode/hash/search work. Jobs carry segment buffers as
// transferable ArrayBuffers so nothing is copied between threads; results come back the same way.
// With threads = 0 the job function runs inline on the calling thread (tests, tiny images, and
// `Case.page()` where starting a thread would cost more than the work).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CancelledError, reviveError } from '../errors';
import { readHeartbeat } from './watch';

export interface WorkerEntry {
  /** absolute path of the worker module (.ts run through tsx, or a built .js) */
  file: string;
}

let configuredEntry: string | null = null;

/** Bundled builds (the Electron main process) point the pool at their compiled worker file. */
export function configureWorkerEntry(file: string | null): void {
  configuredEntry = file;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function defaultEntry(): string {
  if (configuredEntry) return configuredEntry;
  if (process.env.UNFOLD_WORKER_ENTRY) return process.env.UNFOLD_WORKER_ENTRY;
  const js = path.join(here, 'decode-worker.js');
  if (existsSync(js)) return js;
  const ts = path.join(here, 'decode-worker.ts');
  return bundledWorker(ts) ?? ts;
}

let bundled: string | null | undefined;

/**
 * Running from source, each worker would load every module through tsx's loader thread, which
 * costs most of a second per worker. One esbuild bundle of the worker (packages left external, so
 * native modules load from node_modules) starts in a few milliseconds. The file is named by its
 * content hash, so stale bundles are never used; if esbuild is unavailable the .ts path is used.
 */
function bundledWorker(tsEntry: string): string | null {
  if (bundled !== undefined) return bundled;
  bundled = null;
  try {
    bundled = bundleWorker(tsEntry, path.join(here, '..', '..', 'node_modules', '.cache', 'unfold')).file;
  } catch {
    bundled = null;
  }
  return bundled;
}

/** what a bundle was built from: each input file with its size and modification time */
interface BundleStamp {
  entry: string;
  file: string;
  inputs: Array<[file: string, mtimeMs: number, size: number]>;
}

/**
 * The worker bundle of `tsEntry` in `dir`. Bundling costs 70–180 ms of wall clock (and esbuild's
 * own process) at every start of the CLI; a stamp beside the bundle records its inputs' sizes and
 * modification times, and while none of them changed the bundle is used as it is (about 60 stat
 * calls). Throws when esbuild is unavailable.
 */
export function bundleWorker(tsEntry: string, dir: string): { file: string; reused: boolean } {
  const stampFile = path.join(dir, `decode-worker-${createHash('sha256').update(tsEntry).digest('hex').slice(0, 12)}.inputs.json`);
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as BundleStamp;
    const same = (f: string, m: number, size: number): boolean => {
      const st = statSync(f, { throwIfNoEntry: false });
      return st !== undefined && st.mtimeMs === m && st.size === size;
    };
    if (stamp.entry === tsEntry && existsSync(stamp.file) && stamp.inputs.length > 0 && stamp.inputs.every(([f, m, size]) => same(f, m, size))) {
      return { file: stamp.file, reused: true };
    }
  } catch {
    // no stamp yet, or an unreadable one: build
  }
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const root = path.dirname(tsEntry);
  const started = Date.now();
  const r = esbuild.buildSync({
    entryPoints: [tsEntry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  const code = r.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = path.join(dir, `decode-worker-${hash}.mjs`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  const inputs: BundleStamp['inputs'] = [];
  for (const rel of Object.keys(r.metafile!.inputs)) {
    const f = path.resolve(root, rel);
    const st = statSync(f, { throwIfNoEntry: false });
    // a file changed while (or just before) it was bundled may not be in the bundle as it is now: no stamp
    if (!st || st.mtimeMs >= started - 2000) return { file, reused: false };
    inputs.push([f, st.mtimeMs, st.size]);
  }
  const tmp = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ entry: tsEntry, file, inputs } satisfies BundleStamp));
  renameSync(tmp, stampFile);
  return { file, reused: false };
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 16));
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** the message, kept so a job can be handed to another worker when its thread is stopped */
  msg: unknown;
  transfer: ArrayBuffer[];
  opts: RunOptions;
}

export interface RunOptions {
  /** jobs of one operation (a search, an export) that cancel() stops together */
  group?: number;
  /** a page searched longer than this stops the worker and the job fails with PageTimeoutError */
  pageBudgetMs?: number;
}

/** A page of a job ran past its search budget; the worker was stopped. `index` is the page's place in the job. */
export class PageTimeoutError extends Error {
  constructor(
    readonly index: number,
    readonly ms: number,
  ) {
    super(`a page took more than ${ms} ms to search`);
    this.name = 'PageTimeoutError';
  }
}

let nextGroup = 1;
/** a fresh group id for RunOptions.group */
export function newRunGroup(): number {
  return nextGroup++;
}

interface Slot {
  worker: Worker;
  beat: Int32Array;
  epoch: number;
}

/**
 * Each worker is given up to DEPTH jobs at once: the next job already waits in the worker's own
 * message queue when it finishes one, so no worker idles for a round trip through this thread.
 */
const DEPTH = 2;

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  /** jobs sent to each worker, oldest first (a worker answers in order) */
  private inflight = new Map<Worker, Pending[]>();
  private closed = false;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly isTs: boolean;

  constructor(
    readonly size: number,
    private readonly entry = defaultEntry(),
  ) {
    this.isTs = entry.endsWith('.ts');
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const w = this.isTs
      ? new Worker(new URL('./bootstrap.mjs', import.meta.url), { workerData: { __entry: pathToHref(this.entry) } })
      : new Worker(this.entry);
    const sab = new SharedArrayBuffer(8);
    const slot: Slot = { worker: w, beat: new Int32Array(sab), epoch: Date.now() };
    w.postMessage({ __heartbeat: sab, epoch: slot.epoch });
    this.inflight.set(w, []);
    w.on('message', (m: { ok: boolean; result?: unknown; error?: { message: string; code?: string; name?: string; details?: Record<string, unknown> } }) => {
      const p = this.inflight.get(w)?.shift();
      this.pump();
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(reviveError(m.error));
    });
    const fail = (e: unknown): void => {
      const list = this.inflight.get(w) ?? [];
      this.inflight.set(w, []);
      for (const p of list) p.reject(e);
    };
    w.on('error', fail);
    // a thread that ends without answering (out of memory, killed) must not leave its jobs unsettled
    w.on('exit', (code) => {
      if (!this.inflight.has(w)) return;
      fail(Object.assign(new Error(`a worker thread stopped (exit code ${code}) before finishing its work`), { code: 'WORKER_FAILED' }));
      this.inflight.delete(w);
      const at = this.slots.findIndex((s) => s.worker === w);
      if (at >= 0 && !this.closed) {
        this.slots[at] = this.spawn();
        this.pump();
      }
    });
    w.unref();
    return slot;
  }

  /** queued jobs + jobs running */
  get load(): number {
    let n = this.queue.length;
    for (const l of this.inflight.values()) n += l.length;
    return n;
  }

  run<T>(msg: unknown, transfer: ArrayBuffer[] = [], opts: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ msg, transfer, opts, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** hand queued jobs to the least busy workers, up to DEPTH each */
  private pump(): void {
    while (this.queue.length) {
      let best: Worker | null = null;
      let bestLoad = DEPTH;
      for (const { worker } of this.slots) {
        const l = this.inflight.get(worker)?.length ?? DEPTH;
        if (l < bestLoad) {
          best = worker;
          bestLoad = l;
        }
      }
      if (!best) break;
      const job = this.queue.shift()!;
      this.inflight.get(best)!.push(job);
      best.ref();
      best.postMessage(job.msg, job.transfer);
    }
    let watched = false;
    for (const { worker } of this.slots) {
      const list = this.inflight.get(worker) ?? [];
      if (list.length === 0) worker.unref();
      if (list.some((p) => p.opts.pageBudgetMs !== undefined)) watched = true;
    }
    if (watched && !this.watchdog) {
      this.watchdog = setInterval(() => this.watch(), 50);
      this.watchdog.unref();
    } else if (!watched && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
  }

  /** stops a worker whose current page ran past its job's budget; its job fails with PageTimeoutError */
  private watch(): void {
    for (const s of this.slots) {
      const head = this.inflight.get(s.worker)?.[0];
      const budget = head?.opts.pageBudgetMs;
      if (!head || budget === undefined) continue;
      const hb = readHeartbeat(s.beat, s.epoch);
      if (hb && hb.ms > budget) this.replace(s, (p) => (p === head ? new PageTimeoutError(hb.index, budget) : null));
    }
  }

  /**
   * Stops a worker and starts a fresh one in its place. Each job it held is failed with the error
   * `why` gives it, or (null) handed back to the queue to run elsewhere.
   */
  private replace(s: Slot, why: (p: Pending) => Error | null): void {
    const list = this.inflight.get(s.worker) ?? [];
    this.inflight.delete(s.worker);
    void s.worker.terminate();
    const at = this.slots.indexOf(s);
    const fresh = this.spawn();
    if (at >= 0) this.slots[at] = fresh;
    const again: Pending[] = [];
    for (const p of list) {
      const e = why(p);
      if (e) p.reject(e);
      else again.push(p);
    }
    this.queue.unshift(...again);
    this.pump();
  }

  /**
   * Cancels the jobs of one group at once: queued ones are dropped, and every thread running one is
   * stopped (a regex stuck in a page would otherwise keep it busy) and replaced, so the next request
   * is answered at once. Jobs of other groups on those threads run again elsewhere.
   */
  cancel(group: number): void {
    const mine = (p: Pending) => p.opts.group === group;
    const dropped = this.queue.filter(mine);
    this.queue = this.queue.filter((p) => !mine(p));
    for (const p of dropped) p.reject(new CancelledError());
    for (const s of [...this.slots]) {
      if ((this.inflight.get(s.worker) ?? []).some(mine)) this.replace(s, (p) => (mine(p) ? new CancelledError() : null));
    }
  }

  /** the worker threads running now (for tests: a cancelled search leaves none busy) */
  get threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const q of this.queue) q.reject(new Error('worker pool closed'));
    this.queue = [];
    const ws = this.slots.map((s) => s.worker);
    // jobs still running must settle: a caller awaiting one would otherwise wait forever (and a
    // process whose last await never settles ends with exit code 13)
    for (const w of ws) {
      for (const p of this.inflight.get(w) ?? []) p.reject(new Error('worker pool closed'));
      this.inflight.delete(w);
    }
    await Promise.all(ws.map((w) => w.terminate()));
    this.slots = [];
  }
}

function pathToHref(p: string): string {
  return new URL(`file://${path.resolve(p)}`).href;
}
