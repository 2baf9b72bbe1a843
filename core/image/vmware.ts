// VMware suspended-state / snapshot memory. The .vmem file is raw guest RAM; the .vmss/.vmsn
// metadata says how it is laid out. Metadata: header {u32 magic, u32 ?, u32 groupCount}, then
// groupCount 80-byte groups {char name[64], u64 tagsOffset, u64 ?}. A group's tags follow each
// other until a tag with flags = nameLength = 0:
//   u8 flags (bits 0-5 data length, 62/63 = long data; bits 6-7 index count), u8 nameLength,
//   name, indices (u32 each), then either the data (short) or {size on disk, size in memory
//   (u32 when the format version is 0, else u64), u16 padding length, padding} and the data.
// In group "memory": regionsCount, and per region i regionPPN[i] (guest page), regionPageNum[i]
// (page in the .vmem), regionSize[i] (pages). With no regions the .vmem is linear from physical 0.
// A .vmsn with no .vmem holds the memory itself in the "Memory" tag.
import { ImageFormatError } from '../errors';
import type { FileSource } from './cache';
import { FileBytes, SegmentedImage, hex, type Segment } from './segmented';

export const VMWARE_MAGICS = [0xbed2bed0, 0xbad1bad1, 0xbed2bed2, 0xbed3bed3];
const PAGE = 4096;
const MAX_GROUPS = 4096;
const MAX_TAGS = 1 << 20;
const MAX_REGIONS = 1 << 16;

export function isVmwareMagic(m: number): boolean {
  return VMWARE_MAGICS.includes(m >>> 0);
}

export interface VmwareTag {
  name: string;
  indices: number[];
  /** offset of the data in the metadata file */
  dataOffset: number;
  /** bytes of data on disk */
  dataSize: number;
  /** bytes of data in memory (differs from dataSize when VMware compressed it) */
  memSize: number;
  /** the data as an unsigned little-endian integer, for data of 1 to 8 bytes */
  value?: number;
}

export interface VmwareMeta {
  version: number;
  groups: Map<string, number>;
  /** tags of group "memory" */
  memory: VmwareTag[];
}

export function parseVmwareMeta(meta: FileSource): VmwareMeta {
  const fail = (msg: string, details: Record<string, unknown> = {}): never => {
    throw new ImageFormatError(`VMware metadata ${meta.path}: ${msg}`, { path: meta.path, ...details });
  };
  const h = meta.bytes(0, 12);
  if (h.length < 12) fail(`header is cut short (${meta.size} bytes)`);
  const hv = new DataView(h.buffer, h.byteOffset, 12);
  const magic = hv.getUint32(0, true);
  if (!isVmwareMagic(magic)) fail(`magic is ${hex(magic)}, expected one of ${VMWARE_MAGICS.map(hex).join(', ')}`, { field: 'magic' });
  const version = magic & 0xf;
  const groupCount = hv.getUint32(8, true);
  if (groupCount === 0 || groupCount > MAX_GROUPS) fail(`groupCount is ${groupCount}`, { field: 'groupCount' });
  if (12 + groupCount * 80 > meta.size) fail(`${groupCount} groups of 80 bytes run past the end of the file (${hex(meta.size)})`, { field: 'groupCount' });
  const gb = meta.bytes(12, groupCount * 80);
  const gv = new DataView(gb.buffer, gb.byteOffset, gb.byteLength);
  const groups = new Map<string, number>();
  for (let g = 0; g < groupCount; g++) {
    const raw = gb.subarray(g * 80, g * 80 + 64);
    const nul = raw.indexOf(0);
    const name = Buffer.from(raw.subarray(0, nul < 0 ? 64 : nul)).toString('latin1');
    groups.set(name, Number(gv.getBigUint64(g * 80 + 64, true)));
  }
  const memOff = groups.get('memory');
  if (memOff === undefined) fail(`no "memory" group (groups: ${[...groups.keys()].join(', ')})`, { field: 'groups' });
  return { version, groups, memory: readTags(meta, memOff!, version, fail) };
}

