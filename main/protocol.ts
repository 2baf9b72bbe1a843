// Messages between the case host (main process or browser-mode server) and the case worker thread,
// derived from the API's declarations (core/api.ts): a call names an API method and carries its
// argument list exactly as the handler validated it, and the reply is the method's ApiResult.
// Plain structured-clone data only.
import type { ApiArgs, ApiMethod, ApiResult, ApiValue, OpenCase, UnfoldEvent } from '../core/api';

/** methods the host process answers itself (settings, native dialogs); every other one runs in the case worker */
export const HOST_METHODS = ['environment', 'pickImage', 'pickSymbols', 'pickExportFolder', 'pickHitsFile', 'getRecentSymbols', 'showInFolder'] as const satisfies readonly ApiMethod[];
export type HostMethod = (typeof HOST_METHODS)[number];
export type WorkerMethod = Exclude<ApiMethod, HostMethod>;

/** what the case worker answers: its API methods and one call of the host's own (the case that is open, for `environment`) */
export type WorkerApi = { [M in WorkerMethod]: { args: ApiArgs<M>; value: ApiValue<M> } } & {
  currentCase: { args: []; value: OpenCase | null };
};
export type WorkerCallName = keyof WorkerApi;
export type WorkerArgs<M extends WorkerCallName> = WorkerApi[M]['args'];
export type WorkerValue<M extends WorkerCallName> = WorkerApi[M]['value'];

export type WorkerCall = { [M in WorkerCallName]: { method: M; args: WorkerArgs<M> } }[WorkerCallName];

/** host → worker */
export type ToWorker = { id: number; call: WorkerCall };

/** worker → host */
export type FromWorker = { kind: 'reply'; id: number; result: ApiResult<unknown> } | { kind: 'event'; event: UnfoldEvent };

/** what the worker thread is started with */
export interface CaseWorkerData {
  /** decode-worker file for core's pool when running bundled (Electron build); null: core decides */
  decodeWorker: string | null;
  /** decode threads for core's pool; undefined: core's default (all cores) */
  threads?: number;
  /** milliseconds between hit (and string) batches */
  hitBatchMs?: number;
}
