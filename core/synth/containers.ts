// Writers that wrap any SparseMemory into each container format Unfold reads: raw (padded or not),
// LiME, ELF core, Mach-O core, AFF4 (a real ZIP/ZIP64 volume laid out as osxpmem/c-aff4 write it)
// and VMware (.vmem + .vmss, or a .vmsn with the memory embedded).
// Output is written piece by piece with positioned writes; no writer builds the image in one buffer.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import snappy from 'snappyjs';
import { lz4EncodeBlock } from '../codecs/lz4';
import type { SparseMemory } from './types';

const PAGE = 4096;

/** sequential writer with positioned writes */
class Out {
  readonly fd: number;
  pos = 0;
  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w');
  }
  write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += fs.writeSync(this.fd, b, done, b.length - done, this.pos + done);
    this.pos += b.length;
  }
  /** skip forward (the gap reads as zeros; on most file systems it stays a hole) */
  seek(pos: number): void {
    this.pos = pos;
  }
  close(size?: number): void {
    if (size !== undefined) fs.ftruncateSync(this.fd, size);
    fs.closeSync(this.fd);
  }
}

function le(size: number): { b: Uint8Array; dv: DataView } {
  const b = new Uint8Array(size);
  return { b, dv: new DataView(b.buffer) };
}

function runs(mem: SparseMemory): Array<{ start: number; data: Uint8Array }> {
  return [...mem.chunks].sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------
// raw

export interface RawOptions {
  /** true: holes and the tail up to mem.size are zeros (file size = mem.size); false: the file ends with the last present page */
  padded: boolean;
}

/** raw image: file offset = physical address; holes are zeros (sparse on disk where supported) */
export function writeRaw(mem: SparseMemory, file: string, opts: RawOptions = { padded: true }): void {
  const out = new Out(file);
  let end = 0;
  for (const c of runs(mem)) {
    out.seek(c.start);
    out.write(c.data);
    end = c.start + c.data.length;
  }
  out.close(opts.padded ? mem.size : end);
}

// ---------------------------------------------------------------------------------------------
// LiME

/** LiME: one 32-byte header {magic, version 1, start, end inclusive, 0} per run, then its bytes */
export function writeLime(mem: SparseMemory, file: string): void {
  const out = new Out(file);
  for (const c of runs(mem)) {
    const { b, dv } = le(32);
    dv.setUint32(0, 0x4c694d45, true);
    dv.setUint32(4, 1, true);
    dv.setBigUint64(8, BigInt(c.start), true);
    dv.setBigUint64(16, BigInt(c.start + c.data.length - 1), true);
    out.write(b);
    out.write(c.data);
  }
  out.close();
}

// ---------------------------------------------------------------------------------------------
// ELF

export interface ElfOptions {
  /** 64 (default) or 32-bit ELF; ELF32 can only describe memory below 4 GiB */
  bits?: 64 | 32;
  /** e_machine (default EM_X86_64 = 62 for ELF64, EM_386 = 3 for ELF32) */
  machine?: number;
}

/** ELF core as osxpmem writes it: ET_CORE, one PT_LOAD per run (p_paddr = physical), data right after the headers */
export function writeElf(mem: SparseMemory, file: string, opts: ElfOptions = {}): void {
  const is64 = (opts.bits ?? 64) === 64;
  const rs = runs(mem);
  if (!is64 && rs.some((c) => c.start + c.data.length > 2 ** 32)) throw new RangeError('ELF32 cannot describe memory above 4 GiB');
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const { b, dv } = le(ehsize + rs.length * phentsize);
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1], 0);
  dv.setUint16(16, 4, true); // ET_CORE
  dv.setUint16(18, opts.machine ?? (is64 ? 62 : 3), true);
  dv.setUint32(20, 1, true);
  if (is64) {
    dv.setBigUint64(32, BigInt(ehsize), true); // e_phoff
    dv.setUint16(52, ehsize, true);
    dv.setUint16(54, phentsize, true);
    dv.setUint16(56, rs.length, true);
    dv.setUint16(58, 64, true); // e_shentsize
  } else {
    dv.setUint32(28, ehsize, true);
    dv.setUint16(40, ehsize, true);
    dv.setUint16(42, phentsize, true);
    dv.setUint16(44, rs.length, true);
    dv.setUint16(46, 40, true);
  }
  let off = ehsize + rs.length * phentsize;
  rs.forEach((c, i) => {
    const p = ehsize + i * phentsize;
    dv.setUint32(p, 1, true); // PT_LOAD
    if (is64) {
      dv.setUint32(p + 4, 4, true); // PF_R
      dv.setBigUint64(p + 8, BigInt(off), true);
      dv.setBigUint64(p + 16, 0n, true); // p_vaddr
      dv.setBigUint64(p + 24, BigInt(c.start), true);
      dv.setBigUint64(p + 32, BigInt(c.data.length), true);
      dv.setBigUint64(p + 40, BigInt(c.data.length), true);
      dv.setBigUint64(p + 48, 1n, true);
    } else {
      dv.setUint32(p + 4, off, true);
      dv.setUint32(p + 8, 0, true);
      dv.setUint32(p + 12, c.start, true);
      dv.setUint32(p + 16, c.data.length, true);
      dv.setUint32(p + 20, c.data.length, true);
      dv.setUint32(p + 24, 4, true);
      dv.setUint32(p + 28, 1, true);
    }
    off += c.data.length;
  });
  const out = new Out(file);
  out.write(b);
  for (const c of rs) out.write(c.data);
  out.close();
}

