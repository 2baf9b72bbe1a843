// What a case is, as the CLI prints it and the app shows it: plain data (JSON-safe), no Node imports.
import type { CompressorSummary } from './darwin/types';
import type { ContainerFormat, PhysRange } from './image/types';

export interface ImageInfo {
  /** the evidence file */
  path: string;
  format: ContainerFormat;
  /** every file the container reads */
  files: string[];
  ranges: PhysRange[];
  notes: string[];
  /** end of the highest physical range */
  size: number;
}

export interface KernelInfo {
  banner: string;
  arch: 'x86_64' | 'arm64';
  /** where the symbol table came from (file, folder match, built-in) */
  symbols: string;
  kaslrSlide: string;
  dtb: string;
  darwin: { major: number; minor: number; patch: number };
  macos: string;
  xnu: string;
}

/** the process walk: whether it ran (the ISF must bring the process and VM types), and what it found */
export interface ProcessesInfo {
  available: boolean;
  /** why not, naming the missing types */
  reason?: string;
  count: number;
  /** broken lists, unreadable maps or objects */
  problems: string[];
  /** live slots no process maps */
  unownedSlots?: number;
}

export interface SwapFileInfo {
  /** the file given */
  path: string;
  /** the kernel's swp_index (the index in swap handles) */
  index: number;
  /** the kernel's own name for it */
  kernelPath: string;
  size: number;
  /** null until hashed (Case.swapFilesHashed(): like the image's, only when info or an export needs it) */
  sha256: string | null;
  /** swapped-out segments read from it */
  segments: number;
}

export interface SwapInfo {
  /** the swap cipher found in the image (no key material), or null when nothing needed it */
  cipher: string | null;
  /** swap files given and matched to the kernel's list */
  files: SwapFileInfo[];
  /** missing, short, foreign or unrelated files; segments refused (also among the compressor's problems) */
  problems: string[];
}

export interface CaseInfo {
  image: ImageInfo;
  kernel: KernelInfo;
  compressor: CompressorSummary;
  swap: SwapInfo;
  processes?: ProcessesInfo;
}
