// LiME: a chain of 32-byte headers {u32 magic 0x4C694D45, u32 version 1, u64 start, u64 end
// (inclusive), u64 reserved}, each followed by end-start+1 bytes of memory.
import { ImageFormatError } from '../errors';
import type { FileSource } from './cache';
import { FileBytes, SegmentedImage, hex, type Segment } from './segmented';

export const LIME_MAGIC = 0x4c694d45;
const HEADER = 32;
/** a LiME file with more headers than this is damaged (a real one has tens) */
const MAX_SEGMENTS = 1 << 20;

export function openLime(file: FileSource): SegmentedImage {
  const segments: Segment[] = [];
  const notes: string[] = [];
  const src = new FileBytes(file);
  let off = 0;
  let lastEnd = -1;
  while (off < file.size) {
    if (segments.length >= MAX_SEGMENTS) throw new ImageFormatError(`LiME: more than ${MAX_SEGMENTS} segment headers`, { path: file.path });
    const h = file.bytes(off, HEADER);
    const where = `LiME header ${segments.length} at file offset ${hex(off)}`;
    if (h.length < HEADER) {
      notes.push(`truncated: the file ends at ${hex(file.size)} inside ${where} (${h.length} of ${HEADER} bytes)`);
      break;
    }
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const magic = dv.getUint32(0, true);
    if (magic !== LIME_MAGIC) {
      throw new ImageFormatError(`${where}: magic is ${hex(magic)}, expected ${hex(LIME_MAGIC)}`, { path: file.path, field: 'magic', offset: off });
    }
    const version = dv.getUint32(4, true);
    if (version !== 1) {
      throw new ImageFormatError(`${where}: version is ${version}, expected 1`, { path: file.path, field: 'version', offset: off });
    }
    const start = dv.getBigUint64(8, true);
    const end = dv.getBigUint64(16, true);
    if (end < start) {
      throw new ImageFormatError(`${where}: end ${hex(end)} is below start ${hex(start)}`, { path: file.path, field: 'end', offset: off });
    }
    if (end >= 1n << 52n) {
      throw new ImageFormatError(`${where}: end ${hex(end)} is beyond any physical address`, { path: file.path, field: 'end', offset: off });
    }
    const s = Number(start);
    const len = Number(end - start) + 1;
    if (s <= lastEnd) {
      throw new ImageFormatError(`${where}: start ${hex(s)} is not above the previous segment's end ${hex(lastEnd)}`, {
        path: file.path,
        field: 'start',
        offset: off,
      });
    }
    segments.push({ phys: s, length: len, offset: off + HEADER, source: src });
    lastEnd = s + len - 1;
    off += HEADER + len;
  }
  if (segments.length === 0) throw new ImageFormatError(`LiME: ${file.path} has no segment`, { path: file.path });
  return new SegmentedImage('lime', file.path, [file.path], segments, notes, [file]);
}
