// AFF4 volumes as osxpmem/pmem write them: a ZIP (often ZIP64) whose end-of-central-directory
// comment holds the volume URN, with RDF metadata in `information.turtle`. Physical memory is an
// aff4:Map (category memory/physical): `<map>/map` holds packed 28-byte records
// {u64 map_offset, u64 length, u64 target_offset, u32 target_id} and `<map>/idx` the target URNs,
// one per line. A target is usually an aff4:ImageStream: chunks of `chunkSize` bytes, compressed
// one by one, `chunksInSegment` per bevy; bevy n is member `<stream>/%08d` and its index
// `<stream>/%08d.index` holds {u64 offset, u32 length} per chunk (pre-standard volumes:
// `<stream>/%08d/index`, a list of u32 offsets).
//
// The central directory is read once with yauzl at open time; after that every read is
// synchronous: stored members are read in place by file offset through the block cache, chunks are
// decompressed on demand and kept in the shared chunk cache.
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import snappy from 'snappyjs';
import { ImageFormatError, UnfoldError } from '../errors';
import { lz4DecodeBlock } from '../codecs/lz4';
import { ByteLru, chunkCache, newCacheOwnerId, type FileSource } from './cache';
import { ConstantBytes, SegmentedImage, hex, type ByteSource, type Segment } from './segmented';
import { parseTurtle, RDF_TYPE_IRI, TurtleError, type Term } from './turtle';

const AFF4 = 'http://aff4.org/Schema#';
const LEGACY = 'http://afflib.org/2009/aff4#';
const MEMORY_PHYSICAL = AFF4 + 'memory/physical';

const T_MAP = AFF4 + 'Map';
const T_MAP_LEGACY = LEGACY + 'map';
/** Rekall/libAFF4 maps: target_offset and length swapped in the records */
const T_MAP_SCUDETTE = AFF4 + 'map';
const T_IMAGESTREAM = AFF4 + 'ImageStream';
const T_IMAGE_LEGACY = LEGACY + 'stream';
const T_IMAGE_SCUDETTE = AFF4 + 'image';

type Codec = 'zlib' | 'deflate' | 'snappy' | 'snappy-scudette' | 'lz4' | 'stored';
const CODECS: Record<string, Codec> = {
  'https://www.ietf.org/rfc/rfc1950.txt': 'zlib',
  'http://www.ietf.org/rfc/rfc1950.txt': 'zlib',
  'https://tools.ietf.org/html/rfc1951': 'deflate',
  'http://code.google.com/p/snappy/': 'snappy',
  'https://code.google.com/p/snappy/': 'snappy',
  'https://github.com/google/snappy': 'snappy-scudette',
  'https://code.google.com/p/lz4/': 'lz4',
  'http://code.google.com/p/lz4/': 'lz4',
  [AFF4 + 'NullCompressor']: 'stored',
  [AFF4 + 'compression/stored']: 'stored',
  [LEGACY + 'nullCompressor']: 'stored',
};

/** symbolic streams that stand for constant data */
const SYMBOLIC: Record<string, number | null> = {
  [AFF4 + 'Zero']: 0,
  [AFF4 + 'FFDevice']: 0xff,
  [LEGACY + 'Zero']: 0,
  [LEGACY + 'FF']: 0xff,
  // unknown/unreadable data is not evidence: such ranges are left out (read as not present)
  [AFF4 + 'UnknownData']: null,
  [AFF4 + 'UnreadableData']: null,
  [LEGACY + 'UnknownData']: null,
  [LEGACY + 'UnreadableData']: null,
};

/** small members (turtle, map, idx, indexes) larger than this are refused as damaged */
const MAX_SMALL_MEMBER = 256 * 1024 * 1024;
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

interface ZipEntry {
  index: number;
  name: string;
  method: number;
  csize: number;
  usize: number;
  lho: number;
  flags: number;
  /** resolved on first use from the local header */
  dataOffset?: number;
}

