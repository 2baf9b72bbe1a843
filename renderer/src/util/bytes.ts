// Bytes for the hex views: base64 from the API into Uint8Array, and selections back out as text.

export function fromBase64(b64: string | null): Uint8Array | null {
  if (b64 === null) return null;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export const byteHex = (b: number): string => HEX[b]!;

export function toHex(b: Uint8Array, sep = ' '): string {
  const parts = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) parts[i] = HEX[b[i]!]!;
  return parts.join(sep);
}

export const printable = (b: number): boolean => b >= 0x20 && b < 0x7f;
export const asciiChar = (b: number): string => (printable(b) ? String.fromCharCode(b) : '.');

/** printable ASCII kept, everything else a dot (what "copy as text" gives) */
export function toText(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += asciiChar(b[i]!);
  return s;
}

/**
 * one UTF-16LE code unit as a visible character, or a dot. Only Latin, Greek and Cyrillic are shown:
 * random bytes read as UTF-16 land mostly in CJK and other large blocks, and a column full of such
 * glyphs hides the real strings (which on a Mac are overwhelmingly in these ranges).
 */
export function utf16Char(lo: number, hi: number): string {
  const u = lo | (hi << 8);
  if (u >= 0x20 && u < 0x7f) return String.fromCharCode(u);
  if ((u >= 0xc0 && u < 0x250) || (u >= 0x391 && u < 0x3ca) || (u >= 0x410 && u < 0x450)) return String.fromCharCode(u);
  return '.';
}

/**
 * the bytes read as UTF-16LE text (what "copy as UTF-16" gives): an odd last byte is left out, and
 * control characters other than tab and line breaks become dots so the copy pastes as one readable text
 */
export function toUtf16Text(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const u = b[i]! | (b[i + 1]! << 8);
    s += u < 0x20 && u !== 9 && u !== 10 && u !== 13 ? '.' : String.fromCharCode(u);
  }
  return s;
}

/**
 * how many bytes a hex row can show in `widthPx` (offset, hex, ASCII and optionally UTF-16 columns,
 * `charPx` per monospace character, `chromePx` for padding and scrollbar): the largest of 32, 16, 8, 4
 * not above `max`, never below 4
 */
export function bytesPerRowFor(widthPx: number, charPx: number, offsetChars: number, max: number, utf16: boolean, chromePx = 28): number {
  for (const n of [32, 16, 8, 4]) {
    if (n > max) continue;
    const chars = offsetChars + 3 * n + 1 + n + (utf16 ? 2 + n / 2 : 0);
    if (chars * charPx + chromePx <= widthPx) return n;
  }
  return 4;
}
