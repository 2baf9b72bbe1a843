// The image-level CLI commands: open a case through the façade and print what it found.
import { openCase, type Case, type OpenOptions, type Progress } from '../case';
import { validateQuery } from '../search/query';
import type { SearchHit } from '../search/hits';
import { EXIT, type CliIo } from './io';
import type { SearchQuery } from '../search/query';
import { loadYaraRules } from '../search/yara';
import { delimiter } from 'node:path';
import { HITS_CSV_HEADER, hitCsvLine } from '../search/csv';
import { slotStats } from '../darwin/histogram';
import { AtomicFile } from '../export/atomic';

interface CaseOpts {
  symbols?: string;
  swap?: string[];
  threads?: string;
}

/** --swap, else UNFOLD_SWAP (one path, or several joined by the platform's path delimiter) */
function swapInputs(o: CaseOpts): string[] | undefined {
  if (o.swap && o.swap.length > 0) return o.swap;
  const env = process.env.UNFOLD_SWAP;
  return env ? env.split(delimiter).filter(Boolean) : undefined;
}

function progressPrinter(io: CliIo): ((p: Progress) => void) | undefined {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY;
  if (!tty) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200 && p.done !== p.total) return;
    last = now;
    io.stderr.write(`\r${p.phase} ${p.done}/${p.total}${p.message ? ' ' + p.message : ''}\x1b[K`);
    if (p.done === p.total) io.stderr.write('\r\x1b[K');
  };
}

async function withCase<T>(
  image: string,
  o: CaseOpts,
  io: CliIo,
  fn: (c: Case) => Promise<T>,
  extra: Partial<OpenOptions> = {},
  quietSwap = false,
): Promise<T> {
  const threads = o.threads !== undefined ? Number(o.threads) : undefined;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) throw new RangeError(`--threads must be a whole number ≥ 0, got ${o.threads}`);
  // UNFOLD_SYMBOLS names an examiner's usual ISF folder once, instead of --symbols on every command
  const symbols = o.symbols ?? (process.env.UNFOLD_SYMBOLS || undefined);
  const swap = swapInputs(o);
  const c = await openCase(image, { symbols, threads, onProgress: progressPrinter(io), ...(swap ? { swap } : {}), ...extra });
  try {
    // what went wrong with the swap files is said on stderr (info lists it with its problems)
    if (!quietSwap) for (const p of c.swapProblems()) io.stderr.write(`unfold: swap: ${p}\n`);
    return await fn(c);
  } finally {
    await c.close();
  }
}

const out = (io: CliIo, s: string) => io.stdout.write(s + '\n');

/** the flat JSON object of `unfold info --json` (keys are a stable contract) */
export function infoJson(c: Case): Record<string, unknown> {
  const { image, kernel, compressor } = c.info;
  const ratio = compressor.compressedBytes > 0 ? compressor.uncompressedBytes / compressor.compressedBytes : null;
  return {
    container: image.format,
    image: image.path,
    files: image.files,
    ranges: image.ranges.map((r) => ({ start: '0x' + r.start.toString(16), length: r.length })),
    notes: image.notes,
    banner: kernel.banner,
    symbols: kernel.symbols,
    kaslrSlide: kernel.kaslrSlide,
    dtb: kernel.dtb,
    arch: kernel.arch,
    darwin: kernel.darwin,
    macos: kernel.macos,
    xnu: kernel.xnu,
    family: compressor.family,
    familyReason: compressor.familyReason,
    layoutSource: compressor.layoutSource,
    pageSize: compressor.pageSize,
    dictPreset: compressor.dictPreset,
    segmentsAvailable: compressor.segmentsAvailable,
    segmentCount: compressor.segmentCount,
    pagesCompressed: compressor.pagesCompressed,
    segments: compressor.segments,
    slots: compressor.slots,
    singleValue: compressor.singleValue,
    consistency: compressor.consistency,
    compressedBytes: compressor.compressedBytes,
    uncompressedBytes: compressor.uncompressedBytes,
    compressionRatio: ratio,
    problems: compressor.problems,
    swapFiles: c.info.swap.files.map((f) => ({ path: f.path, index: f.index, sha256: f.sha256, segments: f.segments })),
  };
}

