// A small fixed pool of worker threads for decode/hash/search work. Jobs carry segment buffers as
// transferable ArrayBuffers so nothing is copied between threads; results come back the same way.
// With threads = 0 the job function runs inline on the calling thread (tests, tiny images, and
// `Case.page()` where starting a thread would cost more than the work).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import path from 'node:path';

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
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const r = esbuild.buildSync({
      entryPoints: [tsEntry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles[0]!.contents;
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const dir = path.join(here, '..', '..', 'node_modules', '.cache', 'unfold');
    const file = path.join(dir, `decode-worker-${hash}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    }
    bundled = file;
  } catch {
    bundled = null;
  }
  return bundled;
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 16));
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Each worker is given up to DEPTH jobs at once: the next job already waits in the worker's own
 * message queue when it finishes one, so no worker idles for a round trip through this thread.
 */
const DEPTH = 2;

export class WorkerPool {
  private workers: Worker[] = [];
  private queue: { msg: unknown; transfer: ArrayBuffer[]; p: Pending }[] = [];
  /** jobs sent to each worker, oldest first (a worker answers in order) */
  private inflight = new Map<Worker, Pending[]>();
  private closed = false;

  constructor(
    readonly size: number,
    entry = defaultEntry(),
  ) {
    const isTs = entry.endsWith('.ts');
    for (let i = 0; i < size; i++) {
      const w = isTs
        ? new Worker(new URL('./bootstrap.mjs', import.meta.url), { workerData: { __entry: pathToHref(entry) } })
        : new Worker(entry);
      this.inflight.set(w, []);
      w.on('message', (m: { ok: boolean; result?: unknown; error?: { message: string; code?: string } }) => {
        const p = this.inflight.get(w)?.shift();
        this.pump();
        if (!p) return;
        if (m.ok) p.resolve(m.result);
        else p.reject(Object.assign(new Error(m.error?.message ?? 'worker failed'), { code: m.error?.code }));
      });
      w.on('error', (e) => {
        const list = this.inflight.get(w) ?? [];
        this.inflight.set(w, []);
        for (const p of list) p.reject(e);
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** queued jobs + jobs running */
  get load(): number {
    let n = this.queue.length;
    for (const l of this.inflight.values()) n += l.length;
    return n;
  }

  run<T>(msg: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ msg, transfer, p: { resolve: resolve as (v: unknown) => void, reject } });
      this.pump();
    });
  }

  /** hand queued jobs to the least busy workers, up to DEPTH each */
  private pump(): void {
    while (this.queue.length) {
      let best: Worker | null = null;
      let bestLoad = DEPTH;
      for (const w of this.workers) {
        const l = this.inflight.get(w)!.length;
        if (l < bestLoad) {
          best = w;
          bestLoad = l;
        }
      }
      if (!best) return;
      const job = this.queue.shift()!;
      this.inflight.get(best)!.push(job.p);
      best.ref();
      best.postMessage(job.msg, job.transfer);
    }
    for (const w of this.workers) if (this.inflight.get(w)!.length === 0) w.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue) q.p.reject(new Error('worker pool closed'));
    this.queue = [];
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}

function pathToHref(p: string): string {
  return new URL(`file://${path.resolve(p)}`).href;
}
