// Every container reduces to a sorted list of segments: a physical range backed by bytes at some
// offset of a source (a file, or a decompressed AFF4 stream). This module does the shared part:
// validation, overlap handling, truncation notes, the read loop and the errors.
import { NotPresentError, TruncatedImageError } from '../errors';
import type { FileSource } from './cache';
import type { ContainerFormat, PhysicalImage, PhysRange } from './types';
import { dataExtents } from './sparse';

export const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** Bytes addressed by offset. `phys` is the physical address of out[outOffset], for error messages. */
export interface ByteSource {
  readAt(offset: number, out: Uint8Array, outOffset: number, length: number, phys: number): void;
  /** the file behind this source when offsets are file offsets (for truncation notes) */
  readonly file?: FileSource;
}

export interface Segment {
  phys: number;
  length: number;
  /** offset of the first byte inside `source` */
  offset: number;
  source: ByteSource;
}

/** A source that is a plain file: offset = file offset. A read past the end is a truncated image. */
export class FileBytes implements ByteSource {
  constructor(readonly file: FileSource) {}
  readAt(offset: number, out: Uint8Array, outOffset: number, length: number, phys: number): void {
    const n = this.file.readAt(offset, out, outOffset, length);
    if (n < length) throw new TruncatedImageError(phys + n, offset + n, this.file.size, this.file.path);
  }
}

/** A source whose every byte is one value (AFF4 symbolic streams such as aff4:Zero). */
export class ConstantBytes implements ByteSource {
  constructor(readonly value: number) {}
  readAt(_offset: number, out: Uint8Array, outOffset: number, length: number): void {
    out.fill(this.value, outOffset, outOffset + length);
  }
}

export function truncationNote(phys: number, fileOffset: number, fileSize: number): string {
  return `truncated: physical ${hex(phys)} maps to file offset ${hex(fileOffset)}, file ends at ${hex(fileSize)}`;
}

function isUint(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

export class SegmentedImage implements PhysicalImage {
  readonly ranges: readonly PhysRange[];
  readonly notes: string[];
  private readonly segs: Segment[];
  // parallel arrays of segment bounds for a tight binary search
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly closers: Array<{ close(): void }>;
  private closed = false;

  constructor(
    readonly format: ContainerFormat,
    readonly path: string,
    readonly files: readonly string[],
    segments: Segment[],
    notes: string[],
    closers: Array<{ close(): void }>,
  ) {
    this.notes = notes;
    this.closers = closers;
    const segs = segments.filter((s) => s.length > 0).sort((a, b) => a.phys - b.phys || a.offset - b.offset);
    // Overlapping segments would make an address ambiguous; the first (lowest start) wins and the
    // overlap is reported, so nothing is silently read from two places.
    const kept: Segment[] = [];
    for (const s of segs) {
      const prev = kept[kept.length - 1];
      if (prev && s.phys < prev.phys + prev.length) {
        const prevEnd = prev.phys + prev.length;
        const cut = Math.min(prevEnd - s.phys, s.length);
        notes.push(`overlap: physical ${hex(s.phys)}–${hex(s.phys + cut)} is described twice; the first description is used`);
        if (cut >= s.length) continue;
        kept.push({ phys: s.phys + cut, length: s.length - cut, offset: s.offset + cut, source: s.source });
      } else kept.push(s);
    }
    this.segs = kept;
    this.starts = Float64Array.from(kept, (s) => s.phys);
    this.ends = Float64Array.from(kept, (s) => s.phys + s.length);

    const ranges: PhysRange[] = [];
    for (const s of kept) {
      const last = ranges[ranges.length - 1];
      if (last && last.start + last.length === s.phys) last.length += s.length;
      else ranges.push({ start: s.phys, length: s.length });
    }
    this.ranges = ranges.map((r) => Object.freeze(r));

    // A header that promises more than the file holds: say where the file ends (first occurrence).
    let reported = 0;
    for (const s of kept) {
      const f = s.source.file;
      if (!f || s.offset + s.length <= f.size) continue;
      if (reported === 0) {
        const inFile = Math.max(0, f.size - s.offset);
        notes.push(truncationNote(s.phys + inFile, s.offset + inFile, f.size));
      }
      reported++;
    }
    if (reported > 1) notes.push(`truncated: ${reported - 1} more segment(s) lie wholly or partly past the end of the file`);
  }

  /** index of the segment holding `phys`, or -1 */
  private find(phys: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] <= phys) {
        if (phys < this.ends[mid]) return mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return -1;
  }

  readInto(phys: number, out: Uint8Array, outOffset: number, length: number): void {
    if (this.closed) throw new Error(`image ${this.path} is closed`);
    if (!isUint(phys) || !isUint(length) || !isUint(outOffset) || outOffset + length > out.length) {
      throw new RangeError(`readInto(${phys}, out[${out.length}], ${outOffset}, ${length}): bad arguments`);
    }
    if (length === 0) return;
    let pos = phys;
    let o = outOffset;
    let left = length;
    let i = this.find(pos);
    while (left > 0) {
      if (i < 0 || i >= this.segs.length || pos < this.starts[i] || pos >= this.ends[i]) {
        throw new NotPresentError('physical', pos);
      }
      const s = this.segs[i];
      const n = Math.min(left, this.ends[i] - pos);
      s.source.readAt(s.offset + (pos - s.phys), out, o, n, pos);
      pos += n;
      o += n;
      left -= n;
      i++;
    }
  }

  read(phys: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(phys, out, 0, length);
    return out;
  }

  isPresent(phys: number, length = 1): boolean {
    if (!isUint(phys) || !isUint(length)) return false;
    if (length === 0) return true;
    // ranges are merged, so a present span lies inside one range
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.ranges[mid];
      if (r.start <= phys) {
        if (phys < r.start + r.length) return phys + length <= r.start + r.length;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return false;
  }

  private dataCache: PhysRange[] | null | undefined;

  /**
   * The physical ranges backed by data extents of their files (sparse files only; see sparse.ts).
   * Segments whose source is not a plain file count as data throughout.
   */
  dataRanges(): PhysRange[] | undefined {
    if (this.dataCache !== undefined) return this.dataCache ?? undefined;
    const byFile = new Map<string, Array<[number, number]> | null>();
    const out: PhysRange[] = [];
    let sparse = false;
    for (const s of this.segs) {
      const f = s.source.file;
      let ext: Array<[number, number]> | null = null;
      if (f) {
        if (!byFile.has(f.path)) byFile.set(f.path, dataExtents(f.path));
        ext = byFile.get(f.path)!;
      }
      if (!ext) {
        out.push({ start: s.phys, length: s.length });
        continue;
      }
      sparse = true;
      const lo = s.offset;
      const hi = s.offset + s.length;
      for (const [a, b] of ext) {
        const x = Math.max(a, lo);
        const y = Math.min(b, hi);
        if (y > x) out.push({ start: s.phys + (x - lo), length: y - x });
      }
    }
    this.dataCache = sparse ? out : null;
    return this.dataCache ?? undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.closers) c.close();
  }
}
