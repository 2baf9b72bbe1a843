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
