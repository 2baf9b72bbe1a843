// A big case opened progressively (issue 14): how soon the overview is ready (the metadata summary:
// plan, kinds from first words, consistency; nothing decoded), how long the CLI takes to print one
// page, and the peak resident memory of a whole CLI-style walk. On the 500,000-page image and on a
// 2,000,000-page one (about 5.5 GB, built once into UNFOLD_BENCH_DIR; skipped with --quick), each
// measured in a fresh process with the image already read once (a warm cache).
//   openToOverviewSeconds500k / 2M, onePageSeconds500k / 2M, walkPeakRssMB2M, and
//   cliStartSeconds: `unfold --version` as a whole process (what every command pays to start)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

async function image(pages: number, log: (s: string) => void): Promise<{ imagePath: string; isfPath: string }> {
  const dir = path.join(process.env.UNFOLD_BENCH_DIR ?? path.join(tmpdir(), 'unfold-bench'), `walk-${pages}`);
  const imagePath = path.join(dir, 'scale.raw');
  const isfPath = path.join(dir, 'scale.isf.json');
  if (existsSync(imagePath) && existsSync(isfPath)) return { imagePath, isfPath };
  const { buildScaleImage, saveSynthImage } = await import('../core/synth/scenarios');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const img = buildScaleImage({ pages });
  await saveSynthImage(img.image, dir, 'scale');
  log(`   built a ${pages}-page image (${(statSync(imagePath).size / 2 ** 30).toFixed(2)} GiB raw) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { imagePath, isfPath };
}

/** in a child: open as the app does (decode 'background') and report when the overview (the metadata summary) was ready */
async function child(imagePath: string, isfPath: string): Promise<void> {
  const t0 = performance.now();
  const { openCase } = await import('../core/case');
  const tImport = performance.now();
  const c = await openCase(imagePath, { symbols: isfPath, decode: 'background' });
  const seconds = (performance.now() - tImport) / 1000;
  const slots = c.info.compressor.slots;
  await c.close();
  process.stdout.write(JSON.stringify({ seconds, importSeconds: (tImport - t0) / 1000, slots }) + '\n');
}

function timeCli(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/unfold.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`unfold ${args[0]} exited ${r.status}: ${r.stderr.toString().slice(0, 400)}`);
  return s;
}

async function measure(pages: number, label: string, log: (s: string) => void, out: Record<string, number | string>, walkRss: boolean): Promise<void> {
  const { imagePath, isfPath } = await image(pages, log);
  spawnSync('cat', [imagePath], { stdio: ['ignore', 'ignore', 'ignore'] });
  const self = fileURLToPath(import.meta.url);
  const overview: number[] = [];
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', imagePath, isfPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`overview child failed (exit status ${r.status}, signal ${r.signal}; 13 is a top-level await that never settled, e.g. close() waiting on the background pass): ${r.stderr.slice(0, 400)}`);
    overview.push((JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number }).seconds);
  }
  const page: number[] = [];
  for (let i = 0; i < 2; i++) page.push(timeCli(['page', imagePath, '--symbols', isfPath, '--segment', String(Math.floor(pages / 250)), '--slot', '3']));
  out[`openToOverviewSeconds${label}`] = round(Math.min(...overview));
  out[`onePageSeconds${label}`] = round(Math.min(...page));
  log(`   ${pages} pages: overview ready in ${overview.map((s) => s.toFixed(2)).join(', ')} s; one page from the CLI (a whole process) in ${page.map((s) => s.toFixed(2)).join(', ')} s`);
  if (walkRss) {
    const w = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/walk-child.ts', imagePath, isfPath], { encoding: 'utf8' });
    if (w.status !== 0) throw new Error(`walk child failed: ${w.stderr.slice(0, 400)}`);
    const r = JSON.parse(w.stdout.trim().split('\n').pop()!) as { peakRssMB: number; seconds: number; pages: number };
    out[`walkPeakRssMB${label}`] = Math.round(r.peakRssMB);
    out[`walkSeconds${label}`] = round(r.seconds);
    log(`   whole walk of ${r.pages} pages: ${r.seconds.toFixed(1)} s, peak resident memory ${Math.round(r.peakRssMB)} MB`);
  }
}

export async function run(opts: { json: boolean; quick: boolean }): Promise<Record<string, number | string>> {
  const log = (s: string) => (opts.json ? process.stderr.write(s + '\n') : console.log(s));
  const out: Record<string, number | string> = {};
  timeCli(['--version']); // the first run may build the CLI's bundle (bin/cli-bundle.mjs)
  const start = [timeCli(['--version']), timeCli(['--version'])];
  out.cliStartSeconds = round(Math.min(...start));
  log(`   unfold --version (process start) in ${start.map((s) => s.toFixed(2)).join(', ')} s`);
  if (opts.quick) {
    await measure(50_000, '50k', log, out, false);
    return out;
  }
  await measure(500_000, '500k', log, out, false);
  await measure(2_000_000, '2M', log, out, true);
  return out;
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!);
} else if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await run({ json: process.argv.includes('--json'), quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(r));
}
