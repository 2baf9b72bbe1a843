// The image-level CLI commands: open a case through the façade and print what it found.
//
// Every command that walks the compressor prints the case's problems to stderr, one line each
// ("unfold: problem: …"), whatever the output format, and ends with exit status 4 when the walk's
// consistency table has a failed check (the output is complete and printed all the same).
import { openCase, type Case, type OpenOptions, type Progress } from '../case';
import { validateQuery } from '../search/query';
import type { SearchHit } from '../search/hits';
import { EXIT, type CliIo } from './io';
import { EXIT_STATUS } from './exit-status';
import type { SearchQuery } from '../search/query';
import { loadYaraRules, yaraEngineInfo } from '../search/yara';
import { delimiter } from 'node:path';
import { HITS_CSV_HEADER, hitCsvLine } from '../search/csv';
import { slotStats } from '../darwin/histogram';
import { AtomicFile } from '../export/atomic';
import { DiscoveryError, ExportError, OptionError, fromErrno } from '../errors';
import { openImage } from '../image/detect';

interface CaseOpts {
  symbols?: string;
  swap?: string[];
  threads?: string;
  json?: boolean;
}

/** --swap, else UNFOLD_SWAP (one path, or several joined by the platform's path delimiter) */
function swapInputs(o: CaseOpts): string[] | undefined {
  if (o.swap && o.swap.length > 0) return o.swap;
  const env = process.env.UNFOLD_SWAP;
  return env ? env.split(delimiter).filter(Boolean) : undefined;
}

/** a whole-number option value, or OptionError naming the option (exit 64) */
export function wholeNumberOption(name: string, v: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const t = String(v).trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new OptionError(name, `${name} must be a whole number ${range}, got "${v}"`);
  }
  return n;
}

/**
 * Progress on stderr: a line rewritten in place on a terminal; otherwise (a log, a pipe, JSON mode
 * under a script) one line every few seconds, as JSON with --json, so a long scan of a huge image is
 * never silent.
 */
export function progressPrinter(io: CliIo, json: boolean): (p: Progress) => void {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let last = -Infinity;
  const started = Date.now();
  return (p) => {
    const now = Date.now();
    if (tty) {
      if (now - last < 200 && p.done !== p.total) return;
      last = now;
      io.stderr.write(`\r${p.phase} ${p.done}/${p.total}${p.message ? ' ' + p.message : ''}\x1b[K`);
      if (p.done === p.total) io.stderr.write('\r\x1b[K');
      return;
    }
    // nothing for short runs; then at most one line every 5 s
    if (now - started < 3000 || now - last < 5000 || p.done === p.total) return;
    last = now;
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0;
    if (json) io.stderr.write(JSON.stringify({ progress: { phase: p.phase, done: p.done, total: p.total, ...(p.message ? { message: p.message } : {}) } }) + '\n');
    else io.stderr.write(`unfold: ${p.phase} ${pct}% (${p.done}/${p.total})${p.message ? ' ' + p.message : ''}\n`);
  };
}

/** image notes that say the evidence is damaged or partly ignored (the rest are descriptive) */
const DAMAGE_NOTE = /truncat|cut short|not present|missing|ignored|damaged/i;

/** the case's problems, one line each on stderr */
function reportProblems(c: Case, io: CliIo): void {
  for (const n of c.info.image.notes) if (DAMAGE_NOTE.test(n)) io.stderr.write(`unfold: image: ${n}\n`);
  for (const p of c.info.compressor.problems) io.stderr.write(`unfold: problem: ${p}\n`);
}

/**
 * Failed consistency checks, one line each on stderr, and the status they make: a command whose own
 * work succeeded still ends with 4 so a script cannot take a damaged or disagreeing case for a clean one.
 */
function consistencyStatus(c: Case, io: CliIo, status: number): number {
  const cons = c.info.compressor.consistency;
  if (cons.ok) return status;
  for (const ch of cons.checks) if (!ch.ok) io.stderr.write(`unfold: consistency: ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}\n`);
  return status === EXIT.ok ? EXIT_STATUS.INCONSISTENT : status;
}

