// Which slot mapping sits at a kernel address: where an unowned slot's back-pointer lands. Found by
// range over the pagers' slot arrays (one per direct pager, one per indirect chunk) rather than by a
// table of every non-zero slot mapping, which cost a bigint key and an object per mapping.
// An address names a mapping when it lies 4-byte aligned inside an array and the mapping there is
// non-zero. Should arrays overlap (damage: two pagers, or two chunks, sharing memory), the mapping of
// the array listed last wins, as it would in a table filled in listing order.
import { UnfoldError } from '../errors';
import { attempt } from './kernel';
import type { PagerInfo } from './pager';

export interface SlotMappingHit {
  pager: bigint;
  object: bigint;
  /** the mapping's index in its pager */
  page: number;
  value: number;
}

export interface SlotMappingIndex {
  get(address: bigint): SlotMappingHit | undefined;
}

interface Range {
  start: bigint;
  end: bigint;
  first: number;
  pager: PagerInfo;
}

/** the slot mappings of `pagers` (in this order), looked up by address; a pager whose arrays cannot be read is left out */
export function indexSlotMappings(pagers: Iterable<PagerInfo>): SlotMappingIndex {
  const ranges: Range[] = [];
  const listed: PagerInfo[] = [];
  for (const p of pagers) {
    const arrays = attempt(() => p.arrays());
    if (arrays instanceof UnfoldError) continue;
    listed.push(p);
    for (const a of arrays) ranges.push({ start: a.address, end: a.address + BigInt(a.count * 4), first: a.first, pager: p });
  }
  // listing order is kept among equal starts (stable sort), so "last listed wins" survives the sort when no range overlaps
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < ranges.length; i++) if (ranges[i]!.start < ranges[i - 1]!.end) return mappingTable(listed);
  const starts = ranges.map((r) => r.start);
  return {
    get(address) {
      // the last range starting at or below the address
      let lo = 0;
      let hi = starts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (starts[mid]! <= address) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return undefined;
      const r = ranges[lo - 1]!;
      if (address >= r.end) return undefined;
      // an array is far below 2^53 bytes long: the offset in it is a number
      const byte = Number(address - r.start);
      if (byte % 4 !== 0) return undefined;
      const page = r.first + byte / 4;
      const value = r.pager.valueAt(page);
      return value === 0 ? undefined : { pager: r.pager.address, object: r.pager.object, page, value };
    },
  };
}

/** every non-zero mapping by address, later pagers overwriting earlier ones (arrays that overlap) */
function mappingTable(pagers: readonly PagerInfo[]): SlotMappingIndex {
  const m = new Map<bigint, SlotMappingHit>();
  for (const p of pagers) {
    const nz = attempt(() => p.nonZero());
    if (nz instanceof UnfoldError) continue;
    for (const s of nz) m.set(s.address, { pager: p.address, object: p.object, page: s.index, value: s.value });
  }
  return m;
}
