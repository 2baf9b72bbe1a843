// The other direction (process-memory.md §5): every live compressed slot gets its owners (pid, va)
// from the forward walk, joined on the slot key; a slot no process maps is reported unowned, with the
// pager and object its back-pointer leads to when one can be found (a pager the walk read, a pager
// whose embedded slots hold it, or one the signature scan of pager-scan.ts finds). Both directions are checked: the c_packed_ptr of slot (seg, slot) must
// point at the slot mapping that names (seg, slot) — a mismatch means compaction moved the slot while
// the image was taken, or damage; they are counted, never hidden.
import { UnfoldError } from '../errors';
import { attempt, type KernelContext } from './kernel';
import { decodeSlotValue } from './pager';
import { scanForPagers, type PagerScan } from './pager-scan';
import type { CompressorPlan } from './plan-types';
import { packPointer, unpackPointer, type PackingParams } from './pointers';
import { ownersOf, type Owner, type ProcessWalkResult } from './process-walk';
import { indexSlotMappings, type SlotMappingIndex } from './slot-mappings';

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
  /** the signature scan for pagers no map reaches (null when every unowned slot's pager was already known) */
  pagerScan: PagerScan | null;
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
  let index: SlotMappingIndex | null = null;
  const pagerIndex = (): SlotMappingIndex => {
    if (index !== null) return index;
    // only pagers holding slot mappings the processes did not reach can be where an unowned slot points
    const claimed = fwd.slots.perPager();
    const open = [...pagers.all()].filter(
      (p) =>
        !(p.occupied !== null && p.occupied <= (claimed.get(p) ?? 0)) &&
        // an ops-pointer hit of the scan that read as a pager with impossible counts is not one
        !(p.numSlots <= 0 || (p.occupied !== null && p.occupied > p.numSlots)),
    );
    return (index = indexSlotMappings(open));
  };
  const words = new PageWords(ctx);
  const unowned: UnownedSlot[] = [];
  // unowned slots whose back-pointer led to no known pager: resolved after the signature scan
  const pending: UnownedSlot[] = [];
  let live = 0;
  // slotBackPointer's unpacking, with the parameters parsed once (this runs for every live slot)
  const sp = plan.header.slotPacking;
  const params: PackingParams = { base: BigInt(sp.base), bits: sp.bits, shift: sp.shift, baseRelative: sp.baseRelative };
  // the forward side is compared in packed form: a slot mapping's packed address from its array's packed base
  const pack = (a: bigint): number => Number(packPointer(a, params));
  const step = 4 / 2 ** sp.shift;
  const scratch = { buf: new Int32Array(1024) };
  for (const seg of plan.segments) {
    const segment = seg.summary.index;
    const liveSlots = liveSlotsOf(seg, scratch);
    const packedPtrs = seg.packedPtrs;
    for (let n = 0; n < liveSlots.length; n++) {
      const slot = liveSlots[n]!;
      live++;
      const packed = slot < packedPtrs.length ? packedPtrs[slot]! : -1;
      const f = fwd.slots.find(segment, slot);
      if (f >= 0) {
        if (packed < 0) continue;
        check.checked++;
        const fp = fwd.slots.pagerOf(f);
        const fi = fwd.slots.indexOf(f);
        if (fp.packedAt(fi, pack, step) === packed) check.agreeing++;
        else {
          const at = fp.slot(fi)?.address ?? 0n;
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
          value = words.u32(bp);
          pending.push(u);
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
  let pagerScan: PagerScan | null = null;
  if (pending.length > 0) {
    pagerScan = scanForPagers(ctx, pagers, pending.map((u) => u.backPointer!));
    index = null; // rebuilt with the pagers the scan found
    for (const u of pending) {
      const known = pagerIndex().get(u.backPointer!);
      if (known === undefined) continue;
      u.pager = known.pager;
      // the pager's control must name an object whose pager is this one, or the object is not claimed
      const o = known.object === 0n ? null : fwd.resolver.objects.get(known.object);
      if (o === null || o instanceof UnfoldError || o.pager !== known.pager) continue;
      u.object = known.object;
      u.objectOffset = BigInt(known.page) * BigInt(ctx.pageSize) - o.pagingOffset;
    }
  }
  const none: Owner[] = [];
  return {
    slotOwners: (segment, slot) => {
      const f = fwd.slots.find(segment, slot);
      return f < 0 ? none : ownersOf(fwd, f);
    },
    svOwners: (i) => fwd.sv.get(i) ?? none,
    unowned,
    check,
    liveSlots: live,
    pagerScan,
  };
}

/**
 * The live slots of a segment in order: its decodable slots then its undecoded ones. The plan lists
 * them in order, so the two lists are used as they are unless the whole is not strictly increasing
 * (then sorted, repeats dropped). `scratch` holds them (one buffer for every segment).
 */
function liveSlotsOf(seg: CompressorPlan['segments'][number], scratch: { buf: Int32Array }): ArrayLike<number> {
  const a = seg.slots;
  const b = seg.undecoded;
  const n = a.length + b.length;
  if (scratch.buf.length < n) scratch.buf = new Int32Array(Math.max(n, scratch.buf.length * 2));
  const out = scratch.buf;
  let sorted = true;
  let k = 0;
  for (let i = 0; i < a.length; i++, k++) {
    out[k] = a[i]!.slot;
    if (k > 0 && out[k]! <= out[k - 1]!) sorted = false;
  }
  for (let i = 0; i < b.length; i++, k++) {
    out[k] = b[i]!.slot;
    if (k > 0 && out[k]! <= out[k - 1]!) sorted = false;
  }
  return sorted ? out.subarray(0, n) : [...new Set(out.subarray(0, n))].sort((x, y) => x - y);
}

/**
 * u32 reads at back-pointers, a kernel page at a time: the back-pointers of unowned slots crowd into
 * the same few slot arrays, so one page read serves many. A page that cannot be read whole is read
 * word by word, so a word reads exactly when ctx.readU32 would read it.
 */
class PageWords {
  private page = -1n;
  private view: DataView | null = null;
  private readonly ps: bigint;

  constructor(private readonly ctx: KernelContext) {
    this.ps = BigInt(ctx.pageSize);
  }

  /** the u32 at `va`, null when it is not in the image */
  u32(va: bigint): number | null {
    const inPage = Number(va % this.ps);
    if (inPage + 4 <= this.ctx.pageSize) {
      const page = va - BigInt(inPage);
      if (page !== this.page) {
        this.page = page;
        const b = attempt(() => this.ctx.read(page, this.ctx.pageSize));
        this.view = b instanceof UnfoldError ? null : new DataView(b.buffer, b.byteOffset, b.byteLength);
      }
      if (this.view !== null) return this.view.getUint32(inPage, true);
    }
    const v = attempt(() => this.ctx.readU32(va));
    return v instanceof UnfoldError ? null : v;
  }
}
