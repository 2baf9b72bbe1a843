// EWF (.E01): fixtures acquired with libewf's ewfacquirestream (see test/fixtures/ewf/README.md)
// read back byte for byte; damaged and truncated copies give the documented errors and notes.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormatError, TruncatedImageError } from '../../core/errors';
import { openImage } from '../../core/image/detect';
import { adler32, ewfSegmentExtension } from '../../core/image/ewf';
import type { PhysicalImage } from '../../core/image/types';
import { openCase } from '../../core/case';
import { writeRaw } from '../../core/synth/containers';
import { isfToJson } from '../../core/synth/isf';
import { buildDemoImage } from '../../core/synth/scenarios';
import { expectNotPresent, rmDir, tmpDir } from './helpers';

const FIX = path.join(__dirname, '../fixtures/ewf');
const SOURCE_SHA256 = '2c1c36237cd33ce000a85da9951deadeec31a335fddf34acaff3f0ccba1a0a80';
const PREFIX_SHA256 = 'b4d7bfb3b3d2079f26fbb169903ef2bf1f470b2d16d0eb4bc11a610b0563ee0e';
const SIZE = 0x400000;
const PREFIX = 0x120000;

let source: Buffer;
let dir = '';
beforeAll(() => {
  source = execFileSync(process.execPath, [path.join(FIX, 'make-source.mjs')], { maxBuffer: 16 << 20 });
  dir = tmpDir('ewf');
});
afterAll(() => rmDir(dir));

function sha256Of(img: PhysicalImage, size: number, step = 100_003): string {
  const h = crypto.createHash('sha256');
  for (let p = 0; p < size; p += step) h.update(img.read(p, Math.min(step, size - p)));
  return h.digest('hex');
}

function same(img: PhysicalImage, at: number, n: number): void {
  expect(Buffer.from(img.read(at, n)).equals(source.subarray(at, at + n))).toBe(true);
}

