// Processes of the open case (sortable, filterable), the chosen process's memory map, the chosen
// region's pages, a window of the process's address space in the hex view, and the process dump.
// Answers that arrive after a newer choice (or another case) are dropped.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { REGION_PAGES_MAX, type OwnerJson, type ProcDumpSummary, type ProcessSummary, type ProgressEvent, type RegionPages, type RegionSummary, type UnfoldEvent, type VirtualView } from '../../../core/api';
import { api, asApiError, call, newRequestId } from '../api/client';
import { fromBase64 } from '../util/bytes';
import { explain, type Explained } from '../util/errors';

export type ProcSortKey = 'pid' | 'ppid' | 'name' | 'regions' | 'resident' | 'compressed' | 'single' | 'swapped' | 'absent' | 'share';

/** pages of a process that are compressed (slots or single values), of all its mapped pages */
export function compressedShare(p: { pages: ProcessSummary['pages'] }): number {
  const t = p.pages.resident + p.pages.compressed + p.pages.single + p.pages.swapped + p.pages.absent;
  return t === 0 ? 0 : (p.pages.compressed + p.pages.single) / t;
}

/** pages shown around the address asked for in the hex view, and how far "earlier"/"later" move */
export const WINDOW_PAGES = 8;

export interface VirtualWindow {
  view: VirtualView;
  bytes: Uint8Array;
  /** the address the person asked for, highlighted */
  target: bigint;
  highlightLength: number;
  /** the address scrolled into view (the target, or the middle after moving the window) */
  focus: bigint;
}

