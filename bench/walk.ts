// Whole-walk benchmark on a generated Mac image with ≥ 500,000 compressed pages (quick: 50,000):
// open → find the kernel → plan → read every buffer through the page tables → decode, on all cores
// (a case opened this way hashes no page: hashes are taken where shown or written); then end-to-end search (decompression included) against GNU grep over the concatenated
// export of the same pages, measured in the same run.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCase, keepBudget } from '../core/case';
import { defaultThreads } from '../core/work/pool';
import { isDecodedKind } from '../core/darwin/types';
import { buildScaleImage, saveSynthImage } from '../core/synth/scenarios';
import { BENCH_LITERAL, BENCH_REGEX, BENCH_YARA } from './search';

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

async function scaleImage(pages: number, log: (s: string) => void, arch: 'x86_64' | 'arm64' = 'x86_64'): Promise<{ imagePath: string; isfPath: string }> {
  const dir = path.join(process.env.UNFOLD_BENCH_DIR ?? path.join(tmpdir(), 'unfold-bench'), arch === 'x86_64' ? `walk-${pages}` : `${arch}-${pages}`);
  const imagePath = path.join(dir, 'scale.raw');
  const isfPath = path.join(dir, 'scale.isf.json');
  if (existsSync(imagePath) && existsSync(isfPath)) return { imagePath, isfPath };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const img = buildScaleImage({ pages, arch });
  await saveSynthImage(img.image, dir, 'scale');
  log(`   built a ${pages}-page ${arch} image (${(statSync(imagePath).size / 2 ** 30).toFixed(2)} GiB raw) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { imagePath, isfPath };
}

function grepMBps(args: string[], file: string): { mbps: number; count: number } {
  const bytes = statSync(file).size;
  let best = Infinity;
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync('grep', [...args, file], { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    if (r.error || (r.status !== 0 && r.status !== 1)) throw new Error(`grep failed: ${r.error?.message ?? r.stderr}`);
    count = Number.parseInt(r.stdout, 10);
    best = Math.min(best, s);
  }
  return { mbps: bytes / 1e6 / best, count };
}

export async function run(opts: { json: boolean; quick: boolean; previous?: Record<string, number | string> }): Promise<Record<string, number | string>> {
  const log = (s: string) => (opts.json ? process.stderr.write(s + '\n') : console.log(s));
  const pages = Number(process.env.UNFOLD_BENCH_PAGES ?? (opts.quick ? 50_000 : 500_000));
  const { imagePath, isfPath } = await scaleImage(pages, log);
  const threads = defaultThreads();

  // read the file once so the timed run measures the walk, not the first read from disk
  spawnSync('cat', [imagePath], { stdio: ['ignore', 'ignore', 'ignore'] });

  // the host is shared and noisy: the walk runs twice and the faster run counts (both are printed)
  const runs: number[] = [];
  let c = null as Awaited<ReturnType<typeof openCase>> | null;
  for (let i = 0; i < 2; i++) {
    if (c) await c.close();
    const t0 = performance.now();
    c = await openCase(imagePath, { symbols: isfPath, threads });
    runs.push((performance.now() - t0) / 1000);
  }
  if (!c) throw new Error('unreachable');
  const walkSeconds = Math.min(...runs);
  log(`   walk runs: ${runs.map((r) => r.toFixed(2) + ' s').join(', ')}`);
  const info = c.info.compressor;
  let decoded = 0;
  for (const s of c.segments()) for (const r of c.slots(s.index)) if (r.error === undefined && isDecodedKind(r.kind)) decoded++;
  const walkPages = decoded;
  const walkPagesPerSec = walkPages / walkSeconds;
  const pageMB = (info.pageSize * walkPages) / 1e6;
  log(`   walked ${walkPages} pages (${Object.entries(info.slots).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${walkSeconds.toFixed(2)} s on ${threads} threads: ${Math.round(walkPagesPerSec)} pages/s; consistency ${info.consistency.ok ? 'ok' : 'MISMATCH'}`);

  // memory: the same walk in a fresh process, which reports its own peak resident set
  const child = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/walk-child.ts', imagePath, isfPath], { encoding: 'utf8' });
  const peak = child.status === 0 ? (JSON.parse(child.stdout.trim().split('\n').pop()!) as { peakRssMB: number }).peakRssMB : NaN;
  log(`   peak resident memory of a whole walk (separate process): ${Math.round(peak)} MB`);

  const out: Record<string, number | string> = {
    walkPeakRssMB: Math.round(peak),
    walkPages,
    walkSeconds: round(walkSeconds, 2),
    walkPagesPerSec: Math.round(walkPagesPerSec),
    walkThreads: threads,
    walkProjected1MSeconds: round(1e6 / walkPagesPerSec, 2),
  };
  const codec = Number(opts.previous?.wkdmDecompressPagesPerSec);
  if (codec > 0) out.walkVsSingleThreadCodec = round(walkPagesPerSec / codec, 3);

  // The app keeps an open case's compressed buffers in memory (the walk keeps them as it reads):
  // the searches below are measured on such a case, as an examiner runs them; the walk above is the
  // CLI's, which keeps nothing. Every search still decompresses every page.
  await c.close();
  {
    const t0 = performance.now();
    c = await openCase(imagePath, { symbols: isfPath, threads, bufferCacheBytes: keepBudget() });
    out.walkKeepingBuffersSeconds = round((performance.now() - t0) / 1000, 2);
  }
  // the one-shot CLI's way: the search rides along with the walk (read, decode and scan in one pass)
  const cold = await (async () => {
    const t = performance.now();
    let hits = 0;
    const cli = await openCase(imagePath, { symbols: isfPath, threads, during: { search: { query: { strings: [BENCH_LITERAL] }, onHit: () => hits++ } } });
    const seconds = (performance.now() - t) / 1000;
    await cli.close();
    return (walkPages * info.pageSize) / 1e6 / seconds;
  })();
  out.searchLiteralOnePassMBps = round(cold);

  // end-to-end search: every page decompressed again and scanned, in the same run as grep below
  const timeSearch = async (q: Parameters<typeof c.search>[0]) => {
    const t = performance.now();
    const r = await c.search(q);
    return { mbps: (r.pagesScanned * info.pageSize) / 1e6 / ((performance.now() - t) / 1000), hits: r.hits };
  };
  const lit = await timeSearch({ strings: [BENCH_LITERAL] });
  const rx = await timeSearch({ regexes: [BENCH_REGEX] });
  const yr = await timeSearch({ yara: [{ source: BENCH_YARA, origin: 'bench' }] });

  const exportDir = path.join(path.dirname(imagePath), `export-${process.pid}`);
  rmSync(exportDir, { recursive: true, force: true });
  try {
    const te = performance.now();
    const ex = await c.export({ out: exportDir, layout: 'concat', overwrite: false });
    const exportSeconds = (performance.now() - te) / 1000;
    const pagesBin = path.join(exportDir, 'pages.bin');
    spawnSync('cat', [pagesBin], { stdio: ['ignore', 'ignore', 'ignore'] });
    const gl = grepMBps(['-c', '-F', BENCH_LITERAL], pagesBin);
    const gr = grepMBps(['-c', '-P', BENCH_REGEX], pagesBin);
    Object.assign(out, {
      searchLiteralMBps: round(lit.mbps),
      searchRegexMBps: round(rx.mbps),
      searchYaraMBps: round(yr.mbps),
      grepLiteralMBps: round(gr.mbps >= 0 ? gl.mbps : 0),
      grepRegexMBps: round(gr.mbps),
      searchLiteralVsGrep: round(lit.mbps / gl.mbps, 2),
      searchDataMB: round(pageMB),
      exportConcatSeconds: round(exportSeconds, 2),
      exportConcatMBps: round((ex.exported * info.pageSize) / 1e6 / exportSeconds),
    });
    log(`   search (decompression included) over ${round(pageMB)} MB: literal ${out.searchLiteralMBps} MB/s (${lit.hits} hits), regex ${out.searchRegexMBps} MB/s (${rx.hits}), YARA ${out.searchYaraMBps} MB/s (${yr.hits})`);
    log(`   walk keeping buffers (the app's way): ${out.walkKeepingBuffersSeconds} s; open + walk + literal search in one pass (the CLI's way): ${out.searchLiteralOnePassMBps} MB/s`);
    log(`   GNU grep over the exported pages.bin: -F ${out.grepLiteralMBps} MB/s (${gl.count} lines), -P ${out.grepRegexMBps} MB/s (${gr.count} lines); export ${out.exportConcatMBps} MB/s`);
  } finally {
    rmSync(exportDir, { recursive: true, force: true });
    await c.close();
  }

  // Apple silicon: 16 KiB pages, arm64 translation and c_slot layout (F9, 64 KiB segments)
  const armPages = Math.round(pages / 5);
  const arm = await scaleImage(armPages, log, 'arm64');
  // as for the x86_64 image: the timed runs measure the walk, not a first read from disk (the
  // searches and the export above may have pushed this file out of the page cache)
  spawnSync('cat', [arm.imagePath], { stdio: ['ignore', 'ignore', 'ignore'] });
  const armRuns: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const a = await openCase(arm.imagePath, { symbols: arm.isfPath, threads });
    armRuns.push((performance.now() - t0) / 1000);
    await a.close();
  }
  const armSeconds = Math.min(...armRuns);
  Object.assign(out, {
    walkArm64Pages: armPages,
    walkArm64Seconds: round(armSeconds, 2),
    walkArm64PagesPerSec: Math.round(armPages / armSeconds),
    walkArm64MBps: round((armPages * 16384) / 1e6 / armSeconds),
  });
  log(`   arm64 (16 KiB pages): ${armPages} pages walked in ${out.walkArm64Seconds} s (runs ${armRuns.map((r) => r.toFixed(2)).join(', ')} s): ${out.walkArm64PagesPerSec} pages/s, ${out.walkArm64MBps} MB/s of pages`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  run({ json, quick: process.argv.includes('--quick') }).then((r) => json && console.log(JSON.stringify(r)));
}
