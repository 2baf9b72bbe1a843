// Search throughput over decompressed pages: literal, regex and YARA scanning with our matcher, single
// thread, against GNU grep over the same pages written back to back into one file, in the same run.
//
// By default the pages are synthetic but shaped like memory (English text, paths and URLs, JSON,
// UTF-16LE strings, pointer tables, small integers, zero runs). A caller with real pages (the walk
// image) passes `source`; its iteration is timed together with the scan, so a source that decompresses
// on the fly gives end-to-end numbers.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileMatcher, type MatcherOptions } from '../core/search/matcher';
import { yaraEngineAvailable, yaraEngineInfo } from '../core/search/yara';
import type { SearchQuery } from '../core/search/query';

export interface PageSource {
  /** called once per measurement; each call must yield the same pages */
  pages(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface SearchBenchOptions {
  json: boolean;
  quick: boolean;
  source?: PageSource;
  /** synthetic pages when no source is given (default 100 000, quick 5 000) */
  pageCount?: number;
}

export const BENCH_LITERAL = 'password';
// Written so that JavaScript and PCRE read it the same way.
export const BENCH_REGEX = 'https?://[a-z0-9.-]+\\.(com|org|net)/[A-Za-z0-9/._-]*';
export const BENCH_YARA = `rule bench_secrets {
  strings:
    $pw = "password"
    $key = "BEGIN RSA PRIVATE KEY"
    $lea = { 48 8d 05 ?? ?? ?? ?? 48 89 }
  condition:
    any of them
}`;

/** xorshift32: fast, deterministic, good enough to vary page contents */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you ' +
  'were her she there been one all we their has would when if so no will more can out up about who do what said ' +
  'user name login session token cookie account email message file folder library system kernel process thread ' +
  'memory page cache buffer network socket connect request response error warning info debug value key data'
).split(' ');
const PATHS = ['/usr/lib/libSystem.B.dylib', '/System/Library/Frameworks/Foundation.framework/Foundation', '/Users/alice/Library/Preferences/com.apple.finder.plist', '/private/var/folders/xy/T/', '/Applications/Safari.app/Contents/MacOS/Safari'];
const HOSTS = ['www.apple.com', 'example.org', 'mail.google.com', 'cdn.jsdelivr.net', 'github.com'];

/** Builds corpora once; pages are cut from them, so making 100k pages costs a few memcpy per page. */
function corpora(rand: () => number): { text: Buffer; wide: Buffer; binary: Buffer } {
  const parts: string[] = [];
  let len = 0;
  while (len < 1 << 20) {
    const r = rand();
    let s: string;
    if (r < 0.6) s = WORDS[(rand() * WORDS.length) | 0]! + ' ';
    else if (r < 0.7) s = PATHS[(rand() * PATHS.length) | 0]! + '\n';
    else if (r < 0.78) s = `https://${HOSTS[(rand() * HOSTS.length) | 0]!}/${WORDS[(rand() * WORDS.length) | 0]!}/index.html `;
    else if (r < 0.86) s = `{"id":${(rand() * 1e6) | 0},"name":"${WORDS[(rand() * WORDS.length) | 0]!}","ok":true}`;
    else if (r < 0.865) s = 'password=' + WORDS[(rand() * WORDS.length) | 0]! + ' ';
    else if (r < 0.9) s = '\0\0\0\0';
    else s = WORDS[(rand() * WORDS.length) | 0]!.toUpperCase() + '. ';
    parts.push(s);
    len += s.length;
  }
  const text = Buffer.from(parts.join(''), 'latin1');
  const wide = Buffer.from(text.toString('latin1', 0, 1 << 19), 'utf16le');
  const binary = Buffer.alloc(1 << 20);
  for (let i = 0; i < binary.length; i += 8) {
    const r = rand();
    if (r < 0.35) {
      // kernel pointer 0xffffff80_xxxxxxxx
      binary.writeUInt32LE((rand() * 0x100000000) >>> 0, i);
      binary.writeUInt32LE(0xffffff80, i + 4);
    } else if (r < 0.55) {
      // user pointer 0x00007fff_xxxxxxxx
      binary.writeUInt32LE((rand() * 0x100000000) >>> 0, i);
      binary.writeUInt32LE(0x00007fff, i + 4);
    } else if (r < 0.75) binary.writeUInt32LE((rand() * 4096) | 0, i);
    else if (r < 0.9) {
      /* zeros */
    } else {
      binary.writeUInt32LE((rand() * 0x100000000) >>> 0, i);
      binary.writeUInt32LE((rand() * 0x100000000) >>> 0, i + 4);
    }
  }
  return { text, wide, binary };
}

/** `count` pages of 4 KiB in one buffer: a third text-heavy, a third binary, the rest mixed. */
export function syntheticPages(count: number, seed = 0x5eed): Uint8Array[] {
  const rand = rng(seed);
  const c = corpora(rand);
  const all = Buffer.alloc(count * 4096);
  const pages: Uint8Array[] = [];
  const cut = (src: Buffer, dst: Buffer, at: number, n: number): void => {
    const from = (rand() * (src.length - n)) | 0;
    src.copy(dst, at, from, from + n);
  };
  for (let p = 0; p < count; p++) {
    const page = all.subarray(p * 4096, (p + 1) * 4096);
    const kind = rand();
    for (let at = 0; at < 4096; ) {
      const n = Math.min(4096 - at, 256 + ((rand() * 1024) | 0));
      const r = rand();
      const src = kind < 0.33 ? (r < 0.85 ? c.text : c.wide) : kind < 0.66 ? (r < 0.9 ? c.binary : c.text) : r < 0.45 ? c.text : r < 0.6 ? c.wide : c.binary;
      cut(src, page, at, n);
      at += n;
    }
    pages.push(page);
  }
  return pages;
}

async function timeScan(source: PageSource, query: SearchQuery, opts: MatcherOptions = {}): Promise<{ mbps: number; hits: number; bytes: number }> {
  const m = compileMatcher(query, opts);
  let hits = 0;
  let bytes = 0;
  const onHit = (): void => {
    hits++;
  };
  // Warm the JIT on the first pages so a short run measures steady state, not compilation.
  let warm = 0;
  for await (const page of source.pages()) {
    m.scanPage(page, onHit);
    if (++warm === 2000) break;
  }
  // Whole passes until at least half a second has gone by, so a small (quick) set still gives a
  // stable figure; hits are those of one pass.
  let passes = 0;
  let onePassHits = 0;
  const t0 = performance.now();
  do {
    hits = 0;
    for await (const page of source.pages()) {
      bytes += page.length;
      m.scanPage(page, onHit);
    }
    if (passes++ === 0) onePassHits = hits;
  } while (performance.now() - t0 < 500);
  const s = (performance.now() - t0) / 1000;
  return { mbps: bytes / 1e6 / s, hits: onePassHits, bytes: bytes / passes };
}

/** GNU grep in the C locale (as examiners run it on binary data), repeated like timeScan; spawn time counts. */
function timeGrep(args: string[], file: string, bytes: number): { mbps: number; count: number } {
  let runs = 0;
  let count = 0;
  const t0 = performance.now();
  do {
    const r = spawnSync('grep', args.concat(file), { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' });
    if (r.error || (r.status !== 0 && r.status !== 1)) throw new Error(`grep ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
    count = Number.parseInt(r.stdout, 10);
    runs++;
  } while (performance.now() - t0 < 500);
  const s = (performance.now() - t0) / 1000;
  return { mbps: (bytes * runs) / 1e6 / s, count };
}

export async function run(opts: SearchBenchOptions): Promise<Record<string, number | string>> {
  let source = opts.source;
  if (!source) {
    const pages = syntheticPages(opts.pageCount ?? (opts.quick ? 5000 : 100000));
    source = { pages: () => pages };
  }
  const literal = await timeScan(source, { strings: [BENCH_LITERAL] });
  const regex = await timeScan(source, { regexes: [BENCH_REGEX] });
  const yaraQuery: SearchQuery = { yara: [{ source: BENCH_YARA, origin: 'bench' }] };
  const yara = await timeScan(source, yaraQuery);
  // Both engines on the same pages: the native YARA-X binding where one is installed, and the portable
  // libyara WebAssembly build every platform has; their hit counts must agree.
  const native = yaraEngineAvailable('native') ? await timeScan(source, yaraQuery, { yaraEngine: 'native' }) : null;
  const wasm = await timeScan(source, yaraQuery, { yaraEngine: 'wasm' });
  if (native && native.hits !== wasm.hits) throw new Error(`YARA engines disagree: native ${native.hits} hits, wasm ${wasm.hits}`);

  const dir = mkdtempSync(path.join(tmpdir(), 'unfold-bench-search-'));
  const file = path.join(dir, 'pages.bin');
  try {
    const fd = openSync(file, 'w');
    try {
      for await (const page of source.pages()) writeSync(fd, page);
    } finally {
      closeSync(fd);
    }
    const bytes = statSync(file).size;
    // grep reads the file once before timing so both sides start from the page cache.
    timeGrep(['-c', '-F', BENCH_LITERAL], file, bytes);
    const gl = timeGrep(['-c', '-F', BENCH_LITERAL], file, bytes);
    const gr = timeGrep(['-c', '-P', BENCH_REGEX], file, bytes);
    const out: Record<string, number | string> = {
      scanLiteralMBps: round(literal.mbps),
      scanRegexMBps: round(regex.mbps),
      scanYaraMBps: round(yara.mbps),
      yaraEngine: yaraEngineInfo().label,
      // absent where no native binding exists for this platform
      ...(native ? { yaraNativeMBps: round(native.mbps) } : {}),
      yaraWasmMBps: round(wasm.mbps),
      grepSynthLiteralMBps: round(gl.mbps),
      grepSynthRegexMBps: round(gr.mbps),
      searchBenchMB: round(bytes / 1e6),
    };
    if (!opts.json) {
      console.log(
        `search over ${out.searchBenchMB} MB: literal ${out.scanLiteralMBps} MB/s (${literal.hits} hits), regex ${out.scanRegexMBps} MB/s (${regex.hits}), ` +
          `YARA ${out.scanYaraMBps} MB/s (${yara.hits}; ${out.yaraEngine}; native ${out.yaraNativeMBps ?? '–'} MB/s, wasm ${out.yaraWasmMBps} MB/s); grep -F ${out.grepSynthLiteralMBps} MB/s (${gl.count} lines), grep -P ${out.grepSynthRegexMBps} MB/s (${gr.count} lines)`,
      );
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  void run({ quick, json }).then((r) => {
    if (json) console.log(JSON.stringify(r));
  });
}
