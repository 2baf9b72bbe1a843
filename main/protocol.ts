// Messages between the case host (main process or browser-mode server) and the case worker thread.
// Plain structured-clone data only.
import type { ApiError, ExportRequest, OpenRequest, SaveHitsRequest, SearchRequest, StringsRequest, UnfoldEvent } from '../core/api';

export type WorkerCall =
  | { op: 'open'; req: OpenRequest }
  | { op: 'openDemo'; req: { requestId: string } }
  | { op: 'close' }
  | { op: 'current' }
  | { op: 'info'; caseId: number }
  | { op: 'stats'; caseId: number }
  | { op: 'segments'; caseId: number }
  | { op: 'slots'; caseId: number; segment: number }
  | { op: 'page'; caseId: number; segment: number; slot: number }
  | { op: 'search'; req: SearchRequest }
  | { op: 'strings'; req: StringsRequest }
  | { op: 'saveHits'; save: SaveHitsRequest }
  | { op: 'export'; req: ExportRequest };

export type WorkerOp = WorkerCall['op'];

/** host → worker */
export type ToWorker = { kind: 'call'; id: number; call: WorkerCall } | { kind: 'cancel'; id: number; requestId: string };

/** worker → host */
export type FromWorker =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: ApiError }
  | { kind: 'event'; event: UnfoldEvent };

/** what the worker thread is started with */
export interface CaseWorkerData {
  /** decode-worker file for core's pool when running bundled (Electron build); null: core decides */
  decodeWorker: string | null;
  /** decode threads for core's pool; undefined: core's default (all cores) */
  threads?: number;
  /** milliseconds between hit (and string) batches */
  hitBatchMs?: number;
}
