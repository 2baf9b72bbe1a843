// EWF / EnCase (.E01, EWF version 1 as written by EnCase 5/6 and libewf). A memory image acquired
// this way is the raw (padded) physical memory, so logical media offset = physical address.
//
// Layout of one segment file: a 13-byte file header (8-byte signature, u8 1, u16 segment number,
// u16 0), then a chain of sections. Each section begins with a 76-byte descriptor: 16-byte type,
// u64 absolute offset of the next descriptor, u64 section size (descriptor included), 40 bytes of
// padding and the Adler-32 of the first 72 bytes. The media is cut into chunks of
// sectors-per-chunk × bytes-per-sector bytes; 'table' sections (duplicated by 'table2') list where
// each chunk starts, as u32 offsets from a base: bit 31 set = zlib stream, clear = the chunk stored
// as is followed by its Adler-32. A set continues in .E02, .E03 … when a segment ends with 'next'
// instead of 'done'.
import nodePath from 'node:path';
import zlib from 'node:zlib';
import { ImageFormatError, TruncatedImageError, UnfoldError } from '../errors';
import { FileSource, chunkCache, newCacheOwnerId } from './cache';
import { SegmentedImage, hex, type ByteSource } from './segmented';

export const EWF1_SIGNATURE = [0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00];
export const EWF2_SIGNATURE = [0x45, 0x56, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00];

const FILE_HEADER = 13;
const DESCRIPTOR = 76;
const MAX_SECTIONS = 1 << 20;
const MAX_SEGMENTS = 14971; // E01–E99, then EAA–ZZZ
const MAX_CHUNK = 64 * 1024 * 1024;
/** whole decompressed chunks; keys are owner * 2^32 + chunk number */
const OWNER_STRIDE = 2 ** 32;

