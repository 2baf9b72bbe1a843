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

export interface CaseInfo {
  image: ImageInfo;
  kernel: KernelInfo;
  compressor: CompressorSummary;
}
