// The uncompressed size an .xz file declares, read from its index (at the end of each stream) without
// decompressing anything. An ISF is decompressed whole into memory, so its size is checked first: a
// few hundred kilobytes of xz can hold gigabytes of zeros.
//
// Format (xz file format 1.0.4): a file is one or more streams, each `header (12) · blocks · index ·
// footer (12)`, optionally followed by zero padding in multiples of 4. The footer gives the index size
// ("backward size"); the index lists each block's unpadded and uncompressed size as variable-length
// integers (7 bits per byte, low first).

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

/** total uncompressed bytes of every block of every stream, as the indexes declare them */
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
    let blocksBytes = 0;
    for (let i = 0; i < records; i++) {
      const unpadded = varint(b, pos, footer);
      const uncompressed = varint(b, pos, footer);
      blocksBytes += Math.ceil(unpadded / 4) * 4;
      total += uncompressed;
      if (!Number.isSafeInteger(total)) throw new XzIndexError('the declared size is too large');
    }
    const streamStart = indexStart - blocksBytes - 12;
    if (streamStart < 0) throw new XzIndexError('the blocks the index lists do not fit before it');
    if (b[streamStart] !== 0xfd || b[streamStart + 1] !== 0x37 || b[streamStart + 2] !== 0x7a) throw new XzIndexError('the index does not lead back to a stream header');
    end = streamStart;
    if (++streams > 1024) throw new XzIndexError('more than 1024 streams');
  }
  return total;
}