// ---------------------------------------------------------------------------------------------
// Mach-O

export interface MachOOptions {
  /** 64 (default) or 32-bit Mach-O; 32-bit can only describe memory below 4 GiB */
  bits?: 64 | 32;
}

/** Mach-O core (MH_CORE): one LC_SEGMENT(_64) per run, vmaddr = physical, data page-aligned after the commands */
export function writeMachO(mem: SparseMemory, file: string, opts: MachOOptions = {}): void {
  const is64 = (opts.bits ?? 64) === 64;
  const rs = runs(mem);
  if (!is64 && rs.some((c) => c.start + c.data.length > 2 ** 32)) throw new RangeError('32-bit Mach-O cannot describe memory above 4 GiB');
  const hsize = is64 ? 32 : 28;
  const csize = is64 ? 72 : 56;
  const { b, dv } = le(hsize + rs.length * csize);
  dv.setUint32(0, is64 ? 0xfeedfacf : 0xfeedface, true);
  dv.setUint32(4, is64 ? 0x01000007 : 7, true); // CPU_TYPE_X86_64 / CPU_TYPE_I386
  dv.setUint32(8, 3, true);
  dv.setUint32(12, 4, true); // MH_CORE
  dv.setUint32(16, rs.length, true);
  dv.setUint32(20, rs.length * csize, true);
  let off = Math.ceil(b.length / PAGE) * PAGE;
  const dataStart = off;
  rs.forEach((c, i) => {
    const p = hsize + i * csize;
    dv.setUint32(p, is64 ? 0x19 : 0x1, true);
    dv.setUint32(p + 4, csize, true);
    b.set(new TextEncoder().encode('__MEMORY'), p + 8);
    if (is64) {
      dv.setBigUint64(p + 24, BigInt(c.start), true);
      dv.setBigUint64(p + 32, BigInt(c.data.length), true);
      dv.setBigUint64(p + 40, BigInt(off), true);
      dv.setBigUint64(p + 48, BigInt(c.data.length), true);
      dv.setUint32(p + 56, 1, true);
      dv.setUint32(p + 60, 1, true);
    } else {
      dv.setUint32(p + 24, c.start, true);
      dv.setUint32(p + 28, c.data.length, true);
      dv.setUint32(p + 32, off, true);
      dv.setUint32(p + 36, c.data.length, true);
      dv.setUint32(p + 40, 1, true);
      dv.setUint32(p + 44, 1, true);
    }
    off += c.data.length;
  });
  const out = new Out(file);
  out.write(b);
  out.seek(dataStart);
  for (const c of rs) out.write(c.data);
  out.close();
}

// ---------------------------------------------------------------------------------------------
// VMware