async function readCentralDirectory(file: FileSource): Promise<{ entries: ZipEntry[]; comment: string }> {
  let zf: yauzl.ZipFile;
  try {
    zf = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      // our fd, never closed by yauzl (autoClose false, and we never call zf.close())
      yauzl.fromFd(file.fd, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false }, (err, z) =>
        err || !z ? reject(err ?? new Error('no zip')) : resolve(z),
      );
    });
  } catch (e) {
    throw new ImageFormatError(`AFF4 volume ${file.path}: the ZIP central directory cannot be read: ${(e as Error).message}`, {
      path: file.path,
      field: 'central directory',
    });
  }
  const commentRaw = zf.comment as unknown as Buffer;
  const comment = Buffer.from(commentRaw).toString('utf8').replace(/\0+$/, '').trim();
  const entries: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zf.on('entry', (e: yauzl.Entry) => {
      const raw = e.fileName as unknown as Buffer;
      entries.push({
        index: entries.length,
        name: Buffer.from(raw).toString('utf8'),
        method: e.compressionMethod,
        csize: e.compressedSize,
        usize: e.uncompressedSize,
        lho: e.relativeOffsetOfLocalHeader,
        flags: e.generalPurposeBitFlag,
      });
      zf.readEntry();
    });
    zf.on('end', () => resolve());
    zf.on('error', (err: Error) =>
      reject(new ImageFormatError(`AFF4 volume ${file.path}: the ZIP central directory is damaged: ${err.message}`, { path: file.path, field: 'central directory' })),
    );
    zf.readEntry();
  });
  return { entries, comment };
}

/** percent-decoding of member names (c-aff4 escapes ':' '%' '//' and a few others) */
function decodeMemberName(name: string): string {
  return name.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

class Volume {
  readonly byUrn = new Map<string, ZipEntry>();
  readonly byName = new Map<string, ZipEntry>();
  /** inflated deflate-compressed members that are read at random (rare: bevies are stored) */
  private readonly inflated = new ByteLru(32 * 1024 * 1024);
  private readonly owner = newCacheOwnerId();

  constructor(
    readonly file: FileSource,
    readonly entries: ZipEntry[],
    public urn: string,
  ) {
    for (const e of entries) this.byName.set(e.name, e);
  }

  indexUrns(): void {
    this.byUrn.clear();
    for (const e of this.entries) {
      const d = decodeMemberName(e.name);
      const urn = d.startsWith('aff4:') ? d : this.urn ? `${this.urn}/${d.replace(/^\/+/, '')}` : d;
      if (!this.byUrn.has(urn)) this.byUrn.set(urn, e);
    }
  }

  fail(msg: string, details: Record<string, unknown> = {}): never {
    throw new ImageFormatError(`AFF4 volume ${this.file.path}: ${msg}`, { path: this.file.path, ...details });
  }

  dataOffset(e: ZipEntry): number {
    if (e.dataOffset !== undefined) return e.dataOffset;
    const h = this.file.bytes(e.lho, 30);
    if (h.length < 30) this.fail(`the local header of member "${e.name}" at ${hex(e.lho)} lies past the end of the file (${hex(this.file.size)})`, { member: e.name });
    const dv = new DataView(h.buffer, h.byteOffset, 30);
    if (dv.getUint32(0, true) !== 0x04034b50) {
      this.fail(`member "${e.name}": no local file header signature at ${hex(e.lho)}`, { member: e.name, field: 'local header' });
    }
    e.dataOffset = e.lho + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
    return e.dataOffset;
  }

  /** the whole (inflated) content of a small member */
  memberBytes(e: ZipEntry): Uint8Array {
    if (e.csize > MAX_SMALL_MEMBER || e.usize > MAX_SMALL_MEMBER) this.fail(`member "${e.name}" is too large (${e.usize} bytes) to be metadata`, { member: e.name });
    const off = this.dataOffset(e);
    const raw = this.file.bytes(off, e.csize);
    if (raw.length < e.csize) {
      this.fail(`member "${e.name}" is cut short: its ${e.csize} bytes at ${hex(off)} run past the end of the file (${hex(this.file.size)})`, { member: e.name });
    }
    if (e.flags & 1) this.fail(`member "${e.name}" is encrypted`, { member: e.name });
    if (e.method === 0) return raw;
    if (e.method === 8) {
      try {
        const out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(e.usize, 1) });
        if (out.length !== e.usize) this.fail(`member "${e.name}" inflates to ${out.length} bytes, expected ${e.usize}`, { member: e.name });
        return new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch (err) {
        if (err instanceof UnfoldError) throw err;
        this.fail(`member "${e.name}" cannot be inflated: ${(err as Error).message}`, { member: e.name });
      }
    }
    return this.fail(`member "${e.name}" uses ZIP compression method ${e.method}; only stored (0) and deflate (8) are supported`, { member: e.name });
  }

  /**
   * Copy `length` bytes at `offset` inside member `e` (stored members are read in place).
   * Returns false when the member is shorter than that.
   */
  readMember(e: ZipEntry, offset: number, out: Uint8Array, outOffset: number, length: number): boolean {
    if (offset + length > e.usize) return false;
    if (e.method === 0) {
      const base = this.dataOffset(e);
      return this.file.readAt(base + offset, out, outOffset, length) === length;
    }
    let whole = this.inflated.get(this.owner * 2 ** 32 + e.index);
    if (!whole) {
      whole = this.memberBytes(e);
      this.inflated.set(this.owner * 2 ** 32 + e.index, whole);
    }
    out.set(whole.subarray(offset, offset + length), outOffset);
    return true;
  }
}

