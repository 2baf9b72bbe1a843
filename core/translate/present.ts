// Reading a virtual range that may have holes: a buffer that is virtually contiguous but physically
// scattered can lose one page (cleared page-table entry, page absent from the image, truncated file)
// while the pages after it are still there. Every present page is read; each absent page becomes a
// hole carrying the error that names it (virtual address, and the physical address when known).
import { UnfoldError } from '../errors';
import type { VirtualSpace } from './types';

export interface Hole {
  /** byte offsets [from, to) relative to the start of the read */
  from: number;
  to: number;
  /** why those bytes are absent, naming the address (the error of the hole's first byte) */
  error: string;
}

export interface PresentRead {
  /** `length` bytes; holes read as zeros */
  bytes: Uint8Array;
  /** absent ranges, sorted, one per page (a range never spans two pages) */
  holes: Hole[];
}

/**
 * Read [va, va+length) into `into` (or a new buffer): at once when everything is there, else page by
 * page so that one absent page loses only itself.
 */
export function readPresent(space: VirtualSpace, va: bigint, length: number, into?: Uint8Array): PresentRead {
  const bytes = into && into.length === length ? into : new Uint8Array(length);
  const holes: Hole[] = [];
  if (length === 0) return { bytes, holes };
  try {
    space.readInto(va, bytes, 0, length);
    return { bytes, holes };
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
  }
  const ps = space.pageSize;
  const first = Number(va % BigInt(ps));
  let pos = 0;
  while (pos < length) {
    const n = Math.min(length - pos, pos === 0 ? ps - first : ps);
    try {
      space.readInto(va + BigInt(pos), bytes, pos, n);
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      bytes.fill(0, pos, pos + n);
      holes.push({ from: pos, to: pos + n, error: err.message });
    }
    pos += n;
  }
  return { bytes, holes };
}

/** the first hole overlapping [from, to), or null */
export function holeIn(holes: readonly Hole[], from: number, to: number): Hole | null {
  for (const h of holes) {
    if (h.from >= to) break;
    if (h.to > from) return h;
  }
  return null;
}

/** consecutive holes merged into ranges, for one problem line per run */
export function holeRuns(holes: readonly Hole[]): Array<{ from: number; to: number; pages: number }> {
  const out: Array<{ from: number; to: number; pages: number }> = [];
  for (const h of holes) {
    const last = out[out.length - 1];
    if (last && last.to === h.from) {
      last.to = h.to;
      last.pages++;
    } else out.push({ from: h.from, to: h.to, pages: 1 });
  }
  return out;
}

/**
 * readPresent for many small reads scattered over kernel memory (slot arrays of every segment):
 * each virtual page touched is read whole, once, straight from the image (a page-sized read skips
 * the image's 64 KiB block cache, which would read 16 times as much around each scattered page),
 * and the last pages read are kept, direct-mapped by page number, for the next reads. A read within
 * one page is a view of that page (never written again); a read that meets an absent page is
 * readPresent's, holes and all.
 */
export function pagedReader(space: VirtualSpace, slots = 64): (va: bigint, length: number) => PresentRead {
  const ps = space.pageSize;
  const shift = BigInt(Math.log2(ps));
  // page numbers of 64-bit addresses are below 2^52: exact as doubles
  const keys = new Float64Array(slots).fill(-1);
  const pages: Array<Uint8Array | null> = new Array<Uint8Array | null>(slots).fill(null);
  const page = (key: number): Uint8Array | null => {
    const at = key % slots;
    if (keys[at] === key) return pages[at]!;
    const p = new Uint8Array(ps);
    try {
      space.readInto(BigInt(key) << shift, p, 0, ps);
    } catch (err) {
      if (!(err instanceof UnfoldError)) throw err;
      return null;
    }
    keys[at] = key;
    pages[at] = p;
    return p;
  };
  return (va, length) => {
    const first = Number(va >> shift);
    const off = Number(va - (BigInt(first) << shift));
    if (off + length <= ps) {
      const p = page(first);
      if (p === null) return readPresent(space, va, length);
      return { bytes: p.subarray(off, off + length), holes: [] };
    }
    const bytes = new Uint8Array(length);
    let pos = 0;
    for (let key = first; pos < length; key++) {
      const p = page(key);
      if (p === null) return readPresent(space, va, length, bytes);
      const from = key === first ? off : 0;
      const n = Math.min(length - pos, ps - from);
      bytes.set(p.subarray(from, from + n), pos);
      pos += n;
    }
    return { bytes, holes: [] };
  };
}