export async function infoCommand(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  // quietSwap: info lists the swap problems with the others
  return withCase(image, o, io, async (c) => {
    await c.swapFilesHashed();
    const j = infoJson(c);
    if (o.json) {
      out(io, JSON.stringify(j));
      return EXIT.ok;
    }
    const { image: im, kernel: k, compressor: cs } = c.info;
    out(io, `Container      ${im.format}  (${im.path})`);
    for (const r of im.ranges) out(io, `  range        0x${r.start.toString(16).padStart(12, '0')} – 0x${(r.start + r.length).toString(16).padStart(12, '0')}  ${(r.length / 1048576).toFixed(1)} MiB`);
    for (const n of im.notes) out(io, `  note         ${n}`);
    out(io, `Banner         ${k.banner}`);
    out(io, `macOS          ${k.macos} (darwin ${k.darwin.major}.${k.darwin.minor}.${k.darwin.patch}, ${k.xnu}, ${k.arch})`);
    out(io, `Symbols        ${k.symbols}`);
    out(io, `KASLR slide    ${k.kaslrSlide}`);
    out(io, `Table root     ${k.dtb}`);
    out(io, `Layout family  ${cs.family} (${cs.layoutSource}) — ${cs.familyReason}`);
    out(io, `Page size      ${cs.pageSize}, WKdm dictionary preset ${cs.dictPreset}`);
    out(io, `Segments       ${Object.entries(cs.segments).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`);
    out(io, `Slots          ${Object.entries(cs.slots).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`);
    out(io, `Bytes          ${cs.compressedBytes} compressed → ${cs.uncompressedBytes} (ratio ${j.compressionRatio === null ? '–' : (j.compressionRatio as number).toFixed(2)})`);
    out(io, `Single value   ${cs.singleValue.length} table entries, ${cs.singleValue.reduce((n, e) => n + e.refCount, 0)} pages`);
    out(io, `Consistency    ${cs.consistency.ok ? 'ok' : 'MISMATCH'}`);
    for (const ch of cs.consistency.checks) out(io, `  ${ch.ok ? 'ok ' : 'BAD'} ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}`);
    if (c.info.swap.cipher) out(io, `Swap cipher    ${c.info.swap.cipher}`);
    for (const f of c.info.swap.files) out(io, `Swap file      ${f.path} (index ${f.index}, ${f.kernelPath}): ${f.segments} segment(s) read, SHA-256 ${f.sha256}`);
    for (const p of cs.problems) out(io, `Problem        ${p}`);
    return EXIT.ok;
  }, {}, true);
}

export async function slotsCommand(image: string, o: CaseOpts & { json?: boolean; segment?: string }, io: CliIo): Promise<number> {
  return withCase(image, o, io, async (c) => {
    const only = o.segment !== undefined ? Number(o.segment) : null;
    for (const rec of c.allSlots()) {
      if (only !== null && rec.segment !== only) continue;
      if (o.json) out(io, JSON.stringify(rec));
      else out(io, `${rec.segment}\t${rec.slot}\t${rec.state}\t${rec.kind}\t${rec.compressedSize}\t${rec.sha256 ?? rec.error ?? ''}`);
    }
    return EXIT.ok;
  });
}

export async function searchCommand(image: string, o: Record<string, unknown>, io: CliIo): Promise<number> {
  const query: SearchQuery = {
    strings: o.string as string[] | undefined,
    regexes: o.regex as string[] | undefined,
    hex: o.hex as string[] | undefined,
    yara: o.yara ? await loadYaraRules(o.yara as string[]) : undefined,
    utf16: Boolean(o.utf16),
    ascii: Boolean(o.ascii),
    ignoreCase: Boolean(o.ignoreCase),
    context: Number(o.context ?? 16),
  };
  if (!query.strings?.length && !query.regexes?.length && !query.hex?.length && !query.yara?.length) {
    io.stderr.write('unfold search: give at least one of --string, --regex, --hex, --yara\n');
    return EXIT.usage;
  }
  if (o.csv && o.json) {
    io.stderr.write('unfold search: choose one of --csv and --json\n');
    return EXIT.usage;
  }
  if ((o.out !== undefined || o.overwrite) && !o.csv) {
    io.stderr.write('unfold search: --out and --overwrite go with --csv\n');
    return EXIT.usage;
  }
  validateQuery(query); // a bad pattern is refused before the image is opened
  // the file is claimed before the (possibly long) walk: an existing one is refused up front
  const file = typeof o.out === 'string' ? await AtomicFile.create(o.out, { overwrite: Boolean(o.overwrite) }) : null;
  const csv = o.csv ? csvSink(file ? (s) => file.write(s) : (s) => io.stdout.write(s)) : null;
  let hits = 0;
  const onHit = (h: SearchHit) => {
    hits++;
    if (csv) csv.line(hitCsvLine(h));
    else if (o.json) out(io, JSON.stringify(h));
    else out(io, `segment ${h.segment} slot ${h.slot} +0x${h.offset.toString(16)}  ${h.pattern}  ${h.match}`);
  };
  try {
    csv?.line(HITS_CSV_HEADER);
    // one pass: every page is searched while the walk has it decoded
    const code = await withCase(
      image,
      o as CaseOpts,
      io,
      async (c) => {
        c.svTableHits(query, onHit);
        if (!o.json && !o.csv) out(io, `${hits} hits in ${slotStats(c.allSlots(), c.info.compressor.pageSize).decodedPages} pages`);
        return EXIT.ok;
      },
      { during: { search: { query, onHit } } },
    );
    await csv?.end();
    if (file) {
      const w = await file.commit();
      out(io, `${hits} hits written to ${w.path} (${w.bytes} bytes, SHA-256 ${w.sha256})`);
    }
    return code;
  } catch (e) {
    await file?.abort();
    throw e;
  }
}