function readTags(meta: FileSource, start: number, version: number, fail: (m: string, d?: Record<string, unknown>) => never): VmwareTag[] {
  const tags: VmwareTag[] = [];
  let off = start;
  const sizeLen = version === 0 ? 4 : 8;
  for (;;) {
    if (tags.length >= MAX_TAGS) fail(`more than ${MAX_TAGS} tags in group "memory"`);
    // the longest fixed part: 2 + 255 name + 3 indices + 2 sizes + padding length
    const head = meta.bytes(off, 2 + 255 + 12 + 2 * sizeLen + 2);
    if (head.length < 2) fail(`tag list of group "memory" runs past the end of the file at ${hex(off)}`, { field: 'tags' });
    const flags = head[0];
    const nameLen = head[1];
    if (flags === 0 && nameLen === 0) break;
    const nIdx = (flags >> 6) & 3;
    let p = 2 + nameLen + 4 * nIdx;
    if (head.length < p) fail(`tag at ${hex(off)} runs past the end of the file`, { field: 'tags' });
    const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const name = Buffer.from(head.subarray(2, 2 + nameLen)).toString('latin1');
    const indices: number[] = [];
    for (let i = 0; i < nIdx; i++) indices.push(hv.getUint32(2 + nameLen + 4 * i, true));
    let dataSize = flags & 0x3f;
    let memSize = dataSize;
    if (dataSize === 62 || dataSize === 63) {
      if (head.length < p + 2 * sizeLen + 2) fail(`tag "${name}" at ${hex(off)} runs past the end of the file`, { field: 'tags' });
      dataSize = sizeLen === 4 ? hv.getUint32(p, true) : Number(hv.getBigUint64(p, true));
      memSize = sizeLen === 4 ? hv.getUint32(p + sizeLen, true) : Number(hv.getBigUint64(p + sizeLen, true));
      const pad = hv.getUint16(p + 2 * sizeLen, true);
      p += 2 * sizeLen + 2 + pad;
    }
    const dataOffset = off + p;
    if (!Number.isSafeInteger(dataOffset + dataSize) || dataOffset + dataSize > meta.size) {
      // the big Memory tag of a cut-short .vmsn is reported later as a truncation, not here
      if (name !== 'Memory') fail(`tag "${name}" at ${hex(off)}: its ${dataSize} data bytes run past the end of the file (${hex(meta.size)})`, { field: 'tags' });
    }
    const tag: VmwareTag = { name, indices, dataOffset, dataSize, memSize };
    if (dataSize >= 1 && dataSize <= 8 && dataOffset + dataSize <= meta.size) {
      const d = meta.bytes(dataOffset, dataSize);
      let v = 0;
      for (let i = dataSize - 1; i >= 0; i--) v = v * 256 + d[i];
      tag.value = v;
    }
    tags.push(tag);
    if (dataOffset + dataSize >= meta.size && name === 'Memory') break;
    off = dataOffset + dataSize;
  }
  return tags;
}

function findTag(tags: VmwareTag[], name: string, indices: number[] = []): VmwareTag | undefined {
  return tags.find((t) => t.name === name && t.indices.length === indices.length && t.indices.every((v, i) => v === indices[i]));
}

/**
 * Why metadata `meta` cannot describe a .vmem of `vmemSize` bytes (its regions run past the end of
 * it, or it cannot be parsed), or null when it fits. A .vmss beside an unrelated file must not lay
 * that file out.
 */
