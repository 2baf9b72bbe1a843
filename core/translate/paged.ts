// Shared machinery of the page-table walkers: a bounded cache of table pages, a bounded TLB of
// granule translations, and reads that cross page boundaries. Subclasses only know how to walk.
//
// Virtual addresses arrive as bigint (API contract) but are handled internally as the low 48 bits
// in a double: every index and offset the walkers need lives below bit 48, so after one bigint
// conversion per call the hot path is plain number arithmetic (no bigint per page).
import { NotPresentError, UnfoldError } from '../errors';
import type { PhysicalImage } from '../image/types';
import type { Arch, VirtualSpace } from './types';

/** walk results below zero: why there is no translation */
export const WALK_UNMAPPED = -1; // an entry on the way is not valid / not present
export const WALK_TABLE_ABSENT = -2; // a page table lies outside the image
export const WALK_PAGE_ABSENT = -3; // the leaf page lies outside the image
export const WALK_NONCANONICAL = -4; // the address is outside the space the tables cover

const TWO48 = 2 ** 48;
const MASK48 = (1n << 48n) - 1n;

export interface WalkFailure {
  code: number;
  /** level name where the walk stopped, e.g. "PML4", "PD", "L2" */
  level: string;
  /** physical address of the entry or page at fault, or -1 */
  phys: number;
}

const TABLE_CACHE_MAX = 1024;
const TLB_MAX = 1 << 16;
const DIRECT_SIZE = 1 << 12;
const DIRECT_MASK = DIRECT_SIZE - 1;

export abstract class PagedSpace implements VirtualSpace {
  abstract readonly arch: Arch;
  readonly pageSize: number;
  readonly dtb: number;
  protected readonly image: PhysicalImage;
  /** log2(pageSize) */
  protected readonly pageShift: number;
  private readonly tables = new Map<number, DataView>();
  // key = va48 / pageSize; value = physical base of that granule, or a WALK_* code
  private readonly tlb = new Map<number, number>();
  /** details of the last failed walk (for messages); reset by each walk */
  protected failure: WalkFailure = { code: 0, level: '', phys: -1 };
  private readonly failures = new Map<number, WalkFailure>();
  // A direct-mapped TLB in front of the Map: keys above 2^31 are heap numbers, so every Map lookup
  // boxes one, and the reads of a buffer look up each granule twice (run merging, then the next run).
  // Only successful translations go here, so failure messages always come from `failures`.
  private readonly directKeys = new Float64Array(DIRECT_SIZE).fill(-1);
  private readonly directBases = new Float64Array(DIRECT_SIZE);

  protected constructor(image: PhysicalImage, dtb: number, pageSize: number) {
    if (!Number.isSafeInteger(dtb) || dtb < 0) throw new UnfoldError('BAD_DTB', `bad page-table root ${dtb}`);
    this.image = image;
    this.dtb = dtb;
    this.pageSize = pageSize;
    this.pageShift = Math.log2(pageSize);
  }

  /**
   * Walk the tables for the granule holding `va48` (low 48 bits of the address, `hi16` the top 16);
   * return the physical address of the granule's first byte, or a WALK_* code with this.failure set.
   */
  protected abstract walk(va48: number, hi16: number): number;

  /** read `bytes` bytes of a table at physical `phys` through the cache; null when absent */
  protected table(phys: number, bytes: number): DataView | null {
    let dv = this.tables.get(phys);
    if (dv !== undefined) return dv;
    if (!this.image.isPresent(phys, bytes)) return null;
    const buf = this.image.read(phys, bytes);
    dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (this.tables.size >= TABLE_CACHE_MAX) {
      // evict the oldest entry (Map keeps insertion order); tables are tiny and re-read cheaply
      const first = this.tables.keys().next().value as number;
      this.tables.delete(first);
    }
    this.tables.set(phys, dv);
    return dv;
  }

  protected fail(code: number, level: string, phys: number): number {
    this.failure = { code, level, phys };
    return code;
  }

  /** granule base physical address (or WALK_* code) for a granule index, through the TLB */
  private granule(gIndex: number, hi16: number): number {
    const key = gIndex * 65536 + hi16;
    // gIndex & mask takes the low bits (ToInt32 keeps the low 32 bits of an index below 2^48)
    const slot = gIndex & DIRECT_MASK;
    if (this.directKeys[slot] === key) return this.directBases[slot]!;
    const hit = this.tlb.get(key);
    if (hit !== undefined) {
      if (hit >= 0) this.remember(slot, key, hit);
      return hit;
    }
    const r = this.walk(gIndex * this.pageSize, hi16);
    if (this.tlb.size >= TLB_MAX) {
      this.tlb.clear();
      this.failures.clear();
    }
    this.tlb.set(key, r);
    if (r < 0) this.failures.set(key, this.failure);
    else this.remember(slot, key, r);
    return r;
  }

  private remember(slot: number, key: number, base: number): void {
    this.directKeys[slot] = key;
    this.directBases[slot] = base;
  }

