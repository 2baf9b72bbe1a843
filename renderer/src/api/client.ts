// The renderer's one way to reach Unfold: window.unfold in Electron (preload), else the browser-mode
// HTTP client. Stores call `call()`, which turns an ApiResult error into a thrown ApiFailure.
import type { ApiError, ApiResult, UnfoldBridge } from '../../../core/api';
import { createHttpBridge } from './http';
import { browserTokenPlace, takeToken } from './token';

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
  get code(): string {
    return this.error.code;
  }
}

let bridge: UnfoldBridge | null = null;
let readyPromise: Promise<void> = Promise.resolve();

export function api(): UnfoldBridge {
  if (bridge) return bridge;
  if (window.unfold) {
    bridge = window.unfold;
  } else {
    const token = takeToken(browserTokenPlace());
    const http = createHttpBridge(token);
    readyPromise = http.ready();
    bridge = http;
  }
  return bridge;
}

export const isElectron = (): boolean => window.unfold !== undefined;

/** the event stream is connected (browser mode) */
export function apiReady(): Promise<void> {
  api();
  return readyPromise;
}

export async function call<T>(p: Promise<ApiResult<T>>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new ApiFailure(r.error);
  return r.value;
}

export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiFailure) return e.error;
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

let counter = 0;
/** a fresh request id: a per-page random prefix and a counter */
const prefix = Math.random().toString(36).slice(2, 8);
export function newRequestId(kind: string): string {
  return `${kind}-${prefix}-${++counter}`;
}
