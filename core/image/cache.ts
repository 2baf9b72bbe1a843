// Evidence files are read through one process-wide cache of fixed-size blocks, so that resident
// memory stays bounded whatever the image size (a 32 GB image is never read whole), and the many
// small reads of page-table walks hit memory instead of the disk.
import fs from 'node:fs';
import { ImageFormatError } from '../errors';

/** A bounded least-recently-used map from numeric keys to byte buffers, limited by total bytes. */
export class ByteLru {
  private readonly map = new Map<number, Uint8Array>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private maxBytes: number) {}

  get(key: number): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map keeps insertion order: re-inserting moves the entry to the young end.
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: number, value: Uint8Array): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.bytes -= old.byteLength;
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.bytes += value.byteLength;
    this.evict();
  }

  /** drop every entry whose key satisfies `pred` (used when a file is closed) */
  deleteWhere(pred: (key: number) => boolean): void {
    for (const [k, v] of this.map) {
      if (pred(k)) {
        this.map.delete(k);
        this.bytes -= v.byteLength;
      }
    }
  }

  setLimit(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evict();
  }

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.map.size;
  }

  private evict(): void {
    while (this.bytes > this.maxBytes && this.map.size > 0) {
      const first = this.map.keys().next().value as number;
      const v = this.map.get(first)!;
      this.map.delete(first);
      this.bytes -= v.byteLength;
    }
  }
}

// 16 KiB: small reads land on kernel objects scattered over the whole image (the process walk reads
// maps, objects and pagers all over 1.4 GB of the 500k bench image); 64 KiB blocks loaded four
// times the bytes per miss and their garbage made attribution cost 25 % more CPU, with no gain for
// the page-table walks, whose tables are single 4 KiB pages.
export const BLOCK_SIZE = 16 * 1024;
/** keys are fileId * 2^30 + block index: 2^30 blocks of 16 KiB = 16 TiB per file, 2^23 files */
const FILE_KEY_STRIDE = 2 ** 30;

/** evidence file blocks, shared by every open image */
export const blockCache = new ByteLru(32 * 1024 * 1024);
/** decompressed AFF4 chunks, shared by every open image */
export const chunkCache = new ByteLru(16 * 1024 * 1024);

/** resize the shared caches (bytes); for hosts that want a smaller or larger footprint */
export function setImageCacheLimits(blockBytes: number, chunkBytes: number): void {
  blockCache.setLimit(blockBytes);
  chunkCache.setLimit(chunkBytes);
}

export function imageCacheStats(): { blockBytes: number; blockHits: number; blockMisses: number; chunkBytes: number; chunkHits: number; chunkMisses: number } {
  return {
    blockBytes: blockCache.size,
    blockHits: blockCache.hits,
    blockMisses: blockCache.misses,
    chunkBytes: chunkCache.size,
    chunkHits: chunkCache.hits,
    chunkMisses: chunkCache.misses,
  };
}

let nextFileId = 1;
let nextCacheOwnerId = 1;
/** a fresh id for anything that puts entries in `chunkCache` */
export function newCacheOwnerId(): number {
  return nextCacheOwnerId++;
}

/** Reads requests at least this long that cover whole uncached blocks go straight to the caller's buffer. */
const DIRECT_READ_MIN = 4 * BLOCK_SIZE;
/** Uncached reads at least this long bypass the block cache (see readAt). */
const PAGE_DIRECT_MIN = 4096;

/** An evidence file opened read-only; every read goes through `blockCache`. */
export class FileSource {
  readonly id: number;
  readonly fd: number;
  readonly size: number;
  private closed = false;
  // the most recent block: consecutive small reads usually land in it, skipping the map lookup
  private lastKey = -1;
  private lastBlock: Uint8Array | null = null;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'r');
    try {
      const st = fs.fstatSync(this.fd);
      if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) {
        throw new ImageFormatError(`${path} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not an image file`, { path });
      }
      this.size = st.size;
    } catch (e) {
      fs.closeSync(this.fd);
      throw e;
    }
    this.id = nextFileId++;
  }

  /**
   * Copy file bytes [offset, offset+length) into out[outOffset…]. Returns how many bytes were
   * copied: fewer than `length` only when the file ends first.
   */
  readAt(offset: number, out: Uint8Array, outOffset: number, length: number): number {
    if (this.closed) throw new Error(`${this.path} is closed`);
    if (offset >= this.size || length <= 0) return 0;
    const avail = Math.min(length, this.size - offset);
    let pos = offset;
    let o = outOffset;
    const end = offset + avail;
    while (pos < end) {
      const bi = Math.floor(pos / BLOCK_SIZE);
      const inBlock = pos - bi * BLOCK_SIZE;
      const key = this.id * FILE_KEY_STRIDE + bi;
      let block: Uint8Array | undefined;
      if (key === this.lastKey && this.lastBlock !== null) {
        block = this.lastBlock;
        blockCache.hits++;
      } else block = blockCache.get(key);
      if (block === undefined) {
        // Large reads that start on a block boundary copy whole blocks straight from disk and leave
        // the cache alone: a full scan would otherwise flush every block the page walker needs.
        // Page-sized and larger reads (segment buffers, whole pages) go straight to the caller's
        // buffer too: their pages are physically scattered, so caching 64 KiB around each 4 KiB page
        // would read 16 times the data and churn the cache the page-table walker relies on.
        if (end - pos >= PAGE_DIRECT_MIN) {
          const n = this.readFully(pos, out, o, end - pos);
          pos += n;
          break;
        }
        if (inBlock === 0 && end - pos >= DIRECT_READ_MIN) {
          const whole = Math.floor((end - pos) / BLOCK_SIZE) * BLOCK_SIZE;
          const n = this.readFully(pos, out, o, whole);
          pos += n;
          o += n;
          if (n < whole) break;
          continue;
        }
        block = this.loadBlock(bi);
        blockCache.set(key, block);
      }
      this.lastKey = key;
      this.lastBlock = block;
      const n = Math.min(block.length - inBlock, end - pos);
      if (n <= 0) break;
      out.set(block.subarray(inBlock, inBlock + n), o);
      pos += n;
      o += n;
    }
    return pos - offset;
  }

  /** a fresh copy of file bytes (shorter than `length` when the file ends first) */
  bytes(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(length, this.size - offset)));
    const n = this.readAt(offset, out, 0, out.length);
    return n === out.length ? out : out.subarray(0, n);
  }

  private loadBlock(bi: number): Uint8Array {
    const start = bi * BLOCK_SIZE;
    const len = Math.min(BLOCK_SIZE, this.size - start);
    const buf = new Uint8Array(len);
    const n = this.readFully(start, buf, 0, len);
    return n === len ? buf : buf.subarray(0, n);
  }

  private readFully(position: number, out: Uint8Array, outOffset: number, length: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, out, outOffset + done, length - done, position + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lastBlock = null;
    const lo = this.id * FILE_KEY_STRIDE;
    const hi = lo + FILE_KEY_STRIDE;
    blockCache.deleteWhere((k) => k >= lo && k < hi);
    fs.closeSync(this.fd);
  }
}
