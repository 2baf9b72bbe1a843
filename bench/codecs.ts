// Codec throughput, single thread, on the vectors in test/fixtures/vectors.
//
// Reference set (as in the vectors README): the realistic 4 KiB pages that both WKdm variants
// compress — categories real-file (ELF/library pages), process-heap and ascii-text with
// returnValue > 0 for xnu-2422 and for xnu-11417; no zero or single-value pages. LZ4: every 16 KiB
// block of each encoder (xnu's, liblz4's). Each figure is the median of several timed rounds.
// lz4VsLiblz4 compares with liblz4 measured in the same run (`lz4 -b`, when the command is installed).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lz4DecodeBlock, lz4Kernel } from '../core/codecs/lz4';
import { wkdmCompress, wkdmDecompress } from '../core/codecs/wkdm';

// Reference figures from test/fixtures/vectors/README.md (2 vCPU EPYC, single thread, pages/s).
const REF = {
  appleDecompress: { '2422': 414_932, '11417': 456_627 },
  appleCompress: { '2422': 378_903, '11417': 378_229 },
  rekall: { '2422': 1_131, '11417': 1_133 },
  vol2py3: { '2422': 2_015, '11417': 2_039 },
  vol2py27: { '2422': 1_744, '11417': 1_853 },
  liblz4: { xnu: 160_765, liblz4: 178_024 },
} as const;

interface Case {
  name: string;
  codec: 'wkdm' | 'lz4';
  variant: string;
  pageSize: number;
  budget: number | null;
  returnValue: number;
  input: string | null;
  compressed: string | null;
  category: string;
  corrupt: boolean;
}

const VECTORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/vectors');
const REALISTIC = new Set(['real-file', 'process-heap', 'ascii-text']);

function loadSets() {
  const manifest = JSON.parse(readFileSync(path.join(VECTORS, 'manifest.json'), 'utf8')) as Case[];
  const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(path.join(VECTORS, rel)));
  const byInput = new Map<string, { v2422?: Case; v11417?: Case }>();
  for (const c of manifest) {
    if (c.codec !== 'wkdm' || c.corrupt || c.pageSize !== 4096 || !REALISTIC.has(c.category) || !c.input) continue;
    if (c.budget !== 4092) continue; // the budget-exceeded repeats are not separate pages
    const e = byInput.get(c.input) ?? {};
    if (c.variant.startsWith('xnu-2422')) e.v2422 = c;
    else e.v11417 = c;
    byInput.set(c.input, e);
  }
  const pages: Uint8Array[] = [];
  const s2422: Uint8Array[] = [];
  const s11417: Uint8Array[] = [];
  for (const [input, e] of byInput) {
    if (!e.v2422 || !e.v11417 || e.v2422.returnValue <= 0 || e.v11417.returnValue <= 0) continue;
    pages.push(read(input));
    s2422.push(read(e.v2422.compressed!));
    s11417.push(read(e.v11417.compressed!));
  }
  const lzXnu: Uint8Array[] = [];
  const lzLib: Uint8Array[] = [];
  const lzLibPages: Uint8Array[] = [];
  for (const c of manifest) {
    if (c.codec !== 'lz4' || c.returnValue <= 0 || !c.compressed) continue;
    (c.variant.startsWith('liblz4') ? lzLib : lzXnu).push(read(c.compressed));
    if (c.variant.startsWith('liblz4')) lzLibPages.push(read(c.input!));
  }
  return { pages, s2422, s11417, lzXnu, lzLib, lzLibPages };
}

