// Strings: the form (minimum length, encodings, filter), the running extraction, and the strings found.
// The worker filters by encoding and text, so only the strings kept cross to the page; they are buffered
// and added to the list once per animation frame, as search hits are.
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef, triggerRef } from 'vue';
import { STRINGS_LIMITS, type ProgressEvent, type StringEntry, type StringsResult, type UnfoldEvent } from '../../../core/api';
import { api, asApiError, call, newRequestId } from '../api/client';
import { explain, type Explained } from '../util/errors';

export interface StringsForm {
  min: number;
  ascii: boolean;
  utf16: boolean;
  filter: string;
}

/** how many strings the list keeps; the extraction stops there and the view says so */
export const STRINGS_CAP = STRINGS_LIMITS.defaultMaxStrings;

export const useStrings = defineStore('strings', () => {
  const form = reactive<StringsForm>({ min: STRINGS_LIMITS.defaultMin, ascii: true, utf16: true, filter: '' });
  const requestId = ref<string | null>(null);
  const running = ref(false);
  const progress = ref<ProgressEvent | null>(null);
  const strings = shallowRef<StringEntry[]>([]);
  const result = ref<StringsResult | null>(null);
  const error = ref<Explained | null>(null);
  let pending: StringEntry[] = [];
  let frame: number | null = null;

  const flush = (): void => {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    if (pending.length === 0) return;
    const list = strings.value;
    for (const s of pending) list.push(s);
    pending = [];
    triggerRef(strings);
  };

  function onEvent(e: UnfoldEvent): void {
    if (!('requestId' in e) || e.requestId !== requestId.value) return; // stale or not ours
    if (e.type === 'strings') {
      for (const s of e.strings) pending.push(s);
      frame ??= requestAnimationFrame(flush);
    } else if (e.type === 'progress') {
      progress.value = e;
    }
  }

  function clearState(): void {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    progress.value = null;
    strings.value = [];
    pending = [];
    result.value = null;
    error.value = null;
  }

  function reset(): void {
    if (requestId.value && running.value) void api().cancel(requestId.value);
    requestId.value = null;
    running.value = false;
    clearState();
  }

  /** the form's minimum as a whole number in range, or null */
  const validMin = (): number | null => {
    const m = Number(form.min);
    return Number.isInteger(m) && m >= STRINGS_LIMITS.minLength && m <= STRINGS_LIMITS.maxLength ? m : null;
  };

  async function run(caseId: number): Promise<void> {
    const min = validMin();
    if (min === null || (!form.ascii && !form.utf16)) return;
    if (requestId.value && running.value) void api().cancel(requestId.value);
    const id = newRequestId('strings');
    requestId.value = id;
    running.value = true;
    clearState();
    const filter = form.filter.slice(0, STRINGS_LIMITS.filterLength);
    try {
      const r = await call(
        api().strings({ requestId: id, caseId, min, ascii: form.ascii, utf16: form.utf16, ...(filter ? { filter } : {}), maxStrings: STRINGS_CAP }),
      );
      if (requestId.value !== id) return;
      flush();
      result.value = r;
    } catch (e) {
      if (requestId.value !== id) return;
      flush();
      error.value = explain(asApiError(e), 'strings', true);
    } finally {
      if (requestId.value === id) running.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (requestId.value && running.value) await api().cancel(requestId.value);
  }

  return { form, requestId, running, progress, strings, result, error, validMin, onEvent, reset, run, cancel };
});