export const useProcesses = defineStore('processes', () => {
  const caseId = ref<number | null>(null);
  const list = shallowRef<ProcessSummary[]>([]);
  const loaded = ref(false);
  const unavailable = ref<string | null>(null);
  const sortKey = ref<ProcSortKey>('compressed');
  const sortDesc = ref(true);
  const filterText = ref('');
  const onlyCompressed = ref(false);
  const error = ref<Explained | null>(null);

  const pid = ref<number | null>(null);
  const regions = shallowRef<RegionSummary[]>([]);
  const region = shallowRef<RegionPages | null>(null);
  const vmem = shallowRef<VirtualWindow | null>(null);
  const windowError = ref<Explained | null>(null);
  let mapSeq = 0;
  let regionSeq = 0;
  let windowSeq = 0;

  const byPid = computed(() => new Map(list.value.map((p) => [p.pid, p])));
  const nameOf = (p: number): string => byPid.value.get(p)?.name ?? '?';
  const current = computed(() => (pid.value === null ? null : (byPid.value.get(pid.value) ?? null)));

  const rows = computed(() => {
    const t = filterText.value.trim().toLowerCase();
    const r = list.value.filter((p) => {
      if (onlyCompressed.value && p.pages.compressed + p.pages.single === 0) return false;
      if (!t) return true;
      return String(p.pid) === t || String(p.ppid) === t || p.name.toLowerCase().includes(t) || p.pName.toLowerCase().includes(t);
    });
    const k = sortKey.value;
    const get = (p: ProcessSummary): number | string =>
      k === 'share' ? compressedShare(p) : k === 'name' ? p.name.toLowerCase() : k === 'pid' || k === 'ppid' || k === 'regions' ? p[k] : p.pages[k];
    return [...r].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      const c = x < y ? -1 : x > y ? 1 : a.pid - b.pid;
      return sortDesc.value ? -c : c;
    });
  });

  /** processes by compressed pages (slots and single values), most first, for the overview */
  const topCompressed = computed(() =>
    [...list.value].filter((p) => p.pages.compressed + p.pages.single > 0).sort((a, b) => b.pages.compressed + b.pages.single - (a.pages.compressed + a.pages.single) || a.pid - b.pid),
  );

  function sortBy(k: ProcSortKey): void {
    if (sortKey.value === k) sortDesc.value = !sortDesc.value;
    else {
      sortKey.value = k;
      sortDesc.value = k !== 'pid' && k !== 'ppid' && k !== 'name';
    }
  }

  function clear(): void {
    caseId.value = null;
    list.value = [];
    loaded.value = false;
    unavailable.value = null;
    error.value = null;
    pid.value = null;
    regions.value = [];
    region.value = null;
    vmem.value = null;
    windowError.value = null;
    resetDump();
  }

  async function load(id: number, reason?: string | null): Promise<void> {
    clear();
    caseId.value = id;
    if (reason) {
      unavailable.value = reason;
      loaded.value = true;
      return;
    }
    try {
      const l = await call(api().getProcesses(id));
      if (caseId.value === id) list.value = l;
    } catch (e) {
      if (caseId.value === id) unavailable.value = asApiError(e).message;
    } finally {
      if (caseId.value === id) loaded.value = true;
    }
  }

  async function openProcess(p: number): Promise<void> {
    if (caseId.value === null) return;
    if (pid.value === p && regions.value.length > 0) return;
    const seq = ++mapSeq;
    pid.value = p;
    regions.value = [];
    region.value = null;
    error.value = null;
    try {
      const r = await call(api().getMaps(caseId.value, p));
      if (seq === mapSeq) regions.value = r;
    } catch (e) {
      if (seq === mapSeq) error.value = explain(asApiError(e), 'page', true);
    }
  }

  /** a region's pages, a slice of REGION_PAGES_MAX at a time from page `first` */
  async function openRegion(p: number, start: string, first = 0): Promise<void> {
    if (caseId.value === null) return;
    await openProcess(p);
    const seq = ++regionSeq;
    try {
      const r = await call(api().getRegionPages(caseId.value, p, start, first));
      if (seq === regionSeq) region.value = r;
    } catch (e) {
      if (seq === regionSeq) error.value = explain(asApiError(e), 'page', true);
    }
  }

  /**
   * Shows the process's address space around `va`: the pages before and after it, so the hex view
   * scrolls across page boundaries; `length` bytes at `va` are highlighted.
   */
  async function openAddress(p: number, va: bigint, length = 1, keep: { target: bigint; length: number } | null = null): Promise<void> {
    if (caseId.value === null) return;
    await openProcess(p);
    const seq = ++windowSeq;
    windowError.value = null;
    const ps = BigInt(current.value?.pageSize ?? 4096);
    const page = va - (va % ps);
    const half = BigInt(WINDOW_PAGES / 2) * ps;
    const from = page >= half ? page - half : 0n;
    try {
      const v = await call(api().readVirtual(caseId.value, p, '0x' + from.toString(16), WINDOW_PAGES * Number(ps)));
      if (seq !== windowSeq) return;
      vmem.value = { view: v, bytes: fromBase64(v.bytes) ?? new Uint8Array(0), target: keep?.target ?? va, highlightLength: keep?.length ?? length, focus: va };
      // the map shows the region the address lies in
      const r = regions.value.find((x) => BigInt(x.start) <= va && va < BigInt(x.end));
      if (r) {
        const at = Number((va - BigInt(r.start)) / BigInt(r.pageSize));
        const shown = region.value;
        const inSlice = shown !== null && shown.region.start === r.start && at >= shown.first && at < shown.first + shown.pages.length;
        if (!inSlice) void openRegion(p, r.start, at - (at % REGION_PAGES_MAX));
      }
    } catch (e) {
      if (seq === windowSeq) windowError.value = explain(asApiError(e), 'page', true);
    }
  }

  /** moves the hex view's window by whole pages (negative: earlier) */
  async function shiftWindow(pages: number): Promise<void> {
    const w = vmem.value;
    if (!w || pid.value === null) return;
    const ps = BigInt(current.value?.pageSize ?? 4096);
    const start = BigInt(w.view.va);
    const delta = BigInt(Math.abs(pages)) * ps;
    const at = pages < 0 ? (start > delta ? start - delta : 0n) : start + delta;
    // the new window is centred on its middle page; the highlight stays on what was asked for
    await openAddress(pid.value, at + BigInt(WINDOW_PAGES / 2) * ps, 1, { target: w.target, length: w.highlightLength });
  }

  // ───── the process dump ─────
  const dumpOut = ref('');
  const dumpOverwrite = ref(false);
  const dumpRequestId = ref<string | null>(null);
  const dumping = ref(false);
  const dumpProgress = ref<ProgressEvent | null>(null);
  const dumpResult = ref<ProcDumpSummary | null>(null);
  const dumpError = ref<Explained | null>(null);

  function resetDump(): void {
    dumpRequestId.value = null;
    dumping.value = false;
    dumpProgress.value = null;
    dumpResult.value = null;
    dumpError.value = null;
  }

  function onEvent(e: UnfoldEvent): void {
    if (e.type === 'progress' && e.requestId === dumpRequestId.value) dumpProgress.value = e;
  }

  async function pickDumpFolder(): Promise<void> {
    try {
      const p = await call(api().pickExportFolder());
      if (p) dumpOut.value = p;
    } catch (e) {
      dumpError.value = explain(asApiError(e), 'export', true);
    }
  }

  async function dump(p: number): Promise<void> {
    if (caseId.value === null) return;
    const id = newRequestId('procdump');
    resetDump();
    dumpRequestId.value = id;
    dumping.value = true;
    try {
      const r = await call(api().procDump({ requestId: id, caseId: caseId.value, pid: p, out: dumpOut.value.trim(), overwrite: dumpOverwrite.value }));
      if (dumpRequestId.value === id) dumpResult.value = r;
    } catch (e) {
      if (dumpRequestId.value === id) dumpError.value = explain(asApiError(e), 'export', true);
    } finally {
      if (dumpRequestId.value === id) dumping.value = false;
    }
  }

  async function cancelDump(): Promise<void> {
    if (dumpRequestId.value && dumping.value) await api().cancel(dumpRequestId.value);
  }

  const ownerLabel = (o: OwnerJson): string => `${o.pid} ${nameOf(o.pid)} @ ${o.va}`;

  return {
    caseId, list, loaded, unavailable, sortKey, sortDesc, filterText, onlyCompressed, error, rows, topCompressed, byPid, current,
    pid, regions, region, vmem, windowError, nameOf, ownerLabel, sortBy, clear, load, openProcess, openRegion, openAddress, shiftWindow,
    dumpOut, dumpOverwrite, dumping, dumpProgress, dumpResult, dumpError, dumpRequestId, onEvent, pickDumpFolder, dump, cancelDump,
  };
});
