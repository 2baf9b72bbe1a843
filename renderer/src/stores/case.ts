// The case: environment, opening (with progress and cancel), the open case's info and stats, and the
// error of the last open. Events of an open that has since been replaced or cancelled are dropped.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { OpenCase, CaseStats, Environment, ProgressEvent, UnfoldEvent } from '../../../core/api';
import { api, apiReady, asApiError, call, newRequestId } from '../api/client';
import { explain, type Explained } from '../util/errors';
import { basename } from '../util/format';
import { useUi, type Route, type Screen } from './ui';
import { useSegments } from './segments';
import { useSearch } from './search';
import { useStrings } from './strings';
import { useExport } from './export';
import { useProcesses } from './processes';

export interface Opening {
  requestId: string;
  label: string;
  progress: ProgressEvent | null;
  cancelling: boolean;
}

export const useCase = defineStore('case', () => {
  const env = ref<Environment | null>(null);
  const info = shallowRef<OpenCase | null>(null);
  const stats = shallowRef<CaseStats | null>(null);
  const opening = ref<Opening | null>(null);
  const error = ref<Explained | null>(null);
  const imagePath = ref('');
  const symbolsPath = ref('');

  /** the background pass that decodes every page once the overview is shown (hashes are taken where shown or written) */
  const decoding = ref<ProgressEvent | null>(null);

  function onEvent(e: UnfoldEvent): void {
    if (e.type === 'progress' && opening.value && e.requestId === opening.value.requestId) opening.value.progress = e;
    const bg = info.value?.decodeRequestId;
    if (!bg || !('requestId' in e) || e.requestId !== bg) return;
    if (e.type === 'progress') decoding.value = e;
    else if (e.type === 'done' || e.type === 'error') {
      decoding.value = null;
      if (e.type === 'done') void refreshDecoded(info.value!.caseId);
    }
  }

  /** once every page is decoded: counts by kind as decoding found them, the segments, the histogram */
  async function refreshDecoded(caseId: number): Promise<void> {
    try {
      const c = await call(api().getInfo(caseId));
      if (info.value?.caseId !== caseId) return;
      info.value = c;
      await useSegments().refresh(caseId);
      const s = await call(api().getStats(caseId));
      if (info.value?.caseId === caseId) stats.value = s;
    } catch {
      // the overview keeps what the metadata said
    }
  }

  async function stopDecoding(): Promise<void> {
    const id = info.value?.decodeRequestId;
    if (id) await api().cancel(id);
  }

  async function adopt(c: OpenCase): Promise<void> {
    info.value = c;
    // the Open form shows the files in use, not what was remembered from an earlier run
    if (!c.demo) imagePath.value = c.image.path;
    if (/^(\/|[A-Za-z]:[\\/])/.test(c.kernel.symbols)) symbolsPath.value = c.kernel.symbols;
    stats.value = null;
    decoding.value = null;
    error.value = null;
    useSearch().reset();
    useStrings().reset();
    useExport().reset();
    const procsInfo = c.processes;
    await Promise.all([useSegments().load(c.caseId), useProcesses().load(c.caseId, procsInfo && !procsInfo.available ? (procsInfo.reason ?? 'no process walk') : null)]);
    try {
      const s = await call(api().getStats(c.caseId));
      if (info.value?.caseId === c.caseId) stats.value = s;
    } catch {
      // the overview shows its charts without the histogram; nothing else depends on it
    }
  }

  async function init(): Promise<void> {
    await apiReady();
    try {
      env.value = await call(api().environment());
      const startup = env.value.startup;
      const startupSymbols = startup && startup !== 'demo' ? startup.symbolsPath : undefined;
      if (startupSymbols) symbolsPath.value = startupSymbols;
      else if (env.value.recentSymbols && !symbolsPath.value) symbolsPath.value = env.value.recentSymbols;
      if (env.value.openCase) {
        // read before adopting: showing the case rewrites the address
        const saved = useUi().savedRoute();
        await adopt(env.value.openCase);
        await restoreRoute(saved);
      } else if (env.value.startup === 'demo') {
        await openDemo();
      } else if (env.value.startup) {
        await openImage(env.value.startup.imagePath, env.value.startup.symbolsPath);
      }
    } catch (e) {
      error.value = explain(asApiError(e), 'load', false);
    }
  }

  /** after a reload: back to the view (and segment, slot) the address names, else the overview */
  async function restoreRoute(r: Route | null): Promise<void> {
    const ui = useUi();
    if (!r || r.view === 'open') {
      ui.show('overview');
      return;
    }
    ui.show(r.view as Screen);
    const seg = useSegments();
    if (r.view === 'slots' && r.segment !== undefined) {
      if (r.slot !== undefined) await seg.openSlot(r.segment, r.slot);
      else await seg.openSegment(r.segment);
    }
  }

  async function run(label: string, start: (requestId: string) => Promise<OpenCase>): Promise<void> {
    if (opening.value) void api().cancel(opening.value.requestId);
    const requestId = newRequestId('open');
    opening.value = { requestId, label, progress: null, cancelling: false };
    error.value = null;
    const hadCase = info.value !== null;
    try {
      const c = await start(requestId);
      if (opening.value?.requestId !== requestId) return; // replaced by a newer open
      opening.value = null;
      // the overview shows as soon as the case's info is in; the segment and process lists follow
      const adopting = adopt(c);
      useUi().show('overview');
      await adopting;
    } catch (e) {
      if (opening.value?.requestId !== requestId) return;
      opening.value = null;
      const err = asApiError(e);
      if (err.code === 'CANCELLED') return;
      error.value = explain(err, 'open', hadCase);
      if (!hadCase) useUi().show('open');
    }
  }

  const openImage = (path: string, symbols?: string): Promise<void> => {
    const p = path.trim();
    const s = symbols?.trim();
    imagePath.value = p;
    if (s) symbolsPath.value = s;
    return run(basename(p), (requestId) => call(api().openCase(s ? { requestId, imagePath: p, symbolsPath: s } : { requestId, imagePath: p })));
  };

  const openDemo = (): Promise<void> => run('demo case', (requestId) => call(api().openDemo({ requestId })));

  /** reopen the open case's image and symbols with more swap files (files or folders) */
  const addSwapFiles = (paths: string[]): Promise<void> => {
    const o = info.value?.opened;
    const add = paths.map((p) => p.trim()).filter(Boolean);
    if (!o || add.length === 0) return Promise.resolve();
    const swapPaths = [...o.swapPaths, ...add.filter((p) => !o.swapPaths.includes(p))];
    return run(`${basename(o.imagePath)} with swap files`, (requestId) =>
      call(api().openCase({ requestId, imagePath: o.imagePath, ...(o.symbolsPath ? { symbolsPath: o.symbolsPath } : {}), swapPaths })),
    );
  };

  async function cancelOpen(): Promise<void> {
    if (!opening.value) return;
    opening.value.cancelling = true;
    await api().cancel(opening.value.requestId);
  }

  async function closeCase(): Promise<void> {
    await api().closeCase();
    info.value = null;
    stats.value = null;
    useSegments().clear();
    useProcesses().clear();
    useSearch().reset();
    useStrings().reset();
    useExport().reset();
    useUi().show('open');
  }

  async function pickImage(): Promise<void> {
    try {
      const p = await call(api().pickImage());
      if (p) await openImage(p, symbolsPath.value || undefined);
    } catch (e) {
      error.value = explain(asApiError(e), 'open', info.value !== null);
    }
  }

  async function pickSymbols(kind: 'file' | 'folder'): Promise<void> {
    try {
      const p = await call(api().pickSymbols(kind));
      if (p) symbolsPath.value = p;
    } catch (e) {
      error.value = explain(asApiError(e), 'open', info.value !== null);
    }
  }

  const dismissError = () => {
    error.value = null;
  };

  return { env, info, stats, opening, decoding, stopDecoding, error, imagePath, symbolsPath, onEvent, init, openImage, openDemo, addSwapFiles, cancelOpen, closeCase, pickImage, pickSymbols, dismissError };
});
