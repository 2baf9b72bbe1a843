// The uncompressed size of an .xz file, found without decompressing anything. An ISF is decompressed
// whole into memory, so its size is checked first: a few hundred kilobytes of xz can hold gigabytes of
// zeros.
//
// Format (xz file format 1.0.4): a file is one or more streams, each `header (12) · blocks · index ·
// footer (12)`, optionally followed by zero padding in multiples of 4. The footer gives the index size
// ("backward size"); the index lists each block's unpadded and uncompressed size as variable-length
// integers (7 bits per byte, low first). The index could lie, so each block's LZMA2 data is walked too:
// every LZMA2 chunk header states its unpacked size, and their sum is what the decoder must produce.

export class XzIndexError extends Error {}

function varint(b: Uint8Array, pos: { at: number }, end: number): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 9; i++) {
    if (pos.at >= end) throw new XzIndexError('the index ends inside a number');
    const c = b[pos.at++]!;
    v += (c & 0x7f) * mul;
    if ((c & 0x80) === 0) {
      if (!Number.isSafeInteger(v)) throw new XzIndexError('a size in the index is too large');
      return v;
    }
    mul *= 128;
  }
  throw new XzIndexError('a number in the index is longer than 9 bytes');
}

const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const LZMA2 = 0x21;

/**
 * The unpacked size of one block's LZMA2 data, from its chunk headers alone; null when the block
 * uses another filter chain (then only the index can be asked).
 */
function blockSize(b: Uint8Array, at: number, unpadded: number, checkSize: number): number | null {
  const hsize = (b[at]! + 1) * 4;
  if (b[at] === 0 || at + hsize > b.length) throw new XzIndexError('a block header is damaged');
  const flags = b[at + 1]!;
  const pos = { at: at + 2 };
  const hend = at + hsize - 4;
  if (flags & 0x40) varint(b, pos, hend);
  if (flags & 0x80) varint(b, pos, hend);
  const filters = (flags & 3) + 1;
  let onlyLzma2 = filters === 1;
  for (let i = 0; i < filters; i++) {
    const id = varint(b, pos, hend);
    const props = varint(b, pos, hend);
    if (id !== LZMA2) onlyLzma2 = false;
    pos.at += props;
  }
  if (!onlyLzma2) return null;
  let p = at + hsize;
  const end = at + unpadded - checkSize;
  if (end > b.length || end < p) throw new XzIndexError('a block runs past the end of the file');
  let total = 0;
  for (;;) {
    if (p >= end) throw new XzIndexError('LZMA2 data ends without its end marker');
    const c = b[p]!;
    if (c === 0) return total;
    if (c === 1 || c === 2) {
      if (p + 3 > end) throw new XzIndexError('an LZMA2 chunk header is cut short');
      const n = ((b[p + 1]! << 8) | b[p + 2]!) + 1;
      total += n;
      p += 3 + n;
    } else if (c >= 0x80) {
      if (p + 5 > end) throw new XzIndexError('an LZMA2 chunk header is cut short');
      total += (c & 0x1f) * 65536 + ((b[p + 1]! << 8) | b[p + 2]!) + 1;
      const packed = ((b[p + 3]! << 8) | b[p + 4]!) + 1;
      p += 5 + (((c >> 5) & 3) >= 2 ? 1 : 0) + packed;
    } else {
      throw new XzIndexError(`an LZMA2 chunk has the invalid control byte 0x${c.toString(16)}`);
    }
  }
}

/**
 * Total uncompressed bytes of every block of every stream. The index's figure is checked against the
 * LZMA2 chunk headers of each block (XzIndexError when they disagree), so a file cannot declare little
 * and expand to much.
 */
export function xzDeclaredSize(b: Uint8Array): number {
  let end = b.length;
  let total = 0;
  let streams = 0;
  while (end > 0) {
    // stream padding: zero bytes, a multiple of 4
    while (end >= 4 && b[end - 1] === 0 && b[end - 2] === 0 && b[end - 3] === 0 && b[end - 4] === 0) end -= 4;
    if (end === 0) break;
    if (end < 24 || b[end - 2] !== 0x59 || b[end - 1] !== 0x5a) throw new XzIndexError('no xz stream footer where one should end');
    const footer = end - 12;
    const backward = ((b[footer + 4]! | (b[footer + 5]! << 8) | (b[footer + 6]! << 16)) + b[footer + 7]! * 2 ** 24 + 1) * 4;
    const indexStart = footer - backward;
    if (indexStart < 12) throw new XzIndexError('the index size points before the start of the file');
    if (b[indexStart] !== 0) throw new XzIndexError('the index does not start with its indicator byte');
    const pos = { at: indexStart + 1 };
    const records = varint(b, pos, footer);
    if (records > 1 << 20) throw new XzIndexError(`the index lists ${records} blocks`);
    let blocksBytes = 0;
    const list: Array<[number, number]> = [];
    for (let i = 0; i < records; i++) {
      const unpadded = varint(b, pos, footer);
      const uncompressed = varint(b, pos, footer);
      list.push([unpadded, uncompressed]);
      blocksBytes += Math.ceil(unpadded / 4) * 4;
      total += uncompressed;
      if (!Number.isSafeInteger(total)) throw new XzIndexError('the declared size is too large');
    }
    const streamStart = indexStart - blocksBytes - 12;
    if (streamStart < 0) throw new XzIndexError('the blocks the index lists do not fit before it');
    if (b[streamStart] !== 0xfd || b[streamStart + 1] !== 0x37 || b[streamStart + 2] !== 0x7a) throw new XzIndexError('the index does not lead back to a stream header');
    const checkSize = CHECK_SIZES[b[streamStart + 7]! & 0x0f]!;
    let at = streamStart + 12;
    for (const [unpadded, uncompressed] of list) {
      const real = blockSize(b, at, unpadded, checkSize);
      if (real !== null && real !== uncompressed) throw new XzIndexError(`the index declares a block of ${uncompressed} bytes, its data holds ${real}`);
      at += Math.ceil(unpadded / 4) * 4;
    }
    end = streamStart;
    if (++streams > 1024) throw new XzIndexError('more than 1024 streams');
  }
  return total;
}
