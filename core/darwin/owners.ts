// The other direction (process-memory.md §5): every live compressed slot gets its owners (pid, va)
// from the forward walk, joined on the slot key; a slot no process maps is reported unowned, with the
// pager and object its back-pointer leads to when one can be found (a pager the walk read, or a pager
// whose embedded slots hold it). Both directions are checked: the c_packed_ptr of slot (seg, slot) must
// point at the slot mapping that names (seg, slot) — a mismatch means compaction moved the slot while
// the image was taken, or damage; they are counted, never hidden.
import { UnfoldError } from '../errors';
import { attempt } from './kernel';
import { decodeSlotValue, type PagerInfo } from './pager';
import type { CompressorPlan } from './plan-types';
import { packPointer, unpackPointer, type PackingParams } from './pointers';
import { ownersOf, slotKey, type Owner, type ProcessWalkResult } from './process-walk';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export interface UnownedSlot {
  segment: number;
  slot: number;
  /** where c_packed_ptr points (null: the layout has none or the metadata was unreadable) */
  backPointer: bigint | null;
  /** the compressor pager and object found through the back-pointer, when found */
  pager: bigint | null;
  object: bigint | null;
  objectOffset: bigint | null;
}

export interface BackPointerCheck {
  /** live slots whose back-pointer could be checked */
  checked: number;
  /** of those, slots whose back-pointer leads to a slot mapping naming them */
  agreeing: number;
  /** the first mismatches, in words */
  mismatches: string[];
}

export interface Ownership {
  /** owners of a live slot, [] when unowned (sorted by pid then va) */
  slotOwners(segment: number, slot: number): Owner[];
  /** owners of a single-value table entry */
  svOwners(index: number): Owner[];
  unowned: UnownedSlot[];
  check: BackPointerCheck;
  /** live slots in all (for the summary) */
  liveSlots: number;
}

const MAX_MISMATCH_TEXTS = 50;

export function joinOwners(plan: CompressorPlan, fwd: ProcessWalkResult): Ownership {
  const ctx = fwd.resolver.ctx;
  const pagers = fwd.resolver.pagers;
  const check: BackPointerCheck = { checked: 0, agreeing: 0, mismatches: [] };
  const mismatch = (s: string): void => {
    if (check.mismatches.length < MAX_MISMATCH_TEXTS) check.mismatches.push(s);
  };
  // slot mappings of every pager the walk read, by address: where a back-pointer of an unowned slot lands
  let index: Map<bigint, { pager: bigint; object: bigint; page: number; value: number }> | null = null;
  const pagerIndex = () => {
    if (index !== null) return index;
    index = new Map();
    // only pagers holding slot mappings the processes did not reach can be where an unowned slot points
    const claimed = new Map<PagerInfo, number>();
    for (const f of fwd.slots.values()) claimed.set(f.pager, (claimed.get(f.pager) ?? 0) + 1);
    for (const p of pagers.all()) {
      if (p.occupied !== null && p.occupied <= (claimed.get(p) ?? 0)) continue;
      const nz = attempt(() => p.nonZero());
      if (nz instanceof UnfoldError) continue;
      for (const s of nz) index.set(s.address, { pager: p.address, object: p.object, page: s.index, value: s.value });
    }
    return index;
  };
  const unowned: UnownedSlot[] = [];
  let live = 0;
  // slotBackPointer's unpacking, with the parameters parsed once (this runs for every live slot)
  const sp = plan.header.slotPacking;
  const params: PackingParams = { base: BigInt(sp.base), bits: sp.bits, shift: sp.shift, baseRelative: sp.baseRelative };
  // the forward side is compared in packed form: a slot mapping's packed address from its array's packed base
  const pack = (a: bigint): number => Number(packPointer(a, params));
  const step = 4 / 2 ** sp.shift;
  for (const seg of plan.segments) {
    const segment = seg.summary.index;
    let liveSlots: number[] = seg.slots.map((m) => m.slot);
    for (const r of seg.undecoded) liveSlots.push(r.slot);
    // the plan lists decodable slots in order; sort (and drop repeats) only when that is not so
    for (let n = 1; n < liveSlots.length; n++) {
      if (liveSlots[n]! <= liveSlots[n - 1]!) {
        liveSlots = [...new Set(liveSlots)].sort((a, b) => a - b);
        break;
      }
    }
    const packedPtrs = seg.packedPtrs;
    for (let n = 0; n < liveSlots.length; n++) {
      const slot = liveSlots[n]!;
      live++;
      const packed = slot < packedPtrs.length ? packedPtrs[slot]! : -1;
      const f = fwd.slots.get(slotKey(segment, slot));
      if (f !== undefined) {
        if (packed < 0) continue;
        check.checked++;
        if (f.pager.packedAt(f.index, pack, step) === packed) check.agreeing++;
        else {
          const at = f.pager.slot(f.index)?.address ?? 0n;
          mismatch(`segment ${segment} slot ${slot}: c_packed_ptr points at ${hex(unpackPointer(BigInt(packed), params))}, but the slot mapping naming it is at ${hex(at)}`);
        }
        continue;
      }
      const bp = packed < 0 ? null : unpackPointer(BigInt(packed), params);
      const u: UnownedSlot = { segment, slot, backPointer: bp, pager: null, object: null, objectOffset: null };
      unowned.push(u);
      if (bp === null) continue;
      // which slot mapping is at the back-pointer, and does it name this slot?
      let value: number | null = null;
      let page: number | null = null;
      const known = pagerIndex().get(bp);
      if (known !== undefined) {
        value = known.value;
        page = known.page;
        u.pager = known.pager;
        u.object = known.object;
      } else {
        const emb = pagers.embeddedOwner(bp);
        if (emb !== null) {
          value = emb.pager.slot(emb.index)?.value ?? null;
          page = emb.index;
          u.pager = emb.pager.address;
          u.object = emb.pager.object;
        } else {
          const v = attempt(() => ctx.readU32(bp));
          value = v instanceof UnfoldError ? null : v;
        }
      }
      if (page !== null && u.object !== null && u.object !== 0n) {
        const o = fwd.resolver.objects.get(u.object);
        if (!(o instanceof UnfoldError)) u.objectOffset = BigInt(page) * BigInt(ctx.pageSize) - o.pagingOffset;
      }
      if (value === null) {
        mismatch(`segment ${segment} slot ${slot}: c_packed_ptr points at ${hex(bp)}, which is not in the image`);
        check.checked++;
        continue;
      }
      check.checked++;
      const d = decodeSlotValue(value);
      if (d.kind === 'slot' && d.segment === segment && d.slot === slot) check.agreeing++;
      else mismatch(`segment ${segment} slot ${slot}: c_packed_ptr points at ${hex(bp)}, whose slot mapping ${hex(value)} names ${d.kind === 'slot' ? `segment ${d.segment} slot ${d.slot}` : d.kind === 'single' ? `single-value entry ${d.svIndex}` : 'nothing'}`);
    }
  }
  const none: Owner[] = [];
  return {
    slotOwners: (segment, slot) => {
      const f = fwd.slots.get(slotKey(segment, slot));
      return f === undefined ? none : ownersOf(fwd, f);
    },
    svOwners: (i) => fwd.sv.get(i) ?? none,
    unowned,
    check,
    liveSlots: live,
  };
}
