// AArch64 stage-1 translation of kernel (TTBR1) addresses with the 16 KiB granule, as macOS 11+ on
// Apple silicon uses it.
//
// Layout implemented (16 KiB granule: 14 offset bits, 11 index bits per level, 2048 entries a table):
//   L0 bit 47 | L1 bits 46:36 | L2 bits 35:25 | L3 bits 24:14 | offset bits 13:0
// The VA size is 64 − T1SZ bits; the walk starts at the level holding the VA's top bit and the root
// table has only the entries those bits index. macOS on Apple silicon boots with T1SZ = 17
// (xnu T1SZ_BOOT for 16 KiB pages without the sub-page L1 option): 47-bit kernel VAs, root = a full
// 2048-entry L1 table, kernel addresses 0xffff8000_00000000 and up (the kernel itself at
// 0xfffffe00_0xxxxxxx). iOS-style T1SZ = 25 gives 39 bits and an 8-entry L1 root; both are accepted.
//
// Descriptors: bit 0 valid; bit 1 = table (L0–L2) or page (L3, must be 1); L2 block (bit 1 clear)
// maps 32 MiB; output address bits 47:14 (tables, pages) or 47:25 (L2 blocks). A 16 KiB granule has
// no L1 blocks (without FEAT_LPA2), so an L1 entry with bit 1 clear is treated as invalid.
// Pointer-authentication bits must be stripped by the caller (set the top bits to ones).
import type { PhysicalImage } from '../image/types';
import { PagedSpace, WALK_NONCANONICAL, WALK_PAGE_ABSENT, WALK_TABLE_ABSENT, WALK_UNMAPPED } from './paged';

const TWO32 = 2 ** 32;
const GRANULE = 16384;
const LEVEL_SHIFT = [47, 36, 25, 14] as const; // lowest VA bit each level indexes

export const ARM64_MACOS_T1SZ = 17;

export class Arm64Space extends PagedSpace {
  readonly arch = 'arm64' as const;
  readonly t1sz: number;
  private readonly vaBits: number;
  private readonly startLevel: number;
  private readonly rootEntries: number;
  private readonly lowest: number; // smallest va48 inside the TTBR1 region

  constructor(image: PhysicalImage, ttbr1Root: number, t1sz = ARM64_MACOS_T1SZ) {
    if (!Number.isInteger(t1sz) || t1sz < 16 || t1sz > 38) throw new RangeError(`T1SZ ${t1sz} not supported (16..38)`);
    // TTBR1 holds ASID bits 63:48 and CnP in bit 0: keep the table address bits 47:1 only
    const root = (ttbr1Root % 2 ** 48) - (ttbr1Root % 2);
    super(image, root, GRANULE);
    this.t1sz = t1sz;
    this.vaBits = 64 - t1sz;
    this.startLevel = this.vaBits > 47 ? 0 : this.vaBits > 36 ? 1 : this.vaBits > 25 ? 2 : 3;
    this.rootEntries = 2 ** (this.vaBits - LEVEL_SHIFT[this.startLevel]!);
    this.lowest = 2 ** 48 - 2 ** Math.min(this.vaBits, 48);
  }

  protected walk(va48: number, hi16: number): number {
    if (hi16 !== 0xffff || va48 < this.lowest) return this.fail(WALK_NONCANONICAL, 'TTBR1', -1);
    let tablePhys = this.dtb;
    for (let level = this.startLevel; level <= 3; level++) {
      const shift = LEVEL_SHIFT[level]!;
      const entries = level === this.startLevel ? this.rootEntries : 2048;
      const idx = Math.floor(va48 / 2 ** shift) % entries;
      const name = 'L' + level;
      const t = this.table(tablePhys, entries * 8);
      if (t === null) return this.fail(WALK_TABLE_ABSENT, name, tablePhys);
      const elo = t.getUint32(idx * 8, true);
      const ehi = t.getUint32(idx * 8 + 4, true);
      const entryPhys = tablePhys + idx * 8;
      if ((elo & 1) === 0) return this.fail(WALK_UNMAPPED, name, entryPhys);
      const isTableOrPage = (elo & 2) !== 0;
      if (level === 3) {
        if (!isTableOrPage) return this.fail(WALK_UNMAPPED, name, entryPhys);
        return this.leaf((ehi & 0xffff) * TWO32 + ((elo & 0xffffc000) >>> 0));
      }
      if (!isTableOrPage) {
        if (level !== 2) return this.fail(WALK_UNMAPPED, name, entryPhys);
        // 32 MiB block: output bits 47:25, the VA supplies 24:14 of the granule
        const base = (ehi & 0xffff) * TWO32 + ((elo & 0xfe000000) >>> 0);
        const within = va48 % 2 ** 25;
        return this.leaf(base + within - (within % GRANULE));
      }
      tablePhys = (ehi & 0xffff) * TWO32 + ((elo & 0xffffc000) >>> 0);
    }
    return this.fail(WALK_UNMAPPED, 'L3', -1);
  }

  private leaf(page: number): number {
    if (!this.image.isPresent(page, GRANULE)) return this.fail(WALK_PAGE_ABSENT, 'page', page);
    return page;
  }
}

/** the kernel's virtual space on an Apple-silicon Mac: `ttbr1Root` is the TTBR1 table's physical address */
export function createArm64Space(image: PhysicalImage, ttbr1Root: number, t1sz = ARM64_MACOS_T1SZ): Arm64Space {
  return new Arm64Space(image, ttbr1Root, t1sz);
}

/** strip pointer-authentication / tag bits from a kernel pointer (TTBR1 half: top bits become ones) */
export function stripKernelPac(ptr: bigint, t1sz = ARM64_MACOS_T1SZ): bigint {
  const vaBits = BigInt(64 - t1sz);
  return ptr | (((1n << 64n) - 1n) ^ ((1n << vaBits) - 1n));
}
