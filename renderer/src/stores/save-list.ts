// Saving a streamed result list (search hits, strings) to a file: the form's state and the one call,
// shared by the stores that offer it. The case worker writes the list it kept for the request id,
// so an answer is shown only while that request is still the store's current one.
import { ref, type Ref } from 'vue';
import type { HitsFormat } from '../../../core/api';
import { api, asApiError, call } from '../api/client';
import { explain, type Explained } from '../util/errors';

/** the format a file name asks for: .json is JSON, anything else CSV */
export const formatOf = (file: string): HitsFormat => (/\.json$/i.test(file.trim()) ? 'json' : 'csv');

export interface SaveTarget {
  out: string;
  format: HitsFormat;
  overwrite: boolean;
}

export function useSaveList<R>(requestId: Ref<string | null>, running: Ref<boolean>) {
  const saveOut = ref('');
  const saveFormat = ref<'auto' | HitsFormat>('auto');
  const saveOverwrite = ref(false);
  const saving = ref(false);
  const saveResult = ref<R | null>(null) as Ref<R | null>;
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

  /** write the list of the current request through `write` (given that request's id and the form's target) */
  async function save(write: (id: string, target: SaveTarget) => Promise<R>): Promise<void> {
    const id = requestId.value;
    const out = saveOut.value.trim();
    if (!id || running.value || !out) return;
    saving.value = true;
    clearSave();
    try {
      const r = await write(id, { out, format: effectiveFormat(), overwrite: saveOverwrite.value });
      if (requestId.value === id) saveResult.value = r;
    } catch (e) {
      if (requestId.value === id) saveError.value = explain(asApiError(e), 'save', true);
    } finally {
      saving.value = false;
    }
  }

  return { saveOut, saveFormat, saveOverwrite, saving, saveResult, saveError, effectiveFormat, clearSave, pickSaveFile, save };
}
