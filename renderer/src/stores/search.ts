// Search: the form, the running request, and its hits. Hits stream in as events; they are buffered
// and added to the list once per animation frame, so a flood of hits costs one re-render per frame.
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { HitsFormat, SaveHitsResult, SearchHit, SearchResult } from '../../../core/api';
import { api, asApiError, call } from '../api/client';
import { useStreamedRequest } from './streamed';
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
  const req = useStreamedRequest<SearchHit, SearchResult>('search', (e) => (e.type === 'hits' ? e.hits : null));
  const { requestId, running, progress, items: hits, result, error, onEvent, cancel } = req;

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

  function reset(): void {
    req.reset();
    clearSave();
  }

  async function run(caseId: number): Promise<void> {
    clearSave();
    await req.start((id) =>
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
  }

  return {
    form, requestId, running, progress, hits, result, error, onEvent, reset, run, cancel,
    saveOut, saveFormat, saveOverwrite, saving, saveResult, saveError, effectiveFormat, clearSave, pickSaveFile, saveHits,
  };
});