export function vmemMismatch(meta: FileSource, vmemSize: number): string | null {
  let m: VmwareMeta;
  try {
    m = parseVmwareMeta(meta);
  } catch (e) {
    return (e as Error).message;
  }
  const num = (name: string, idx: number[]): number | undefined => findTag(m.memory, name, idx)?.value;
  const count = num('regionsCount', []) ?? 0;
  if (count > MAX_REGIONS) return `its regionsCount is ${count}`;
  let need = 0;
  for (let i = 0; i < count; i++) {
    const pageNum = num('regionPageNum', [i]);
    const size = num('regionSize', [i]);
    if (pageNum === undefined || size === undefined) return `regionsCount is ${count} but ${pageNum === undefined ? 'regionPageNum' : 'regionSize'}[${i}] is missing`;
    need = Math.max(need, (pageNum + size) * PAGE);
  }
  if (need > vmemSize) return `its ${count} memory region(s) need ${need} bytes of .vmem, but the file has ${vmemSize}`;
  return null;
}

/**
 * Open VMware memory: `vmem` is the raw RAM file (null when the memory is embedded in `meta`).
 * `evidencePath` is the file the user opened.
 */
export function openVmware(vmem: FileSource | null, meta: FileSource): SegmentedImage {
  const m = parseVmwareMeta(meta);
  const notes: string[] = [`VMware metadata ${meta.path} (format version ${m.version})`];
  const numTag = (name: string, idx: number[] = []): number | undefined => {
    const t = findTag(m.memory, name, idx);
    if (t && t.value === undefined) {
      throw new ImageFormatError(`VMware metadata ${meta.path}: tag ${name}${idx.map((i) => `[${i}]`).join('')} holds ${t.dataSize} bytes, not a number`, {
        path: meta.path,
        field: name,
      });
    }
    return t?.value;
  };
  const regionsCount = numTag('regionsCount') ?? 0;
  if (regionsCount > MAX_REGIONS) throw new ImageFormatError(`VMware metadata ${meta.path}: regionsCount is ${regionsCount}`, { path: meta.path, field: 'regionsCount' });

  let source: FileBytes;
  let base = 0;
  let linearLength = 0;
  if (vmem) {
    source = new FileBytes(vmem);
    linearLength = vmem.size;
  } else {
    const mem = m.memory.find((t) => t.name === 'Memory');
    if (!mem || mem.dataSize === 0) {
      throw new ImageFormatError(
        `VMware snapshot ${meta.path} holds no guest memory: it is kept in a .vmem file beside it (same name), which was not found`,
        { path: meta.path },
      );
    }
    if (mem.memSize !== mem.dataSize) {
      throw new ImageFormatError(`VMware snapshot ${meta.path}: the embedded memory is compressed (${mem.dataSize} bytes on disk for ${mem.memSize}); not supported`, {
        path: meta.path,
        field: 'Memory',
      });
    }
    source = new FileBytes(meta);
    base = mem.dataOffset;
    linearLength = mem.dataSize;
    notes.push(`guest memory is embedded in the snapshot at file offset ${hex(base)}`);
  }

  const segments: Segment[] = [];
  if (regionsCount === 0) {
    notes.push('no memory regions: guest memory is linear from physical 0');
    segments.push({ phys: 0, length: linearLength, offset: base, source });
  } else {
    for (let i = 0; i < regionsCount; i++) {
      const ppn = numTag('regionPPN', [i]);
      const pageNum = numTag('regionPageNum', [i]);
      const size = numTag('regionSize', [i]);
      if (ppn === undefined || pageNum === undefined || size === undefined) {
        const missing = ppn === undefined ? 'regionPPN' : pageNum === undefined ? 'regionPageNum' : 'regionSize';
        throw new ImageFormatError(`VMware metadata ${meta.path}: regionsCount is ${regionsCount} but ${missing}[${i}] is missing`, {
          path: meta.path,
          field: missing,
        });
      }
      segments.push({ phys: ppn * PAGE, length: size * PAGE, offset: base + pageNum * PAGE, source });
    }
    notes.push(`${regionsCount} memory region(s)`);
  }
  const files = vmem ? [vmem.path, meta.path] : [meta.path];
  const closers = vmem ? [vmem, meta] : [meta];
  return new SegmentedImage('vmware', vmem ? vmem.path : meta.path, files, segments, notes, closers);
}