export interface VmwareOptions {
  /** true: the .vmem holds only present pages and regionPPN/regionPageNum/regionSize tags place them;
   *  false: regionsCount = 0 and the .vmem is linear (padded) from physical 0 */
  regions: boolean;
  /** base name of the files (default "memory") */
  name?: string;
  /** write a .vmsn holding the memory in its "Memory" tag, and no .vmem */
  embedded?: boolean;
}

export interface VmwareFiles {
  /** the .vmem (absent when the memory is embedded) */
  vmem?: string;
  /** the .vmss (or .vmsn when embedded) */
  meta: string;
}

function vmTag(name: string, indices: number[], value: number): Uint8Array {
  const nb = new TextEncoder().encode(name);
  const { b, dv } = le(2 + nb.length + 4 * indices.length + 4);
  b[0] = (indices.length << 6) | 4;
  b[1] = nb.length;
  b.set(nb, 2);
  indices.forEach((v, i) => dv.setUint32(2 + nb.length + 4 * i, v, true));
  dv.setUint32(2 + nb.length + 4 * indices.length, value, true);
  return b;
}

/** VMware suspended state: .vmem (raw RAM) + .vmss metadata (format version 2, 8-byte long-data sizes) */
export function writeVmware(mem: SparseMemory, dir: string, opts: VmwareOptions): VmwareFiles {
  const name = opts.name ?? 'memory';
  const rs = runs(mem);
  const tags: Uint8Array[] = [];
  // dense layout of the present runs (regions) or the linear padded layout
  const regions: Array<{ ppn: number; pageNum: number; size: number }> = [];
  let dense = 0;
  if (opts.regions) {
    for (const c of rs) {
      regions.push({ ppn: c.start / PAGE, pageNum: dense / PAGE, size: c.data.length / PAGE });
      dense += c.data.length;
    }
  }
  tags.push(vmTag('regionsCount', [], regions.length));
  regions.forEach((r, i) => {
    tags.push(vmTag('regionPPN', [i], r.ppn));
    tags.push(vmTag('regionPageNum', [i], r.pageNum));
    tags.push(vmTag('regionSize', [i], r.size));
  });
  const memBytes = opts.regions ? dense : mem.size;

  const metaPath = path.join(dir, name + (opts.embedded ? '.vmsn' : '.vmss'));
  const groupNames = ['Checkpoint', 'memory'];
  const { b: head, dv: hv } = le(12 + groupNames.length * 80);
  hv.setUint32(0, 0xbed2bed2, true);
  hv.setUint32(8, groupNames.length, true);
  // group "Checkpoint" holds one small tag; group "memory" follows it
  const checkpointTags = [vmTag('version', [], 8), new Uint8Array(2)];
  const cpLen = checkpointTags.reduce((n, t) => n + t.length, 0);
  const cpOff = head.length;
  const memOff = cpOff + cpLen;
  groupNames.forEach((g, i) => {
    head.set(new TextEncoder().encode(g), 12 + i * 80);
    hv.setBigUint64(12 + i * 80 + 64, BigInt(i === 0 ? cpOff : memOff), true);
  });
  const out = new Out(metaPath);
  out.write(head);
  for (const t of checkpointTags) out.write(t);
  for (const t of tags) out.write(t);
  const writeMemory = (o: Out, base: number): void => {
    if (opts.regions) {
      let d = base;
      for (const c of rs) {
        o.seek(d);
        o.write(c.data);
        d += c.data.length;
      }
    } else {
      for (const c of rs) {
        o.seek(base + c.start);
        o.write(c.data);
      }
    }
  };
  if (opts.embedded) {
    const nb = new TextEncoder().encode('Memory');
    const { b, dv } = le(2 + nb.length + 8 + 16 + 2);
    b[0] = (2 << 6) | 62;
    b[1] = nb.length;
    b.set(nb, 2);
    dv.setUint32(2 + nb.length, 0, true);
    dv.setUint32(2 + nb.length + 4, 0, true);
    dv.setBigUint64(2 + nb.length + 8, BigInt(memBytes), true);
    dv.setBigUint64(2 + nb.length + 16, BigInt(memBytes), true);
    dv.setUint16(2 + nb.length + 24, 0, true);
    out.write(b);
    const base = out.pos;
    writeMemory(out, base);
    out.seek(base + memBytes);
    out.write(new Uint8Array(2)); // end of tags
    out.close(base + memBytes + 2);
    return { meta: metaPath };
  }
  out.write(new Uint8Array(2));
  out.close();
  const vmemPath = path.join(dir, name + '.vmem');
  const vm = new Out(vmemPath);
  writeMemory(vm, 0);
  vm.close(memBytes);
  return { vmem: vmemPath, meta: metaPath };
}