export function threadsOption(o: CaseOpts): number | undefined {
  return o.threads !== undefined ? wholeNumberOption('--threads', o.threads, 0, 256) : undefined;
}

export async function withCase(image: string, o: CaseOpts, io: CliIo, fn: (c: Case) => Promise<number>, extra: Partial<OpenOptions> = {}): Promise<number> {
  const threads = threadsOption(o);
  // UNFOLD_SYMBOLS names an examiner's usual ISF folder once, instead of --symbols on every command
  const symbols = o.symbols ?? (process.env.UNFOLD_SYMBOLS || undefined);
  let c: Case;
  try {
    const swap = swapInputs(o);
    c = await openCase(image, { symbols, threads, onProgress: progressPrinter(io, Boolean(o.json)), ...(swap ? { swap } : {}), ...extra });
  } catch (e) {
    throw fromErrno(e, (e as NodeJS.ErrnoException | null)?.path ?? image, 'open');
  }
  try {
    reportProblems(c, io);
    const status = await fn(c);
    return consistencyStatus(c, io, status);
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
    singleValue: c.ownersKnown() ? compressor.singleValue.map((e) => ({ ...e, owners: c.svOwners(e.index) })) : compressor.singleValue,
    consistency: compressor.consistency,
    compressedBytes: compressor.compressedBytes,
    uncompressedBytes: compressor.uncompressedBytes,
    compressionRatio: ratio,
    problems: compressor.problems,
    swapFiles: c.info.swap.files.map((f) => ({ path: f.path, index: f.index, sha256: f.sha256, segments: f.segments })),
    processes: c.info.processes ?? null,
  };
}

/**
 * `info --json` when no symbol table fits: still one JSON object on stdout, with what the image is,
 * the banner(s) found and what ISF is needed (`symbols: null`); the reason goes to stderr, exit 3.
 */
async function infoWithoutSymbols(image: string, err: DiscoveryError, io: CliIo): Promise<void> {
  const d = err.details as { bannersFound?: string[]; closest?: string[]; source?: string };
  let container: Record<string, unknown> = {};
  try {
    const im = await openImage(image);
    container = { container: im.format, image: im.path, files: [...im.files], ranges: im.ranges.map((r) => ({ start: '0x' + r.start.toString(16), length: r.length })), notes: [...im.notes] };
    im.close();
  } catch {
    container = { container: null, image };
  }
  const banners = d.bannersFound ?? [];
  out(
    io,
    JSON.stringify({
      ...container,
      banner: banners[0] ?? null,
      bannersFound: banners,
      symbols: null,
      symbolsSearched: d.source ?? null,
      isfNeeded: banners.length > 0 ? `a Volatility 3 ISF made (dwarf2json) from the Kernel Debug Kit of: ${banners[0]}` : 'no kernel banner was found, so no ISF can be named',
      closestIsf: d.closest ?? [],
      error: { code: err.code, message: err.message.split('\n')[0] },
    }),
  );
}

export async function infoCommand(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  try {
    return await infoCase(image, o, io);
  } catch (e) {
    if (o.json && e instanceof DiscoveryError && e.code === 'NO_SYMBOLS') await infoWithoutSymbols(image, e, io);
    throw e;
  }
}

async function infoCase(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  // the summary is the metadata's: slots are counted by kind from their size, codec bit and first
  // word, and what could not be read by the buffer pages the image lacks; no page is decoded
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
    const pr = c.info.processes;
    if (pr) out(io, `Processes      ${pr.available ? `${pr.count} (${pr.unownedSlots ?? 0} live slots no process maps)` : `not walked: ${pr.reason ?? ''}`}`);
    out(io, `Consistency    ${cs.consistency.ok ? 'ok' : 'MISMATCH'}`);
    for (const ch of cs.consistency.checks) out(io, `  ${ch.ok ? 'ok ' : 'BAD'} ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}`);
    if (c.info.swap.cipher) out(io, `Swap cipher    ${c.info.swap.cipher}`);
    for (const f of c.info.swap.files) out(io, `Swap file      ${f.path} (index ${f.index}, ${f.kernelPath}): ${f.segments} segment(s) read, SHA-256 ${f.sha256}`);
    for (const p of cs.problems) out(io, `Problem        ${p}`);
    return EXIT.ok;
    // from metadata alone, unless swap files were given: whether a file really belongs to this image
    // (right machine, right boot, chunk not reused) shows only by decrypting and decoding its segments
  }, swapInputs(o) ? {} : { decode: 'never' });
}

