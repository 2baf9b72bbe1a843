// Finding compressor pagers that no process map reaches (process-memory.md §5.2): an unowned slot's
// back-pointer names a slot mapping inside a direct array or an indirect chunk, which says nothing of
// the pager that owns the array. The pager is found by its signature instead: kernel memory scanned
// 8-byte aligned for the slid &compressor_pager_ops at the ops field; each hit is then read as a
// compressor_pager (PagerCache checks the memory-object kind where the version has it and reads its
// slot storage, so arrays or chunks that do not translate reject the candidate) and kept only when its
// slot counts are plausible. The found pagers join the cache, where the back-pointer join sees them.
//
// What is scanned is bounded, never the whole image:
//  - the zone map when the kernel names it (zone_map_min_address / zone_map_max_address, 10.x), capped;
//  - around every unresolved back-pointer, a window of WINDOW bytes each side (merged): a pager and the
//    slot storage allocated for it at the same time sit close together in the zone/heap ranges the
//    builder uses, and often in real kernels, but nothing guarantees it there.
// A pager outside those ranges stays unfound, and its slots are reported without a pager, never a wrong one.
import { UnfoldError } from '../errors';
import { attempt, type KernelContext } from './kernel';
import type { PagerCache, PagerInfo } from './pager';
import { readPresent } from '../translate/present';
import { pagerFields } from './vm-rules';

/** bytes scanned each side of an unresolved back-pointer */
export const WINDOW = 256 * 1024;
/** most bytes scanned in all (windows and zone map together) */
export const MAX_SCAN_BYTES = 256 * 1024 * 1024;
/** bytes read at once */
const READ_CHUNK = 1024 * 1024;

export interface PagerScan {
  /** the [from, to) ranges scanned, in order */
  ranges: Array<{ from: bigint; to: bigint }>;
  bytesScanned: number;
  /** hits of the ops pointer, and of those the ones that read as plausible compressor pagers */
  hits: number;
  pagers: PagerInfo[];
  /** why the scan did less than asked (no ops symbol, cap reached) */
  notes: string[];
}

function mergeRanges(rs: Array<{ from: bigint; to: bigint }>): Array<{ from: bigint; to: bigint }> {
  rs.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: Array<{ from: bigint; to: bigint }> = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last !== undefined && r.from <= last.to) {
      if (r.to > last.to) last.to = r.to;
    } else out.push({ ...r });
  }
  return out;
}

/** the ranges to scan for pagers owning the slot mappings at `backPointers` */
export function scanRanges(ctx: KernelContext, backPointers: readonly bigint[]): Array<{ from: bigint; to: bigint }> {
  const ps = BigInt(ctx.pageSize);
  const w = BigInt(WINDOW);
  // windows of one width grow with their back-pointer: sorted (natively, no comparator), each one
  // joins the last range or starts the next, with no range object per back-pointer
  const sorted = BigUint64Array.from(backPointers).sort();
  const rs: Array<{ from: bigint; to: bigint }> = [];
  let last: { from: bigint; to: bigint } | null = null;
  for (let i = 0; i < sorted.length; i++) {
    const bp = sorted[i]!;
    if (i > 0 && bp === sorted[i - 1]) continue;
    const from = ((bp > w ? bp - w : 0n) / ps) * ps;
    const to = ((bp + w + ps - 1n) / ps) * ps;
    if (last !== null && from <= last.to) {
      if (to > last.to) last.to = to;
    } else rs.push((last = { from, to }));
  }
  const lo = ctx.tryGlobal('zone_map_min_address');
  const hi = ctx.tryGlobal('zone_map_max_address');
  if (lo !== null && hi !== null) {
    const a = attempt(() => [ctx.readPointer(lo), ctx.readPointer(hi)] as const);
    if (!(a instanceof UnfoldError) && a[0] < a[1]) rs.push({ from: (a[0] / ps) * ps, to: a[1] });
  }
  return mergeRanges(rs);
}

/**
 * Scan for compressor pagers near the slot mappings at `backPointers` (and in the zone map when the
 * kernel names it); every plausible pager found is put into `cache` and returned.
 */
export function scanForPagers(ctx: KernelContext, cache: PagerCache, backPointers: readonly bigint[]): PagerScan {
  const out: PagerScan = { ranges: [], bytesScanned: 0, hits: 0, pagers: [], notes: [] };
  const ops = ctx.tryGlobal('compressor_pager_ops');
  if (ops === null) {
    out.notes.push('no symbol compressor_pager_ops: orphan pagers cannot be recognised');
    return out;
  }
  const opsOffset = BigInt(ctx.field('compressor_pager', pagerFields(ctx).ops).offset);
  // the pointer as stored: on arm64e the ops pointer may carry PAC bits, so compare after stripping
  // (the low 32 bits of a stripped and a signed pointer agree below the PAC bits; the full check follows)
  const opsLo = Number(ops & 0xffff_ffffn);
  const seen = new Set<bigint>();
  const buf = new Uint8Array(READ_CHUNK);
  let budget = MAX_SCAN_BYTES;
  for (const r of scanRanges(ctx, backPointers)) {
    if (budget <= 0) {
      out.notes.push(`scan cap of ${MAX_SCAN_BYTES} bytes reached: ranges from 0x${r.from.toString(16)} on not scanned`);
      break;
    }
    const to = r.to - r.from > BigInt(budget) ? r.from + BigInt(budget) : r.to;
    out.ranges.push({ from: r.from, to });
    for (let at = r.from; at < to; at += BigInt(READ_CHUNK)) {
      const n = Number(to - at < BigInt(READ_CHUNK) ? to - at : BigInt(READ_CHUNK));
      const { bytes, holes } = readPresent(ctx.space, at, n, n === READ_CHUNK ? buf : undefined);
      budget -= n;
      out.bytesScanned += n;
      if (holes.length * ctx.pageSize >= n) continue;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
      for (let off = 0; off + 8 <= n; off += 8) {
        if (dv.getUint32(off, true) !== opsLo) continue;
        if (ctx.strip(dv.getBigUint64(off, true)) !== ops) continue;
        out.hits++;
        const va = at + BigInt(off) - opsOffset;
        if (seen.has(va)) continue;
        seen.add(va);
        const p = cache.get(va);
        if (p === null || p instanceof UnfoldError) continue;
        if (p.numSlots <= 0 || (p.occupied !== null && p.occupied > p.numSlots)) continue;
        out.pagers.push(p);
      }
    }
  }
  return out;
}
