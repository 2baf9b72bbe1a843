// Segments of the open case (sortable, filterable), the slots of the chosen segment, and the chosen
// slot's page. Answers that arrive after a newer choice (or another case) are dropped.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { PageView, SegmentOwners, SegmentSummary, SlotRecord } from '../../../core/api';
import { api, asApiError, call } from '../api/client';
import { fromBase64 } from '../util/bytes';
import { explain, type Explained } from '../util/errors';

export type SortKey = 'index' | 'stateName' | 'liveSlots' | 'slotsUsed' | 'compressedBytes' | 'uncompressedBytes' | 'ratio' | 'creationTs';

export interface Highlight {
  offset: number;
  length: number;
}

export interface LoadedPage {
  view: PageView;
  page: Uint8Array | null;
  compressed: Uint8Array | null;
}

const ratioOf = (s: SegmentSummary): number => (s.uncompressedBytes ? s.compressedBytes / s.uncompressedBytes : Number.POSITIVE_INFINITY);

/** swapped out, being swapped (possibly encrypted) or otherwise not in RAM */
export const isSwapped = (s: SegmentSummary): boolean => s.swap !== null || /SWAPPEDOUT/.test(s.stateName);

export const useSegments = defineStore('segments', () => {
  const caseId = ref<number | null>(null);
  const list = shallowRef<SegmentSummary[]>([]);
  const loading = ref(false);
  const sortKey = ref<SortKey>('index');
  const sortDesc = ref(false);
  const filterText = ref('');
  const filterState = ref('');
  const onlyFlagged = ref(false);

  const segment = ref<number | null>(null);
  const slots = shallowRef<SlotRecord[]>([]);
  /** the processes that map each slot of the chosen segment (slots no process maps are absent) */
  const owners = shallowRef<SegmentOwners>({});
  const slot = ref<number | null>(null);
  const page = shallowRef<LoadedPage | null>(null);
  const highlight = ref<Highlight | null>(null);
  const error = ref<Explained | null>(null);
  let slotsSeq = 0;
  let pageSeq = 0;

  const states = computed(() => [...new Set(list.value.map((s) => s.stateName))].sort());

  const rows = computed(() => {
    const text = filterText.value.trim().toLowerCase();
    let r = list.value.filter((s) => {
      if (filterState.value && s.stateName !== filterState.value) return false;
      if (onlyFlagged.value && !(s.possiblyEncrypted || isSwapped(s) || s.problems.length > 0 || s.busy)) return false;
      if (!text) return true;
      return String(s.index) === text || s.stateName.toLowerCase().includes(text) || s.address.toLowerCase().includes(text) || s.problems.some((p) => p.toLowerCase().includes(text));
    });
    const key = sortKey.value;
    const get = (s: SegmentSummary): number | string => (key === 'ratio' ? ratioOf(s) : key === 'stateName' ? s.stateName : (s[key] ?? -1));
    r = [...r].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      const c = x < y ? -1 : x > y ? 1 : a.index - b.index;
      return sortDesc.value ? -c : c;
    });
    return r;
  });

  const current = computed(() => list.value.find((s) => s.index === segment.value) ?? null);
  const swapped = computed(() => list.value.filter((s) => isSwapped(s) || s.possiblyEncrypted));

  function sortBy(k: SortKey): void {
    if (sortKey.value === k) sortDesc.value = !sortDesc.value;
    else {
      sortKey.value = k;
      sortDesc.value = false;
    }
  }

  function clear(): void {
    caseId.value = null;
    list.value = [];
    segment.value = null;
    slots.value = [];
    owners.value = {};
    slot.value = null;
    page.value = null;
    highlight.value = null;
    error.value = null;
  }

  async function load(id: number): Promise<void> {
    clear();
    caseId.value = id;
    loading.value = true;
    try {
      const l = await call(api().getSegments(id));
      if (caseId.value === id) list.value = l;
    } catch (e) {
      error.value = explain(asApiError(e), 'load', true);
    } finally {
      loading.value = false;
    }
  }

  /**
   * The same case's list again (after the background pass: kinds as decoding found them),
   * keeping what the examiner has open: the segment, the slot and the page stay where they are.
   */
  async function refresh(id: number): Promise<void> {
    if (caseId.value !== id) return load(id);
    try {
      const l = await call(api().getSegments(id));
      if (caseId.value !== id) return;
      list.value = l;
      const seg = segment.value;
      if (seg === null) return;
      const seq = slotsSeq;
      const sl = await call(api().getSlots(id, seg));
      if (caseId.value === id && segment.value === seg && seq === slotsSeq) slots.value = sl;
    } catch {
      // the lists shown stay as they were
    }
  }

  async function openSegment(index: number): Promise<void> {
    if (caseId.value === null) return;
    const seq = ++slotsSeq;
    segment.value = index;
    slot.value = null;
    page.value = null;
    highlight.value = null;
    slots.value = [];
    owners.value = {};
    try {
      const [l, o] = await Promise.all([
        call(api().getSlots(caseId.value, index)),
        // a case without a process walk answers with no owners, never an error
        call(api().getSegmentOwners(caseId.value, index)).catch(() => ({})),
      ]);
      if (seq === slotsSeq) {
        slots.value = l;
        owners.value = o;
      }
    } catch (e) {
      if (seq === slotsSeq) error.value = explain(asApiError(e), 'page', true);
    }
  }

  async function openSlot(seg: number, s: number, hl: Highlight | null = null): Promise<void> {
    if (caseId.value === null) return;
    if (segment.value !== seg) await openSegment(seg);
    const seq = ++pageSeq;
    slot.value = s;
    highlight.value = hl;
    error.value = null;
    try {
      const v = await call(api().getPage(caseId.value, seg, s));
      if (seq !== pageSeq) return;
      page.value = { view: v, page: fromBase64(v.page), compressed: fromBase64(v.compressed) };
    } catch (e) {
      if (seq !== pageSeq) return;
      page.value = null;
      error.value = explain(asApiError(e), 'page', true);
    }
  }

  return {
    caseId, list, loading, refresh, sortKey, sortDesc, filterText, filterState, onlyFlagged, states, rows, current, swapped,
    segment, slots, owners, slot, page, highlight, error, sortBy, clear, load, openSegment, openSlot,
  };
});
