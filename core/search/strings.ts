// Printable text in one decompressed page, the way GNU strings finds it (`strings -a -n MIN` for ASCII,
// `strings -a -e l -n MIN` for UTF-16LE), with offsets within the page. Pages are not contiguous, so a run
// ends at the end of the page; text cut across two pages is two pieces (or none, when they are short).

import { DEFAULT_MIN_LENGTH } from './string-defaults';

export { DEFAULT_MIN_LENGTH };

export interface StringsOptions {
  /** shortest run reported, in characters (default 4, as GNU strings) */
  min?: number;
  /** ASCII runs: bytes 0x20–0x7e and tab (default true) */
  ascii?: boolean;
  /** UTF-16LE runs: code units whose low byte is as above and high byte is 0 (default true) */
  utf16?: boolean;
}

export type StringEncoding = 'ascii' | 'utf16le';
export type StringCallback = (offset: number, text: string, encoding: StringEncoding) => void;

/** 1 for bytes GNU strings calls graphic in its default mode: printable ASCII and tab. */
const PRINTABLE = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c++) PRINTABLE[c] = 1;
PRINTABLE[0x09] = 1;

/**
 * Calls onString for every run, in page order (by offset; at equal offsets ASCII first). Returns the
 * number of runs.
 */
export function extractStrings(page: Uint8Array, options: StringsOptions, onString: StringCallback): number {
  const min = options.min ?? DEFAULT_MIN_LENGTH;
  if (!Number.isInteger(min) || min < 1) throw new RangeError(`strings: minimum length must be a whole number ≥ 1 (got ${String(min)})`);
  const buf = Buffer.isBuffer(page) ? page : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  const wide: number[] = [];
  const wideEnd: number[] = [];
  if (options.utf16 !== false) utf16Runs(buf, min, wide, wideEnd);
  let w = 0;
  let count = 0;
  const flushWideBefore = (offset: number): void => {
    while (w < wide.length && wide[w]! < offset) {
      onString(wide[w]!, wideText(buf, wide[w]!, wideEnd[w]!), 'utf16le');
      w++;
      count++;
    }
  };
  if (options.ascii !== false) {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (!PRINTABLE[buf[i]!]) {
        i++;
        continue;
      }
      const start = i;
      while (i < n && PRINTABLE[buf[i]!]) i++;
      if (i - start >= min) {
        flushWideBefore(start);
        onString(start, buf.toString('latin1', start, i), 'ascii');
        count++;
      }
    }
  }
  flushWideBefore(Infinity);
  return count;
}

/**
 * UTF-16LE runs, found as GNU strings does: read two-byte units from a start; when a unit is not
 * printable, the next attempt starts one byte after that unit's first byte (so runs at odd offsets are
 * found too). Each run is [start, end) in bytes.
 */
function utf16Runs(buf: Buffer, min: number, starts: number[], ends: number[]): void {
  const n = buf.length;
  let p = 0;
  while (p + 1 < n) {
    if (!(buf[p + 1] === 0 && PRINTABLE[buf[p]!])) {
      p++;
      continue;
    }
    const start = p;
    while (p + 1 < n && buf[p + 1] === 0 && PRINTABLE[buf[p]!]) p += 2;
    if ((p - start) >> 1 >= min) {
      starts.push(start);
      ends.push(p);
    }
    // p is the first byte of the unit that broke the run (or the end); the next try starts after it.
    p++;
  }
}

function wideText(buf: Buffer, start: number, end: number): string {
  // Every unit is < 0x80, so the even bytes alone are the text.
  let s = '';
  for (let i = start; i < end; i += 2) s += String.fromCharCode(buf[i]!);
  return s;
}
