// The one place the app reaches into core: the façade (core/case.ts) and the demo case builder.
// Loaded lazily inside the case worker, so a broken or missing core module becomes an error the UI shows
// instead of a worker that never starts.
import type { Case, OpenOptions } from '../core/case';

export type FacadeCase = Pick<
  Case,
  'info' | 'segments' | 'slots' | 'page' | 'decodeStatus' | 'stopBackground' | 'search' | 'strings' | 'export' | 'close' | 'swapProblems' | 'swapFilesHashed'
  | 'processes' | 'maps' | 'regionPages' | 'readVirtual' | 'segmentOwners' | 'svOwners' | 'slotOwners' | 'procDump'
>;

export interface Facade {
  openCase(imagePath: string, opts: OpenOptions): Promise<FacadeCase>;
  ensureDemoCase(): Promise<{ imagePath: string; symbolsPath: string }>;
}

let loaded: Promise<Facade> | null = null;

/** decodeWorker: the built decode-worker file when running bundled (Electron build) */
export function loadFacade(decodeWorker: string | null = null): Promise<Facade> {
  loaded ??= (async () => {
    const [caseMod, demoMod, pool] = await Promise.all([import('../core/case'), import('../core/demo'), import('../core/work/pool')]);
    if (decodeWorker) pool.configureWorkerEntry(decodeWorker);
    // the app keeps a case open and searches it again and again: let the walk keep the buffers
    const openCase: Facade['openCase'] = (imagePath, opts) => caseMod.openCase(imagePath, { bufferCacheBytes: caseMod.keepBudget(), ...opts });
    return { openCase, ensureDemoCase: demoMod.ensureDemoCase };
  })().catch((e: unknown) => {
    loaded = null; // let the next call try again (e.g. after the demo cache was repaired)
    throw e;
  });
  return loaded;
}
