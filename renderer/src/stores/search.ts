// Search: the form, the running request, and its hits. Hits stream in as events; they are buffered
// and added to the list once per animation frame, so a flood of hits costs one re-render per frame.
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import type { SaveHitsResult, SearchHit, SearchResult } from '../../../core/api';
import { api, call } from '../api/client';
import { useStreamedRequest } from './streamed';
import { useSaveList } from './save-list';

export interface SearchForm {
  strings: string;
  regexes: string;
  hex: string;
  yara: string;
  utf16: boolean;
  ascii: boolean;
  ignoreCase: boolean;
}


const lines = (t: string): string[] => t.split('\n').map((s) => s.replace(/\r$/, '')).filter((s) => s.trim().length > 0);

export const useSearch = defineStore('search', () => {
  const form = reactive<SearchForm>({ strings: '', regexes: '', hex: '', yara: '', utf16: false, ascii: true, ignoreCase: false });
  const req = useStreamedRequest<SearchHit, SearchResult>('search', (e) => (e.type === 'hits' ? e.hits : null));
  const { requestId, running, progress, items: hits, result, error, onEvent, cancel } = req;

  // saving the hit list: main writes the hits the case worker kept for this search's request id
  const saveList = useSaveList<SaveHitsResult>(requestId, running);
  const { clearSave } = saveList;
  const saveHits = (caseId: number): Promise<void> => saveList.save((searchId, t) => call(api().saveHits({ caseId, searchId, ...t })));

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
    ...saveList, saveHits,
  };
});
