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

export class WorkerPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { msg: unknown; transfer: ArrayBuffer[]; p: Pending }[] = [];
  private inflight = new Map<Worker, Pending>();
  private closed = false;

  constructor(readonly size: number, entry = defaultEntry()) {
    const isTs = entry.endsWith('.ts');
    for (let i = 0; i < size; i++) {
      const w = isTs
        ? new Worker(new URL('./bootstrap.mjs', import.meta.url), { workerData: { __entry: pathToHref(entry) } })
        : new Worker(entry);
      w.on('message', (m: { ok: boolean; result?: unknown; error?: { message: string; code?: string } }) => {
        const p = this.inflight.get(w);
        this.inflight.delete(w);
        this.release(w);
        if (!p) return;
        if (m.ok) p.resolve(m.result);
        else p.reject(Object.assign(new Error(m.error?.message ?? 'worker failed'), { code: m.error?.code }));
      });
      w.on('error', (e) => {
        const p = this.inflight.get(w);
        this.inflight.delete(w);
        if (p) p.reject(e);
      });
      w.unref();
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** queued jobs + jobs running */
  get load(): number {
    return this.queue.length + this.inflight.size;
  }

  run<T>(msg: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject };
      const w = this.idle.pop();
      if (w) this.dispatch(w, msg, transfer, p);
      else this.queue.push({ msg, transfer, p });
    });
  }

  private dispatch(w: Worker, msg: unknown, transfer: ArrayBuffer[], p: Pending): void {
    this.inflight.set(w, p);
    w.ref();
    w.postMessage(msg, transfer);
  }

  private release(w: Worker): void {
    const next = this.queue.shift();
    if (next) this.dispatch(w, next.msg, next.transfer, next.p);
    else {
      w.unref();
      this.idle.push(w);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue) q.p.reject(new Error('worker pool closed'));
    this.queue = [];
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}

function pathToHref(p: string): string {
  return new URL(`file://${path.resolve(p)}`).href;
}
