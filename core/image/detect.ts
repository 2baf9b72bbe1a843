// Choose the container by content (magic bytes), never by file extension. The one use of names is
// VMware's: a .vmem is raw RAM with no header, and its layout lives in a .vmss/.vmsn of the same
// base name beside it, which is recognised by its own magic.
import fs from 'node:fs';
import nodePath from 'node:path';
import { ImageFormatError } from '../errors';
import { FileSource } from './cache';
import { openAff4 } from './aff4';
import { openElf } from './elf';
import { EWF1_SIGNATURE, EWF2_SIGNATURE, openEwf } from './ewf';
import { LIME_MAGIC, openLime } from './lime';
import { MH_MAGIC, MH_MAGIC_64, openMachO } from './macho';
import { checkPlausibleRaw, openRaw } from './raw';
import type { PhysicalImage } from './types';
import { isVmwareMagic, openVmware, vmemMismatch } from './vmware';

export type { PhysicalImage, PhysRange, ContainerFormat } from './types';

/** containers we recognise but do not read, with what to do instead */
const FOREIGN: Array<{ magic: number[]; what: string }> = [
  { magic: EWF2_SIGNATURE, what: 'an EWF2 (.Ex01) image, which Unfold does not read (only EWF1 .E01); convert it to raw with ewfexport (ewf-tools) first' },
  { magic: [0x4c, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00], what: 'an EWF logical evidence (.L01) file, not a memory image' },
  { magic: [0x1f, 0x8b], what: 'a gzip-compressed file; decompress it first' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'an xz-compressed file; decompress it first' },
  { magic: [0x42, 0x5a, 0x68], what: 'a bzip2-compressed file; decompress it first' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd-compressed file; decompress it first' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive; extract it first' },
  { magic: [0x50, 0x41, 0x47, 0x45, 0x44, 0x55], what: 'a Windows crash dump, not a Mac memory image' },
  { magic: [0x68, 0x69, 0x62, 0x72], what: 'a Windows hibernation file, not a Mac memory image' },
  { magic: [0x48, 0x49, 0x42, 0x52], what: 'a Windows hibernation file, not a Mac memory image' },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG picture' },
  { magic: [0xca, 0xfe, 0xba, 0xbe], what: 'a universal (fat) Mach-O program, not a memory image' },
  { magic: [0xfe, 0xed, 0xfa, 0xce], what: 'a big-endian Mach-O file, not a Mac memory image' },
  { magic: [0xfe, 0xed, 0xfa, 0xcf], what: 'a big-endian Mach-O file, not a Mac memory image' },
];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function u32le(b: Uint8Array): number {
  return b.length < 4 ? -1 : (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

/** the VMware metadata file beside `path` (same base name, .vmss or .vmsn), checked by its magic */
function vmwareCompanion(path: string): string | null {
  const dir = nodePath.dirname(path);
  const base = nodePath.basename(path).replace(/\.[^.]*$/, '');
  for (const ext of ['.vmss', '.vmsn', '.VMSS', '.VMSN']) {
    const p = nodePath.join(dir, base + ext);
    if (p === path || !isFile(p)) continue;
    let fd = -1;
    try {
      fd = fs.openSync(p, 'r');
      const b = Buffer.alloc(4);
      if (fs.readSync(fd, b, 0, 4, 0) === 4 && isVmwareMagic(b.readUInt32LE(0))) return p;
    } catch {
      // unreadable companion: treat as absent
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
  return null;
}

/** the .vmem beside a VMware metadata file, if any */
function vmemBeside(metaPath: string): string | null {
  const dir = nodePath.dirname(metaPath);
  const base = nodePath.basename(metaPath).replace(/\.[^.]*$/, '');
  for (const ext of ['.vmem', '.VMEM']) {
    const p = nodePath.join(dir, base + ext);
    if (p !== metaPath && isFile(p)) return p;
  }
  return null;
}

/**
 * Open a memory image read-only, recognising its container by content. Throws ImageFormatError
 * for files that are not a memory image Unfold can read or whose headers are damaged.
 */
export async function openImage(path: string): Promise<PhysicalImage> {
  const file = new FileSource(path);
  const opened: FileSource[] = [file];
  try {
    const head = file.bytes(0, 16);
    const magic = u32le(head);
    if (magic === LIME_MAGIC) return openLime(file);
    if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return openElf(file);
    if (magic === MH_MAGIC || magic === MH_MAGIC_64) return openMachO(file);
    if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return await openAff4(file);
    if (startsWith(head, EWF1_SIGNATURE)) return openEwf(file);
    if (magic >= 0 && isVmwareMagic(magic)) {
      // the user opened the metadata itself: its RAM is in the .vmem beside it (when the regions fit
      // that file), or embedded
      const vmemPath = vmemBeside(path);
      if (vmemPath) {
        const vmem = new FileSource(vmemPath);
        opened.push(vmem);
        const why = vmemMismatch(file, vmem.size);
        if (why === null) return openVmware(vmem, file);
        vmem.close();
        opened.pop();
        try {
          return openVmware(null, file);
        } catch (e) {
          if (!(e instanceof ImageFormatError)) throw e;
          throw new ImageFormatError(`${e.message} (the .vmem beside it, ${vmemPath}, was not used: ${why})`, { ...e.details, vmem: vmemPath });
        }
      }
      return openVmware(null, file);
    }
    for (const f of FOREIGN) {
      if (startsWith(head, f.magic)) throw new ImageFormatError(`${path} is ${f.what}`, { path });
    }
    // VMware metadata lays out only the .vmem of its own base name, and only when its regions fit it;
    // beside any other file it is noted and ignored, and the file is read as what its content says
    const companion = vmwareCompanion(path);
    const notes: string[] = [];
    const isVmem = /\.vmem$/i.test(path);
    if (companion && isVmem) {
      const meta = new FileSource(companion);
      opened.push(meta);
      const why = vmemMismatch(meta, file.size);
      if (why === null) return openVmware(file, meta);
      meta.close();
      opened.pop();
      notes.push(`VMware metadata ${companion} ignored: ${why}; read as raw, linear from physical 0`);
    } else if (companion) {
      notes.push(`VMware metadata ${companion} ignored: it describes a .vmem of the same name, not ${nodePath.basename(path)}`);
    }
    try {
      checkPlausibleRaw(file);
    } catch (e) {
      if (!(e instanceof ImageFormatError) || notes.length === 0) throw e;
      throw new ImageFormatError(`${e.message} (${notes.join('; ')})`, e.details);
    }
    if (isVmem && !companion) {
      notes.push('VMware .vmem without a .vmss/.vmsn beside it: read as raw, linear from physical 0 (guests above ~3 GiB need the metadata to place memory above the PCI hole)');
    }
    return openRaw(file, notes);
  } catch (e) {
    for (const f of opened) f.close();
    throw e;
  }
}
