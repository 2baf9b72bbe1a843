// Export: the form (layout, folder, overwrite), progress, and the summary with the manifest's hash.
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { ExportLayout, ExportSummary, ProgressEvent, UnfoldEvent } from '../../../core/api';
import { api, asApiError, call, newRequestId } from '../api/client';
import { explain, type Explained } from '../util/errors';

export const useExport = defineStore('export', () => {
  const out = ref('');
  const layout = ref<ExportLayout>('slots');
  const overwrite = ref(false);
  /** written into the manifest as `case` (empty fields are left out) */
  const caseFields = reactive({ caseNumber: '', examiner: '', notes: '' });
  const shown = ref('');
  const requestId = ref<string | null>(null);
  const running = ref(false);
  const progress = ref<ProgressEvent | null>(null);
  const result = ref<ExportSummary | null>(null);
  const error = ref<Explained | null>(null);

  function onEvent(e: UnfoldEvent): void {
    if (e.type === 'progress' && e.requestId === requestId.value) progress.value = e;
  }

  function reset(): void {
    requestId.value = null;
    running.value = false;
    progress.value = null;
    result.value = null;
    error.value = null;
  }

  async function pickFolder(): Promise<void> {
    try {
      const p = await call(api().pickExportFolder());
      if (p) out.value = p;
    } catch (e) {
      error.value = explain(asApiError(e), 'export', true);
    }
  }

  async function run(caseId: number): Promise<void> {
    const id = newRequestId('export');
    requestId.value = id;
    running.value = true;
    progress.value = null;
    result.value = null;
    error.value = null;
    try {
      const fields = Object.fromEntries(Object.entries(caseFields).filter(([, v]) => v.trim() !== ''));
      const r = await call(
        api().export({ requestId: id, caseId, out: out.value.trim(), layout: layout.value, overwrite: overwrite.value, ...(Object.keys(fields).length ? { caseFields: fields } : {}) }),
      );
      if (requestId.value === id) result.value = r;
    } catch (e) {
      if (requestId.value === id) error.value = explain(asApiError(e), 'export', true);
    } finally {
      if (requestId.value === id) running.value = false;
    }
  }

  /** the desktop app opens the folder in Finder; browser mode copies its path (the browser cannot open it) */
  async function showFolder(p: string, dialogs: boolean): Promise<void> {
    shown.value = '';
    try {
      if (dialogs) {
        await call(api().showInFolder(p));
        shown.value = 'shown in the file manager';
      } else {
        await navigator.clipboard.writeText(p);
        shown.value = 'path copied';
      }
    } catch (e) {
      shown.value = dialogs ? explain(asApiError(e), 'export', true).what : 'the clipboard is not available here: select the path and copy it';
    }
  }

  async function cancel(): Promise<void> {
    if (requestId.value && running.value) await api().cancel(requestId.value);
  }

  return { out, layout, overwrite, caseFields, shown, showFolder, requestId, running, progress, result, error, onEvent, reset, pickFolder, run, cancel };
});