class Graph {
  private readonly bySubject = new Map<string, Map<string, Term[]>>();
  constructor(triples: { s: string; p: string; o: Term }[]) {
    for (const t of triples) {
      let m = this.bySubject.get(t.s);
      if (!m) this.bySubject.set(t.s, (m = new Map()));
      let l = m.get(t.p);
      if (!l) m.set(t.p, (l = []));
      l.push(t.o);
    }
  }
  subjects(): IterableIterator<string> {
    return this.bySubject.keys();
  }
  values(s: string, p: string): Term[] {
    return this.bySubject.get(s)?.get(p) ?? [];
  }
  types(s: string): string[] {
    return this.values(s, RDF_TYPE_IRI).map((t) => t.value);
  }
  hasType(s: string, ...types: string[]): boolean {
    return this.types(s).some((t) => types.includes(t));
  }
  first(s: string, ...preds: string[]): Term | undefined {
    for (const p of preds) {
      const v = this.values(s, p);
      if (v.length) return v[0];
    }
    return undefined;
  }
  int(s: string, ...preds: string[]): number | undefined {
    const t = this.first(s, ...preds);
    if (!t || t.kind !== 'literal' || !/^\s*[+]?\d+\s*$/.test(t.value)) return undefined;
    const v = Number(t.value);
    return Number.isSafeInteger(v) ? v : undefined;
  }
}

interface BevyIndex {
  member: ZipEntry;
  offsets: Float64Array;
  lengths: Uint32Array;
}

/** An aff4:ImageStream (or its legacy forms) read chunk by chunk. */
class ImageStream implements ByteSource {
  private readonly indexes = new Map<number, BevyIndex | Error>();
  private readonly owner = newCacheOwnerId();
  readonly size: number;

  constructor(
    private readonly vol: Volume,
    readonly urn: string,
    readonly chunkSize: number,
    readonly chunksPerSegment: number,
    readonly codec: Codec,
    size: number | undefined,
    private readonly notes: string[],
  ) {
    this.size = size ?? this.inferSize();
  }

  static fromGraph(vol: Volume, g: Graph, urn: string, notes: string[]): ImageStream {
    const scudette = g.hasType(urn, T_IMAGE_SCUDETTE);
    const chunkSize = g.int(urn, AFF4 + 'chunkSize', AFF4 + 'chunk_size', LEGACY + 'chunkSize', LEGACY + 'chunk_size') ?? 32768;
    const cps = g.int(urn, AFF4 + 'chunksInSegment', AFF4 + 'chunks_per_segment', LEGACY + 'chunksInSegment', LEGACY + 'chunks_in_segment') ?? 1024;
    if (chunkSize <= 0 || chunkSize > MAX_CHUNK_SIZE) vol.fail(`stream <${urn}>: chunkSize ${chunkSize} is out of range`, { field: 'chunkSize' });
    if (cps <= 0 || cps > 1 << 24) vol.fail(`stream <${urn}>: chunksInSegment ${cps} is out of range`, { field: 'chunksInSegment' });
    const comp = g.first(urn, AFF4 + 'compressionMethod', AFF4 + 'compression', LEGACY + 'CompressionMethod', LEGACY + 'compressionMethod');
    let codec: Codec;
    if (!comp) {
      codec = 'zlib';
      notes.push(`stream <${urn}> names no compression method: zlib assumed (as c-aff4 does)`);
    } else {
      const c = CODECS[comp.value];
      if (!c) vol.fail(`stream <${urn}> uses compression method <${comp.value}>, which Unfold does not support`, { field: 'compressionMethod' });
      codec = c;
      if (scudette && codec === 'snappy') codec = 'snappy-scudette';
    }
    const size = g.int(urn, AFF4 + 'size', LEGACY + 'size');
    return new ImageStream(vol, urn, chunkSize, cps, codec, size, notes);
  }