/**
 * CSV lines gathered into chunks of about 1 MiB and written in order; `write` may be asynchronous
 * (a file) and its first failure is reported by end().
 */
function csvSink(write: (s: string) => unknown): { line(s: string): void; end(): Promise<void> } {
  let buf = '';
  let chain: Promise<unknown> = Promise.resolve();
  const send = () => {
    const s = buf;
    buf = '';
    chain = chain.then(() => write(s));
  };
  return {
    line(s) {
      buf += s;
      if (buf.length >= 1 << 20) send();
    },
    async end() {
      if (buf) send();
      await chain;
    },
  };
}

export async function stringsCommand(image: string, o: CaseOpts & { min: string; json?: boolean }, io: CliIo): Promise<number> {
  const min = Number(o.min);
  if (!Number.isInteger(min) || min < 1) throw new RangeError(`--min must be a whole number ≥ 1, got ${o.min}`);
  const onString = (s: { segment: number; slot: number; offset: number; encoding: 'ascii' | 'utf16le'; text: string }) => {
    if (o.json) out(io, JSON.stringify(s));
    else out(io, `${s.segment}\t${s.slot}\t0x${s.offset.toString(16)}\t${s.encoding === 'utf16le' ? 'u' : 'a'}\t${s.text}`);
  };
  // one pass: strings are taken from every page while the walk has it decoded
  return withCase(image, o, io, async () => EXIT.ok, { during: { strings: { min, onString } } });
}
export async function exportCommand(
  image: string,
  o: CaseOpts & { out: string; layout: 'slots' | 'concat'; overwrite?: boolean; json?: boolean },
  io: CliIo,
): Promise<number> {
  // refuse before the (possibly long) walk when the output folder is in the way
  const { assertOutputFree } = await import('../export/atomic');
  assertOutputFree(o.out, Boolean(o.overwrite));
  return withCase(image, o, io, async (c) => {
    const r = await c.export({ out: o.out, layout: o.layout, overwrite: Boolean(o.overwrite) }, {});
    if (o.json) out(io, JSON.stringify(r));
    else {
      out(io, `exported ${r.exported} pages to ${r.out} (manifest SHA-256 ${r.manifestSha256})`);
      for (const [why, n] of Object.entries(r.skipped)) out(io, `  skipped ${n}: ${why}`);
    }
    return r.accountedFor === r.liveSlots ? EXIT.ok : EXIT.badData;
  });
}

export async function segmentsCommand(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  return withCase(image, o, io, async (c) => {
    for (const s of c.segments()) {
      if (o.json) out(io, JSON.stringify(s));
      else {
        const kinds = Object.entries(s.kinds).map(([k, n]) => `${k} ${n}`).join(', ');
        const where = s.swap ? `swap file ${s.swap.fileIndex} @0x${s.swap.offset.toString(16)}` : s.possiblyEncrypted ? 'possibly encrypted' : '';
        out(io, `${s.index}\t${s.stateName}\t${s.liveSlots} slots\t${s.compressedBytes} bytes\t${kinds}${where ? '\t' + where : ''}${s.problems.length ? '\t' + s.problems.join('; ') : ''}`);
      }
    }
    return EXIT.ok;
  });
}

function wholeNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${v}`);
  return n;
}

export async function pageCommand(image: string, o: CaseOpts & { segment: string; slot: string; compressed?: boolean }, io: CliIo): Promise<number> {
  const segment = wholeNumber('--segment', o.segment);
  const slot = wholeNumber('--slot', o.slot);
  return withCase(image, o, io, async (c) => {
    if (!c.slots(segment).some((r) => r.slot === slot)) {
      io.stderr.write(`unfold: segment ${segment} has no live slot ${slot}\n`);
      return EXIT.badData;
    }
    const p = c.page(segment, slot);
    const bytes = o.compressed ? p.compressed : p.page;
    if (!bytes) {
      const hint = p.record.kind === 'swapped' && !p.record.error ? ' (its segment is in a swap file: give it with --swap)' : '';
      io.stderr.write(`unfold: segment ${segment} slot ${slot} (${p.record.kind}) has no ${o.compressed ? 'stored bytes in the image' : 'decoded page'}${p.record.error ? ': ' + p.record.error : hint}\n`);
      return EXIT.badData;
    }
    await new Promise<void>((resolve, reject) => io.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
    return EXIT.ok;
  });
}
