// IA-32e 4-level paging (PML4 → PDPT → PD → PT) with 4 KiB, 2 MiB (PD.PS) and 1 GiB (PDPT.PS) pages.
// Entries are read as two u32 halves so the walk never touches bigint: the physical frame is
// bits 51:12, which fits a double exactly.
import type { PhysicalImage } from '../image/types';
import { PagedSpace, WALK_NONCANONICAL, WALK_PAGE_ABSENT, WALK_TABLE_ABSENT, WALK_UNMAPPED } from './paged';

const TWO32 = 2 ** 32;
const TWO39 = 2 ** 39;
const TWO30 = 2 ** 30;
const TWO21 = 2 ** 21;
const PAGE = 4096;
/** descend() results (WALK_* codes are negative) */
const TABLE = 0;
const LARGE = 1;

export class X86_64Space extends PagedSpace {
  readonly arch = 'x86_64' as const;

  constructor(image: PhysicalImage, dtb: number) {
    // CR3 carries flags in its low 12 bits (PCID, PWT, PCD): the table is page aligned
    super(image, dtb - (dtb % PAGE), PAGE);
  }

  // where descend() stopped: the PT that maps the address, or the 4 KiB granule inside a large page
  private pt: DataView | null = null;
  private ptPhys = 0;
  private largeBase = 0;
  private largeSize = 0;

  protected walk(va48: number, hi16: number): number {
    const r = this.descend(va48, hi16);
    if (r < 0) return r;
    if (r === LARGE) return this.leaf(this.largeBase);
    return this.pte(this.pt!, this.ptPhys, ((va48 % TWO32) >>> 12) & 0x1ff);
  }

  /** a run of granules from one PT (one table lookup) or one large page: what walk gives for each */
  protected override granuleRun(g: number, hi16: number, max: number, out: Float64Array, at: number): number {
    const va48 = g * PAGE;
    const r = this.descend(va48, hi16);
    if (r < 0) {
      out[at] = -1;
      return 1;
    }
    if (r === LARGE) {
      const n = Math.min(max, (this.largeSize - (va48 % this.largeSize)) / PAGE);
      for (let k = 0; k < n; k++) {
        const p = this.largeBase + k * PAGE;
        out[at + k] = this.image.isPresent(p, PAGE) ? p : -1;
      }
      return n;
    }
    const i1 = ((va48 % TWO32) >>> 12) & 0x1ff;
    const n = Math.min(max, 512 - i1);
    const t = this.pt!;
    const tp = this.ptPhys;
    for (let k = 0; k < n; k++) {
      const b = this.pte(t, tp, i1 + k);
      out[at + k] = b < 0 ? -1 : b;
    }
    return n;
  }

  /** the page a PT entry maps, or a WALK_* code */
  private pte(t: DataView, tablePhys: number, i1: number): number {
    const elo = t.getUint32(i1 * 8, true);
    const ehi = t.getUint32(i1 * 8 + 4, true);
    if ((elo & 1) === 0) return this.fail(WALK_UNMAPPED, 'PT', tablePhys + i1 * 8);
    return this.leaf((ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0));
  }

  /**
   * Walk PML4 → PDPT → PD for the address: TABLE with this.pt/ptPhys set to the PT that maps it,
   * LARGE with this.largeBase set to its 4 KiB granule inside a 1 GiB or 2 MiB page (largeSize),
   * or a WALK_* code.
   */
  private descend(va48: number, hi16: number): number {
    // canonical: bits 63:48 copy bit 47
    const top = va48 >= 2 ** 47 ? 0xffff : 0;
    if (hi16 !== top) return this.fail(WALK_NONCANONICAL, 'PML4', -1);

    const i4 = Math.floor(va48 / TWO39) & 0x1ff;
    const i3 = Math.floor(va48 / TWO30) & 0x1ff;
    const lo = va48 % TWO32;
    const i2 = (lo >>> 21) & 0x1ff;

    // PML4
    let t = this.table(this.dtb, PAGE);
    if (t === null) return this.fail(WALK_TABLE_ABSENT, 'PML4', this.dtb);
    let elo = t.getUint32(i4 * 8, true);
    let ehi = t.getUint32(i4 * 8 + 4, true);
    if ((elo & 1) === 0) return this.fail(WALK_UNMAPPED, 'PML4', this.dtb + i4 * 8);
    let next = (ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0);

    // PDPT
    t = this.table(next, PAGE);
    if (t === null) return this.fail(WALK_TABLE_ABSENT, 'PDPT', next);
    const pdptEntry = next + i3 * 8;
    elo = t.getUint32(i3 * 8, true);
    ehi = t.getUint32(i3 * 8 + 4, true);
    if ((elo & 1) === 0) return this.fail(WALK_UNMAPPED, 'PDPT', pdptEntry);
    if (elo & 0x80) {
      const base = (ehi & 0xfffff) * TWO32 + ((elo & 0xc0000000) >>> 0);
      this.largeBase = base + (va48 % TWO30) - (va48 % PAGE);
      this.largeSize = TWO30;
      return LARGE;
    }
    next = (ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0);

    // PD
    t = this.table(next, PAGE);
    if (t === null) return this.fail(WALK_TABLE_ABSENT, 'PD', next);
    const pdEntry = next + i2 * 8;
    elo = t.getUint32(i2 * 8, true);
    ehi = t.getUint32(i2 * 8 + 4, true);
    if ((elo & 1) === 0) return this.fail(WALK_UNMAPPED, 'PD', pdEntry);
    if (elo & 0x80) {
      const base = (ehi & 0xfffff) * TWO32 + ((elo & 0xffe00000) >>> 0);
      this.largeBase = base + (lo % TWO21) - (lo % PAGE);
      this.largeSize = TWO21;
      return LARGE;
    }
    next = (ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0);

    // PT
    t = this.table(next, PAGE);
    if (t === null) return this.fail(WALK_TABLE_ABSENT, 'PT', next);
    this.pt = t;
    this.ptPhys = next;
    return TABLE;
  }

  private leaf(page: number): number {
    if (!this.image.isPresent(page, PAGE)) return this.fail(WALK_PAGE_ABSENT, 'page', page);
    return page;
  }
}

/** the kernel's virtual space on an x86_64 Mac: `dtb` is the PML4's physical address (CR3) */
export function createX86_64Space(image: PhysicalImage, dtb: number): X86_64Space {
  return new X86_64Space(image, dtb);
}