interface Bench {
  pass: () => void;
  count: number;
  rates: number[];
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Times every benchmark in turn, round after round (so that a noisy moment on a shared host hits
 * them all alike), each round running a pass repeatedly for about `ms` of CPU time; the result is
 * pages per CPU-second, the median over the rounds. CPU time of this process rather than wall time,
 * so that other work on the machine does not show up as slowness.
 */
function measureAll(benches: Bench[], rounds: number, ms: number): void {
  for (const b of benches) {
    const warmEnd = cpuMs() + ms;
    while (cpuMs() < warmEnd) b.pass();
  }
  for (let r = 0; r < rounds; r++) {
    for (const b of benches) {
      let done = 0;
      const t0 = cpuMs();
      let t = t0;
      do {
        b.pass();
        done += b.count;
        t = cpuMs();
      } while (t - t0 < ms);
      b.rates.push((done * 1000) / (t - t0));
    }
  }
}

/**
 * liblz4 measured live: `lz4 -b1 -B16384` (LZ4_compress_default blocks of 16 KiB, decoded with
 * LZ4_decompress_safe) on the very pages whose liblz4 blocks the decoder is timed on, or null when
 * the lz4 command is not installed (the bench says so; nothing needs it). lz4 -b reports its fastest
 * wall-clock loop, so the decoder's figure it is compared with is taken the same way (fastest
 * wall-clock window), with the two measurements alternating so that load on a shared host hits both.
 */
function liblz4Reference(pages: Uint8Array[]): { decodeMBps: () => number | null; version: string } | null {
  const probe = spawnSync('lz4', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  const version = /v(\d+\.\d+\.\d+)/.exec(probe.stdout + probe.stderr)?.[1] ?? 'unknown';
  const dir = mkdtempSync(path.join(tmpdir(), 'unfold-lz4ref-'));
  const file = path.join(dir, 'pages.bin');
  const all = new Uint8Array(pages.length * 16384);
  pages.forEach((p, i) => all.set(p, i * 16384));
  writeFileSync(file, all);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    version,
    decodeMBps() {
      const r = spawnSync('lz4', ['-q', '-b1', '-i1', '-B16384', file], { encoding: 'utf8' });
      // "-1       326204 (2.511) 467.63 MB/s 1776.5 MB/s  pages.bin": compression, then decompression
      const m = /\)\s+[\d.]+\s+MB\/s\s+([\d.]+)\s+MB\/s/.exec(r.stdout + r.stderr);
      return r.status === 0 && m ? Number(m[1]) : null;
    },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function run(opts: { json: boolean; quick: boolean }): Promise<Record<string, number | string>> {
  const { pages, s2422, s11417, lzXnu, lzLib, lzLibPages } = loadSets();
  const rounds = opts.quick ? 3 : 7;
  const ms = opts.quick ? 40 : 150;
  const page = new Uint8Array(4096);
  const page16 = new Uint8Array(16384);
  const out = new Uint8Array(4096);

  const decomp = (streams: Uint8Array[], dictPreset: 0 | 1) => () => {
    for (let i = 0; i < streams.length; i++) wkdmDecompress(streams[i]!, page, { pageSize: 4096, dictPreset });
  };
  const comp = (variant: 'xnu-2422' | 'xnu-3247') => () => {
    for (let i = 0; i < pages.length; i++) wkdmCompress(pages[i]!, out, { pageSize: 4096, variant });
  };
  const lz = (blocks: Uint8Array[], kernel?: 'asm.js') => () => {
    for (let i = 0; i < blocks.length; i++) lz4DecodeBlock(blocks[i]!, page16, kernel);
  };

  const bench = (pass: () => void, count: number): Bench => ({ pass, count, rates: [] });
  const b = {
    d2422: bench(decomp(s2422, 1), s2422.length),
    d11417: bench(decomp(s11417, 0), s11417.length),
    c2422: bench(comp('xnu-2422'), pages.length),
    c11417: bench(comp('xnu-3247'), pages.length),
    lXnu: bench(lz(lzXnu), lzXnu.length),
    lLib: bench(lz(lzLib), lzLib.length),
    lAsm: bench(lz(lzLib, 'asm.js'), lzLib.length),
  };
  measureAll(Object.values(b), rounds, ms);
  const d2422 = median(b.d2422.rates);
  const d11417 = median(b.d11417.rates);
  const c2422 = median(b.c2422.rates);
  const c11417 = median(b.c11417.rates);
  const lXnu = median(b.lXnu.rates);
  const lLib = median(b.lLib.rates);
  const lAsm = median(b.lAsm.rates);

  const r = (x: number): number => Math.round(x);
  const q = (x: number): number => Math.round(x * 1000) / 1000;

  // live liblz4 reference, alternating with wall-clock windows of this decoder on the same blocks
  const ref = liblz4Reference(lzLibPages);
  let refMBps = 0;
  let oursWallMBps = 0;
  if (ref) {
    const pass = lz(lzLib);
    const windowMs = opts.quick ? 300 : 600;
    for (let round = 0; round < (opts.quick ? 2 : 4); round++) {
      refMBps = Math.max(refMBps, ref.decodeMBps() ?? 0);
      for (let w = 0; w < 2; w++) {
        let done = 0;
        const t0 = performance.now();
        let t = t0;
        do {
          pass();
          done += lzLib.length;
          t = performance.now();
        } while (t - t0 < windowMs);
        oursWallMBps = Math.max(oursWallMBps, (done * 16384) / 1e3 / (t - t0));
      }
    }
  }
  const worst = (a: number, b: number): number => Math.min(a, b);
  const result: Record<string, number | string> = {
    wkdmBenchPages: pages.length,
    wkdmDecompressPagesPerSec: r(worst(d2422, d11417)),
    wkdmDecompressMBPerSec: q((worst(d2422, d11417) * 4096) / 1e6),
    wkdmDecompress2422PagesPerSec: r(d2422),
    wkdmDecompress11417PagesPerSec: r(d11417),
    wkdmDecompressVsAppleAsm: q(worst(d2422 / REF.appleDecompress['2422'], d11417 / REF.appleDecompress['11417'])),
    wkdmDecompressVsRekall: q(worst(d2422 / REF.rekall['2422'], d11417 / REF.rekall['11417'])),
    wkdmDecompressVsVol2: q(worst(d2422 / REF.vol2py3['2422'], d11417 / REF.vol2py3['11417'])),
    wkdmDecompressVsVol2Py27: q(worst(d2422 / REF.vol2py27['2422'], d11417 / REF.vol2py27['11417'])),
    wkdmCompressPagesPerSec: r(worst(c2422, c11417)),
    wkdmCompressMBPerSec: q((worst(c2422, c11417) * 4096) / 1e6),
    wkdmCompress2422PagesPerSec: r(c2422),
    wkdmCompress11417PagesPerSec: r(c11417),
    wkdmCompressVsAppleAsm: q(worst(c2422 / REF.appleCompress['2422'], c11417 / REF.appleCompress['11417'])),
    lz4DecodePagesPerSec: r(worst(lXnu, lLib)),
    lz4DecodeMBPerSec: q((worst(lXnu, lLib) * 16384) / 1e6),
    lz4DecodeXnuBlocksPagesPerSec: r(lXnu),
    lz4DecodeLiblz4BlocksPagesPerSec: r(lLib),
    lz4DecodeAsmJsFallbackPagesPerSec: r(lAsm),
    lz4DecodeKernel: lz4Kernel(),
    lz4DecodeVsLiblz4: q(worst(lXnu / REF.liblz4.xnu, lLib / REF.liblz4.liblz4)),
  };
  if (ref && refMBps > 0) {
    result.lz4VsLiblz4 = q(oursWallMBps / refMBps);
    result.lz4LiveMBps = q(oursWallMBps);
    result.liblz4LiveMBps = q(refMBps);
    result.lz4Reference = `lz4 ${ref.version} -b1 -B16384, same run`;
  } else {
    result.lz4Reference = ref ? 'lz4 -b failed: no live liblz4 figure' : 'absent: the lz4 command is not installed (Debian: apt-get install lz4); no live liblz4 figure';
  }

  if (!opts.json) {
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
    const rows: [string, string, string, string][] = [
      ['WKdm decompress, xnu-2422 (4 KiB)', r(d2422).toLocaleString('en-US'), ((d2422 * 4096) / 1e6).toFixed(0),
        `Apple asm ${pct(d2422 / REF.appleDecompress['2422'])}, Rekall ${(d2422 / REF.rekall['2422']).toFixed(0)}x, Vol2 ${(d2422 / REF.vol2py3['2422']).toFixed(0)}x`],
      ['WKdm decompress, xnu-11417 (4 KiB)', r(d11417).toLocaleString('en-US'), ((d11417 * 4096) / 1e6).toFixed(0),
        `Apple asm ${pct(d11417 / REF.appleDecompress['11417'])}, Rekall ${(d11417 / REF.rekall['11417']).toFixed(0)}x, Vol2 ${(d11417 / REF.vol2py3['11417']).toFixed(0)}x`],
      ['WKdm compress, xnu-2422 (4 KiB)', r(c2422).toLocaleString('en-US'), ((c2422 * 4096) / 1e6).toFixed(0), `Apple asm ${pct(c2422 / REF.appleCompress['2422'])}`],
      ['WKdm compress, xnu-11417 (4 KiB)', r(c11417).toLocaleString('en-US'), ((c11417 * 4096) / 1e6).toFixed(0), `Apple asm ${pct(c11417 / REF.appleCompress['11417'])}`],
      ['LZ4 decode, xnu blocks (16 KiB)', r(lXnu).toLocaleString('en-US'), ((lXnu * 16384) / 1e6).toFixed(0), `liblz4 ${pct(lXnu / REF.liblz4.xnu)}`],
      ['LZ4 decode, liblz4 blocks (16 KiB)', r(lLib).toLocaleString('en-US'), ((lLib * 16384) / 1e6).toFixed(0), `liblz4 ${pct(lLib / REF.liblz4.liblz4)} (${lz4Kernel()} kernel)`],
      ['LZ4 decode, liblz4 blocks, asm.js fallback', r(lAsm).toLocaleString('en-US'), ((lAsm * 16384) / 1e6).toFixed(0), `liblz4 ${pct(lAsm / REF.liblz4.liblz4)}`],
    ];
    const w0 = Math.max(...rows.map((x) => x[0].length));
    const w1 = Math.max(8, ...rows.map((x) => x[1].length));
    console.log(`codecs (single thread, pages per CPU-second, median of ${rounds} rounds; ${pages.length} realistic 4 KiB pages, ${lzXnu.length}+${lzLib.length} LZ4 blocks)`);
    console.log(`${'benchmark'.padEnd(w0)}  ${'pages/s'.padStart(w1)}  ${'MB/s'.padStart(6)}  vs reference`);
    for (const [a, b, c, d] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(6)}  ${d}`);
    if (typeof result.lz4VsLiblz4 === 'number') {
      console.log(`LZ4 vs liblz4 measured now (${result.lz4Reference}; fastest wall-clock window each): ${oursWallMBps.toFixed(0)} vs ${refMBps.toFixed(0)} MB/s = ${result.lz4VsLiblz4}`);
    } else console.log(`LZ4 vs liblz4 measured now: ${result.lz4Reference}`);
  }
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes('--json');
  const quick = process.argv.includes('--quick');
  const res = await run({ json, quick });
  if (json) console.log(JSON.stringify(res));
}
