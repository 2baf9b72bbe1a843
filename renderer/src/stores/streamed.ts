// The part search and strings share: one streamed request at a time, identified by a request id so
// events of a replaced or cancelled request are dropped, with its items buffered and added to the
// list once per animation frame (a flood of items costs one re-render per frame), its progress, its
// final result and its error in words a person understands.
import { ref, shallowRef, triggerRef, type Ref, type ShallowRef } from 'vue';
import type { ApiResult, ProgressEvent, UnfoldEvent } from '../../../core/api';
import { api, asApiError, call, newRequestId } from '../api/client';
import { explain, type ErrorContext, type Explained } from '../util/errors';

export interface StreamedRequest<Item, Result> {
  requestId: Ref<string | null>;
  running: Ref<boolean>;
  progress: Ref<ProgressEvent | null>;
  items: ShallowRef<Item[]>;
  result: Ref<Result | null>;
  error: Ref<Explained | null>;
  onEvent(e: UnfoldEvent): void;
  /** drop everything (a new case, or the case closed); cancels a running request */
  reset(): void;
  /** start a new request (cancelling the one running) and wait for its end */
  start(request: (requestId: string) => Promise<ApiResult<Result>>): Promise<void>;
  cancel(): Promise<void>;
}

/**
 * `itemsOf` picks this request kind's items out of an event (null for events of another kind);
 * `what` names the action in error messages ('search', 'strings').
 */
export function useStreamedRequest<Item, Result>(what: ErrorContext & string, itemsOf: (e: UnfoldEvent) => readonly Item[] | null): StreamedRequest<Item, Result> {
  const requestId = ref<string | null>(null);
  const running = ref(false);
  const progress = ref<ProgressEvent | null>(null);
  const items = shallowRef<Item[]>([]);
  const result = ref<Result | null>(null) as Ref<Result | null>;
  const error = ref<Explained | null>(null);
  let pending: Item[] = [];
  let frame: number | null = null;

  const flush = (): void => {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    if (pending.length === 0) return;
    // a loop, not push(...pending): a frame can gather more items than a call may take arguments
    const list = items.value;
    for (const it of pending) list.push(it);
    pending = [];
    triggerRef(items);
  };

  function onEvent(e: UnfoldEvent): void {
    if (!('requestId' in e) || e.requestId !== requestId.value) return; // stale or not ours
    const got = itemsOf(e);
    if (got) {
      for (const it of got) pending.push(it);
      frame ??= requestAnimationFrame(flush);
    } else if (e.type === 'progress') {
      progress.value = e;
    }
  }

  function clearState(): void {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    pending = [];
    progress.value = null;
    items.value = [];
    result.value = null;
    error.value = null;
  }

  function reset(): void {
    if (requestId.value && running.value) void api().cancel(requestId.value);
    requestId.value = null;
    running.value = false;
    clearState();
  }

  async function start(request: (requestId: string) => Promise<ApiResult<Result>>): Promise<void> {
    if (requestId.value && running.value) void api().cancel(requestId.value);
    const id = newRequestId(what);
    requestId.value = id;
    running.value = true;
    clearState();
    try {
      const r = await call(request(id));
      if (requestId.value !== id) return;
      flush();
      result.value = r;
    } catch (e) {
      if (requestId.value !== id) return;
      flush();
      error.value = explain(asApiError(e), what, true, items.value.length);
    } finally {
      if (requestId.value === id) running.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (requestId.value && running.value) await api().cancel(requestId.value);
  }

  return { requestId, running, progress, items, result, error, onEvent, reset, start, cancel };
}
