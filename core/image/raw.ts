// Raw and padded raw images (dd, osxpmem --format raw): file offset = physical address.
// A raw file carries no header, so the only thing it can promise is whole pages: a file whose
// size is not a multiple of 4 KiB ends inside a page, and that page is reported as truncated.
import { ImageFormatError } from '../errors';
import type { FileSource } from './cache';
import { FileBytes, SegmentedImage, hex } from './segmented';

const PAGE = 4096;
/** no Mac has less memory than this; smaller files are not memory images */
export const MIN_RAW_SIZE = 1024 * 1024;

/** Refuse files that cannot be a raw memory image (empty, tiny, plain text). */
export function checkPlausibleRaw(file: FileSource): void {
  if (file.size === 0) throw new ImageFormatError(`${file.path} is empty`, { path: file.path, size: 0 });
  if (file.size < MIN_RAW_SIZE) {
    throw new ImageFormatError(
      `${file.path} is not a memory image Unfold knows: no container header was recognised, and at ${file.size} bytes it is too small to be a raw image (at least ${MIN_RAW_SIZE} bytes)`,
      { path: file.path, size: file.size },
    );
  }
  // Physical page 0 of a PC or Mac holds binary data (interrupt vectors, zeros); a file that opens
  // with 64 KiB of printable text is a document, not memory.
  const head = file.bytes(0, 64 * 1024);
  let text = true;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (!(c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0x80)) {
      text = false;
      break;
    }
  }
  if (text) {
    throw new ImageFormatError(`${file.path} is not a memory image Unfold knows: it has no container header and begins with text`, {
      path: file.path,
    });
  }
}

export function openRaw(file: FileSource, extraNotes: string[] = []): SegmentedImage {
  if (file.size === 0) throw new ImageFormatError(`${file.path} is empty`, { path: file.path, size: 0 });
  const notes = [...extraNotes, `raw: file offset = physical address, one range ${hex(0)}–${hex(file.size)}`];
  let length = file.size;
  if (file.size % PAGE !== 0) {
    // the header-less promise is "whole pages": the cut page stays in `ranges` and reading its
    // missing tail reports the truncation
    length = Math.ceil(file.size / PAGE) * PAGE;
    notes.push(`the file size ${hex(file.size)} is not a multiple of the 4 KiB page size: its last page is cut short`);
  }
  return new SegmentedImage('raw', file.path, [file.path], [{ phys: 0, length, offset: 0, source: new FileBytes(file) }], notes, [file]);
}