/** Adler-32 as zlib defines it */
export function adler32(b: Uint8Array, start = 0, end = b.length): number {
  let a = 1;
  let s = 0;
  let i = start;
  while (i < end) {
    const stop = Math.min(end, i + 5552);
    for (; i < stop; i++) {
      a += b[i];
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

interface Section {
  type: string;
  offset: number;
  size: number;
  next: number;
}

interface Segment {
  number: number;
  path: string;
  file: FileSource;
}

interface Geometry {
  chunkCount: number;
  sectorsPerChunk: number;
  bytesPerSector: number;
  sectorCount: number;
  guid: string;
}

/** the extension of segment n (1-based): E01…E99, then EAA…EZZ, FAA…ZZZ */
export function ewfSegmentExtension(n: number, upper = true): string {
  let ext: string;
  if (n <= 99) ext = 'E' + String(n).padStart(2, '0');
  else {
    const i = n - 100;
    const first = Math.floor(i / 676);
    if (first > 21) throw new RangeError(`EWF segment number ${n} has no file extension`);
    ext = String.fromCharCode(0x45 + first, 0x41 + Math.floor((i % 676) / 26), 0x41 + (i % 26));
  }
  return upper ? ext : ext.toLowerCase();
}

function printable(type: string): string {
  return /^[\x20-\x7e]*$/.test(type) ? `'${type}'` : `(unreadable type ${JSON.stringify(type)})`;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(d: DataView, at: number): number {
  const v = d.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** The media of an EWF set, read chunk by chunk. */
class EwfMedia implements ByteSource {
  private readonly owner = newCacheOwnerId();
  readonly chunkSize: number;
  readonly mediaSize: number;
  readonly chunkCount: number;
  /** absolute file offset of each chunk, -1 when unknown (lost to truncation or a missing segment) */
  readonly offsets: Float64Array;
  readonly sizes: Float64Array;
  readonly compressed: Uint8Array;
  readonly segOf: Uint16Array;
  assigned = 0;
  /** where reads of chunks with no known location are reported */
  lostAt: { path: string; size: number } = { path: '', size: 0 };

  constructor(
    readonly path: string,
    readonly segments: Segment[],
    geo: Geometry,
  ) {
    this.chunkSize = geo.sectorsPerChunk * geo.bytesPerSector;
    this.mediaSize = geo.sectorCount * geo.bytesPerSector;
    this.chunkCount = Math.ceil(this.mediaSize / this.chunkSize);
    this.offsets = new Float64Array(this.chunkCount).fill(-1);
    this.sizes = new Float64Array(this.chunkCount);
    this.compressed = new Uint8Array(this.chunkCount);
    this.segOf = new Uint16Array(this.chunkCount);
  }

  /** record the next chunk; false once every chunk of the media has a location */
  add(seg: number, offset: number, size: number, compressed: boolean): boolean {
    if (this.assigned >= this.chunkCount) return false;
    const k = this.assigned++;
    this.offsets[k] = offset;
    this.sizes[k] = size;
    this.compressed[k] = compressed ? 1 : 0;
    this.segOf[k] = seg;
    return true;
  }

  expected(k: number): number {
    return Math.min(this.chunkSize, this.mediaSize - k * this.chunkSize);
  }

  private damaged(k: number, why: string): never {
    const seg = this.segments[this.segOf[k]];
    const start = k * this.chunkSize;
    const end = start + this.expected(k);
    throw new ImageFormatError(
      `EWF (.E01) image ${this.path}: chunk ${k} (segment file ${seg.path}, file offset ${hex(this.offsets[k])}, ${this.sizes[k]} bytes, ${
        this.compressed[k] ? 'zlib-compressed' : 'stored'
      }) is damaged: ${why}; it holds physical ${hex(start)}–${hex(end)}`,
      { path: seg.path, chunk: k, fileOffset: hex(this.offsets[k]), physical: hex(start), physicalEnd: hex(end) },
    );
  }

  /** the media bytes of chunk k (exactly expected(k) bytes) */
  chunk(k: number): Uint8Array {
    const key = this.owner * OWNER_STRIDE + k;
    const hit = chunkCache.get(key);
    if (hit) return hit;
    const start = k * this.chunkSize;
    const off = this.offsets[k];
    if (off < 0) throw new TruncatedImageError(start, this.lostAt.size, this.lostAt.size, this.lostAt.path);
    const seg = this.segments[this.segOf[k]];
    const size = this.sizes[k];
    const expected = this.expected(k);
    if (size <= 0 || size > 2 * this.chunkSize + 4096) this.damaged(k, `its table entry gives an impossible stored size`);
    const raw = new Uint8Array(size);
    const n = seg.file.readAt(off, raw, 0, size);
    if (n < size) throw new TruncatedImageError(start, off + n, seg.file.size, seg.path);
    let out: Uint8Array;
    if (this.compressed[k]) {
      let inflated: Buffer;
      try {
        inflated = zlib.inflateSync(raw, { maxOutputLength: Math.max(expected, 1) });
      } catch (e) {
        this.damaged(k, `zlib inflation failed: ${(e as Error).message}`);
      }
      if (inflated!.length !== expected) this.damaged(k, `it inflates to ${inflated!.length} bytes, expected ${expected}`);
      out = new Uint8Array(inflated!.buffer, inflated!.byteOffset, inflated!.length);
    } else {
      if (size < expected + 4) this.damaged(k, `a stored chunk needs ${expected + 4} bytes (data and Adler-32)`);
      const stored = dv(raw).getUint32(expected, true);
      const actual = adler32(raw, 0, expected);
      if (stored !== actual) this.damaged(k, `Adler-32 mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
      out = raw.subarray(0, expected);
    }
    chunkCache.set(key, out);
    return out;
  }

  readAt(offset: number, out: Uint8Array, outOffset: number, length: number): void {
    let pos = offset;
    let o = outOffset;
    let left = length;
    while (left > 0) {
      const k = Math.floor(pos / this.chunkSize);
      const c = this.chunk(k);
      const inChunk = pos - k * this.chunkSize;
      const n = Math.min(left, c.length - inChunk);
      if (n <= 0) throw new RangeError(`EWF read at ${hex(pos)} outside chunk ${k}`);
      out.set(c.subarray(inChunk, inChunk + n), o);
      pos += n;
      o += n;
      left -= n;
    }
  }

  close(): void {
    const lo = this.owner * OWNER_STRIDE;
    chunkCache.deleteWhere((key) => key >= lo && key < lo + OWNER_STRIDE);
    for (const s of this.segments) s.file.close();
  }
}

class SetReader {
  readonly notes: string[] = [];
  readonly segments: Segment[] = [];
  media: EwfMedia | null = null;
  geo: Geometry | null = null;
  private headerSeen = false;
  private hashNoted = false;

  constructor(readonly path: string) {}

  fail(msg: string, details: Record<string, unknown> = {}): never {
    throw new ImageFormatError(`EWF (.E01) image ${this.path}: ${msg}`, { path: this.path, ...details });
  }

  /** the section chain of one segment file; stops at 'done'/'next' or where the file ends */
  sections(seg: Segment): { list: Section[]; end: 'done' | 'next' | 'truncated' } {
    const f = seg.file;
    const list: Section[] = [];
    let off = FILE_HEADER;
    for (;;) {
      if (list.length >= MAX_SECTIONS) this.fail(`segment file ${seg.path} has more than ${MAX_SECTIONS} sections`);
      if (off + DESCRIPTOR > f.size) {
        const last = list[list.length - 1];
        this.notes.push(
          `truncated: segment file ${seg.path} ends at ${hex(f.size)}${
            off < f.size
              ? ` inside the section descriptor at ${hex(off)}`
              : last && off > f.size
                ? ` inside section '${last.type}' at ${hex(last.offset)}, which runs to ${hex(off)}`
                : ` where a section descriptor should start`
          }`,
        );
        return { list, end: 'truncated' };
      }
      const d = f.bytes(off, DESCRIPTOR);
      const v = dv(d);
      const type = new TextDecoder('latin1').decode(d.subarray(0, 16)).replace(/\0.*$/s, '');
      const stored = v.getUint32(72, true);
      const actual = adler32(d, 0, 72);
      if (stored !== actual) {
        this.fail(`the section descriptor ${printable(type)} at file offset ${hex(off)} of ${seg.path} is damaged: Adler-32 is ${hex(stored)}, computed ${hex(actual)}`, {
          segment: seg.path,
          section: type,
          offset: off,
        });
      }
      const next = u64(v, 16);
      const size = u64(v, 24);
      if (type === 'done' || type === 'next') {
        list.push({ type, offset: off, size, next });
        return { list, end: type };
      }
      if (next <= off) {
        this.fail(`section ${printable(type)} at file offset ${hex(off)} of ${seg.path} points back to ${hex(next)} for the next section`, { segment: seg.path, section: type, offset: off });
      }
      if (size !== 0 && (size < DESCRIPTOR || off + size > next)) {
        this.fail(`section ${printable(type)} at file offset ${hex(off)} of ${seg.path} has size ${size}, which does not fit before the next section at ${hex(next)}`, {
          segment: seg.path,
          section: type,
          offset: off,
        });
      }
      list.push({ type, offset: off, size: size || next - off, next });
      off = next;
    }
  }

  /** the data of a section after its descriptor (at most `max` bytes; shorter when the file ends) */
  data(seg: Segment, s: Section, max = 1 << 20): Uint8Array {
    return seg.file.bytes(s.offset + DESCRIPTOR, Math.min(max, s.size - DESCRIPTOR));
  }

  volume(seg: Segment, s: Section): void {
    const d = this.data(seg, s, 1052);
    if (d.length < 24) this.fail(`the ${s.type} section at ${hex(s.offset)} of ${seg.path} is too short (${d.length} bytes)`, { section: s.type, offset: s.offset });
    const v = dv(d);
    // EnCase 5/6 volume is 1052 bytes with its Adler-32 at 1048; the short (SMART/FTK) form is 94 bytes with it at 90
    const ck = d.length >= 1052 ? 1048 : d.length >= 94 ? 90 : -1;
    if (ck > 0 && v.getUint32(ck, true) !== adler32(d, 0, ck)) {
      this.fail(`the ${s.type} section at file offset ${hex(s.offset)} of ${seg.path} is damaged (Adler-32 mismatch)`, { section: s.type, offset: s.offset });
    }
    const geo: Geometry = {
      chunkCount: v.getUint32(4, true),
      sectorsPerChunk: v.getUint32(8, true),
      bytesPerSector: v.getUint32(12, true),
      sectorCount: d.length >= 1052 ? u64(v, 16) : v.getUint32(16, true),
      guid: d.length >= 80 ? Buffer.from(d.subarray(64, 80)).toString('hex') : '',
    };
    if (this.geo) {
      if (geo.sectorCount !== this.geo.sectorCount || geo.sectorsPerChunk !== this.geo.sectorsPerChunk || geo.bytesPerSector !== this.geo.bytesPerSector || geo.guid !== this.geo.guid) {
        this.fail(`segment file ${seg.path} belongs to a different EWF set (its ${s.type} section disagrees with the first segment's volume section)`, { segment: seg.path });
      }
      return;
    }
    const chunkSize = geo.sectorsPerChunk * geo.bytesPerSector;
    if (geo.bytesPerSector === 0 || geo.sectorsPerChunk === 0 || chunkSize > MAX_CHUNK) {
      this.fail(`the ${s.type} section gives an impossible chunk size (${geo.sectorsPerChunk} sectors of ${geo.bytesPerSector} bytes)`, { section: s.type, offset: s.offset });
    }
    const media = geo.sectorCount * geo.bytesPerSector;
    if (media === 0 || media >= 2 ** 52) this.fail(`the ${s.type} section gives an impossible media size (${geo.sectorCount} sectors of ${geo.bytesPerSector} bytes)`);
    this.geo = geo;
    this.media = new EwfMedia(this.path, this.segments, geo);
    if (geo.chunkCount !== this.media.chunkCount) {
      this.notes.push(`the volume section counts ${geo.chunkCount} chunks, the media size needs ${this.media.chunkCount}; the media size is used`);
    }
  }

  header(seg: Segment, s: Section): void {
    if (this.headerSeen) return;
    try {
      const raw = zlib.inflateSync(this.data(seg, s, 1 << 20), { maxOutputLength: 1 << 20 });
      const text =
        raw.length >= 2 && raw[0] === 0xff && raw[1] === 0xfe ? raw.subarray(2).toString('utf16le') : s.type === 'header2' ? raw.toString('utf16le') : raw.toString('latin1');
      const lines = text.split(/\r?\n/);
      const keys = (lines[2] ?? '').split('\t');
      const values = (lines[3] ?? '').split('\t');
      const names: Record<string, string> = { c: 'case', n: 'evidence', e: 'examiner', a: 'description', t: 'notes', av: 'acquired with', m: 'acquisition date' };
      const parts: string[] = [];
      keys.forEach((k, i) => {
        let v = (values[i] ?? '').trim();
        // header2 stores the dates as POSIX seconds, header as "YYYY M D h m s"
        if ((k === 'm' || k === 'u') && /^\d{6,}$/.test(v)) v = new Date(Number(v) * 1000).toISOString();
        if (names[k] && v) parts.push(`${names[k]} "${v}"`);
      });
      if (parts.length) this.notes.push(`EWF header: ${parts.join(', ')}`);
      this.headerSeen = true;
    } catch {
      // the header is informative only; a damaged one is not a reason to refuse the media
    }
  }

  hash(seg: Segment, s: Section): void {
    if (this.hashNoted) return;
    const d = this.data(seg, s, 36);
    if (d.length < 16) return;
    const md5 = Buffer.from(d.subarray(0, 16)).toString('hex');
    if (/^0+$/.test(md5)) return;
    let note = `EWF acquisition MD5 ${md5}`;
    if (s.type === 'digest' && d.length >= 36) {
      const sha1 = Buffer.from(d.subarray(16, 36)).toString('hex');
      if (!/^0+$/.test(sha1)) note += `, SHA-1 ${sha1}`;
    }
    this.notes.push(`${note} (recorded at acquisition, not verified when opening)`);
    this.hashNoted = true;
  }

  /** the 24-byte table header and entries; an Error when damaged */
  table(seg: Segment, s: Section): { base: number; entries: Uint32Array } | Error {
    const f = seg.file;
    const where = `${s.type} section at file offset ${hex(s.offset)} of ${seg.path}`;
    const h = f.bytes(s.offset + DESCRIPTOR, 24);
    if (h.length < 24) return new Error(`${where}: the file ends inside its header`);
    const v = dv(h);
    if (v.getUint32(20, true) !== adler32(h, 0, 20)) return new Error(`${where}: its header is damaged (Adler-32 mismatch)`);
    const count = v.getUint32(0, true);
    const base = u64(v, 8);
    if (DESCRIPTOR + 24 + count * 4 > s.size) return new Error(`${where}: ${count} entries do not fit in a ${s.size}-byte section`);
    const raw = f.bytes(s.offset + DESCRIPTOR + 24, count * 4 + 4);
    if (raw.length < count * 4) return new Error(`${where}: the file ends inside its entries`);
    if (raw.length === count * 4 + 4 && DESCRIPTOR + 24 + count * 4 + 4 <= s.size) {
      if (dv(raw).getUint32(count * 4, true) !== adler32(raw, 0, count * 4)) return new Error(`${where}: its entries are damaged (Adler-32 mismatch)`);
    }
    const entries = new Uint32Array(count);
    const rv = dv(raw);
    for (let i = 0; i < count; i++) entries[i] = rv.getUint32(i * 4, true);
    return { base, entries };
  }

  /** give the chunks of one table their locations; a chunk ends where the next one, or the next section, starts */
  place(segIndex: number, t: { base: number; entries: Uint32Array }, bounds: number[]): void {
    const media = this.media!;
    const n = t.entries.length;
    for (let i = 0; i < n; i++) {
      const off = t.base + (t.entries[i] & 0x7fffffff);
      let end = -1;
      if (i + 1 < n) end = t.base + (t.entries[i + 1] & 0x7fffffff);
      if (end <= off) {
        end = Infinity;
        for (const b of bounds) if (b > off && b < end) end = b;
        if (end === Infinity) end = off;
      }
      if (!media.add(segIndex, off, end - off, (t.entries[i] & 0x80000000) !== 0)) {
        this.notes.push(`the tables list more chunks than the media holds; the extra entries are ignored`);
        return;
      }
    }
  }

  /** a segment cut inside its chunk data lost the table after it: find the chunks by validating them in order */
  recover(segIndex: number, seg: Segment, s: Section): number {
    const media = this.media!;
    const f = seg.file;
    let pos = s.offset + DESCRIPTOR;
    const limit = Math.min(f.size, s.offset + s.size);
    let found = 0;
    while (pos < limit && media.assigned < media.chunkCount) {
      const expected = media.expected(media.assigned);
      const buf = f.bytes(pos, Math.min(limit - pos, 2 * media.chunkSize + 4096));
      if (buf.length >= expected + 4 && dv(buf).getUint32(expected, true) === adler32(buf, 0, expected)) {
        media.add(segIndex, pos, expected + 4, false);
        pos += expected + 4;
        found++;
        continue;
      }
      if (buf.length >= 2 && (buf[0] & 0x0f) === 8 && ((buf[0] << 8) | buf[1]) % 31 === 0) {
        try {
          const r = zlib.inflateSync(buf, { info: true, maxOutputLength: Math.max(expected, 1) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
          if (r.buffer.length === expected && r.engine.bytesWritten > 0) {
            media.add(segIndex, pos, r.engine.bytesWritten, true);
            pos += r.engine.bytesWritten;
            found++;
            continue;
          }
        } catch {
          // not a complete chunk
        }
      }
      break;
    }
    return found;
  }

  segment(segIndex: number): 'done' | 'next' | 'truncated' {
    const seg = this.segments[segIndex];
    const h = seg.file.bytes(0, FILE_HEADER);
    if (h.length < FILE_HEADER || !EWF1_SIGNATURE.every((b, i) => h[i] === b)) this.fail(`${seg.path} is not an EWF segment file (no EVF signature)`, { segment: seg.path });
    const number = dv(h).getUint16(9, true);
    if (number !== seg.number) {
      this.fail(
        segIndex === 0
          ? `${seg.path} is segment ${number} of an EWF set; open the first segment (.E01) instead`
          : `${seg.path} should be segment ${seg.number} of the set but says it is segment ${number}`,
        { segment: seg.path },
      );
    }
    const { list, end } = this.sections(seg);
    const bounds: number[] = [];
    for (const s of list) bounds.push(s.offset, s.offset + s.size);
    const fileEnd = seg.file.size;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      switch (s.type) {
        case 'header2':
        case 'header':
          this.header(seg, s);
          break;
        case 'volume':
        case 'disk':
        case 'data':
          this.volume(seg, s);
          break;
        case 'table': {
          if (!this.media) this.fail(`the table section at ${hex(s.offset)} of ${seg.path} comes before any volume section`, { section: 'table', offset: s.offset });
          let t = this.table(seg, s);
          const backup = list[i + 1]?.type === 'table2' ? list[i + 1] : null;
          if (t instanceof Error && backup) {
            const t2 = this.table(seg, backup);
            if (!(t2 instanceof Error)) {
              this.notes.push(`${t.message}; its backup copy (table2) is used`);
              t = t2;
            }
          }
          if (t instanceof Error) {
            if (s.offset + s.size > fileEnd) {
              this.notes.push(`truncated: ${t.message}`);
              break;
            }
            this.fail(t.message, { segment: seg.path, section: 'table', offset: s.offset });
          }
          this.place(segIndex, t, bounds);
          if (backup) i++;
          break;
        }
        case 'hash':
        case 'digest':
          this.hash(seg, s);
          break;
        default:
          break;
      }
    }
    if (end === 'truncated' && this.media) {
      // the last sectors section the file reaches, when no table after it survived
      const last = list[list.length - 1];
      if (last && last.type === 'sectors' && last.offset + last.size > fileEnd) {
        const before = this.media.assigned;
        const n = this.recover(segIndex, seg, last);
        const k = before + n;
        this.notes.push(
          `truncated: segment file ${seg.path} ends at ${hex(fileEnd)} inside its chunk data (sectors section at ${hex(last.offset)}) and its table is lost; ${n} chunk(s) were recovered by checking them in order${
            k < this.media.chunkCount ? `; the media from physical ${hex(k * this.media.chunkSize)} on cannot be read` : ''
          }`,
        );
      }
    }
    return end;
  }
}

/** Open an EWF1 (.E01) set starting from its first segment file (already opened by the caller). */
export function openEwf(first: FileSource): SegmentedImage {
  const r = new SetReader(first.path);
  r.segments.push({ number: 1, path: first.path, file: first });
  const opened: FileSource[] = [];
  try {
    let end = r.segment(0);
    const ext = nodePath.extname(first.path);
    const upper = ext !== ext.toLowerCase();
    const stem = first.path.slice(0, first.path.length - ext.length);
    while (end === 'next') {
      const n = r.segments.length + 1;
      if (!/^\.e01$/i.test(ext)) r.fail(`the set continues in a segment ${n}, but the first file is not named .E01, so its siblings cannot be found`);
      if (n > MAX_SEGMENTS) r.fail(`more than ${MAX_SEGMENTS} segment files`);
      const p = stem + '.' + ewfSegmentExtension(n, upper);
      let f: FileSource;
      try {
        f = new FileSource(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        r.notes.push(`truncated: segment file ${p} of the set is missing`);
        end = 'truncated';
        break;
      }
      opened.push(f);
      r.segments.push({ number: n, path: p, file: f });
      end = r.segment(r.segments.length - 1);
    }
    const media = r.media;
    if (!media) throw new ImageFormatError(`EWF (.E01) image ${first.path}: no volume section, so the media size is unknown`, { path: first.path });
    const lastSeg = r.segments[r.segments.length - 1];
    media.lostAt = { path: lastSeg.path, size: lastSeg.file.size };
    if (media.assigned < media.chunkCount) {
      const note = `chunks ${media.assigned}–${media.chunkCount - 1} (physical ${hex(media.assigned * media.chunkSize)}–${hex(media.mediaSize)}) are not in the set; reading them reports a truncated image`;
      if (end === 'truncated') r.notes.push(`truncated: ${note}`);
      else r.fail(`the tables list ${media.assigned} chunks but the media needs ${media.chunkCount}`);
    }
    const notes = [
      `EWF: ${r.segments.length} segment file(s), media ${media.mediaSize} bytes in ${media.chunkCount} chunk(s) of ${media.chunkSize} bytes; media offset = physical address`,
      ...r.notes,
    ];
    return new SegmentedImage(
      'ewf',
      first.path,
      r.segments.map((s) => s.path),
      [{ phys: 0, length: media.mediaSize, offset: 0, source: media }],
      notes,
      [media],
    );
  } catch (e) {
    for (const f of opened) f.close();
    if (e instanceof UnfoldError || (e as NodeJS.ErrnoException).code) throw e;
    throw new ImageFormatError(`EWF (.E01) image ${first.path}: ${(e as Error).message}`, { path: first.path });
  }
}