// ---------------------------------------------------------------------------------------------
// AFF4

export type Aff4Compression = 'snappy' | 'deflate' | 'zlib' | 'lz4' | 'stored';

export interface Aff4Options {
  /** chunk codec: snappy (osxpmem's default), deflate (raw RFC 1951), zlib (RFC 1950), lz4 (block), stored */
  compression: Aff4Compression;
  /** bytes per chunk (default 32768) */
  chunkSize?: number;
  /** chunks per bevy (default 1024) */
  chunksPerSegment?: number;
  /** write ZIP64 records even when not needed, as c-aff4 does (default true) */
  zip64?: boolean;
  /** volume UUID (default random) */
  uuid?: string;
  /** map name under the volume (default "dev/pmem", osxpmem's device) */
  mapName?: string;
  /** index format: standard 12-byte `.index` members (default) or pre-standard u32 offset lists in `<bevy>/index` */
  index?: 'standard' | 'prestandard';
  /** 'rekall': the Rekall/libAFF4 dialect (aff4:map with target offset and length swapped in the
   *  records, aff4:image with chunk_size/chunks_per_segment/compression, pre-standard indexes;
   *  snappy chunks are then always compressed) */
  flavor?: 'standard' | 'rekall';
  /** ZIP method of the bevy members: 0 stored (default, as c-aff4 writes them) or 8 deflate */
  bevyZipMethod?: 0 | 8;
  /** extra map ranges (in holes of `mem`) that point at symbolic streams instead of data */
  symbolic?: Array<{ start: number; length: number; target: 'zero' | 'ff' | 'unreadable' }>;
}

export interface Aff4Layout {
  volumeUrn: string;
  mapUrn: string;
  streamUrn: string;
  chunkSize: number;
  chunksPerSegment: number;
  /** bytes in the image stream (present memory, densely packed) */
  streamSize: number;
  /** per chunk: file offset of its stored bytes (NaN when the bevy member is deflated), their length, and whether it was stored raw */
  chunkFileOffset: Float64Array;
  chunkLength: Uint32Array;
  chunkRaw: Uint8Array;
  /** zip members in file order with the offset of their data */
  members: Array<{ name: string; dataOffset: number; size: number; method: number }>;
}

const COMPRESSION_URI: Record<Aff4Compression, string> = {
  snappy: 'http://code.google.com/p/snappy/',
  deflate: 'https://tools.ietf.org/html/rfc1951',
  zlib: 'https://www.ietf.org/rfc/rfc1950.txt',
  lz4: 'https://code.google.com/p/lz4/',
  stored: 'http://aff4.org/Schema#NullCompressor',
};

interface CdEntry {
  name: Uint8Array;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  lho: number;
}

const DOS_TIME = (12 << 11) | (34 << 5);
const DOS_DATE = ((2024 - 1980) << 9) | (6 << 5) | 1;

class ZipWriter {
  readonly cd: CdEntry[] = [];
  readonly members: Aff4Layout['members'] = [];
  constructor(
    readonly out: Out,
    readonly zip64: boolean,
  ) {}

