// A container maps physical addresses to bytes in the evidence file. Physical addresses are plain
// numbers: every physical address a Mac can have is below 2^52, inside the exact range of a double.

export type ContainerFormat = 'raw' | 'lime' | 'elf' | 'macho' | 'aff4' | 'vmware' | 'ewf';

export interface PhysRange {
  /** first physical address of the range */
  start: number;
  /** length in bytes */
  length: number;
}

export interface PhysicalImage {
  readonly format: ContainerFormat;
  /** the evidence file (for VMware: the .vmem; companions are listed in `files`) */
  readonly path: string;
  /** every file the container reads (all opened read-only) */
  readonly files: readonly string[];
  /** physical ranges the evidence holds, sorted by start, non-overlapping */
  readonly ranges: readonly PhysRange[];
  /** human-readable remarks found while opening (e.g. "truncated at …") */
  readonly notes: readonly string[];
  /**
   * Copy `length` bytes at physical address `phys` into `out` at `outOffset`.
   * Throws NotPresentError naming the first absent address when any byte lies outside `ranges`,
   * and TruncatedImageError when the file ends before the range its header promised.
   */
  readInto(phys: number, out: Uint8Array, outOffset: number, length: number): void;
  /** convenience: a fresh buffer of `length` bytes at `phys` (same errors as readInto) */
  read(phys: number, length: number): Uint8Array;
  /** true when every byte of [phys, phys+length) lies inside `ranges` */
  isPresent(phys: number, length?: number): boolean;
  /**
   * Physical ranges that may hold non-zero bytes, when the container knows that the rest of `ranges`
   * are holes of a sparse file (read as zeros); undefined when it does not know. Lets a full scan
   * skip terabytes of holes.
   */
  dataRanges?(): PhysRange[] | undefined;
  close(): void;
}
