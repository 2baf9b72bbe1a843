// ELF core files (osxpmem --format elf, VirtualBox cores, converted AFF4): every PT_LOAD with
// file bytes maps physical p_paddr to file offset p_offset for p_filesz bytes.
import { ImageFormatError } from '../errors';
import type { FileSource } from './cache';
import { FileBytes, SegmentedImage, hex, type Segment } from './segmented';

const PT_LOAD = 1;
const ET_NAMES: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL', 2: 'ET_EXEC', 3: 'ET_DYN', 4: 'ET_CORE' };
const PN_XNUM = 0xffff;
/** far above any real core (osxpmem writes one header per EFI range) */
const MAX_PHDRS = 1 << 20;
const MAX_PHYS = 2 ** 52;

export function openElf(file: FileSource): SegmentedImage {
  const fail = (field: string, msg: string): never => {
    throw new ImageFormatError(`ELF header of ${file.path}: ${field} ${msg}`, { path: file.path, field });
  };
  const id = file.bytes(0, 64);
  if (id.length < 16) fail('e_ident', `is cut short: the file has only ${file.size} bytes`);
  const cls = id[4];
  if (cls !== 1 && cls !== 2) fail('e_ident[EI_CLASS]', `is ${cls}, expected 1 (ELF32) or 2 (ELF64)`);
  const data = id[5];
  if (data !== 1 && data !== 2) fail('e_ident[EI_DATA]', `is ${data}, expected 1 (little-endian) or 2 (big-endian)`);
  const is64 = cls === 2;
  const le = data === 1;
  const ehsize = is64 ? 64 : 52;
  if (id.length < ehsize) fail('header', `is cut short: the file has only ${file.size} bytes, the header needs ${ehsize}`);
  const dv = new DataView(id.buffer, id.byteOffset, id.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, le);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const addr = (v: DataView, o: number): number => (is64 ? Number(v.getBigUint64(o, le)) : v.getUint32(o, le));

  const type = u16(16);
  if (type !== 4) {
    fail('e_type', `is ${ET_NAMES[type] ?? hex(type)}, expected ET_CORE (4): this ELF file is a program or object, not a memory image`);
  }
  const phoff = addr(dv, is64 ? 32 : 28);
  const shoff = addr(dv, is64 ? 40 : 32);
  const phentsize = u16(is64 ? 54 : 42);
  let phnum = u16(is64 ? 56 : 44);
  const wantEnt = is64 ? 56 : 32;
  if (phentsize !== wantEnt) fail('e_phentsize', `is ${phentsize}, expected ${wantEnt} for ELF${is64 ? 64 : 32}`);
  if (phnum === PN_XNUM) {
    // the real count lives in section header 0's sh_info
    const shentsize = u16(is64 ? 58 : 46);
    if (shoff === 0 || shentsize < (is64 ? 64 : 40)) fail('e_phnum', 'is PN_XNUM but there is no section header 0 to hold the count');
    const sh = file.bytes(shoff, is64 ? 64 : 40);
    if (sh.length < (is64 ? 64 : 40)) fail('e_shoff', `${hex(shoff)} points past the end of the file`);
    phnum = new DataView(sh.buffer, sh.byteOffset).getUint32(is64 ? 44 : 28, le);
  }
  if (phnum === 0) fail('e_phnum', 'is 0: there are no program headers');
  if (phnum > MAX_PHDRS) fail('e_phnum', `is ${phnum}, more than ${MAX_PHDRS}`);
  if (!Number.isSafeInteger(phoff) || phoff < ehsize) fail('e_phoff', `is ${hex(phoff)}, inside the ELF header`);
  const tableEnd = phoff + phnum * phentsize;
  if (tableEnd > file.size) {
    fail('e_phoff', `${hex(phoff)} with ${phnum} entries of ${phentsize} bytes ends at ${hex(tableEnd)}, past the end of the file (${hex(file.size)})`);
  }

  const table = file.bytes(phoff, phnum * phentsize);
  const tv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const segments: Segment[] = [];
  const notes: string[] = [`ELF${is64 ? 64 : 32} core, ${phnum} program headers`];
  const src = new FileBytes(file);
  let shortMem = 0;
  for (let i = 0; i < phnum; i++) {
    const b = i * phentsize;
    if (tv.getUint32(b, le) !== PT_LOAD) continue;
    const offset = is64 ? Number(tv.getBigUint64(b + 8, le)) : tv.getUint32(b + 4, le);
    const paddr = is64 ? Number(tv.getBigUint64(b + 24, le)) : tv.getUint32(b + 12, le);
    const filesz = is64 ? Number(tv.getBigUint64(b + 32, le)) : tv.getUint32(b + 16, le);
    const memsz = is64 ? Number(tv.getBigUint64(b + 40, le)) : tv.getUint32(b + 20, le);
    if (filesz === 0) continue;
    if (!(paddr + filesz <= MAX_PHYS)) fail(`program header ${i} p_paddr`, `${hex(paddr)} + p_filesz ${hex(filesz)} is beyond any physical address`);
    if (!Number.isSafeInteger(offset + filesz)) fail(`program header ${i} p_offset`, `${hex(offset)} is beyond any file size`);
    if (memsz > filesz) shortMem++;
    segments.push({ phys: paddr, length: filesz, offset, source: src });
  }
  if (shortMem > 0) notes.push(`${shortMem} PT_LOAD segment(s) have p_memsz > p_filesz: only the bytes in the file are present`);
  if (segments.length === 0) fail('program headers', 'contain no PT_LOAD segment with file bytes');
  return new SegmentedImage('elf', file.path, [file.path], segments, notes, [file]);
}
