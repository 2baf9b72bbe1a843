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

export interface CaseInfo {
  image: ImageInfo;
  kernel: KernelInfo;
  compressor: CompressorSummary;
  processes?: ProcessesInfo;
}
