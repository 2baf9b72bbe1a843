// The process shapes the app shows, as plain data (no Node imports) so the renderer can compile them
// through core/api.ts. They are the only declaration: core/process-view.ts and the page resolver use
// them by other names (OwnerJson, ProcessSummary, RegionSummary, PageSource, PageState).

export type PageStateName = 'resident' | 'compressed' | 'single' | 'swapped' | 'absent';
export const PAGE_STATE_NAMES: readonly PageStateName[] = ['resident', 'compressed', 'single', 'swapped', 'absent'];
export type PageStateCounts = Record<PageStateName, number>;

/** a process that maps a page, and where (va hex) */
export interface PageOwner {
  pid: number;
  va: string;
}

export interface ProcessRow {
  pid: number;
  ppid: number;
  name: string;
  pName: string;
  proc: string;
  task: string;
  map: string;
  pmap: string;
  pmapRoot: string | null;
  pageSize: number;
  regions: number;
  pages: PageStateCounts;
  problems: string[];
}

export interface RegionRow {
  pid: number;
  start: string;
  /** exclusive */
  end: string;
  protection: string;
  maxProtection: string;
  tag: number;
  object: string | null;
  submap: string | null;
  offset: string;
  needsCopy: boolean;
  entry: string;
  pageSize: number;
  pages: PageStateCounts;
}

/** where one page of a process lives */
export interface PageWhere {
  va: string;
  state: PageStateName;
  phys?: string;
  segment?: number;
  slot?: number;
  svIndex?: number;
  value?: string;
  object?: string;
  objectOffset?: string;
  note?: string;
  /** read only: a page served from a sealed segment — a swap file (with chunk offset) or a buffer decrypted in RAM */
  source?: 'swap' | 'decrypted';
  swapFile?: string;
  swapOffset?: string;
}
