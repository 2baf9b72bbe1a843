// One entry point that turns a slot's bytes into a page, whatever the kind of slot
// (docs/compressor.md §6, docs/codecs.md §3).

import { CodecError } from '../errors';
import { lz4DecodeBlock } from './lz4';
import { MZV_MAGIC, wkdmDecompress, type WkdmPageSize } from './wkdm';

export type PageKind = 'wkdm' | 'lz4' | 'raw' | 'single' | 'mzv';
export type StreamClass = 'raw' | 'single' | 'mzv' | 'wkdm';

export interface DecodePageOptions {
  pageSize: WkdmPageSize;
  /** WKdm dictionary preset: 1 for 10.9–10.10, 0 from 10.11 (which also enables MZV). */
  dictPreset: 0 | 1;
}

/**
 * Names what a WKdm-codec slot holds from its exact length and first word: a raw page (length ==
 * page size), a single-value slot (4 bytes, 10.11+), an MZV stream (10.11+, word0 == 0x4321) or a
 * standard WKdm stream. LZ4 slots are told apart by the slot's codec bit, not by their bytes.
 */
export function classifyStream(src: Uint8Array, pageSize: number, dictPreset: 0 | 1): StreamClass {
  if (src.length === pageSize) return 'raw';
  if (src.length === 4 && dictPreset === 0) return 'single';
  if (dictPreset === 0 && src.length >= 4 && src[0] === (MZV_MAGIC & 255) && src[1] === MZV_MAGIC >>> 8 && src[2] === 0 && src[3] === 0) {
    return 'mzv';
  }
  return 'wkdm';
}

/** Decodes one slot into `dst` (exactly pageSize bytes). Throws CodecError on a damaged slot. */
export function decodePage(kind: PageKind, src: Uint8Array, dst: Uint8Array, opts: DecodePageOptions): void {
  const pageSize = opts.pageSize;
  if (dst.length !== pageSize) throw new RangeError(`page buffer must be exactly ${pageSize} bytes, got ${dst.length}`);
  switch (kind) {
    case 'raw':
      if (src.length !== pageSize) throw new CodecError('raw', 'raw page', Math.min(src.length, pageSize), `raw slot is ${src.length} bytes, not the ${pageSize}-byte page size`);
      dst.set(src);
      return;
    case 'single': {
      if (src.length !== 4) throw new CodecError('single', 'single value', Math.min(src.length, 4), `single-value slot is ${src.length} bytes, not 4`);
      const b0 = src[0]!, b1 = src[1]!, b2 = src[2]!, b3 = src[3]!;
      if (b0 === b1 && b1 === b2 && b2 === b3) {
        dst.fill(b0);
        return;
      }
      for (let o = 0; o < pageSize; o += 4) {
        dst[o] = b0;
        dst[o + 1] = b1;
        dst[o + 2] = b2;
        dst[o + 3] = b3;
      }
      return;
    }
    case 'mzv':
      if (src.length < 4 || src[0] !== (MZV_MAGIC & 255) || src[1] !== MZV_MAGIC >>> 8 || src[2] !== 0 || src[3] !== 0) {
        throw new CodecError('mzv', 'header word 0', 0, 'stream does not start with the MZV magic 0x4321');
      }
      wkdmDecompress(src, dst, { pageSize, dictPreset: opts.dictPreset, allowMzv: true });
      return;
    case 'wkdm':
      wkdmDecompress(src, dst, { pageSize, dictPreset: opts.dictPreset });
      return;
    case 'lz4':
      lz4DecodeBlock(src, dst);
      return;
    default:
      throw new RangeError(`unknown page kind ${String(kind)}`);
  }
}