  /** write one member; returns the file offset of its data */
  add(name: string, data: Uint8Array | Uint8Array[], method: 0 | 8 = 0): number {
    const parts = Array.isArray(data) ? data : [data];
    let crc = 0;
    let usize = 0;
    for (const p of parts) {
      crc = zlib.crc32(p, crc);
      usize += p.length;
    }
    let payload = parts;
    if (method === 8) {
      const joined = Buffer.concat(parts);
      payload = [zlib.deflateRawSync(joined)];
    }
    const csize = payload.reduce((n, p) => n + p.length, 0);
    const nb = new TextEncoder().encode(name);
    const extraLen = this.zip64 ? 20 : 0;
    const { b, dv } = le(30 + nb.length + extraLen);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, this.zip64 ? 45 : 20, true);
    dv.setUint16(6, 0x800, true); // names are UTF-8
    dv.setUint16(8, method, true);
    dv.setUint16(10, DOS_TIME, true);
    dv.setUint16(12, DOS_DATE, true);
    dv.setUint32(14, crc >>> 0, true);
    dv.setUint32(18, this.zip64 ? 0xffffffff : csize, true);
    dv.setUint32(22, this.zip64 ? 0xffffffff : usize, true);
    dv.setUint16(26, nb.length, true);
    dv.setUint16(28, extraLen, true);
    b.set(nb, 30);
    if (this.zip64) {
      const e = 30 + nb.length;
      dv.setUint16(e, 1, true);
      dv.setUint16(e + 2, 16, true);
      dv.setBigUint64(e + 4, BigInt(usize), true);
      dv.setBigUint64(e + 12, BigInt(csize), true);
    }
    const lho = this.out.pos;
    this.out.write(b);
    const dataOffset = this.out.pos;
    for (const p of payload) this.out.write(p);
    this.cd.push({ name: nb, method, crc: crc >>> 0, csize, usize, lho });
    this.members.push({ name, dataOffset, size: csize, method });
    return dataOffset;
  }

  finish(comment: string): void {
    const cdOffset = this.out.pos;
    for (const e of this.cd) {
      const big = this.zip64 || e.csize >= 0xffffffff || e.usize >= 0xffffffff || e.lho >= 0xffffffff;
      const extraLen = big ? 28 : 0;
      const { b, dv } = le(46 + e.name.length + extraLen);
      dv.setUint32(0, 0x02014b50, true);
      dv.setUint16(4, (3 << 8) | 45, true);
      dv.setUint16(6, big ? 45 : 20, true);
      dv.setUint16(8, 0x800, true);
      dv.setUint16(10, e.method, true);
      dv.setUint16(12, DOS_TIME, true);
      dv.setUint16(14, DOS_DATE, true);
      dv.setUint32(16, e.crc, true);
      dv.setUint32(20, big ? 0xffffffff : e.csize, true);
      dv.setUint32(24, big ? 0xffffffff : e.usize, true);
      dv.setUint16(28, e.name.length, true);
      dv.setUint16(30, extraLen, true);
      dv.setUint32(38, (0o100644 << 16) >>> 0, true);
      dv.setUint32(42, big ? 0xffffffff : e.lho, true);
      b.set(e.name, 46);
      if (big) {
        const x = 46 + e.name.length;
        dv.setUint16(x, 1, true);
        dv.setUint16(x + 2, 24, true);
        dv.setBigUint64(x + 4, BigInt(e.usize), true);
        dv.setBigUint64(x + 12, BigInt(e.csize), true);
        dv.setBigUint64(x + 20, BigInt(e.lho), true);
      }
      this.out.write(b);
    }
    const cdSize = this.out.pos - cdOffset;
    const n = this.cd.length;
    const need64 = this.zip64 || n >= 0xffff || cdOffset >= 0xffffffff || cdSize >= 0xffffffff;
    if (need64) {
      const eocd64Offset = this.out.pos;
      const { b, dv } = le(56 + 20);
      dv.setUint32(0, 0x06064b50, true);
      dv.setBigUint64(4, 44n, true);
      dv.setUint16(12, (3 << 8) | 45, true);
      dv.setUint16(14, 45, true);
      dv.setBigUint64(24, BigInt(n), true);
      dv.setBigUint64(32, BigInt(n), true);
      dv.setBigUint64(40, BigInt(cdSize), true);
      dv.setBigUint64(48, BigInt(cdOffset), true);
      dv.setUint32(56, 0x07064b50, true);
      dv.setBigUint64(56 + 8, BigInt(eocd64Offset), true);
      dv.setUint32(56 + 16, 1, true);
      this.out.write(b);
    }
    const cb = new TextEncoder().encode(comment);
    const { b, dv } = le(22 + cb.length);
    dv.setUint32(0, 0x06054b50, true);
    dv.setUint16(8, need64 ? 0xffff : n, true);
    dv.setUint16(10, need64 ? 0xffff : n, true);
    dv.setUint32(12, need64 ? 0xffffffff : cdSize, true);
    dv.setUint32(16, need64 ? 0xffffffff : cdOffset, true);
    dv.setUint16(20, cb.length, true);
    b.set(cb, 22);
    this.out.write(b);
  }
}

