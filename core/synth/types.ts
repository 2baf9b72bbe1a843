// Contracts between the pieces of the test-image builder:
//   kernel.ts      (page tables, slid kernel, banner, symbols, ISF)   implements SynthKernel
//   compressor.ts  (c_segments, slots, buffers, sv table)            uses SynthKernel
//   containers.ts  (raw, LiME, ELF, Mach-O, AFF4, VMware wrappers)    consumes SparseMemory
import type { BaseType, EnumType, UserType } from '../symbols/types';

/** physical memory as page-aligned chunks; addresses not covered are holes */
export interface SparseMemory {
  /** one past the highest physical address the machine has (holes included) */
  readonly size: number;
  /** sorted, non-overlapping, start and length multiples of 4096 */
  readonly chunks: ReadonlyArray<{ start: number; data: Uint8Array }>;
  read(phys: number, length: number): Uint8Array;
}

export interface IsfJson {
  metadata: Record<string, unknown>;
  base_types: Record<string, BaseType>;
  user_types: Record<string, UserType>;
  enums: Record<string, EnumType>;
  /** addresses may exceed 2^53: the writer emits them as exact integers (see kernel.ts isfToJson) */
  symbols: Record<string, { address: bigint; type?: unknown; constant_data?: string }>;
}

export interface SynthKernelOptions {
  arch: 'x86_64' | 'arm64';
  /** full banner, e.g. "Darwin Kernel Version 17.7.0: … root:xnu-4570.71.2~1/RELEASE_X86_64" */
  banner: string;
  /** KASLR slide (multiple of 2 MiB on x86_64); default a fixed non-zero value */
  slide?: bigint;
  /** bytes of physical memory the synthetic machine has (default 64 MiB) */
  physSize?: number;
  seed?: number;
}

export interface SynthKernel {
  readonly arch: 'x86_64' | 'arm64';
  /** 4096 for x86_64, 16384 for arm64 */
  readonly pageSize: number;
  readonly slide: bigint;
  /** allocate kernel heap memory backed by physically scattered pages; returns its (slid) VA */
  alloc(size: number, align?: number): bigint;
  /** reserve a kernel VA range with no pages behind it (like c_buffers); back parts with back() */
  reserve(size: number, align?: number): bigint;
  /** give [va, va+size) physical pages (page-granular), scattered; idempotent per page */
  back(va: bigint, size: number): void;
  /** allocate a global inside the slid kernel image and define the symbol (unslid in the ISF) */
  global(name: string, size: number, align?: number): bigint;
  /** define a symbol at a slid VA */
  defineSymbol(name: string, va: bigint): void;
  addUserType(name: string, type: UserType): void;
  write(va: bigint, bytes: Uint8Array): void;
  writeU16(va: bigint, v: number): void;
  writeU32(va: bigint, v: number): void;
  writeU64(va: bigint, v: bigint): void;
  /** bytes at a VA through the builder's own mapping */
  readVa(va: bigint, length: number): Uint8Array;
  finish(): SynthImage;
}

export interface SynthImage {
  memory: SparseMemory;
  isf: IsfJson;
  banner: string;
  slide: bigint;
  /** physical address of the kernel's top-level page table */
  dtb: number;
  arch: 'x86_64' | 'arm64';
  pageSize: number;
}
