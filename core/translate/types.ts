// Kernel virtual → physical through the image's own page tables. Virtual addresses are bigint:
// kernel addresses (0xffffff80…) do not fit a double exactly.

export type Arch = 'x86_64' | 'arm64';

export interface VirtualSpace {
  readonly arch: Arch;
  /** translation granule of leaf pages (4096 for x86_64, 16384 for arm64 macOS) */
  readonly pageSize: number;
  /** physical address of the top-level table (PML4 on x86_64, TTBR1 table on arm64) */
  readonly dtb: number;
  /** physical address of `va`; throws NotPresentError('virtual', va) when unmapped or not in the image */
  translate(va: bigint): number;
  /** like translate but returns -1 instead of throwing */
  tryTranslate(va: bigint): number;
  /**
   * Physical base address of each of `count` consecutive granules, the first being the one that
   * holds `va`, or -1 where tryTranslate would give -1: a run of pages translated without a bigint
   * per page (optional; callers fall back to tryTranslate). A granule given a base lies in the
   * image whole.
   */
  granuleBases?(va: bigint, count: number, out: Float64Array): void;
  /** copies bytes across page boundaries; throws NotPresentError naming the first missing virtual address */
  readInto(va: bigint, out: Uint8Array, outOffset: number, length: number): void;
  read(va: bigint, length: number): Uint8Array;
  readU32(va: bigint): number;
  readU64(va: bigint): bigint;
}
