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

export class X86_64Space extends PagedSpace {
  readonly arch = 'x86_64' as const;

  constructor(image: PhysicalImage, dtb: number) {
    // CR3 carries flags in its low 12 bits (PCID, PWT, PCD): the table is page aligned
    super(image, dtb - (dtb % PAGE), PAGE);
  }

  protected walk(va48: number, hi16: number): number {
    // canonical: bits 63:48 copy bit 47
    const top = va48 >= 2 ** 47 ? 0xffff : 0;
    if (hi16 !== top) return this.fail(WALK_NONCANONICAL, 'PML4', -1);

    const i4 = Math.floor(va48 / TWO39) & 0x1ff;
    const i3 = Math.floor(va48 / TWO30) & 0x1ff;
    const lo = va48 % TWO32;
    const i2 = (lo >>> 21) & 0x1ff;
    const i1 = (lo >>> 12) & 0x1ff;

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
      return this.leaf(base + (va48 % TWO30) - (va48 % PAGE));
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
      return this.leaf(base + (lo % TWO21) - (lo % PAGE));
    }
    next = (ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0);

    // PT
    t = this.table(next, PAGE);
    if (t === null) return this.fail(WALK_TABLE_ABSENT, 'PT', next);
    const ptEntry = next + i1 * 8;
    elo = t.getUint32(i1 * 8, true);
    ehi = t.getUint32(i1 * 8 + 4, true);
    if ((elo & 1) === 0) return this.fail(WALK_UNMAPPED, 'PT', ptEntry);
    return this.leaf((ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0));
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
