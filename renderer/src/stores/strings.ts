// Strings: the form (minimum length, encodings, filter), the running extraction, and the strings found.
// The worker filters by encoding and text, so only the strings kept cross to the page; they are buffered
// and added to the list once per animation frame, as search hits are.
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { STRINGS_LIMITS, type OwnedString, type SaveStringsResult, type StringsResult } from '../../../core/api';
import { api, call } from '../api/client';
import { useStreamedRequest } from './streamed';
import { useSaveList } from './save-list';

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
  const req = useStreamedRequest<OwnedString, StringsResult>('strings', (e) => (e.type === 'strings' ? e.strings : null));

  /** the form's minimum as a whole number in range, or null */
  const validMin = (): number | null => {
    const m = Number(form.min);
    return Number.isInteger(m) && m >= STRINGS_LIMITS.minLength && m <= STRINGS_LIMITS.maxLength ? m : null;
  };

  /** the filter the pages were last searched with (the list holds only strings containing it) */
  const ranFilter = ref('');

  // saving the listed strings: the case worker keeps the last pass's strings and applies the same filter
  const saveList = useSaveList<SaveStringsResult>(req.requestId, req.running);
  const { clearSave } = saveList;
  const saveStrings = (caseId: number): Promise<void> =>
    saveList.save((stringsId, t) => call(api().saveStrings({ caseId, stringsId, filter: form.filter.slice(0, STRINGS_LIMITS.filterLength), ...t })));

  async function run(caseId: number): Promise<void> {
    clearSave();
    const min = validMin();
    if (min === null || (!form.ascii && !form.utf16)) return;
    const filter = form.filter.slice(0, STRINGS_LIMITS.filterLength);
    ranFilter.value = filter;
    await req.start((requestId) =>
      api().strings({ requestId, caseId, min, ascii: form.ascii, utf16: form.utf16, ...(filter ? { filter } : {}), maxStrings: STRINGS_CAP }),
    );
  }

  const { requestId, running, progress, items: strings, result, error, onEvent, reset, cancel } = req;
  return {
    form, ranFilter, requestId, running, progress, strings, result, error, validMin, onEvent, reset, run, cancel,
    ...saveList, saveStrings,
  };
});
