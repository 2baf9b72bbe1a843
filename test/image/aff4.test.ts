import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { writeAff4, type Aff4Compression } from '../../core/synth/containers';
import { RUNS, buildTestMemory, checkSparseImage, expectNotPresent, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
const PRESENT = mem.presentBytes; // 0x132000: 76.5 chunks of 16 KiB, so the last chunk is short
let dir = '';
beforeAll(() => {
  dir = tmpDir('aff4');
});
afterAll(() => rmDir(dir));

const URN = 'aff4://4bd4c3a3-5f84-4e4a-9a55-2a8f0c0f2f11';

describe('AFF4 volumes', () => {
  const codecs: Aff4Compression[] = ['snappy', 'deflate', 'zlib', 'lz4', 'stored'];
  for (const compression of codecs) {
    it(`${compression} chunks in 16 KiB chunks, 8 per bevy, ZIP64`, async () => {
      const f = path.join(dir, `${compression}.aff4`);
      const layout = writeAff4(mem, f, { compression, chunkSize: 16384, chunksPerSegment: 8, uuid: URN.slice(7) });
      expect(layout.streamSize).toBe(PRESENT);
      expect(layout.chunkLength.length).toBe(77);
      if (compression !== 'stored') {
        // some chunks compress, the random ones are stored raw
        expect(layout.chunkRaw.some((r) => r === 0)).toBe(true);
        expect(layout.chunkRaw.some((r) => r === 1)).toBe(true);
      }
      const img = await openImage(f);
      try {
        expect(img.format).toBe('aff4');
        checkSparseImage(img, mem);
        expect(img.notes).toContain(`AFF4 volume <${URN}>, ${layout.members.length} members`);
        expect(img.notes).toContain(`physical memory: <${URN}/dev/pmem>`);
        const codecName = compression === 'stored' ? 'stored' : compression;
        expect(img.notes).toContain(`stream <${URN}/dev/pmem/data>: ${PRESENT} bytes, ${codecName}, chunks of 16384 bytes, 8 per bevy`);
        // a read crossing a bevy boundary: bevy 1 starts at stream 0x20000 = physical 0x110000
        expect(Buffer.from(img.read(0x10fff0, 0x20)).equals(Buffer.from(mem.read(0x10fff0, 0x20)))).toBe(true);
        // the short last chunk (stream 0x130000.. = physical 0x4a0000-0x2000.. and the last page)
        expect(Buffer.from(img.read(0x49e000, 0x2000)).equals(Buffer.from(mem.read(0x49e000, 0x2000)))).toBe(true);
      } finally {
        img.close();
      }
    });
  }

  it('classic ZIP (no ZIP64), default 32 KiB chunks and 1024 per bevy', async () => {
    const f = path.join(dir, 'classic.aff4');
    const layout = writeAff4(mem, f, { compression: 'snappy', zip64: false });
    expect(layout.members.map((m) => m.name)).toEqual([
      'dev/pmem/data/00000000',
      'dev/pmem/data/00000000.index',
      'dev/pmem/map',
      'dev/pmem/idx',
      'information.turtle',
    ]);
    const b = fs.readFileSync(f);
    expect(b.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(false);
    const img = await openImage(f);
    try {
      checkSparseImage(img, mem);
    } finally {
      img.close();
    }
  });

  it('pre-standard (u32 offset list) bevy indexes', async () => {
    const f = path.join(dir, 'prestd.aff4');
    writeAff4(mem, f, { compression: 'zlib', chunkSize: 16384, chunksPerSegment: 8, index: 'prestandard' });
    const img = await openImage(f);
    try {
      checkSparseImage(img, mem);
    } finally {
      img.close();
    }
  });

  it('Rekall/libAFF4 dialect: aff4:map with swapped records, aff4:image, always-compressed snappy', async () => {
    const f = path.join(dir, 'rekall.aff4');
    const layout = writeAff4(mem, f, { compression: 'snappy', chunkSize: 16384, chunksPerSegment: 8, flavor: 'rekall' });
    expect(layout.chunkRaw.every((r) => r === 0)).toBe(true);
    const img = await openImage(f);
    try {
      checkSparseImage(img, mem);
      expect(img.notes).toContain('map records in the Rekall/libAFF4 layout (target offset and length swapped)');
      expect(img.notes.some((n) => n.includes('snappy-scudette'))).toBe(true);
    } finally {
      img.close();
    }
  });

  it('deflated bevy members are inflated once and read', async () => {
    const f = path.join(dir, 'deflated-members.aff4');
    writeAff4(mem, f, { compression: 'lz4', chunkSize: 16384, chunksPerSegment: 8, bevyZipMethod: 8 });
    const img = await openImage(f);
    try {
      checkSparseImage(img, mem);
    } finally {
      img.close();
    }
  });

  it('map ranges pointing at symbolic streams: aff4:Zero and FFDevice read as data, unreadable data is not present', async () => {
    const f = path.join(dir, 'symbolic.aff4');
    writeAff4(mem, f, {
      compression: 'snappy',
      chunkSize: 16384,
      chunksPerSegment: 8,
      symbolic: [
        { start: 0x200000, length: 0x10000, target: 'zero' },
        { start: 0x210000, length: 0x1000, target: 'ff' },
        { start: 0x600000, length: 0x2000, target: 'unreadable' },
      ],
    });
    const img = await openImage(f);
    try {
      expect(img.ranges).toEqual([RUNS[0], RUNS[1], { start: 0x200000, length: 0x11000 }, RUNS[2], RUNS[3], RUNS[4]]);
      expect([...img.read(0x20fffe, 4)]).toEqual([0, 0, 0xff, 0xff]);
      expectNotPresent(() => img.read(0x600000, 1), 0x600000);
      expectNotPresent(() => img.read(0x210ff0, 0x20), 0x211000);
      expect(img.notes).toContain('1 map range(s) point at unknown/unreadable data and are not present');
      expect(Buffer.from(img.read(0x100000, 0x80000)).equals(Buffer.from(mem.read(0x100000, 0x80000)))).toBe(true);
    } finally {
      img.close();
    }
  });

  for (const compression of ['snappy', 'deflate', 'lz4'] as const) {
    it(`a damaged ${compression} chunk is a clear error naming the chunk, bevy and physical address`, async () => {
      const f = path.join(dir, `damaged-${compression}.aff4`);
      const layout = writeAff4(mem, f, { compression, chunkSize: 16384, chunksPerSegment: 8 });
      // chunk 20 = stream 0x50000 = physical 0x140000 (run 0x100000 starts at stream 0x10000)
      expect(layout.chunkRaw[20]).toBe(0);
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, new Uint8Array(layout.chunkLength[20]).fill(0xff), 0, layout.chunkLength[20], layout.chunkFileOffset[20]);
      fs.closeSync(fd);
      const img = await openImage(f);
      try {
        let err: unknown;
        try {
          img.read(0x13fff0, 0x20);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ImageFormatError);
        const msg = (err as Error).message;
        expect(msg).toContain('AFF4 chunk 20 (bevy 2, entry 4, member "dev/pmem/data/00000002"');
        expect(msg).toContain(`at file offset 0x${layout.chunkFileOffset[20].toString(16)}`);
        expect(msg).toContain('holds physical address 0x140000');
        expect((err as ImageFormatError).details).toMatchObject({ chunk: 20, bevy: 2, physical: '0x140000' });
        // the damage stays local: the chunks around it read fine
        expect(Buffer.from(img.read(0x13c000, 0x4000)).equals(Buffer.from(mem.read(0x13c000, 0x4000)))).toBe(true);
        expect(Buffer.from(img.read(0x144000, 0x4000)).equals(Buffer.from(mem.read(0x144000, 0x4000)))).toBe(true);
      } finally {
        img.close();
      }
    });
  }

  it('a volume whose end (central directory) is cut off is an ImageFormatError', async () => {
    const f = path.join(dir, 'cut.aff4');
    writeAff4(mem, f, { compression: 'snappy', chunkSize: 16384, chunksPerSegment: 8 });
    fs.truncateSync(f, fs.statSync(f).size - 300);
    await expect(openImage(f)).rejects.toThrow(/AFF4 volume .*central directory cannot be read/);
  });

  it('a plain ZIP without information.turtle is not an image', async () => {
    const f = path.join(dir, 'plain.zip');
    const layout = writeAff4(mem, f, { compression: 'stored', chunkSize: 16384, chunksPerSegment: 64 });
    // rename the turtle member in both the local header and the central directory
    const b = fs.readFileSync(f);
    let at = b.indexOf('information.turtle');
    while (at >= 0) {
      b.write('informationXturtle', at);
      at = b.indexOf('information.turtle', at + 1);
    }
    fs.writeFileSync(f, b);
    expect(layout.members.length).toBeGreaterThan(0);
    await expect(openImage(f)).rejects.toThrow(/ZIP archive without an AFF4 "information.turtle" member/);
  });
});
