// `unfold decode`: one compressed stream in, one page out.
import { decodePage, classifyStream } from '../codecs/page';

export interface DecodeOptions {
  codec: 'wkdm' | 'lz4';
  pageSize: 4096 | 16384;
  dictPreset: 0 | 1;
}

/** Decodes a slot's bytes the way the kernel would read them; throws CodecError on a corrupt stream. */
export function decodeStreamFile(src: Uint8Array, o: DecodeOptions): Uint8Array {
  const page = new Uint8Array(o.pageSize);
  const kind = o.codec === 'lz4' ? 'lz4' : classifyStream(src, o.pageSize, o.dictPreset);
  decodePage(kind, src, page, { pageSize: o.pageSize, dictPreset: o.dictPreset });
  return page;
}
