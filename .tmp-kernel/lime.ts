import { createSynthKernel, sampleBanner } from '../test/synth/kernel';
import { isfToJson } from '../test/synth/isf';
import { writeLime } from '../test/synth/containers';
import { openImage } from '../core/image';
import { discoverKernel } from '../core/darwin/discover';
import { writeFileSync, truncateSync, statSync } from 'node:fs';
const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(17), seed: 11 });
k.alloc(3*4096+100, 4096);
const img = k.finish();
writeFileSync('/tmp/kc/k.json', isfToJson(img.isf));
writeLime(img.memory, '/tmp/kc/cut.lime');
console.log(statSync('/tmp/kc/cut.lime').size, img.memory.chunks.map(c => c.start.toString(16) + '+' + c.data.length.toString(16)).join(' '));
truncateSync('/tmp/kc/cut.lime', Math.floor(statSync('/tmp/kc/cut.lime').size / 3));
const image = await openImage('/tmp/kc/cut.lime');
console.log(image.ranges, image.notes);
try { await discoverKernel(image, '/tmp/kc/k.json'); } catch (e) { console.log((e as Error).message); }
