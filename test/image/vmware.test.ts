import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError, TruncatedImageError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeVmware } from '../../core/synth/containers';
import { MEM_SIZE, RUNS, buildTestMemory, checkLinearImage, checkSparseImage, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('vmware');
});
afterAll(() => rmDir(dir));

function sub(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  return d;
}

describe('VMware', () => {
  it('.vmem with a .vmss holding region tags', async () => {
    const d = sub('regions');
    const { vmem, meta } = writeVmware(mem, d, { regions: true, name: 'Mac-Snapshot1' });
    expect(path.basename(meta)).toBe('Mac-Snapshot1.vmss');
    expect(fs.statSync(vmem!).size).toBe(mem.presentBytes);
    const img = await openImage(vmem!);
    try {
      expect(img.format).toBe('vmware');
      expect(img.path).toBe(vmem);
      expect(img.files).toEqual([vmem, meta]);
      checkSparseImage(img, mem);
      expect(img.notes).toContain(`${RUNS.length} memory region(s)`);
    } finally {
      img.close();
    }
  });

  it('opening the .vmss itself finds the .vmem beside it', async () => {
    const d = sub('bymeta');
    const { vmem, meta } = writeVmware(mem, d, { regions: true });
    const img = await openImage(meta);
    try {
      expect(img.format).toBe('vmware');
      expect(img.path).toBe(vmem);
      checkSparseImage(img, mem);
    } finally {
      img.close();
    }
  });

  it('.vmss without regions: the .vmem is linear from physical 0', async () => {
    const d = sub('linear');
    const { vmem } = writeVmware(mem, d, { regions: false });
    const img = await openImage(vmem!);
    try {
      expect(img.format).toBe('vmware');
      checkLinearImage(img, mem, MEM_SIZE);
      expect(img.notes).toContain('no memory regions: guest memory is linear from physical 0');
    } finally {
      img.close();
    }
  });

  for (const regions of [true, false]) {
    it(`memory embedded in a .vmsn (regions: ${regions})`, async () => {
      const d = sub(`embedded-${regions}`);
      const { vmem, meta } = writeVmware(mem, d, { regions, embedded: true });
      expect(vmem).toBeUndefined();
      expect(path.extname(meta)).toBe('.vmsn');
      const img = await openImage(meta);
      try {
        expect(img.format).toBe('vmware');
        expect(img.files).toEqual([meta]);
        if (regions) checkSparseImage(img, mem);
        else checkLinearImage(img, mem, MEM_SIZE);
      } finally {
        img.close();
      }
    });
  }

  it('a .vmem without its metadata is read as raw, with a note', async () => {
    const d = sub('alone');
    const { vmem, meta } = writeVmware(mem, d, { regions: false });
    fs.rmSync(meta);
    const img = await openImage(vmem!);
    try {
      expect(img.format).toBe('raw');
      expect(img.notes[0]).toMatch(/VMware \.vmem without a \.vmss\/\.vmsn beside it/);
      checkLinearImage(img, mem, MEM_SIZE);
    } finally {
      img.close();
    }
  });

  it('a cut-short .vmem: its metadata no longer fits it, is noted and ignored, and the file is read as raw', async () => {
    const d = sub('cut');
    const { vmem, meta } = writeVmware(mem, d, { regions: true });
    const need = fs.statSync(vmem!).size;
    // regions are packed: the run at 0x400000 starts at .vmem offset 0x91000
    fs.truncateSync(vmem!, 0x91000 + 0x3000);
    // read as raw it is too small to be a memory image: the refusal says why the metadata was not used
    await expect(openImage(vmem!)).rejects.toThrow(
      `${vmem} is not a memory image Unfold knows: no container header was recognised, and at ${0x94000} bytes it is too small to be a raw image (at least 1048576 bytes) (VMware metadata ${meta} ignored: its 5 memory region(s) need ${need} bytes of .vmem, but the file has ${0x94000}; read as raw, linear from physical 0)`,
    );
  });

  it('a cut-short .vmem opened through its metadata reports the truncation with the physical address', async () => {
    const d = sub('cut-meta');
    const { vmem, meta } = writeVmware(mem, d, { regions: true });
    fs.truncateSync(vmem!, 0x91000 + 0x3000);
    // opened as the .vmss: its .vmem does not fit either, so the snapshot is read alone (no memory in it)
    await expect(openImage(meta)).rejects.toThrow(/holds no guest memory.*\(the \.vmem beside it, .*memory\.vmem, was not used: its 5 memory region\(s\) need/);
  });

  it('damaged metadata is an ImageFormatError', async () => {
    const d = sub('damaged');
    const { vmem, meta } = writeVmware(mem, d, { regions: true });
    const b = fs.readFileSync(meta);
    // groupCount far beyond the file
    const c = Buffer.from(b);
    c.writeUInt32LE(1000, 8);
    fs.writeFileSync(meta, c);
    // opened itself, damaged metadata is an error; beside its .vmem it is noted and the .vmem read as raw
    await expect(openImage(meta)).rejects.toThrow(/groups of 80 bytes run past the end of the file/);
    const raw = await openImage(vmem!);
    expect(raw.format).toBe('raw');
    expect(raw.notes[0]).toMatch(/^VMware metadata .* ignored: VMware metadata .*: 1000 groups of 80 bytes run past the end of the file/);
    raw.close();
    // a region tag missing: rename regionSize[2] to something else
    const c2 = Buffer.from(b);
    let at = -1;
    for (let i = 0; i < 3; i++) at = c2.indexOf('regionSize', at + 1);
    c2.write('regionSizX', at);
    fs.writeFileSync(meta, c2);
    const e = await openImage(meta).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImageFormatError);
    expect((e as Error).message).toMatch(/regionsCount is 5 but regionSize\[2\] is missing/);
    // a snapshot with no memory and no .vmem
    fs.writeFileSync(meta, b);
    fs.rmSync(vmem!);
    await expect(openImage(meta)).rejects.toThrow(/holds no guest memory/);
  });
});
