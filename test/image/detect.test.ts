import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import type { ContainerFormat } from '../../core/image/types';
import { writeAff4, writeElf, writeLime, writeMachO, writeRaw, writeVmware } from '../../core/synth/containers';
import { buildTestMemory, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('detect');
});
afterAll(() => rmDir(dir));

async function formatOf(file: string): Promise<ContainerFormat> {
  const img = await openImage(file);
  try {
    // same bytes whatever the container
    expect(new TextDecoder().decode(img.read(0x300800, 28))).toBe('Darwin Kernel Version 99.0.0');
    return img.format;
  } finally {
    img.close();
  }
}

describe('detection by content', () => {
  it('ignores misleading extensions', async () => {
    const elf = path.join(dir, 'really-elf.raw');
    writeElf(mem, elf);
    expect(await formatOf(elf)).toBe('elf');
    const lime = path.join(dir, 'really-lime.vmem');
    writeLime(mem, lime);
    expect(await formatOf(lime)).toBe('lime');
    const macho = path.join(dir, 'really-macho.E01');
    writeMachO(mem, macho);
    expect(await formatOf(macho)).toBe('macho');
    const aff4 = path.join(dir, 'really-aff4.lime');
    writeAff4(mem, aff4, { compression: 'snappy', chunkSize: 16384, chunksPerSegment: 16 });
    expect(await formatOf(aff4)).toBe('aff4');
    const raw = path.join(dir, 'really-raw.aff4');
    writeRaw(mem, raw, { padded: true });
    expect(await formatOf(raw)).toBe('raw');
    const noext = path.join(dir, 'no-extension');
    writeElf(mem, noext, { bits: 32 });
    expect(await formatOf(noext)).toBe('elf');
  });

  it('pairs VMware metadata only with the .vmem of its base name; beside any other file it is noted and ignored', async () => {
    const d = path.join(dir, 'vm');
    fs.mkdirSync(d);
    const { vmem, meta } = writeVmware(mem, d, { regions: true, name: 'guest' });
    expect(await formatOf(vmem!)).toBe('vmware');
    const renamed = path.join(d, 'guest.bin');
    fs.renameSync(vmem!, renamed);
    const raw = await openImage(renamed);
    try {
      expect(raw.format).toBe('raw');
      expect(raw.notes[0]).toBe(`VMware metadata ${meta} ignored: it describes a .vmem of the same name, not guest.bin`);
    } finally {
      raw.close();
    }
    // a same-named file that is not VMware metadata is ignored
    fs.writeFileSync(meta, 'not metadata at all');
    const img = await openImage(renamed);
    try {
      expect(img.format).toBe('raw');
    } finally {
      img.close();
    }
  });

  it('refuses files that are not memory images', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'These are case notes, not memory.\n'.repeat(70000));
    await expect(openImage(text)).rejects.toThrow(/begins with text/);
    const gz = path.join(dir, 'mem.raw.gz');
    fs.writeFileSync(gz, zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024)));
    await expect(openImage(gz)).rejects.toThrow(/gzip-compressed file; decompress it first/);
    const ewf = path.join(dir, 'disk.raw');
    const e = Buffer.alloc(2 * 1024 * 1024);
    Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00]).copy(e);
    fs.writeFileSync(ewf, e);
    await expect(openImage(ewf)).rejects.toThrow(/EWF \(\.E01\) image/);
    const tiny = path.join(dir, 'tiny.bin');
    fs.writeFileSync(tiny, Buffer.from([0, 1, 2, 3]));
    const err = await openImage(tiny).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ImageFormatError);
    expect((err as ImageFormatError).code).toBe('IMAGE_FORMAT');
  });

  it('a folder is not an image', async () => {
    await expect(openImage(dir)).rejects.toThrow(/is a folder, not an image file/);
  });

  it('a missing file is the file system error, not a format error', async () => {
    await expect(openImage(path.join(dir, 'does-not-exist'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
