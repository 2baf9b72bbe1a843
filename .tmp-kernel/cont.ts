import { createSynthKernel, sampleBanner } from '../test/synth/kernel';
import { isfToJson } from '../test/synth/isf';
import { writeRaw, writeLime, writeElf, writeAff4, writeMachO } from '../test/synth/containers';
import { openImage } from '../core/image';
import { discoverKernel } from '../core/darwin/discover';
import { writeFileSync, mkdirSync } from 'node:fs';
const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(17), seed: 3 });
const img = k.finish();
mkdirSync('/tmp/kc', { recursive: true });
writeFileSync('/tmp/kc/k.json', isfToJson(img.isf));
const w: Record<string, (f: string) => void> = {
  raw: (f) => writeRaw(img.memory, f), lime: (f) => writeLime(img.memory, f), elf: (f) => writeElf(img.memory, f),
  aff4: (f) => writeAff4(img.memory, f, { compression: 'snappy' }), macho: (f) => writeMachO(img.memory, f),
};
for (const [name, fn] of Object.entries(w)) {
  const f = '/tmp/kc/img.' + name;
  const t0 = Date.now();
  try {
    fn(f);
    const image = await openImage(f);
    const d = await discoverKernel(image, '/tmp/kc/k.json');
    console.log(name, image.format, d.slide.toString(16), d.dtb.toString(16), Date.now() - t0, 'ms');
    image.close();
  } catch (e) { console.log(name, 'ERR', (e as Error).message); }
}
