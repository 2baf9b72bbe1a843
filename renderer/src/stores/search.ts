// Search: the form, the running request, and its hits. Hits stream in as events; they are buffered
// and added to the list once per animation frame, so a flood of hits costs one re-render per frame.
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef, triggerRef } from 'vue';
import type { HitsFormat, ProgressEvent, SaveHitsResult, SearchHit, SearchResult, UnfoldEvent } from '../../../core/api';
import { api, asApiError, call, newRequestId } from '../api/client';
import { explain, type Explained } from '../util/errors';

export interface SearchForm {
  strings: string;
  regexes: string;
  hex: string;
  yara: string;
  utf16: boolean;
  ascii: boolean;
  ignoreCase: boolean;
}

/** the format a file name asks for: .json is JSON, anything else CSV */
export const formatOf = (file: string): HitsFormat => (/\.json$/i.test(file.trim()) ? 'json' : 'csv');

const lines = (t: string): string[] => t.split('\n').map((s) => s.replace(/\r$/, '')).filter((s) => s.trim().length > 0);

export const useSearch = defineStore('search', () => {
  const form = reactive<SearchForm>({ strings: '', regexes: '', hex: '', yara: '', utf16: false, ascii: true, ignoreCase: false });
  const requestId = ref<string | null>(null);
  const running = ref(false);
  const progress = ref<ProgressEvent | null>(null);
  const hits = shallowRef<SearchHit[]>([]);
  const result = ref<SearchResult | null>(null);
  const error = ref<Explained | null>(null);
  let pending: SearchHit[] = [];
  let frame: number | null = null;

  // saving the hit list: main writes the hits the case worker kept for this search's request id
  const saveOut = ref('');
  const saveFormat = ref<'auto' | HitsFormat>('auto');
  const saveOverwrite = ref(false);
  const saving = ref(false);
  const saveResult = ref<SaveHitsResult | null>(null);
  const saveError = ref<Explained | null>(null);
  const effectiveFormat = (): HitsFormat => (saveFormat.value === 'auto' ? formatOf(saveOut.value) : saveFormat.value);

  function clearSave(): void {
    saveResult.value = null;
    saveError.value = null;
  }

  async function pickSaveFile(): Promise<void> {
    try {
      const p = await call(api().pickHitsFile(effectiveFormat()));
      if (p) saveOut.value = p;
    } catch (e) {
      saveError.value = explain(asApiError(e), 'save', true);
    }
  }

  async function saveHits(caseId: number): Promise<void> {
    const searchId = requestId.value;
    const out = saveOut.value.trim();
    if (!searchId || running.value || !out) return;
    saving.value = true;
    clearSave();
    try {
      const r = await call(api().saveHits({ caseId, searchId, out, format: effectiveFormat(), overwrite: saveOverwrite.value }));
      if (requestId.value === searchId) saveResult.value = r;
    } catch (e) {
      if (requestId.value === searchId) saveError.value = explain(asApiError(e), 'save', true);
    } finally {
      saving.value = false;
    }
  }

  const flush = (): void => {
    frame = null;
    if (pending.length === 0) return;
    hits.value.push(...pending);
    pending = [];
    triggerRef(hits);
  };

  function onEvent(e: UnfoldEvent): void {
    if (!('requestId' in e) || e.requestId !== requestId.value) return; // stale or not ours
    if (e.type === 'hits') {
      pending.push(...e.hits);
      frame ??= requestAnimationFrame(flush);
    } else if (e.type === 'progress') {
      progress.value = e;
    }
  }

  function reset(): void {
    if (requestId.value && running.value) void api().cancel(requestId.value);
    requestId.value = null;
    running.value = false;
    progress.value = null;
    hits.value = [];
    pending = [];
    result.value = null;
    error.value = null;
    clearSave();
  }

  async function run(caseId: number): Promise<void> {
    if (requestId.value && running.value) void api().cancel(requestId.value);
    const id = newRequestId('search');
    requestId.value = id;
    running.value = true;
    progress.value = null;
    hits.value = [];
    pending = [];
    result.value = null;
    error.value = null;
    clearSave();
    try {
      const r = await call(
        api().search({
          requestId: id,
          caseId,
          strings: lines(form.strings),
          regexes: lines(form.regexes),
          hex: lines(form.hex),
          yara: form.yara.trim() ? [form.yara] : [],
          utf16: form.utf16,
          ascii: form.ascii,
          ignoreCase: form.ignoreCase,
        }),
      );
      if (requestId.value !== id) return;
      flush();
      result.value = r;
    } catch (e) {
      if (requestId.value !== id) return;
      flush();
      error.value = explain(asApiError(e), 'search', true);
    } finally {
      if (requestId.value === id) running.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (requestId.value && running.value) await api().cancel(requestId.value);
  }

  return {
    form, requestId, running, progress, hits, result, error, onEvent, reset, run, cancel,
    saveOut, saveFormat, saveOverwrite, saving, saveResult, saveError, effectiveFormat, clearSave, pickSaveFile, saveHits,
  };
});
