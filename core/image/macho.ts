// Mach-O memory cores (ATC-NY Mac Memory Reader and similar): each LC_SEGMENT / LC_SEGMENT_64
// maps physical vmaddr to file offset fileoff for filesize bytes.
import { ImageFormatError } from '../errors';
import type { FileSource } from './cache';
import { FileBytes, SegmentedImage, hex, type Segment } from './segmented';

export const MH_MAGIC = 0xfeedface;
export const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const PROGRAM_TYPES: Record<number, string> = {
  1: 'MH_OBJECT',
  2: 'MH_EXECUTE',
  5: 'MH_PRELOAD',
  6: 'MH_DYLIB',
  7: 'MH_DYLINKER',
  8: 'MH_BUNDLE',
  11: 'MH_KEXT_BUNDLE',
  12: 'MH_FILESET',
};
const MAX_CMDS = 1 << 20;
const MAX_PHYS = 2 ** 52;

export function openMachO(file: FileSource): SegmentedImage {
  const fail = (field: string, msg: string): never => {
    throw new ImageFormatError(`Mach-O header of ${file.path}: ${field} ${msg}`, { path: file.path, field });
  };
  const h = file.bytes(0, 32);
  if (h.length < 28) fail('header', `is cut short: the file has only ${file.size} bytes`);
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic !== MH_MAGIC && magic !== MH_MAGIC_64) fail('magic', `is ${hex(magic)}, expected ${hex(MH_MAGIC)} or ${hex(MH_MAGIC_64)}`);
  const is64 = magic === MH_MAGIC_64;
  const hsize = is64 ? 32 : 28;
  if (h.length < hsize) fail('header', `is cut short: the file has only ${file.size} bytes`);
  const filetype = dv.getUint32(12, true);
  if (PROGRAM_TYPES[filetype]) fail('filetype', `is ${PROGRAM_TYPES[filetype]} (${filetype}): a program, not a memory image`);
  const ncmds = dv.getUint32(16, true);
  const sizeofcmds = dv.getUint32(20, true);
  if (ncmds === 0) fail('ncmds', 'is 0: there are no load commands');
  if (ncmds > MAX_CMDS) fail('ncmds', `is ${ncmds}, more than ${MAX_CMDS}`);
  if (ncmds * 8 > sizeofcmds) fail('sizeofcmds', `is ${sizeofcmds}, too small for ${ncmds} load commands`);
  if (hsize + sizeofcmds > file.size) {
    fail('sizeofcmds', `is ${sizeofcmds}: the load commands would end at ${hex(hsize + sizeofcmds)}, past the end of the file (${hex(file.size)})`);
  }
  const cmds = file.bytes(hsize, sizeofcmds);
  const cv = new DataView(cmds.buffer, cmds.byteOffset, cmds.byteLength);
  const segments: Segment[] = [];
  const notes: string[] = [`Mach-O ${is64 ? '64' : '32'}-bit, file type ${filetype}, ${ncmds} load commands`];
  const src = new FileBytes(file);
  let off = 0;
  let short = 0;
  for (let i = 0; i < ncmds; i++) {
    if (off + 8 > sizeofcmds) fail(`load command ${i}`, `at ${hex(hsize + off)} lies outside sizeofcmds (${sizeofcmds})`);
    const cmd = cv.getUint32(off, true);
    const cmdsize = cv.getUint32(off + 4, true);
    if (cmdsize < 8 || cmdsize % 4 !== 0 || off + cmdsize > sizeofcmds) {
      fail(`load command ${i} cmdsize`, `is ${cmdsize} at ${hex(hsize + off)}: it must be a multiple of 4, at least 8, and end inside sizeofcmds (${sizeofcmds})`);
    }
    if (cmd === LC_SEGMENT_64 || cmd === LC_SEGMENT) {
      const wide = cmd === LC_SEGMENT_64;
      const need = wide ? 72 : 56;
      if (cmdsize < need) fail(`load command ${i} cmdsize`, `is ${cmdsize}, too small for a segment command (${need})`);
      const vmaddr = wide ? Number(cv.getBigUint64(off + 24, true)) : cv.getUint32(off + 24, true);
      const vmsize = wide ? Number(cv.getBigUint64(off + 32, true)) : cv.getUint32(off + 28, true);
      const fileoff = wide ? Number(cv.getBigUint64(off + 40, true)) : cv.getUint32(off + 32, true);
      const filesize = wide ? Number(cv.getBigUint64(off + 48, true)) : cv.getUint32(off + 36, true);
      if (filesize > 0) {
        if (vmaddr >= MAX_PHYS) {
          fail(`segment ${i} vmaddr`, `is ${hex(vmaddr)}, a kernel virtual address: this is a kernel core dump of virtual ranges, not a physical memory image`);
        }
        if (!(vmaddr + filesize <= MAX_PHYS)) fail(`segment ${i} vmaddr`, `${hex(vmaddr)} + filesize ${hex(filesize)} is beyond any physical address`);
        if (!Number.isSafeInteger(fileoff + filesize)) fail(`segment ${i} fileoff`, `${hex(fileoff)} is beyond any file size`);
        if (vmsize > filesize) short++;
        segments.push({ phys: vmaddr, length: filesize, offset: fileoff, source: src });
      }
    }
    off += cmdsize;
  }
  if (short > 0) notes.push(`${short} segment(s) have vmsize > filesize: only the bytes in the file are present`);
  if (segments.length === 0) fail('load commands', 'contain no segment with file bytes');
  return new SegmentedImage('macho', file.path, [file.path], segments, notes, [file]);
}
