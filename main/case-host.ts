// The case host: runs the case worker thread and turns its messages into promises (one per call) and
// events (progress, hits, done, error), so the process that serves the UI only ever waits, never works.
// If the worker dies, every pending call fails with WORKER_FAILED and the next call starts a fresh worker
// (the open case is lost; the UI says so).
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { ApiError, ApiResult, UnfoldEvent } from '../core/api';
import type { CaseWorkerData, FromWorker, ToWorker, WorkerArgs, WorkerCall, WorkerCallName, WorkerValue } from './protocol';

export interface WorkerSpec {
  /** file to start: a built .js, or core/work/bootstrap.mjs for sources run through tsx */
  file: string;
  workerData: CaseWorkerData & { __entry?: string };
}

/** the interface handlers.ts needs (tests give a fake) */
export interface CaseHostLike {
  call<M extends WorkerCallName>(method: M, ...args: WorkerArgs<M>): Promise<ApiResult<WorkerValue<M>>>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Where the case worker is: the built one beside this file (Electron build: out/main/case-worker.js, and
 * core's decode worker beside it), else the TypeScript source through core's tsx bootstrap.
 */
export function defaultWorkerSpec(opts: { threads?: number } = {}): WorkerSpec {
  const built = path.join(here, 'case-worker.js');
  if (existsSync(built)) {
    const decode = path.join(here, 'decode-worker.js');
    return { file: built, workerData: { decodeWorker: existsSync(decode) ? decode : null, threads: opts.threads } };
  }
  return {
    file: path.resolve(here, '../core/work/bootstrap.mjs'),
    workerData: {
      decodeWorker: null,
      threads: opts.threads,
      __entry: pathToFileURL(path.join(here, 'case-worker.ts')).href,
    },
  };
}

interface Pending {
  resolve: (r: ApiResult<unknown>) => void;
}

export class CaseHost implements CaseHostLike {
  private worker: Worker | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly spec: WorkerSpec,
    private readonly onEvent: (e: UnfoldEvent) => void,
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.spec.file, { workerData: this.spec.workerData });
    w.on('message', (m: FromWorker) => {
      if (m.kind === 'event') {
        this.onEvent(m.event);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m.result);
    });
    const fail = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      const error: ApiError = { code: 'WORKER_FAILED', message: `the case worker stopped: ${why}; the case has to be opened again` };
      for (const p of this.pending.values()) p.resolve({ ok: false, error });
      this.pending.clear();
    };
    w.on('error', (e) => fail(e instanceof Error ? e.message : String(e)));
    w.on('exit', (code) => fail(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  call<M extends WorkerCallName>(method: M, ...args: WorkerArgs<M>): Promise<ApiResult<WorkerValue<M>>> {
    if (this.disposed) return Promise.resolve({ ok: false, error: { code: 'WORKER_FAILED', message: 'the app is shutting down' } });
    // nothing can run in a worker that has not started: no need to start one to say so
    if (method === 'cancel' && !this.worker) return Promise.resolve({ ok: true, value: false as WorkerValue<M> });
    const id = this.nextId++;
    const message: ToWorker = { id, call: { method, args } as WorkerCall };
    return new Promise<ApiResult<WorkerValue<M>>>((resolve) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'] });
      this.start().postMessage(message);
    });
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    if (w) await this.call('closeCase');
    this.disposed = true;
    this.worker = null;
    if (w) await w.terminate();
  }
}
