// Swap read-back benchmark: the same pages walked twice — resident in RAM, and swapped out to a
// swap file (AES-XTS-256) that the walk reads, decrypts, judges and decodes — in the same run, so
// the ratio says what reading from swap costs on this machine today.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCase } from '../core/case';
import { defaultThreads } from '../core/work/pool';
import { buildScaleImage, saveSynthImage } from '../core/synth/scenarios';
import { buildSwapScaleImage } from '../core/synth/swap';
import { isDecodedKind } from '../core/darwin/types';

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

async function images(pages: number, log: (s: string) => void) {
  const dir = path.join(process.env.UNFOLD_BENCH_DIR ?? path.join(tmpdir(), 'unfold-bench'), `swap-${pages}`);
  const resident = { imagePath: path.join(dir, 'resident.raw'), isfPath: path.join(dir, 'resident.isf.json') };
  const swapped = { imagePath: path.join(dir, 'swapped.raw'), isfPath: path.join(dir, 'swapped.isf.json') };
  const swapDir = path.join(dir, 'vm');
  if (![resident.imagePath, swapped.imagePath, path.join(swapDir, 'swapfile0')].every(existsSync)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(swapDir, { recursive: true });
    const t0 = performance.now();
    await saveSynthImage(buildScaleImage({ pages }).image, dir, 'resident');
    const s = buildSwapScaleImage({ pages });
    await saveSynthImage(s.scale.image, dir, 'swapped');
    writeFileSync(path.join(swapDir, 'swapfile0'), s.swapFile);
    log(`   built the resident and swapped-out images of ${pages} pages (${s.scale.segments} segments) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { resident, swapped, swapDir };
}

async function walkOnce(imagePath: string, isfPath: string, swap: string[] | undefined, threads: number) {
  const t0 = performance.now();
  const c = await openCase(imagePath, { symbols: isfPath, threads, ...(swap ? { swap } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  let pages = 0;
  let fromSwap = 0;
  for (const s of c.segments()) {
    for (const r of c.slots(s.index)) {
      // the walk decodes without hashing (a hash is taken where it is shown): a page counts when it decoded
      if (r.error !== undefined || !isDecodedKind(r.kind)) continue;
      pages++;
      if (r.source === 'swap') fromSwap++;
    }
  }
  const pageSize = c.info.compressor.pageSize;
  await c.close();
  return { seconds, pages, fromSwap, pageSize };
}

export async function run(opts: { json: boolean; quick: boolean }): Promise<Record<string, number | string>> {
  const log = (s: string) => (opts.json ? process.stderr.write(s + '\n') : console.log(s));
  const pages = Number(process.env.UNFOLD_BENCH_SWAP_PAGES ?? (opts.quick ? 20_000 : 100_000));
  const { resident, swapped, swapDir } = await images(pages, log);
  const threads = defaultThreads();
  for (const f of [resident.imagePath, swapped.imagePath, path.join(swapDir, 'swapfile0')]) spawnSync('cat', [f], { stdio: ['ignore', 'ignore', 'ignore'] });
  // the host is shared and noisy: the two walks alternate, three rounds, and each one's best run counts
  const rr: number[] = [];
  const sr: number[] = [];
  let r = await walkOnce(resident.imagePath, resident.isfPath, undefined, threads);
  let w = await walkOnce(swapped.imagePath, swapped.isfPath, [swapDir], threads);
  for (let i = 0; i < 3; i++) {
    r = await walkOnce(resident.imagePath, resident.isfPath, undefined, threads);
    rr.push(r.seconds);
    w = await walkOnce(swapped.imagePath, swapped.isfPath, [swapDir], threads);
    sr.push(w.seconds);
  }
  if (r.pages === 0 || w.fromSwap !== r.pages) throw new Error(`swap bench: ${w.fromSwap} pages came from the swap file, ${r.pages} expected`);
  const mb = (r.pages * r.pageSize) / 1e6;
  const res = { mbps: mb / Math.min(...rr), pages: r.pages, runs: rr };
  const s = { mbps: mb / Math.min(...sr), fromSwap: w.fromSwap, runs: sr };
  log(`   resident walk: ${res.pages} pages, ${round(res.mbps)} MB/s (runs ${res.runs.map((x) => x.toFixed(2)).join(', ')} s)`);
  log(`   swapped-out walk (read + XTS decrypt + judge + decode): ${s.fromSwap} pages, ${round(s.mbps)} MB/s (runs ${s.runs.map((x) => x.toFixed(2)).join(', ')} s) on ${threads} threads`);
  return {
    swapDecryptMBps: round(s.mbps),
    swapResidentWalkMBps: round(res.mbps),
    swapVsResidentWalk: round(s.mbps / res.mbps, 3),
    swapPages: s.fromSwap,
  };
}