/** file offset of the section descriptor whose type is `type` (first match) */
function descriptorAt(b: Buffer, type: string): number {
  const at = b.indexOf(Buffer.concat([Buffer.from(type, 'latin1'), Buffer.alloc(16 - type.length)]));
  expect(at).toBeGreaterThan(0);
  return at;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function withImage(file: string, fn: (img: PhysicalImage) => void | Promise<void>): Promise<void> {
  const img = await openImage(file);
  try {
    await fn(img);
  } finally {
    img.close();
  }
}

describe('EWF fixtures', () => {
  it('the generator still makes the recorded source', () => {
    expect(crypto.createHash('sha256').update(source).digest('hex')).toBe(SOURCE_SHA256);
    expect(crypto.createHash('sha256').update(source.subarray(0, PREFIX)).digest('hex')).toBe(PREFIX_SHA256);
  });

  for (const [name, chunk] of [
    ['best.E01', 0x8000],
    ['emptyblock.E01', 0x2000],
  ] as const) {
    it(`${name}: the whole media, byte for byte`, async () => {
      await withImage(path.join(FIX, name), (img) => {
        expect(img.format).toBe('ewf');
        expect(img.ranges).toEqual([{ start: 0, length: SIZE }]);
        expect(img.files).toEqual([path.join(FIX, name)]);
        expect(img.notes[0]).toContain(`media ${SIZE} bytes in ${SIZE / chunk} chunk(s) of ${chunk} bytes`);
        expect(img.notes.join('\n')).toContain('EWF acquisition MD5 e448529a120eb68427bf738dc8c7e7dc');
        expect(sha256Of(img, SIZE)).toBe(SOURCE_SHA256);
        // reads crossing chunk boundaries, and markers
        expect(new TextDecoder().decode(img.read(0x7ffc, 8))).toBe('CROSSES!');
        expect([...img.read(0x17fffc, 4)]).toEqual([1, 2, 3, 4]);
        expect(new TextDecoder().decode(img.read(0x300800, 28))).toBe('Darwin Kernel Version 99.0.0');
        expect([...img.read(SIZE - 8, 8)]).toEqual([0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe]);
        same(img, chunk - 1, 3 * chunk + 2);
        same(img, 0x1fffff, 0x2003);
        same(img, 0x27ff0, 0x20);
        const buf = new Uint8Array(12).fill(0xee);
        img.readInto(0x17fffc, buf, 4, 4);
        expect([...buf]).toEqual([0xee, 0xee, 0xee, 0xee, 1, 2, 3, 4, 0xee, 0xee, 0xee, 0xee]);
        expect(img.isPresent(0, SIZE)).toBe(true);
        expect(img.isPresent(SIZE - 1, 2)).toBe(false);
        expectNotPresent(() => img.read(SIZE - 4, 8), SIZE);
      });
    });
  }

  it('multi.E01 + multi.E02: a two-segment set without compression', async () => {
    await withImage(path.join(FIX, 'multi.E01'), (img) => {
      expect(img.format).toBe('ewf');
      expect(img.files).toEqual([path.join(FIX, 'multi.E01'), path.join(FIX, 'multi.E02')]);
      expect(img.ranges).toEqual([{ start: 0, length: PREFIX }]);
      expect(img.notes[0]).toContain('2 segment file(s)');
      expect(sha256Of(img, PREFIX)).toBe(PREFIX_SHA256);
      // the chunk at 0xe0000 is the last of the first segment (the E01 holds 15 chunks of 64 KiB)
      same(img, 0xeff00, 0x200);
      same(img, 0xe8000, 0x30000); // across the segment files
      expect(new TextDecoder().decode(img.read(0x7ffc, 8))).toBe('CROSSES!');
    });
  });

  it('opening a later segment asks for the first', async () => {
    await expect(openImage(path.join(FIX, 'multi.E02'))).rejects.toThrow(/is segment 2 of an EWF set; open the first segment \(\.E01\) instead/);
  });

  it('segment extensions and Adler-32', () => {
    expect(ewfSegmentExtension(1)).toBe('E01');
    expect(ewfSegmentExtension(99)).toBe('E99');
    expect(ewfSegmentExtension(100)).toBe('EAA');
    expect(ewfSegmentExtension(101, false)).toBe('eab');
    expect(ewfSegmentExtension(100 + 676)).toBe('FAA');
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
  });
});

describe('damaged and truncated EWF', () => {
  const copy = (name: string, to: string, edit?: (b: Buffer) => Buffer): string => {
    const out = path.join(dir, to);
    const b = fs.readFileSync(path.join(FIX, name));
    fs.writeFileSync(out, edit ? edit(Buffer.from(b)) : b);
    return out;
  };

  it('a flipped byte in a compressed chunk names the chunk, segment file and physical range', async () => {
    const f = copy('best.E01', 'flip.E01', (b) => {
      const sectors = descriptorAt(b, 'sectors');
      b[sectors + 76 + 40] ^= 0x55; // inside chunk 0
      return b;
    });
    await withImage(f, (img) => {
      same(img, 0x8000, 0x100); // other chunks still read
      const e = thrown(() => img.read(0x10, 4));
      expect(e).toBeInstanceOf(ImageFormatError);
      expect((e as Error).message).toMatch(/chunk 0 \(segment file .*flip\.E01, file offset 0x[0-9a-f]+, \d+ bytes, zlib-compressed\) is damaged: .*physical 0x0–0x8000/);
    });
  });

  it('a flipped byte in a stored chunk fails its Adler-32', async () => {
    const f = copy('emptyblock.E01', 'stored.E01', (b) => {
      const at = b.indexOf('page 00100000 of the unfold EWF fixture');
      expect(at).toBeGreaterThan(0);
      b[at + 100] ^= 1;
      return b;
    });
    await withImage(f, (img) => {
      const e = thrown(() => img.read(0x100000, 4));
      expect(e).toBeInstanceOf(ImageFormatError);
      expect((e as Error).message).toMatch(/chunk 128 .*stored\) is damaged: Adler-32 mismatch .*physical 0x100000–0x102000/);
    });
  });

  it('a damaged section descriptor is refused, naming the section and offset', async () => {
    let at = 0;
    const f = copy('best.E01', 'desc.E01', (b) => {
      at = descriptorAt(b, 'volume');
      b[at + 30] ^= 0xff; // the size field
      return b;
    });
    const e = await openImage(f).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImageFormatError);
    expect((e as Error).message).toContain(`the section descriptor 'volume' at file offset 0x${at.toString(16)}`);
    expect((e as Error).message).toMatch(/is damaged: Adler-32 is 0x[0-9a-f]+, computed 0x[0-9a-f]+/);
  });

  it('a damaged table falls back to its table2 copy', async () => {
    const f = copy('best.E01', 'table.E01', (b) => {
      const t = descriptorAt(b, 'table');
      b[t + 76 + 24 + 8] ^= 0x10; // an entry
      return b;
    });
    await withImage(f, (img) => {
      expect(img.notes.join('\n')).toMatch(/table section at file offset 0x[0-9a-f]+ .*entries are damaged .*backup copy \(table2\) is used/);
      expect(sha256Of(img, SIZE)).toBe(SOURCE_SHA256);
    });
  });

  it('a file cut inside its chunk data still opens; chunks before the cut are recovered', async () => {
    const b = fs.readFileSync(path.join(FIX, 'best.E01'));
    const sectors = descriptorAt(b, 'sectors');
    const cut = sectors + 76 + Math.floor((descriptorAt(b, 'table') - sectors) / 2);
    const f = copy('best.E01', 'cut.E01', (x) => x.subarray(0, cut));
    await withImage(f, (img) => {
      expect(img.ranges).toEqual([{ start: 0, length: SIZE }]);
      const notes = img.notes.join('\n');
      expect(notes).toContain(`truncated: segment file ${f} ends at 0x${cut.toString(16)}`);
      const m = /(\d+) chunk\(s\) were recovered .*from physical (0x[0-9a-f]+) on cannot be read/.exec(notes);
      expect(m).not.toBeNull();
      const lost = Number(m![2]);
      expect(lost).toBe(Number(m![1]) * 0x8000);
      expect(lost).toBeGreaterThan(0);
      same(img, 0, lost);
      const e = thrown(() => img.read(lost - 2, 4));
      expect(e).toBeInstanceOf(TruncatedImageError);
      expect((e as TruncatedImageError).physical).toBe(lost);
      expect((e as TruncatedImageError).fileSize).toBe(cut);
      expect(thrown(() => img.read(SIZE - 1, 1))).toBeInstanceOf(TruncatedImageError);
    });
  });

  it('a set with a missing segment opens with a note; its chunks are truncated', async () => {
    const f = copy('multi.E01', 'alone.E01');
    await withImage(f, (img) => {
      expect(img.ranges).toEqual([{ start: 0, length: PREFIX }]);
      const notes = img.notes.join('\n');
      expect(notes).toContain(`truncated: segment file ${path.join(dir, 'alone.E02')} of the set is missing`);
      expect(notes).toContain('chunks 15–17 (physical 0xf0000–0x120000) are not in the set');
      same(img, 0, 0xf0000);
      const e = thrown(() => img.read(0xeffff, 2));
      expect(e).toBeInstanceOf(TruncatedImageError);
      expect((e as TruncatedImageError).physical).toBe(0xf0000);
    });
  });

  it('EWF2 (.Ex01) is refused clearly', async () => {
    const f = path.join(dir, 'new.Ex01');
    const b = Buffer.alloc(2 << 20);
    Buffer.from([0x45, 0x56, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00]).copy(b);
    fs.writeFileSync(f, b);
    await expect(openImage(f)).rejects.toThrow(/EWF2 \(\.Ex01\) image, which Unfold does not read/);
  });
});

