import { createSynthKernel, memoryImage, sampleBanner } from '/work/main/test/synth/kernel';
import { isfToJson } from '/work/main/test/synth/isf';
import { parseIsfText } from '/work/main/core/symbols/isf';
import { discoverKernel } from '/work/main/core/darwin/discover';
for (const arch of ['x86_64', 'arm64'] as const) {
  const t0 = Date.now();
  const k = createSynthKernel({ arch, banner: sampleBanner(17, arch === 'arm64' ? 'T8101' : undefined).replace('17.7.0', arch==='arm64'?'20.6.0':'17.7.0'), seed: 7 });
  const h = k.alloc(100000);
  k.write(h + 5000n, new TextEncoder().encode('hello heap'));
  const img = k.finish();
  console.log(arch, 'built', Date.now() - t0, 'ms', img.memory.chunks.length, 'chunks dtb', img.dtb.toString(16));
  const table = parseIsfText(isfToJson(img.isf), 'mem.json');
  const image = memoryImage(img.memory);
  const d = await discoverKernel(image, table);
  console.log(d.method, d.slide.toString(16), d.dtb.toString(16));
  console.log(new TextDecoder().decode(d.space.read(h + 5000n, 10)));
  const d2 = await discoverKernel(image, table, { fullScan: true });
  console.log('full', d2.method);
}