  private lastFailure(gIndex: number, hi16: number): WalkFailure {
    return this.failures.get(gIndex * 65536 + hi16) ?? this.failure;
  }

  private static split(va: bigint): [number, number] {
    return [Number(va & MASK48), Number((va >> 48n) & 0xffffn)];
  }

  private static join(va48: number, hi16: number): bigint {
    return (BigInt(hi16) << 48n) + BigInt(va48);
  }

  private notPresent(va48: number, hi16: number): NotPresentError {
    const gIndex = Math.floor(va48 / this.pageSize);
    const f = this.lastFailure(gIndex, hi16);
    const where = f.phys >= 0 ? ` at physical 0x${f.phys.toString(16)}` : '';
    const why =
      f.code === WALK_UNMAPPED
        ? `is not mapped (${f.level} entry not valid${where})`
        : f.code === WALK_TABLE_ABSENT
          ? `cannot be translated: its ${f.level} table${where} is not in the image`
          : f.code === WALK_PAGE_ABSENT
            ? `maps to a page${where} that is not in the image`
            : `is outside the kernel address space of this ${this.arch} page table`;
    return new NotPresentError('virtual', PagedSpace.join(va48, hi16), why);
  }

  tryTranslate(va: bigint): number {
    const [va48, hi16] = PagedSpace.split(va);
    const gIndex = Math.floor(va48 / this.pageSize);
    const base = this.granule(gIndex, hi16);
    return base < 0 ? -1 : base + (va48 - gIndex * this.pageSize);
  }

  granuleBases(va: bigint, count: number, out: Float64Array): void {
    const [va48, hi16] = PagedSpace.split(va);
    const g0 = Math.floor(va48 / this.pageSize);
    let i = 0;
    while (i < count) {
      // past the top of the 48 bits the address is another (non-canonical) one: no translation
      if ((g0 + i) * this.pageSize >= TWO48) out[i++] = -1;
      else i += this.granuleRun(g0 + i, hi16, count - i, out, i);
    }
  }

  /**
   * Bases of granules g, g+1, … (at most `max`, at least one) into out[at…] as granuleBases gives
   * them, returning how many. A walker that can read a run of entries from one leaf table (or one
   * large page) without walking again for each overrides this; these results bypass the TLB.
   */
  protected granuleRun(g: number, hi16: number, max: number, out: Float64Array, at: number): number {
    const b = this.granule(g, hi16);
    out[at] = b < 0 ? -1 : b;
    return 1;
  }

  translate(va: bigint): number {
    const p = this.tryTranslate(va);
    if (p < 0) {
      const [va48, hi16] = PagedSpace.split(va);
      throw this.notPresent(va48, hi16);
    }
    return p;
  }

  readInto(va: bigint, out: Uint8Array, outOffset: number, length: number): void {
    if (length < 0 || outOffset < 0 || outOffset + length > out.length) {
      throw new RangeError(`readInto: ${length} bytes at ${outOffset} do not fit a buffer of ${out.length}`);
    }
    let [va48, hi16] = PagedSpace.split(va);
    let done = 0;
    while (done < length) {
      // Gather a run of pages that are physically contiguous as well, and read it with one call:
      // buffers backed by consecutive frames cost one read instead of one per page.
      const runVa = va48;
      const gIndex = Math.floor(va48 / this.pageSize);
      const inPage = va48 - gIndex * this.pageSize;
      const base = this.granule(gIndex, hi16);
      if (base < 0) throw this.notPresent(va48, hi16);
      const runPhys = base + inPage;
      let n = Math.min(length - done, this.pageSize - inPage);
      let nextG = gIndex + 1;
      while (done + n < length && runVa + n < TWO48) {
        const b = this.granule(nextG, hi16);
        if (b !== runPhys + n) break;
        n += Math.min(length - done - n, this.pageSize);
        nextG++;
      }
      try {
        this.image.readInto(runPhys, out, outOffset + done, n);
      } catch (e) {
        if (e instanceof NotPresentError && e.space === 'physical') {
          const va2 = runVa + (Number(e.address) - runPhys);
          throw new NotPresentError('virtual', PagedSpace.join(va2, hi16), `maps to physical ${e.address.toString(16)} which is not in the image`);
        }
        throw e;
      }
      done += n;
      va48 += n;
      if (va48 >= TWO48 && done < length) {
        throw new NotPresentError('virtual', PagedSpace.join(va48, hi16), 'is past the end of the address space');
      }
    }
  }

  read(va: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(va, out, 0, length);
    return out;
  }

  private readonly small = new Uint8Array(8);
  private readonly smallView = new DataView(this.small.buffer);

  readU32(va: bigint): number {
    this.readInto(va, this.small, 0, 4);
    return this.smallView.getUint32(0, true);
  }

  readU64(va: bigint): bigint {
    this.readInto(va, this.small, 0, 8);
    return this.smallView.getBigUint64(0, true);
  }
}