  private bevyMember(b: number): ZipEntry | undefined {
    return this.vol.byUrn.get(`${this.urn}/${String(b).padStart(8, '0')}`);
  }

  private inferSize(): number {
    let b = 0;
    while (this.bevyMember(b)) b++;
    if (b === 0) return 0;
    const last = this.index(b - 1);
    const n = last instanceof Error ? this.chunksPerSegment : last.lengths.length;
    const size = ((b - 1) * this.chunksPerSegment + n) * this.chunkSize;
    this.notes.push(`stream <${this.urn}> states no size: ${b} bevies, about ${size} bytes`);
    return size;
  }

  /** checks every bevy the stream needs is in the volume; returns notes for missing ones */
  missingBevies(): number[] {
    const bevyBytes = this.chunkSize * this.chunksPerSegment;
    const n = Math.ceil(this.size / bevyBytes);
    const missing: number[] = [];
    for (let b = 0; b < n; b++) if (!this.bevyMember(b)) missing.push(b);
    return missing;
  }

  private index(b: number): BevyIndex | Error {
    const cached = this.indexes.get(b);
    if (cached) return cached;
    let r: BevyIndex | Error;
    try {
      r = this.loadIndex(b);
    } catch (e) {
      r = e as Error;
    }
    this.indexes.set(b, r);
    return r;
  }

