// Sparse physical memory for test images: pages are created on first touch (zero-filled) and merged
// into runs when the builder finishes. Addresses not covered by any page are holes.
import type { SparseMemory } from './types';

export const PAGE_SIZE = 4096;

function checkRange(size: number, phys: number, length: number): void {
  if (!Number.isSafeInteger(phys) || phys < 0 || !Number.isSafeInteger(length) || length < 0 || phys + length > size) {
    throw new RangeError(`physical range ${phys.toString(16)}+${length.toString(16)} is outside the machine's ${size.toString(16)} bytes`);
  }
}

/** A finished, immutable-by-convention sparse memory: sorted runs of page-aligned data. */
export class SparseMemoryImpl implements SparseMemory {
  readonly chunks: ReadonlyArray<{ start: number; data: Uint8Array }>;
  private readonly starts: number[];

  constructor(
    readonly size: number,
    chunks: Array<{ start: number; data: Uint8Array }>,
  ) {
    const sorted = [...chunks].sort((a, b) => a.start - b.start);
    for (let i = 0; i < sorted.length; i++) {
      const c = sorted[i];
      if (c.start % PAGE_SIZE !== 0 || c.data.length % PAGE_SIZE !== 0 || c.data.length === 0) {
        throw new RangeError(`chunk at ${c.start.toString(16)} (${c.data.length} bytes) is not page-aligned`);
      }
      if (c.start + c.data.length > size) throw new RangeError(`chunk at ${c.start.toString(16)} runs past the memory size ${size.toString(16)}`);
      if (i > 0 && sorted[i - 1].start + sorted[i - 1].data.length > c.start) throw new RangeError(`chunks overlap at ${c.start.toString(16)}`);
    }
    this.chunks = sorted;
    this.starts = sorted.map((c) => c.start);
  }

  /** index of the chunk holding `phys`, or -1 */
  private find(phys: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid];
      if (c.start <= phys) {
        if (phys < c.start + c.data.length) return mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return -1;
  }

  /** true when every byte of [phys, phys+length) is backed by a page */
  isPresent(phys: number, length = 1): boolean {
    let pos = phys;
    const end = phys + length;
    while (pos < end) {
      const i = this.find(pos);
      if (i < 0) return false;
      const c = this.chunks[i];
      pos = c.start + c.data.length;
    }
    return true;
  }

  /** bytes at [phys, phys+length); holes read as zeros (use isPresent to tell them apart) */
  read(phys: number, length: number): Uint8Array {
    checkRange(this.size, phys, length);
    const out = new Uint8Array(length);
    let pos = phys;
    const end = phys + length;
    while (pos < end) {
      const i = this.find(pos);
      if (i < 0) {
        // skip to the next chunk start (or the end)
        const next = this.chunks.find((c) => c.start > pos);
        pos = next ? Math.min(next.start, end) : end;
        continue;
      }
      const c = this.chunks[i];
      const n = Math.min(end, c.start + c.data.length) - pos;
      out.set(c.data.subarray(pos - c.start, pos - c.start + n), pos - phys);
      pos += n;
    }
    return out;
  }

  /** total bytes held (holes excluded) */
  get presentBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.data.length;
    return n;
  }
}

/** Builds a SparseMemory page by page. */
export class SparseMemoryBuilder {
  private readonly pages = new Map<number, Uint8Array>();

  /** @param size one past the highest physical address of the machine (holes included) */
  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) throw new RangeError(`memory size ${size} must be a positive multiple of ${PAGE_SIZE}`);
  }

  /** the 4 KiB page holding `phys` (created zero-filled on first use); writes into it are kept */
  page(phys: number): Uint8Array {
    checkRange(this.size, phys, 1);
    const n = Math.floor(phys / PAGE_SIZE);
    let p = this.pages.get(n);
    if (!p) {
      p = new Uint8Array(PAGE_SIZE);
      this.pages.set(n, p);
    }
    return p;
  }

  /** copy bytes to `phys`, creating the pages they touch */
  write(phys: number, bytes: Uint8Array): void {
    checkRange(this.size, phys, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const pos = phys + done;
      const p = this.page(pos);
      const inPage = pos % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, bytes.length - done);
      p.set(bytes.subarray(done, done + n), inPage);
      done += n;
    }
  }

  /** true when the page holding `phys` exists */
  has(phys: number): boolean {
    return this.pages.has(Math.floor(phys / PAGE_SIZE));
  }

  /** bytes at [phys, phys+length); pages not created read as zeros */
  read(phys: number, length: number): Uint8Array {
    checkRange(this.size, phys, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const pos = phys + done;
      const inPage = pos % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, length - done);
      const p = this.pages.get(Math.floor(pos / PAGE_SIZE));
      if (p) out.set(p.subarray(inPage, inPage + n), done);
      done += n;
    }
    return out;
  }

  /** merge the pages into runs of consecutive pages */
  finish(): SparseMemoryImpl {
    const nums = [...this.pages.keys()].sort((a, b) => a - b);
    const chunks: Array<{ start: number; data: Uint8Array }> = [];
    let i = 0;
    while (i < nums.length) {
      let j = i;
      while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
      const data = new Uint8Array((j - i + 1) * PAGE_SIZE);
      for (let k = i; k <= j; k++) data.set(this.pages.get(nums[k])!, (k - i) * PAGE_SIZE);
      chunks.push({ start: nums[i] * PAGE_SIZE, data });
      i = j + 1;
    }
    return new SparseMemoryImpl(this.size, chunks);
  }
}
