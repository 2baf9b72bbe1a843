// The same Mac memory wrapped in every container format gives the same case: same kernel, same
// slide and table root, and the same outcome and SHA-256 for every live slot.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDemoImage, type DemoImage } from '../../core/synth/scenarios';
import { isfToJson } from '../../core/synth/isf';
import { writeRaw, writeLime, writeElf, writeMachO, writeAff4, writeVmware } from '../../core/synth/containers';
import { openCase } from '../../core/case';

let dir: string;
let demo: DemoImage;
let isf: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-containers-'));
  demo = buildDemoImage();
  isf = path.join(dir, 'demo.isf.json');
  writeFileSync(isf, isfToJson(demo.image.isf));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const wrappers: [string, string, (file: string) => string][] = [
  ['raw (sparse, not padded)', 'raw', (f) => (writeRaw(demo.image.memory, f, { padded: false }), f)],
  ['LiME', 'lime', (f) => (writeLime(demo.image.memory, f), f)],
  ['ELF core', 'elf', (f) => (writeElf(demo.image.memory, f), f)],
  ['Mach-O core', 'macho', (f) => (writeMachO(demo.image.memory, f), f)],
  ['AFF4 (snappy)', 'aff4', (f) => (writeAff4(demo.image.memory, f, { compression: 'snappy' }), f)],
  ['AFF4 (deflate)', 'aff4', (f) => (writeAff4(demo.image.memory, f, { compression: 'deflate' }), f)],
  ['VMware .vmem + .vmss', 'vmware', (f) => writeVmware(demo.image.memory, path.dirname(f), { regions: true, name: path.basename(f) }).vmem!],
];

describe('one machine, every container', () => {
  for (const [name, format, wrap] of wrappers) {
    it(`${name}: kernel, slide, table root and every slot as the builder made them`, async () => {
      const sub = mkdtempSync(path.join(dir, 'c-'));
      const file = wrap(path.join(sub, 'memory.img'));
      const c = await openCase(file, { symbols: isf, threads: 0 });
      try {
        expect(c.info.image.format).toBe(format);
        expect(c.info.kernel.banner).toBe(demo.image.banner);
        expect(c.info.kernel.kaslrSlide).toBe('0x' + demo.image.slide.toString(16));
        expect(c.info.kernel.dtb).toBe('0x' + demo.image.dtb.toString(16));
        const got = [...c.allSlots({ hashes: true })].map((r) => `${r.segment}/${r.slot}/${r.kind}/${r.sha256 ?? '-'}`);
        const want = demo.truth.slots.map((t) => `${t.segment}/${t.slot}/${t.kind}/${t.sha256 ?? '-'}`);
        expect(got).toEqual(want);
        expect(c.info.compressor.consistency.ok).toBe(true);
      } finally {
        await c.close();
      }
    });
  }
});
