// The evidence file is opened read-only and never changed: open, read every range, close, and the
// SHA-256 and mtime are what they were; every open of the image layer used flag 'r'.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openImage } from '../../core/image/detect';
import { writeAff4, writeElf, writeLime, writeMachO, writeRaw, writeVmware } from '../../core/synth/containers';
import { buildTestMemory, rmDir, tmpDir } from './helpers';

const mem = buildTestMemory();
let dir = '';
beforeAll(() => {
  dir = tmpDir('ro');
});
afterAll(() => rmDir(dir));
afterEach(() => vi.restoreAllMocks());

function fingerprint(files: string[]): Array<{ sha: string; mtimeMs: number; size: number }> {
  return files.map((f) => ({
    sha: crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex'),
    mtimeMs: fs.statSync(f).mtimeMs,
    size: fs.statSync(f).size,
  }));
}

describe('read-only access', () => {
  const cases: Array<[string, () => { open: string; files: string[] }]> = [
    ['raw', () => (writeRaw(mem, path.join(dir, 'a.raw'), { padded: true }), { open: path.join(dir, 'a.raw'), files: [path.join(dir, 'a.raw')] })],
    ['lime', () => (writeLime(mem, path.join(dir, 'a.lime')), { open: path.join(dir, 'a.lime'), files: [path.join(dir, 'a.lime')] })],
    ['elf', () => (writeElf(mem, path.join(dir, 'a.elf')), { open: path.join(dir, 'a.elf'), files: [path.join(dir, 'a.elf')] })],
    ['macho', () => (writeMachO(mem, path.join(dir, 'a.macho')), { open: path.join(dir, 'a.macho'), files: [path.join(dir, 'a.macho')] })],
    [
      'aff4',
      () => (
        writeAff4(mem, path.join(dir, 'a.aff4'), { compression: 'snappy', chunkSize: 16384, chunksPerSegment: 8 }),
        { open: path.join(dir, 'a.aff4'), files: [path.join(dir, 'a.aff4')] }
      ),
    ],
    [
      'vmware',
      () => {
        const d = path.join(dir, 'vm');
        fs.mkdirSync(d, { recursive: true });
        const { vmem, meta } = writeVmware(mem, d, { regions: true });
        return { open: vmem!, files: [vmem!, meta] };
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: SHA-256 and mtime unchanged after reading everything`, async () => {
      const { open, files } = make();
      // make any write visible in the mtime
      const old = new Date(Date.now() - 3600_000);
      for (const f of files) fs.utimesSync(f, old, old);
      const before = fingerprint(files);
      const spy = vi.spyOn(fs, 'openSync');
      const img = await openImage(open);
      let total = 0;
      try {
        expect(img.files).toEqual(files);
        for (const r of img.ranges) {
          for (let p = r.start; p < r.start + r.length; p += 0x40000) {
            total += img.read(p, Math.min(0x40000, r.start + r.length - p)).length;
          }
        }
      } finally {
        img.close();
      }
      expect(total).toBe(img.ranges.reduce((n, r) => n + r.length, 0));
      for (const call of spy.mock.calls) expect(call[1]).toBe('r');
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(fingerprint(files)).toEqual(before);
    });
  }
});