  private loadIndex(b: number): BevyIndex {
    const bevyUrn = `${this.urn}/${String(b).padStart(8, '0')}`;
    const member = this.vol.byUrn.get(bevyUrn);
    if (!member) throw new Error(`member for bevy <${bevyUrn}> is missing from the volume`);
    const std = this.vol.byUrn.get(bevyUrn + '.index');
    if (std) {
      const raw = this.vol.memberBytes(std);
      if (raw.length % 12 !== 0) throw new Error(`bevy index "${std.name}" is ${raw.length} bytes, not a multiple of 12`);
      const n = raw.length / 12;
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const offsets = new Float64Array(n);
      const lengths = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        offsets[i] = Number(dv.getBigUint64(i * 12, true));
        lengths[i] = dv.getUint32(i * 12 + 8, true);
      }
      return { member, offsets, lengths };
    }
    const pre = this.vol.byUrn.get(bevyUrn + '/index');
    if (pre) {
      // Pre-standard: u32 chunk offsets. Evimetry lists chunk 1.. (chunk 0 starts at 0);
      // Rekall lists chunk 0.. starting with 0; the last chunk runs to the end of the bevy.
      const raw = this.vol.memberBytes(pre);
      if (raw.length % 4 !== 0 || raw.length === 0) throw new Error(`bevy index "${pre.name}" is ${raw.length} bytes, not a non-empty multiple of 4`);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const offs: number[] = [];
      for (let i = 0; i < raw.length / 4; i++) offs.push(dv.getUint32(i * 4, true));
      const starts = offs[0] !== 0 ? [0, ...offs] : offs;
      const ends = [...starts.slice(1)];
      if (starts[starts.length - 1] < member.usize) ends.push(member.usize);
      else starts.pop();
      const n = starts.length;
      const offsets = new Float64Array(n);
      const lengths = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        if (ends[i] < starts[i]) throw new Error(`bevy index "${pre.name}": offsets decrease at entry ${i}`);
        offsets[i] = starts[i];
        lengths[i] = ends[i] - starts[i];
      }
      return { member, offsets, lengths };
    }
    throw new Error(`the index of bevy <${bevyUrn}> is missing from the volume`);
  }

  private damaged(k: number, phys: number, why: string, member?: ZipEntry, fileOffset?: number): never {
    const b = Math.floor(k / this.chunksPerSegment);
    const e = k % this.chunksPerSegment;
    throw new ImageFormatError(
      `AFF4 chunk ${k} (bevy ${b}, entry ${e}${member ? `, member "${member.name}"` : ''}${fileOffset !== undefined ? ` at file offset ${hex(fileOffset)}` : ''}) of stream <${this.urn}> is damaged: ${why}; it holds physical address ${hex(phys)}`,
      { path: this.vol.file.path, chunk: k, bevy: b, entry: e, physical: hex(phys), stream: this.urn, member: member?.name },
    );
  }

  /** the decompressed chunk k (exactly min(chunkSize, size - k*chunkSize) bytes) */
  chunk(k: number, phys: number): Uint8Array {
    const key = this.owner * 2 ** 32 + k;
    const hit = chunkCache.get(key);
    if (hit) return hit;
    const b = Math.floor(k / this.chunksPerSegment);
    const e = k % this.chunksPerSegment;
    const idx = this.index(b);
    if (idx instanceof Error) this.damaged(k, phys, idx.message);
    if (e >= idx.lengths.length) this.damaged(k, phys, `the bevy index has only ${idx.lengths.length} entries`, idx.member);
    const expected = Math.min(this.chunkSize, this.size - k * this.chunkSize);
    const off = idx.offsets[e];
    const len = idx.lengths[e];
    const fileOffset = idx.member.method === 0 ? this.vol.dataOffset(idx.member) + off : undefined;
    if (len === 0 || len > this.chunkSize * 2 + 4096) this.damaged(k, phys, `its index entry gives a stored length of ${len} bytes`, idx.member, fileOffset);
    if (off + len > idx.member.usize) {
      this.damaged(k, phys, `its index entry (offset ${hex(off)}, ${len} bytes) runs past the end of the ${idx.member.usize}-byte bevy`, idx.member, fileOffset);
    }
    const raw = new Uint8Array(len);
    if (!this.vol.readMember(idx.member, off, raw, 0, len)) this.damaged(k, phys, 'the file ends inside it', idx.member, fileOffset);
    let out: Uint8Array;
    try {
      out = this.decode(raw, expected);
    } catch (err) {
      this.damaged(k, phys, `${this.codec} decompression failed: ${(err as Error).message}`, idx.member, fileOffset);
    }
    chunkCache.set(key, out!);
    return out!;
  }

  private decode(raw: Uint8Array, expected: number): Uint8Array {
    if (this.codec === 'stored') {
      if (raw.length !== expected) throw new Error(`stored chunk is ${raw.length} bytes, expected ${expected}`);
      return raw;
    }
    // writers store a chunk raw when compression does not pay; a full-size chunk is then raw
    if (raw.length === this.chunkSize && this.codec !== 'snappy-scudette') return raw;
    let out: Uint8Array;
    try {
      out = this.inflate(raw, expected);
    } catch (err) {
      // a short last chunk stored raw has no length marker: accept it when it fits exactly
      if (raw.length === expected && expected < this.chunkSize) return raw;
      throw err;
    }
    if (out.length !== expected) throw new Error(`chunk decompresses to ${out.length} bytes, expected ${expected}`);
    return out;
  }

  private inflate(raw: Uint8Array, expected: number): Uint8Array {
    switch (this.codec) {
      case 'snappy':
      case 'snappy-scudette':
        return snappy.uncompress(raw, this.chunkSize);
      case 'zlib': {
        const b = zlib.inflateSync(raw, { maxOutputLength: this.chunkSize });
        return new Uint8Array(b.buffer, b.byteOffset, b.length);
      }
      case 'deflate': {
        const b = zlib.inflateRawSync(raw, { maxOutputLength: this.chunkSize });
        return new Uint8Array(b.buffer, b.byteOffset, b.length);
      }
      case 'lz4': {
        const out = new Uint8Array(expected);
        lz4DecodeBlock(raw, out);
        return out;
      }
      default:
        return raw;
    }
  }

  readAt(offset: number, out: Uint8Array, outOffset: number, length: number, phys: number): void {
    if (offset + length > this.size) {
      const first = Math.max(offset, this.size);
      throw new ImageFormatError(
        `AFF4 map of ${this.vol.file.path} points past the end of stream <${this.urn}> (${this.size} bytes): physical address ${hex(phys + (first - offset))} would be at stream offset ${hex(first)}`,
        { path: this.vol.file.path, stream: this.urn, physical: hex(phys + (first - offset)) },
      );
    }
    let pos = offset;
    let o = outOffset;
    const end = offset + length;
    while (pos < end) {
      const k = Math.floor(pos / this.chunkSize);
      const inChunk = pos - k * this.chunkSize;
      const c = this.chunk(k, phys + (pos - offset));
      const n = Math.min(c.length - inChunk, end - pos);
      if (n <= 0) this.damaged(k, phys + (pos - offset), 'it is shorter than the stream size says');
      out.set(c.subarray(inChunk, inChunk + n), o);
      pos += n;
      o += n;
    }
  }
}