function compressChunk(kind: Aff4Compression, chunk: Uint8Array): Uint8Array {
  switch (kind) {
    case 'snappy':
      return snappy.compress(chunk);
    case 'deflate':
      return zlib.deflateRawSync(chunk);
    case 'zlib':
      return zlib.deflateSync(chunk);
    case 'lz4': {
      const dst = new Uint8Array(chunk.length + Math.ceil(chunk.length / 255) + 64);
      const n = lz4EncodeBlock(chunk, dst);
      return n === 0 ? chunk : dst.subarray(0, n);
    }
    default:
      return chunk;
  }
}

/**
 * AFF4 volume as osxpmem writes it by default: an aff4:Map `<volume>/dev/pmem` (category
 * memory/physical) whose ranges point into the ImageStream `<map>/data`, which holds the present
 * pages densely packed, in bevies of compressed chunks with 12-byte bevy indexes.
 */
export function writeAff4(mem: SparseMemory, file: string, opts: Aff4Options): Aff4Layout {
  const chunkSize = opts.chunkSize ?? 32768;
  const cps = opts.chunksPerSegment ?? 1024;
  const zip64 = opts.zip64 ?? true;
  const volumeUrn = `aff4://${opts.uuid ?? crypto.randomUUID()}`;
  const mapName = opts.mapName ?? 'dev/pmem';
  const mapUrn = `${volumeUrn}/${mapName}`;
  const streamUrn = `${mapUrn}/data`;
  const rs = runs(mem);
  const streamSize = rs.reduce((n, c) => n + c.data.length, 0);
  const nChunks = Math.ceil(streamSize / chunkSize);
  const rekall = opts.flavor === 'rekall';
  const layout: Aff4Layout = {
    volumeUrn,
    mapUrn,
    streamUrn,
    chunkSize,
    chunksPerSegment: cps,
    streamSize,
    chunkFileOffset: new Float64Array(nChunks),
    chunkLength: new Uint32Array(nChunks),
    chunkRaw: new Uint8Array(nChunks),
    members: [],
  };

  const out = new Out(file);
  const zip = new ZipWriter(out, zip64);

  // Walk the dense stream chunk by chunk across the runs.
  let runIdx = 0;
  let inRun = 0;
  const nextChunk = (len: number): Uint8Array => {
    const buf = new Uint8Array(len);
    let filled = 0;
    while (filled < len) {
      const c = rs[runIdx];
      const n = Math.min(len - filled, c.data.length - inRun);
      buf.set(c.data.subarray(inRun, inRun + n), filled);
      filled += n;
      inRun += n;
      if (inRun === c.data.length) {
        runIdx++;
        inRun = 0;
      }
    }
    return buf;
  };

  const bevyName = (b: number): string => `${mapName}/data/${String(b).padStart(8, '0')}`;
  for (let k0 = 0, bevy = 0; k0 < nChunks; k0 += cps, bevy++) {
    const parts: Uint8Array[] = [];
    const offsets: number[] = [];
    const lengths: number[] = [];
    let pos = 0;
    for (let k = k0; k < Math.min(nChunks, k0 + cps); k++) {
      const raw = nextChunk(Math.min(chunkSize, streamSize - k * chunkSize));
      let stored = raw;
      let isRaw = true;
      if (opts.compression !== 'stored') {
        const c = compressChunk(opts.compression, raw);
        // c-aff4's rule: keep a full chunk raw unless compression saves more than 16 bytes; a short
        // last chunk is always kept compressed so a reader can tell it from a raw one. Rekall's
        // snappy chunks are always compressed.
        if (c.length < chunkSize - 16 || raw.length < chunkSize || (rekall && opts.compression === 'snappy')) {
          stored = c;
          isRaw = false;
        }
      }
      parts.push(stored);
      offsets.push(pos);
      lengths.push(stored.length);
      layout.chunkLength[k] = stored.length;
      layout.chunkRaw[k] = isRaw ? 1 : 0;
      layout.chunkFileOffset[k] = pos; // made absolute below
      pos += stored.length;
    }
    const dataOffset = zip.add(bevyName(bevy), parts, opts.bevyZipMethod ?? 0);
    for (let k = k0; k < Math.min(nChunks, k0 + cps); k++) layout.chunkFileOffset[k] = opts.bevyZipMethod === 8 ? NaN : layout.chunkFileOffset[k] + dataOffset;
    if ((opts.index ?? (rekall ? 'prestandard' : 'standard')) === 'standard') {
      const { b, dv } = le(12 * offsets.length);
      offsets.forEach((o, i) => {
        dv.setBigUint64(i * 12, BigInt(o), true);
        dv.setUint32(i * 12 + 8, lengths[i], true);
      });
      zip.add(bevyName(bevy) + '.index', b);
    } else {
      // Rekall-style: offsets of every chunk, the first being 0
      const { b, dv } = le(4 * offsets.length);
      offsets.forEach((o, i) => dv.setUint32(i * 4, o, true));
      zip.add(bevyName(bevy) + '/index', b);
    }
  }

  // map records: present run → its place in the dense stream; symbolic ranges → their stream
  const SYMBOLIC_URN = { zero: 'http://aff4.org/Schema#Zero', ff: 'http://aff4.org/Schema#FFDevice', unreadable: 'http://aff4.org/Schema#UnreadableData' };
  const targets = [streamUrn];
  const records: Array<{ start: number; length: number; toff: number; tid: number }> = [];
  let dense = 0;
  for (const c of rs) {
    records.push({ start: c.start, length: c.data.length, toff: dense, tid: 0 });
    dense += c.data.length;
  }
  for (const r of opts.symbolic ?? []) {
    const urn = SYMBOLIC_URN[r.target];
    let tid = targets.indexOf(urn);
    if (tid < 0) tid = targets.push(urn) - 1;
    records.push({ start: r.start, length: r.length, toff: r.start, tid });
  }
  records.sort((a, b) => a.start - b.start);
  const { b: recs, dv: rv } = le(28 * records.length);
  records.forEach((r, i) => {
    rv.setBigUint64(i * 28, BigInt(r.start), true);
    rv.setBigUint64(i * 28 + 8, BigInt(rekall ? r.toff : r.length), true);
    rv.setBigUint64(i * 28 + 16, BigInt(rekall ? r.length : r.toff), true);
    rv.setUint32(i * 28 + 24, r.tid, true);
  });
  zip.add(`${mapName}/map`, recs);
  zip.add(`${mapName}/idx`, new TextEncoder().encode(targets.map((t) => t + '\n').join('')));

  const turtle = [
    '@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .',
    '@prefix aff4: <http://aff4.org/Schema#> .',
    '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .',
    '',
    `<${volumeUrn}>`,
    `    aff4:contains <${mapUrn}>, <${streamUrn}> ;`,
    '    aff4:creationTime "2024-06-01T12:34:00Z"^^xsd:dateTime ;',
    '    a aff4:ZipVolume .',
    '',
    `<${mapUrn}>`,
    '    aff4:category <http://aff4.org/Schema#memory/physical> ;',
    `    aff4:size "${mem.size}"^^xsd:long ;`,
    `    aff4:stored <${volumeUrn}> ;`,
    rekall ? '    a aff4:map .' : '    a aff4:Image, aff4:Map .',
    '',
    `<${streamUrn}>`,
    `    aff4:${rekall ? 'chunk_size' : 'chunkSize'} ${chunkSize} ;`,
    `    aff4:${rekall ? 'chunks_per_segment' : 'chunksInSegment'} ${cps} ;`,
    `    aff4:${rekall ? 'compression' : 'compressionMethod'} <${rekall && opts.compression === 'snappy' ? 'https://github.com/google/snappy' : COMPRESSION_URI[opts.compression]}> ;`,
    `    aff4:size ${streamSize} ;`,
    `    aff4:stored <${volumeUrn}> ;`,
    rekall ? '    a aff4:image .' : '    a aff4:ImageStream .',
    '',
  ].join('\n');
  zip.add('information.turtle', new TextEncoder().encode(turtle), 8);
  zip.finish(volumeUrn);
  out.close();
  layout.members = zip.members;
  return layout;
}
