// Writes an x86_64 raw image from the synthetic-kernel builder plus its ISF, for the Volatility 3
// cross-check recorded in VOLATILITY3-CHECK.md. Usage: npx tsx test/synth/vol3-check.ts <out-dir>
// [darwin-major, default 17] (writes <out-dir>/image.raw and <out-dir>/symbols/mac/synth.json).
// Not part of the test suite.
import { mkdirSync, openSync, closeSync, writeSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSynthKernel, sampleBanner } from '../../core/synth/kernel';
import { isfToJson } from '../../core/synth/isf';

const out = process.argv[2] ?? '/tmp/unfold-vol3';
const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(Number(process.argv[3] ?? 17)), seed: 2024 });
const heap = k.alloc(64 * 1024);
k.write(heap, Buffer.from('synthetic heap marker'));
// Volatility 3's MacKernelIntermedSymbols binds classes to these type names; real ISFs have them
for (const t of ['proc', 'fileglob', 'vnode', 'vm_map_entry', 'vm_map_object', 'socket', 'inpcb', 'ifnet', 'sockaddr_dl', 'sockaddr', 'sysctl_oid', 'kauth_scope', 'queue_entry']) {
  k.addUserType(t, { kind: 'struct', size: 8, fields: { unused: { offset: 0, type: { kind: 'base', name: 'unsigned long long' } } } });
}
const img = k.finish();
mkdirSync(join(out, 'symbols', 'mac'), { recursive: true });
writeFileSync(join(out, 'symbols', 'mac', 'synth.json'), isfToJson(img.isf));
const fd = openSync(join(out, 'image.raw'), 'w');
ftruncateSync(fd, img.memory.size);
for (const c of img.memory.chunks) writeSync(fd, c.data, 0, c.data.length, c.start);
closeSync(fd);
console.log(JSON.stringify({ heapMarkerVa: '0x' + heap.toString(16), banner: img.banner, slide: '0x' + img.slide.toString(16), dtb: '0x' + img.dtb.toString(16), size: img.memory.size, bannerPhys: '0x' + img.bannerPhys.toString(16) }));
