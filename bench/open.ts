// Opening a large image: openImage + discoverKernel on a sparse 32 GiB raw image (kernel, page tables and
// scattered heap pages written at their physical offsets, everything else holes), in a child process
// so its peak resident memory (VmHWM, see peak-rss.ts) is the open's alone.
//   openPeakRssMB / openSeconds: with the ISF (fast path, as `unfold info --symbols` does)
//   scanPeakRssMB / scanSeconds: forced streaming scan of all 32 GiB (skipped with --quick)
import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakRssMB } from './peak-rss';

const IMAGE_SIZE = 32 * 1024 ** 3;

interface ChildResult {
  maxRssMB: number;
  seconds: number;
  slide: string;
  dtb: string;
}

async function child(imagePath: string, isfPath: string, fullScan: boolean): Promise<void> {
  const { openImage } = await import('../core/image');
  const { discoverKernel } = await import('../core/darwin/discover');
  const t0 = performance.now();
  const image = await openImage(imagePath);
  const d = await discoverKernel(image, isfPath, { fullScan });
  const seconds = (performance.now() - t0) / 1000;
  image.close();
  const out: ChildResult = {
    maxRssMB: peakRssMB(),
    seconds,
    slide: '0x' + d.slide.toString(16),
    dtb: '0x' + d.dtb.toString(16),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runChild(imagePath: string, isfPath: string, fullScan: boolean): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', self, '--child', imagePath, isfPath, fullScan ? 'scan' : 'fast'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`open bench child exited with ${code}`));
      try {
        resolve(JSON.parse(text.trim().split('\n').pop()!) as ChildResult);
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

export async function run(opts: { json: boolean; quick: boolean }): Promise<Record<string, number | string>> {
  const { createSynthKernel, sampleBanner } = await import('../core/synth/kernel');
  const { isfToJson } = await import('../core/synth/isf');
  const dir = mkdtempSync(join(tmpdir(), 'unfold-bench-open-'));
  try {
    const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(23), physSize: IMAGE_SIZE, seed: 32 });
    // a few MiB of scattered heap so the tables are not trivial
    for (let i = 0; i < 64; i++) k.alloc(64 * 1024, 4096);
    const img = k.finish();
    const imagePath = join(dir, 'mac-32g.raw');
    const isfPath = join(dir, 'kernel.json');
    writeFileSync(isfPath, isfToJson(img.isf));
    const fd = openSync(imagePath, 'w');
    try {
      ftruncateSync(fd, IMAGE_SIZE); // holes everywhere else: a sparse file
      for (const c of img.memory.chunks) writeSync(fd, c.data, 0, c.data.length, c.start);
    } finally {
      closeSync(fd);
    }
    const fast = await runChild(imagePath, isfPath, false);
    if (fast.slide !== '0x' + img.slide.toString(16) || fast.dtb !== '0x' + img.dtb.toString(16)) {
      throw new Error(`open bench: discovered slide ${fast.slide} dtb ${fast.dtb}, expected 0x${img.slide.toString(16)} 0x${img.dtb.toString(16)}`);
    }
    const out: Record<string, number | string> = {
      openImageGB: IMAGE_SIZE / 1024 ** 3,
      openPeakRssMB: Math.round(fast.maxRssMB * 10) / 10,
      openSeconds: Math.round(fast.seconds * 1000) / 1000,
    };
    if (!opts.quick) {
      const scan = await runChild(imagePath, isfPath, true);
      out.scanPeakRssMB = Math.round(scan.maxRssMB * 10) / 10;
      out.scanSeconds = Math.round(scan.seconds * 100) / 100;
    }
    if (!opts.json) console.log(out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5] === 'scan');
} else if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await run({ json: process.argv.includes('--json'), quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(r));
}
