// Which sealed segments (swapped out, or encrypted in place) can be read, and how: the keys found in
// the image, the swap files matched, and per segment the job that reads, decrypts and judges it —
// or the reason it stays sealed. Metadata only: no chunk is read here.
import type { CompressorPlan, SegmentPlan } from './compressor';
import type { SealedJob } from './sealed';
import type { SlotMeta } from './slot-decode';
import type { SwapKeys } from './swap-crypto';
import { matchSwapFiles, type MatchedSwapFile } from './swapfiles';
import type { SlotRecord } from './types';

export interface SealedPlan {
  job: SealedJob;
  /** slots to decode once decrypted */
  slots: SlotMeta[];
}

export interface SwapSetup {
  keys: SwapKeys | null;
  files: MatchedSwapFile[];
  problems: string[];
  /** sealed segments that will be read */
  bySegment: Map<number, SealedPlan>;
  /** the records a sealed segment starts with: its undecodable slots, or all of them with the reason they stay sealed */
  undecoded: Map<number, SlotRecord[]>;
}

const hex = (v: number) => '0x' + v.toString(16);

/** the bytes the kernel encrypts and writes for a segment: round_page(c_populated_offset × 4) */
export function chunkLength(seg: SegmentPlan, pageSize: number, limit: number): number {
  // c_seg_swapin reads c_populated_offset back, so it survives the swap-out; should an image hold 0
  // there, the written chunk still covered every slot: c_nextoffset rounded up to the page
  const populated = seg.summary.populatedOffset > 0 ? seg.summary.populatedOffset : seg.summary.nextOffset;
  return Math.min(Math.ceil(populated / pageSize) * pageSize, limit);
}

function where(seg: number, s: SlotMeta): string {
  return `segment ${seg} slot ${s.slot} at buffer offset ${hex(s.offset)}`;
}

/**
 * @param swapInputs the files/folders given with --swap (undefined: none given, swapped-out
 *   segments are listed as before)
 */
export function planSwap(plan: CompressorPlan, keys: SwapKeys | null, swapInputs: readonly string[] | undefined): SwapSetup {
  const problems: string[] = [];
  const bySegment = new Map<number, SealedPlan>();
  const undecoded = new Map<number, SlotRecord[]>();
  const h = plan.header;
  const needed = new Map<number, number>();
  for (const s of plan.segments) if (s.sealedSlots && s.summary.swap) needed.set(s.summary.swap.fileIndex, (needed.get(s.summary.swap.fileIndex) ?? 0) + 1);
  const given = swapInputs !== undefined && swapInputs.length > 0;
  const match = given ? matchSwapFiles(swapInputs, h.swapFiles, needed) : { files: [], problems: [] };
  problems.push(...match.problems);
  const anySealed = plan.segments.some((s) => s.sealedSlots && (given || !s.summary.swap));
  if (keys?.problem && anySealed) problems.push(`swap encryption: ${keys.problem}`);
  const limit = Math.max(h.bufSize, h.allocSize);

  for (const seg of plan.segments) {
    const sealed = seg.sealedSlots;
    if (!sealed) continue;
    const idx = seg.summary.index;
    const swap = seg.summary.swap;
    const isSealed = new Set(sealed.map((m) => m.slot));
    const others = seg.undecoded.filter((r) => !isSealed.has(r.slot));
    const stay = (why: string) => {
      undecoded.set(
        idx,
        seg.undecoded.map((r) => (isSealed.has(r.slot) ? { ...r, error: `segment ${idx} slot ${r.slot}: ${why}` } : r)),
      );
    };
    if (swap && !given) continue; // nothing asked: listed with file and offset, as always
    if (!keys?.cipher) {
      stay(`${swap ? 'swapped out' : 'encrypted in place'}; not decrypted: ${keys?.problem ?? 'no swap encryption keys'}`);
      continue;
    }
    let file: MatchedSwapFile | undefined;
    if (swap) {
      file = match.files.find((f) => f.index === swap.fileIndex);
      if (!file) {
        const k = h.swapFiles.find((f) => f.index === swap.fileIndex);
        stay(`swapped out to ${k ? k.path : `swap file index ${swap.fileIndex}`} at ${hex(swap.offset)}, which was not given`);
        continue;
      }
    } else if (seg.bufferVa === null) {
      stay('encrypted in place, but the segment has no buffer address');
      continue;
    }
    const length = chunkLength(seg, h.pageSize, limit);
    const next = seg.summary.nextOffset;
    const slots: SlotMeta[] = [];
    const corrupt: SlotRecord[] = [];
    for (const m of sealed) {
      const end = m.offset + m.size;
      const bad =
        m.size > h.pageSize
          ? `c_size ${m.size} is larger than the ${h.pageSize}-byte page`
          : end > next
            ? `slot ends at ${hex(end)}, past c_nextoffset (${hex(next)} bytes)`
            : end > length
              ? `slot ends at ${hex(end)}, past the ${hex(length)}-byte chunk (round_page(c_populated_offset))`
              : null;
      if (bad) {
        corrupt.push({ segment: idx, slot: m.slot, state: seg.summary.stateName, kind: 'corrupt', offset: m.offset, compressedSize: m.size, error: `${where(idx, m)}: ${bad}` });
      } else slots.push(m);
    }
    undecoded.set(idx, [...others, ...corrupt]);
    if (slots.length === 0) continue;
    const job: SealedJob = swap
      ? {
          origin: { source: 'swap', swapFile: file!.path, swapOffset: hex(swap.offset) },
          refusedKind: 'swapped',
          cipher: keys.cipher,
          segVa: seg.summary.address,
          length,
          file: { path: file!.path, offset: swap.offset },
        }
      : { origin: { source: 'decrypted' }, refusedKind: 'encrypted?', cipher: keys.cipher, segVa: seg.summary.address, length };
    bySegment.set(idx, { job, slots });
  }
  return { keys, files: match.files, problems, bySegment, undecoded };
}