const haveEwfTools = spawnSync('ewfacquirestream', ['-V'], { encoding: 'utf8' }).status === 0;

describe('a whole case from an E01', () => {
  it.skipIf(!haveEwfTools)('the demo Mac acquired with ewfacquirestream gives the same slots as its raw image (needs ewf-tools)', async () => {
    const demo = buildDemoImage();
    const sub = fs.mkdtempSync(path.join(dir, 'case-'));
    const isf = path.join(sub, 'demo.isf.json');
    fs.writeFileSync(isf, isfToJson(demo.image.isf));
    const raw = path.join(sub, 'memory.raw');
    writeRaw(demo.image.memory, raw, { padded: true });
    const r = spawnSync('ewfacquirestream', ['-q', '-c', 'fast', '-b', '64', '-t', path.join(sub, 'memory'), '-C', 'demo', '-D', 'demo', '-e', 'unfold', '-E', '1', '-N', 'none'], {
      input: fs.readFileSync(raw),
      maxBuffer: 16 << 20,
    });
    expect(r.status).toBe(0);
    const slotsOf = async (file: string) => {
      const c = await openCase(file, { symbols: isf, threads: 0 });
      try {
        return { format: c.info.image.format, size: c.info.image.size, slots: [...c.allSlots({ hashes: true })].map((s) => `${s.segment}/${s.slot}/${s.kind}/${s.sha256 ?? '-'}`) };
      } finally {
        await c.close();
      }
    };
    const fromRaw = await slotsOf(raw);
    const fromE01 = await slotsOf(path.join(sub, 'memory.E01'));
    expect(fromE01.format).toBe('ewf');
    expect(fromRaw.format).toBe('raw');
    expect(fromE01.size).toBe(fromRaw.size);
    expect(fromE01.slots).toEqual(fromRaw.slots);
    expect(fromE01.slots).toEqual(demo.truth.slots.map((t) => `${t.segment}/${t.slot}/${t.kind}/${t.sha256 ?? '-'}`));
  });
  if (!haveEwfTools) console.warn('ewf.test.ts: ewfacquirestream (ewf-tools) is not installed; the whole-case E01 test is skipped');
});
