// The kernel's swap files: swf_global_queue, a Mach queue of struct swapfile linked through
// swp_queue, each naming its file (swp_path) and the index swap handles use (swp_index). Walked with
// the bounded, cycle-safe queue walk; a damaged queue keeps the files read before the damage.
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import { walkQueue } from './lists';

/** more swap files than xnu ever creates (it caps them far lower); bounds a looping queue */
export const MAX_SWAP_FILES = 256;

export interface SwapFileList {
  files: Array<{ index: number; path: string }>;
  /** why the list may be incomplete, one line each */
  problems: string[];
}

export function readSwapFiles(ctx: KernelContext): SwapFileList {
  const files: Array<{ index: number; path: string }> = [];
  const problems: string[] = [];
  const head = ctx.tryGlobal('swf_global_queue');
  if (head === null || !ctx.hasField('swapfile', 'swp_index') || !ctx.hasField('swapfile', 'swp_path')) return { files, problems };
  // a wrong back-link is noted, not fatal: a swap file read is worth keeping
  const walk = walkQueue(ctx, { head, type: 'swapfile', chain: 'swp_queue', max: MAX_SWAP_FILES, backLinks: 'note' });
  const hasLen = ctx.hasField('swapfile', 'swp_pathlen');
  for (const sf of walk.items) {
    const pathPtr = sf.pointer('swp_path');
    if (!ctx.isKernelPointer(pathPtr)) continue;
    const len = hasLen ? sf.num('swp_pathlen') : 0;
    try {
      files.push({ index: sf.num('swp_index'), path: ctx.readCString(pathPtr, len > 0 && len <= 1024 ? len : 256) });
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      problems.push(`swf_global_queue: swap file ${sf.num('swp_index')} at 0x${sf.address.toString(16)}: its path is not readable (${err.message})`);
    }
  }
  for (const n of walk.notes) problems.push(n.message);
  if (walk.problem) problems.push(walk.problem.message);
  return { files, problems };
}
