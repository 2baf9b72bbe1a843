export {
  MZV_MAGIC,
  singleValueOf,
  wkdmCompress,
  wkdmDecompress,
  type WkdmCompressOptions,
  type WkdmDecompressOptions,
  type WkdmPageSize,
} from './wkdm';
export { lz4DecodeBlock, lz4EncodeBlock } from './lz4';
export { classifyStream, decodePage, type DecodePageOptions, type PageKind, type StreamClass } from './page';