export async function slotsCommand(image: string, o: CaseOpts & { json?: boolean; segment?: string }, io: CliIo): Promise<number> {
  const only = o.segment !== undefined ? wholeNumberOption('--segment', o.segment) : null;
  return withCase(image, o, io, async (c) => {
    if (only !== null && !c.segments().some((s) => s.index === only)) {
      io.stderr.write(`unfold: there is no segment ${only} (the case has ${c.segments().length} segments; see unfold segments)\n`);
      return EXIT.badData;
    }
    // every printed record shows its page's SHA-256: the walk hashes as it decodes (hashPages)
    for (const rec of only !== null ? c.slots(only, { hashes: true }) : c.allSlots({ hashes: true })) {
      if (only !== null && rec.segment !== only) continue;
      if (o.json) out(io, JSON.stringify(c.ownersKnown() ? { ...rec, owners: c.slotOwners(rec.segment, rec.slot) } : rec));
      else out(io, `${rec.segment}\t${rec.slot}\t${rec.state}\t${rec.kind}\t${rec.compressedSize}\t${rec.sha256 ?? rec.error ?? ''}`);
    }
    return EXIT.ok;
  }, { hashPages: true });
}

export async function searchCommand(image: string, o: Record<string, unknown>, io: CliIo): Promise<number> {
  const context = wholeNumberOption('--context', String(o.context ?? 16), 0, 4096);
  threadsOption(o as CaseOpts);
  const query: SearchQuery = {
    strings: o.string as string[] | undefined,
    regexes: o.regex as string[] | undefined,
    hex: o.hex as string[] | undefined,
    yara: o.yara ? await loadYaraRules(o.yara as string[]) : undefined,
    utf16: Boolean(o.utf16),
    ascii: Boolean(o.ascii),
    ignoreCase: Boolean(o.ignoreCase),
    context,
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
  // every pattern is compiled now (YARA rules included): a bad one is refused before the image is opened
  validateQuery(query);
  const { compileMatcher } = await import('../search/matcher');
  compileMatcher(query);
  const yaraEngine = query.yara?.length ? announceYaraEngine(io) : null;
  // the file is claimed before the (possibly long) walk: an existing one is refused up front
  const file = typeof o.out === 'string' ? await cliWords(() => AtomicFile.create(o.out as string, { overwrite: Boolean(o.overwrite) }), '--overwrite replaces it') : null;
  const csv = o.csv ? csvSink(file ? (s) => file.write(s) : (s) => io.stdout.write(s)) : null;
  let hits = 0;
  const onHit = (h: SearchHit) => {
    hits++;
    if (csv) csv.line(hitCsvLine(h));
    else if (o.json) out(io, JSON.stringify(yaraEngine && h.pattern.startsWith('yara:') ? { ...h, yaraEngine } : h));
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
        const sv = await c.svTableSearch(query, onHit);
        const gaveUp = [...c.searchGaveUp(), ...sv.gaveUp];
        for (const g of gaveUp) io.stderr.write(`unfold: search gave up on segment ${g.segment} slot ${g.slot}: ${g.reason}\n`);
        if (!o.json && !o.csv) {
          const pages = slotStats(c.allSlots(), c.info.compressor.pageSize).decodedPages;
          out(io, `${hits} hits in ${pages} pages${gaveUp.length ? ` (${gaveUp.length} page(s) not fully searched)` : ''}`);
        }
        // hits may be missing from the pages given up on: the result is incomplete, and the status says so
        return gaveUp.length ? EXIT_STATUS.INCONSISTENT : EXIT.ok;
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
 * Says on stderr which YARA engine runs (the rules were compiled just before, so a syntax error or an
 * include has already been refused with exit 2); YARA hits in JSON carry it as `yaraEngine`.
 */
function announceYaraEngine(io: CliIo): string {
  const { label } = yaraEngineInfo();
  io.stderr.write(`YARA engine: ${label}\n`);
  return label;
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
  threadsOption(o);
  const min = wholeNumberOption('--min', o.min, 1, 4096);
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
  threadsOption(o);
  // refuse before the (possibly long) walk when the output folder is in the way
  const { assertOutputFree } = await import('../export/atomic');
  await cliWords(async () => assertOutputFree(o.out, Boolean(o.overwrite), [image]));
  return withCase(image, o, io, async (c) => {
    const r = await cliWords(() => c.export({ out: o.out, layout: o.layout, overwrite: Boolean(o.overwrite) }, {}));
    if (o.json) out(io, JSON.stringify(r));
    else {
      out(io, `exported ${r.exported} pages to ${r.out} (manifest SHA-256 ${r.manifestSha256})`);
      for (const [why, n] of Object.entries(r.skipped)) out(io, `  skipped ${n}: ${why}`);
    }
    return r.accountedFor === r.liveSlots ? EXIT.ok : EXIT.badData;
  });
}

/** an export refusal in the CLI's words: the option that replaces an earlier export is --overwrite */
export async function cliWords<T>(fn: () => Promise<T>, how = '--overwrite replaces an earlier Unfold export'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ExportError && e.code === 'EXISTS') {
      throw new ExportError('EXISTS', e.message.replace(/\(ask to overwrite to replace it\)/, `(${how})`), e.details);
    }
    throw e;
  }
}

export async function segmentsCommand(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  threadsOption(o);
  return withCase(image, o, io, async (c) => {
    for (const s of c.segments()) {
      if (o.json) out(io, JSON.stringify(s));
      else {
        const kinds = Object.entries(s.kinds).map(([k, n]) => `${k} ${n}`).join(', ');
        // sealed segments read back say so; those still sealed keep the old wording
        const sealedLeft = (s.kinds.swapped ?? 0) + (s.kinds['encrypted?'] ?? 0) > 0;
        const where = s.swap
          ? `swap file ${s.swap.fileIndex} @0x${s.swap.offset.toString(16)}${sealedLeft || s.liveSlots === 0 ? '' : ' (read back)'}`
          : s.possiblyEncrypted
            ? sealedLeft ? 'possibly encrypted' : 'decrypted in RAM'
            : '';
        out(io, `${s.index}\t${s.stateName}\t${s.liveSlots} slots\t${s.compressedBytes} bytes\t${kinds}${where ? '\t' + where : ''}${s.problems.length ? '\t' + s.problems.join('; ') : ''}`);
      }
    }
    return EXIT.ok;
  });
}

export async function pageCommand(
  image: string,
  o: CaseOpts & { segment: string; slot: string; compressed?: boolean; output?: string; overwrite?: boolean },
  io: CliIo,
): Promise<number> {
  const segment = wholeNumberOption('--segment', o.segment);
  const slot = wholeNumberOption('--slot', o.slot);
  threadsOption(o);
  // a page is binary: written to a terminal it would garble it (and could send it control sequences)
  if (!o.output && (io.stdout as NodeJS.WriteStream).isTTY === true) {
    throw new OptionError('--output', 'refusing to write a binary page to the terminal: give -o FILE, or pipe it (e.g. | xxd)');
  }
  return withCase(image, o, io, async (c) => {
    if (!c.segments().some((s) => s.index === segment)) {
      io.stderr.write(`unfold: there is no segment ${segment} (the case has ${c.segments().length} segments; see unfold segments)\n`);
      return EXIT.badData;
    }
    if (!c.hasSlot(segment, slot)) {
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
    if (o.output) {
      const { writeFileAtomic } = await import('../export/atomic');
      await cliWords(() => writeFileAtomic(o.output!, bytes, { overwrite: Boolean(o.overwrite) }), '--overwrite replaces it');
      return EXIT.ok;
    }
    await new Promise<void>((resolve, reject) => io.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
    return EXIT.ok;
    // one slot is decoded, nothing else: the buffer pages are only checked through translation
  }, { decode: 'never', kinds: false });
}
