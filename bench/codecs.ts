// Codec throughput, single thread, on the vectors in test/fixtures/vectors.
//
// Reference set (as in the vectors README): the realistic 4 KiB pages that both WKdm variants
// compress — categories real-file (ELF/library pages), process-heap and ascii-text with
// returnValue > 0 for xnu-2422 and for xnu-11417; no zero or single-value pages. LZ4: every 16 KiB
// block of each encoder (xnu's, liblz4's). Each figure is the median of several timed rounds.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lz4DecodeBlock } from '../core/codecs/lz4';
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
  for (const c of manifest) {
    if (c.codec !== 'lz4' || c.returnValue <= 0 || !c.compressed) continue;
    (c.variant.startsWith('liblz4') ? lzLib : lzXnu).push(read(c.compressed));
  }
  return { pages, s2422, s11417, lzXnu, lzLib };
}

/**
 * Runs `pass` (which handles `count` pages) repeatedly for about `ms` of CPU time per round and
 * returns pages per CPU-second, median of `rounds`. CPU time of this process rather than wall time,
 * because the machines this runs on are shared: other work would otherwise show up as slowness.
 */
function measure(pass: () => void, count: number, rounds: number, ms: number): number {
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const warmEnd = cpuMs() + ms / 2;
  while (cpuMs() < warmEnd) pass();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let done = 0;
    const t0 = cpuMs();
    let t = t0;
    do {
      pass();
      done += count;
      t = cpuMs();
    } while (t - t0 < ms);
    rates.push((done * 1000) / (t - t0));
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1]!;
}

export async function run(opts: { json: boolean; quick: boolean }): Promise<Record<string, number | string>> {
  const { pages, s2422, s11417, lzXnu, lzLib } = loadSets();
  const rounds = opts.quick ? 3 : 7;
  const ms = opts.quick ? 80 : 300;
  const page = new Uint8Array(4096);
  const page16 = new Uint8Array(16384);
  const out = new Uint8Array(4096);

  const decomp = (streams: Uint8Array[], dictPreset: 0 | 1) => () => {
    for (let i = 0; i < streams.length; i++) wkdmDecompress(streams[i]!, page, { pageSize: 4096, dictPreset });
  };
  const comp = (variant: 'xnu-2422' | 'xnu-3247') => () => {
    for (let i = 0; i < pages.length; i++) wkdmCompress(pages[i]!, out, { pageSize: 4096, variant });
  };
  const lz = (blocks: Uint8Array[]) => () => {
    for (let i = 0; i < blocks.length; i++) lz4DecodeBlock(blocks[i]!, page16);
  };

  const d2422 = measure(decomp(s2422, 1), s2422.length, rounds, ms);
  const d11417 = measure(decomp(s11417, 0), s11417.length, rounds, ms);
  const c2422 = measure(comp('xnu-2422'), pages.length, rounds, ms);
  const c11417 = measure(comp('xnu-3247'), pages.length, rounds, ms);
  const lXnu = measure(lz(lzXnu), lzXnu.length, rounds, ms);
  const lLib = measure(lz(lzLib), lzLib.length, rounds, ms);

  const r = (x: number): number => Math.round(x);
  const q = (x: number): number => Math.round(x * 1000) / 1000;
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
    lz4DecodeVsLiblz4: q(worst(lXnu / REF.liblz4.xnu, lLib / REF.liblz4.liblz4)),
  };

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
      ['LZ4 decode, liblz4 blocks (16 KiB)', r(lLib).toLocaleString('en-US'), ((lLib * 16384) / 1e6).toFixed(0), `liblz4 ${pct(lLib / REF.liblz4.liblz4)}`],
    ];
    const w0 = Math.max(...rows.map((x) => x[0].length));
    const w1 = Math.max(8, ...rows.map((x) => x[1].length));
    console.log(`codecs (single thread, pages per CPU-second, median of ${rounds} rounds; ${pages.length} realistic 4 KiB pages, ${lzXnu.length}+${lzLib.length} LZ4 blocks)`);
    console.log(`${'benchmark'.padEnd(w0)}  ${'pages/s'.padStart(w1)}  ${'MB/s'.padStart(6)}  vs reference`);
    for (const [a, b, c, d] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(6)}  ${d}`);
  }
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes('--json');
  const quick = process.argv.includes('--quick');
  const res = await run({ json, quick });
  if (json) console.log(JSON.stringify(res));
}