/** A zip member used directly as a map target (stored members only are read in place). */
class MemberBytes implements ByteSource {
  constructor(
    private readonly vol: Volume,
    private readonly e: ZipEntry,
  ) {}
  readAt(offset: number, out: Uint8Array, outOffset: number, length: number, phys: number): void {
    if (!this.vol.readMember(this.e, offset, out, outOffset, length)) {
      throw new ImageFormatError(`AFF4 member "${this.e.name}" ends before offset ${hex(offset + length)}; physical address ${hex(phys)} cannot be read`, {
        path: this.vol.file.path,
        member: this.e.name,
        physical: hex(phys),
      });
    }
  }
}

function targetSource(vol: Volume, g: Graph, urn: string, notes: string[], streams: Map<string, ImageStream>): ByteSource | null | number {
  if (urn in SYMBOLIC) return SYMBOLIC[urn];
  const sym = /^(?:http:\/\/aff4\.org\/Schema#SymbolicStream|http:\/\/afflib\.org\/2012\/SymbolicStream#)([0-9A-Fa-f]{2})$/.exec(urn);
  if (sym) return parseInt(sym[1], 16);
  if (g.hasType(urn, T_IMAGESTREAM, T_IMAGE_LEGACY, T_IMAGE_SCUDETTE) || vol.byUrn.has(`${urn}/00000000`)) {
    let s = streams.get(urn);
    if (!s) {
      s = ImageStream.fromGraph(vol, g, urn, notes);
      streams.set(urn, s);
    }
    return s;
  }
  const m = vol.byUrn.get(urn);
  if (m) return new MemberBytes(vol, m);
  return vol.fail(`map target <${urn}> is neither an image stream nor a member of the volume`, { field: 'idx' });
}

export async function openAff4(file: FileSource): Promise<SegmentedImage> {
  const { entries, comment } = await readCentralDirectory(file);
  const vol = new Volume(file, entries, comment);
  const notes: string[] = [];

  const turtleEntry = vol.byName.get('information.turtle');
  if (!turtleEntry) {
    throw new ImageFormatError(`${file.path} is a ZIP archive without an AFF4 "information.turtle" member: not an AFF4 image`, { path: file.path });
  }
  const text = Buffer.from(vol.memberBytes(turtleEntry)).toString('utf8');
  let graph: Graph;
  try {
    graph = new Graph(parseTurtle(text));
  } catch (e) {
    if (e instanceof TurtleError) vol.fail(`information.turtle: ${e.message}`, { field: 'information.turtle' });
    throw e;
  }
  if (!vol.urn) {
    const v = [...graph.subjects()].find((s) => graph.hasType(s, AFF4 + 'ZipVolume', LEGACY + 'zip_volume'));
    if (v) vol.urn = v;
    notes.push(`the ZIP comment names no volume; using <${vol.urn || '?'}> from information.turtle`);
  }
  vol.indexUrns();
  notes.push(`AFF4 volume <${vol.urn}>, ${entries.length} members`);

  // Physical memory: the map (or stream) whose category is memory/physical.
  const subjects = [...graph.subjects()];
  const isPhysical = (s: string): boolean => graph.values(s, AFF4 + 'category').some((t) => t.value === MEMORY_PHYSICAL);
  const isMap = (s: string): boolean => graph.hasType(s, T_MAP, T_MAP_LEGACY, T_MAP_SCUDETTE);
  const isStream = (s: string): boolean => graph.hasType(s, T_IMAGESTREAM, T_IMAGE_LEGACY, T_IMAGE_SCUDETTE);
  let chosen = subjects.find((s) => isPhysical(s) && isMap(s)) ?? subjects.find((s) => isPhysical(s) && isStream(s));
  if (!chosen) {
    const maps = subjects.filter(isMap);
    if (maps.length === 1) {
      chosen = maps[0];
      notes.push(`no stream is marked aff4:category memory/physical; using the only map <${chosen}>`);
    } else {
      vol.fail(
        maps.length
          ? `no stream is marked aff4:category memory/physical, and there are ${maps.length} maps: ${maps.map((m) => `<${m}>`).join(', ')}`
          : 'no physical memory stream (aff4:category memory/physical) and no aff4:Map in information.turtle',
        { field: 'information.turtle' },
      );
    }
  }
  const phys = chosen!;
  notes.push(`physical memory: <${phys}>`);

  const streams = new Map<string, ImageStream>();
  const segments: Segment[] = [];
  if (isMap(phys)) {
    const mapEntry = vol.byUrn.get(phys + '/map');
    const idxEntry = vol.byUrn.get(phys + '/idx');
    if (!mapEntry) vol.fail(`the map records member of <${phys}> ("…/map") is missing`, { field: 'map' });
    if (!idxEntry) vol.fail(`the map target list of <${phys}> ("…/idx") is missing`, { field: 'idx' });
    const idxText = Buffer.from(vol.memberBytes(idxEntry!)).toString('utf8');
    const targetUrns = idxText.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    const targets = targetUrns.map((u) => targetSource(vol, graph, u, notes, streams));
    const recs = vol.memberBytes(mapEntry!);
    if (recs.length % 28 !== 0) vol.fail(`map records member "${mapEntry!.name}" is ${recs.length} bytes, not a multiple of 28`, { field: 'map' });
    const dv = new DataView(recs.buffer, recs.byteOffset, recs.byteLength);
    const n = recs.length / 28;
    const read = (swap: boolean): { phys: number; length: number; toff: number; tid: number }[] => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const a = Number(dv.getBigUint64(i * 28, true));
        const b = Number(dv.getBigUint64(i * 28 + 8, true));
        const c = Number(dv.getBigUint64(i * 28 + 16, true));
        const tid = dv.getUint32(i * 28 + 24, true);
        out.push(swap ? { phys: a, length: c, toff: b, tid } : { phys: a, length: b, toff: c, tid });
      }
      return out;
    };
    const fits = (rs: ReturnType<typeof read>): boolean =>
      rs.every((r) => {
        const t = targets[r.tid];
        return !(t instanceof ImageStream) || r.toff + r.length <= t.size;
      });
    let records = read(false);
    if (graph.hasType(phys, T_MAP_SCUDETTE) && !graph.hasType(phys, T_MAP)) {
      // Rekall/libAFF4 swapped target_offset and length; trust the layout that fits the stream
      const swapped = read(true);
      if (fits(swapped) || !fits(records)) {
        records = swapped;
        notes.push('map records in the Rekall/libAFF4 layout (target offset and length swapped)');
      }
    }
    let dropped = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (r.length === 0) continue;
      if (r.tid >= targets.length) vol.fail(`map record ${i} names target ${r.tid}, but "…/idx" lists only ${targets.length}`, { field: 'map' });
      if (!(r.phys + r.length <= 2 ** 52) || !Number.isSafeInteger(r.toff + r.length)) {
        vol.fail(`map record ${i} (physical ${hex(r.phys)}, ${r.length} bytes) is beyond any physical address`, { field: 'map' });
      }
      const t = targets[r.tid];
      if (t === null) {
        dropped++;
        continue;
      }
      const source = typeof t === 'number' ? new ConstantBytes(t) : t;
      if (source instanceof ImageStream && r.toff + r.length > source.size) {
        notes.push(`map record ${i}: physical ${hex(r.phys)}–${hex(r.phys + r.length)} points past the end of stream <${source.urn}> (${source.size} bytes)`);
      }
      segments.push({ phys: r.phys, length: r.length, offset: r.toff, source });
    }
    if (dropped) notes.push(`${dropped} map range(s) point at unknown/unreadable data and are not present`);
  } else {
    const s = ImageStream.fromGraph(vol, graph, phys, notes);
    streams.set(phys, s);
    segments.push({ phys: 0, length: s.size, offset: 0, source: s });
  }
  for (const s of streams.values()) {
    notes.push(`stream <${s.urn}>: ${s.size} bytes, ${s.codec}, chunks of ${s.chunkSize} bytes, ${s.chunksPerSegment} per bevy`);
    const missing = s.missingBevies();
    if (missing.length) notes.push(`stream <${s.urn}>: ${missing.length} bevy member(s) missing, first ${missing[0]}: those chunks cannot be read`);
  }
  if (segments.length === 0) vol.fail(`the physical memory map <${phys}> has no ranges`, { field: 'map' });
  return new SegmentedImage('aff4', file.path, [file.path], segments, notes, [file]);
}
