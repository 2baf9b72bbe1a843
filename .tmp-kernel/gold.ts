import { createSynthKernel, sampleBanner } from '../test/synth/kernel';
for (const [arch, b, seed] of [['x86_64', sampleBanner(17), 11], ['arm64', sampleBanner(22, 'T8103'), 5], ['x86_64', sampleBanner(24), 9]] as const) {
  const k = createSynthKernel({ arch, banner: b, seed, ...(arch === 'x86_64' && seed === 9 ? { physicalSlide: 0xe00000n, slide: 0x1e00000n, jtagCoredump: true } : {}) });
  const i = k.finish();
  console.log(arch, seed, 'slide', i.slide.toString(16), 'phys', i.physicalSlide.toString(16), 'dtb', i.dtb.toString(16), 'bannerPhys', i.bannerPhys.toString(16), 'size', i.memory.size.toString(16));
}
